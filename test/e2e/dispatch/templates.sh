# Templates: {{fields}} from the $send's params and the traits dispatch
# keeps from the $tag records it passes (a null new value forgets one),
# defaults after '|', the html part escaped, a template per channel or for
# any channel, a jq template; an SMS text's segments (GSM 7-bit and UCS-2)
# and a text over the channel's max_segments; an unknown field, a field
# that is not text, a jq error and an unknown template fail the send for
# good with the reason. A template that does not compile, or an SMS template
# whose text alone is over max_segments: exit 78 at start, with the file
# and the reason.
. "$UOPS_TOP/test/lib/sinks.sh"
set -e
hook_start "$T/hook"
smtp_start "$T/smtp"
cat > "$T/ch.json" <<EOC
{"providers": {
   "hook": {"type": "webhook", "url": "http://$HOOK/send", "backoff_ms": 10, "timeout_ms": 2000},
   "mail": {"type": "smtp", "url": "smtp://$SMTP", "from": "shop@example.com"}},
 "channels": {"webhook": {"provider": "hook"}, "email": {"provider": "mail", "address": "email"},
              "sms": {"provider": "hook", "address": "phone", "max_segments": 1}}}
EOC
echo '{}' > "$T/dispatch.json" # no caps: oneid 1 gets several sends
mkdir "$T/tpl"
cat > "$T/tpl/welcome.email.json" <<'EOT'
{"subject": "Welcome, {{first_name|there}}",
 "text": "Hello {{ first_name | there }},\nyour coupon is {{coupon}} ({{traits.city|somewhere}}).",
 "html": "<p>Hello {{first_name|there}}, your coupon is <b>{{params.coupon}}</b> (send {{send.send_id}})</p>"}
EOT
cat > "$T/tpl/welcome.sms.json" <<'EOT'
{"text": "【小店】{{first_name|您好}}，优惠券 {{coupon}} 已到账，回T退订"}
EOT
cat > "$T/tpl/welcome.json" <<'EOT'
{"text": "coupon {{coupon}}"}
EOT
cat > "$T/tpl/long.sms.json" <<'EOT'
{"text": "Dear {{first_name|customer}}, {{body}}"}
EOT
cat > "$T/tpl/receipt.jq" <<'EOT'
# a jq template: any program that gives one object of text parts
{text: ("You bought " + (.params.items | map("\(.qty) × \(.sku)") | join(", ")) + ".")}
EOT
set +e
dispatch --db "$T/db" --nosync --channels "$T/ch.json" --config "$T/dispatch.json" --templates "$T/tpl" --now 2026-03-01T10:10:00Z \
	--parallel 1 templates.in > "$T/out"
echo "exit $?"
grep '"\$delivery"' "$T/out" | sed "s|$T/||"
echo "--- webhook received"
cat "$T/hook/delivered.ndjson"
echo "--- smtp received"
for f in $(grep -H '^Message-ID:' "$T"/smtp/mail/new/* | sort -t' ' -k2 | cut -d: -f1); do grep -E '^(To|Subject): ' "$f"; sed -n '/^$/,$p' "$f" | grep -v '^$' | grep -v '^Content-' | grep -v '^--uops'; done
echo "--- traits kept"
dbdump "$T/db" dispatch.traits 2>/dev/null || mdb_dump -p -s dispatch.traits "$T/db" | sed -n '/^HEADER=END/,/^DATA=END/p'
echo "--- templates that do not compile"
mkdir "$T/bad1" "$T/bad2" "$T/bad3" "$T/bad4"
echo '{"text": "Hello {{first_name"}' > "$T/bad1/hello.json"
echo '{text: (.params | nosuchfunction)}' > "$T/bad2/hello.sms.jq"
echo '{"text": "Hello {{first name}}"}' > "$T/bad3/hello.json"
printf '{"text": "%s{{first_name}}"}\n' "$(for i in $(seq 40); do printf 'sale '; done)" > "$T/bad4/long.sms.json"
for b in bad1 bad2 bad3 bad4; do
	dispatch --db "$T/db" --nosync --channels "$T/ch.json" --templates "$T/$b" < /dev/null > "$T/o" 2>&1
	echo "$b: exit $?"
	sed "s|$T/||" "$T/o"
done
