# Ctrl-C on a whole pipe: SIGINT reaches every stage at once. The first
# stage, reading a file, ends at the record it is on, commits and closes its
# output; every later stage reads its pipe on until the stage before it has
# closed it (ctrl-c-six: the same for six stages, whatever the grace), so
# each commits all it was given and
# exits 0: none ends with 141 on a reader gone, nothing written is lost.
# A rerun then leaves the state and output of a clean run.
gen-events -n 300000 -p 30000 -s 3 > "$T/raw"
# a grace of 5 s, not 800 ms: ingest reads a file, and on a busy machine
# its last commit can wait longer for the write lock (it then gives up
# with 75)
UOPS_STOP_GRACE_MS=5000
export UOPS_STOP_GRACE_MS
cat > "$T/run.sh" <<EOF
{ trap '' INT; ingest -q --db "$T/p" "$T/raw"; echo "ingest: exit \$?" > "$T/x1"; } |
	{ trap '' INT; idmerge -q --db "$T/p"; echo "idmerge: exit \$?" > "$T/x2"; } |
	{ trap '' INT; tagger -q --db "$T/p"; echo "tagger: exit \$?" > "$T/x3"; } |
	{ trap '' INT; segmenter -q --db "$T/p" > "$T/out1"; echo "segmenter: exit \$?" > "$T/x4"; }
EOF
# a session of its own with SIGINT as a terminal delivers it (a job started
# with & ignores it)
python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp("sh", ["sh", sys.argv[1]])' "$T/run.sh" 2> "$T/err" &
pg=$!
i=0
while [ $i -lt 1200 ] && [ "$(cat "$T/out1" 2>/dev/null | wc -l)" -lt 3000 ]; do
	sleep 0.05
	i=$((i + 1))
done
python3 -c 'import os, signal, sys; os.killpg(int(sys.argv[1]), signal.SIGINT)' $pg
wait $pg
i=0
while [ $i -lt 200 ] && [ "$(cat "$T"/x? 2>/dev/null | wc -l)" -lt 4 ]; do
	sleep 0.05
	i=$((i + 1))
done
cat "$T/x1" "$T/x2" "$T/x3" "$T/x4"
cat "$T/err"
# the rest, then a clean run: ingest finds what it had done as duplicates
# the rest, then a clean run
ingest -v --db "$T/p" "$T/raw" 2> "$T/e2" | idmerge -q --db "$T/p" | tagger -q --db "$T/p" |
	segmenter -q --db "$T/p" > "$T/out2"
sed -n 's/.* \([0-9]*\) duplicate.*/\1/p' "$T/e2" > "$T/dups"
[ "$(cat "$T/dups")" -gt 0 ] && [ "$(cat "$T/dups")" -lt 300000 ] && echo "stopped before the end of the input" ||
	echo "not stopped midway: $(cat "$T/dups") of 300000 done"
ingest -q --db "$T/c" "$T/raw" | idmerge -q --db "$T/c" | tagger -q --db "$T/c" |
	segmenter -q --db "$T/c" > "$T/clean"
cat "$T/out1" "$T/out2" | sort > "$T/both"
sort "$T/clean" | cmp -s - "$T/both" && echo "the output of the two runs is the clean run's, no record twice or lost"
dbdump -x .offsets "$T/c" > "$T/c.dump"
dbdump -x .offsets "$T/p" > "$T/p.dump"
cmp "$T/c.dump" "$T/p.dump" && echo "after the rerun the state equals a clean run's"
