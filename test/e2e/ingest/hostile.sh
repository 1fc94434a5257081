# Hostile input costs a bounded amount per record (make bench times it):
# 200k lines each with a new bad identifier type are counted under one
# reason with a few types as samples, and a line with 80k repeats of one
# type is rejected at the second (a key twice in an object is read two ways
# by different readers), at no cost for the other 79,998.
awk 'BEGIN {
	for (i = 0; i < 200000; i++)
		printf "{\"ts\":\"2026-10-28T00:00:00Z\",\"type\":\"view\",\"ids\":{\"Bad%d\":\"v\"%s}}\n",
			i, i % 2 ? "" : ",\"cookie\":\"c" i "\""
}' > "$T/types.ndjson"
ingest --db "$T/db" --nosync -v --rejects "$T/rej" -o "$T/out" "$T/types.ndjson" 2> "$T/err"
echo "exit $?"
grep -v 'records/s' "$T/err" | sed 's/^ingest: *//'
# (the first key of each is event_id, of each reject error: field 4 by '"')
echo "passed on: $(wc -l < "$T/out"), distinct event ids: $(awk -F'"' '{ print $4 }' "$T/out" | sort -u | wc -l)"
echo "rejects by reason, the type's number as N:"
awk -F'"' '{ sub(/Bad[0-9]+/, "BadN", $4); print $4 }' "$T/rej" | sort | uniq -c

awk 'BEGIN {
	printf "{\"ts\":\"2026-10-28T00:00:00Z\",\"type\":\"view\",\"ids\":{\"a\":\"first\""
	for (i = 1; i < 80000; i++)
		printf ",\"a\":\"b\""
	print "}}"
}' > "$T/repeats.ndjson"
echo "one line of $(wc -c < "$T/repeats.ndjson") bytes, 80000 times the type a:"
ingest --db "$T/db" --nosync -v "$T/repeats.ndjson" 2> "$T/err"
echo "exit $?"
grep -v 'records/s' "$T/err" | sed 's/^ingest: *//'
