# an event_id already ingested within the window is a duplicate; keys older
# than the window (of event time) are pruned
printf '%s\n' \
  '{"event_id":"e1","type":"a","ts":"2026-10-01T00:00:00Z","ids":{"user":"u1"}}' \
  '{"event_id":"e2","type":"a","ts":"2026-10-01T00:00:01Z","ids":{"user":"u1"}}' \
  '{"event_id":"e1","type":"a","ts":"2026-10-01T00:00:00Z","ids":{"user":"u1"}}' > "$T/day1"
printf '%s\n' \
  '{"event_id":"e9","type":"a","ts":"2026-10-05T00:00:00Z","ids":{"user":"u1"}}' > "$T/day5"
echo "first run:"
ingest --db "$T/db" --window 2d -v "$T/day1" 2>&1 >/dev/null | grep ' in: '
echo "rerun, all duplicates:"
ingest --db "$T/db" --window 2d -v "$T/day1" 2>&1 >/dev/null | grep ' in: '
echo "seen keys: $(mdb_stat -s ingest.seen "$T/db" | sed -n 's/ *Entries: //p')"
echo "day 5 moves the window past day 1:"
ingest --db "$T/db" --window 2d -v "$T/day5" 2>&1 >/dev/null | grep ' in: '
echo "seen keys: $(mdb_stat -s ingest.seen "$T/db" | sed -n 's/ *Entries: //p')"
echo "day 1 again, now outside the window:"
ingest --db "$T/db" --window 2d -v "$T/day1" 2>&1 >/dev/null | grep ' in: '
echo "derived ids are stable: $(ingest --db "$T/db2" --no-dedupe "$T/day1" | md5sum | cut -c1-8) $(ingest --db "$T/db3" --no-dedupe "$T/day1" | md5sum | cut -c1-8)"
echo "each source keeps its own window: a backfill of old events beside live ones"
printf '%s\n' '{"event_id":"old1","source":"backfill","type":"a","ts":"2010-12-01T00:00:00Z","ids":{"user":"u1"}}' > "$T/old"
printf '%s\n' '{"event_id":"new1","source":"live","type":"a","ts":"2026-12-01T00:00:00Z","ids":{"user":"u1"}}' > "$T/new"
ingest --db "$T/db5" --window 2d "$T/old" > /dev/null
ingest --db "$T/db5" --window 2d "$T/new" > /dev/null
ingest --db "$T/db5" --window 2d -v "$T/old" 2>&1 >/dev/null | grep ' in: '
