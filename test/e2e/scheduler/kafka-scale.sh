# Scaling out on partitions: 4 partitions, 2 then 3 then 2 scheduler
# instances,
# each with a store of its own and static partitions (--partitions),
# partition 3's state moved to a third instance and back to the first by
# the documented procedure (partition export, import, drop), one instance killed with -9
# mid-run and started again. Every output partition then holds what a run
# over that partition's records alone writes (a record written again after
# the kill is the same bytes), and the stores' per-person state together
# (people, wake-ups, decision log, segment members, clocks and schedule
# progress) equals one instance's that read everything.
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
KAFKA_PARTITIONS=4 kafka_start segmented journeys
# every 7th person enters segment vip with their first record, so the
# weekly VIP letter (a schedule trigger) enters people on each partition
gen-tagged -n 8000 -p 800 -s 13 -g 300 | awk '{
	match($0, /"oneid":[0-9]+/); id = substr($0, RSTART + 8, RLENGTH - 8)
	match($0, /"ts":"[^"]*"/); ts = substr($0, RSTART, RLENGTH)
	if (id % 7 == 0 && !n[id]++) printf "{\"type\":\"$segment\",\"event_id\":\"v%d\",%s,\"oneid\":%d,\"segment\":\"vip\",\"op\":\"enter\"}\n", id, ts, id
	print }' > "$T/ev"
split -l 3000 "$T/ev" "$T/phase."
SCALE_TOOL=scheduler SCALE_IN=segmented SCALE_OUT=journeys
. "$UOPS_TOP/test/lib/scale.sh"
phase "$T/phase.aa"
start A 0,1; a=$pid
start B 2,3; b=$pid
wait $a $b
# scale up: a third instance takes partition 3 with its people
move 3 B C
phase "$T/phase.ab"
start A 0,1; a=$pid
start C 3; c=$pid
# B is killed with -9 mid-run, and started again
start B 2 --batch 100; b=$pid
sleep 0.3
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
for db in A B C; do
	scheduler --db "$T/$db" status -i "$K/segmented" | grep '"partition"' | sed "s/^/$db: /"
done

# each output partition against a run over the partition's records alone
outputs
grep -h -c '"\$send"' "$T"/f.? | awk '$1 > 0 { n++ } END { print "partitions with sends: " n }'
grep -h -c '"\$journey".*"journey":"vip' "$T"/f.? | awk '$1 > 0 { n++ } END { print "partitions with schedule-trigger entries: " n }'
echo "event_ids written with other bytes: $(wc -l < "$T/twice")"

# the stores' per-person state together, against one instance that read it all
scheduler -q --db "$T/one" --nosync -e --group reference -i "$K/segmented" -o "$T/one.out"
for db in A B C one; do
	dbdump "$T/$db" | awk '/^DB / { db = $2; next }
		db == "scheduler.people" || db == "scheduler.timers" || db == "scheduler.decisions" || db == "scheduler.dlog" ||
		db == "scheduler.members" { print db, $0 }
		db == "scheduler.state" && $1 ~ /^(636c6f636b3a3|7363686564756c653a)/ { print db, $0 }' > "$T/$db.dump"
done
sort "$T/A.dump" "$T/B.dump" "$T/C.dump" > "$T/union"
sort "$T/one.dump" > "$T/one.sorted"
cmp -s "$T/union" "$T/one.sorted" && echo "the stores' per-person state together equals one instance's"
for d in people timers decisions members; do
	re="^scheduler\.$d "
	[ "$d" = decisions ] && re='^scheduler\.\(decisions\|dlog\) ' # the log's blocks
	printf '%s: %s\n' "$d" "$(grep -c "$re" "$T/one.sorted" | sed 's/^[1-9][0-9]*$/some/')"
done
echo "clocks and schedule progress: $(grep -c '^scheduler\.state ' "$T/one.sorted")"
[ -s "$T/C.dump" ] || echo "C holds nothing"
# no store gains a DB of an earlier layout, by a run or by an import (C's
# store began with one)
for db in A B C one; do
	mdb_stat -a "$T/$db" | grep -q '^Status of scheduler\.\(decisions\|log\)$' && echo "$db has a DB of an earlier layout"
done
for p in 0 1 2 3; do
	id=$(grep -o '"oneid":[0-9]*' "$T/in.$p" | head -1 | cut -d: -f2)
	for db in A B C; do scheduler --db "$T/$db" explain "$id" 2>/dev/null || true; done > "$T/x.$p"
	scheduler --db "$T/one" explain "$id" | cmp -s - "$T/x.$p" || echo "explain $id differs"
done
echo "explain of a person of each partition: as one instance's"

# a store of an earlier layout: a key of partition 3's first person in
# scheduler.decisions moves with the partition to a new store, which gains
# the DB for it (and not scheduler.log, of which the file has no key)
id=$(grep -o '"oneid":[0-9]*' "$T/in.3" | head -1 | cut -d: -f2)
printf '\\00\\00\\4e\\20%s\\00\\00\\00\\00\nx\n' "$(printf '%08x' "$id" | sed 's/../\\&/g')" |
	mdb_load -T -s scheduler.decisions "$T/A"
scheduler --db "$T/A" partition export --partition 3 > "$T/p3.old"
scheduler --db "$T/D" partition import "$T/p3.old"
scheduler --db "$T/A" partition drop --partition 3
for db in A D; do
	echo "$db: scheduler.decisions: $(mdb_stat -s scheduler.decisions "$T/$db" 2>/dev/null | sed -n 's/^ *Entries: //p')" \
		"scheduler.log: $(mdb_stat -a "$T/$db" | grep -c '^Status of scheduler\.log$')"
done
