# idmerge between Kafka topics (one partition, so the order is the file's):
# the same oneids as the NDJSON path; a second run resumes from the stored
# offsets and reads nothing again
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
kafka_start events identified
gen-events -n 5000 -p 800 | ingest --db "$T/in.db" > "$T/ev"
idmerge --db "$T/file.db" "$T/ev" > "$T/file.out"
kafka_produce events "$T/ev"
idmerge --db "$T/k.db" -e -i "kafka://$BROKERS/events" -o "kafka://$BROKERS/identified"
kafka_consume identified > "$T/k.out"
cmp "$T/file.out" "$T/k.out" && echo "kafka output equals the NDJSON path: $(wc -l < "$T/k.out") records"
kcat -q -b "$BROKERS" -C -t identified -e -f '%k %s\n' | awk '{ split($2, a, "\"oneid\":"); sub(/[,}].*/, "", a[2]); if ($1 != a[2]) bad++ } END { print "records keyed by their oneid: " (bad ? "NO" : "yes") }'
idmerge --db "$T/k.db" -e -v -i "kafka://$BROKERS/events" -o "kafka://$BROKERS/identified" 2> "$T/err"
grep -o '^idmerge: [0-9]* in' "$T/err"
