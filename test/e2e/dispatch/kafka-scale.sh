# Scaling out on partitions: 4 partitions, 2 then 3 then 2 dispatch
# instances, each with a store of its own and static partitions
# (--partitions), partition 3's state moved to a third instance and back
# to the first by the documented procedure (partition export, import,
# drop), one instance killed with -9 mid-run and started again. The sends
# cross the moves: deferred by quiet hours or not_before on one side and
# due on the other, replayed $send records of send_ids sent before the
# move, consent withdrawn and caps counted before it. Every output
# partition then holds what a run over that partition's records alone
# writes, every send reached the loopback webhook once, and the stores'
# per-person state together equals one instance's.
. "$UOPS_TOP/test/lib/sinks.sh"
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
hook_start "$T/hook"
H1=$HOOK
hook_start "$T/ref"
H2=$HOOK
KAFKA_PARTITIONS=4 kafka_start sends deliveries
trap 'for p in $SINK_PIDS ${KMOCK_PID:-}; do kill $p 2>/dev/null; wait $p 2>/dev/null; done' EXIT
for h in hook ref; do
	[ $h = hook ] && a=$H1 || a=$H2
	cat > "$T/$h.json" <<EOC
{"providers": {"hook": {"type": "webhook", "url": "http://$a/send", "idempotency_key": true, "backoff_ms": 10}},
 "channels": {"webhook": {"provider": "hook"}}}
EOC
done
cat > "$T/dispatch.json" <<'EOC'
{"caps": [{"name": "daily", "window": "1d", "max": 2}],
 "quiet_hours": {"start": "21:00", "end": "08:00", "tz": "UTC", "policy": "defer"},
 "events": {"unsubscribed": {"granted": false, "channel_prop": "channel"}}}
EOC
# per person and day: a send at 10:00, one at 15:00 (over the daily cap
# for some), one at 22:00 (deferred to 08:00 the next day, in the next
# phase); every 5th person unsubscribes on day 1; every 7th gets a send
# not before 09:00 the next day; on day 2 every 3rd person's first send of
# day 1 comes again
gen() { # DAY NEXT
	awk -v d="$1" -v n="$2" 'BEGIN {
	for (i = 1; i <= 240; i++) {
		t = sprintf("%02d.%03d", i % 60, i)
		printf "{\"type\":\"$send\",\"send_id\":\"%s:%d:a\",\"ts\":\"%sT10:00:%sZ\",\"oneid\":%d,\"channel\":\"webhook\",\"journey\":\"j\"}\n", d, i, d, t, i
	}
	for (i = 1; i <= 240; i++) {
		t = sprintf("%02d.%03d", i % 60, i)
		if (i % 5 == 0 && d ~ /01$/)
			printf "{\"type\":\"unsubscribed\",\"event_id\":\"u:%d\",\"ts\":\"%sT12:00:%sZ\",\"oneid\":%d,\"props\":{\"channel\":\"webhook\"}}\n", i, d, t, i
		if (i % 3 == 0 && d ~ /02$/)
			printf "{\"type\":\"$send\",\"send_id\":\"2026-03-01:%d:a\",\"ts\":\"2026-03-01T10:00:%sZ\",\"oneid\":%d,\"channel\":\"webhook\",\"journey\":\"j\"}\n", i, t, i
		if (i % 7 == 0)
			printf "{\"type\":\"$send\",\"send_id\":\"%s:%d:nb\",\"ts\":\"%sT12:30:%sZ\",\"oneid\":%d,\"channel\":\"webhook\",\"journey\":\"j\",\"not_before\":\"%sT09:00:00Z\"}\n", d, i, d, t, i, n
	}
	for (i = 1; i <= 240; i++) {
		t = sprintf("%02d.%03d", i % 60, i)
		if (i % 2)
			printf "{\"type\":\"$send\",\"send_id\":\"%s:%d:b\",\"ts\":\"%sT15:00:%sZ\",\"oneid\":%d,\"channel\":\"webhook\",\"journey\":\"k\"}\n", d, i, d, t, i
		printf "{\"type\":\"$send\",\"send_id\":\"%s:%d:c\",\"ts\":\"%sT22:00:%sZ\",\"oneid\":%d,\"channel\":\"webhook\",\"journey\":\"j\"}\n", d, i, d, t, i
	}}'
}
gen 2026-03-01 2026-03-02 > "$T/phase.1"
gen 2026-03-02 2026-03-03 > "$T/phase.2"
gen 2026-03-03 2026-03-04 > "$T/phase.3"
D="dispatch --channels $T/hook.json --config $T/dispatch.json --send-past --parallel 1"
SCALE_TOOL=$D SCALE_IN=sends SCALE_OUT=deliveries
. "$UOPS_TOP/test/lib/scale.sh"
phase "$T/phase.1"
start A 0,1; a=$pid
start B 2,3; b=$pid
wait $a $b
# scale up: a third instance takes partition 3 with its people
move 3 B C
phase "$T/phase.2"
start A 0,1; a=$pid
start C 3; c=$pid
# B is killed with -9 mid-run, and started again
start B 2 --batch 50; b=$pid
sleep 0.5
kill -9 $b 2>/dev/null && echo "B killed" >&2 || true
wait $b 2>/dev/null || true
run B 2
wait $a $c
# scale down: C leaves, A takes partition 3
move 3 C A
phase "$T/phase.3"
start A 0,1,3; a=$pid
start B 2; b=$pid
wait $a $b
for db in A B C; do
	dispatch --db "$T/$db" status -i "$K/sends" | grep '"partition"' | sed "s/^/$db: /"
done
dispatch --db "$T/A" status | grep '"stream"'

# each output partition against a run over the partition's records alone
same=0
for p in 0 1 2 3; do
	kcat -q -b "$BROKERS" -C -t sends -p $p -e -f '%s\n' > "$T/in.$p"
	kcat -q -b "$BROKERS" -C -t deliveries -p $p -e -f '%s\n' > "$T/out.$p"
	dispatch -q --db "$T/file.$p" --nosync --channels "$T/ref.json" --config "$T/dispatch.json" --send-past \
		--parallel 1 "$T/in.$p" > "$T/f.$p"
	awk '!seen[$0]++' "$T/out.$p" > "$T/first.$p"
	if cmp -s "$T/first.$p" "$T/f.$p"; then same=$((same + 1)); else echo "partition $p differs" >&2; fi
done
echo "output partitions equal to their partition's run alone: $same of 4"
cat "$T"/out.? | sort -u | grep -o '"event_id":"[^"]*"' | sort | uniq -d > "$T/twice"
echo "event_ids written with other bytes: $(wc -l < "$T/twice")"
cat "$T"/f.? | grep '"\$delivery"' | sed 's/.*"status":"\([a-z]*\)".*/\1/' | sort | uniq -c | awk '{ print $2 ": " $1 }'
cat "$T"/f.? | grep -o '"reason":"[a-z_]*"' | sort | uniq -c | awk '{ print $2 ": " $1 }'
# deferred on one side of a move and decided on the other
for m in 2026-03-02 2026-03-03; do
	echo "deferred past the move of $m: $(grep -h '"status":"deferred"' "$T/f.3" | grep -c "\"until\":\"$m")"
done
# every send sent once, to the webhook of the instances
grep '"status":"sent"' "$T"/f.? | grep -o '"send_id":"[^"]*"' | sort > "$T/want"
grep -o '"send_id": "[^"]*"' "$T/hook/delivered.ndjson" | tr -d ' ' | sort > "$T/got"
cmp -s "$T/want" "$T/got" && echo "the webhook got every send sent, each once: $(wc -l < "$T/got")"
echo "repeats answered by the key (after the kill): $(cat "$T/hook/repeats" 2>/dev/null || echo 0)" >&2

# the stores' per-person state together, against one instance that read it all
dispatch -q --db "$T/one" --nosync --channels "$T/ref.json" --config "$T/dispatch.json" --send-past --parallel 1 \
	-e --group reference -i "$K/sends" -o "$T/one.out"
for db in A B C one; do
	dbdump "$T/$db" | awk '/^DB / { db = $2; next }
		db ~ /^dispatch\.(outbox|sends|consent|caps|deferred|pending)$/ { print db, $0 }
		db == "dispatch.state" && $1 ~ /^636c6f636b3a3/ { print db, $0 }' > "$T/$db.dump"
done
sort "$T/A.dump" "$T/B.dump" "$T/C.dump" > "$T/union"
sort "$T/one.dump" > "$T/one.sorted"
cmp -s "$T/union" "$T/one.sorted" && echo "the stores' per-person state together equals one instance's"
for d in outbox sends consent caps deferred pending; do
	printf '%s: %s\n' "$d" "$(grep -c "^dispatch\.$d " "$T/one.sorted" | sed 's/^[1-9][0-9]*$/some/')"
done
echo "clocks: $(grep -c '^dispatch\.state ' "$T/one.sorted")"
[ -s "$T/C.dump" ] || echo "C holds nothing"
