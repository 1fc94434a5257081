# Frequency caps (--config): at most one marketing SMS a day and three
# marketing sends of any channel a week, the last weekly slot kept for
# priority 5 or more. Two journeys sending the same SMS in the same second:
# the second is capped; a preference list falls through to a channel the
# caps allow; a transactional send is neither capped nor counted; the
# week slides by event time (a send exactly a week later no longer
# counts); a second run goes on from the state the first committed.
. "$UOPS_TOP/test/lib/sinks.sh"
set -e
hook_start "$T/hook"
cat > "$T/ch.json" <<EOC
{"providers": {"hook": {"type": "webhook", "url": "http://$HOOK/send", "backoff_ms": 10, "timeout_ms": 2000}},
 "channels": {"webhook": {"provider": "hook"}, "sms": {"provider": "hook", "address": "phone"}}}
EOC
cat > "$T/dispatch.json" <<'EOC'
{"caps": [
   {"name": "sms_daily", "channel": "sms", "window": "1d", "max": 1},
   {"name": "weekly", "window": "7d", "max": 3, "reserve": 1, "reserve_priority": 5}]}
EOC
set +e
dispatch --db "$T/db" --nosync --channels "$T/ch.json" --config "$T/dispatch.json" --send-past caps.in > "$T/out"
echo "exit $?"
grep '"\$delivery"' "$T/out"
echo "--- a second run"
echo '{"type":"$send","send_id":"c:11","ts":"2026-03-01T18:00:00Z","oneid":2,"channel":"sms","to":"+8613800000002"}' |
	dispatch --db "$T/db" --nosync --channels "$T/ch.json" --config "$T/dispatch.json" --send-past | grep '"\$delivery"'
echo "--- webhook received"
sed 's/, "ts".*//' "$T/hook/delivered.ndjson" | sort
echo "--- bad configs"
for c in '{"caps": [{"name": "x", "window": "soon", "max": 1}]}' '{"caps": [{"window": "1d", "max": 1}]}' \
	'{"caps": [{"name": "x", "window": "1d", "max": 2, "reserve": 1}]}' '{"caps": {}}' '{"cap": []}'; do
	echo "$c" > "$T/bad.json"
	dispatch --db "$T/db" --nosync --channels "$T/ch.json" --config "$T/bad.json" < /dev/null > "$T/o" 2>&1
	rc=$?
	sed "s|$T/||" "$T/o"
	echo "exit $rc"
done
