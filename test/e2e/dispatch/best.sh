# A preference list takes the first channel with an address and consent;
# with "best": true the channel that engages the person most: its smoothed
# rate (engagement + 1) / (sends + 2), from the sends dispatch made (and
# $delivery records of sends it did not make) and the events dispatch.json
# counts, ties in the order of preference. A replayed event counts once.
cat > "$T/ch.json" <<'EOC'
{"providers": {"out": {"type": "file", "path": "sent.ndjson"}},
 "channels": {"wechat": {"provider": "out", "address": "openid"},
              "sms": {"provider": "out", "address": "phone"},
              "email": {"provider": "out", "address": "email"}}}
EOC
cat > "$T/rules.json" <<'EOC'
{"events": {"unsubscribed": {"granted": false, "channel_prop": "channel"}},
 "engagement": {"events": {"email_opened": {"channel": "email", "weight": 1},
                           "email_clicked": {"channel": "email", "weight": 3},
                           "link_clicked": {"channel_prop": "channel", "weight": 3}}}}
EOC
to='"to":{"wechat":"oP1","sms":"+8613800000001","email":"p@example.com"}'
cat > "$T/in" <<EOI
{"type":"\$send","send_id":"b:1","ts":"2026-03-01T10:00:00Z","oneid":1,"channel":["wechat","sms","email"],"best":true,$to}
{"type":"\$send","send_id":"b:2","ts":"2026-03-01T10:01:00Z","oneid":1,"channel":["wechat","sms","email"],"best":true,$to}
{"type":"email_opened","event_id":"e:1","ts":"2026-03-01T10:02:00Z","oneid":1}
{"type":"email_clicked","event_id":"e:2","ts":"2026-03-01T10:03:00Z","oneid":1}
{"type":"\$send","send_id":"b:3","ts":"2026-03-01T10:04:00Z","oneid":1,"channel":["wechat","sms","email"],"best":true,$to}
{"type":"\$send","send_id":"b:4","ts":"2026-03-01T10:05:00Z","oneid":1,"channel":["wechat","sms","email"],"best":true,$to}
{"type":"\$send","send_id":"b:5","ts":"2026-03-01T10:06:00Z","oneid":1,"channel":["wechat","sms","email"],"best":true,$to}
{"type":"\$send","send_id":"b:6","ts":"2026-03-01T10:07:00Z","oneid":1,"channel":["wechat","sms","email"],"best":true,$to}
{"type":"link_clicked","event_id":"e:3","ts":"2026-03-01T10:08:00Z","oneid":2,"props":{"channel":"email"}}
{"type":"unsubscribed","event_id":"e:4","ts":"2026-03-01T10:08:00Z","oneid":2,"channel":"email"}
{"type":"\$send","send_id":"b:7","ts":"2026-03-01T10:09:00Z","oneid":2,"channel":["sms","email"],"best":true,$to}
{"type":"\$send","send_id":"b:8","ts":"2026-03-01T10:09:00Z","oneid":3,"channel":["wechat","sms"],"to":{"sms":"+8613800000003"}}
{"type":"\$delivery","event_id":"dlv:x:1","ts":"2026-03-01T09:00:00Z","oneid":4,"send_id":"x:1","status":"sent","channel":"sms"}
{"type":"\$send","send_id":"b:9","ts":"2026-03-01T10:10:00Z","oneid":4,"channel":["sms","email"],"best":true,$to}
{"type":"\$send","send_id":"b:10","ts":"2026-03-01T10:10:00Z","oneid":4,"channel":["sms","email"],$to}
EOI
cd "$T"
run() {
	dispatch --db "$T/db" --nosync --channels "$T/ch.json" --config "$T/rules.json" --templates "$T/none" \
		--now 2026-03-01T10:10:00Z "$@" | grep '"\$delivery"' | grep -v '"dlv:x:1"' |
		sed 's/"event_id":"[^"]*",//; s/,"provider":"out","provider_id":""//'
}
run "$T/in"
echo "--- the clicks again (a replay), then one more send: still email"
grep '"email_' "$T/in" > "$T/in2"
printf '%s\n' "{\"type\":\"\$send\",\"send_id\":\"b:11\",\"ts\":\"2026-03-01T10:10:00Z\",\"oneid\":1,\"channel\":[\"wechat\",\"sms\",\"email\"],\"best\":true,$to}" >> "$T/in2"
run "$T/in2"
echo "--- the person's engagement, by channel: sends, weight"
mdb_dump -p -s dispatch.engagement "$T/db" | sed '1,/^HEADER=END/d' | grep -v '^DATA=END'
