# kill -9 in the middle of a Kafka run, then restart: nothing is lost, a
# record produced twice carries the same event_id, and the distinct events
# equal the NDJSON path's. (Where the kill lands varies; the assertions hold
# wherever it does.)
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
KAFKA_PARTITIONS=3 kafka_start raw events
# (the mock cluster keeps about 5 MB per partition: stay well below)
gen-events -n 20000 -p 2000 -d 3 > "$T/raw.ndjson"
ingest --db "$T/file.db" "$T/raw.ndjson" | sort > "$T/want"
kafka_produce raw "$T/raw.ndjson"

ingest --db "$T/k.db" --batch 2000 -i "kafka://$BROKERS/raw" -o "kafka://$BROKERS/events" &
pid=$!
n=0
while kill -0 $pid 2>/dev/null; do
	n=$(kafka_consume events | wc -l)
	[ "$n" -ge 5000 ] && break
	sleep 0.1
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
echo "killed after $n events were out" >&2

ingest --db "$T/k.db" --batch 2000 -e -i "kafka://$BROKERS/raw" -o "kafka://$BROKERS/events"
kafka_consume events > "$T/got"
echo "produced $(wc -l < "$T/got") records (duplicates from the kill allowed)" >&2
sort -u "$T/got" > "$T/got.set"
cmp "$T/want" "$T/got.set" && echo "distinct events equal the NDJSON path's: $(wc -l < "$T/want")"
# every event_id names exactly one distinct record
dup=$(sed 's/^{"event_id":"\([^"]*\)".*/\1/' "$T/got.set" | sort | uniq -d | wc -l)
echo "event_ids with two different records: $dup"
