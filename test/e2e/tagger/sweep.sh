# Time passing changes tags with no event at all: a $tick that starts a new
# UTC day sweeps every profile, and so does 'tagger sweep --at'. The day
# boundaries are exact: dormant on day 30 after the last event, not day 29.
cat > "$T/ev" <<'X'
{"event_id":"e1","ts":"2026-01-01T10:00:00.000Z","type":"order_paid","ids":{"user":"a"},"props":{"order_id":"o1","amount":100},"oneid":1}
{"event_id":"e2","ts":"2026-01-05T23:59:59.999Z","type":"page_view","ids":{"user":"b"},"oneid":2}
{"type":"$tick","ts":"2026-01-30T12:00:00.000Z"}
{"type":"$tick","ts":"2026-01-30T23:00:00.000Z"}
{"type":"$tick","ts":"2026-01-31T00:00:00.000Z"}
X
tagger --db "$T/db" "$T/ev" | grep -v '"ts":"2026-01-0' ; echo "exit $?"
tagger --db "$T/db" sweep --at 2026-02-04T00:00:00Z; echo "sweep: $?"
tagger --db "$T/db" sweep --at 2026-02-04T00:00:00Z; echo "again, nothing changes: $?"
tagger --db "$T/db" sweep --at 2026-06-01T00:00:00Z | grep -c lifecycle
tagger --db "$T/db" sweep --at 2026-01-01; echo "back in time: $?"
tagger --db "$T/db" export --fields oneid,lifecycle,active_30d,recency_days
