# Orders over Kafka: kill -9 in the middle of a run, then restart. Commits
# land inside orders (every 500 records, orders of 1 to 23 lines), and the
# position stored is never past the first line of an order not yet
# emitted: after the restart every order is whole and equals the file
# path's, nothing is lost, and a record produced twice carries the same
# event_id. The topic has three partitions, the producer keys each line
# by its order: an order's lines are consecutive in their partition, and
# ingest keeps an open order per partition. (Where the kill lands varies;
# the assertions hold wherever it does.)
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
mkdir -p "$T/p/sources"
cat > "$T/p/sources/shop.json" <<'JSON'
{"format": "ndjson", "group": {"by": "order_id", "lines": "order_line", "max_lines": 30}}
JSON
export UOPS_PIPELINES="$T/p"
# 800 orders, 1 + k·7 mod 23 lines each, of one of 300 members (the mock
# cluster keeps about 5 MB per partition: the events stay well below)
awk 'BEGIN {
	for (k = 1; k <= 800; k++) {
		n = 1 + (k * 7) % 23
		for (l = 1; l <= n; l++)
			printf "{\"type\":\"order_paid\",\"ts\":%d,\"ids\":{\"member\":\"m%d\"},\"props\":{\"order_id\":\"o%d\",\"sku\":\"s%d\",\"amount\":%d.%02d}}\n",
				1700000000 + k * 60 + l, k % 300, k, (k * l) % 97, l, (k + l) % 100
	}
}' > "$T/raw.ndjson"
ingest --db "$T/file.db" --source shop "$T/raw.ndjson" | sort > "$T/want"
echo "lines: $(wc -l < "$T/raw.ndjson"); the file path: $(grep -c '"type":"order_paid"' "$T/want") orders, $(grep -c '"type":"order_line"' "$T/want") line events"
KAFKA_PARTITIONS=3 kafka_start raw events raw2 events2
tab=$(printf '\t')
produce_keyed() { # TOPIC FILE: each line keyed by its order_id
	sed 's/^.*"order_id":"\([^"]*\)".*$/\1\t&/' "$2" | kcat -q -b "$BROKERS" -P -t "$1" -K "$tab"
}
# the raw lines come in pieces of 1000 that end inside orders: ingest
# idles and commits between them with an order open
split -l 1000 "$T/raw.ndjson" "$T/piece."
ingest --db "$T/k.db" --source shop --batch 500 -i "kafka://$BROKERS/raw" -o "kafka://$BROKERS/events" &
pid=$!
n=0
for f in "$T"/piece.*; do
	produce_keyed raw "$f"
	mv "$f" "$f.sent"
	sleep 0.3
	n=$(kafka_consume events | wc -l)
	[ "$n" -ge 4000 ] && break
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
echo "killed after $n events were out" >&2
for f in "$T"/piece.*; do
	case $f in *.sent) ;; *) produce_keyed raw "$f" ;; esac
done

ingest --db "$T/k.db" --source shop --batch 500 -e -v -i "kafka://$BROKERS/raw" -o "kafka://$BROKERS/events" 2> "$T/err" || { cat "$T/err" >&2; exit 1; }
cat "$T/err" >&2
kafka_consume events > "$T/got"
echo "produced $(wc -l < "$T/got") records (duplicates from the kill allowed)" >&2
sort -u "$T/got" > "$T/got.set"
cmp "$T/want" "$T/got.set" && echo "distinct events equal the file path's: every order whole, none lost"
dup=$(sed 's/^{"event_id":"\([^"]*\)".*/\1/' "$T/got.set" | sort | uniq -d | wc -l)
echo "event_ids with two different records: $dup"
# every order's amount is the sum of its lines' (in cents)
jq -r 'select(.type == "order_paid") | "\(.props.order_id) \(.props.amount * 100 | round) \(.props.lines)"' "$T/got.set" | sort > "$T/orders"
jq -r 'select(.type == "order_line") | "\(.props.order_id) \(.props.amount * 100 | round)"' "$T/got.set" |
	awk '{ s[$1] += $2; n[$1]++ } END { for (o in s) print o, s[o], n[o] }' | sort > "$T/lines"
cmp "$T/orders" "$T/lines" && echo "each order's amount and lines equal its line events'"

# The same, made deterministic: SIGTERM while order o2 is open (its first
# two lines read, the rest not yet produced). o1 is out, o2 is not; the
# offset stored is that of o2's first line, so the rerun reads o2 again
# from there (not o1) and emits it whole
cat > "$T/raw2.ndjson" <<'JSON'
{"type":"order_paid","ts":1700000000,"ids":{"member":"a"},"props":{"order_id":"o1","amount":1.5}}
{"type":"order_paid","ts":1700000000,"ids":{"member":"a"},"props":{"order_id":"o1","amount":2.25}}
{"type":"order_paid","ts":1700000060,"ids":{"member":"b"},"props":{"order_id":"o2","amount":10}}
{"type":"order_paid","ts":1700000060,"ids":{"member":"b"},"props":{"order_id":"o2","amount":20}}
{"type":"order_paid","ts":1700000060,"ids":{"member":"b"},"props":{"order_id":"o2","amount":"30"}}
{"type":"order_paid","ts":1700000060,"ids":{"member":"b"},"props":{"order_id":"o2","amount":0.01}}
{"type":"order_paid","ts":1700000120,"ids":{"member":"c"},"props":{"order_id":"o3","amount":7}}
JSON
# (one key for all, so one partition)
sed 's/^/k\t/' "$T/raw2.ndjson" > "$T/keyed2"
head -4 "$T/keyed2" > "$T/first"
tail -3 "$T/keyed2" > "$T/rest"
kcat -q -b "$BROKERS" -P -t raw2 -K "$tab" -l "$T/first"
set +e
ingest --db "$T/s.db" --source shop --group sig -i "kafka://$BROKERS/raw2" -o "kafka://$BROKERS/events2" 2> "$T/err2" &
pid=$!
i=0
while [ "$(kafka_consume events2 | wc -l)" -lt 3 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $pid
wait $pid
echo "SIGTERM with o2 open: exit $?; out: $(kafka_consume events2 | jq -r '"\(.type) \(.props.order_id)"' | tr '\n' ';')"
kcat -q -b "$BROKERS" -P -t raw2 -K "$tab" -l "$T/rest"
ingest --db "$T/s.db" --source shop -e -v -i "kafka://$BROKERS/raw2" -o "kafka://$BROKERS/events2" 2> "$T/err3"
echo "the rerun: exit $?"
sed -n 's/^ingest: \([0-9]* in: .*\)/  \1/p; s/^ingest: \([0-9]* orders.*\)/  \1/p' "$T/err3"
kafka_consume events2 | jq -c 'select(.type == "order_paid") | .props | {order_id, amount, lines}' | sort
