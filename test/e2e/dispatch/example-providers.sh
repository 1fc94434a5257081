# pipelines/channels.providers.example.json, the providers a user copies
# from (Alibaba Cloud SMS, WeChat template messages, WeCom, SMTP, a
# webhook), is valid by schemas/channels.schema.json and by dispatch's own
# loader (--check: load the channels, templates and rules, then exit). Its
# secrets come from the environment: one unset is named, exit 78. The
# shipped channels.json passes the same check.
ex="$UOPS_TOP/pipelines/channels.providers.example.json"
python3 - "$UOPS_TOP/schemas/channels.schema.json" "$ex" <<'EOP'
import json, sys, jsonschema
schema, doc = (json.load(open(p)) for p in sys.argv[1:3])
jsonschema.Draft202012Validator(schema).validate(doc)
print("schema: valid")
EOP
export UOPS_ALIYUN_SMS_SECRET=s1 UOPS_WECHAT_APPSECRET=s2 UOPS_WECOM_SECRET=s3 UOPS_PUSH_HMAC_KEY=s4
dispatch --channels "$ex" --check 2>&1 | sed 's|^dispatch: .*/pipelines/|dispatch: |'
dispatch --channels "$ex" --check -q; echo "quiet: exit $?"
unset UOPS_WECOM_SECRET
dispatch --channels "$ex" --check 2>&1 | sed 's|^dispatch: .*/pipelines/|dispatch: |'
dispatch --channels "$ex" --check 2>/dev/null; echo "exit $?"
sed 's/"agent_id": 1000002, //' "$ex" > "$T/bad.json"
UOPS_WECOM_SECRET=s3 dispatch --channels "$T/bad.json" --check 2>&1 | sed 's|^dispatch: .*/bad.json|dispatch: bad.json|'
echo "--- the shipped channels.json"
dispatch --check 2>&1 | sed 's|^dispatch: .*/pipelines/|dispatch: |'
[ ! -e uops.db ] && [ ! -e "$T/uops.db" ] && echo "no store opened"
