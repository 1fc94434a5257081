# kill -9 in the middle of a Kafka run, then restart: state and offsets
# commit together, so the records after the last commit are done again with
# the same result: no loss, no second oneid for anyone, and the distinct
# output equals the NDJSON path's (the mock cluster keeps about 5 MB a
# partition: the input stays well below)
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
kafka_start events identified
gen-events -n 10000 -p 1500 | ingest --db "$T/in.db" > "$T/ev"
idmerge --db "$T/file.db" "$T/ev" | sort > "$T/want"
kafka_produce events "$T/ev"
idmerge --db "$T/k.db" --batch 500 -i "kafka://$BROKERS/events" -o "kafka://$BROKERS/identified" &
pid=$!
n=0
while kill -0 $pid 2>/dev/null; do
	n=$(kafka_consume identified | wc -l)
	[ "$n" -ge 3000 ] && break
	sleep 0.1
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
echo "killed after $n records were out" >&2
idmerge --db "$T/k.db" --batch 500 -e -i "kafka://$BROKERS/events" -o "kafka://$BROKERS/identified"
kafka_consume identified > "$T/got"
echo "produced $(wc -l < "$T/got") records" >&2
sort -u "$T/got" > "$T/got.set"
cmp "$T/want" "$T/got.set" && echo "distinct output equals the NDJSON path's: $(wc -l < "$T/want") records"
dup=$(sed -n 's/^{"event_id":"\([^"]*\)".*"oneid":\([0-9]*\)}$/\1 \2/p' "$T/got.set" | sort -u | cut -d' ' -f1 | uniq -d | wc -l)
echo "events with two different oneids: $dup"
