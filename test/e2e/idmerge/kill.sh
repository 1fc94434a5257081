# kill -9 in the middle of a run, rerun with --resume on the same input:
# state (mdb_dump of every idmerge DB) equals a clean run's, and so do the
# oneids in the output (as a set: lines after the last commit come twice)
gen-events -n 120000 -p 20000 -d 1 | ingest --db "$T/in.db" > "$T/ev"
dump() { for d in ids idjournal people journal log refusals blocked state offsets; do mdb_dump -p -s "idmerge.$d" "$1" | grep -v "^mapsize="; done; }
idmerge --db "$T/clean" --resume --batch 3000 "$T/ev" > "$T/clean.out"
# (the output file is there before the loop looks at it)
: > "$T/k1.out"
idmerge --db "$T/k" --resume --batch 3000 "$T/ev" >> "$T/k1.out" &
pid=$!
while kill -0 $pid 2>/dev/null && [ "$(wc -l < "$T/k1.out")" -lt 30000 ]; do sleep 0.02; done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
echo "killed after $(wc -l < "$T/k1.out") lines" >&2
# a line cut by the kill is not a record
awk 'BEGIN { RS = "\n" } { print }' "$T/k1.out" | sed '$ { /}$/!d }' > "$T/k1.whole"
idmerge --db "$T/k" --resume --batch 3000 -v "$T/ev" > "$T/k2.out" 2> "$T/k2.err"
echo "rerun exit $?"
dump "$T/clean" > "$T/clean.dump"
dump "$T/k" > "$T/k.dump"
cmp "$T/clean.dump" "$T/k.dump" && echo "state equals a clean run's"
sort -u "$T/clean.out" > "$T/a"
sort -u "$T/k1.whole" "$T/k2.out" > "$T/b"
cmp "$T/a" "$T/b" && echo "output equals a clean run's: $(wc -l < "$T/a") distinct lines"
# again with the identifier journal from the first identifier: the kill
# leaves records in it, and the rerun folds them in before it goes on
idmerge --db "$T/cleanj" --resume --batch 3000 --id-journal 0 "$T/ev" > "$T/cleanj.out"
: > "$T/kj1.out"
idmerge --db "$T/kj" --resume --batch 3000 --id-journal 0 "$T/ev" >> "$T/kj1.out" &
pid=$!
while kill -0 $pid 2>/dev/null && [ "$(wc -l < "$T/kj1.out")" -lt 30000 ]; do sleep 0.02; done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
n=$(mdb_stat -s idmerge.idjournal "$T/kj" | sed -n 's/ *Entries: //p')
[ "$n" -gt 0 ] && echo "killed with identifiers in the journal"
awk 'BEGIN { RS = "\n" } { print }' "$T/kj1.out" | sed '$ { /}$/!d }' > "$T/kj1.whole"
idmerge --db "$T/kj" --resume --batch 3000 --id-journal 0 "$T/ev" > "$T/kj2.out"
echo "rerun exit $?"
dump "$T/cleanj" > "$T/cleanj.dump"
dump "$T/kj" | cmp - "$T/cleanj.dump" && echo "state equals a clean run's"
cmp "$T/cleanj.dump" "$T/clean.dump" && echo "and a run's without the journal"
sort -u "$T/kj1.whole" "$T/kj2.out" | cmp - "$T/a" && echo "output equals a clean run's"
