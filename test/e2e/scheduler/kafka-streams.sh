# With Kafka a partition is a stream with a clock of its own: one scheduler
# reading 4 partitions fires each person's wake-ups when the clock of their
# partition passes them, so what it writes for a partition is the same
# however the partitions interleave, and is what a run over that
# partition's records alone (a file: one stream) writes. Day ticks,
# produced into every partition, move only that partition's clock.
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
KAFKA_PARTITIONS=4 kafka_start segmented segmented2 out_a out_b
# every 7th person enters segment vip with their first record (every
# 14th leaves it with their 20th), so the weekly VIP letter (a schedule
# trigger) enters people on each partition's Mondays
gen-tagged -n 12000 -p 1200 -s 7 -g 300 | awk '{
	match($0, /"oneid":[0-9]+/); id = substr($0, RSTART + 8, RLENGTH - 8)
	match($0, /"ts":"[^"]*"/); ts = substr($0, RSTART, RLENGTH)
	n[id]++
	if (id % 7 == 0 && n[id] == 1) printf "{\"type\":\"$segment\",\"event_id\":\"v%d\",%s,\"oneid\":%d,\"segment\":\"vip\",\"op\":\"enter\"}\n", id, ts, id
	if (id % 14 == 0 && n[id] == 20) printf "{\"type\":\"$segment\",\"event_id\":\"x%d\",%s,\"oneid\":%d,\"segment\":\"vip\",\"op\":\"exit\"}\n", id, ts, id
	print }' > "$T/ev"
# keyed by oneid, as segmenter writes them; a day tick into every
# partition after each part
split -l 4000 "$T/ev" "$T/part."
nparts=$(ls "$T"/part.* | wc -l)
for f in "$T"/part.*; do
	awk '{ match($0, /"oneid":[0-9]+/); print substr($0, RSTART + 8, RLENGTH - 8) "\t" $0 }' "$f" > "$f.k"
	kcat -q -b "$BROKERS" -P -t segmented -K '\t' -l "$f.k"
	day=$(tail -1 "$f" | sed 's/.*"ts":"\([0-9-]*\)T.*/\1/')
	for p in 0 1 2 3; do
		echo "{\"type\":\"\$tick\",\"ts\":\"${day}T23:59:59.999Z\"}" > "$T/tick"
		kcat -q -b "$BROKERS" -P -t segmented -p $p -l "$T/tick"
	done
done
for p in 0 1 2 3; do
	kcat -q -b "$BROKERS" -C -t segmented -p $p -e -f '%k\t%s\n' > "$T/in.$p"
done
[ "$(cat "$T"/in.? | wc -l)" = $(($(wc -l < "$T/ev") + 4 * nparts)) ] && echo "input: the records over 4 partitions, a tick in each after each part"

# run a: the topic as produced
scheduler -q --db "$T/a" -e -i "kafka://$BROKERS/segmented" -o "kafka://$BROKERS/out_a"
# run b: the same partitions in another order: 3 and 2 to their end
# before 1 and 0 begin, read in small fetches
for p in 3 2; do kcat -q -b "$BROKERS" -P -t segmented2 -p $p -K '\t' -l "$T/in.$p"; done
scheduler -q --db "$T/b" -e -i "kafka://$BROKERS/segmented2" -o "kafka://$BROKERS/out_b"
scheduler --db "$T/b" status | grep '"stream"'
for p in 1 0; do kcat -q -b "$BROKERS" -P -t segmented2 -p $p -K '\t' -l "$T/in.$p"; done
scheduler -q --db "$T/b" -e -X max.partition.fetch.bytes=2048 \
	-i "kafka://$BROKERS/segmented2" -o "kafka://$BROKERS/out_b"
same=0
for p in 0 1 2 3; do
	kcat -q -b "$BROKERS" -C -t out_a -p $p -e -f '%s\n' > "$T/a.$p"
	kcat -q -b "$BROKERS" -C -t out_b -p $p -e -f '%s\n' > "$T/b.$p"
	cut -f2- "$T/in.$p" | scheduler -q --db "$T/file.$p" > "$T/f.$p"
	if cmp -s "$T/a.$p" "$T/b.$p" && cmp -s "$T/a.$p" "$T/f.$p"; then
		same=$((same + 1))
	else
		echo "partition $p differs" >&2
	fi
done
echo "partitions whose output is the same in both orders and alone: $same of 4"
scheduler --db "$T/a" status | grep '"stream"'
[ "$(scheduler --db "$T/a" status | grep -v "^{\"topic\"")" = "$(scheduler --db "$T/b" status | grep -v "^{\"topic\"")" ] && echo "the same status in both orders"
# wake-ups fired on every partition (their cause is "due:MS:ONEID")
for p in 0 1 2 3; do
	grep -c '"event_id":"jrn:due:' "$T/a.$p" | awk -v p=$p '{ print "partition " p ": " ($1 ? "wake-ups fired" : "NO wake-up fired") }'
done
for p in 0 1 2 3; do
	grep -c '"\$send".*"journey":"vip_weekly"' "$T/a.$p" | awk -v p=$p '{ print "partition " p ": " ($1 ? "weekly VIP letters sent" : "NO weekly VIP letter") }'
done
# a partition's output holds only its own people
for p in 0 1 2 3; do cut -f1 "$T/in.$p" | grep . | sort -u > "$T/keys.$p"; done
for p in 0 1 2 3; do
	grep -o '"oneid":[0-9]*' "$T/a.$p" | cut -d: -f2 | sort -u | comm -23 - "$T/keys.$p" | wc -l
done | awk '{ s += $1 } END { print "people written on a partition not theirs: " s }'
