# $merge across partitions, measured (not covered yet: see tagger(1),
# SCALING OUT). A $merge is keyed by the survivor, so it comes on the
# survivor's partition; the merged person's profile is on the partition of
# their old oneid. With each partition's store elsewhere, the survivor's
# instance finds nothing to fold: the merged profile stays behind. A file
# run (one stream, the merged person's records before the $merge) folds
# them all. (One instance reading every partition folds those whose
# records it happened to read before the $merge: it depends on how the
# partitions interleave, so it is not shown here.)
. "$UOPS_TOP/test/lib/kafka.sh"
KAFKA_PARTITIONS=4 kafka_start people people2 tagged
# the bundled data: how many merges idmerge writes, and how many of them
# join oneids of different partitions (a oneid's partition: where its
# records land, keyed by oneid)
zstdcat "$UOPS_TOP/data/online_retail.csv.zst" | ingest -q --db "$T/in" --nosync --source online_retail |
	idmerge -q --db "$T/in" --nosync > "$T/all"
echo "bundled data: $(wc -l < "$T/all") records, $(grep -c '"type":"\$merge"' "$T/all") \$merge records"
# people merged on purpose, as tagger/merge: every other event of a
# person under a second oneid (N + 100000), then $merge records
zstdcat "$UOPS_TOP/data/online_retail.csv.zst" | head -6000 > "$T/retail.csv"
ingest -q --db "$T/in2" --nosync --source online_retail "$T/retail.csv" | idmerge -q --db "$T/in2" --nosync > "$T/one"
last=$(tail -1 "$T/one" | sed 's/.*"ts":"\([^"]*\)".*/\1/')
awk '{ if (NR % 2 == 0) { match($0, /"oneid":[0-9]+}$/); n = substr($0, RSTART + 8, RLENGTH - 9); sub(/"oneid":[0-9]+}$/, "\"oneid\":" (n + 100000) "}") } print }' "$T/one" > "$T/two"
sed -n 's/.*"oneid":\([0-9]*\)}$/\1/p' "$T/one" | sort -un > "$T/ids"
awk -v ts="$last" '{ printf "{\"type\":\"$merge\",\"event_id\":\"m%d\",\"ts\":\"%s\",\"oneid\":%d,\"merged\":[%d],\"by\":\"member\"}\n", $1, ts, $1, $1 + 100000 }' "$T/ids" >> "$T/two"
awk '{ match($0, /"oneid":[0-9]+/); print substr($0, RSTART + 8, RLENGTH - 8) "\t" $0 }' "$T/two" > "$T/two.k"
kcat -q -b "$BROKERS" -P -t people -K '\t' -l "$T/two.k"
kcat -q -b "$BROKERS" -C -t people -e -f '%p %k\n' | sort -u > "$T/where"
# the merged oneid's partition against the survivor's
awk 'NR == FNR { p[$2] = $1; next } { if (p[$1] != p[$1 + 100000]) x++ } END { print "merges: " FNR ", across partitions: " x + 0 }' "$T/where" "$T/ids"
K="kafka://$BROKERS"
tagger -q --db "$T/A" --nosync -e --partitions 0,1 -i "$K/people" -o "$K/tagged"
tagger -q --db "$T/B" --nosync -e --partitions 2,3 -i "$K/people" -o "$K/tagged"
tagger -q --db "$T/file.db" --nosync "$T/two" > /dev/null
left() { # STORE…: merged oneids with a profile left
	for db in "$@"; do tagger --db "$T/$db" export --fields oneid; done |
		sed -n 's/.*"oneid":\([0-9]*\).*/\1/p' | awk '$1 > 100000' | wc -l
}
echo "merged profiles left behind, 2 instances: $(left A B)"
echo "merged profiles left behind, a file run (one stream): $(left file.db)"
