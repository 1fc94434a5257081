# Scaling out on partitions, as tagger/kafka-scale, for segmenter (tagger's
# output of the same events): 4 partitions, 2 then 3 then 2 segmenter
# instances, each with a store of its own and static partitions
# (--partitions), a partition's state moved to its new owner by the
# documented procedure (partition export, import, drop), one instance
# killed with -9 mid-run and started again. Every output partition then
# holds what a run over that partition's records alone writes (a record
# written again after the kill is the same bytes), and the stores'
# profiles together equal one instance's that read everything.
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
KAFKA_PARTITIONS=4 kafka_start people segmented
gen-tagged -n 12000 -p 1500 -s 11 -g 300 | tagger -q --db "$T/t" --nosync > "$T/ev"
split -l 4000 "$T/ev" "$T/phase."
SCALE_TOOL=segmenter SCALE_IN=people SCALE_OUT=segmented
. "$UOPS_TOP/test/lib/scale.sh"
phase "$T/phase.aa"
start A 0,1; a=$pid
start B 2,3; b=$pid
wait $a $b
# scale up: a third instance takes partition 3 with its state
cp -r "$T/B" "$T/B.before"
move 3 B C
# the moved people's cells are computed by the import: none is left
# behind for a full evaluation, and they are what the old owner's are
behind() { # STORE: none, or some people whose cells are behind (segmenter.state dirty)
	dbdump "$T/$1" | awk '/^DB / { db = $2; next } db == "segmenter.state" && $1 == "6469727479" { print $2 }' |
		grep -qvx '3a30000000000000' && echo some || echo none
}
echo "people of C whose cells are behind after the import: $(behind C)"
segmenter --db "$T/C" table > "$T/C.table"
segmenter --db "$T/B.before" table > "$T/B.table"
cut -d, -f1 "$T/C.table" | sed 1d | sort > "$T/C.ids"
sed 1d "$T/B.table" | sort -t, -k1,1 | join -t, "$T/C.ids" - > "$T/B.p3"
sed 1d "$T/C.table" | sort -t, -k1,1 | cmp -s - "$T/B.p3" &&
	echo "C's cells of its $(wc -l < "$T/C.ids") people equal the old owner's"
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
segmenter --db "$T/A" status -i "$K/people" | grep '"partition"'
segmenter --db "$T/B" status -i "$K/people" | grep '"partition"'
segmenter --db "$T/C" status -i "$K/people" | grep -c '"partition"' | sed 's/^/partitions C still owns: /' || true

# each output partition against a run over the partition's records alone
outputs
echo "event_ids written with other bytes: $(wc -l < "$T/twice")"
echo "records written again after the kill: $(($(cat "$T"/out.? | wc -l) - $(cat "$T"/f.? | wc -l)))" >&2

# the stores' people and audiences together, against one instance that
# read it all
segmenter -q --db "$T/one" --nosync -e --group reference -i "$K/people" -o "$T/one.out"
for db in A B C one; do
	dbdump "$T/$db" | awk '/^DB / { db = $2; next } db == "segmenter.people" { print }' > "$T/$db.people"
	for s in $(segmenter --db "$T/one" list | sed 's/^{"segment":"\([^"]*\)".*/\1/'); do
		segmenter --db "$T/$db" export "$s" | sed "s/^/$s /"
	done > "$T/$db.members"
done
sort "$T/A.people" "$T/B.people" "$T/C.people" > "$T/union"
sort "$T/one.people" > "$T/one.sorted"
cmp -s "$T/union" "$T/one.sorted" && echo "the stores' people together equal one instance's: $(wc -l < "$T/union") people"
sort "$T/A.members" "$T/B.members" "$T/C.members" > "$T/union.m"
sort "$T/one.members" > "$T/one.m"
cmp -s "$T/union.m" "$T/one.m" && echo "and so do their audiences: $(wc -l < "$T/one.m") memberships"
[ -s "$T/C.people" ] || echo "C holds no person"
