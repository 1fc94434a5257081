# A store knows the partitions it owns, and refuses (exit 78, saying why)
# to consume one whose state is elsewhere, instead of starting its people
# over from empty profiles: one the group consumed while this store never
# owned it, one whose stored offset is behind the group's (another store
# went on from it). An import refuses a partition the store owns; a file
# cut short is refused whole. status shows the lag, and says when the
# brokers do not answer.
. "$UOPS_TOP/test/lib/kafka.sh"
KAFKA_PARTITIONS=4 kafka_start people tagged
gen-tagged -n 4000 -p 600 -s 5 -g 100 > "$T/ev"
awk '{ match($0, /"oneid":[0-9]+/); print substr($0, RSTART + 8, RLENGTH - 8) "\t" $0 }' "$T/ev" > "$T/ev.k"
head -2000 "$T/ev.k" > "$T/first"
tail -n +2001 "$T/ev.k" > "$T/second"
K="kafka://$BROKERS"
kcat -q -b "$BROKERS" -P -t people -K '\t' -l "$T/first"
run() { # STORE PARTITIONS
	tagger -q --db "$T/$1" --nosync -e --partitions "$2" -i "$K/people" -o "$K/tagged" 2> "$T/err"
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
tagger --db "$T/B" partition export --partition 3 > "$T/p3"
tagger --db "$T/C" partition import "$T/p3"
kcat -q -b "$BROKERS" -P -t people -K '\t' -l "$T/second"
run C 3
run B 2,3
# B drops what it gave away, and goes on with 2 alone
tagger --db "$T/B" partition drop --partition 3
run B 2
# an import into a store that owns the partition; a file cut short
tagger --db "$T/C" partition import "$T/p3" 2> "$T/err"; rc=$?
sed "s|$T/||g" "$T/err"; echo "import again: exit $rc"
head -c 3000 "$T/p3" > "$T/short"
tagger --db "$T/D" partition import "$T/short" 2> "$T/err"; rc=$?
sed "s|$T/||g" "$T/err"; echo "import cut short: exit $rc"
tagger --db "$T/D" partition export --partition 3 > /dev/null 2>&1; echo "export of a partition not owned: exit $?"
# lag: behind by the records produced since
kcat -q -b "$BROKERS" -P -t people -p 0 -l "$T/ev" 2>/dev/null
tagger --db "$T/A" status -i "$K/people" | grep '"partition"' | sed 's/"end":[0-9]*/"end":E/; s/"lag":[1-9][0-9]*/"lag":positive/'
UOPS_KAFKA_CONNECT_MS=500 tagger --db "$T/A" status -i "kafka://127.0.0.1:1/people" 2>&1 | grep -v '^%' | grep '"partition"\|unreachable' | sed 's/: .*unreachable.*/: unreachable/'
echo "status, brokers down: exit $(UOPS_KAFKA_CONNECT_MS=500 tagger --db "$T/A" status -i "kafka://127.0.0.1:1/people" >/dev/null 2>&1; echo $?)"
