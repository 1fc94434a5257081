# dispatch between Kafka topics (librdkafka's mock cluster, kcat as the
# client outside): unsubscribe events named in dispatch.json withdraw
# consent (a fixed channel, or the channel a property names), an opt-in
# event grants it again after a $consent withdrew it; every $send is
# answered on the output topic, keyed by oneid, with the records passed
# on; a second run resumes from the stored offsets and sends nothing.
. "$UOPS_TOP/test/lib/sinks.sh"
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
hook_start "$T/hook"
kafka_start sends deliveries
trap 'for p in $SINK_PIDS ${KMOCK_PID:-}; do kill $p 2>/dev/null; wait $p 2>/dev/null; done' EXIT
cat > "$T/ch.json" <<EOC
{"providers": {"hook": {"type": "webhook", "url": "http://$HOOK/send", "backoff_ms": 10, "timeout_ms": 2000},
               "out": {"type": "file", "path": "$T/outbox.ndjson"}},
 "channels": {"webhook": {"provider": "hook"}, "sms": {"provider": "hook", "address": "phone"},
              "email": {"provider": "out", "address": "email"}}}
EOC
cat > "$T/dispatch.json" <<'EOC'
{"events": {
   "email_unsubscribed": {"granted": false, "channel": "email"},
   "unsubscribed": {"granted": false, "channel_prop": "channel"},
   "subscribed": {"granted": true, "channel_prop": "channel"}}}
EOC
kafka_produce sends kafka.in
set +e
dispatch --db "$T/db" --nosync --channels "$T/ch.json" --config "$T/dispatch.json" --send-past -e \
	-i "kafka://$BROKERS/sends" -o "kafka://$BROKERS/deliveries"
echo "exit $?"
kcat -q -b "$BROKERS" -C -t deliveries -e -f '%k %s\n' > "$T/k.out"
grep -c . "$T/k.out"
grep '"\$delivery"' "$T/k.out" | sort -k1,1n -s
echo "--- webhook received"
sed 's/, "ts".*//' "$T/hook/delivered.ndjson" | sort
echo "--- file outbox"
sed 's/,"ts".*//' "$T/outbox.ndjson"
echo "--- a second run"
dispatch --db "$T/db" --nosync --channels "$T/ch.json" --config "$T/dispatch.json" --send-past -e -v \
	-i "kafka://$BROKERS/sends" -o "kafka://$BROKERS/deliveries" 2>&1 | grep -o '^dispatch: [0-9]* in'
kcat -q -b "$BROKERS" -C -t deliveries -e -f '%s\n' | grep -c .
echo "--- a bad events rule"
echo '{"events": {"x": {"granted": "no", "channel": "sms"}}}' > "$T/bad.json"
dispatch --db "$T/db" --nosync --channels "$T/ch.json" --config "$T/bad.json" < /dev/null > "$T/o" 2>&1
rc=$?
sed "s|$T/||" "$T/o"
echo "exit $rc"
