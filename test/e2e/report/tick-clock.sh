# The stream's clock is its events' ts advanced by $tick (the day after
# the data, as make demo and the README's pipe append): lifecycle's last
# period ends there and rfm's recency counts to it, as tagger counts on
# the same stream. Person 1's last event is on 2026-01-10, the tick on
# 2026-02-09, 30 whole days later: dormant (30 days) at the tick, growing
# at the last event.
cd "$T" || exit 1
cat > in.ndjson <<'X'
{"type":"view","ts":"2025-11-01T08:00:00Z","oneid":1}
{"type":"order_paid","ts":"2026-01-10T08:00:00Z","oneid":1,"props":{"order_id":"A","amount":10}}
{"type":"view","ts":"2026-01-12T08:00:00Z","oneid":2}
X
echo "without the tick:"
report lifecycle in.ndjson | grep '"lifecycle"' | grep -v '"people":0' | grep '2026-0[12]'
report rfm in.ndjson | grep '"rfm_cuts","score":"r"'
echo '{"type":"$tick","ts":"2026-02-09T00:00:00Z"}' >> in.ndjson
echo "with a tick on 2026-02-09:"
report lifecycle in.ndjson | grep '"lifecycle"' | grep -v '"people":0' | grep '2026-0[12]'
report rfm in.ndjson | grep '"rfm_cuts","score":"r"'
