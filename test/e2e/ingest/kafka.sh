# Kafka in and out against a real protocol endpoint (librdkafka's mock
# cluster), with kcat as the outside client: the same events as the NDJSON
# path, and offsets stored with the state so a rerun consumes nothing twice.
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
KAFKA_PARTITIONS=3 kafka_start raw events
gen-events -n 3000 -p 300 -d 5 > "$T/raw.ndjson"
cat basic.in >> "$T/raw.ndjson"

ingest --db "$T/file.db" "$T/raw.ndjson" > "$T/file.out" 2>/dev/null || [ $? = 1 ]

kafka_produce raw "$T/raw.ndjson"
rc=0
ingest --db "$T/k.db" -e -i "kafka://$BROKERS/raw" -o "kafka://$BROKERS/events" \
	--rejects "$T/k.rej" || rc=$?
echo "exit $rc"
kafka_consume events > "$T/k.out"
# partitions interleave: compare as sets, and count
sort "$T/file.out" > "$T/a"
sort "$T/k.out" > "$T/b"
cmp "$T/a" "$T/b" && echo "kafka output equals the NDJSON path: $(wc -l < "$T/b") events"
echo "rejects: $(wc -l < "$T/k.rej")"

# a second run with the same group resumes from the stored offsets
rc=0
ingest --db "$T/k.db" -e -i "kafka://$BROKERS/raw" -o "kafka://$BROKERS/events" -v \
	2>"$T/err2" || rc=$?
echo "rerun exit $rc: $(grep -o '^ingest: [0-9]* in' "$T/err2")"
