# Time passing changes tags with no event at all: a $tick fires the deadlines
# of the days it enters (each change stamped with the start of its day), and
# `tagger sweep --at` evaluates every profile at its clock. The day
# boundaries are exact: dormant on day 30 after the last event, not day 29.
cat > "$T/ev" <<'X'
{"event_id":"e1","ts":"2026-01-01T10:00:00.000Z","type":"order_paid","ids":{"user":"a"},"props":{"order_id":"o1","amount":100},"oneid":1}
{"event_id":"e2","ts":"2026-01-05T23:59:59.999Z","type":"page_view","ids":{"user":"b"},"oneid":2}
{"type":"$tick","ts":"2026-01-30T12:00:00.000Z"}
{"type":"$tick","ts":"2026-01-30T23:00:00.000Z"}
{"type":"$tick","ts":"2026-01-31T00:00:00.000Z"}
X
tagger --db "$T/db" "$T/ev" | grep -v '"ts":"2026-01-0' ; echo "exit $?"
cp -r "$T/db" "$T/db1"
tagger --db "$T/db" sweep --at 2026-02-04T00:00:00Z > "$T/s0"; rc=$?; cat "$T/s0"; echo "sweep: $rc"
# a sweep goes in parts (of --batch profiles at most): parts of one profile
# give the same records and the same profiles
tagger --db "$T/db1" --batch 1 sweep --at 2026-02-04T00:00:00Z > "$T/s1"; echo "in parts of one: $?"
cmp "$T/s0" "$T/s1" && echo "the same records"
mdb_dump -s tagger.profiles "$T/db" > "$T/p0"
mdb_dump -s tagger.profiles "$T/db1" > "$T/p1"
cmp "$T/p0" "$T/p1" && echo "the same profiles"
tagger --db "$T/db" sweep --at 2026-02-04T00:00:00Z; echo "again, nothing changes: $?"
tagger --db "$T/db" sweep --at 2026-06-01T00:00:00Z | grep -c lifecycle
tagger --db "$T/db" sweep --at 2026-01-01; echo "back in time: $?"
tagger --db "$T/db" export --fields oneid,lifecycle,active_30d,recency_days
