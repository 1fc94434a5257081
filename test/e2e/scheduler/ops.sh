# The operations: list, status (people per step and arm, entered, exits
# by reason, sends), explain (every decision for a person, with what each
# condition read, then where they stand), pause/resume (no entries while
# paused), draw --dot, dry-run (what would be sent to whom and when, from
# a scratch store; the real store is untouched).
cat > "$T/ev" <<'X'
{"event_id":"e1","ts":"2026-03-01T10:00:00.000Z","type":"sign_up","oneid":1}
{"event_id":"e2","ts":"2026-03-01T10:00:00.000Z","type":"product_view","props":{"sku":"FS-30"},"oneid":2}
{"event_id":"e3","ts":"2026-03-01T11:00:00.000Z","type":"order_paid","props":{"order_id":"o1","amount":99},"oneid":2}
{"event_id":"e4","ts":"2026-03-02T11:00:00.000Z","type":"sign_up","oneid":3}
{"event_id":"e5","ts":"2026-03-03T11:00:00.000Z","type":"order_paid","props":{"order_id":"o2","amount":19},"oneid":3}
X
scheduler --db "$T/db" "$T/ev" > /dev/null; echo "run: $?"
# a new store holds no DB of an earlier layout (scheduler.decisions,
# scheduler.log): the decision log is scheduler.dlog
echo "DBs of an earlier layout: $(mdb_stat -a "$T/db" | grep -c '^Status of scheduler\.\(decisions\|log\)$')"
scheduler --db "$T/db" list | cut -d, -f1-6
scheduler --db "$T/db" status
scheduler --db "$T/db" status welcome
scheduler --db "$T/db" explain 3
echo "explain of one journey:"
scheduler --db "$T/db" explain 2 browse_no_buy | cut -c1-160
scheduler --db "$T/db" explain 2 nope; echo "unknown journey: $?"
scheduler --db "$T/db" explain 4000000 2>&1; echo "a oneid never seen: $?"
scheduler --db "$T/db" pause welcome; echo "pause: $?"
scheduler --db "$T/db" list | grep -o '"journey":"welcome","version":"[0-9a-f]*","status":"[a-z]*"' | sed 's/"version":"[0-9a-f]*",//'
echo '{"event_id":"e6","ts":"2026-03-04T11:00:00.000Z","type":"sign_up","oneid":4}' | scheduler --db "$T/db" | grep -c '"\$journey".*"oneid":4,'
scheduler --db "$T/db" resume welcome; echo "resume: $?"
echo '{"event_id":"e7","ts":"2026-03-04T12:00:00.000Z","type":"sign_up","oneid":5}' | scheduler --db "$T/db" | grep -c '"\$journey".*"oneid":5,'
scheduler draw browse_no_buy --dot
echo "dry run:"
scheduler --db "$T/dry" dry-run "$T/ev" 2> "$T/err"; echo "exit $?"
cat "$T/err"
ls "$T/dry" 2>/dev/null | wc -l
