# A year of history with no $tick: after it, every tag is its value at
# the stream's clock (the last event), not at each person's last event.
# recency_days counts the days since the last order, active_7d is false
# for people last seen weeks before, lifecycle turns dormant and churned;
# the $tag records say on which day each changed. show and export print
# the values at the clock, or at a later --at without writing anything;
# a time before the clock is refused.
cat > "$T/ev" <<'X'
{"event_id":"a1","ts":"2011-01-10T09:00:00.000Z","type":"order_paid","props":{"order_id":"A1","amount":20},"oneid":1}
{"event_id":"c1","ts":"2011-02-01T09:00:00.000Z","type":"order_paid","props":{"order_id":"C1","amount":50},"oneid":3}
{"event_id":"b1","ts":"2011-11-01T09:00:00.000Z","type":"page_view","oneid":2}
{"event_id":"a2","ts":"2011-12-09T12:50:00.000Z","type":"order_paid","props":{"order_id":"A2","amount":30},"oneid":1}
X
tagger --db "$T/db" "$T/ev" > "$T/out"; echo "exit $?"
echo "records of person 2:"
grep '"oneid":2,' "$T/out" | grep -v '"type":"page_view"' | sed 's/.*"ts":"\([^"]*\)".*"tag":"\([^"]*\)","old":\([^,]*\),"new":\(.*\)}/  \1 \2 \3 -> \4/'
echo "lifecycle of person 3: $(grep '"oneid":3,.*"tag":"lifecycle"' "$T/out" | sed 's/.*"ts":"\([0-9-]*\)T.*"old":\([^,]*\),"new":\(.*\)}/\1 \2 -> \3;/' | tr '\n' ' ')"
echo "recency_days changes of person 3: $(grep -c '"oneid":3,.*"tag":"recency_days"' "$T/out")"
fields=oneid,recency_days,active_7d,active_30d,lifecycle,last_seen
tagger --db "$T/db" export --fields $fields
echo "show 2:"
tagger --db "$T/db" show 2 | grep -o '"count() within 7d":[0-9]*\|"active_7d":[a-z]*\|"lifecycle":"[a-z]*"'
echo "show 2 --at 2011-12-10 (the next day):"
tagger --db "$T/db" show 2 --at 2011-12-10 | grep -o '"count() within 7d":[0-9]*\|"active_7d":[a-z]*\|"recency_days":[0-9a-z]*\|"lifecycle":"[a-z]*"'
mdb_dump -p -s tagger.profiles "$T/db" > "$T/p0"
tagger --db "$T/db" export --fields $fields > "$T/x0"
echo "export --at 2012-01-31:"
tagger --db "$T/db" export --fields $fields --at 2012-01-31
tagger --db "$T/db" export --fields $fields | cmp -s - "$T/x0" && echo "export after it: the same as before"
mdb_dump -p -s tagger.profiles "$T/db" | cmp -s - "$T/p0" && echo "the profiles are as they were"
tagger --db "$T/db" export --at 2011-12-01 > /dev/null; echo "export --at before the clock: $?"
tagger --db "$T/db" show 1 --at 2011-12-09T00:00:00Z > /dev/null; echo "show --at before the clock: $?"
