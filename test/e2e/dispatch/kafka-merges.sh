# $merge across partitions (README "Scaling out", dispatch(1)): a merged
# person's address book, cap history, engagement and withdrawals of
# consent are on the partition of their old oneid, the $merge on the
# survivor's. Into Kafka, idmerge writes the $merge also keyed by each
# merged oneid ("leaving", first); that partition's owner answers it with
# a $fold (that state, by names) into dispatch's input topic, keyed by
# the survivor, and drops it; the survivor's owner holds the partition at
# the $merge until the $fold is there, then folds it in the $merge's
# place. 4 partitions, 2 then 3 then 2 instances, one killed with -9
# mid-run, merges chained: the sends after the merges are decided as one
# instance over the one-stream form decides them (the merged person's
# SMS counted in the survivor's daily cap, their address serving the
# survivor, their unsubscribe holding), the webhook gets each send once,
# and every output partition is what a run over that partition alone
# writes.
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
 "channels": {"email": {"provider": "hook", "address": "email"},
              "sms": {"provider": "hook", "address": "phone"}}}
EOC
done
cat > "$T/dispatch.json" <<'EOC'
{"caps": [{"name": "sms_daily", "channel": "sms", "window": "2d", "max": 1}],
 "events": {"email_unsubscribed": {"granted": false, "channel": "email"}}}
EOC
# day 1: people 1..40, each with a second oneid N+1000 that holds the
# addresses, an SMS sent and (every 5th) an email unsubscribe; day 2:
# N+1000 merged into N, and 1 into 2, 3 into 4 … 9 into 10 (chains), then
# an SMS to each survivor (over the cap of one in 2 days: the merged
# one's counts); day 3 an email (to the merged one's address, unless
# they unsubscribed), day 5 an SMS (the cap's window passed)
ev() { printf '{"type":"%s","event_id":"%s","ts":"%sZ","oneid":%d,"ids":%s}\n' "$@"; }
send() { printf '{"type":"$send","send_id":"%s","ts":"%sZ","oneid":%d,"journey":"j","channel":"%s"}\n' "$@"; }
merge() { printf '{"type":"$merge","event_id":"%s","ts":"%sZ","oneid":%d,"merged":[%d],"by":"member"}\n' "$@"; }
survivors() { seq 1 40 | awk '$1 > 10 || $1 % 2 == 0'; }
for n in $(seq 1 40); do
	m=$((n + 1000))
	ev signup "e$m" 2026-03-01T09:00:00.000 $m "{\"email\":\"p$m@example.com\",\"phone\":\"+861380000$m\"}"
	ev page_view "e$n" 2026-03-01T09:01:00.000 $n "{\"cookie\":\"ck$n\"}"
	send "s$m:a" 2026-03-01T09:10:00 $m sms
	[ $((n % 5)) = 0 ] && ev email_unsubscribed "u$m" 2026-03-01T09:20:00.000 $m '{}'
done > "$T/phase.1"
{ for n in $(seq 1 40); do merge "m$n" 2026-03-02T09:30:00.000 $n $((n + 1000)); done
  for n in 1 3 5 7 9; do merge "c$n" 2026-03-02T09:40:00.000 $((n + 1)) $n; done
  for n in $(survivors); do send "s$n:b" 2026-03-02T10:00:00 $n sms; done; } > "$T/phase.2"
{ for n in $(survivors); do send "s$n:c" 2026-03-03T10:30:00 $n email; done
  for n in $(survivors); do send "s$n:d" 2026-03-05T09:00:00 $n sms; done; } > "$T/phase.3"
. "$UOPS_TOP/test/lib/merges.sh"
: > "$T/file"
D="dispatch --channels $T/hook.json --config $T/dispatch.json --send-past --parallel 1"
SCALE_TOOL=$D SCALE_IN=sends SCALE_OUT=deliveries
. "$UOPS_TOP/test/lib/scale.sh"
merges_phases "$T/phase.1" "$T/phase.2" "$T/phase.3" sends 5
kcat -q -b "$BROKERS" -C -t sends -e -f '%p %k\n' | sort -u > "$T/where"
awk 'NR == FNR { p[$2] = $1; next } { if (p[$1] != p[$1 + 1000]) x++ } END { print "pairs: " FNR ", on different partitions: " x + 0 }' \
	"$T/where" - <<EOP
$(seq 1 40)
EOP
# a $fold written again after the kill is the same bytes
kcat -q -b "$BROKERS" -C -t sends -e -f '%s\n' | grep '"type":"\$fold"' | sort -u > "$T/folds"
echo "\$fold records in the input topic: $(wc -l < "$T/folds"), event_ids: $(grep -o '"event_id":"[^"]*"' "$T/folds" | sort -u | wc -l)"
grep -c '"state":null' "$T/folds" | sed 's/^/of them with nothing to fold: /'
grep -m1 '"fold:m15:1015"' "$T/folds"

# the decisions against one instance over the one-stream form (the
# $merge records as one: folded in its store)
dispatch -q --db "$T/one" --nosync --channels "$T/ref.json" --config "$T/dispatch.json" --send-past --parallel 1 \
	"$T/file" > "$T/one.out"
decided() { grep -h '"\$delivery"' "$@" | sed 's/.*"send_id":"\([^"]*\)".*"status":"\([a-z]*\)"\(,"reason":"\([a-z_]*\)"\)*.*/\1 \2 \4/' | sort -u; }
for p in 0 1 2 3; do kcat -q -b "$BROKERS" -C -t deliveries -p $p -e -f '%s\n' > "$T/out.$p"; done
decided "$T/one.out" > "$T/one.dec"
decided "$T"/out.? > "$T/k.dec"
cmp -s "$T/one.dec" "$T/k.dec" && echo "the sends are decided as one instance decides them: $(wc -l < "$T/k.dec")"
diff "$T/one.dec" "$T/k.dec" >&2 || true
for s in a b c d; do
	echo "$s: $(grep ":$s " "$T/k.dec" | awk '{ print $2 ($3 ? "/" $3 : "") }' | sort | uniq -c | awk '{ printf "%s %s ", $2, $1 }')"
done
grep -h '"\$delivery"' "$T"/out.? | grep -o '"reason":"[a-z_]*"' | sort | uniq -c | awk '{ print $2 ": " $1 }'
# the merged person's address serves the survivor
echo "survivors' sends to a merged person's address: $(grep -c '"to": *"\(p10[0-9][0-9]@example.com\|+8613800001[0-9]*\)"' "$T/hook/delivered.ndjson")"
# every send sent once, to the webhook of the instances
grep -h '"status":"sent"' "$T"/out.? | grep -o '"send_id":"[^"]*"' | sort -u > "$T/want"
grep -o '"send_id": "[^"]*"' "$T/hook/delivered.ndjson" | tr -d ' ' | sort > "$T/got"
cmp -s "$T/want" "$T/got" && echo "the webhook got every send sent, each once: $(wc -l < "$T/got")"

# each output partition against a run over the partition's records alone
same=0
for p in 0 1 2 3; do
	kcat -q -b "$BROKERS" -C -t sends -p $p -e -f '%s\n' > "$T/in.$p"
	dispatch -q --db "$T/file.$p" --nosync --channels "$T/ref.json" --config "$T/dispatch.json" --send-past \
		--parallel 1 "$T/in.$p" > "$T/f.$p"
	awk '!seen[$0]++' "$T/out.$p" > "$T/first.$p"
	if cmp -s "$T/first.$p" "$T/f.$p"; then same=$((same + 1)); else echo "partition $p differs" >&2; fi
done
echo "output partitions equal to their partition's run alone: $same of 4"
cat "$T"/out.? | sort -u | grep -o '"event_id":"[^"]*"' | sort | uniq -d > "$T/twice"
echo "event_ids written with other bytes: $(wc -l < "$T/twice")"
grep -ch '"\$fold"' "$T"/out.? | paste -sd+ | bc | sed 's/^/$fold records passed on: /'
# no merged person's state left on their own partition's store
for db in A B C; do
	dbdump "$T/$db" | awk '/^DB / { db = $2; next } db ~ /^dispatch\.(addresses|caps)$/ { print db, $0 }'
done | awk '{ print $1 }' | sort | uniq -c | awk '{ print $2 ": " $1 " people" }'
