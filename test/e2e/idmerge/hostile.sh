# A new undeclared identifier type on each of 200k events: each is rejected
# naming its type, and counted under one reason with a few types as samples
# (a count is a hash lookup; make bench times it).
awk 'BEGIN {
	for (i = 0; i < 200000; i++)
		printf "{\"event_id\":\"e%d\",\"ts\":\"2026-10-28T00:00:00.000Z\",\"type\":\"view\",\"ids\":{\"t%d\":\"v\"}}\n", i, i
	print "{\"event_id\":\"ok\",\"ts\":\"2026-10-28T00:00:00.000Z\",\"type\":\"view\",\"ids\":{\"cookie\":\"c1\"}}"
}' > "$T/in.ndjson"
idmerge --db "$T/db" -v --rejects "$T/rej" -o "$T/out" "$T/in.ndjson" 2> "$T/err"
echo "exit $?"
grep -e ' in: ' -e 'rejected' "$T/err" | sed 's/^idmerge: *//'
echo "passed on: $(wc -l < "$T/out")"
echo "rejects by reason, the type's number as N:"
awk -F'"' '{ sub(/t[0-9]+/, "tN", $4); print $4 }' "$T/rej" | sort | uniq -c
