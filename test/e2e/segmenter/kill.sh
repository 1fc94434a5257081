# kill -9 in the middle of a run, rerun with --resume on the same input:
# state (mdb_dump of every segmenter DB) equals a clean run's, and so does
# the output (as a set: lines after the last commit come twice, with the
# same deterministic event ids). Day ticks in the input fire deadlines.
gen-tagged -n 40000 -p 3000 -s 7 -g 40 > "$T/ev"
awk '{ print } NR % 8000 == 0 { match($0, /"ts":"[0-9-]*/); print "{\"type\":\"$tick\",\"ts\":\"" substr($0, RSTART + 6, 10) "T23:59:59.999Z\"}" }' "$T/ev" > "$T/in"
tagger --db "$T/tags" --nosync "$T/in" > "$T/tagged"
dump() { for d in people journal members due cols texts dict defs state seen offsets; do mdb_dump -p -s "segmenter.$d" "$1" | grep -v "^mapsize="; done; }
segmenter --db "$T/clean" --resume --batch 3000 "$T/tagged" > "$T/clean.out"
: > "$T/k1.out"
: > "$T/k1.out"
segmenter --db "$T/k" --resume --batch 3000 "$T/tagged" >> "$T/k1.out" &
pid=$!
while kill -0 $pid 2>/dev/null && [ "$(wc -l < "$T/k1.out")" -lt 60000 ]; do sleep 0.02; done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
echo "killed after $(wc -l < "$T/k1.out") lines" >&2
sed '$ { /}$/!d }' "$T/k1.out" > "$T/k1.whole"
segmenter --db "$T/k" --resume --batch 3000 "$T/tagged" > "$T/k2.out"
echo "rerun exit $?"
dump "$T/clean" > "$T/clean.dump"
dump "$T/k" > "$T/k.dump"
cmp "$T/clean.dump" "$T/k.dump" && echo "state equals a clean run's"
sort -u "$T/clean.out" > "$T/a"
sort -u "$T/k1.whole" "$T/k2.out" > "$T/b"
cmp "$T/a" "$T/b" && echo "output equals a clean run's"
grep -c '"seg:due:' "$T/a" | awk '{ print ($1 > 0 ? "deadlines fired" : "no deadline fired") }'
