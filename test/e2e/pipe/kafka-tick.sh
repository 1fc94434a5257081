# A clock record ($tick) is for every person, and with Kafka every
# partition is a stream with a clock of its own: a tool that writes a $tick
# read from a file (here idmerge) into a topic of 4 partitions writes it to
# each of the 4; a tool reading those 4 partitions and writing a topic of 4
# (segmenter) passes each on in its own partition, so it reaches every
# partition once and never multiplies from stage to stage.
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
KAFKA_PARTITIONS=4 kafka_start people segmented
{
	gen-events -n 200 -p 40 -s 3 | ingest -q --db "$T/db"
	echo '{"type":"$tick","ts":"2030-01-01T00:00:00Z"}'
} > "$T/events"
idmerge -q --db "$T/db" "$T/events" -o "kafka://$BROKERS/people"
count() { # TOPIC: the $tick records of each partition
	for p in 0 1 2 3; do
		printf 'partition %s: %s\n' "$p" "$(kcat -q -b "$BROKERS" -C -t "$1" -p "$p" -e -f '%s\n' | grep -c '"\$tick"' || true)"
	done
}
echo "people (idmerge from a file):"
count people
segmenter -q --db "$T/seg" -e -i "kafka://$BROKERS/people" -o "kafka://$BROKERS/segmented"
echo "segmented (segmenter from the 4 partitions):"
count segmented
