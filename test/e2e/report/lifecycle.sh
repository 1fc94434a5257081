# report lifecycle on hand-made records, every stage worked out by hand
# with the shipped tag's params (new 30 days, dormant 30, churned 90,
# mature at 3 orders), by month, the last month seen up to the stream's
# end (2026-05-25):
#   person 1: first 01-01; orders A 01-05, B 02-10, C 02-20
#     Jan growing (30 days since first, 1 order), Feb mature (3 orders),
#     Mar dormant (39 days idle), Apr dormant (69), May churned (94)
#   person 2: 03-10, then 05-25
#     Mar new (21 days), Apr dormant (51 idle), May growing (0 orders)
#   person 3: order X 01-20, X again 01-21 (one order), an order without
#     an id 01-22
#     Jan new, Feb dormant (37 idle), Mar dormant (68), Apr churned (99),
#     May churned
set -u
cd "$T" || exit 1
cat > in.ndjson <<'X'
{"type":"view","ts":"2026-01-01T08:00:00Z","oneid":1}
{"type":"order_paid","ts":"2026-01-05T08:00:00Z","oneid":1,"props":{"order_id":"A","amount":10}}
{"type":"order_paid","ts":"2026-01-20T08:00:00Z","oneid":3,"props":{"order_id":"X","amount":10}}
{"type":"order_paid","ts":"2026-01-21T08:00:00Z","oneid":3,"props":{"order_id":"X","amount":10}}
{"type":"order_paid","ts":"2026-01-22T08:00:00Z","oneid":3,"props":{"amount":10}}
{"type":"$tag","ts":"2026-01-22T08:00:00Z","oneid":3,"tag":"lifecycle","old":null,"new":"new"}
{"type":"order_paid","ts":"2026-02-10T08:00:00Z","oneid":1,"props":{"order_id":"B","amount":10}}
{"type":"order_paid","ts":"2026-02-20T08:00:00Z","oneid":1,"props":{"order_id":"C","amount":10}}
{"type":"view","ts":"2026-03-10T08:00:00Z","oneid":2}
{"type":"$tick","ts":"2026-04-01T00:00:00Z"}
{"type":"view","ts":"2026-05-25T08:00:00Z","oneid":2}
X
report lifecycle in.ndjson > out; echo "exit $?"
grep -v '"people":0' out
echo "--- by week, as CSV, the last rows"
report lifecycle --by week --format csv in.ndjson > out; echo "exit $?"
tail -4 out
echo "--- no lifecycle tag definition"
mkdir -p empty
report lifecycle --pipelines empty --config "$UOPS_PIPELINES/report.json" in.ndjson > out 2>&1; echo "exit $?"
sed "s|$T|T|" out
