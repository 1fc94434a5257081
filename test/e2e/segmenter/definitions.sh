# A segment definition with an error is refused with the file, the path
# inside it and the reason (exit 78), and nothing is written; a changed
# definition is brought up to date (enter/exit) before the stream goes on.
mkdir -p "$T/segs"
cp "$UOPS_PIPELINES"/segments/*.json "$T/segs/"
echo '{"event_id":"e1","ts":"2026-01-01T10:00:00.000Z","type":"order_paid","props":{"order_id":"o1","amount":100},"oneid":1}' > "$T/ev"
try() {
	printf '%s\n' "$1" > "$T/segs/99-bad.json"
	segmenter --db "$T/db" --segments "$T/segs" "$T/ev" 2> "$T/err" >/dev/null; echo "exit $?"
	sed "s|$T/||g" "$T/err"
}
set +e
try '{"segments": [{"name": "x", "when": {"count": {"event": "order_paid", "within": "7h"}, "gte": 1}}]}'
try '{"segments": [{"name": "x", "when": {"segment": "y"}}, {"name": "y", "when": true}]}'
try '{"segments": [{"name": "x", "when": {"segment": "x"}}]}'
try '{"segments": [{"name": "vip", "when": true}]}'
try '{"segments": [{"name": "x"}]}'
try '{"segments": [{"name": "x", "when": true, "static": true}]}'
try '{"segments": [{"name": "x", "static": 1}]}'
try '{"segments": [{"name": "Big spenders", "when": true}]}'
try '{"segments": [{"name": "x", "when": {"tag": "Not A Tag"}}]}'
try '{"segments": [{"name": "x", "when": {"trait": "gender", "eq": "f", "gt": 1}}]}'
try '{"segments": [{"name": "x", "when": {"jq": ".events >"}}]}'
try '{"segments": [{"name": "x", "when": {"agg": "nope", "gt": 1}}]}'
try '{"segments": [{"name": "x", "when": {"prop": "amount", "gt": 1}}]}'
try '{"segments": [{"name": "x", "when": true, "colour": "red"}]}'
try '{"segments": {"name": "x"}}'
try '{"segments": [oops]}'
rm "$T/segs/99-bad.json"
echo "people written: $(mdb_dump -s segmenter.people "$T/db" 2>/dev/null | grep -c '^ ')"
segmenter --db "$T/db" --segments "$T/segs" "$T/ev" > /dev/null; echo "good definitions: $?"
echo "a definition changes: the next run brings its audience up to date first"
sed 's/"high_order_amount": 300/"high_order_amount": 50/' "$UOPS_PIPELINES/segments/10-seeds.json" > "$T/segs/10-seeds.json"
segmenter --db "$T/db" --segments "$T/segs" list | grep -o '"segment":"last_order_over_300".*"stale":true'
: > "$T/none"
segmenter --db "$T/db" --segments "$T/segs" "$T/none"; echo "exit $?"
segmenter --db "$T/db" --segments "$T/segs" count last_order_over_300
