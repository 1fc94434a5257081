# Ctrl-C on a whole pipe: SIGINT reaches every stage at once. The first
# stage, reading a file, ends at the record it is on, commits and closes its
# output; every later stage reads its pipe on until the stage before it has
# closed it (ctrl-c-six: the same for six stages, whatever the grace), so
# each commits all it was given and
# exits 0: none ends with 141 on a reader gone, nothing written is lost.
# A rerun then leaves the state and output of a clean run.
. "$UOPS_TOP/test/lib/ctrlc.sh"
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
ctrlc_start "$T/run.sh"
ctrlc_after "$T/out1" 3000
ctrlc_stop "$T/x1" "$T/x2" "$T/x3" "$T/x4"
# the rest, then a clean run: ingest finds what it had done as duplicates
ingest -v --db "$T/p" "$T/raw" 2> "$T/e2" | idmerge -q --db "$T/p" | tagger -q --db "$T/p" |
	segmenter -q --db "$T/p" > "$T/out2"
sed -n 's/.* \([0-9]*\) duplicate.*/\1/p' "$T/e2" > "$T/dups"
[ "$(cat "$T/dups")" -gt 0 ] && [ "$(cat "$T/dups")" -lt 300000 ] && echo "stopped before the end of the input" ||
	echo "not stopped midway: $(cat "$T/dups") of 300000 done"
ingest -q --db "$T/c" "$T/raw" | idmerge -q --db "$T/c" | tagger -q --db "$T/c" |
	segmenter -q --db "$T/c" > "$T/clean"
cat "$T/out1" "$T/out2" | sort > "$T/both"
sort "$T/clean" | cmp -s - "$T/both" && echo "the output of the two runs is the clean run's, no record twice or lost"
ctrlc_state "$T/c" "$T/p"
