# Orders on the whole bundled data set (UCI Online Retail) equal an
# independent computation with sqlite3 straight from the CSV. ingest makes
# one order_paid per invoice (order_refunded per cancellation invoice C…):
# consecutive rows of one invoice, their amounts summed (each row
# round(qty·price, 2)); an invoice whose rows are split by another
# invoice's is one order per run of rows. Compared, per customer: orders
# (distinct invoices), paid_orders (order_paid events: runs), monetary
# (orders and refunds, in cents), and the segment last_order_over_300: the
# last order's total over 300, the last order being the latest by time,
# and among orders at the same minute the one whose amount, as written,
# sorts last (how the condition language's last breaks ties).
set -u
zstdcat "$UOPS_TOP/data/online_retail.csv.zst" > "$T/retail.csv"

# ---- the pipeline, on one environment; oneid → CustomerID from idmerge's output
{
	ingest --db "$T/db" --nosync --source online_retail -v "$T/retail.csv" 2> "$T/ingest.err"
	echo $? > "$T/ingest.rc"
} | idmerge --db "$T/db" --nosync |
	awk -v map="$T/map" '{ print }
	/"oneid":[0-9]+}$/ {
		i = index($0, "\"ids\":{\"member\":\"")
		if (!i) next
		m = substr($0, i + 17); m = substr(m, 1, index(m, "\"") - 1)
		match($0, /"oneid":[0-9]+}$/); o = substr($0, RSTART + 8, RLENGTH - 9)
		if (!(o in mem)) { mem[o] = m; printf "%s,%s\n", o, m > map }
	}' |
	tagger --db "$T/db" --nosync | segmenter --db "$T/db" --nosync > /dev/null
echo "ingest: exit $(cat "$T/ingest.rc")"
sed -n 's/^ingest: \([0-9]* orders.*\)/  \1/p' "$T/ingest.err"
tagger --db "$T/db" export --format csv --fields oneid,orders,paid_orders,monetary |
	awk -F, -v map="$T/map" 'BEGIN { while ((getline l < map) > 0) { split(l, a, ","); c[a[1]] = a[2] } }
	NR > 1 && $3 > 0 { printf "%s,%s,%s,%.0f\n", c[$1], $2, $3, $4 * 100 }' | sort -t, -k1,1n > "$T/tagger.csv"
segmenter --db "$T/db" export last_order_over_300 |
	awk -v map="$T/map" 'BEGIN { while ((getline l < map) > 0) { split(l, a, ","); c[a[1]] = a[2] } }
	{ print c[$1] }' | sort -n > "$T/seg.txt"
echo "segmenter count: $(segmenter --db "$T/db" count last_order_over_300)"

# ---- sqlite3, from the CSV alone
sqlite3 :memory: > "$T/sqlite.out" <<SQL
.mode csv
.import "$T/retail.csv" raw
CREATE TABLE r AS SELECT rowid AS rn, InvoiceNo AS inv, InvoiceDate AS ts,
	CAST(CustomerID AS INTEGER) AS cust,
	CAST(round(CAST(Quantity AS INTEGER) * CAST(UnitPrice AS REAL) * 100) AS INTEGER) AS cents
	FROM raw WHERE CustomerID <> '';
-- runs: a row starts one when the row before it (of those with a customer) is of another invoice
CREATE TABLE run AS SELECT rn, inv, ts, cust, cents,
	sum(start) OVER (ORDER BY rn) AS run FROM
	(SELECT *, inv IS NOT lag(inv) OVER (ORDER BY rn) AS start FROM r);
CREATE TABLE o AS SELECT run, inv, cust, min(ts) AS ts, sum(cents) AS cents,
	inv LIKE 'C%' AS refund FROM run GROUP BY run;
-- an amount as a JSON number: cents without trailing zeros
CREATE TABLE paid AS SELECT *, (CASE WHEN cents < 0 THEN '-' ELSE '' END) ||
	(abs(cents) / 100) || CASE WHEN abs(cents) % 100 = 0 THEN ''
	WHEN abs(cents) % 10 = 0 THEN '.' || (abs(cents) % 100 / 10)
	ELSE printf('.%02d', abs(cents) % 100) END AS amount
	FROM o WHERE NOT refund;
.mode list
SELECT 'invoices ' || count(DISTINCT inv) || ' runs ' || count(*) || ' split '
	|| (SELECT group_concat(inv) FROM (SELECT inv FROM o GROUP BY inv HAVING count(*) > 1)) FROM o;
SELECT 'buyers ' || count(DISTINCT cust) FROM paid;
.separator , "\n"
.output "$T/sqlite.csv"
SELECT cust, count(DISTINCT CASE WHEN NOT refund THEN inv END),
	sum(NOT refund), sum(cents) FROM o GROUP BY cust HAVING sum(NOT refund) > 0 ORDER BY cust;
.output "$T/sqlite-seg.txt"
SELECT cust FROM (SELECT cust, cents, row_number() OVER
	(PARTITION BY cust ORDER BY ts DESC, amount DESC) AS k FROM paid)
	WHERE k = 1 AND cents > 30000 ORDER BY cust;
SQL
echo "sqlite3: $?"
sed 's/^/sqlite3: /' "$T/sqlite.out"

# ---- compare
same() { # FIELDS WHAT
	cut -d, -f"$1" "$T/tagger.csv" > "$T/t"
	cut -d, -f"$1" "$T/sqlite.csv" > "$T/s"
	if [ -s "$T/s" ] && cmp -s "$T/t" "$T/s"; then
		echo "$2 equal sqlite3's"
	else
		echo "$2 DIFFER from sqlite3's"
		diff "$T/s" "$T/t" | head -20 >&2
	fi
}
echo "customers with an order: $(wc -l < "$T/tagger.csv") (sqlite3: $(wc -l < "$T/sqlite.csv"))"
same 1,2 "orders (distinct invoices) per customer"
same 1,3 "order_paid events per customer"
same 1,4 "monetary value (cents) per customer"
if [ -s "$T/seg.txt" ] && cmp -s "$T/seg.txt" "$T/sqlite-seg.txt"; then
	echo "last_order_over_300: the same $(wc -l < "$T/seg.txt") customers as sqlite3's"
else
	echo "last_order_over_300: $(wc -l < "$T/seg.txt") customers, sqlite3 $(wc -l < "$T/sqlite-seg.txt"): DIFFER"
	diff "$T/sqlite-seg.txt" "$T/seg.txt" | head -20 >&2
fi
