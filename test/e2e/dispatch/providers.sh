# The named providers against test/tools/provsink.py, which checks each
# request as its provider documents it and answers like it: Alibaba Cloud
# SMS (the V3 signature recomputed from what arrived; Codes mapped to
# sent, permanent and temporary), WeChat template messages (an access
# token fetched once, fetched again when refused, and the send sent again)
# and WeCom application messages (text and text card). Secrets come from
# the environment. One send at a time, so the order the providers see is
# the input's.
. "$UOPS_TOP/test/lib/sinks.sh"
cat > "$T/prov.json" <<'EOC'
{"aliyun": {"key_id": "LTAI-test", "secret": "sms-secret", "signs": ["优选商城"],
            "templates": {"SMS_100001": ["name", "code"], "SMS_100002": ["name", "amount"]}, "limit": 1},
 "wechat": {"appid": "wx-app", "secret": "wx-secret", "templates": ["TPL-welcome"], "token_uses": 2,
            "unfollowed": ["oGONE00"]},
 "wecom": {"corpid": "ww-corp", "secret": "wecom-secret", "agentid": 1000002, "users": ["zhangsan", "lisi"]}}
EOC
prov_start "$T/p" "$T/prov.json" || exit 1
cat > "$T/ch.json" <<EOC
{"providers": {
   "ali": {"type": "aliyun_sms", "url": "http://$PROV/", "key_id": "LTAI-test", "secret_env": "T_ALI_SECRET",
           "sign_name": "优选商城", "retries": 1, "backoff_ms": 10},
   "ali_wrong": {"type": "aliyun_sms", "url": "http://$PROV/", "key_id": "LTAI-test", "secret_env": "T_WRONG",
                 "sign_name": "优选商城"},
   "wx": {"type": "wechat_template", "url": "http://$PROV", "app_id": "wx-app", "secret_env": "T_WX_SECRET"},
   "wecom": {"type": "wecom", "url": "http://$PROV", "corp_id": "ww-corp", "secret_env": "T_WECOM_SECRET",
             "agent_id": 1000002}},
 "channels": {
   "sms": {"provider": "ali", "address": "phone"},
   "sms2": {"provider": "ali_wrong", "address": "phone"},
   "wechat": {"provider": "wx", "address": "openid"},
   "wecom": {"provider": "wecom", "address": "wecom_user"}}}
EOC
export T_ALI_SECRET=sms-secret T_WRONG=not-the-secret T_WX_SECRET=wx-secret T_WECOM_SECRET=wecom-secret
mkdir -p "$T/tpl"
cat > "$T/tpl/welcome.sms.json" <<'EOC'
{"template_id": "SMS_100001", "data.name": "{{first_name|朋友}}", "data.code": "{{coupon}}"}
EOC
cat > "$T/tpl/welcome.wechat.json" <<'EOC'
{"template_id": "TPL-welcome", "url": "https://shop.example.com/c/{{coupon}}",
 "data.first": "Hello {{first_name|there}}", "data.keyword1": "{{coupon}}"}
EOC
cat > "$T/tpl/welcome.wecom.json" <<'EOC'
{"text": "Hello {{first_name|there}}, your coupon is {{coupon}}"}
EOC
cat > "$T/tpl/card.wecom.json" <<'EOC'
{"subject": "A coupon for you", "text": "{{coupon}}: 20 off until Sunday", "url": "https://shop.example.com/c/{{coupon}}"}
EOC
cat > "$T/in" <<'EOI'
{"type":"$tag","event_id":"tag:1","ts":"2026-03-01T09:00:00Z","oneid":1,"tag":"first_name","old":null,"new":"Lin"}
{"type":"$send","send_id":"a:1","ts":"2026-03-01T10:00:00Z","oneid":1,"channel":"sms","to":"+8613800000001","template":"welcome","params":{"coupon":"C-1"},"kind":"transactional"}
{"type":"$send","send_id":"a:2","ts":"2026-03-01T10:00:00Z","oneid":2,"channel":"sms","to":"+86123","template":"welcome","params":{"coupon":"C-2"},"kind":"transactional"}
{"type":"$send","send_id":"a:3","ts":"2026-03-01T10:00:00Z","oneid":1,"channel":"sms","to":"+8613800000001","template":"welcome","params":{"coupon":"C-3"},"kind":"transactional"}
{"type":"$send","send_id":"a:4","ts":"2026-03-01T10:00:00Z","oneid":4,"channel":"sms","to":"+8613800000500","template":"welcome","params":{"coupon":"C-4"},"kind":"transactional"}
{"type":"$send","send_id":"a:5","ts":"2026-03-01T10:00:00Z","oneid":5,"channel":"sms","to":"+8613800000005","params":{"template_id":"SMS_100002","data":{"name":"Wu"}},"kind":"transactional"}
{"type":"$send","send_id":"a:6","ts":"2026-03-01T10:00:00Z","oneid":6,"channel":"sms","to":"+8613800000006","params":{"data":{"name":"Wu"}},"kind":"transactional"}
{"type":"$send","send_id":"a:7","ts":"2026-03-01T10:00:00Z","oneid":7,"channel":"sms2","to":"+8613800000007","params":{"template_id":"SMS_100001","data":{"name":"Qi","code":"C-7"}},"kind":"transactional"}
{"type":"$send","send_id":"w:1","ts":"2026-03-01T10:00:00Z","oneid":1,"channel":"wechat","to":"oLIN001","template":"welcome","params":{"coupon":"W-1"},"kind":"transactional"}
{"type":"$send","send_id":"w:2","ts":"2026-03-01T10:00:00Z","oneid":2,"channel":"wechat","to":"oWU0002","template":"welcome","params":{"coupon":"W-2"},"kind":"transactional"}
{"type":"$send","send_id":"w:3","ts":"2026-03-01T10:00:00Z","oneid":3,"channel":"wechat","to":"oZHAO03","template":"welcome","params":{"coupon":"W-3"},"kind":"transactional"}
{"type":"$send","send_id":"w:4","ts":"2026-03-01T10:00:00Z","oneid":4,"channel":"wechat","to":"not-an-openid","template":"welcome","params":{"coupon":"W-4"},"kind":"transactional"}
{"type":"$send","send_id":"w:5","ts":"2026-03-01T10:00:00Z","oneid":5,"channel":"wechat","to":"oGONE00","template":"welcome","params":{"coupon":"W-5"},"kind":"transactional"}
{"type":"$send","send_id":"c:1","ts":"2026-03-01T10:00:00Z","oneid":1,"channel":"wecom","to":"zhangsan","template":"welcome","params":{"coupon":"Q-1"},"kind":"transactional"}
{"type":"$send","send_id":"c:2","ts":"2026-03-01T10:00:00Z","oneid":2,"channel":"wecom","to":"lisi","template":"card","params":{"coupon":"Q-2"},"kind":"transactional"}
{"type":"$send","send_id":"c:3","ts":"2026-03-01T10:00:00Z","oneid":3,"channel":"wecom","to":"nobody","template":"welcome","params":{"coupon":"Q-3"},"kind":"transactional"}
EOI
dispatch --db "$T/db" --nosync --channels "$T/ch.json" --templates "$T/tpl" --parallel 1 \
	--now 2026-03-01T10:00:00Z "$T/in" > "$T/out" 2> "$T/err"
echo "exit $?"
grep '"\$delivery"' "$T/out"
echo "--- what the providers took"
sort "$T/p/delivered.ndjson"
echo "--- every answer they gave, counted"
$PY -c 'import json,sys,collections
c = collections.Counter((r["api"], str(r["answer"])) for r in map(json.loads, open(sys.argv[1])))
for (a, b), n in sorted(c.items()): print(n, a, b)' "$T/p/log.ndjson"
echo "--- a rerun sends nothing again"
dispatch --db "$T/db" --nosync --channels "$T/ch.json" --templates "$T/tpl" \
	--now 2026-03-01T10:00:00Z "$T/in" | grep -c '"\$delivery"'
wc -l < "$T/p/delivered.ndjson"
echo "--- a wrong WeCom secret: no token, so nothing reaches it; kept for a rerun"
sed 's/"T_WECOM_SECRET"/"T_WRONG"/' "$T/ch.json" > "$T/ch2.json"
printf '%s\n' '{"type":"$send","send_id":"c:9","ts":"2026-03-01T10:00:00Z","oneid":1,"channel":"wecom","to":"zhangsan","template":"welcome","params":{"coupon":"Q-9"},"kind":"transactional"}' |
	dispatch --db "$T/db" --nosync --channels "$T/ch2.json" --templates "$T/tpl" --now 2026-03-01T10:00:00Z > "$T/out2" 2> "$T/err2"
echo "exit $?"
grep -c '"\$delivery"' "$T/out2"
sed "s/$PROV/PROV/g" "$T/err2"
echo "--- the right one: the rerun sends it"
dispatch --db "$T/db" --nosync --channels "$T/ch.json" --templates "$T/tpl" --now 2026-03-01T10:00:00Z < /dev/null |
	grep '"\$delivery"'
echo "--- a secret named but not set"
env -u T_WX_SECRET dispatch --db "$T/db" --channels "$T/ch.json" --templates "$T/tpl" < /dev/null 2> "$T/err3"
echo "exit $?"
sed "s|$T|T|g" "$T/err3"
