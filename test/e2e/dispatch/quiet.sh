# Quiet hours (21:00-08:00) in the person's zone (trait tz from $tag
# records, else Asia/Shanghai): a send inside them is answered "deferred"
# with until (the first minute after them, across DST: Europe/London's
# 08:00 on the day clocks go forward is 07:00Z) and decided again when the
# stream's clock (any record's ts, $tick too) reaches it; not_before
# defers the same way; transactional sends ignore quiet hours; a deferral
# left at the end of a run is kept for the next; policy drop suppresses.
. "$UOPS_TOP/test/lib/sinks.sh"
set -e
hook_start "$T/hook"
cat > "$T/ch.json" <<EOC
{"providers": {"hook": {"type": "webhook", "url": "http://$HOOK/send", "backoff_ms": 10, "timeout_ms": 2000}},
 "channels": {"webhook": {"provider": "hook"}}}
EOC
cat > "$T/dispatch.json" <<'EOC'
{"quiet_hours": {"start": "21:00", "end": "08:00", "tz": "Asia/Shanghai", "policy": "defer"}}
EOC
set +e
dispatch --db "$T/db" --nosync --channels "$T/ch.json" --config "$T/dispatch.json" --send-past --parallel 1 \
	quiet.in > "$T/out"
echo "exit $?"
grep '"\$delivery"' "$T/out"
echo "--- a second run: the clock passes the deferral left"
echo '{"type":"$tick","ts":"2026-03-30T00:00:00Z"}' |
	dispatch --db "$T/db" --nosync --channels "$T/ch.json" --config "$T/dispatch.json" --send-past | grep '"\$delivery"'
echo "--- a replay of the input: nothing new"
dispatch --db "$T/db" --nosync --channels "$T/ch.json" --config "$T/dispatch.json" --send-past quiet.in |
	grep -c '"\$delivery"'
echo "--- webhook received"
sed 's/, "ts".*//' "$T/hook/delivered.ndjson" | sort
echo "--- policy drop"
echo '{"quiet_hours": {"start": "21:00", "end": "08:00", "policy": "drop"}}' > "$T/drop.json"
echo '{"type":"$send","send_id":"d:1","ts":"2026-03-01T23:00:00Z","oneid":9,"channel":"webhook"}' |
	dispatch --db "$T/db2" --nosync --channels "$T/ch.json" --config "$T/drop.json" --send-past | grep '"\$delivery"'
echo "--- bad quiet hours"
for c in '{"quiet_hours": {"start": "25:00", "end": "08:00"}}' '{"quiet_hours": {"start": "21:00", "end": "08:00", "tz": "Mars/Olympus"}}' \
	'{"quiet_hours": {"start": "21:00", "end": "08:00", "policy": "later"}}'; do
	echo "$c" > "$T/bad.json"
	dispatch --db "$T/db" --nosync --channels "$T/ch.json" --config "$T/bad.json" < /dev/null > "$T/o" 2>&1
	rc=$?
	sed "s|$T/||" "$T/o"
	echo "exit $rc"
done
echo "--- a dry run decides a deferred send again too (nothing stored: it keeps the record)"
rm -rf "$T/dry"
dispatch --db "$T/dry" --nosync --channels "$T/ch.json" --config "$T/dispatch.json" --send-past --dry-run \
	quiet.in | grep '"\$delivery"' | sed 's/"ts":"[^"]*",//' | grep -o '"send_id":"[^"]*","status":"[a-z]*"' | sort | uniq -c
