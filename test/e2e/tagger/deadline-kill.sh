# kill -9 in the midst of a big day of deadlines: 30,000 people on one day,
# then one event 30 days later, whose clock fires some 90,000 deadlines
# before it, committing every --batch 500 writes. A rerun with --resume
# reads that event again and fires the rest: the state (every tagger DB,
# the deadlines included) equals a clean run's, and so do the records, as
# a set (those written after the last commit come twice, byte for byte
# the same under the same event_id).
gen-tagged -a -n 30000 -p 30000 -g 1 > "$T/in"
tail -n 1 "$T/in" | sed 's/"event_id":"[^"]*"/"event_id":"late"/; s/"oneid":[0-9]*/"oneid":1/' |
	sed "s/\"ts\":\"[^\"]*\"/\"ts\":\"$(date -u -d "$(tail -n 1 "$T/in" | sed 's/.*"ts":"\([0-9-]*\)T.*/\1/') + 30 days" +%F)T12:00:00.000Z\"/" >> "$T/in"
dump() { for d in profiles journal dict facts state seen offsets due; do mdb_dump -p -s "tagger.$d" "$1" | grep -v "^mapsize="; done; }
tagger --db "$T/clean" --resume --batch 500 "$T/in" > "$T/clean.out"
echo "clean run: $(grep -c '"tag:due:' "$T/clean.out" | awk '{ print ($1 > 100000 ? "over 100,000" : $1) }') deadline records"
: > "$T/k1.out"
tagger --db "$T/k" --resume --batch 500 "$T/in" >> "$T/k1.out" &
pid=$!
while kill -0 $pid 2>/dev/null && [ "$(grep -c '"tag:due:' "$T/k1.out")" -lt 3000 ]; do sleep 0.01; done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
sed '$ { /}$/!d }' "$T/k1.out" > "$T/k1.whole"
echo "killed amid the deadlines: $(tail -n 1 "$T/k1.whole" | grep -c '"tag:due:')"
tagger --db "$T/k" --resume --batch 500 "$T/in" > "$T/k2.out"
echo "rerun exit $?, it starts with deadlines: $(head -n 1 "$T/k2.out" | grep -c '"tag:due:')"
dump "$T/clean" > "$T/clean.dump"
dump "$T/k" > "$T/k.dump"
cmp "$T/clean.dump" "$T/k.dump" && echo "state equals a clean run's"
sort -u "$T/clean.out" > "$T/a"
sort -u "$T/k1.whole" "$T/k2.out" > "$T/b"
cmp "$T/a" "$T/b" && echo "records equal a clean run's"
sed 's/.*"event_id":"\([^"]*\)".*/\1/' "$T/b" | sort | uniq -d | wc -l | sed 's/^/event_ids with two different records: /'
