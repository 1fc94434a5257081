# A definition with an error is refused with the file, the path inside it
# and the reason (exit 78), and nothing is written.
mkdir -p "$T/tags"
cp "$UOPS_PIPELINES"/tags/*.json "$T/tags/"
echo '{"event_id":"e1","ts":"2026-01-01T10:00:00.000Z","type":"order_paid","ids":{"user":"a"},"props":{"order_id":"o1","amount":100},"oneid":1}' > "$T/ev"
try() {
	printf '%s\n' "$1" > "$T/tags/99-bad.json"
	tagger --db "$T/db" --tags "$T/tags" "$T/ev" 2> "$T/err" >/dev/null; echo "exit $?"
	sed "s|$T/||g" "$T/err"
}
set +e
try '{"tags": [{"name": "x", "type": "bool", "when": {"count": {"event": "order_paid", "within": "7h"}, "gte": 1}}]}'
try '{"tags": [{"name": "x", "type": "bool", "when": {"trait": "gender", "eq": "f", "gt": 1}}]}'
try '{"tags": [{"name": "x", "type": "enum", "values": ["a"], "cases": [{"when": true, "value": "b"}]}]}'
try '{"tags": [{"name": "lifecycle", "type": "bool", "when": true}]}'
try '{"tags": [{"name": "x", "type": "bool", "when": {"tag": "y"}}, {"name": "y", "type": "bool", "when": true}]}'
try '{"tags": [{"name": "x", "type": "bool", "when": {"sum": {"event": "order_paid"}, "gt": 1}}]}'
try '{"tags": [{"name": "x", "type": "bool", "when": {"prop": "amount", "gt": 1}}]}'
try '{"tags": [{"name": "x", "type": "bool", "when": {"jq": ".events >"}}]}'
try '{"tags": [{"name": "x", "type": "bool", "when": {"agg": "nope", "gt": 1}}]}'
try '{"tags": [{"name": "x", "type": "number", "value": {"param": "p"}}]}'
try '{"tags": [{"name": "x", "type": "bool", "when": {"segment": "s"}}]}'
try '{"tags": [{"name": "x", "type": "number", "rank": {"of": {"agg": "monetary"}, "n": 1}}]}'
try '{"tags": [{"name": "X", "type": "bool", "when": true}]}'
try '{"tags": [{"name": "x", "type": "bool", "when": true, "colour": "red"}]}'
try '{"tags": [oops]}'
try '{"tags": [{"name": "x", "type": "number", "value": {"median_gap": "monetary"}}]}'
try '{"aggregates": {"m2": {"fn": "sum", "event": ["order_refunded", "order_paid"], "prop": "amount"}}}'
rm "$T/tags/99-bad.json"
echo "profiles written: $(mdb_dump -s tagger.profiles "$T/db" 2>/dev/null | grep -c '^ ')"
# the jq escape hatch and a where filter on props
printf '%s\n' '{"params": {"big": 50}, "tags": [{"name": "jq_many", "type": "bool", "when": {"jq": ".events >= 1 and .traits == {}"}},
 {"name": "big_orders", "type": "number", "value": {"count": {"event": "order_paid", "where": {"prop": "amount", "gt": {"param": "big"}}}}}]}' > "$T/tags/99-good.json"
tagger --db "$T/db" --tags "$T/tags" "$T/ev" | grep -E 'jq_many|big_orders'
