# The moves of a scaling-out test, shared by tagger's, segmenter's and
# scheduler's kafka-scale cases. Source it after test/lib/kafka.sh has
# started the cluster, with SCALE_TOOL (the tool), SCALE_IN and SCALE_OUT
# (its topics) set; stores are directories under $T.
#   phase FILE                records keyed by oneid into SCALE_IN, then a
#                             $tick of the last record's day into each of
#                             the 4 partitions
#   run STORE PARTS [opt…]    the tool over PARTS (--partitions) to their end
#   start STORE PARTS [opt…]  the same in the background: its pid in $pid
#   move PART FROM TO         the documented procedure: partition export,
#                             import, drop
#   outputs                   each output partition against a run over that
#                             partition's records alone (in.P, out.P, f.P
#                             under $T), and event_ids written with other
#                             bytes
K="kafka://$BROKERS"
phase() {
	awk '{ match($0, /"oneid":[0-9]+/); print substr($0, RSTART + 8, RLENGTH - 8) "\t" $0 }' "$1" > "$1.k"
	kcat -q -b "$BROKERS" -P -t "$SCALE_IN" -K '\t' -l "$1.k"
	day=$(tail -1 "$1" | sed 's/.*"ts":"\([0-9-]*\)T.*/\1/')
	echo "{\"type\":\"\$tick\",\"ts\":\"${day}T23:59:59.999Z\"}" > "$T/tick"
	for p in 0 1 2 3; do kcat -q -b "$BROKERS" -P -t "$SCALE_IN" -p $p -l "$T/tick"; done
}
run() {
	db=$1 parts=$2
	shift 2
	$SCALE_TOOL -q --db "$T/$db" --nosync -e --partitions "$parts" "$@" -i "$K/$SCALE_IN" -o "$K/$SCALE_OUT"
}
start() {
	db=$1 parts=$2
	shift 2
	$SCALE_TOOL -q --db "$T/$db" --nosync -e --partitions "$parts" "$@" -i "$K/$SCALE_IN" -o "$K/$SCALE_OUT" &
	pid=$!
}
move() {
	$SCALE_TOOL --db "$T/$2" partition export --partition "$1" > "$T/p$1.state"
	$SCALE_TOOL --db "$T/$3" partition import "$T/p$1.state"
	$SCALE_TOOL --db "$T/$2" partition drop --partition "$1"
	echo "partition $1 moved from $2 to $3"
}
outputs() {
	same=0
	for p in 0 1 2 3; do
		kcat -q -b "$BROKERS" -C -t "$SCALE_IN" -p $p -e -f '%s\n' > "$T/in.$p"
		kcat -q -b "$BROKERS" -C -t "$SCALE_OUT" -p $p -e -f '%s\n' > "$T/out.$p"
		$SCALE_TOOL -q --db "$T/file.$p" --nosync "$T/in.$p" > "$T/f.$p"
		awk '!seen[$0]++' "$T/out.$p" > "$T/first.$p"
		if cmp -s "$T/first.$p" "$T/f.$p"; then same=$((same + 1)); else echo "partition $p differs" >&2; fi
	done
	echo "output partitions equal to their partition's run alone: $same of 4"
	cat "$T"/out.? | sort -u | grep -o '"event_id":"[^"]*"' | sort | uniq -d > "$T/twice"
}
