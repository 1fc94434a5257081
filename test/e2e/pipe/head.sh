# `… | head`: every stage of the pipe ends quietly (141, as when a process
# is ended by SIGPIPE; nothing on stderr) and commits nothing whose output
# it could not write: a rerun of the same input with --resume leaves the
# state a clean run leaves.
gen-events -n 20000 -p 3000 -s 4 > "$T/raw"
{ ingest --db "$T/p" "$T/raw" 2> "$T/e1"; echo "ingest: exit $?" > "$T/x1"; } |
	{ idmerge --db "$T/p" 2> "$T/e2"; echo "idmerge: exit $?" > "$T/x2"; } |
	{ tagger --db "$T/p" 2> "$T/e3"; echo "tagger: exit $?" > "$T/x3"; } | head -3 > /dev/null
cat "$T/x1" "$T/x2" "$T/x3"
cat "$T/e1" "$T/e2" "$T/e3" | wc -c | sed 's/^/bytes on stderr: /'
# one stage, then a rerun
ingest -q --db "$T/in" "$T/raw" | idmerge -q --db "$T/in" > "$T/ev"
{ tagger --db "$T/k" --resume --batch 500 "$T/ev" 2> "$T/e4"; echo "tagger --resume: exit $?" > "$T/x4"; } | head -1 > /dev/null
cat "$T/x4"
wc -c < "$T/e4" | sed 's/^/bytes on stderr: /'
tagger --db "$T/k" --resume --batch 500 "$T/ev" > /dev/null; echo "rerun: exit $?"
tagger -q --db "$T/clean" --batch 500 "$T/ev" > /dev/null
dbdump -x .offsets "$T/clean" > "$T/clean.dump"
dbdump -x .offsets "$T/k" > "$T/k.dump"
cmp "$T/clean.dump" "$T/k.dump" && echo "after a rerun the state equals a clean run's"
