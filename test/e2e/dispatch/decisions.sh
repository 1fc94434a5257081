# One $delivery per send_id, for every kind of decision: sent through a
# webhook (HMAC-signed, retried after 500s) and SMTP (a real server on
# loopback: what arrived is read back), suppressed (stale, no address, no
# consent, do-not-contact, no channel configured), failed (a permanent
# refusal), a preference list falling through to its second channel, a
# transactional send that ignores withdrawn consent, a replayed $send
# (a duplicate: nothing sent, nothing written), and bad $send records
# rejected with the field named. A rerun of the same input sends nothing.
. "$UOPS_TOP/test/lib/sinks.sh"
set -e
hook_start "$T/hook" s3cret
smtp_start "$T/smtp"
cat > "$T/ch.json" <<EOC
{"providers": {
   "hook": {"type": "webhook", "url": "http://$HOOK/send", "secret": "s3cret", "backoff_ms": 10, "timeout_ms": 2000},
   "mail": {"type": "smtp", "url": "smtp://$SMTP", "from": "shop@example.com", "unsubscribe": "mailto:unsub@example.com"}},
 "channels": {"webhook": {"provider": "hook"}, "email": {"provider": "mail", "address": "email"},
              "sms": {"provider": "hook", "address": "phone"}}}
EOC
printf '+8613800000009\n' > "$T/dnc.txt"
dispatch --db "$T/db" --nosync suppress --channel sms "$T/dnc.txt"
set +e
dispatch --db "$T/db" --nosync --channels "$T/ch.json" --now 2026-03-01T10:10:00Z --parallel 1 \
	--rejects "$T/rej" decisions.in > "$T/out"
echo "exit $?"
cat "$T/out"
echo "--- rejects"
sed 's/"source":"[^"]*"/"source":"…"/' "$T/rej"
echo "--- webhook received"
cat "$T/hook/delivered.ndjson"
echo "--- smtp received"
for f in $(grep -H '^Message-ID:' "$T"/smtp/mail/new/* | sort -t' ' -k2 | cut -d: -f1); do grep -E '^(From|To|Subject|Message-ID|List-Unsubscribe|Content-Type): ' "$f"; sed -n '/^$/,$p' "$f" | grep -v '^$' | grep -v '^Content-'; done
echo "--- rerun"
dispatch --db "$T/db" --nosync --channels "$T/ch.json" --now 2026-03-01T10:10:00Z -v decisions.in 2>&1 > "$T/out2" | grep 'sends:'
grep -c '"\$delivery"' "$T/out2" || true
wc -l < "$T/hook/delivered.ndjson"
