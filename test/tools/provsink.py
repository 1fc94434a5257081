#!/usr/bin/env python3
"""provsink - Alibaba Cloud SMS, WeChat and WeCom on loopback, for
dispatch's tests: each API checks a request the way its provider documents
it and answers with the provider's success and error bodies.

provsink.py DIR CONFIG.json

Listens on 127.0.0.1 (a free port, written to DIR/addr). Every request
that the provider would take is a line of DIR/delivered.ndjson (what the
provider got, by API); every request, accepted or not, a line of
DIR/log.ndjson ({"api", "answer"}).

CONFIG:
  {"aliyun": {"key_id", "secret", "signs": [SignName…],
              "templates": {TemplateCode: [param…]}, "limit": N},
   "wechat": {"appid", "secret", "templates": [template_id…],
              "token_uses": N, "unfollowed": [openid…]},
   "wecom":  {"corpid", "secret", "agentid", "users": [userid…],
              "token_uses": N}}

Alibaba Cloud SendSms (POST /, RPC parameters in the query, V3 signature):
the Authorization header ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,
Signature=… is recomputed from the request as received (canonical query
re-encoded and sorted, the signed headers' values, x-acs-content-sha256
checked against the body); a bad one is 400 SignatureDoesNotMatch, an
unknown key 404 InvalidAccessKeyId.NotFound, a nonce seen before 400
SignatureNonceUsed, a date more than 15 minutes off 400
InvalidTimeStamp.Expired. Then, as HTTP 200 with a Code: the number (11
digits after +/0086/86) isv.MOBILE_NUMBER_ILLEGAL, the sign
isv.SMS_SIGNATURE_ILLEGAL, the template isv.SMS_TEMPLATE_ILLEGAL, its
params isv.INVALID_JSON_PARAM / isv.TEMPLATE_MISSING_PARAMETERS, more than
"limit" messages to one number isv.BUSINESS_LIMIT_CONTROL, a number
ending in 0500 isp.SYSTEM_ERROR on its first request; else OK with a
BizId.

WeChat: GET /cgi-bin/token?grant_type=client_credential&appid&secret
gives {"access_token","expires_in":7200} (40013 bad appid, 40125 bad
secret); a token answers 42001 after token_uses sends. POST
/cgi-bin/message/template/send?access_token=…: 40014 for a token never
issued, 40003 for an openid that is not one, 43004 for one that does not
follow, 40037 for an unknown template_id, 47001 for a body that is not
JSON; a repeated client_msg_id for the same openid gets the first msgid
and is not delivered again.

WeCom: GET /cgi-bin/gettoken?corpid&corpsecret (40013, 40001), POST
/cgi-bin/message/send?access_token=…: 40014/42001 as above, 40056 a wrong
agentid, 81013 for a user that is not in "users", 40008 an unknown msgtype.
"""
import calendar
import hashlib
import hmac
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIR = sys.argv[1]
CONF = json.load(open(sys.argv[2]))
lock = threading.Lock()
out = open(os.path.join(DIR, "delivered.ndjson"), "a", buffering=1)
log = open(os.path.join(DIR, "log.ndjson"), "a", buffering=1)
state = {"biz": 0, "msg": 0, "tok": 0}
nonces = set()
per_phone = {}
first_tries = set()
tokens = {}  # token -> [api, uses]
client_ids = {}


def record(api, answer):
    log.write(json.dumps({"api": api, "answer": answer}, sort_keys=True) + "\n")


def pct(s):
    return urllib.parse.quote(s, safe="-_.~")


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def reply(self, code, obj):
        b = json.dumps(obj, ensure_ascii=False).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    # ---- Alibaba Cloud ----

    def acs_error(self, code, name, msg):
        with lock:
            record("aliyun", name)
        return self.reply(code, {"RequestId": "REQ-ERR", "Code": name, "Message": msg})

    def aliyun(self, path, query, body):
        a = CONF["aliyun"]
        auth = self.headers.get("Authorization", "")
        m = re.fullmatch(r"ACS3-HMAC-SHA256 Credential=([^,]*),SignedHeaders=([^,]*),Signature=([0-9a-f]{64})", auth)
        if not m:
            return self.acs_error(400, "MissingAuthorization", "Authorization is mandatory for this action.")
        key, signed, sig = m.groups()
        if key != a["key_id"]:
            return self.acs_error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        names = signed.split(";")
        if names != sorted(names) or "host" not in names or any(
                h.lower().startswith("x-acs-") and h.lower() not in names for h in self.headers.keys()):
            return self.acs_error(400, "SignatureDoesNotMatch", "every x-acs-* header and host must be signed")
        if self.headers.get("x-acs-content-sha256") != hashlib.sha256(body).hexdigest():
            return self.acs_error(400, "SignatureDoesNotMatch", "x-acs-content-sha256 is not the body's")
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        cq = "&".join("%s=%s" % (pct(k), pct(v)) for k, v in sorted(pairs))
        ch = "".join("%s:%s\n" % (n, (self.headers.get(n) or "").strip()) for n in names)
        canon = "\n".join(["POST", urllib.parse.unquote(path) or "/", cq, ch, signed,
                           self.headers.get("x-acs-content-sha256")])
        sts = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canon.encode()).hexdigest()
        want = hmac.new(a["secret"].encode(), sts.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, sig):
            return self.acs_error(400, "SignatureDoesNotMatch",
                                  "Specified signature is not matched with our calculation.")
        date = self.headers.get("x-acs-date", "")
        try:
            t = calendar.timegm(time.strptime(date, "%Y-%m-%dT%H:%M:%SZ"))
        except ValueError:
            return self.acs_error(400, "InvalidTimeStamp.Format", "x-acs-date is not yyyy-MM-ddTHH:mm:ssZ")
        if abs(time.time() - t) > 900:
            return self.acs_error(400, "InvalidTimeStamp.Expired", "Specified time stamp or date has expired.")
        nonce = self.headers.get("x-acs-signature-nonce", "")
        with lock:
            if not nonce or nonce in nonces:
                used = True
            else:
                used = False
                nonces.add(nonce)
        if used:
            return self.acs_error(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        if self.headers.get("x-acs-action") != "SendSms" or self.headers.get("x-acs-version") != "2017-05-25":
            return self.acs_error(400, "InvalidAction.NotFound", "Specified api is not found.")
        q = dict(pairs)

        def biz(code, msg):
            with lock:
                record("aliyun", code)
            return self.reply(200, {"RequestId": "REQ-%s" % q.get("OutId", ""), "Code": code, "Message": msg})

        phone = q.get("PhoneNumbers", "")
        digits = re.sub(r"^(\+|0086|86)", "", phone)
        if not re.fullmatch(r"1\d{10}", digits):
            return biz("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        if q.get("SignName") not in a["signs"]:
            return biz("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        if q.get("TemplateCode") not in a["templates"]:
            return biz("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        try:
            params = json.loads(q.get("TemplateParam", "{}"))
            assert isinstance(params, dict) and all(isinstance(v, str) for v in params.values())
        except (ValueError, AssertionError):
            return biz("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        if any(p not in params for p in a["templates"][q["TemplateCode"]]):
            return biz("isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
        with lock:
            if digits.endswith("0500") and digits not in first_tries:
                first_tries.add(digits)
                busy = True
            else:
                busy = False
            n = per_phone.get(digits, 0)
            if not busy and n < a.get("limit", 1000):
                per_phone[digits] = n + 1
                state["biz"] += 1
                bid = "%d^0" % (900000000000000000 + state["biz"])
        if busy:
            return biz("isp.SYSTEM_ERROR", "系统错误")
        if n >= a.get("limit", 1000):
            return biz("isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控Permits:%d" % a.get("limit", 1000))
        with lock:
            record("aliyun", "OK")
            out.write(json.dumps({"api": "aliyun.SendSms", "PhoneNumbers": phone, "SignName": q["SignName"],
                                  "TemplateCode": q["TemplateCode"], "TemplateParam": params,
                                  "OutId": q.get("OutId")}, sort_keys=True, ensure_ascii=False) + "\n")
        return self.reply(200, {"RequestId": "REQ-%s" % q.get("OutId", ""), "Code": "OK", "Message": "OK",
                                "BizId": bid})

    # ---- WeChat and WeCom ----

    def token(self, api, q):
        c = CONF[api]
        idk, sk = ("appid", "secret") if api == "wechat" else ("corpid", "corpsecret")
        if api == "wechat" and q.get("grant_type") != "client_credential":
            ans = {"errcode": 40002, "errmsg": "invalid grant_type"}
        elif q.get(idk) != c["appid" if api == "wechat" else "corpid"]:
            ans = {"errcode": 40013, "errmsg": "invalid appid" if api == "wechat" else "invalid corpid"}
        elif q.get(sk) != c["secret"]:
            ans = {"errcode": 40125, "errmsg": "invalid appsecret"} if api == "wechat" else \
                {"errcode": 40001, "errmsg": "invalid secret"}
        else:
            with lock:
                state["tok"] += 1
                tok = "%s-token-%d" % (api, state["tok"])
                tokens[tok] = [api, 0]
            ans = {"access_token": tok, "expires_in": 7200}
            if api == "wecom":
                ans = {"errcode": 0, "errmsg": "ok", "access_token": tok, "expires_in": 7200}
        with lock:
            record(api + ".token", ans.get("errcode", 0))
        return self.reply(200, ans)

    def check_token(self, api, q):
        t = q.get("access_token")
        with lock:
            if t not in tokens or tokens[t][0] != api:
                return {"errcode": 40014, "errmsg": "invalid access_token"}
            tokens[t][1] += 1
            if tokens[t][1] > CONF[api].get("token_uses", 1 << 30):
                return {"errcode": 42001, "errmsg": "access_token expired"}
        return None

    def wechat_send(self, q, body):
        c = CONF["wechat"]
        err = self.check_token("wechat", q)
        if not err:
            try:
                m = json.loads(body)
                assert isinstance(m, dict)
            except (ValueError, AssertionError):
                m = None
                err = {"errcode": 47001, "errmsg": "data format error"}
        if not err:
            openid = m.get("touser", "")
            if not re.fullmatch(r"o[A-Za-z0-9_-]{5,}", openid):
                err = {"errcode": 40003, "errmsg": "invalid openid"}
            elif openid in c.get("unfollowed", []):
                err = {"errcode": 43004, "errmsg": "require subscribe"}
            elif m.get("template_id") not in c["templates"]:
                err = {"errcode": 40037, "errmsg": "invalid template_id"}
            elif not isinstance(m.get("data"), dict) or not all(
                    isinstance(v, dict) and isinstance(v.get("value"), str) for v in m["data"].values()):
                err = {"errcode": 47001, "errmsg": "data format error"}
        if err:
            with lock:
                record("wechat", err["errcode"])
            return self.reply(200, err)
        with lock:
            key = (m["touser"], m.get("client_msg_id"))
            if m.get("client_msg_id") and key in client_ids:
                mid = client_ids[key]
                record("wechat", "repeat")
            else:
                state["msg"] += 1
                mid = 200000000 + state["msg"]
                if m.get("client_msg_id"):
                    client_ids[key] = mid
                record("wechat", 0)
                out.write(json.dumps(dict(m, api="wechat.template.send"), sort_keys=True,
                                     ensure_ascii=False) + "\n")
        return self.reply(200, {"errcode": 0, "errmsg": "ok", "msgid": mid})

    def wecom_send(self, q, body):
        c = CONF["wecom"]
        err = self.check_token("wecom", q)
        if not err:
            try:
                m = json.loads(body)
                assert isinstance(m, dict)
            except (ValueError, AssertionError):
                m = None
                err = {"errcode": 40058, "errmsg": "invalid parameter"}
        if not err:
            if m.get("agentid") != c["agentid"]:
                err = {"errcode": 40056, "errmsg": "invalid agentid"}
            elif m.get("msgtype") not in ("text", "textcard"):
                err = {"errcode": 40008, "errmsg": "invalid message type"}
            elif m.get("touser") not in c["users"]:
                err = {"errcode": 81013, "errmsg": "user & party & tag all invalid"}
            elif m["msgtype"] == "text" and not (m.get("text") or {}).get("content"):
                err = {"errcode": 41009, "errmsg": "missing content"}
            elif m["msgtype"] == "textcard" and not all(
                    (m.get("textcard") or {}).get(k) for k in ("title", "description", "url")):
                err = {"errcode": 41009, "errmsg": "missing textcard title, description or url"}
        if err:
            with lock:
                record("wecom", err["errcode"])
            return self.reply(200, err)
        with lock:
            state["msg"] += 1
            mid = "wecom-msg-%d" % state["msg"]
            record("wecom", 0)
            out.write(json.dumps(dict(m, api="wecom.message.send"), sort_keys=True, ensure_ascii=False) + "\n")
        return self.reply(200, {"errcode": 0, "errmsg": "ok", "invaliduser": "", "invalidparty": "",
                                "invalidtag": "", "unlicenseduser": "", "msgid": mid})

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path == "/cgi-bin/token" and "wechat" in CONF:
            return self.token("wechat", q)
        if u.path == "/cgi-bin/gettoken" and "wecom" in CONF:
            return self.token("wecom", q)
        return self.reply(404, {"errcode": 404, "errmsg": "not found"})

    def do_POST(self):
        body = self.body()
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path == "/cgi-bin/message/template/send" and "wechat" in CONF:
            return self.wechat_send(q, body)
        if u.path == "/cgi-bin/message/send" and "wecom" in CONF:
            return self.wecom_send(q, body)
        if u.path == "/" and "aliyun" in CONF:
            return self.aliyun(u.path, u.query, body)
        return self.reply(404, {"errcode": 404, "errmsg": "not found"})


ThreadingHTTPServer.request_queue_size = 256
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
with open(os.path.join(DIR, "addr.tmp"), "w") as f:
    f.write("127.0.0.1:%d\n" % srv.server_address[1])
os.replace(os.path.join(DIR, "addr.tmp"), os.path.join(DIR, "addr"))
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
srv.serve_forever()
