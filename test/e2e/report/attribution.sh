# report attribution on hand-made $send / $delivery records (touches are
# deliveries with status sent) and orders:
#   person 1: email (journey welcome) 01-01 00:00, sms (campaign spring,
#     no journey) 01-05, a suppressed send (no touch); an order of 100 on
#     01-10: first email, last sms, linear and position half each,
#     time decay 2^-(9d/7d) : 2^-(5d/7d)
#   person 2: an order of 50 with no touch: credited to nobody (null)
#   person 3: email 01-01 (34 days before: out of the 30-day lookback),
#     email 02-01, push 02-02, email 02-03, an order of 30 on 02-04:
#     position 0.4 + 0.4 email, 0.2 push; linear 2/3 email
set -u
cd "$T" || exit 1
cat > in.ndjson <<'X'
{"type":"$send","ts":"2026-01-01T00:00:00Z","oneid":1,"send_id":"j:welcome:1","channel":"email","journey":"welcome","step":"hello"}
{"type":"$delivery","ts":"2026-01-01T00:00:00Z","oneid":1,"send_id":"j:welcome:1","status":"sent","channel":"email"}
{"type":"$send","ts":"2026-01-05T00:00:00Z","oneid":1,"send_id":"campaign:spring:1","channel":"sms"}
{"type":"$delivery","ts":"2026-01-05T00:00:00Z","oneid":1,"send_id":"campaign:spring:1","status":"sent","channel":"sms"}
{"type":"$send","ts":"2026-01-06T00:00:00Z","oneid":1,"send_id":"campaign:spring2:1","channel":"sms"}
{"type":"$delivery","ts":"2026-01-06T00:00:00Z","oneid":1,"send_id":"campaign:spring2:1","status":"suppressed","reason":"no_consent","channel":"sms"}
{"type":"$send","ts":"2026-01-01T00:00:00Z","oneid":3,"send_id":"j:welcome:3","channel":"email","journey":"welcome"}
{"type":"$delivery","ts":"2026-01-01T00:00:00Z","oneid":3,"send_id":"j:welcome:3","status":"sent","channel":"email"}
{"type":"order_paid","ts":"2026-01-10T00:00:00Z","oneid":1,"props":{"order_id":"A","amount":100}}
{"type":"order_paid","ts":"2026-01-20T00:00:00Z","oneid":2,"props":{"order_id":"B","amount":50}}
{"type":"$send","ts":"2026-02-01T00:00:00Z","oneid":3,"send_id":"j:winback:3a","channel":"email","journey":"winback"}
{"type":"$delivery","ts":"2026-02-01T00:00:00Z","oneid":3,"send_id":"j:winback:3a","status":"sent","channel":"email"}
{"type":"$send","ts":"2026-02-02T00:00:00Z","oneid":3,"send_id":"j:winback:3b","channel":"push","journey":"winback"}
{"type":"$delivery","ts":"2026-02-02T00:00:00Z","oneid":3,"send_id":"j:winback:3b","status":"sent","channel":"push"}
{"type":"$send","ts":"2026-02-03T00:00:00Z","oneid":3,"send_id":"j:winback:3c","channel":"email","journey":"winback"}
{"type":"$delivery","ts":"2026-02-03T00:00:00Z","oneid":3,"send_id":"j:winback:3c","status":"sent","channel":"email"}
{"type":"order_paid","ts":"2026-02-04T00:00:00Z","oneid":3,"props":{"order_id":"C","amount":30}}
X
echo "--- by channel"
report attribution in.ndjson; echo "exit $?"
echo "--- by campaign, CSV"
report attribution --credit campaign --format csv in.ndjson; echo "exit $?"
echo "--- by journey, a lookback of 2 days: person 1's touches are too old"
report attribution --credit journey --lookback 2d in.ndjson | grep -v time_decay; echo "exit $?"
echo "--- bad usage"
report attribution --credit country < /dev/null 2>&1; echo "exit $?"
report attribution --half-life 0d < /dev/null 2>&1; echo "exit $?"
echo "--- money to the cent: a thousand orders of 0.1 sum to 100 in NDJSON, CSV and HTML"
awk 'BEGIN { for (i = 1; i <= 1000; i++)
	printf "{\"type\":\"order_paid\",\"ts\":\"2026-03-01T00:00:00Z\",\"oneid\":9,\"props\":{\"order_id\":\"M%d\",\"amount\":0.1}}\n", i }' > money.ndjson
report attribution money.ndjson | grep last_touch
report attribution --format csv money.ndjson | grep last_touch
report attribution --html money.html money.ndjson > /dev/null
grep -o '<td>last_touch</td><td class="n"></td><td class="n">[^<]*</td><td class="n">[^<]*</td>' money.html
