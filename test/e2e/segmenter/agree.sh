# Streaming and full evaluation agree exactly, on randomised data through
# the real pipeline (gen-tagged | tagger | segmenter) with definitions that
# use every operator and kind of value. After the stream, and again after
# each jump of the clock (which fires the deadlines first), a full
# evaluation over the columns, and one over columns rebuilt from the
# profiles, must change nothing.
set -e
for seed in 1 2; do
	gen-tagged -n 6000 -p 400 -s $seed -g 120 > "$T/ev$seed"
	tagger --db "$T/db$seed" --nosync "$T/ev$seed" |
		segmenter --db "$T/db$seed" --nosync --segments agree.d > "$T/out$seed"; echo "seed $seed: exit $?"
	s="segmenter --db $T/db$seed --segments agree.d"
	echo "  $(grep -c '"$segment"' "$T/out$seed" | sed 's/[0-9]*[1-9][0-9]*/some/') enter/exit records streamed"
	$s list | sed 's/.*"segment":"\([^"]*\)".*"count":\([0-9]*\).*/\1 \2/' | awk '$2 > 0 { n++ } END { print "  " n " of " NR " segments have members" }'
	echo "  full: $($s recompute | wc -l) changes, rebuilt: $($s recompute --rebuild | wc -l) changes"
	for at in 2026-10-01 2026-10-02T13:00:00Z 2026-10-20 2027-01-01; do
		$s recompute --at $at > "$T/r"
		echo "  at $at: $(grep -c 'seg:due:' "$T/r" | sed 's/^[1-9][0-9]*$/some/') fired by deadlines," \
			"$(grep -vc 'seg:due:' "$T/r") by the full evaluation, $($s recompute --rebuild | wc -l) after a rebuild"
	done
done
