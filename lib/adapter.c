#include "adapter.h"

#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "sha256.h"

void adapter_pct(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			buf_addc(out, (char)c);
		} else {
			buf_addc(out, '%');
			buf_addc(out, hex[c >> 4]);
			buf_addc(out, hex[c & 15]);
		}
	}
}

/* ---- reading the message ---- */

/* A string member of the message (then of its params), unescaped into
 * out (reset first). 1 found and not empty, 0 not. */
static int msg_text(const struct json_doc *d, const char *key, struct buf *out)
{
	uint32_t t = json_get(d, 0, key, strlen(key)), params;

	buf_reset(out);
	if (!t && (params = json_get(d, 0, "params", 6)) && d->t[params].type == JSON_OBJECT)
		t = json_get(d, params, key, strlen(key));
	if (!t || d->t[t].type != JSON_STRING || !d->t[t].len)
		return 0;
	json_str_get(d, t, out);
	return 1;
}

struct field {
	struct buf name, value;
};

static int field_cmp(const void *a, const void *b)
{
	const struct field *x = a, *y = b;
	size_t n = x->name.len < y->name.len ? x->name.len : y->name.len;
	int c = memcmp(x->name.p, y->name.p, n);

	return c ? c : (x->name.len > y->name.len) - (x->name.len < y->name.len);
}

/* The template fields of a message: its "data.NAME" parts, else its
 * params.data object of texts, sorted by name (so a request is the same
 * bytes every time). -1 with why when one is not text. */
static int msg_fields(const struct json_doc *d, struct field **out, size_t *nout, struct buf *why)
{
	struct field *v = NULL;
	size_t n = 0;
	uint32_t k, j, obj = 0, params;
	int from_parts = 1;

	for (k = 0, j = 1; k < d->t[0].size; k++, j = d->t[j + 1].next)
		if (d->t[j].len > 5 && !memcmp(d->s + d->t[j].off, "data.", 5))
			break;
	if (k == d->t[0].size) {
		from_parts = 0;
		if ((params = json_get(d, 0, "params", 6)) && d->t[params].type == JSON_OBJECT &&
		    (obj = json_get(d, params, "data", 4)) && d->t[obj].type != JSON_OBJECT) {
			buf_adds(why, "params.data is not an object of texts");
			return -1;
		}
		if (!obj) {
			*out = NULL;
			*nout = 0;
			return 0;
		}
	}
	for (k = 0, j = from_parts ? 1 : obj + 1; k < d->t[from_parts ? 0 : obj].size; k++, j = d->t[j + 1].next) {
		struct field f = {BUF_INIT, BUF_INIT};
		if (from_parts && !(d->t[j].len > 5 && !memcmp(d->s + d->t[j].off, "data.", 5)))
			continue;
		json_str_get(d, j, &f.name);
		if (from_parts) {
			memmove(f.name.p, f.name.p + 5, f.name.len - 5 + 1);
			f.name.len -= 5;
		}
		if (d->t[j + 1].type == JSON_STRING) {
			json_str_get(d, j + 1, &f.value);
		} else if (d->t[j + 1].type == JSON_NUMBER) {
			buf_add(&f.value, d->s + d->t[j + 1].off, d->t[j + 1].len);
		} else {
			buf_printf(why, "template field '%s' is not text", f.name.p);
			buf_release(&f.name);
			for (k = 0; k < n; k++)
				buf_release(&v[k].name), buf_release(&v[k].value);
			free(v);
			return -1;
		}
		if (!f.value.p)
			buf_adds(&f.value, "");
		v = xrealloc(v, (n + 1) * sizeof *v);
		v[n++] = f;
	}
	qsort(v, n, sizeof *v, field_cmp);
	*out = v;
	*nout = n;
	return 0;
}

static void fields_free(struct field *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_release(&v[i].name), buf_release(&v[i].value);
	free(v);
}

/* ---- building requests ---- */

struct qparam {
	const char *k;
	struct buf v;
};

static int qparam_cmp(const void *a, const void *b)
{
	return strcmp(((const struct qparam *)a)->k, ((const struct qparam *)b)->k);
}

static int build_aliyun(const struct provider *p, const struct json_doc *d, struct buf *req, struct buf *why)
{
	struct qparam q[5];
	struct field *f = NULL;
	size_t nf = 0, nq = 0, i;
	struct buf to = BUF_INIT, tpl = BUF_INIT, sign = BUF_INIT, id = BUF_INIT;
	int rc = -1;

	memset(q, 0, sizeof q);
	if (!msg_text(d, "to", &to)) {
		buf_adds(why, "no phone number (\"to\")");
		goto out;
	}
	if (!msg_text(d, "template_id", &tpl)) {
		buf_adds(why, "no SMS template: the template gives no \"template_id\" (Aliyun's TemplateCode)");
		goto out;
	}
	if (!msg_text(d, "sign_name", &sign)) {
		buf_reset(&sign);
		buf_adds(&sign, p->sign_name ? p->sign_name : "");
	}
	if (msg_fields(d, &f, &nf, why))
		goto out;
	msg_text(d, "send_id", &id);
	/* an E.164 number without its '+': Aliyun takes 86… and other country codes so */
	q[nq].k = "PhoneNumbers";
	buf_add(&q[nq++].v, to.p + (to.p[0] == '+'), to.len - (to.p[0] == '+'));
	q[nq].k = "SignName";
	buf_add(&q[nq++].v, sign.p, sign.len);
	q[nq].k = "TemplateCode";
	buf_add(&q[nq++].v, tpl.p, tpl.len);
	if (nf) {
		q[nq].k = "TemplateParam";
		buf_addc(&q[nq].v, '{');
		for (i = 0; i < nf; i++) {
			if (i)
				buf_addc(&q[nq].v, ',');
			json_write_str(&q[nq].v, f[i].name.p, f[i].name.len);
			buf_addc(&q[nq].v, ':');
			json_write_str(&q[nq].v, f[i].value.p, f[i].value.len);
		}
		buf_addc(&q[nq++].v, '}');
	}
	if (id.len) {
		q[nq].k = "OutId";
		buf_add(&q[nq++].v, id.p, id.len);
	}
	qsort(q, nq, sizeof *q, qparam_cmp);
	for (i = 0; i < nq; i++) {
		if (i)
			buf_addc(req, '&');
		adapter_pct(req, q[i].k, strlen(q[i].k));
		buf_addc(req, '=');
		adapter_pct(req, q[i].v.p ? q[i].v.p : "", q[i].v.len);
	}
	rc = 0;
out:
	for (i = 0; i < sizeof q / sizeof *q; i++)
		buf_release(&q[i].v);
	fields_free(f, nf);
	buf_release(&to);
	buf_release(&tpl);
	buf_release(&sign);
	buf_release(&id);
	return rc;
}

static int build_wechat(const struct provider *p, const struct json_doc *d, struct buf *req, struct buf *why)
{
	struct field *f = NULL;
	size_t nf = 0, i;
	struct buf s = BUF_INIT;
	int rc = -1;

	if (!msg_text(d, "to", &s)) {
		buf_adds(why, "no openid (\"to\")");
		goto out;
	}
	buf_adds(req, "{\"touser\":");
	json_write_str(req, s.p, s.len);
	if (!msg_text(d, "template_id", &s)) {
		buf_adds(why, "no template message: the template gives no \"template_id\"");
		goto out;
	}
	buf_adds(req, ",\"template_id\":");
	json_write_str(req, s.p, s.len);
	if (msg_text(d, "url", &s)) {
		buf_adds(req, ",\"url\":");
		json_write_str(req, s.p, s.len);
	}
	if (p->idempotent && msg_text(d, "send_id", &s)) {
		buf_adds(req, ",\"client_msg_id\":");
		json_write_str(req, s.p, s.len);
	}
	if (msg_fields(d, &f, &nf, why))
		goto out;
	buf_adds(req, ",\"data\":{");
	for (i = 0; i < nf; i++) {
		if (i)
			buf_addc(req, ',');
		json_write_str(req, f[i].name.p, f[i].name.len);
		buf_adds(req, ":{\"value\":");
		json_write_str(req, f[i].value.p, f[i].value.len);
		buf_addc(req, '}');
	}
	buf_adds(req, "}}");
	rc = 0;
out:
	fields_free(f, nf);
	buf_release(&s);
	return rc;
}

static int build_wecom(const struct provider *p, const struct json_doc *d, struct buf *req, struct buf *why)
{
	struct buf to = BUF_INIT, text = BUF_INIT, title = BUF_INIT, url = BUF_INIT;
	int rc = -1;

	if (!msg_text(d, "to", &to)) {
		buf_adds(why, "no WeCom user id (\"to\")");
		goto out;
	}
	if (!msg_text(d, "text", &text)) {
		buf_adds(why, "no \"text\" to send");
		goto out;
	}
	buf_adds(req, "{\"touser\":");
	json_write_str(req, to.p, to.len);
	if (msg_text(d, "url", &url)) {
		if (!msg_text(d, "subject", &title)) {
			buf_adds(why, "a text card (with a \"url\") needs a \"subject\" for its title");
			goto out;
		}
		buf_printf(req, ",\"msgtype\":\"textcard\",\"agentid\":%ld,\"textcard\":{\"title\":", p->agent_id);
		json_write_str(req, title.p, title.len);
		buf_adds(req, ",\"description\":");
		json_write_str(req, text.p, text.len);
		buf_adds(req, ",\"url\":");
		json_write_str(req, url.p, url.len);
		buf_addc(req, '}');
	} else {
		buf_printf(req, ",\"msgtype\":\"text\",\"agentid\":%ld,\"text\":{\"content\":", p->agent_id);
		json_write_str(req, text.p, text.len);
		buf_addc(req, '}');
	}
	buf_adds(req, ",\"safe\":0");
	if (p->idempotent)
		buf_printf(req, ",\"enable_duplicate_check\":1,\"duplicate_check_interval\":%ld", p->dup_interval);
	buf_addc(req, '}');
	rc = 0;
out:
	buf_release(&to);
	buf_release(&text);
	buf_release(&title);
	buf_release(&url);
	return rc;
}

int adapter_build(const struct provider *p, const struct json_doc *d, struct buf *req, struct buf *why)
{
	buf_reset(req);
	switch (p->type) {
	case CHAN_ALIYUN_SMS:
		return build_aliyun(p, d, req, why);
	case CHAN_WECHAT:
		return build_wechat(p, d, req, why);
	case CHAN_WECOM:
		return build_wecom(p, d, req, why);
	default:
		buf_adds(why, "not a provider with a request format");
		return -1;
	}
}

/* ---- Alibaba Cloud's V3 signature ---- */

static void hex_sha256(const char *s, size_t n, char hex[65])
{
	struct sha256 c;
	unsigned char dg[32];

	sha256_init(&c);
	sha256_update(&c, s, n);
	sha256_final(&c, dg);
	sha256_hex(dg, hex);
}

void adapter_acs3_sign(const char *key_id, const char *secret, const char *method, const char *host,
		       const char *path, const char *query, const char *const *acs, size_t nacs,
		       const char *payload_hash, struct buf *auth, struct buf *canon)
{
	struct buf cr = BUF_INIT, signed_h = BUF_INIT, sts = BUF_INIT;
	char hex[65];
	unsigned char mac[32];
	size_t i;

	/* host sorts before x-acs-* */
	buf_adds(&signed_h, "host");
	for (i = 0; i < nacs; i++) {
		const char *colon = strchr(acs[i], ':');
		buf_addc(&signed_h, ';');
		buf_add(&signed_h, acs[i], colon ? (size_t)(colon - acs[i]) : strlen(acs[i]));
	}
	buf_printf(&cr, "%s\n%s\n%s\nhost:%s\n", method, path && *path ? path : "/", query ? query : "", host);
	for (i = 0; i < nacs; i++)
		buf_printf(&cr, "%s\n", acs[i]);
	buf_printf(&cr, "\n%s\n%s", signed_h.p, payload_hash);
	hex_sha256(cr.p, cr.len, hex);
	buf_printf(&sts, "ACS3-HMAC-SHA256\n%s", hex);
	sha256_hmac(secret, strlen(secret), sts.p, sts.len, mac);
	sha256_hex(mac, hex);
	buf_printf(auth, "ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s", key_id, signed_h.p, hex);
	if (canon)
		buf_add(canon, cr.p, cr.len);
	buf_release(&cr);
	buf_release(&signed_h);
	buf_release(&sts);
}

/* ---- answers ---- */

static void excerpt(struct buf *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 120; i++) {
		unsigned char c = (unsigned char)s[i];
		buf_addc(out, c >= 0x20 && c < 0x7f ? (char)c : ' ');
	}
}

/* A member of an object as text: a string unescaped, a number as written. */
static int member(const struct json_doc *d, const char *key, struct buf *out)
{
	uint32_t t = json_get(d, 0, key, strlen(key));

	if (!t)
		return 0;
	if (d->t[t].type == JSON_STRING)
		json_str_get(d, t, out);
	else if (d->t[t].type == JSON_NUMBER)
		buf_add(out, d->s + d->t[t].off, d->t[t].len);
	else
		return 0;
	return 1;
}

static int has_prefix(const char *s, const char *pre)
{
	return !strncmp(s, pre, strlen(pre));
}

/* Aliyun: the Codes that say "not now" rather than "never". */
static int aliyun_temporary(const char *code)
{
	static const char *const temp[] = {"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL",
					   "isv.MONTH_LIMIT_CONTROL", "isv.BUSINESS_LIMIT_CONTROL_MINUTE",
					   "ServiceUnavailable", "InternalError", "isv.SYSTEM_BUSY", NULL};
	int i;

	if (has_prefix(code, "isp.") || has_prefix(code, "Throttling") || has_prefix(code, "ServiceUnavailable"))
		return 1;
	for (i = 0; temp[i]; i++)
		if (!strcmp(code, temp[i]))
			return 1;
	return 0;
}

static enum adapter_verdict judge_aliyun(const struct json_doc *d, long code, struct buf *id, struct buf *why)
{
	struct buf c = BUF_INIT, m = BUF_INIT;
	enum adapter_verdict v;

	member(d, "Code", &c);
	member(d, "Message", &m);
	if (code >= 200 && code < 300 && c.p && !strcmp(c.p, "OK")) {
		member(d, "BizId", id);
		v = ADAPTER_OK;
	} else {
		buf_printf(why, "HTTP %ld %s: %s", code, c.p ? c.p : "(no Code)", m.p ? m.p : "");
		v = (c.p && aliyun_temporary(c.p)) || code == 429 || code >= 500 ? ADAPTER_TEMPORARY : ADAPTER_PERMANENT;
	}
	buf_release(&c);
	buf_release(&m);
	return v;
}

/* WeChat and WeCom: errcode 0 is done; a refused token is fetched again;
 * -1 (system busy) and the frequency limits are for later. */
static enum adapter_verdict judge_weixin(const struct provider *p, const struct json_doc *d, long code,
					 struct buf *id, struct buf *why)
{
	struct buf e = BUF_INIT, m = BUF_INIT, inv = BUF_INIT;
	enum adapter_verdict v;
	long ec;

	if (!member(d, "errcode", &e)) {
		buf_printf(why, "HTTP %ld: an answer without errcode", code);
		v = ADAPTER_GARBLED;
		goto out;
	}
	member(d, "errmsg", &m);
	ec = strtol(e.p, NULL, 10);
	if (ec == 0 && p->type == CHAN_WECOM && member(d, "invaliduser", &inv) && inv.len) {
		buf_printf(why, "invaliduser %s: not a member the application can reach", inv.p);
		v = ADAPTER_PERMANENT;
	} else if (ec == 0) {
		member(d, "msgid", id);
		v = ADAPTER_OK;
	} else {
		buf_printf(why, "errcode %ld: %s", ec, m.p ? m.p : "");
		if (ec == 40001 || ec == 40014 || ec == 42001)
			v = ADAPTER_TOKEN;
		else if (ec == -1 || ec == 45009 || ec == 45011 || ec == 45033 || ec == 45047)
			v = ADAPTER_TEMPORARY;
		else
			v = ADAPTER_PERMANENT;
	}
out:
	buf_release(&e);
	buf_release(&m);
	buf_release(&inv);
	return v;
}

enum adapter_verdict adapter_judge(const struct provider *p, long code, const char *body, size_t n, struct buf *id,
				   struct buf *why)
{
	struct json_doc d = JSON_DOC_INIT;
	const char *jw;
	size_t at;
	enum adapter_verdict v;

	if (json_parse(&d, body ? body : "", n, 16, &jw, &at) || d.t[0].type != JSON_OBJECT) {
		buf_printf(why, "HTTP %ld", code);
		if (n) {
			buf_adds(why, ": ");
			excerpt(why, body, n);
		}
		if (code == 429 || code == 408 || code >= 500)
			v = ADAPTER_TEMPORARY;
		else if (code >= 400)
			v = ADAPTER_PERMANENT;
		else
			v = ADAPTER_GARBLED;
		goto out;
	}
	if (p->type == CHAN_ALIYUN_SMS)
		v = judge_aliyun(&d, code, id, why);
	else if (code >= 500 || code == 429) {
		buf_printf(why, "HTTP %ld", code);
		v = ADAPTER_TEMPORARY;
	} else
		v = judge_weixin(p, &d, code, id, why);
out:
	json_doc_release(&d);
	return v;
}

/* ---- access tokens ---- */

static void url_base(const struct provider *p, struct buf *out)
{
	size_t n = strlen(p->url);

	while (n && p->url[n - 1] == '/')
		n--;
	buf_add(out, p->url, n);
}

void adapter_token_url(const struct provider *p, struct buf *out)
{
	url_base(p, out);
	if (p->type == CHAN_WECOM) {
		buf_adds(out, "/cgi-bin/gettoken?corpid=");
		adapter_pct(out, p->account, strlen(p->account));
		buf_adds(out, "&corpsecret=");
	} else {
		buf_adds(out, "/cgi-bin/token?grant_type=client_credential&appid=");
		adapter_pct(out, p->account, strlen(p->account));
		buf_adds(out, "&secret=");
	}
	adapter_pct(out, p->secret, strlen(p->secret));
}

int adapter_token_parse(long code, const char *body, size_t n, struct buf *token, long *expires_in,
			struct buf *why)
{
	struct json_doc d = JSON_DOC_INIT;
	struct buf e = BUF_INIT, m = BUF_INIT, x = BUF_INIT;
	const char *jw;
	size_t at;
	int rc = -1;

	buf_reset(token);
	if (json_parse(&d, body ? body : "", n, 16, &jw, &at) || d.t[0].type != JSON_OBJECT) {
		buf_printf(why, "HTTP %ld: not a token", code);
		if (n) {
			buf_adds(why, ": ");
			excerpt(why, body, n);
		}
		goto out;
	}
	if (member(&d, "errcode", &e) && strtol(e.p, NULL, 10) != 0) {
		member(&d, "errmsg", &m);
		buf_printf(why, "errcode %s: %s", e.p, m.p ? m.p : "");
		rc = 1;
		goto out;
	}
	if (!member(&d, "access_token", token) || !token->len) {
		buf_printf(why, "HTTP %ld: an answer without access_token", code);
		goto out;
	}
	*expires_in = member(&d, "expires_in", &x) ? strtol(x.p, NULL, 10) : 7200;
	if (*expires_in <= 0)
		*expires_in = 7200;
	rc = 0;
out:
	json_doc_release(&d);
	buf_release(&e);
	buf_release(&m);
	buf_release(&x);
	return rc;
}

long long adapter_token_due(long long got, long expires_in)
{
	long long life = (long long)expires_in * 1000, margin = 300000;

	if (margin > life / 2)
		margin = life / 2;
	return got + life - margin;
}
