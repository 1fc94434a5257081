# Merges that cross partitions, shared by tagger's and segmenter's
# kafka-merges cases. Source it after test/lib/kafka.sh has started the
# cluster (4 partitions).
#   merges_data      under $T: two, the one-stream form (online_retail's
#                    events, up to line 3000 every other one of a person
#                    under a second oneid, N + 100000; a $merge of each
#                    such pair; the rest of the events, the survivors'
#                    records after their $merge; then chains, 20
#                    survivors merged on into another); ids, the pairs'
#                    survivors
#   kafkaform FILE   FILE as idmerge writes it into Kafka, as "key TAB
#                    record": a $merge becomes its copy keyed by the
#                    merged oneid ("leaving"), then the survivor's,
#                    marked "across"
#   mphase FILE TOPIC  FILE so into TOPIC, then a $tick of its last day
#                    into each partition; FILE and the $tick are added to
#                    $T/file (the one-stream run's input)
merges_data() {
	zstdcat "$UOPS_TOP/data/online_retail.csv.zst" | head -6000 > "$T/retail.csv"
	ingest -q --db "$T/in2" --nosync --source online_retail "$T/retail.csv" | idmerge -q --db "$T/in2" --nosync > "$T/one"
	awk 'NR <= 3000' "$T/one" > "$T/head"
	awk 'NR > 3000' "$T/one" > "$T/tail"
	mts=$(tail -1 "$T/head" | sed 's/.*"ts":"\([^"]*\)".*/\1/')
	cts=$(tail -1 "$T/tail" | sed 's/.*"ts":"\([^"]*\)".*/\1/')
	awk -v pairs="$T/pairs" '{ if (NR % 2 == 0) { match($0, /"oneid":[0-9]+}$/); n = substr($0, RSTART + 8, RLENGTH - 9); sub(/"oneid":[0-9]+}$/, "\"oneid\":" (n + 100000) "}"); print n > pairs } print }' "$T/head" > "$T/two"
	sort -un "$T/pairs" > "$T/ids"
	awk -v ts="$mts" '{ printf "{\"type\":\"$merge\",\"event_id\":\"m%d\",\"ts\":\"%s\",\"oneid\":%d,\"merged\":[%d],\"by\":\"member\"}\n", $1, ts, $1, $1 + 100000 }' "$T/ids" >> "$T/two"
	cat "$T/tail" >> "$T/two"
	awk -v ts="$cts" 'NR % 2 == 1 { a = $1 } NR % 2 == 0 && NR <= 40 { printf "{\"type\":\"$merge\",\"event_id\":\"c%d\",\"ts\":\"%s\",\"oneid\":%d,\"merged\":[%d],\"by\":\"member\"}\n", a, ts, $1, a }' "$T/ids" >> "$T/two"
	: > "$T/file"
}
kafkaform() {
	awk '/"type":"\$merge"/ {
		match($0, /"merged":\[[0-9]+\]/); m = substr($0, RSTART + 10, RLENGTH - 11)
		match($0, /"oneid":[0-9]+/); o = substr($0, RSTART + 8, RLENGTH - 8)
		l = $0; sub(/"event_id":"[^"]*/, "&:" m, l); sub(/}$/, ",\"across\":true,\"leaving\":" m "}", l)
		print m "\t" l
		s = $0; sub(/}$/, ",\"across\":true}", s)
		print o "\t" s
		next }
		{ match($0, /"oneid":[0-9]+/); print substr($0, RSTART + 8, RLENGTH - 8) "\t" $0 }' "$1"
}
mphase() {
	kafkaform "$1" > "$1.k"
	kcat -q -b "$BROKERS" -P -t "$2" -K '\t' -l "$1.k"
	day=$(tail -1 "$1" | sed 's/.*"ts":"\([0-9-]*\)T.*/\1/')
	echo "{\"type\":\"\$tick\",\"ts\":\"${day}T23:59:59.999Z\"}" > "$T/tick"
	for p in 0 1 2 3; do kcat -q -b "$BROKERS" -P -t "$2" -p $p -l "$T/tick"; done
	cat "$1" "$T/tick" >> "$T/file"
}

# merges_phases P1 P2 P3 TOPIC BATCH [HOOK]: the scale-out run every
# kafka-merges case makes (start, run and move from scale.sh, sourced
# before the call). Each phase's records go into TOPIC (mphase), then
# HOOK runs if given; then: A 0,1 and B 2,3; partition 3 moves from B
# to C; A 0,1 and C 3, while B 2 (--batch BATCH) is killed with -9
# mid-run and run again; partition 3 moves from C to A; A 0,1,3 and B 2.
merges_phases() {
	mphase "$1" "$4"; ${6:-:}
	start A 0,1; a=$pid
	start B 2,3; b=$pid
	wait $a $b
	move 3 B C
	mphase "$2" "$4"; ${6:-:}
	start A 0,1; a=$pid
	start C 3; c=$pid
	start B 2 --batch "$5"; b=$pid
	sleep 0.3
	kill -9 $b 2>/dev/null && echo "B killed" >&2 || true
	wait $b 2>/dev/null || true
	run B 2
	wait $a $c
	move 3 C A
	mphase "$3" "$4"; ${6:-:}
	start A 0,1,3; a=$pid
	start B 2; b=$pid
	wait $a $b
}
