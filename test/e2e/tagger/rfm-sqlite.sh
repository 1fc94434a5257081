# RFM on the whole bundled data set (UCI Online Retail) equals an independent
# computation with sqlite3 straight from the CSV: for each customer R (whole
# UTC days from the last invoice, order or refund, to 2011-12-10), F
# (distinct invoices), M (sum of round(qty·price, 2) over every row, in
# cents: the orders' totals), the quintile
# scores (cut q = the value at position ceil(q·N/5) - 1 of the sorted values;
# asc: 1 + cuts below the value; R desc: 1 + cuts above it), the cuts
# themselves and rfm_segment by the segment rules on sqlite3's scores.
set -u
zstdcat "$UOPS_TOP/data/online_retail.csv.zst" > "$T/retail.csv"

# ---- the pipeline; the oneid → CustomerID map comes from idmerge's output
{
	ingest --db "$T/db" --nosync --source online_retail --rejects "$T/rej" -v \
		"$UOPS_TOP/data/online_retail.csv.zst" 2> "$T/ingest.err"
	echo $? > "$T/ingest.rc"
} | idmerge --db "$T/db" --nosync |
	awk -v map="$T/map" '{ print }
	/"oneid":[0-9]+}$/ {
		i = index($0, "\"ids\":{\"member\":\"")
		if (!i) next
		m = substr($0, i + 17); m = substr(m, 1, index(m, "\"") - 1)
		match($0, /"oneid":[0-9]+}$/); o = substr($0, RSTART + 8, RLENGTH - 9)
		if (!(o in mem)) { mem[o] = m; printf "%s,%s\n", o, m > map } else if (mem[o] != m) print "oneid " o ": " mem[o] " and " m > "/dev/stderr"
	}' |
	tagger --db "$T/db" --nosync > /dev/null
echo "ingest: exit $(cat "$T/ingest.rc"), $(sed -n 's/^ingest: [0-9]* in: \([0-9]*\) passed.*/\1/p' "$T/ingest.err") rows passed in $(sed -n 's/^ingest: \([0-9]*\) orders.*/\1/p' "$T/ingest.err") orders, $(wc -l < "$T/rej") rows rejected"
tagger --db "$T/db" recompute --at 2011-12-10 > /dev/null; echo "recompute: $?"
tagger --db "$T/db" export --format csv \
	--fields oneid,recency_days,transactions,monetary,rfm_r,rfm_f,rfm_m,rfm_segment > "$T/export.csv"
tagger --db "$T/db" tags > "$T/tags"
n_oneid=$(cut -d, -f1 "$T/map" | sort -u | wc -l)
n_member=$(cut -d, -f2 "$T/map" | sort -u | wc -l)
[ "$n_oneid" = "$n_member" ] && [ "$n_oneid" = "$(wc -l < "$T/map")" ] &&
	echo "$n_oneid customers, one oneid each"

# tagger's table: customer,R,F,M cents,r,f,m,segment (an M with more than
# two decimals stays as it is, and differs)
awk -F, -v map="$T/map" 'BEGIN { while ((getline l < map) > 0) { split(l, a, ","); c[a[1]] = a[2] } }
	NR > 1 { if (!($1 in c)) { print "oneid " $1 " has no customer" > "/dev/stderr"; next }
		m = $4 ~ /^-?[0-9]+(\.[0-9][0-9]?)?$/ ? sprintf("%.0f", $4 * 100) : $4
		printf "%s,%s,%s,%s,%s,%s,%s,%s\n", c[$1], $2, $3, m, $5, $6, $7, $8 }' "$T/export.csv" |
	sort -t, -k1,1n > "$T/tagger.csv"
# tagger's cuts, M in cents
jq -r 'select(.name | test("^rfm_[rfm]$")) | .name as $n |
	"\($n) \(.rank.order) \(.rank.cuts | if $n == "rfm_m" then map(. * 100 | round) else . end | map(tostring) | join(","))"' \
	"$T/tags" > "$T/tagger.cuts"

# ---- sqlite3, from the CSV alone
sqlite3 :memory: > "$T/sqlite.out" <<EOF
.mode csv
.import "$T/retail.csv" raw
-- every row with a customer is a line of its invoice's order (a row that
-- repeats another of its invoice exactly is a second line)
CREATE TABLE ev AS SELECT * FROM raw WHERE CustomerID <> '';
.mode list
SELECT 'rows ' || (SELECT count(*) FROM ev) || ' ' || (SELECT count(*) FROM raw WHERE CustomerID = '');
-- London local time: only a time between 00:00 and 01:00 could fall on
-- another UTC day (BST); with none, the local date is the UTC date
SELECT 'early ' || count(*) FROM raw WHERE substr(InvoiceDate, 12) < '01:00:00';
CREATE TABLE c AS SELECT CAST(CustomerID AS INTEGER) AS cust,
	CAST(julianday('2011-12-10') - julianday(max(substr(InvoiceDate, 1, 10))) AS INTEGER) AS r,
	count(DISTINCT InvoiceNo) AS f,
	sum(CAST(round(CAST(Quantity AS INTEGER) * CAST(UnitPrice AS REAL) * 100) AS INTEGER)) AS m
	FROM ev GROUP BY cust;
CREATE TABLE cut AS
	WITH n AS (SELECT count(*) AS n FROM c), q(q) AS (VALUES (1), (2), (3), (4)),
	rr AS (SELECT r AS v, row_number() OVER (ORDER BY r DESC) - 1 AS pos FROM c),
	ff AS (SELECT f AS v, row_number() OVER (ORDER BY f) - 1 AS pos FROM c),
	mm AS (SELECT m AS v, row_number() OVER (ORDER BY m) - 1 AS pos FROM c)
	SELECT q, (SELECT v FROM rr WHERE pos = (q * n + 4) / 5 - 1) AS r,
		(SELECT v FROM ff WHERE pos = (q * n + 4) / 5 - 1) AS f,
		(SELECT v FROM mm WHERE pos = (q * n + 4) / 5 - 1) AS m
	FROM q, n;
SELECT 'rfm_r desc ' || group_concat(r, ',') FROM (SELECT r FROM cut ORDER BY q);
SELECT 'rfm_f asc ' || group_concat(f, ',') FROM (SELECT f FROM cut ORDER BY q);
SELECT 'rfm_m asc ' || group_concat(m, ',') FROM (SELECT m FROM cut ORDER BY q);
CREATE TABLE s AS SELECT cust, r, f, m,
	1 + (SELECT count(*) FROM cut WHERE c.r < cut.r) AS rs,
	1 + (SELECT count(*) FROM cut WHERE c.f > cut.f) AS fs,
	1 + (SELECT count(*) FROM cut WHERE c.m > cut.m) AS ms
	FROM c;
.separator , "\n"
.output "$T/sqlite.csv"
SELECT cust, r, f, m, rs, fs, ms, CASE
	WHEN rs >= 4 AND fs >= 4 THEN 'champions'
	WHEN rs = 3 AND fs >= 4 THEN 'loyal'
	WHEN rs >= 4 AND fs IN (2, 3) THEN 'potential_loyalist'
	WHEN rs = 5 AND fs = 1 THEN 'new_customers'
	WHEN rs = 4 AND fs = 1 THEN 'promising'
	WHEN rs = 3 AND fs IN (2, 3) THEN 'need_attention'
	WHEN rs = 3 AND fs = 1 THEN 'about_to_sleep'
	WHEN rs = 1 AND fs = 5 THEN 'cannot_lose'
	WHEN rs <= 2 AND fs >= 3 THEN 'at_risk'
	WHEN rs = 2 AND fs <= 2 THEN 'hibernating'
	WHEN rs = 1 AND fs <= 2 THEN 'lost'
	END FROM s ORDER BY cust;
EOF
echo "sqlite3: $?"
set -- $(sed -n 's/^rows //p' "$T/sqlite.out")
echo "sqlite3: $1 rows with a CustomerID, $2 without"
echo "invoice lines between 00:00 and 01:00 London time: $(sed -n 's/^early //p' "$T/sqlite.out")"
echo "sqlite3: $(wc -l < "$T/sqlite.csv") customers"

# ---- compare
same() { # KEY FIELDS WHAT
	cut -d, -f"$2" "$T/tagger.csv" > "$T/t.$1"
	cut -d, -f"$2" "$T/sqlite.csv" > "$T/s.$1"
	if [ -s "$T/s.$1" ] && cmp -s "$T/t.$1" "$T/s.$1"; then
		echo "$3 equal sqlite3's"
	else
		echo "$3 DIFFER from sqlite3's"
		diff "$T/s.$1" "$T/t.$1" | head -20 >&2
	fi
}
same rfm 1-4 "R, F, M"
same scores 1,5-7 "quintile scores"
same segment 1,8 "rfm_segment values"
grep '^rfm_' "$T/sqlite.out" | cmp -s - "$T/tagger.cuts" &&
	echo "cuts equal sqlite3's (M in cents):" && cat "$T/tagger.cuts"
echo "customers per segment:"
cut -d, -f8 "$T/tagger.csv" | sort | uniq -c | sort -k1,1nr -k2 | sed 's/^ *//'
