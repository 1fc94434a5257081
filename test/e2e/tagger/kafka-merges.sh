# $merge across partitions (README "Scaling out", tagger(1)): a merged
# person's profile is on the partition of their old oneid, the $merge on
# the survivor's. Into Kafka, idmerge writes the $merge also keyed by each
# merged oneid ("leaving", first); that partition's owner answers it with a
# $fold (the profile, by names) into the input topic, keyed by the
# survivor; the survivor's owner holds the partition at the $merge until
# the $fold is there, then folds it in the $merge's place. 4 partitions,
# 2 then 3 then 2 instances, one killed with -9 mid-run: no merged profile
# is left behind, the stores together hold what a file run holds, and
# every output partition is what a run over that partition alone writes.
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
KAFKA_PARTITIONS=4 kafka_start people ids tagged
K="kafka://$BROKERS"

# idmerge into Kafka: a copy keyed by the merged oneid and the survivor's
# (on two partitions, which kcat reads side by side: sorted); into a file,
# the one record as before
cat > "$T/link" <<'EOF'
{"event_id":"e1","ts":"2026-01-01T00:00:00.000Z","type":"visit","ids":{"phone":"+8613800000001"}}
{"event_id":"e2","ts":"2026-01-01T00:00:01.000Z","type":"visit","ids":{"email":"a@example.com"}}
{"event_id":"e3","ts":"2026-01-01T00:00:02.000Z","type":"order_paid","ids":{"phone":"+8613800000001","email":"a@example.com"}}
EOF
idmerge -q --db "$T/idk" --nosync -o "$K/ids" "$T/link"
kcat -q -b "$BROKERS" -C -t ids -e -f 'key %k: %s\n' | grep merge | sort
idmerge -q --db "$T/idf" --nosync "$T/link" | grep merge

# the bundled data makes no $merge (one identifier per customer)
zstdcat "$UOPS_TOP/data/online_retail.csv.zst" | ingest -q --db "$T/in" --nosync --source online_retail |
	idmerge -q --db "$T/in" --nosync > "$T/all"
echo "bundled data: $(wc -l < "$T/all") records, $(grep -c '"type":"\$merge"' "$T/all") \$merge records"

. "$UOPS_TOP/test/lib/merges.sh"
merges_data
echo "merges: $(grep -c '"\$merge"' "$T/two"), of them chained: $(grep -c '"\$merge","event_id":"c' "$T/two")"
# three phases, each written into the topic as idmerge writes Kafka, then
# a $tick of its last day into each partition (the file run gets the same)
split -l 1800 "$T/two" "$T/phase."
ls "$T"/phase.* | wc -l | sed 's/^/phases: /'
SCALE_TOOL=tagger SCALE_IN=people SCALE_OUT=tagged
. "$UOPS_TOP/test/lib/scale.sh"
merges_phases "$T/phase.aa" "$T/phase.ab" "$T/phase.ac" people 50
# a $fold written again after the kill is the same bytes
kcat -q -b "$BROKERS" -C -t people -e -f '%s\n' | grep '"type":"\$fold"' | sort -u > "$T/folds"
echo "\$fold records in the input topic: $(wc -l < "$T/folds"), event_ids: $(grep -o '"event_id":"[^"]*"' "$T/folds" | sort -u | wc -l)"
kcat -q -b "$BROKERS" -C -t people -e -f '%p %k\n' | sort -u > "$T/where"
awk 'NR == FNR { p[$2] = $1; next } { if (p[$1] != p[$1 + 100000]) x++ } END { print "pairs: " FNR ", on different partitions: " x + 0 }' "$T/where" "$T/ids"

# the stores against one file run of the one-stream form (merges folded
# locally): no merged profile left, and the same profiles byte for byte
tagger -q --db "$T/file.db" --nosync "$T/file" > "$T/file.out"
left() { # STORE…: merged oneids with a profile left
	for db in "$@"; do tagger --db "$T/$db" export --fields oneid; done |
		sed -n 's/.*"oneid":\([0-9]*\).*/\1/p' | awk '$1 > 100000' | wc -l
}
echo "merged profiles left behind, 3 stores: $(left A B C)"
echo "merged profiles left behind, a file run (one stream): $(left file.db)"
for db in A B C file.db; do
	dbdump "$T/$db" | awk '/^DB / { db = $2; next } db == "tagger.profiles" { print }' > "$T/$db.dump"
done
sort "$T/A.dump" "$T/B.dump" "$T/C.dump" > "$T/union"
sort "$T/file.db.dump" > "$T/file.sorted"
cmp -s "$T/union" "$T/file.sorted" && echo "the stores' tagger.profiles together equal the file run's: $(wc -l < "$T/union") people"
for db in A B C file.db; do tagger --db "$T/$db" export; done > "$T/exports"
grep -c . "$T/exports" > /dev/null

# each output partition against a run over that partition's records
# alone (its $folds included), and no event_id written with other bytes
outputs
echo "event_ids written with other bytes: $(wc -l < "$T/twice")"
grep -h '"\$merge"' "$T"/out.? | sort -u | wc -l | sed 's/^/$merge records passed on: /'
grep -ch '"\$fold"' "$T"/out.? | paste -sd+ | bc | sed 's/^/$fold records passed on: /'
