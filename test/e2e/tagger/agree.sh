# Streaming with deadlines agrees with a full evaluation, on random
# histories with no $tick in them (gen-tagged, minutes to days between a
# person's events) and definitions whose tags time alone changes in every
# way: agree.d (windows, never, days_since against constants, a stage of
# cases, a tag that reads them), on the days their deadlines name, and
# with agree-daily.json (days_since in formulas, jq: their people are due
# every day) beside them. After the stream every
# stored tag is its value at the stream's clock: `tagger recompute`, which
# evaluates every tag of every profile, changes nothing, and export
# prints the same before and after it. At later clocks, a $tick fires the
# deadlines up to it and a full evaluation then finds nothing more; what
# export --at printed before the tick is what is stored after it.
set -e
mkdir "$T/daily"
cp agree.d/tags.json agree-daily.json "$T/daily/"
for run in "1 agree.d" "2 agree.d" "3 $T/daily"; do
	set -- $run
	seed=$1 tags=$2
	gen-tagged -n 5000 -p 300 -s $seed -g 400 > "$T/ev$seed"
	tagger --db "$T/db$seed" --nosync --tags "$tags" "$T/ev$seed" > "$T/out$seed"
	echo "seed $seed, $(basename "$tags"): exit $?"
	t="tagger --db $T/db$seed --tags $tags"
	echo "  $(grep -c '"tag:due:' "$T/out$seed" | sed 's/^[1-9][0-9]*$/some/') changes fired by deadlines"
	$t export > "$T/x"
	echo "  recompute at the stream's clock: $($t recompute | wc -l) changes"
	$t export | cmp - "$T/x" && echo "  export: the same after it"
	last=$(tail -n 1 "$T/ev$seed" | sed 's/.*"ts":"\([0-9-]*\)T.*/\1/')
	for n in 1 2 4 7 13 30; do
		at="$(date -u -d "$last + $n days" +%F)T0$((n % 10)):30:00.000Z"
		$t export --at "$at" > "$T/x"
		echo "{\"type\":\"\$tick\",\"ts\":\"$at\"}" | $t > "$T/r"
		echo "  $n days on: a \$tick fires $(grep -c '"tag:due:' "$T/r" | sed 's/^[1-9][0-9]*$/some/') changes," \
			"then recompute $($t recompute | wc -l);" \
			"export --at before: $($t export | cmp -s - "$T/x" && echo the same || echo DIFFERENT)"
	done
done
