# segmenter between Kafka topics (one partition, so the order is the
# file's): the same records as the NDJSON path, keyed by oneid; a second
# run resumes from the offsets stored with the membership and reads
# nothing again
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
kafka_start tagged segmented
gen-tagged -n 4000 -p 300 -s 5 -g 300 | tagger --db "$T/t.db" > "$T/ev"
segmenter --db "$T/file.db" "$T/ev" > "$T/file.out"
kafka_produce tagged "$T/ev"
segmenter --db "$T/k.db" -e -i "kafka://$BROKERS/tagged" -o "kafka://$BROKERS/segmented"
kafka_consume segmented > "$T/k.out"
cmp "$T/file.out" "$T/k.out" && echo "kafka output equals the NDJSON path: $(grep -c '"\$segment"' "$T/k.out" | sed 's/^[1-9][0-9]*$/some/') \$segment records"
kcat -q -b "$BROKERS" -C -t segmented -e -f '%k %s\n' | awk '$1 != "" { split($2, a, "\"oneid\":"); sub(/[,}].*/, "", a[2]); if ($1 != a[2]) bad++; n++ } END { print "records keyed by their oneid: " (bad || !n ? "NO" : "yes") }'
segmenter --db "$T/k.db" -e -v -i "kafka://$BROKERS/tagged" -o "kafka://$BROKERS/segmented" 2> "$T/err"
grep -o '^segmenter: [0-9]* in' "$T/err"
for s in active_no_order_30d last_order_over_300 winback; do
	[ "$(segmenter --db "$T/file.db" count $s)" = "$(segmenter --db "$T/k.db" count $s)" ] && echo "$s: same count"
done
