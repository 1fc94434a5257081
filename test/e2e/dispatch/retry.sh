# An SMTP server down when dispatch starts: exit 75 and nothing lost (the
# sends are kept, state retry); a rerun once it is up sends them before it
# reads any input. Then an operator's one-off campaign: segmenter export's
# oneids (and unmasked addresses) made into $send records by
# `dispatch campaign`, sent once however often the campaign is run.
. "$UOPS_TOP/test/lib/sinks.sh"
port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
conf() { # SMTP-ADDRESS
	cat > "$T/ch.json" <<EOC
{"providers": {"mail": {"type": "smtp", "url": "smtp://$1", "from": "shop@example.com", "retries": 1, "backoff_ms": 10}},
 "channels": {"email": {"provider": "mail", "address": "email"}}}
EOC
}
conf "127.0.0.1:$port"
cat > "$T/in" <<'EOI'
{"type":"$send","send_id":"r:1","ts":"2026-03-01T10:00:00Z","oneid":1,"channel":"email","to":"a@example.com","params":{"subject":"one","text":"1"}}
{"type":"$send","send_id":"r:2","ts":"2026-03-01T10:00:00Z","oneid":2,"channel":"email","to":"b@example.com","params":{"subject":"two","text":"2"}}
EOI
dispatch --db "$T/db" --nosync --channels "$T/ch.json" --now 2026-03-01T10:00:00Z "$T/in" > "$T/out1" 2> "$T/err1"
echo "server down: exit $?"
grep -c '"\$delivery"' "$T/out1"
sed "s/127.0.0.1:[0-9]*/SERVER/; s/ 127.0.0.1 port [0-9]*//" "$T/err1"
mdb_dump -p -s dispatch.pending "$T/db" | sed '1,/^HEADER=END/d' | grep -v '^DATA=END' | awk 'END { print "kept to resend: " NR / 2 }'
smtp_start "$T/smtp" || exit 1
conf "$SMTP"
dispatch --db "$T/db" --nosync --channels "$T/ch.json" --now 2026-03-01T10:00:00Z "$T/in" > "$T/out2"
echo "server up: exit $?"
grep '"\$delivery"' "$T/out2"
grep -h '^Subject:' "$T"/smtp/mail/new/* | sort
echo "--- campaign"
printf '5\tcarol@example.com\n6\n' > "$T/export"
dispatch campaign --campaign spring --channel email --at 2026-03-01T10:00:00Z "$T/export" | tee "$T/c.in"
dispatch --db "$T/db" --nosync --channels "$T/ch.json" --now 2026-03-01T10:30:00Z "$T/c.in" | grep '"\$delivery"'
dispatch campaign --campaign spring --channel email --at 2026-03-01T10:00:00Z "$T/export" |
	dispatch --db "$T/db" --nosync --channels "$T/ch.json" --now 2026-03-01T10:30:00Z | grep -c '"\$delivery"'
ls "$T"/smtp/mail/new | wc -l | sed 's/^/messages received: /'
# a channel the channels file does not define is refused before any
# $send is written (its sends would only end no_channel)
dispatch campaign --campaign spring --channel nope --at 2026-03-01T10:00:00Z "$T/export" > "$T/c.bad" 2> "$T/c.err"
echo "unknown channel: exit $? $(wc -l < "$T/c.bad") lines"
sed "s|$UOPS_PIPELINES|PIPELINES|" "$T/c.err"
dispatch campaign --campaign spring --channels "$T/ch.json" --channel sms --at 2026-03-01T10:00:00Z "$T/export" > "$T/c.bad" 2> "$T/c.err"
echo "not in --channels: exit $? $(wc -l < "$T/c.bad") lines"
sed "s|$T|T|" "$T/c.err"
