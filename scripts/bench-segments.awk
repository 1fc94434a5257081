# Generate N segment definitions for the benchmark, and the same audiences
# as SQL over `segmenter table`'s columns:
#   awk -v n=100 -v sql=FILE -f scripts/bench-segments.awk > defs.json
# SQL lines are "name<TAB>WHERE clause", columns written {label} as
# `segmenter columns` prints them (resolve them before running). Every
# comparison is on a value that is a number or NULL (missing), with no NOT,
# so SQL's NULL logic and the condition language's "missing compares
# false" give the same members.
BEGIN {
	nv = 0
	v("{\"count\": {\"event\": \"order_paid\", \"within\": \"30d\"}}", "agg(count(order_paid) within 30d)", "1 2 3")
	v("{\"sum\": {\"event\": \"order_paid\", \"prop\": \"amount\", \"within\": \"30d\"}}", "agg(sum(order_paid).amount within 30d)", "100 300 600 1000")
	v("{\"count\": {\"event\": \"product_view\", \"within\": \"7d\"}}", "agg(count(product_view) within 7d)", "1 2 3")
	v("{\"last\": {\"event\": \"order_paid\", \"prop\": \"amount\"}}", "agg(last(order_paid).amount)", "100 300 500")
	v("{\"days_since\": \"last_seen\"}", "days_last()", "1 3 7 14 30")
	v("{\"count\": {\"event\": \"ad_click\", \"where\": {\"prop\": \"category\", \"eq\": \"face\"}}}", "agg(count(ad_click) where {\"prop\":\"category\",\"eq\":\"face\"})", "1 2")
	v("{\"trait\": \"gender\"}", "trait(gender)", "\"f\" \"m\"")
	v("{\"trait\": \"city\"}", "trait(city)", "\"上海\" \"北京\" \"广州\"")
	v("{\"distinct\": {\"event\": \"product_view\", \"prop\": \"category\", \"within\": \"30d\"}}", "agg(distinct(product_view).category within 30d)", "1 2 3")
	v("{\"max\": {\"event\": \"product_view\", \"prop\": \"price\"}}", "agg(max(product_view).price)", "100 250 400")
	v("{\"count\": {\"within\": \"7d\"}}", "agg(count() within 7d)", "1 2 4")
	v("{\"count\": {\"event\": \"order_refunded\"}}", "agg(count(order_refunded))", "1 2")
	split("gte gt lte lt", ops, " ")
	split(">= > <= <", sqlops, " ")
	printf "{\"description\": \"benchmark audiences\", \"segments\": [\n"
	for (i = 0; i < n; i++) {
		a = i % nv
		b = (a + 1 + int(i / nv)) % nv
		c = (a + 5 + int(i / 7)) % nv
		ja = cmp(a, i, 0); jb = cmp(b, i, 1); jc = cmp(c, i, 2)
		sa = sq; sa = scmp(a, i, 0); sb = scmp(b, i, 1); sc = scmp(c, i, 2)
		p = i % 4
		if (p == 0) { j = "{\"and\": [" ja ", " jb "]}"; s = "(" sa " AND " sb ")" }
		else if (p == 1) { j = "{\"or\": [" ja ", " jb "]}"; s = "(" sa " OR " sb ")" }
		else if (p == 2) { j = "{\"and\": [" ja ", " jb ", " jc "]}"; s = "(" sa " AND " sb " AND " sc ")" }
		else { j = "{\"and\": [{\"or\": [" ja ", " jb "]}, " jc "]}"; s = "((" sa " OR " sb ") AND " sc ")" }
		name = sprintf("b%03d", i)
		printf "  {\"name\": \"%s\", \"when\": %s}%s\n", name, j, i + 1 < n ? "," : ""
		print name "\t" s > sql
	}
	printf "]}\n"
}
function v(json, label, thr) {
	vj[nv] = json; vl[nv] = label; nt[nv] = split(thr, t, " ")
	for (k = 1; k <= nt[nv]; k++)
		vt[nv, k] = t[k]
	nv++
}
function pick(x, i, slot) { return vt[x, 1 + (i * 3 + slot) % nt[x]] }
function opk(x, i, slot) { return 1 + (i + slot + x) % 4 }
function cmp(x, i, slot,   k) {
	k = pick(x, i, slot)
	if (k ~ /^"/)
		return "{" substr(vj[x], 2, length(vj[x]) - 2) ", \"eq\": " k "}"
	return "{" substr(vj[x], 2, length(vj[x]) - 2) ", \"" ops[opk(x, i, slot)] "\": " k "}"
}
function scmp(x, i, slot,   k) {
	k = pick(x, i, slot)
	if (k ~ /^"/) {
		gsub(/"/, "'", k)
		return "{" vl[x] "} = " k
	}
	return "{" vl[x] "} " sqlops[opk(x, i, slot)] " " k
}
