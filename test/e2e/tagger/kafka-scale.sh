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
SCALE_TOOL=tagger SCALE_IN=people SCALE_OUT=tagged
. "$UOPS_TOP/test/lib/scale.sh"
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
outputs
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
