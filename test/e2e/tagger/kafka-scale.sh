# Scaling out on partitions: 4 partitions, 2 then 3 then 2 tagger
# instances, each with a store of its own and static partitions
# (--partitions), a partition's state moved to its new owner by the
# documented procedure (partition export, import, drop), one instance
# killed with -9 mid-run and started again. Every output partition then
# holds what a run over that partition's records alone writes (a record
# written again after the kill is the same bytes), and the stores'
# profiles together equal one instance's that read everything.
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
KAFKA_PARTITIONS=4 kafka_start people tagged
gen-tagged -n 12000 -p 1500 -s 11 -g 300 > "$T/ev"
split -l 4000 "$T/ev" "$T/phase."
K="kafka://$BROKERS"
phase() { # FILE: its records keyed by oneid, then a day tick into each partition
	awk '{ match($0, /"oneid":[0-9]+/); print substr($0, RSTART + 8, RLENGTH - 8) "\t" $0 }' "$1" > "$1.k"
	kcat -q -b "$BROKERS" -P -t people -K '\t' -l "$1.k"
	day=$(tail -1 "$1" | sed 's/.*"ts":"\([0-9-]*\)T.*/\1/')
	echo "{\"type\":\"\$tick\",\"ts\":\"${day}T23:59:59.999Z\"}" > "$T/tick"
	for p in 0 1 2 3; do kcat -q -b "$BROKERS" -P -t people -p $p -l "$T/tick"; done
}
run() { # STORE PARTITIONS [options]: to the end of its partitions
	db=$1 parts=$2
	shift 2
	tagger -q --db "$T/$db" --nosync -e --partitions "$parts" "$@" -i "$K/people" -o "$K/tagged"
}
start() { # the same in the background: its pid in $pid
	db=$1 parts=$2
	shift 2
	tagger -q --db "$T/$db" --nosync -e --partitions "$parts" "$@" -i "$K/people" -o "$K/tagged" &
	pid=$!
}
move() { # PARTITION FROM TO
	tagger --db "$T/$2" partition export --partition "$1" > "$T/p$1.state"
	tagger --db "$T/$3" partition import "$T/p$1.state"
	tagger --db "$T/$2" partition drop --partition "$1"
	echo "partition $1 moved from $2 to $3"
}
phase "$T/phase.aa"
start A 0,1; a=$pid
start B 2,3; b=$pid
wait $a $b
# scale up: a third instance takes partition 3 with its state
move 3 B C
phase "$T/phase.ab"
start A 0,1; a=$pid
start C 3; c=$pid
# B is killed with -9 mid-run, and started again
start B 2 --batch 200; b=$pid
sleep 0.4
kill -9 $b 2>/dev/null && echo "B killed" >&2 || true
wait $b 2>/dev/null || true
run B 2
wait $a $c
# scale down: C leaves, A takes partition 3
move 3 C A
phase "$T/phase.ac"
start A 0,1,3; a=$pid
start B 2; b=$pid
wait $a $b
tagger --db "$T/A" status -i "$K/people" | grep '"partition"'
tagger --db "$T/B" status -i "$K/people" | grep '"partition"'
tagger --db "$T/C" status -i "$K/people" | grep -c '"partition"' | sed 's/^/partitions C still owns: /' || true

# each output partition against a run over the partition's records alone
same=0
for p in 0 1 2 3; do
	kcat -q -b "$BROKERS" -C -t people -p $p -e -f '%s\n' > "$T/in.$p"
	kcat -q -b "$BROKERS" -C -t tagged -p $p -e -f '%s\n' > "$T/out.$p"
	tagger -q --db "$T/file.$p" --nosync "$T/in.$p" > "$T/f.$p"
	awk '!seen[$0]++' "$T/out.$p" > "$T/first.$p"
	if cmp -s "$T/first.$p" "$T/f.$p"; then same=$((same + 1)); else echo "partition $p differs" >&2; fi
done
echo "output partitions equal to their partition's run alone: $same of 4"
cat "$T"/out.? | sort -u | grep -o '"event_id":"[^"]*"' | sort | uniq -d > "$T/twice"
echo "event_ids written with other bytes: $(wc -l < "$T/twice")"
echo "records written again after the kill: $(($(cat "$T"/out.? | wc -l) - $(cat "$T"/f.? | wc -l)))" >&2

# the stores' profiles together, against one instance that read it all
tagger -q --db "$T/one" --nosync -e --group reference -i "$K/people" -o "$T/one.out"
for db in A B C one; do tagger --db "$T/$db" export > "$T/$db.profiles"; done
sort "$T/A.profiles" "$T/B.profiles" "$T/C.profiles" > "$T/union"
sort "$T/one.profiles" > "$T/one.sorted"
cmp -s "$T/union" "$T/one.sorted" && echo "the stores' profiles together equal one instance's: $(wc -l < "$T/union") people"
[ -s "$T/C.profiles" ] || echo "C holds no profile"
# the same, as the stores hold them (dbdump of tagger.profiles, merged)
for db in A B C one; do
	dbdump "$T/$db" | awk '/^DB / { db = $2; next } db == "tagger.profiles" { print }' > "$T/$db.dump"
done
sort "$T/A.dump" "$T/B.dump" "$T/C.dump" | cmp -s - "$T/one.dump" && echo "and so do the dumps of tagger.profiles"
