# The schedule trigger: a recurring local time for everyone in a segment at
# that moment, as the $segment records read so far say. Every week on
# Monday 10:00 Shanghai (02:00 UTC), every month on the 31st (a shorter
# month: its last day), every day at 20:00 London (across the change to
# summer time). An occurrence fires when the stream's clock passes it,
# before the record that moved the clock, stamped with its own time, in
# oneid order; people who left the segment are not entered; re-entry
# rules and the cap hold. A big segment enters in committed steps: with
# a batch of 2 the records and the state are the same. Definitions with
# an error are refused (exit 78) with the file, the path and the reason.
mkdir -p "$T/j"
cat > "$T/j/weekly.json" <<'X'
{"name": "weekly", "trigger": {"schedule": {"every": "week", "on": "mon", "at": "10:00", "tz": "Asia/Shanghai"}, "segment": "vip"},
 "reentry": "always", "steps": [{"id": "letter", "send": {"channel": "email", "template": "vip_weekly"}}]}
X
cat > "$T/j/monthly.json" <<'X'
{"name": "monthly", "tz": "UTC", "trigger": {"schedule": {"every": "month", "on": 31, "at": "09:00"}, "segment": "vip"},
 "reentry": "never", "steps": [{"id": "gift", "send": {"channel": "sms", "template": "vip_gift"}}]}
X
cat > "$T/j/daily.json" <<'X'
{"name": "daily", "trigger": {"schedule": {"every": "day", "at": "20:00", "tz": "Europe/London"}, "segment": "uploaded"},
 "reentry": "always", "cap": 1,
 "steps": [{"id": "ping", "send": {"channel": "app_push", "template": "daily"}}, {"id": "rest", "wait": "2h"}]}
X
seg() { echo "{\"type\":\"\$segment\",\"event_id\":\"s$1\",\"ts\":\"$2\",\"oneid\":$3,\"segment\":\"$4\",\"op\":\"$5\"}"; }
{
	seg 1 2026-02-25T00:00:00.000Z 3 vip enter
	seg 2 2026-02-25T00:00:01.000Z 1 vip enter
	seg 3 2026-02-25T00:00:02.000Z 2 vip enter
	seg 4 2026-02-25T00:00:03.000Z 7 uploaded enter
	seg 5 2026-02-25T00:00:04.000Z 8 uploaded enter
	seg 8 2026-03-01T00:00:00.000Z 7 uploaded exit
	seg 9 2026-03-01T00:00:01.000Z 8 uploaded exit
	echo '{"event_id":"e1","ts":"2026-03-02T05:00:00.000Z","type":"product_view","oneid":4}'
	seg 6 2026-03-03T00:00:00.000Z 2 vip exit
	echo '{"type":"$tick","ts":"2026-03-10T00:00:00.000Z"}'
	seg 7 2026-03-20T00:00:00.000Z 5 vip enter
	seg 10 2026-03-28T00:00:00.000Z 7 uploaded enter
	seg 11 2026-03-30T00:00:00.000Z 7 uploaded exit
	echo '{"type":"$tick","ts":"2026-04-01T00:00:00.000Z"}'
} > "$T/ev"
scheduler --db "$T/db" --journeys "$T/j" "$T/ev" > "$T/out"; echo "exit $?"
# the entries, sends and exits: time, oneid, journey, op or step (the
# input lines and the steps aside)
grep -v '"event_id":"s[0-9]\|"\$tick"\|"event_id":"e1"' "$T/out" |
	sed 's/.*"ts":"\([^"]*\)","oneid":\([0-9]*\),"journey":"\([a-z]*\)".*"op":"\([a-z]*\)".*/\1 \2 \3 \4/;
	     s/.*"send_id".*"ts":"\([^"]*\)","oneid":\([0-9]*\),"journey":"\([a-z]*\)".*"step":"\([a-z]*\)".*/\1 \2 \3 send \4/' |
	grep -v ' step$' > "$T/dec"
cat "$T/dec"
echo "records before the product_view that moved the clock past the first Monday: $(sed -n '/"event_id":"e1"/q;/2026-03-02T02:00/p' "$T/out" | wc -l)"
grep -o '"event_id":"[^"]*"' "$T/out" | sort | uniq -d | wc -l | sed 's/^/event_ids written twice: /'
scheduler --db "$T/db" --journeys "$T/j" list | grep -o '"trigger":"[^"]*"'
scheduler --db "$T/db" --journeys "$T/j" status
mdb_dump -p -s scheduler.members "$T/db" | grep -c '^ vip:0\|^ uploaded:0' | sed 's/^/member bitmaps: /'

# a segment of 3000 entered in committed steps: the same records and state
awk 'BEGIN { for (i = 1; i <= 3000; i++) printf "{\"type\":\"$segment\",\"event_id\":\"m%d\",\"ts\":\"2026-02-25T00:00:00.000Z\",\"oneid\":%d,\"segment\":\"vip\",\"op\":\"enter\"}\n", i, i * 7 }' > "$T/big"
echo '{"type":"$tick","ts":"2026-03-03T00:00:00.000Z"}' >> "$T/big"
scheduler --db "$T/b1" --journeys "$T/j" --nosync "$T/big" > "$T/big1"
scheduler --db "$T/b2" --journeys "$T/j" --nosync --batch 2 -v "$T/big" > "$T/big2" 2> "$T/err2"
cmp -s "$T/big1" "$T/big2" && echo "batch 2: the same records ($(grep -c '"\$send"' "$T/big1") sends)"
dump() { for d in people timers counts state members; do mdb_dump -p -s "scheduler.$d" "$1" | grep -v '^mapsize='; done; }
dump "$T/b1" > "$T/d1"; dump "$T/b2" > "$T/d2"
cmp -s "$T/d1" "$T/d2" && echo "batch 2: the same state"
grep -o 'commits [0-9]*' "$T/err2" | awk '{ print ($2 > 100 ? "batch 2: committed in steps" : "batch 2: few commits: " $2) }'

# killed with -9 in the midst of the occurrence and run again (--resume):
# it goes on from the last commit, the same records (as a set, the lines
# after the commit twice, the same bytes) and the same state
: > "$T/k1"
scheduler --db "$T/k" --journeys "$T/j" --resume --batch 50 "$T/big" >> "$T/k1" &
pid=$!
while kill -0 $pid 2>/dev/null && [ "$(wc -l < "$T/k1")" -lt 9000 ]; do sleep 0.01; done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
sed '$ { /}$/!d }' "$T/k1" > "$T/k1.whole"
scheduler --db "$T/k" --journeys "$T/j" --resume --batch 50 "$T/big" > "$T/k2"; echo "rerun exit $?"
sort -u "$T/k1.whole" "$T/k2" > "$T/k.set"
sort -u "$T/big1" > "$T/big1.set"
cmp -s "$T/k.set" "$T/big1.set" && echo "killed and rerun: the records of a clean run"
grep -o '"event_id":"[^"]*"' "$T/k.set" | sort | uniq -d | wc -l | sed 's/^/event_ids written with other bytes: /'
dump "$T/k" > "$T/dk"
cmp -s "$T/d1" "$T/dk" && echo "killed and rerun: the state of a clean run"

# definitions with an error
try() {
	printf '%s\n' "$1" > "$T/j/zz-bad.json"
	scheduler --db "$T/bad" --journeys "$T/j" "$T/ev" 2> "$T/err" >/dev/null; echo "exit $?"
	sed "s|$T/||g" "$T/err"
}
steps='"steps": [{"id": "a", "exit": true}]'
try '{"name": "x", "trigger": {"schedule": {"every": "hour"}, "segment": "vip"}, '"$steps"'}'
try '{"name": "x", "trigger": {"schedule": {"every": "week"}, "segment": "vip"}, '"$steps"'}'
try '{"name": "x", "trigger": {"schedule": {"every": "week", "on": "monday", "at": "25:00"}, "segment": "vip"}, '"$steps"'}'
try '{"name": "x", "trigger": {"schedule": {"every": "month", "on": 32}, "segment": "vip"}, '"$steps"'}'
try '{"name": "x", "trigger": {"schedule": {"every": "day", "on": "mon"}, "segment": "vip"}, '"$steps"'}'
try '{"name": "x", "trigger": {"schedule": {"every": "day", "tz": "Mars/Base"}, "segment": "vip"}, '"$steps"'}'
try '{"name": "x", "trigger": {"schedule": {"every": "day"}}, '"$steps"'}'
try '{"name": "x", "trigger": {"schedule": {"every": "day"}, "segment": "no_such_segment"}, '"$steps"'}'
try '{"name": "x", "trigger": {"schedule": {"every": "day"}, "segment": "vip", "op": "enter"}, '"$steps"'}'
try '{"name": "x", "trigger": {"schedule": {"every": "day", "hour": 3}, "segment": "vip"}, '"$steps"'}'
rm "$T/j/zz-bad.json"
