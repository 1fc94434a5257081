# report journeys and report campaigns on a hand-made log, every number
# checkable by hand (costs from the config below: sms 0.5, email 0.25;
# an order counts for the last message sent within 7 days before it):
#   winback, arm offer: people 1, 2, 4 entered; 1 converted (the goal)
#     person 1: offer_14 by sms, sent, delivered, opened, clicked; an
#       order of 100 the next day (credited to it), then the goal exit
#     person 2: offer_14 by email, sent, opened twice (counted once);
#       offer_30 by email on 01-31; person 8, merged into 2, orders 40 on
#       02-01 (credited to offer_30); 2 orders 50 on 02-10 (10 days on:
#       nobody's, unless --window 30d)
#     person 4: offer_14 suppressed (no_consent); offer_30 deferred, then
#       failed
#   winback, arm control: person 3 entered, nothing sent (held), an order
#     of 80 and the goal exit: converted 1, revenue 0
#   welcome, no arm: person 5, hello by email (its $delivery twice:
#     counted once), an order of 30 the next day
#   campaign spring: person 5 by sms on 01-04, an order of 20 on 01-05
#     (the last message before it: spring, not welcome); person 6
#     suppressed (only its $delivery read: the id names the campaign),
#     person 7 suppressed (no_address)
#   campaign autumn: person 2 by email on 01-20, delivered; no order
#     within 7 days after it that another message did not take
# offer_14/offer: sends 3, sent 2, cost 0.75, revenue 100, ROI 132.33
# offer_30/offer: sends 2, sent 1, failed 1, cost 0.25, revenue 40, ROI 159
set -u
cd "$T" || exit 1
cat > report.json <<'X'
{"revenue": {"events": ["order_paid"], "amount": "amount", "order": "order_id"},
 "messages": {"window": "7d", "cost": {"sms": 0.5, "email": 0.25},
   "receipts": {"send_id": "send_id", "delivered": ["message_delivered"], "opened": ["message_opened"], "clicked": ["message_clicked", "link_clicked"]}}}
X
cat > in.ndjson <<'X'
{"type":"$journey","ts":"2026-01-01T00:00:00Z","oneid":1,"journey":"winback","op":"enter","arm":null}
{"type":"$journey","ts":"2026-01-01T00:00:00Z","oneid":1,"journey":"winback","op":"step","step":"split","kind":"split","arm":"offer"}
{"type":"$journey","ts":"2026-01-01T00:00:00Z","oneid":2,"journey":"winback","op":"enter","arm":null}
{"type":"$journey","ts":"2026-01-01T00:00:00Z","oneid":2,"journey":"winback","op":"step","step":"split","kind":"split","arm":"offer"}
{"type":"$journey","ts":"2026-01-01T00:00:00Z","oneid":3,"journey":"winback","op":"enter","arm":null}
{"type":"$journey","ts":"2026-01-01T00:00:00Z","oneid":3,"journey":"winback","op":"step","step":"split","kind":"split","arm":"control"}
{"type":"$journey","ts":"2026-01-01T00:00:00Z","oneid":4,"journey":"winback","op":"enter","arm":null}
{"type":"$journey","ts":"2026-01-01T00:00:00Z","oneid":4,"journey":"winback","op":"step","step":"split","kind":"split","arm":"offer"}
{"type":"$journey","ts":"2026-01-01T00:00:00Z","oneid":5,"journey":"welcome","op":"enter","arm":null}
{"type":"$send","ts":"2026-01-02T00:00:00Z","oneid":5,"send_id":"h5","journey":"welcome","step":"hello","arm":null,"channel":"email"}
{"type":"$delivery","ts":"2026-01-02T00:00:00Z","oneid":5,"send_id":"h5","status":"sent","channel":"email"}
{"type":"$delivery","ts":"2026-01-02T00:00:00Z","oneid":5,"send_id":"h5","status":"sent","channel":"email"}
{"type":"order_paid","ts":"2026-01-03T00:00:00Z","oneid":5,"props":{"order_id":"E1","amount":30}}
{"type":"$send","ts":"2026-01-04T00:00:00Z","oneid":5,"send_id":"campaign:spring:5","journey":"campaign:spring","channel":"sms"}
{"type":"$delivery","ts":"2026-01-04T00:00:00Z","oneid":5,"send_id":"campaign:spring:5","status":"sent","channel":"sms"}
{"type":"$delivery","ts":"2026-01-04T00:00:00Z","oneid":6,"send_id":"campaign:spring:6","status":"suppressed","reason":"no_consent","channel":"sms"}
{"type":"$send","ts":"2026-01-04T00:00:00Z","oneid":7,"send_id":"campaign:spring:7","journey":"campaign:spring","channel":"sms"}
{"type":"$delivery","ts":"2026-01-04T00:00:00Z","oneid":7,"send_id":"campaign:spring:7","status":"suppressed","reason":"no_address"}
{"type":"order_paid","ts":"2026-01-05T00:00:00Z","oneid":5,"props":{"order_id":"E2","amount":20}}
{"type":"$send","ts":"2026-01-15T00:00:00Z","oneid":1,"send_id":"w1","journey":"winback","step":"offer_14","arm":"offer","channel":["sms","email"]}
{"type":"$delivery","ts":"2026-01-15T00:00:00Z","oneid":1,"send_id":"w1","status":"sent","channel":"sms"}
{"type":"message_delivered","ts":"2026-01-15T00:00:05Z","props":{"send_id":"w1"}}
{"type":"message_opened","ts":"2026-01-15T01:00:00Z","props":{"send_id":"w1"}}
{"type":"link_clicked","ts":"2026-01-15T01:00:10Z","oneid":1,"props":{"send_id":"w1"}}
{"type":"$send","ts":"2026-01-15T00:00:00Z","oneid":2,"send_id":"w2","journey":"winback","step":"offer_14","arm":"offer","channel":"email"}
{"type":"$delivery","ts":"2026-01-15T00:00:00Z","oneid":2,"send_id":"w2","status":"sent","channel":"email"}
{"type":"message_opened","ts":"2026-01-15T02:00:00Z","props":{"send_id":"w2"}}
{"type":"message_opened","ts":"2026-01-16T02:00:00Z","props":{"send_id":"w2"}}
{"type":"$journey","ts":"2026-01-15T00:00:00Z","oneid":3,"journey":"winback","op":"step","step":"offer_14","kind":"send","arm":"control","held":"control"}
{"type":"$send","ts":"2026-01-15T00:00:00Z","oneid":4,"send_id":"w4","journey":"winback","step":"offer_14","arm":"offer","channel":"sms"}
{"type":"$delivery","ts":"2026-01-15T00:00:00Z","oneid":4,"send_id":"w4","status":"suppressed","reason":"no_consent","channel":"sms"}
{"type":"order_paid","ts":"2026-01-16T00:00:00Z","oneid":1,"props":{"order_id":"A1","amount":100}}
{"type":"$journey","ts":"2026-01-16T00:00:00Z","oneid":1,"journey":"winback","op":"exit","reason":"converted","arm":"offer"}
{"type":"order_paid","ts":"2026-01-20T00:00:00Z","oneid":3,"props":{"order_id":"C1","amount":80}}
{"type":"$journey","ts":"2026-01-20T00:00:00Z","oneid":3,"journey":"winback","op":"exit","reason":"converted","arm":"control"}
{"type":"$send","ts":"2026-01-20T00:00:00Z","oneid":2,"send_id":"campaign:autumn:2","journey":"campaign:autumn","channel":"email"}
{"type":"$delivery","ts":"2026-01-20T00:00:00Z","oneid":2,"send_id":"campaign:autumn:2","status":"sent","channel":"email"}
{"type":"message_delivered","ts":"2026-01-20T00:01:00Z","props":{"send_id":"campaign:autumn:2"}}
{"type":"$send","ts":"2026-01-31T00:00:00Z","oneid":2,"send_id":"w3","journey":"winback","step":"offer_30","arm":"offer","channel":"email"}
{"type":"$delivery","ts":"2026-01-31T00:00:00Z","oneid":2,"send_id":"w3","status":"sent","channel":"email"}
{"type":"$send","ts":"2026-01-31T00:00:00Z","oneid":4,"send_id":"w5","journey":"winback","step":"offer_30","arm":"offer","channel":"sms"}
{"type":"$delivery","ts":"2026-01-31T00:00:00Z","oneid":4,"send_id":"w5","status":"deferred","reason":"quiet_hours","until":"2026-01-31T08:00:00Z"}
{"type":"$delivery","ts":"2026-01-31T08:00:00Z","oneid":4,"send_id":"w5","status":"failed","reason":"permanent: provider said no","channel":"sms"}
{"type":"$merge","ts":"2026-02-01T00:00:00Z","oneid":2,"merged":[8]}
{"type":"order_paid","ts":"2026-02-01T00:00:00Z","oneid":8,"props":{"order_id":"B1","amount":40}}
{"type":"$journey","ts":"2026-02-05T00:00:00Z","oneid":2,"journey":"winback","op":"exit","reason":"completed","arm":"offer"}
{"type":"$journey","ts":"2026-02-05T00:00:00Z","oneid":4,"journey":"winback","op":"exit","reason":"completed","arm":"offer"}
{"type":"order_paid","ts":"2026-02-10T00:00:00Z","oneid":2,"props":{"order_id":"B2","amount":50}}
X
echo "--- journeys"
report journeys --config report.json in.ndjson; echo "exit $?"
echo "--- campaigns, CSV"
report campaigns --config report.json --format csv in.ndjson; echo "exit $?"
echo "--- a window of 30 days: 2's order of 50 counts for offer_30"
report journeys --config report.json --window 30d in.ndjson | grep offer_30; echo "exit $?"
echo "--- the shipped config: its costs"
report campaigns in.ndjson | grep '"campaign",'; echo "exit $?"
echo "--- bad records: counted, the rest reported"
printf '%s\n' '{"type":"$send","ts":"2026-01-01T00:00:00Z","oneid":1,"journey":"j"}' \
	'{"type":"message_opened","ts":"2026-01-01T00:00:00Z","props":{"send_id":7}}' \
	'{"type":"$delivery","ts":"2026-01-01T00:00:00Z","oneid":1,"send_id":"x"}' \
	'{"type":"$journey","ts":"2026-01-01T00:00:00Z","oneid":1,"op":"enter"}' |
	cat in.ndjson - > bad.ndjson
report journeys --config report.json -v bad.ndjson > out 2> err; echo "exit $?"
report journeys --config report.json in.ndjson | cmp - out && echo "the same rows"
grep -v 'peak RSS' err
echo "--- a bad config: the file, the path, the reason"
sed 's/"sms": 0.5/"sms": "cheap"/' report.json > bad.json
report journeys --config bad.json in.ndjson 2>&1; echo "exit $?"
sed 's/"window": "7d"/"window": "a week"/' report.json > bad.json
report campaigns --config bad.json in.ndjson 2>&1; echo "exit $?"
