# A dispatch store knows the partitions it owns, and refuses (exit 78,
# saying why) to consume one whose people's outbox is in another store
# (the group consumed it while this store never owned it) or whose stored
# offset is behind the group's (another store went on from it), instead
# of sending again what the other store sent. Sends kept to resend (the
# provider was down) move with their partition: the new store sends them
# once, the old one never. An import refuses a partition the store owns,
# a file cut short and a file of another tool; status shows the lag, and
# says when the brokers do not answer.
. "$UOPS_TOP/test/lib/sinks.sh"
. "$UOPS_TOP/test/lib/kafka.sh"
hook_start "$T/hook"
KAFKA_PARTITIONS=4 kafka_start sends deliveries
trap 'for p in $SINK_PIDS ${KMOCK_PID:-}; do kill $p 2>/dev/null; wait $p 2>/dev/null; done' EXIT
cat > "$T/up.json" <<EOC
{"providers": {"hook": {"type": "webhook", "url": "http://$HOOK/send", "idempotency_key": true, "backoff_ms": 10}},
 "channels": {"webhook": {"provider": "hook"}}}
EOC
cat > "$T/down.json" <<EOC
{"providers": {"hook": {"type": "webhook", "url": "http://127.0.0.1:1/send", "idempotency_key": true,
                        "retries": 0, "backoff_ms": 1}},
 "channels": {"webhook": {"provider": "hook"}}}
EOC
awk 'BEGIN { for (i = 1; i <= 400; i++)
	printf "%d\t{\"type\":\"$send\",\"send_id\":\"f:%d\",\"ts\":\"2026-03-01T10:00:00Z\",\"oneid\":%d,\"channel\":\"webhook\"}\n", i, i, i }' > "$T/ev.k"
head -200 "$T/ev.k" > "$T/first"
tail -n +201 "$T/ev.k" > "$T/second"
K="kafka://$BROKERS"
kcat -q -b "$BROKERS" -P -t sends -K '\t' -l "$T/first"
run() { # STORE PARTITIONS [CHANNELS]
	dispatch -q --db "$T/$1" --nosync --channels "$T/${3:-up}.json" --send-past -e --partitions "$2" \
		-i "$K/sends" -o "$K/deliveries" 2> "$T/err"
	rc=$?
	grep -v '^%' "$T/err" | sed "s|$T/||g; s/: [^:]*refused.*/: refused/"
	echo "$1 on $2: exit $rc"
}
run A 0,1
# B's provider is down: its sends are kept to resend
run B 2,3 down
kept() { mdb_dump -p -s dispatch.pending "$T/$1" | sed '1,/^HEADER=END/d' | grep -v '^DATA=END' | awk 'END { print NR / 2 }'; }
echo "B kept to resend: $(kept B)"
# a fresh store given partition 2, which B consumed
run C 2
# B's partition 3 goes to C, with its sends kept to resend; B is not told
# and starts again with it, after C went on
dispatch --db "$T/B" partition export --partition 3 > "$T/p3"
dispatch --db "$T/C" partition import "$T/p3"
kcat -q -b "$BROKERS" -P -t sends -K '\t' -l "$T/second"
run C 3
run B 2,3
# B drops what it gave away, and goes on with 2 alone
dispatch --db "$T/B" partition drop --partition 3
run B 2
echo "kept to resend: B $(kept B), C $(kept C)"
run A 0,1
dispatch --db "$T/B" partition drop --partition 3 2> "$T/err"; rc=$?
sed "s|$T/||g" "$T/err"; echo "drop again: exit $rc"
# every send once at the webhook: partition 3's kept sends by C alone
grep -o '"send_id": "f:[0-9]*"' "$T/hook/delivered.ndjson" | sort | uniq -d | wc -l | sed 's/^/sent twice: /'
echo "sent: $(grep -c . "$T/hook/delivered.ndjson") of 400, sent again by a store that gave its partition away: $(cat "$T/hook/repeats" 2>/dev/null || echo 0)"
kcat -q -b "$BROKERS" -C -t deliveries -e -f '%s\n' | grep '"\$delivery"' | sort -u > "$T/dlv"
echo "answered: $(grep -o '"send_id":"[^"]*"' "$T/dlv" | sort -u | wc -l), finally sent: $(grep -c '"status":"sent"' "$T/dlv")"
# an import into a store that owns the partition; a file cut short; a
# scheduler's file
dispatch --db "$T/C" partition import "$T/p3" 2> "$T/err"; rc=$?
sed "s|$T/||g" "$T/err"; echo "import again: exit $rc"
head -c 3000 "$T/p3" > "$T/short"
dispatch --db "$T/D" partition import "$T/short" 2> "$T/err"; rc=$?
sed "s|$T/||g" "$T/err"; echo "import cut short: exit $rc"
scheduler -q --db "$T/sc" --pipelines "$UOPS_TOP/pipelines" --nosync -e --partitions 1 -i "$K/sends" -o /dev/null 2>/dev/null
scheduler --db "$T/sc" --pipelines "$UOPS_TOP/pipelines" partition export --partition 1 > "$T/sc1"
dispatch --db "$T/D" partition import "$T/sc1" 2> "$T/err"; rc=$?
sed "s|$T/||g" "$T/err"; echo "import of a scheduler's file: exit $rc"
dispatch --db "$T/D" partition export --partition 3 > /dev/null 2>&1; echo "export of a partition not owned: exit $?"
dispatch --db "$T/A" partition export 2>&1; echo "export without --partition: exit $?"
dispatch --db "$T/none" partition 2>&1; echo "partition alone: exit $?, a store made: $([ -e "$T/none" ] && echo yes || echo no)"
dispatch --db "$T/nowhere" status 2> "$T/err"; rc=$?
sed "s|$T/||g" "$T/err"; echo "status of no store: exit $rc"
# lag: behind by the records produced since
cut -f2 "$T/first" > "$T/plain"
kcat -q -b "$BROKERS" -P -t sends -p 0 -l "$T/plain" 2>/dev/null
dispatch --db "$T/A" status -i "$K/sends" | grep '"partition"' | sed 's/"end":[0-9]*/"end":E/; s/"lag":[1-9][0-9]*/"lag":positive/'
UOPS_KAFKA_CONNECT_MS=500 dispatch --db "$T/A" status -i "kafka://127.0.0.1:1/sends" 2>&1 | grep -v '^%' | grep '"partition"\|unreachable' | sed 's/: .*unreachable.*/: unreachable/'
echo "status, brokers down: exit $(UOPS_KAFKA_CONNECT_MS=500 dispatch --db "$T/A" status -i "kafka://127.0.0.1:1/sends" >/dev/null 2>&1; echo $?)"
