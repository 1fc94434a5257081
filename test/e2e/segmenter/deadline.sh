# Windows and absence flip exactly when the day they pass begins, with no
# event for the person: deadlines kept in LMDB, fired by the stream clock
# ($tick or any later record), stamped with the start of their day, in
# order, however late the clock arrives.
mkdir "$T/segs"
cat > "$T/segs/s.json" <<'X'
{"segments": [
  {"name": "buyer_30d", "when": {"count": {"event": "order_paid", "within": "30d"}, "gte": 1}},
  {"name": "quiet_10d", "when": {"days_since": "last_seen", "gte": 10}},
  {"name": "quiet_buyer", "when": {"and": [{"segment": "buyer_30d"}, {"segment": "quiet_10d"}]}},
  {"name": "spent_2d", "when": {"sum": {"event": "order_paid", "prop": "amount", "within": "2d"}, "gt": 50}},
  {"name": "new_3d", "when": {"days_since": "first_seen", "lt": 3}}
]}
X
cat > "$T/ev" <<'X'
{"event_id":"e1","ts":"2026-01-01T10:00:00.000Z","type":"order_paid","props":{"amount":100},"oneid":1}
{"event_id":"e2","ts":"2026-01-02T23:59:59.999Z","type":"page_view","oneid":2}
{"type":"$tick","ts":"2026-01-02T23:59:59.999Z"}
{"type":"$tick","ts":"2026-01-03T00:00:00.000Z"}
{"type":"$tick","ts":"2026-01-10T23:59:59.999Z"}
{"type":"$tick","ts":"2026-01-11T00:00:00.000Z"}
{"event_id":"e3","ts":"2026-01-20T08:00:00.000Z","type":"page_view","oneid":2}
{"type":"$tick","ts":"2026-01-30T23:59:59.999Z"}
{"type":"$tick","ts":"2026-02-09T12:00:00.000Z"}
X
segmenter --db "$T/db" --segments "$T/segs" "$T/ev" | grep -v '"ts":"2026-01-0[12]T[01]'; echo "exit $?"
echo "a full evaluation agrees:"
segmenter --db "$T/db" --segments "$T/segs" recompute --rebuild; echo "exit $?"
echo "recompute --at fires what is due first:"
segmenter --db "$T/db" --segments "$T/segs" recompute --at 2026-03-01T00:00:00Z | cut -c1-120
segmenter --db "$T/db" --segments "$T/segs" recompute --at 2026-01-01; echo "back in time: $?"
segmenter --db "$T/db" --segments "$T/segs" explain 2 quiet_10d
