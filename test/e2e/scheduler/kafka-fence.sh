# A scheduler store knows the partitions it owns, and refuses (exit 78,
# saying why) to consume one whose people are in another store (the group
# consumed it while this store never owned it) or whose stored offset is
# behind the group's (another store went on from it), instead of starting
# journeys over for people already in them. An import refuses a partition
# the store owns, and a file cut short or of another tool; status shows the
# lag, and says when the brokers do not answer.
. "$UOPS_TOP/test/lib/kafka.sh"
KAFKA_PARTITIONS=4 kafka_start segmented journeys
gen-tagged -n 4000 -p 600 -s 5 -g 100 > "$T/ev"
awk '{ match($0, /"oneid":[0-9]+/); print substr($0, RSTART + 8, RLENGTH - 8) "\t" $0 }' "$T/ev" > "$T/ev.k"
head -2000 "$T/ev.k" > "$T/first"
tail -n +2001 "$T/ev.k" > "$T/second"
K="kafka://$BROKERS"
kcat -q -b "$BROKERS" -P -t segmented -K '\t' -l "$T/first"
run() { # STORE PARTITIONS
	scheduler -q --db "$T/$1" --nosync -e --partitions "$2" -i "$K/segmented" -o "$K/journeys" 2> "$T/err"
	rc=$?
	grep -v '^%' "$T/err" | sed "s|$T/||g"
	echo "$1 on $2: exit $rc"
}
run A 0,1
run B 2,3
# a fresh store given partition 2, which B consumed
run C 2
# B's partition 3 goes to C; B is not told and starts again with it,
# after C went on
scheduler --db "$T/B" partition export --partition 3 > "$T/p3"
scheduler --db "$T/C" partition import "$T/p3"
kcat -q -b "$BROKERS" -P -t segmented -K '\t' -l "$T/second"
run C 3
run B 2,3
# B drops what it gave away, and goes on with 2 alone
scheduler --db "$T/B" partition drop --partition 3
run B 2
scheduler --db "$T/B" partition drop --partition 3 2> "$T/err"; rc=$?
sed "s|$T/||g" "$T/err"; echo "drop again: exit $rc"
# an import into a store that owns the partition; a file cut short; a
# tagger's file
scheduler --db "$T/C" partition import "$T/p3" 2> "$T/err"; rc=$?
sed "s|$T/||g" "$T/err"; echo "import again: exit $rc"
head -c 3000 "$T/p3" > "$T/short"
scheduler --db "$T/D" partition import "$T/short" 2> "$T/err"; rc=$?
sed "s|$T/||g" "$T/err"; echo "import cut short: exit $rc"
tagger -q --db "$T/tg" --nosync -e --partitions 1 -i "$K/segmented" -o /dev/null 2>/dev/null
tagger --db "$T/tg" partition export --partition 1 > "$T/tg1"
scheduler --db "$T/D" partition import "$T/tg1" 2> "$T/err"; rc=$?
sed "s|$T/||g" "$T/err"; echo "import of a tagger's file: exit $rc"
scheduler --db "$T/D" partition export --partition 3 > /dev/null 2>&1; echo "export of a partition not owned: exit $?"
scheduler --db "$T/A" partition export 2>&1; echo "export without --partition: exit $?"
# lag: behind by the records produced since
kcat -q -b "$BROKERS" -P -t segmented -p 0 -l "$T/ev" 2>/dev/null
scheduler --db "$T/A" status -i "$K/segmented" | grep '"partition"' | sed 's/"end":[0-9]*/"end":E/; s/"lag":[1-9][0-9]*/"lag":positive/'
UOPS_KAFKA_CONNECT_MS=500 scheduler --db "$T/A" status -i "kafka://127.0.0.1:1/segmented" 2>&1 | grep -v '^%' | grep '"partition"\|unreachable' | sed 's/: .*unreachable.*/: unreachable/'
echo "status, brokers down: exit $(UOPS_KAFKA_CONNECT_MS=500 scheduler --db "$T/A" status -i "kafka://127.0.0.1:1/segmented" >/dev/null 2>&1; echo $?)"
