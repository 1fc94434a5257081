# Both stateful stages scaled out at once over Kafka, 4 partitions from
# idmerge's output on: tagger and segmenter each run as 2 instances with
# static partitions, then 3 (partition 3 moved to a new instance of each
# stage, its state with it), then 2 again (partition 3 moved back to the
# first), a segmenter instance killed with -9 mid-run and started again.
# Every partition of the last topic then holds what the stage-by-stage
# file run of that partition's records writes.
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
KAFKA_PARTITIONS=4 kafka_start people tagged segmented
gen-tagged -n 9000 -p 1200 -s 21 -g 300 > "$T/ev"
split -l 3000 "$T/ev" "$T/phase."
K="kafka://$BROKERS"
phase() { # FILE: keyed by oneid, then a day tick into each partition
	awk '{ match($0, /"oneid":[0-9]+/); print substr($0, RSTART + 8, RLENGTH - 8) "\t" $0 }' "$1" > "$1.k"
	kcat -q -b "$BROKERS" -P -t people -K '\t' -l "$1.k"
	day=$(tail -1 "$1" | sed 's/.*"ts":"\([0-9-]*\)T.*/\1/')
	echo "{\"type\":\"\$tick\",\"ts\":\"${day}T23:59:59.999Z\"}" > "$T/tick"
	for p in 0 1 2 3; do kcat -q -b "$BROKERS" -P -t people -p $p -l "$T/tick"; done
}
start() { # TOOL STORE PARTITIONS [options]: in the background, its pid in $pid
	tool=$1 db=$2 parts=$3
	shift 3
	case $tool in
	tagger) set -- -i "$K/people" -o "$K/tagged" "$@" ;;
	segmenter) set -- -i "$K/tagged" -o "$K/segmented" "$@" ;;
	esac
	$tool -q --db "$T/$tool.$db" --nosync -e --partitions "$parts" "$@" &
	pid=$!
}
stage() { # the instances of both stages, PARTITIONS for each store: A B [C]
	start tagger A "$1"; a=$pid
	start tagger B "$2"; b=$pid
	if [ -n "${3:-}" ]; then start tagger C "$3"; wait $pid; fi
	wait $a $b
	start segmenter A "$1"; a=$pid
	start segmenter B "$2" --batch 100; b=$pid
	if [ -n "${3:-}" ]; then
		start segmenter C "$3"; c=$pid
		sleep 0.3
		kill -9 $b 2>/dev/null && echo "segmenter B killed" >&2 || true
		wait $b 2>/dev/null || true
		start segmenter B "$2"; b=$pid
		wait $c
	fi
	wait $a $b
}
move() { # PARTITION FROM TO, in both stages
	for tool in tagger segmenter; do
		$tool --db "$T/$tool.$2" partition export --partition "$1" > "$T/p.state"
		$tool --db "$T/$tool.$3" partition import "$T/p.state"
		$tool --db "$T/$tool.$2" partition drop --partition "$1"
	done
	echo "partition $1 moved from $2 to $3 in both stages"
}
phase "$T/phase.aa"
stage 0,1 2,3
move 3 B C
phase "$T/phase.ab"
stage 0,1 2 3
move 3 C A
phase "$T/phase.ac"
stage 0,1,3 2
same=0
for p in 0 1 2 3; do
	kcat -q -b "$BROKERS" -C -t people -p $p -e -f '%s\n' > "$T/in.$p"
	kcat -q -b "$BROKERS" -C -t segmented -p $p -e -f '%s\n' | awk '!seen[$0]++' > "$T/out.$p"
	tagger -q --db "$T/ft.$p" --nosync "$T/in.$p" | segmenter -q --db "$T/fs.$p" --nosync > "$T/f.$p"
	if cmp -s "$T/out.$p" "$T/f.$p"; then same=$((same + 1)); else echo "partition $p differs" >&2; fi
done
echo "partitions of the last topic equal to their partition's file run: $same of 4"
cat "$T"/out.? | grep -o '"event_id":"[^"]*"' | sort | uniq -d | wc -l | sed 's/^/event_ids written with other bytes: /'
grep -c '"\$segment"' "$T"/f.? | awk -F: '{ n += $2 } END { print (n > 100 ? "over 100 $segment records" : n " $segment records") }'
