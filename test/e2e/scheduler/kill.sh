# kill -9 in the middle of a run, rerun with --resume on the same input:
# the state (mdb_dump of the scheduler DBs) equals a clean run's, and so
# does the output (as a set: the lines after the last commit come twice,
# with the same deterministic event ids). Day ticks fire wake-ups in big
# runs that commit on the way.
gen-tagged -n 60000 -p 4000 -s 11 -g 30 > "$T/ev"
awk '{ print } NR % 6000 == 0 { match($0, /"ts":"[0-9-]*/); print "{\"type\":\"$tick\",\"ts\":\"" substr($0, RSTART + 6, 10) "T23:59:59.999Z\"}" }' "$T/ev" > "$T/in"
dump() { for d in people journal timers counts state seen offsets decisions dlog members; do mdb_dump -p -s "scheduler.$d" "$1" | grep -v "^mapsize="; done; }
scheduler --db "$T/clean" --resume --batch 3000 "$T/in" > "$T/clean.out"
: > "$T/k1.out"
scheduler --db "$T/k" --resume --batch 3000 "$T/in" >> "$T/k1.out" &
pid=$!
while kill -0 $pid 2>/dev/null && [ "$(wc -l < "$T/k1.out")" -lt 50000 ]; do sleep 0.02; done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
echo "killed after $(wc -l < "$T/k1.out") lines" >&2
sed '$ { /}$/!d }' "$T/k1.out" > "$T/k1.whole"
scheduler --db "$T/k" --resume --batch 3000 "$T/in" > "$T/k2.out"
echo "rerun exit $?"
dump "$T/clean" > "$T/clean.dump"
dump "$T/k" > "$T/k.dump"
cmp "$T/clean.dump" "$T/k.dump" && echo "state equals a clean run's"
sort -u "$T/clean.out" > "$T/a"
sort -u "$T/k1.whole" "$T/k2.out" > "$T/b"
cmp "$T/a" "$T/b" && echo "output equals a clean run's"
grep -c '"jrn:due:' "$T/a" | awk '{ print ($1 > 0 ? "wake-ups fired" : "no wake-up fired") }'
