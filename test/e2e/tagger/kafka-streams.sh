# With Kafka a partition is a stream with a clock of its own: one tagger
# reading 4 partitions evaluates each person's tags on the clock of their
# partition, so what it writes for a partition ($tag records, their ts and
# event_ids, the deadlines fired) is the same however the partitions
# interleave, and is what a run over that partition's records alone (a
# file: one stream) writes. Day ticks, produced into every partition,
# each fire their own partition's deadlines. Then kill -9 at moments and
# restarts: every record written again is the same bytes as the first
# time.
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
KAFKA_PARTITIONS=4 kafka_start events events2 out_a out_b out_c
gen-tagged -n 16000 -p 1500 -s 11 -g 300 > "$T/ev"
# keyed by oneid, as idmerge writes them; a day tick into every partition
# after each part, and one 40 days after the last, which fires the
# deadlines of everyone gone quiet
split -l 4000 "$T/ev" "$T/part."
nparts=$(ls "$T"/part.* | wc -l)
for f in "$T"/part.*; do
	awk '{ match($0, /"oneid":[0-9]+/); print substr($0, RSTART + 8, RLENGTH - 8) "\t" $0 }' "$f" > "$f.k"
	kcat -q -b "$BROKERS" -P -t events -K '\t' -l "$f.k"
	day=$(tail -1 "$f" | sed 's/.*"ts":"\([0-9-]*\)T.*/\1/')
	echo "{\"type\":\"\$tick\",\"ts\":\"${day}T23:59:59.999Z\"}" > "$T/tick"
	for p in 0 1 2 3; do kcat -q -b "$BROKERS" -P -t events -p $p -l "$T/tick"; done
done
echo "{\"type\":\"\$tick\",\"ts\":\"$(date -u -d "$day + 40 days" +%F)T00:00:00.000Z\"}" > "$T/tick"
for p in 0 1 2 3; do kcat -q -b "$BROKERS" -P -t events -p $p -l "$T/tick"; done
nticks=$((nparts + 1))
for p in 0 1 2 3; do
	kcat -q -b "$BROKERS" -C -t events -p $p -e -f '%k\t%s\n' > "$T/in.$p"
	[ "$(grep -c '"\$tick"' "$T/in.$p")" = "$nticks" ] || echo "partition $p: not a tick per part"
done
[ "$(cat "$T"/in.? | wc -l)" = $(($(wc -l < "$T/ev") + 4 * nticks)) ] && echo "input: the events over 4 partitions, a tick in each after each part"

# run a: the topic as produced
tagger -q --db "$T/a" --nosync -e -i "kafka://$BROKERS/events" -o "kafka://$BROKERS/out_a"
# run b: the same partitions, produced and read in another order: 3 and 2
# to their end before 1 and 0 begin, read in small fetches
for p in 3 2; do kcat -q -b "$BROKERS" -P -t events2 -p $p -K '\t' -l "$T/in.$p"; done
tagger -q --db "$T/b" --nosync -e -i "kafka://$BROKERS/events2" -o "kafka://$BROKERS/out_b"
for p in 1 0; do kcat -q -b "$BROKERS" -P -t events2 -p $p -K '\t' -l "$T/in.$p"; done
tagger -q --db "$T/b" --nosync -e -X max.partition.fetch.bytes=2048 \
	-i "kafka://$BROKERS/events2" -o "kafka://$BROKERS/out_b"
same=0
for p in 0 1 2 3; do
	kcat -q -b "$BROKERS" -C -t out_a -p $p -e -f '%s\n' > "$T/a.$p"
	kcat -q -b "$BROKERS" -C -t out_b -p $p -e -f '%s\n' > "$T/b.$p"
	cut -f2- "$T/in.$p" | tagger -q --db "$T/file.$p" --nosync > "$T/f.$p"
	if cmp -s "$T/a.$p" "$T/b.$p" && cmp -s "$T/a.$p" "$T/f.$p"; then
		same=$((same + 1))
	else
		echo "partition $p differs" >&2
	fi
done
echo "partitions whose output is the same in both orders and alone: $same of 4"
cat "$T"/a.? | grep -c '"\$tag"' | awk '{ print ($1 > 1000 ? "over 1,000 $tag records" : $1 " $tag records") }'
cat "$T"/f.? | grep -c '"tag:due:' | awk '{ print ($1 > 0 ? "deadlines fired" : "no deadline fired") }'
tagger --db "$T/a" status
[ "$(tagger --db "$T/a" status | grep '"stream"')" = "$(tagger --db "$T/b" status | grep '"stream"')" ] && echo "the same clocks per partition in both orders"

# run c: killed with -9 at moments and started again, to the end
# (each kill comes at a moment, or later if the run has written nothing
# of its own by then: a sanitized build can take longer to start)
n=0
out_c() { kcat -q -b "$BROKERS" -C -t out_c -e -f 'x\n' 2>/dev/null | wc -l; }
for wait in 0.3 0.5 0.4 0.6; do
	before=$(out_c)
	tagger -q --db "$T/c" -e --batch 300 -i "kafka://$BROKERS/events" -o "kafka://$BROKERS/out_c" &
	pid=$!
	sleep $wait
	i=0
	while [ $i -lt 600 ] && kill -0 $pid 2>/dev/null && [ "$(out_c)" -le "$before" ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -9 $pid 2>/dev/null && n=$((n + 1))
	wait $pid 2>/dev/null || true
done
echo "tagger killed $n time(s)" >&2
tagger -q --db "$T/c" -e -i "kafka://$BROKERS/events" -o "kafka://$BROKERS/out_c"
kcat -q -b "$BROKERS" -C -t out_c -e -f '%s\n' > "$T/c.all"
# whether a kill fell between a flush and its commit is timing: said on
# stderr, not asserted (the bytes of what was written again are, below)
echo "records written again after the kills: $([ "$(wc -l < "$T/c.all")" -gt "$(cat "$T"/a.? | wc -l)" ] && echo some || echo none)" >&2
sort -u "$T/c.all" | grep -o '"event_id":"[^"]*"' | sort | uniq -d > "$T/twice"
[ -s "$T/twice" ] && echo "event_ids written with other bytes: $(wc -l < "$T/twice")" || echo "every record written again is the same bytes"
sort -u "$T/c.all" > "$T/c.set"
cat "$T"/a.? | sort -u > "$T/a.set"
cmp -s "$T/a.set" "$T/c.set" && echo "the killed run wrote what run a wrote"
