# Ctrl-C on the README's six stages on one store, the bundled data: SIGINT
# reaches every stage at once, partway. Every stage after the first reads
# its pipe to its end (the stage before got the same signal, ends its
# batch, commits and closes), handles and commits all of it, and waits for
# its output and the write lock while the stage after it drains: what a
# stage committed has been committed by the stages after it too. So the
# same pipe run again writes the rest, and the two runs' records together
# are a clean run's, each once, and the state is a clean run's, wherever
# the signal lands. UOPS_STOP_GRACE_MS=0 makes the grace no part of it:
# with the drain bounded by the grace, as before, a stage stopped reading
# at once and the records in the pipes were lost for the rerun.
. "$UOPS_TOP/test/lib/ctrlc.sh"
UOPS_STOP_GRACE_MS=0
export UOPS_STOP_GRACE_MS
data="$UOPS_TOP/data/online_retail.csv.zst"
cat > "$T/run.sh" <<EOF
{ trap 'exit 130' INT TERM; zstdcat "$data" | ingest -q --db "\$1" --source online_retail
  echo '{"type":"\$tick","ts":"2011-12-10T00:00:00Z"}'; } |
	{ trap '' INT; idmerge -q --db "\$1"; echo "idmerge: exit \$?" > "\$2.x2"; } |
	{ trap '' INT; tagger -q --db "\$1"; echo "tagger: exit \$?" > "\$2.x3"; } |
	{ trap '' INT; segmenter -q --db "\$1"; echo "segmenter: exit \$?" > "\$2.x4"; } |
	{ trap '' INT; scheduler -q --db "\$1"; echo "scheduler: exit \$?" > "\$2.x5"; } |
	{ trap '' INT; dispatch -q --db "\$1" --dry-run --send-past > "\$2"; echo "dispatch: exit \$?" > "\$2.x6"; }
EOF
ctrlc_start "$T/run.sh" "$T/p" "$T/out1"
# partway: once dispatch has written some records (the verdict below holds
# wherever the signal lands)
ctrlc_after "$T/out1" 20000
ctrlc_stop "$T"/out1.x2 "$T"/out1.x3 "$T"/out1.x4 "$T"/out1.x5 "$T"/out1.x6
# the same pipe again, on the same store: it writes the rest
sh "$T/run.sh" "$T/p" "$T/out2" 2> "$T/err2"
cat "$T"/out2.x?
cat "$T/err2"
sh "$T/run.sh" "$T/c" "$T/clean" 2> /dev/null
[ "$(wc -l < "$T/out2")" -gt 0 ] && [ "$(wc -l < "$T/out2")" -lt "$(wc -l < "$T/clean")" ] &&
	echo "stopped before the end" || echo "not stopped midway: $(wc -l < "$T/out2") records in the rerun"
cat "$T/out1" "$T/out2" | sort > "$T/both"
sort "$T/clean" > "$T/clean.sorted"
if cmp -s "$T/clean.sorted" "$T/both"; then
	echo "the two runs' records are a clean run's, each once"
else
	echo "the two runs' records differ from a clean run's:"
	comm -23 "$T/clean.sorted" "$T/both" | grep -o '"type":"[^"]*"' | sort | uniq -c | sed 's/^ */missing /'
	comm -13 "$T/clean.sorted" "$T/both" | grep -o '"type":"[^"]*"' | sort | uniq -c | sed 's/^ */extra /'
fi
ctrlc_state "$T/c" "$T/p"
