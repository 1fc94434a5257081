# $merge across partitions, as tagger/kafka-merges, for segmenter (over
# tagger's output of the same records, tagger one instance on the 4
# partitions): the owner of the merged person's partition writes their
# exits and a $fold (their profile, and the lists that named them) into
# the input topic; the survivor's owner holds the partition at the $merge
# until the $fold is there and folds it in the $merge's place. 2 then 3
# then 2 instances, one killed with -9 mid-run: no merged person is left
# behind, the stores together hold the file run's people and audiences,
# and every output partition is what a run over that partition alone
# writes.
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
KAFKA_PARTITIONS=4 kafka_start people tagged segmented
K="kafka://$BROKERS"
. "$UOPS_TOP/test/lib/merges.sh"
merges_data
echo "merges: $(grep -c '"\$merge"' "$T/two"), of them chained: $(grep -c '"\$merge","event_id":"c' "$T/two")"
split -l 1800 "$T/two" "$T/phase."
SCALE_TOOL=segmenter SCALE_IN=tagged SCALE_OUT=segmented
. "$UOPS_TOP/test/lib/scale.sh"
tag() { # the phase through tagger, into tagged
	tagger -q --db "$T/tg" --nosync -e --partitions 0,1,2,3 -i "$K/people" -o "$K/tagged"
}
merges_phases "$T/phase.aa" "$T/phase.ab" "$T/phase.ac" people 50 tag
kcat -q -b "$BROKERS" -C -t tagged -e -f '%s\n' | grep '"type":"\$fold"' | sort -u > "$T/folds"
echo "\$fold records in the input topic: $(wc -l < "$T/folds"), event_ids: $(grep -o '"event_id":"[^"]*"' "$T/folds" | sort -u | wc -l)"

# the stores against one file run of the one-stream form (tagger, then
# segmenter): no merged person left, the same people (but the stream each
# is filed under: a partition here, the one stream there) and audiences
tagger -q --db "$T/tf" --nosync "$T/file" > "$T/file.tagged"
segmenter -q --db "$T/file.db" --nosync "$T/file.tagged" > "$T/file.out"
for db in A B C file.db; do
	dbdump "$T/$db" | awk '/^DB / { db = $2; next } db == "segmenter.people" { print $1, substr($2, 1, 8) substr($2, 17) }' > "$T/$db.people"
	for s in $(segmenter --db "$T/file.db" list | sed 's/^{"segment":"\([^"]*\)".*/\1/'); do
		segmenter --db "$T/$db" export "$s" | sed "s/^/$s /"
	done > "$T/$db.members"
done
left() { # STORE…: merged oneids with a person left
	for db in "$@"; do cat "$T/$db.people"; done | awk '{ print $1 }' | while read -r k; do echo $((0x$k)); done |
		awk '$1 > 100000' | wc -l
}
echo "merged people left behind, 3 stores: $(left A B C)"
echo "merged people left behind, a file run (one stream): $(left file.db)"
sort "$T/A.people" "$T/B.people" "$T/C.people" > "$T/union"
sort "$T/file.db.people" > "$T/file.sorted"
cmp -s "$T/union" "$T/file.sorted" && echo "the stores' people together equal the file run's: $(wc -l < "$T/union") people"
sort "$T/A.members" "$T/B.members" "$T/C.members" > "$T/union.m"
sort "$T/file.db.members" > "$T/file.m"
cmp -s "$T/union.m" "$T/file.m" && echo "and so do their audiences: $(wc -l < "$T/file.m") memberships"

outputs
echo "event_ids written with other bytes: $(wc -l < "$T/twice")"
grep -h '"\$merge"' "$T"/out.? | sort -u | wc -l | sed 's/^/$merge records passed on: /'
