# Without --partitions, instances join the consumer group and the group
# assigns partitions; the stores still decide. A runs alone and takes
# every partition; B joins with an empty store: the group gives it some of
# A's partitions, and B refuses them (exit 78, naming them) instead of
# starting their people over from empty profiles. A goes on, and ends
# cleanly on SIGTERM with every record applied once.
. "$UOPS_TOP/test/lib/kafka.sh"
KAFKA_PARTITIONS=4 kafka_start people tagged
gen-tagged -n 3000 -p 400 -s 7 -g 300 > "$T/ev"
awk '{ match($0, /"oneid":[0-9]+/); print substr($0, RSTART + 8, RLENGTH - 8) "\t" $0 }' "$T/ev" > "$T/ev.k"
kcat -q -b "$BROKERS" -P -t people -K '\t' -l "$T/ev.k"
K="kafka://$BROKERS"
# short group timeouts: the mock cluster rebalances once every member has
# rejoined or timed out
X="-X session.timeout.ms=6000 -X heartbeat.interval.ms=300"
tagger -q --db "$T/A" --nosync $X -i "$K/people" -o "$K/tagged" 2> "$T/a.err" &
apid=$!
# until the group holds A's offsets of every partition
i=0
while [ "$(tagger --db "$T/A" status -i "$K/people" 2> /dev/null | grep -c '"lag":0')" != 4 ]; do
	i=$((i + 1))
	[ $i -gt 300 ] && { echo "A did not catch up"; break; }
	sleep 0.1
done
echo "A owns: $(tagger --db "$T/A" status -i "$K/people" | grep -c '"partition"') partitions, no lag"
tagger -q --db "$T/B" --nosync $X -i "$K/people" -o "$K/tagged" 2> "$T/b.err"
echo "B joins with an empty store: exit $?"
grep -c "this store does not own it, and the group has consumed it" "$T/b.err" | sed 's/^[1-9][0-9]*$/B named the partitions it refused/'
kill -TERM $apid
wait $apid
echo "A on SIGTERM: exit $?"
kcat -q -b "$BROKERS" -C -t tagged -e -f '%s\n' | grep -v '"\$tag"' | sort -u | wc -l | sed 's/^/events passed on once each: /'
wc -l < "$T/ev" | sed 's/^/events produced: /'
