# dispatch's address book: in one pipe (ingest | idmerge | … | dispatch on
# one --db) a $send can reach dispatch before idmerge has committed the
# identifiers that came with the events ahead of it. dispatch keeps the
# addresses of the events passing it (dispatch.addresses), so such a send
# goes out; idmerge's state is read after it, and a blocked identifier is
# never taken, and the first address of a type is kept. (Before the
# address book, s1, s3 and s4 below were suppressed as no_address.)
# $merge records fold the merged person's addresses, caps,
# engagement and withdrawals of consent into the survivor; a replayed
# $merge changes nothing: 2's SMS caps 1's SMS that day, and 1's SMS
# goes to 2's phone the next; 2's unsubscribe holds for 1's email. The input is what idmerge would have written
# (events with oneids) with no idmerge DBs in the store: the race lost.
cat > "$T/ch.json" <<'EOC'
{"providers": {"out": {"type": "file", "path": "sent.ndjson"}},
 "channels": {"email": {"provider": "out", "address": "email"},
              "sms": {"provider": "out", "address": "phone"}}}
EOC
cat > "$T/rules.json" <<'EOC'
{"caps": [{"name": "sms_daily", "channel": "sms", "window": "1d", "max": 1}],
 "events": {"email_unsubscribed": {"granted": false, "channel": "email"}}}
EOC
mkdir "$T/p"
cat > "$T/p/identity.json" <<'EOC'
{"types": [{"name": "phone", "limit": 1}, {"name": "email", "limit": 3}, {"name": "cookie", "limit": 50}],
 "blocked": ["phone:+8613800000000"], "blocked_patterns": ["email:*@example.invalid"]}
EOC
ev() { printf '{"event_id":"%s","ts":"2026-03-01T09:%s:00.000Z","type":"%s","source":"web","ids":%s,"oneid":%s}\n' "$1" "$2" "$3" "$4" "$5"; }
send() { printf '{"type":"$send","send_id":"%s","ts":"2026-03-01T09:%s:00Z","oneid":%s,"journey":"j","channel":%s}\n' "$1" "$2" "$3" "$4"; }
{ ev e1 00 signup '{"email":"p1@example.com","cookie":"ck-1"}' 1
  send s1 00 1 '"email"'
  ev e2 01 signup '{"phone":"+8613800000000","email":"q@example.invalid"}' 3
  send s2 01 3 '["sms","email"]'
  ev e3 02 page_view '{"email":"p1-other@example.com","cookie":"ck-1"}' 1
  send s3 02 1 '["sms","email"]'
  ev e4 03 signup '{"phone":"+8613800000002","email":"p2@example.com","cookie":"ck-2"}' 2
  send s4 03 2 '"sms"'
  ev e5 04 email_unsubscribed '{"email":"p2@example.com"}' 2
  ev e6 05 page_view '{"cookie":"ck-2"}' 1
  printf '{"type":"$merge","event_id":"merge:e6","ts":"2026-03-01T09:05:00.000Z","oneid":1,"merged":[2],"by":"cookie"}\n'
  send s5 05 1 '"sms"'
  send s6 05 2 '"sms"'
  send s7 05 1 '"email"'
  printf '{"type":"$merge","event_id":"merge:e6","ts":"2026-03-01T09:05:00.000Z","oneid":1,"merged":[2],"by":"cookie"}\n'
  send s8 06 4 '"email"'
  printf '{"type":"$send","send_id":"s9","ts":"2026-03-02T09:07:00Z","oneid":1,"journey":"j","channel":"sms"}\n'; } > "$T/in"
cd "$T"
run() {
	dispatch --db "$T/$1" --nosync --channels "$T/ch.json" --config "$T/rules.json" --pipelines "$T/p" \
		--templates "$T/none" --send-past "$T/in" | grep '"\$delivery"' |
		sed 's/"event_id":"[^"]*",//; s/,"provider":"out","provider_id":""//'
}
echo "--- decisions"
run db
echo "--- sent"
sed 's/,"ts".*//' sent.ndjson
echo "--- the address book, the merged"
mdb_dump -p -s dispatch.addresses "$T/db" | sed -n '/HEADER=END/,/DATA=END/p' | sed '1d;$d'
mdb_dump -p -s dispatch.merged "$T/db" | sed -n '/HEADER=END/,/DATA=END/p' | sed '1d;$d'
