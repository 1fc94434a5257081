# Every number of report retention, funnel, rfm and abtest on the bundled
# data set (UCI Online Retail) equals an independent computation from the
# CSV: sqlite3 for the counts, sums and orderings; awk for the formulas on
# them (rates, quantiles, the z-test and its intervals, Welch's t and df,
# chi-square).
set -u
zstdcat "$UOPS_TOP/data/online_retail.csv.zst" > "$T/retail.csv"

# ==== the data, in one place ====
# FORM says what the online_retail source makes of the CSV, and the orders
# table below states the same for sqlite3:
#   line:    one order_paid (order_refunded for a C… invoice) per CSV line,
#            props.amount = round(Quantity × UnitPrice, 2), props.order_id
#            = InvoiceNo
#   invoice: one event per run of consecutive rows of one invoice (an
#            invoice split by another's rows is one event per run),
#            props.amount = the sum of its rows' round(Quantity × UnitPrice,
#            2), every row counted (a repeated row is a line of the order)
FORM=invoice
ingest --db "$T/db" --nosync --source online_retail --rejects "$T/rej" \
	"$UOPS_TOP/data/online_retail.csv.zst" 2> "$T/ingest.err" |
	idmerge --db "$T/db" --nosync > "$T/events.ndjson"
echo "events: $(wc -l < "$T/events.ndjson") ($FORM form)"
case $FORM in
line) pick=DISTINCT ;;
invoice) pick="rowid AS rn," ;;
esac
case $FORM in
line) orders="SELECT cust, ts, type, InvoiceNo AS order_id, cents, Country AS country FROM lines" ;;
invoice) orders="SELECT cust, min(ts) AS ts, type, InvoiceNo AS order_id, sum(cents) AS cents,
	min(Country) AS country FROM (SELECT *, sum(start) OVER (ORDER BY rn) AS run FROM
		(SELECT *, InvoiceNo IS NOT lag(InvoiceNo) OVER (ORDER BY rn) AS start FROM lines))
	GROUP BY run" ;;
esac
# London time: British summer time 2011-03-27 01:00 to 2011-10-30 01:00 UTC
# (no invoice falls in the hour that repeats or the one skipped; nor between
# 00:00 and 01:00, so the London date is the UTC date)
cat > "$T/orders.sql" <<EOF
.mode csv
.import "$T/retail.csv" raw
-- line form: ingest drops a row that repeats an earlier one exactly;
-- invoice form: every row is a line of its order
CREATE TABLE lines AS SELECT $pick CAST(CustomerID AS INTEGER) AS cust,
	unixepoch(InvoiceDate) - CASE WHEN InvoiceDate >= '2011-03-27 02:00' AND
		InvoiceDate < '2011-10-30 02:00' THEN 3600 ELSE 0 END AS ts,
	CASE WHEN InvoiceNo LIKE 'C%' THEN 'order_refunded' ELSE 'order_paid' END AS type,
	InvoiceNo, StockCode, Description, Quantity, UnitPrice, Country,
	CAST(round(CAST(Quantity AS INTEGER) * CAST(UnitPrice AS REAL) * 100) AS INTEGER) AS cents
	FROM raw WHERE CustomerID <> '';
CREATE TABLE orders AS $orders;
CREATE TABLE per AS SELECT *, ts / 86400 AS day,
	CAST(strftime('%Y', ts, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', ts, 'unixepoch') AS INTEGER) - 1 AS month
	FROM orders;
CREATE INDEX per_cust ON per (cust, type, ts);
CREATE TABLE n(n);
WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < 30) INSERT INTO n SELECT n FROM s;
.mode list
.separator ,
EOF
# ==== end of the data ====

# rows of one table of report's CSV output (the one whose header has $2)
table() { awk -v h="$2" 'BEGIN { RS = ""; FS = "\n" } index($1, h) == 1 { for (i = 2; i <= NF; i++) print $i }' "$1"; }
same() { # WHAT MINE THEIRS
	if [ -s "$3" ] && cmp -s "$2" "$3"; then
		echo "$1 equal sqlite3's ($(wc -l < "$3") rows)"
	else
		echo "$1 DIFFER from sqlite3's"
		diff "$3" "$2" | head -10 >&2
	fi
}
# numbers in column $2 of file $1 equal $3/$4 (columns of the same row) to 1e-12
rates() { awk -F, -v r="$2" -v a="$3" -v b="$4" '{ w = $b ? $a / $b : 0; d = $r - w; if (d < -1e-12 || d > 1e-12) { print "row " NR ": " $r " want " w; bad = 1 } } END { exit bad }' "$1"; }

# ---- retention: the classic monthly triangle, cohorts by first order
report retention --by month --cohort order_paid --return order_paid --periods 12 --format csv \
	"$T/events.ndjson" > "$T/ret-month.csv"
echo "report retention --by month: $?"
table "$T/ret-month.csv" cohort,size > "$T/rm.all"
cut -d, -f1-4 "$T/rm.all" > "$T/rm.mine"
rates "$T/rm.all" 5 4 2 && echo "monthly rates are returned / size"
sqlite3 :memory: > "$T/rm.theirs" <<EOF
.read "$T/orders.sql"
CREATE TABLE coh AS SELECT cust, min(ts) AS t0 FROM per WHERE type = 'order_paid' GROUP BY cust;
CREATE TABLE c AS SELECT cust, t0, (SELECT month FROM per WHERE per.cust = coh.cust AND per.ts = t0 LIMIT 1) AS m0 FROM coh;
CREATE TABLE r AS SELECT DISTINCT per.cust, per.month - c.m0 AS k FROM per JOIN c USING (cust)
	WHERE per.type = 'order_paid' AND per.ts >= c.t0;
SELECT strftime('%Y-%m', min(c.t0), 'unixepoch'), count(DISTINCT c.cust), n.n,
	(SELECT count(*) FROM r JOIN c AS c2 USING (cust) WHERE c2.m0 = c.m0 AND r.k = n.n)
	FROM c, n WHERE n.n <= 12 AND n.n <= (SELECT max(month) FROM per) - c.m0
	GROUP BY c.m0, n.n ORDER BY c.m0, n.n;
EOF
same "monthly cohorts by first order, sizes and returns of months 0-12," "$T/rm.mine" "$T/rm.theirs"
head -4 "$T/rm.all"
table "$T/ret-month.csv" period,people

# ---- retention by day, first seen (any event), D1/D7/D30
report retention --format csv "$T/events.ndjson" > "$T/ret-day.csv"
echo "report retention: $?"
table "$T/ret-day.csv" cohort,size | cut -d, -f1-4 > "$T/rd.mine"
table "$T/ret-day.csv" period,people > "$T/rs.mine"
sqlite3 :memory: > "$T/rd.theirs" <<EOF
.read "$T/orders.sql"
CREATE TABLE c AS SELECT cust, min(ts) AS t0, min(ts) / 86400 AS d0 FROM per GROUP BY cust;
CREATE TABLE r AS SELECT DISTINCT per.cust, per.day - c.d0 AS k FROM per JOIN c USING (cust) WHERE per.ts >= c.t0;
CREATE TABLE cell AS SELECT c.d0, count(DISTINCT c.cust) AS size, n.n AS k,
	(SELECT count(*) FROM r JOIN c AS c2 USING (cust) WHERE c2.d0 = c.d0 AND r.k = n.n) AS ret
	FROM c, n WHERE n.n <= (SELECT max(day) FROM per) - c.d0 GROUP BY c.d0, n.n;
SELECT date(d0 * 86400, 'unixepoch'), size, k, ret FROM cell ORDER BY d0, k;
.output "$T/rs.theirs"
SELECT 'D' || k, sum(size), sum(ret), printf('%.15g', CAST(sum(ret) AS REAL) / sum(size)) FROM cell WHERE k IN (1, 7, 30) GROUP BY k ORDER BY k;
EOF
same "daily cohorts by first seen, sizes and returns of days 0-30," "$T/rd.mine" "$T/rd.theirs"
rates "$T/rs.mine" 4 3 2 && cut -d, -f1-3 "$T/rs.mine" > "$T/rs.m3" && cut -d, -f1-3 "$T/rs.theirs" > "$T/rs.t3" &&
	same "D1, D7, D30" "$T/rs.m3" "$T/rs.t3"
cat "$T/rs.mine"

# ---- funnel: order → order over 100 → refund → order, within 90 days
report funnel order_paid 'order_paid:{"prop":"amount","gt":100}' order_refunded order_paid \
	--window 90d --format csv -i "$T/events.ndjson" > "$T/funnel.csv"
echo "report funnel: $?"
tail -n +2 "$T/funnel.csv" | sed -E 's/^([0-9]+),(".*"|[^,]*),/\1,E,/' > "$T/f.all"
sqlite3 :memory: > "$T/f.sql" <<EOF
.read "$T/orders.sql"
CREATE TABLE s1 AS SELECT cust, min(ts) AS t1 FROM per WHERE type = 'order_paid' GROUP BY cust;
CREATE TABLE s2 AS SELECT s1.*, (SELECT min(ts) FROM per WHERE per.cust = s1.cust AND type = 'order_paid'
	AND cents > 10000 AND ts > t1 AND ts <= t1 + 90 * 86400) AS t2 FROM s1;
CREATE TABLE s3 AS SELECT s2.*, (SELECT min(ts) FROM per WHERE per.cust = s2.cust AND type = 'order_refunded'
	AND ts > t2 AND ts <= t1 + 90 * 86400) AS t3 FROM s2;
CREATE TABLE s4 AS SELECT s3.*, (SELECT min(ts) FROM per WHERE per.cust = s3.cust AND type = 'order_paid'
	AND ts > t3 AND ts <= t1 + 90 * 86400) AS t4 FROM s3;
SELECT 'n', count(t1), count(t2), count(t3), count(t4) FROM s4;
SELECT 'g2', t2 - t1 FROM s4 WHERE t2 IS NOT NULL ORDER BY 2;
SELECT 'g3', t3 - t2 FROM s4 WHERE t3 IS NOT NULL ORDER BY 2;
SELECT 'g4', t4 - t3 FROM s4 WHERE t4 IS NOT NULL ORDER BY 2;
EOF
# type 7 quantiles of the sorted gaps, and the conversions, in awk
awk -F, '$1 == "n" { for (i = 2; i <= 5; i++) c[i - 1] = $i; next }
	{ k = substr($1, 2) + 0; g[k, ++m[k]] = $2 }
	function q(k, p,   h, lo) { h = (m[k] - 1) * p; lo = int(h); return lo + 1 >= m[k] ? g[k, m[k]] : g[k, lo + 1] + (h - lo) * (g[k, lo + 2] - g[k, lo + 1]) }
	END { for (s = 1; s <= 4; s++)
		printf "%d,E,%d,%.12f,%.12f,%s,%s\n", s, c[s], (s > 1 ? c[s] / c[s - 1] : 1), c[s] / c[1],
			(s > 1 ? sprintf("%.6f", q(s, 0.5)) : ""), (s > 1 ? sprintf("%.6f", q(s, 0.9)) : "") }' "$T/f.sql" > "$T/f.theirs"
awk -F, '{ printf "%d,E,%d,%.12f,%.12f,%s,%s\n", $1, $3, $4, $5, ($6 == "" ? "" : sprintf("%.6f", $6)), ($7 == "" ? "" : sprintf("%.6f", $7)) }' "$T/f.all" > "$T/f.mine"
same "funnel people, conversions, median and p90 seconds between steps" "$T/f.mine" "$T/f.theirs"
cat "$T/funnel.csv"

# ---- RFM on 2011-12-10, as tagger's shipped tags: R days since the last
# order or refund, F distinct order ids, M the sum of amounts; quintile cut
# q at position ceil(q·N/5) - 1; the grid of R and F scores
report rfm --at 2011-12-10 --format csv "$T/events.ndjson" > "$T/rfm.csv"
echo "report rfm: $?"
table "$T/rfm.csv" score,order | awk -F, '{ printf "%s", $1; for (i = 3; i <= 6; i++) printf ",%s", $1 == "m" ? sprintf("%.0f", $i * 100) : $i; print "" }' > "$T/cuts.mine"
table "$T/rfm.csv" r,f,segment | awk -F, '{ printf "%s,%s,%s,%s,%.0f\n", $1, $2, $3, $4, $5 * 100 }' > "$T/grid.mine"
sqlite3 :memory: > "$T/rfm.theirs" <<EOF
.read "$T/orders.sql"
CREATE TABLE c AS SELECT cust, CAST(julianday('2011-12-10') - julianday(date(max(ts), 'unixepoch')) AS INTEGER) AS r,
	count(DISTINCT order_id) AS f, sum(cents) AS m FROM per GROUP BY cust;
CREATE TABLE cut AS
	WITH n AS (SELECT count(*) AS n FROM c), q(q) AS (VALUES (1), (2), (3), (4)),
	rr AS (SELECT r AS v, row_number() OVER (ORDER BY r DESC) - 1 AS pos FROM c),
	ff AS (SELECT f AS v, row_number() OVER (ORDER BY f) - 1 AS pos FROM c),
	mm AS (SELECT m AS v, row_number() OVER (ORDER BY m) - 1 AS pos FROM c)
	SELECT q, (SELECT v FROM rr WHERE pos = (q * n + 4) / 5 - 1) AS r,
		(SELECT v FROM ff WHERE pos = (q * n + 4) / 5 - 1) AS f,
		(SELECT v FROM mm WHERE pos = (q * n + 4) / 5 - 1) AS m
	FROM q, n;
SELECT 'r,' || group_concat(r, ',') FROM (SELECT r FROM cut ORDER BY q);
SELECT 'f,' || group_concat(f, ',') FROM (SELECT f FROM cut ORDER BY q);
SELECT 'm,' || group_concat(m, ',') FROM (SELECT m FROM cut ORDER BY q);
CREATE TABLE s AS SELECT cust, m, 1 + (SELECT count(*) FROM cut WHERE c.r < cut.r) AS rs,
	1 + (SELECT count(*) FROM cut WHERE c.f > cut.f) AS fs FROM c;
CREATE TABLE sc(v);
INSERT INTO sc VALUES (5), (4), (3), (2), (1);
.output "$T/grid.theirs"
SELECT a.v, b.v, CASE
	WHEN a.v >= 4 AND b.v >= 4 THEN 'champions'
	WHEN a.v = 3 AND b.v >= 4 THEN 'loyal'
	WHEN a.v >= 4 AND b.v IN (2, 3) THEN 'potential_loyalist'
	WHEN a.v = 5 AND b.v = 1 THEN 'new_customers'
	WHEN a.v = 4 AND b.v = 1 THEN 'promising'
	WHEN a.v = 3 AND b.v IN (2, 3) THEN 'need_attention'
	WHEN a.v = 3 AND b.v = 1 THEN 'about_to_sleep'
	WHEN a.v = 1 AND b.v = 5 THEN 'cannot_lose'
	WHEN a.v <= 2 AND b.v >= 3 THEN 'at_risk'
	WHEN a.v = 2 AND b.v <= 2 THEN 'hibernating'
	WHEN a.v = 1 AND b.v <= 2 THEN 'lost' END,
	(SELECT count(*) FROM s WHERE rs = a.v AND fs = b.v), (SELECT coalesce(sum(m), 0) FROM s WHERE rs = a.v AND fs = b.v)
	FROM sc AS a, sc AS b ORDER BY a.v DESC, b.v DESC;
EOF
same "RFM cuts (M in pence)" "$T/cuts.mine" "$T/rfm.theirs"
same "RFM grid: people and revenue (pence) per R and F score" "$T/grid.mine" "$T/grid.theirs"
head -3 "$T/grid.mine"

# ---- abtest: arms are the country of a customer's first event; control
# the United Kingdom; a conversion is an order within 90 days after it
# (a later time), revenue the amounts in that window
report abtest trait:country --arms "United Kingdom,Germany,France,EIRE" --control "United Kingdom" \
	--window 90d --format csv "$T/events.ndjson" > "$T/ab.csv"
echo "report abtest: $?"
sqlite3 :memory: > "$T/ab.sql" <<EOF
.read "$T/orders.sql"
CREATE TABLE first AS SELECT cust, min(ts) AS t0 FROM per GROUP BY cust;
SELECT 'first events with two countries', count(*) FROM (SELECT cust FROM per JOIN first USING (cust)
	WHERE ts = t0 GROUP BY cust HAVING count(DISTINCT country) > 1);
CREATE TABLE arm AS SELECT DISTINCT cust, t0, country FROM per JOIN first USING (cust) WHERE ts = t0
	AND country IN ('United Kingdom', 'Germany', 'France', 'EIRE');
CREATE TABLE pp AS SELECT arm.cust, arm.country,
	EXISTS (SELECT 1 FROM per WHERE per.cust = arm.cust AND type = 'order_paid' AND ts > t0 AND ts <= t0 + 90 * 86400) AS conv,
	(SELECT coalesce(sum(cents), 0) FROM per WHERE per.cust = arm.cust AND ts > t0 AND ts <= t0 + 90 * 86400) AS rev
	FROM arm;
SELECT 'arm', country, count(*), sum(conv), sum(rev), sum(rev * rev) FROM pp GROUP BY country ORDER BY country;
EOF
grep '^first' "$T/ab.sql"
# the formulas, in awk, from sqlite3's counts and sums (revenue in pence)
awk -F, '
	# erfc to a relative error below 1.2e-7 (Numerical Recipes, erfcc)
	function erfc(x,   t, z, r) { z = x < 0 ? -x : x; t = 1 / (1 + 0.5 * z)
		r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
		return x >= 0 ? r : 2 - r }
	function chi2q3(x) { return erfc(sqrt(x / 2)) + sqrt(2 * x / 3.141592653589793) * exp(-x / 2) }
	$1 == "arm" { k++; name[k] = $2; n[k] = $3; x[k] = $4; s[k] = $5 / 100; ss[k] = $6 / 10000; if ($2 == "United Kingdom") c = k }
	END { Z = 1.959963984540054
		for (i = 1; i <= k; i++) {
			p0 = x[c] / n[c]; p1 = x[i] / n[i]; m0 = s[c] / n[c]; m1 = s[i] / n[i]
			v0 = (ss[c] - n[c] * m0 * m0) / (n[c] - 1); v1 = (ss[i] - n[i] * m1 * m1) / (n[i] - 1)
			printf "%s,%d,%d,%.9f,%.2f,%.6f", name[i], n[i], x[i], p1, s[i], m1
			if (i == c) { print ",,,,,,,,,"; continue }
			se = sqrt(p0 * (1 - p0) / n[c] + p1 * (1 - p1) / n[i])
			pool = (x[c] + x[i]) / (n[c] + n[i]); z = (p1 - p0) / sqrt(pool * (1 - pool) * (1 / n[c] + 1 / n[i]))
			l = log(p1 / p0); sl = sqrt((1 - p1) / x[i] + (1 - p0) / x[c])
			a = v0 / n[c]; b = v1 / n[i]
			printf ",%.9f,%.9f,%.9f,%.9f,%.9f,%.6f,%.6f,%.6f,%.6f\n", p1 - p0 - Z * se, p1 - p0 + Z * se,
				exp(l - Z * sl) - 1, exp(l + Z * sl) - 1, z, erfc((z < 0 ? -z : z) / sqrt(2)),
				m1 - m0, (m1 - m0) / sqrt(a + b), (a + b) ^ 2 / (a * a / (n[c] - 1) + b * b / (n[i] - 1))
			}
		ty = 0; tn = 0; tot = 0
		for (i = 1; i <= k; i++) { ty += x[i]; tn += n[i] - x[i] }
		for (i = 1; i <= k; i++) { ey = n[i] * ty / (ty + tn); en = n[i] * tn / (ty + tn)
			chi += (x[i] - ey) ^ 2 / ey + (n[i] - x[i] - en) ^ 2 / en; srm += (n[i] - (ty + tn) / k) ^ 2 / ((ty + tn) / k) }
		printf "summary,%d,%.6f,%.6f,%.6f\n", k, chi, chi2q3(chi), srm }' "$T/ab.sql" > "$T/ab.theirs"
{
	table "$T/ab.csv" arm,control | awk -F, '{ printf "%s,%d,%d,%.9f,%.2f,%.6f", $1, $3, $4, $5, $14, $15
		if ($2 == "true") { print ",,,,,,,,,"; next }
		printf ",%.9f,%.9f,%.9f,%.9f,%.9f,%.6f,%.6f,%.6f,%.6f\n", $7, $8, $10, $11, $12, $13, $17, $20, $21 }'
	table "$T/ab.csv" arms,chi2 | awk -F, '{ printf "summary,%d,%.6f,%.6f,%.6f\n", $1, $2, $4, $5 }'
} > "$T/ab.mine"
same "A/B arms: people, conversions, rate, revenue, uplift and relative uplift with 95 % intervals, z, p, Welch t and df, chi-square and its p, SRM" \
	"$T/ab.mine" "$T/ab.theirs"
cat "$T/ab.mine"
