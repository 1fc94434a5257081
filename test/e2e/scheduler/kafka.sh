# scheduler between Kafka topics (one partition, so the order is the
# file's): the same records as the NDJSON path, keyed by oneid, with kcat
# as the outside client; a second run resumes from the offsets stored
# with the state and reads nothing again.
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
kafka_start segmented journeys
gen-tagged -n 4000 -p 300 -s 5 -g 300 > "$T/ev"
scheduler --db "$T/file.db" "$T/ev" > "$T/file.out"
kafka_produce segmented "$T/ev"
scheduler --db "$T/k.db" -e -i "kafka://$BROKERS/segmented" -o "kafka://$BROKERS/journeys"
kafka_consume journeys > "$T/k.out"
cmp "$T/file.out" "$T/k.out" && echo "kafka output equals the NDJSON path: $(grep -c '"\$send"' "$T/k.out" | sed 's/^[1-9][0-9]*$/some/') \$send records"
kcat -q -b "$BROKERS" -C -t journeys -e -f '%k %s\n' | awk '$1 != "" { split($2, a, "\"oneid\":"); sub(/[,}].*/, "", a[2]); if ($1 != a[2]) bad++; n++ } END { print "records keyed by their oneid: " (bad || !n ? "NO" : "yes") }'
scheduler --db "$T/k.db" -e -v -i "kafka://$BROKERS/segmented" -o "kafka://$BROKERS/journeys" 2> "$T/err"
grep -o '^scheduler: [0-9]* in' "$T/err"
[ "$(scheduler --db "$T/file.db" status)" = "$(scheduler --db "$T/k.db" status | grep -v "^{\"topic\"")" ] && echo "same status"
