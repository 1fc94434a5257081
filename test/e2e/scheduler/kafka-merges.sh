# $merge across partitions (README "Scaling out", scheduler(1)): a merged
# person's journeys are on the partition of their old oneid, the $merge on
# the survivor's. The owner of the merged oneid's partition ends their
# instances there (reason "merged") and answers the $merge's copy keyed by
# them with a $fold (their instances by journey name, profile, tags and
# segments by name) into the input topic, keyed by the survivor; the
# survivor's owner holds the partition at the $merge until the $fold is
# there, then keeps the merged person's instances (for re-entry rules) and
# folds their profile in the $merge's place. 4 partitions, 2 then 3 then 2
# instances, one killed with -9 mid-run, merges including chains, people
# waiting in journeys when merged: the stores together hold what a file
# run (one stream, the $merge folded locally) holds, every output
# partition is what a run over that partition alone writes, and a $fold
# written again after the kill is the same bytes.
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
KAFKA_PARTITIONS=4 kafka_start segmented journeys
K="kafka://$BROKERS"

. "$UOPS_TOP/test/lib/merges.sh"
merges_data
# people waiting in journeys: a sign_up (welcome: never again; a
# birthday for the date trigger) before the first record of every third
# oneid, a $tag of next_purchase_date (repurchase's date) for every fifth,
# a $segment enter of vip for every seventh
awk '{
	match($0, /"oneid":[0-9]+/); id = substr($0, RSTART + 8, RLENGTH - 8)
	match($0, /"ts":"[^"]*"/); ts = substr($0, RSTART, RLENGTH)
	if (!/"type":"\$merge"/ && !n[id]++) {
		if (id % 3 == 0)
			printf "{\"event_id\":\"s%d\",%s,\"type\":\"sign_up\",\"traits\":{\"birthday\":\"1990-%02d-%02d\"},\"oneid\":%d}\n", id, ts, id % 12 + 1, id % 28 + 1, id
		if (id % 5 == 0)
			printf "{\"type\":\"$tag\",\"event_id\":\"t%d\",%s,\"oneid\":%d,\"tag\":\"next_purchase_date\",\"old\":null,\"new\":\"2011-%02d-15\"}\n", id, ts, id, id % 12 + 1
		if (id % 7 == 0)
			printf "{\"type\":\"$segment\",\"event_id\":\"v%d\",%s,\"oneid\":%d,\"segment\":\"vip\",\"op\":\"enter\"}\n", id, ts, id
	}
	print }' "$T/two" > "$T/two.j"
mv "$T/two.j" "$T/two"
echo "merges: $(grep -c '"\$merge"' "$T/two"), of them chained: $(grep -c '"\$merge","event_id":"c' "$T/two")"
split -l 2000 "$T/two" "$T/phase."
ls "$T"/phase.* | wc -l | sed 's/^/phases: /'
SCALE_TOOL=scheduler SCALE_IN=segmented SCALE_OUT=journeys
. "$UOPS_TOP/test/lib/scale.sh"
merges_phases "$T/phase.aa" "$T/phase.ab" "$T/phase.ac" segmented 50
# a $fold written again after the kill is the same bytes
kcat -q -b "$BROKERS" -C -t segmented -e -f '%s\n' | grep '"type":"\$fold"' | sort -u > "$T/folds"
echo "\$fold records in the input topic: $(wc -l < "$T/folds"), event_ids: $(grep -o '"event_id":"[^"]*"' "$T/folds" | sort -u | wc -l)"
echo "\$fold records carrying journeys: $(grep -c '"journeys":\[{' "$T/folds")"
kcat -q -b "$BROKERS" -C -t segmented -e -f '%p %k\n' | sort -u > "$T/where"
awk 'NR == FNR { p[$2] = $1; next } { if (p[$1] != p[$1 + 100000]) x++ } END { print "pairs: " FNR ", on different partitions: " x + 0 }' "$T/where" "$T/ids"

# the stores against one file run of the one-stream form (merges folded
# locally): no merged person left, the same people (their record without
# the stream it names and where its decision log is), the same wake-ups
# (without the stream they are filed under), the same explain
scheduler -q --db "$T/file.db" --nosync "$T/file" > "$T/file.out"
# scheduler.people: KEY VALUE, the value's head (format, stream, the log's
# block) cut off; scheduler.timers: the key's stream cut off
norm() {
	awk 'function b(i) { return (index("0123456789abcdef", substr(v, i, 1)) - 1) * 16 + index("0123456789abcdef", substr(v, i + 1, 1)) - 1 }
	function skip(i) { while (b(i) >= 128) i += 2; return i + 2 }
	/^DB / { db = $2; next }
	db == "scheduler.people" { v = $2; f = b(1); i = 3; if (f >= 2) i = skip(i); if (f == 3) { i = skip(i); i = skip(i) }
		print "people", $1, substr(v, i) }
	db == "scheduler.timers" { print "timers", substr($1, 9), $2 }'
}
for db in A B C file.db; do dbdump "$T/$db" | norm > "$T/$db.state"; done
left() { awk '$1 == "people" { print $2 }' "$@" | while read k; do printf '%d\n' "0x$k"; done | awk '$1 > 100000' | wc -l; }
echo "merged people left behind, 3 stores: $(left "$T/A.state" "$T/B.state" "$T/C.state")"
echo "merged people left behind, a file run (one stream): $(left "$T/file.db.state")"
sort "$T/A.state" "$T/B.state" "$T/C.state" > "$T/union"
sort "$T/file.db.state" > "$T/file.sorted"
cmp -s "$T/union" "$T/file.sorted" && echo "the stores' people and wake-ups together equal the file run's: $(grep -c '^people' "$T/union") people, $(grep -c '^timers' "$T/union") wake-ups"
grep -h -o '"merged":\[[0-9]*\]' "$T/two" | tr -dc '0-9\n' > "$T/merged"
same=0 all=0
for id in $(sort -un "$T/ids" "$T/merged"); do
	for db in A B C; do scheduler --db "$T/$db" explain "$id" 2>/dev/null || true; done > "$T/x"
	scheduler --db "$T/file.db" explain "$id" > "$T/y" 2>/dev/null || true
	all=$((all + 1))
	if cmp -s "$T/x" "$T/y"; then same=$((same + 1)); else echo "explain $id differs" >&2; fi
done
echo "explain of the merged people and their survivors: $same of $all as the file run's"
grep -c '"reason":"merged"' "$T/file.out" | sed 's/^/exits of merged people (file run): /'


# each output partition against a run over that partition's records
# alone (its $folds included), and no event_id written with other bytes
outputs
echo "event_ids written with other bytes: $(wc -l < "$T/twice")"
cat "$T"/first.? | grep -c '"reason":"merged"' | sed 's/^/exits of merged people (partitions): /'
grep -h '"\$merge"' "$T"/out.? | sort -u | wc -l | sed 's/^/$merge records passed on: /'
grep -ch '"\$fold"' "$T"/out.? | paste -sd+ | bc | sed 's/^/$fold records passed on: /'
