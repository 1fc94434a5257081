# kill -9 in the middle of a run, rerun with --resume on the same input:
# state (mdb_dump of every tagger DB) equals a clean run's, and so does the
# output (as a set: lines after the last commit come twice, with the same
# deterministic event ids)
gen-events -n 60000 -p 8000 -d 20 | ingest --db "$T/in.db" | idmerge --db "$T/in.db" > "$T/ev"
# a day tick in the middle moves the clock (deadline-kill.sh kills amid
# a day of deadlines)
n=$(wc -l < "$T/ev")
head -n $((n / 2)) "$T/ev" > "$T/in"
tail -1 "$T/in" | sed 's/.*"ts":"\([0-9-]*\)T.*/{"type":"$tick","ts":"\1T23:59:59.999Z"}/' >> "$T/in"
tail -n +$((n / 2 + 1)) "$T/ev" >> "$T/in"
dump() { for d in profiles journal dict facts state seen offsets due; do mdb_dump -p -s "tagger.$d" "$1" | grep -v "^mapsize="; done; }
tagger --db "$T/clean" --resume --batch 2000 "$T/in" > "$T/clean.out"
: > "$T/k1.out"
: > "$T/k1.out"
tagger --db "$T/k" --resume --batch 2000 "$T/in" >> "$T/k1.out" &
pid=$!
while kill -0 $pid 2>/dev/null && [ "$(wc -l < "$T/k1.out")" -lt 40000 ]; do sleep 0.02; done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
echo "killed after $(wc -l < "$T/k1.out") lines" >&2
sed '$ { /}$/!d }' "$T/k1.out" > "$T/k1.whole"
tagger --db "$T/k" --resume --batch 2000 "$T/in" > "$T/k2.out"
echo "rerun exit $?"
dump "$T/clean" > "$T/clean.dump"
dump "$T/k" > "$T/k.dump"
cmp "$T/clean.dump" "$T/k.dump" && echo "state equals a clean run's"
sort -u "$T/clean.out" > "$T/a"
sort -u "$T/k1.whole" "$T/k2.out" > "$T/b"
cmp "$T/a" "$T/b" && echo "output equals a clean run's"
