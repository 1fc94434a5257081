/*
 * t-adapter - the providers' request formats and answers: percent-encoding
 * as Alibaba Cloud's canonical query wants it, a V3 signature against one
 * computed independently (Python's hashlib and hmac over the canonical
 * request its documentation describes), the SendSms query, WeChat and WeCom
 * bodies, and what each answer means.
 */
#include <string.h>

#include "adapter.h"
#include "channel.h"
#include "t.h"

static const char *build(struct provider *p, const char *msg, int *rc)
{
	static struct buf req = BUF_INIT;
	struct buf why = BUF_INIT;
	struct json_doc d = JSON_DOC_INIT;
	const char *jw;
	size_t at;

	buf_reset(&req);
	*rc = json_parse(&d, msg, strlen(msg), 16, &jw, &at);
	if (!*rc)
		*rc = adapter_build(p, &d, &req, &why);
	if (*rc) {
		buf_reset(&req);
		buf_add(&req, why.p ? why.p : "", why.len);
	}
	buf_addc(&req, 0);
	json_doc_release(&d);
	buf_release(&why);
	return req.p;
}

static int judge(struct provider *p, long code, const char *body, const char **out)
{
	static struct buf id = BUF_INIT, why = BUF_INIT;
	int v;

	buf_reset(&id);
	buf_reset(&why);
	v = adapter_judge(p, code, body, strlen(body), &id, &why);
	buf_addc(&id, 0);
	buf_addc(&why, 0);
	*out = v == ADAPTER_OK ? id.p : why.p;
	return v;
}

int main(void)
{
	struct buf b = BUF_INIT, tok = BUF_INIT;
	struct provider ali, wx, wc;
	const char *acs[] = {"x-acs-action:SendSms",
			     "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			     "x-acs-date:2026-03-01T10:00:00Z", "x-acs-signature-nonce:0123456789abcdef0123456789abcdef",
			     "x-acs-version:2017-05-25"};
	const char *q = "OutId=s%3A1&PhoneNumbers=8613800000001&SignName=%E4%BC%98%E9%80%89&TemplateCode=SMS_1&"
			"TemplateParam=%7B%22code%22%3A%22A%20B%22%7D";
	const char *s;
	long exp = 0;
	int rc;

	adapter_pct(&b, "a-Z_0.~ *+/优", strlen("a-Z_0.~ *+/优"));
	buf_addc(&b, 0);
	T_EQ_STR(b.p, "a-Z_0.~%20%2A%2B%2F%E4%BC%98");

	buf_reset(&b);
	adapter_acs3_sign("LTAI", "testsecret", "POST", "dysmsapi.aliyuncs.com", "/", q, acs, 5,
			  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", &b, NULL);
	buf_addc(&b, 0);
	T_EQ_STR(b.p, "ACS3-HMAC-SHA256 Credential=LTAI,SignedHeaders=host;x-acs-action;x-acs-content-sha256;"
		      "x-acs-date;x-acs-signature-nonce;x-acs-version,"
		      "Signature=94f4d43195f44f21e4d6d691db483b4a616eca8c5ff087a1d873287d2aeff002");

	memset(&ali, 0, sizeof ali);
	ali.type = CHAN_ALIYUN_SMS;
	ali.sign_name = "优选";
	T_EQ_STR(build(&ali, "{\"send_id\":\"s:1\",\"to\":\"+8613800000001\",\"template_id\":\"SMS_1\","
			     "\"data.code\":\"A B\"}", &rc), q);
	/* params stand in for a template; a template's sign_name wins */
	T_EQ_STR(build(&ali, "{\"send_id\":\"s:2\",\"to\":\"8613800000001\",\"sign_name\":\"X\","
			     "\"params\":{\"template_id\":\"SMS_2\",\"data\":{\"b\":\"2\",\"a\":1}}}", &rc),
		 "OutId=s%3A2&PhoneNumbers=8613800000001&SignName=X&TemplateCode=SMS_2&"
		 "TemplateParam=%7B%22a%22%3A%221%22%2C%22b%22%3A%222%22%7D");
	build(&ali, "{\"send_id\":\"s:3\",\"to\":\"+8613800000001\"}", &rc);
	T_EQ_INT(rc, -1);
	build(&ali, "{\"send_id\":\"s:3\",\"template_id\":\"SMS_1\"}", &rc);
	T_EQ_INT(rc, -1);

	T_EQ_INT(judge(&ali, 200, "{\"Code\":\"OK\",\"Message\":\"OK\",\"BizId\":\"9^0\",\"RequestId\":\"r\"}", &s),
		 ADAPTER_OK);
	T_EQ_STR(s, "9^0");
	T_EQ_INT(judge(&ali, 200, "{\"Code\":\"isv.BUSINESS_LIMIT_CONTROL\",\"Message\":\"limit\"}", &s),
		 ADAPTER_TEMPORARY);
	T_EQ_INT(judge(&ali, 200, "{\"Code\":\"isp.SYSTEM_ERROR\",\"Message\":\"x\"}", &s), ADAPTER_TEMPORARY);
	T_EQ_INT(judge(&ali, 400, "{\"Code\":\"Throttling.User\",\"Message\":\"x\"}", &s), ADAPTER_TEMPORARY);
	T_EQ_INT(judge(&ali, 200, "{\"Code\":\"isv.MOBILE_NUMBER_ILLEGAL\",\"Message\":\"bad\"}", &s),
		 ADAPTER_PERMANENT);
	T_EQ_STR(s, "HTTP 200 isv.MOBILE_NUMBER_ILLEGAL: bad");
	T_EQ_INT(judge(&ali, 400, "{\"Code\":\"SignatureDoesNotMatch\",\"Message\":\"no\"}", &s), ADAPTER_PERMANENT);
	T_EQ_INT(judge(&ali, 502, "<html>bad gateway</html>", &s), ADAPTER_TEMPORARY);
	T_EQ_INT(judge(&ali, 200, "<html>", &s), ADAPTER_GARBLED);

	memset(&wx, 0, sizeof wx);
	wx.type = CHAN_WECHAT;
	wx.idempotent = 1;
	T_EQ_STR(build(&wx, "{\"send_id\":\"w:1\",\"to\":\"oA1\",\"template_id\":\"T\",\"url\":\"https://x/\","
			    "\"data.k2\":\"v\\\"2\",\"data.k1\":\"v1\",\"text\":\"ignored\"}", &rc),
		 "{\"touser\":\"oA1\",\"template_id\":\"T\",\"url\":\"https://x/\",\"client_msg_id\":\"w:1\","
		 "\"data\":{\"k1\":{\"value\":\"v1\"},\"k2\":{\"value\":\"v\\\"2\"}}}");
	T_EQ_INT(judge(&wx, 200, "{\"errcode\":0,\"errmsg\":\"ok\",\"msgid\":200228332}", &s), ADAPTER_OK);
	T_EQ_STR(s, "200228332");
	T_EQ_INT(judge(&wx, 200, "{\"errcode\":42001,\"errmsg\":\"access_token expired\"}", &s), ADAPTER_TOKEN);
	T_EQ_INT(judge(&wx, 200, "{\"errcode\":40014,\"errmsg\":\"invalid access_token\"}", &s), ADAPTER_TOKEN);
	T_EQ_INT(judge(&wx, 200, "{\"errcode\":-1,\"errmsg\":\"system error\"}", &s), ADAPTER_TEMPORARY);
	T_EQ_INT(judge(&wx, 200, "{\"errcode\":45009,\"errmsg\":\"reach max api daily quota limit\"}", &s),
		 ADAPTER_TEMPORARY);
	T_EQ_INT(judge(&wx, 200, "{\"errcode\":43004,\"errmsg\":\"require subscribe\"}", &s), ADAPTER_PERMANENT);
	T_EQ_STR(s, "errcode 43004: require subscribe");
	T_EQ_INT(judge(&wx, 503, "", &s), ADAPTER_TEMPORARY);
	T_EQ_INT(judge(&wx, 200, "{\"ok\":true}", &s), ADAPTER_GARBLED);

	memset(&wc, 0, sizeof wc);
	wc.type = CHAN_WECOM;
	wc.agent_id = 1000002;
	T_EQ_STR(build(&wc, "{\"send_id\":\"c:1\",\"to\":\"zhangsan\",\"text\":\"hi\"}", &rc),
		 "{\"touser\":\"zhangsan\",\"msgtype\":\"text\",\"agentid\":1000002,\"text\":{\"content\":\"hi\"},"
		 "\"safe\":0}");
	wc.idempotent = 1;
	wc.dup_interval = 600;
	T_EQ_STR(build(&wc, "{\"to\":\"u\",\"subject\":\"S\",\"text\":\"d\",\"url\":\"https://x\"}", &rc),
		 "{\"touser\":\"u\",\"msgtype\":\"textcard\",\"agentid\":1000002,\"textcard\":{\"title\":\"S\","
		 "\"description\":\"d\",\"url\":\"https://x\"},\"safe\":0,\"enable_duplicate_check\":1,"
		 "\"duplicate_check_interval\":600}");
	build(&wc, "{\"to\":\"u\"}", &rc);
	T_EQ_INT(rc, -1);
	T_EQ_INT(judge(&wc, 200, "{\"errcode\":0,\"errmsg\":\"ok\",\"invaliduser\":\"\",\"msgid\":\"m1\"}", &s),
		 ADAPTER_OK);
	T_EQ_STR(s, "m1");
	T_EQ_INT(judge(&wc, 200, "{\"errcode\":0,\"errmsg\":\"ok\",\"invaliduser\":\"u\",\"msgid\":\"m1\"}", &s),
		 ADAPTER_PERMANENT);
	T_EQ_INT(judge(&wc, 200, "{\"errcode\":81013,\"errmsg\":\"user & party & tag all invalid\"}", &s),
		 ADAPTER_PERMANENT);

	wx.url = "http://h/";
	wx.account = "wx a";
	wx.secret = "s&1";
	buf_reset(&b);
	adapter_token_url(&wx, &b);
	buf_addc(&b, 0);
	T_EQ_STR(b.p, "http://h/cgi-bin/token?grant_type=client_credential&appid=wx%20a&secret=s%261");
	wc.url = "http://h";
	wc.account = "ww";
	wc.secret = "k";
	buf_reset(&b);
	adapter_token_url(&wc, &b);
	buf_addc(&b, 0);
	T_EQ_STR(b.p, "http://h/cgi-bin/gettoken?corpid=ww&corpsecret=k");

	buf_reset(&b);
	T_EQ_INT(adapter_token_parse(200, "{\"access_token\":\"T1\",\"expires_in\":7200}", 39, &tok, &exp, &b), 0);
	T_EQ_INT(exp, 7200);
	T_EQ_INT(tok.len, 2);
	s = "{\"errcode\":0,\"errmsg\":\"ok\",\"access_token\":\"T2\",\"expires_in\":60}";
	T_EQ_INT(adapter_token_parse(200, s, strlen(s), &tok, &exp, &b), 0);
	T_EQ_INT(exp, 60);
	s = "{\"errcode\":40125,\"errmsg\":\"invalid appsecret\"}";
	buf_reset(&b);
	T_EQ_INT(adapter_token_parse(200, s, strlen(s), &tok, &exp, &b), 1);
	buf_addc(&b, 0);
	T_EQ_STR(b.p, "errcode 40125: invalid appsecret");
	T_EQ_INT(adapter_token_parse(502, "oops", 4, &tok, &exp, &b), -1);
	/* five minutes early, or at half the life of a short one */
	T_EQ_INT(adapter_token_due(1000, 7200), 1000 + 6900000);
	T_EQ_INT(adapter_token_due(1000, 60), 1000 + 30000);

	buf_release(&b);
	buf_release(&tok);
	return t_done("adapter");
}
