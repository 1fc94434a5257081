#include "channel.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adapter.h"
#include "cli.h"
#include "conf.h"
#include "hash.h"
#include "json.h"
#include "sha256.h"

/* ---- configuration ---- */

#define TYPES "webhook, smtp, file, aliyun_sms, wechat_template, wecom"

static int load_provider(struct conf *cf, unsigned obj, const char *name, struct provider *p)
{
	static const char *const keys[] = {"type", "url", "secret", "secret_env", "from", "path",
					   "unsubscribe", "idempotency_key", "timeout_ms", "retries",
					   "backoff_ms", "parallel", "breaker", "cooldown_ms", "qps", "key_id",
					   "app_id", "corp_id", "agent_id", "sign_name", "duplicate_check_interval",
					   NULL};
	char *type = NULL, *env = NULL;
	const char *acct = NULL, *dflt = NULL;
	long long v;
	uint32_t t;

	memset(p, 0, sizeof *p);
	p->name = xstrdup(name);
	p->timeout_ms = 10000;
	p->retries = 3;
	p->backoff_ms = 200;
	p->parallel = 64;
	p->breaker = 10;
	p->cooldown_ms = 30000;
	p->dup_interval = 1800;
	if (cf->doc.t[obj].type != JSON_OBJECT)
		return conf_fail(cf, obj, NULL, "a provider is an object");
	if (conf_keys(cf, obj, keys) || conf_str(cf, obj, "type", &type) < 0 || conf_str(cf, obj, "url", &p->url) < 0 ||
	    conf_str(cf, obj, "secret", &p->secret) < 0 || conf_str(cf, obj, "secret_env", &env) < 0 ||
	    conf_str(cf, obj, "from", &p->from) < 0 || conf_str(cf, obj, "path", &p->path) < 0 ||
	    conf_str(cf, obj, "unsubscribe", &p->unsubscribe) < 0 || conf_str(cf, obj, "sign_name", &p->sign_name) < 0)
		goto bad;
	if (!type) {
		conf_fail(cf, obj, NULL, "a provider needs a \"type\" (%s)", TYPES);
		goto bad;
	}
	if (!strcmp(type, "webhook"))
		p->type = CHAN_WEBHOOK, p->idempotent = 1;
	else if (!strcmp(type, "smtp"))
		p->type = CHAN_SMTP;
	else if (!strcmp(type, "file"))
		p->type = CHAN_FILE;
	else if (!strcmp(type, "aliyun_sms"))
		p->type = CHAN_ALIYUN_SMS, acct = "key_id", dflt = "https://dysmsapi.aliyuncs.com/";
	else if (!strcmp(type, "wechat_template")) /* client_msg_id: the provider keeps one copy */
		p->type = CHAN_WECHAT, p->idempotent = 1, acct = "app_id", dflt = "https://api.weixin.qq.com";
	else if (!strcmp(type, "wecom"))
		p->type = CHAN_WECOM, acct = "corp_id", dflt = "https://qyapi.weixin.qq.com";
	else {
		conf_fail(cf, obj, "type", "unknown provider type '%s' (%s)", type, TYPES);
		goto bad;
	}
	{ /* the keys of the other types are not this one's */
		static const char *const only[][2] = {{"key_id", "aliyun_sms"}, {"sign_name", "aliyun_sms"},
						      {"app_id", "wechat_template"}, {"corp_id", "wecom"},
						      {"agent_id", "wecom"}, {"duplicate_check_interval", "wecom"}};
		size_t i;
		for (i = 0; i < sizeof only / sizeof *only; i++)
			if (strcmp(type, only[i][1]) && json_get(&cf->doc, obj, only[i][0], strlen(only[i][0]))) {
				conf_fail(cf, obj, only[i][0], "only an %s provider takes \"%s\"", only[i][1],
					  only[i][0]);
				goto bad;
			}
	}
	if (acct) {
		if (conf_str(cf, obj, acct, &p->account) < 0)
			goto bad;
		if (!p->account || !*p->account) {
			conf_fail(cf, obj, NULL, "an %s provider needs \"%s\"", type, acct);
			goto bad;
		}
		if (!p->url)
			p->url = xstrdup(dflt);
	}
	if ((t = json_get(&cf->doc, obj, "idempotency_key", 15))) {
		if (cf->doc.t[t].type != JSON_TRUE && cf->doc.t[t].type != JSON_FALSE) {
			conf_fail(cf, obj, "idempotency_key", "want true or false");
			goto bad;
		}
		p->idempotent = cf->doc.t[t].type == JSON_TRUE &&
				(p->type == CHAN_WEBHOOK || p->type == CHAN_WECHAT || p->type == CHAN_WECOM);
	}
#define INT(key, field, min)                                                                  \
	switch (conf_int(cf, obj, key, &v)) {                                                 \
	case -1: goto bad;                                                                    \
	case 1:                                                                               \
		if (v < (min)) {                                                              \
			conf_fail(cf, obj, key, "want a whole number of at least %d", (int)(min)); \
			goto bad;                                                             \
		}                                                                             \
		p->field = (long)v;                                                           \
	}
	INT("timeout_ms", timeout_ms, 1)
	INT("retries", retries, 0)
	INT("backoff_ms", backoff_ms, 0)
	INT("parallel", parallel, 1)
	INT("breaker", breaker, 1)
	INT("cooldown_ms", cooldown_ms, 0)
	INT("qps", qps, 0)
	INT("agent_id", agent_id, 0)
	INT("duplicate_check_interval", dup_interval, 1)
#undef INT
	if (env) {
		const char *s = getenv(env);
		if (!s || !*s) {
			conf_fail(cf, obj, "secret_env", "the environment variable '%s' is not set", env);
			goto bad;
		}
		free(p->secret);
		p->secret = xstrdup(s);
	}
	if ((p->type == CHAN_WEBHOOK || p->type == CHAN_SMTP) && !p->url) {
		conf_fail(cf, obj, NULL, "a %s provider needs a \"url\"", type);
		goto bad;
	}
	if (p->type == CHAN_SMTP && !p->from) {
		conf_fail(cf, obj, NULL, "an smtp provider needs a \"from\" address");
		goto bad;
	}
	if (acct && (!p->secret || !*p->secret)) {
		conf_fail(cf, obj, NULL, "an %s provider needs its secret: \"secret_env\", the environment variable "
			  "that holds it", type);
		goto bad;
	}
	if (p->type == CHAN_ALIYUN_SMS && !p->sign_name) {
		conf_fail(cf, obj, NULL, "an aliyun_sms provider needs a \"sign_name\" (templates may give their own)");
		goto bad;
	}
	if (p->type == CHAN_WECOM && !json_get(&cf->doc, obj, "agent_id", 8)) {
		conf_fail(cf, obj, NULL, "a wecom provider needs the application's \"agent_id\"");
		goto bad;
	}
	if (p->type == CHAN_FILE && !p->path) {
		conf_fail(cf, obj, NULL, "a file provider needs a \"path\"");
		goto bad;
	}
	free(type);
	free(env);
	return 0;
bad:
	free(type);
	free(env);
	return -1;
}

int channels_load(struct channels *c, const char *path)
{
	static const char *const top[] = {"providers", "channels", "$schema", "description", NULL};
	static const char *const chk[] = {"provider", "address", "max_segments", NULL};
	struct conf cf;
	uint32_t obj, i, k;
	int rc = EXIT_CONFIG;

	memset(&cf, 0, sizeof cf);
	memset(c, 0, sizeof *c);
	c->path = xstrdup(path);
	if (conf_load(&cf, path) || conf_keys(&cf, 0, top))
		goto out;
	if (!(obj = json_get(&cf.doc, 0, "providers", 9)) || cf.doc.t[obj].type != JSON_OBJECT) {
		conf_fail(&cf, 0, NULL, "want \"providers\": an object of providers by name");
		goto out;
	}
	c->pv = xcalloc(cf.doc.t[obj].size + 1, sizeof *c->pv);
	for (k = 0, i = obj + 1; k < cf.doc.t[obj].size; k++, i = cf.doc.t[i + 1].next) {
		struct buf name = BUF_INIT;
		int r;
		json_str_get(&cf.doc, i, &name);
		r = load_provider(&cf, i + 1, name.p ? name.p : "", &c->pv[c->npv]);
		c->npv++;
		buf_release(&name);
		if (r)
			goto out;
	}
	if (!(obj = json_get(&cf.doc, 0, "channels", 8)) || cf.doc.t[obj].type != JSON_OBJECT) {
		conf_fail(&cf, 0, NULL, "want \"channels\": an object of channels by name");
		goto out;
	}
	c->ch = xcalloc(cf.doc.t[obj].size + 1, sizeof *c->ch);
	for (k = 0, i = obj + 1; k < cf.doc.t[obj].size; k++, i = cf.doc.t[i + 1].next) {
		struct channel *ch = &c->ch[c->nch++];
		struct buf name = BUF_INIT;
		char *pv = NULL;
		json_str_get(&cf.doc, i, &name);
		ch->name = xstrdup(name.p ? name.p : "");
		buf_release(&name);
		if (cf.doc.t[i + 1].type != JSON_OBJECT) {
			conf_fail(&cf, i + 1, NULL, "a channel is an object: {\"provider\", \"address\"}");
			goto out;
		}
		if (conf_keys(&cf, i + 1, chk) || conf_str(&cf, i + 1, "provider", &pv) < 0 ||
		    conf_str(&cf, i + 1, "address", &ch->address) < 0)
			goto out;
		{
			long long ms = 4;
			int r = conf_int(&cf, i + 1, "max_segments", &ms);
			if (r < 0)
				goto out;
			if (ms < 1 || ms > 255) {
				conf_fail(&cf, i + 1, "max_segments", "want 1 … 255");
				goto out;
			}
			ch->max_segments = (int)ms;
		}
		if (!pv || !(ch->pv = channels_provider(c, pv, strlen(pv)))) {
			conf_fail(&cf, i + 1, "provider", "no provider named '%s'", pv ? pv : "");
			free(pv);
			goto out;
		}
		free(pv);
	}
	rc = 0;
out:
	if (rc)
		cli_err("%s", cf.err.p ? cf.err.p : "bad channels file");
	conf_release(&cf);
	return rc;
}

void channels_free(struct channels *c)
{
	unsigned i;

	for (i = 0; i < c->npv; i++) {
		struct provider *p = &c->pv[i];
		if (p->fp)
			fclose(p->fp);
		free(p->name);
		free(p->url);
		free(p->secret);
		free(p->from);
		free(p->path);
		free(p->unsubscribe);
		free(p->account);
		free(p->sign_name);
		buf_release(&p->token);
		buf_release(&p->token_err);
	}
	for (i = 0; i < c->nch; i++) {
		free(c->ch[i].name);
		free(c->ch[i].address);
	}
	if (c->multi)
		curl_multi_cleanup(c->multi);
	free(c->pv);
	free(c->ch);
	free(c->path);
	memset(c, 0, sizeof *c);
}

struct channel *channels_find(struct channels *c, const char *name, size_t n)
{
	unsigned i;

	for (i = 0; i < c->nch; i++)
		if (strlen(c->ch[i].name) == n && !memcmp(c->ch[i].name, name, n))
			return &c->ch[i];
	return NULL;
}

struct provider *channels_provider(struct channels *c, const char *name, size_t n)
{
	unsigned i;

	for (i = 0; i < c->npv; i++)
		if (strlen(c->pv[i].name) == n && !memcmp(c->pv[i].name, name, n))
			return &c->pv[i];
	return NULL;
}

const char *channel_version(void)
{
	static char v[64];

	snprintf(v, sizeof v, "libcurl %s", curl_version_info(CURLVERSION_NOW)->version);
	return v;
}

/* ---- sending ---- */

static long long now_ms(void)
{
	return cli_now_ns() / 1000000;
}

struct xfer {
	struct chan_msg *m;
	CURL *e;
	struct curl_slist *hdrs, *rcpt;
	struct buf resp, req, to;
	size_t rpos;
	char *id;             /* send_id */
	long long due;        /* start no earlier (a backoff) */
	int active, done;
	unsigned token_gen;   /* the token the request went with */
	int token_retried;    /* sent again once with a fresh token */
	struct buf url;       /* the URL of this attempt (a token in it) */
};

static size_t on_write(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct xfer *x = ctx;
	size_t n = size * nmemb;

	if (x->resp.len < 65536)
		buf_add(&x->resp, p, n);
	return n;
}

static size_t on_read(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct xfer *x = ctx;
	size_t n = size * nmemb, left = x->req.len - x->rpos;

	if (n > left)
		n = left;
	memcpy(p, x->req.p + x->rpos, n);
	x->rpos += n;
	return n;
}

/* A string field of the message, unescaped into out; 0 when present. */
static int msg_str(const struct json_doc *d, const char *key, struct buf *out)
{
	uint32_t t = json_get(d, 0, key, strlen(key));

	buf_reset(out);
	if (!t || d->t[t].type != JSON_STRING)
		return -1;
	json_str_get(d, t, out);
	return 0;
}

static void base64(struct buf *out, const char *s, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8 | (unsigned char)s[i + 2];
		buf_addc(out, a[v >> 18]);
		buf_addc(out, a[v >> 12 & 63]);
		buf_addc(out, a[v >> 6 & 63]);
		buf_addc(out, a[v & 63]);
	}
	if (i < n) {
		unsigned v = (unsigned char)s[i] << 16 | (i + 1 < n ? (unsigned char)s[i + 1] << 8 : 0);
		buf_addc(out, a[v >> 18]);
		buf_addc(out, a[v >> 12 & 63]);
		buf_addc(out, i + 1 < n ? a[v >> 6 & 63] : '=');
		buf_addc(out, '=');
	}
}

/* Text as CRLF lines. */
static void crlf(struct buf *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n' && (!i || s[i - 1] != '\r'))
			buf_addc(out, '\r');
		buf_addc(out, s[i]);
	}
	if (!n || s[n - 1] != '\n')
		buf_add(out, "\r\n", 2);
}

static int ascii_only(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] == '\r' || s[i] == '\n')
			return 0;
	return 1;
}

/* The MIME message of an email: headers, then a text part and, when the
 * message has HTML, an HTML part beside it. */
static int build_mail(struct xfer *x, const struct json_doc *d, struct buf *why)
{
	struct provider *p = x->m->pv;
	struct buf s = BUF_INIT, text = BUF_INIT, html = BUF_INIT, ts = BUF_INIT;
	char bound[40];
	uint64_t h = hash64(x->m->body, x->m->len, 7);

	if (msg_str(d, "to", &x->to) || !x->to.len || memchr(x->to.p, '\n', x->to.len) || memchr(x->to.p, '\r', x->to.len)) {
		buf_adds(why, "no valid \"to\" address");
		return -1;
	}
	msg_str(d, "subject", &s);
	msg_str(d, "text", &text);
	msg_str(d, "html", &html);
	msg_str(d, "ts", &ts);
	snprintf(bound, sizeof bound, "uops-%016llx", (unsigned long long)h);
	buf_reset(&x->req);
	buf_printf(&x->req, "From: %s\r\nTo: %s\r\n", p->from, x->to.p);
	buf_adds(&x->req, "Subject: ");
	if (ascii_only(s.p ? s.p : "", s.len)) {
		buf_add(&x->req, s.p ? s.p : "", s.len);
	} else { /* RFC 2047, in words of up to 45 bytes of whole characters */
		size_t i = 0;
		while (i < s.len) {
			size_t j = i + 45 < s.len ? i + 45 : s.len;
			while (j < s.len && j > i && ((unsigned char)s.p[j] & 0xc0) == 0x80)
				j--;
			if (i)
				buf_adds(&x->req, "\r\n ");
			buf_adds(&x->req, "=?UTF-8?B?");
			base64(&x->req, s.p + i, j - i);
			buf_adds(&x->req, "?=");
			i = j;
		}
	}
	buf_printf(&x->req, "\r\nMessage-ID: <%s@uops>\r\nMIME-Version: 1.0\r\n", x->id);
	if (ts.len)
		buf_printf(&x->req, "X-Uops-Event-Time: %s\r\n", ts.p);
	if (p->unsubscribe)
		buf_printf(&x->req, "List-Unsubscribe: <%s>\r\n", p->unsubscribe);
	if (html.len) {
		buf_printf(&x->req, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", bound);
		buf_printf(&x->req, "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
				    "Content-Transfer-Encoding: 8bit\r\n\r\n", bound);
		crlf(&x->req, text.p ? text.p : "", text.len);
		buf_printf(&x->req, "--%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
				    "Content-Transfer-Encoding: 8bit\r\n\r\n", bound);
		crlf(&x->req, html.p, html.len);
		buf_printf(&x->req, "--%s--\r\n", bound);
	} else {
		buf_adds(&x->req, "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
		crlf(&x->req, text.p ? text.p : "", text.len);
	}
	buf_release(&s);
	buf_release(&text);
	buf_release(&html);
	buf_release(&ts);
	return 0;
}

/* Set up x's easy handle for its provider. -1 with why when the message
 * cannot be sent at all. */
static int prepare(struct xfer *x, struct buf *why)
{
	struct provider *p = x->m->pv;
	struct json_doc d = JSON_DOC_INIT;
	const char *jw;
	size_t at;
	int rc = -1;

	if (json_parse(&d, x->m->body, x->m->len, 64, &jw, &at) || d.t[0].type != JSON_OBJECT) {
		buf_adds(why, "the message is not a JSON object");
		goto out;
	}
	{
		struct buf id = BUF_INIT;
		msg_str(&d, "send_id", &id);
		x->id = xstrdup(id.p ? id.p : "");
		buf_release(&id);
	}
	x->e = curl_easy_init();
	if (!x->e) {
		buf_adds(why, "libcurl: cannot make a handle");
		goto out;
	}
	curl_easy_setopt(x->e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->e, CURLOPT_TIMEOUT_MS, p->timeout_ms);
	curl_easy_setopt(x->e, CURLOPT_CONNECTTIMEOUT_MS, p->timeout_ms);
	curl_easy_setopt(x->e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(x->e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->e, CURLOPT_URL, p->url);
	if (p->type == CHAN_ALIYUN_SMS || p->type == CHAN_WECHAT || p->type == CHAN_WECOM) {
		if (adapter_build(p, &d, &x->req, why))
			goto out;
		/* the URL and headers are set for each attempt (arm) */
		curl_easy_setopt(x->e, CURLOPT_POSTFIELDS, x->req.p ? x->req.p : "");
		curl_easy_setopt(x->e, CURLOPT_POSTFIELDSIZE, p->type == CHAN_ALIYUN_SMS ? 0L : (long)x->req.len);
	} else if (p->type == CHAN_WEBHOOK) {
		struct buf h = BUF_INIT;
		buf_adds(&h, "Content-Type: application/json");
		x->hdrs = curl_slist_append(x->hdrs, h.p);
		if (p->idempotent) {
			buf_reset(&h);
			buf_printf(&h, "Idempotency-Key: %s", x->id);
			x->hdrs = curl_slist_append(x->hdrs, h.p);
		}
		if (p->secret) {
			unsigned char mac[32];
			char hex[65];
			sha256_hmac(p->secret, strlen(p->secret), x->m->body, x->m->len, mac);
			sha256_hex(mac, hex);
			buf_reset(&h);
			buf_printf(&h, "X-Uops-Signature: sha256=%s", hex);
			x->hdrs = curl_slist_append(x->hdrs, h.p);
		}
		x->hdrs = curl_slist_append(x->hdrs, "Expect:");
		buf_release(&h);
		curl_easy_setopt(x->e, CURLOPT_HTTPHEADER, x->hdrs);
		curl_easy_setopt(x->e, CURLOPT_POSTFIELDS, x->m->body);
		curl_easy_setopt(x->e, CURLOPT_POSTFIELDSIZE, (long)x->m->len);
	} else {
		struct buf from = BUF_INIT;
		if (build_mail(x, &d, why))
			goto out;
		buf_printf(&from, "<%s>", p->from);
		curl_easy_setopt(x->e, CURLOPT_MAIL_FROM, from.p);
		buf_release(&from);
		x->rcpt = curl_slist_append(NULL, x->to.p);
		curl_easy_setopt(x->e, CURLOPT_MAIL_RCPT, x->rcpt);
		curl_easy_setopt(x->e, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(x->e, CURLOPT_READDATA, x);
		curl_easy_setopt(x->e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(x->e, CURLOPT_INFILESIZE, (long)x->req.len);
	}
	rc = 0;
out:
	json_doc_release(&d);
	return rc;
}

/* ---- access tokens and signatures, for each attempt ---- */

static unsigned long send_round; /* counts the calls of channel_send */

/* A token for p that is not yet due, fetched now (blocking) when there is
 * none. 0, or -1 when it cannot be had (why in p->token_err; a failure is
 * not tried again in the same round of sends). */
static int token_get(struct provider *p)
{
	struct xfer t;
	struct buf url = BUF_INIT, why = BUF_INIT;
	long long now = now_ms();
	long code = 0, expires = 0;
	CURLcode cc;
	int rc = -1;

	if (p->token.len && now < p->token_due_ms)
		return 0;
	if (p->round == send_round && p->token_err.len)
		return -1;
	memset(&t, 0, sizeof t);
	adapter_token_url(p, &url);
	if (!(t.e = curl_easy_init())) {
		buf_adds(&why, "libcurl: cannot make a handle");
		goto out;
	}
	curl_easy_setopt(t.e, CURLOPT_URL, url.p);
	curl_easy_setopt(t.e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t.e, CURLOPT_TIMEOUT_MS, p->timeout_ms);
	curl_easy_setopt(t.e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(t.e, CURLOPT_WRITEDATA, &t);
	cc = curl_easy_perform(t.e);
	curl_easy_getinfo(t.e, CURLINFO_RESPONSE_CODE, &code);
	if (cc != CURLE_OK) {
		buf_adds(&why, curl_easy_strerror(cc));
		goto out;
	}
	if (adapter_token_parse(code, t.resp.p, t.resp.len, &p->token, &expires, &why))
		goto out;
	p->token_due_ms = adapter_token_due(now, expires);
	p->token_gen++;
	p->fetches++;
	rc = 0;
out:
	if (rc) {
		buf_reset(&p->token);
		buf_reset(&p->token_err);
		buf_printf(&p->token_err, "access token: %s", why.p ? why.p : "");
		p->round = send_round;
	}
	if (t.e)
		curl_easy_cleanup(t.e);
	buf_release(&t.resp);
	buf_release(&url);
	buf_release(&why);
	return rc;
}

/* The URL's host (as the Host header says it) and path. */
static void url_parts(const char *url, struct buf *host, struct buf *path)
{
	const char *h = strstr(url, "://"), *e;

	h = h ? h + 3 : url;
	e = h + strcspn(h, "/?#");
	buf_add(host, h, (size_t)(e - h));
	if (*e == '/')
		buf_add(path, e, strcspn(e, "?#"));
	else
		buf_addc(path, '/');
}

/* Alibaba Cloud: sign this attempt (a fresh date and nonce each time). */
static void arm_aliyun(struct xfer *x)
{
	static const char empty_sha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	static unsigned long long count;
	struct provider *p = x->m->pv;
	struct buf host = BUF_INIT, path = BUF_INIT, auth = BUF_INIT, h = BUF_INIT;
	char date[32], nonce[33], l[5][128];
	const char *acs[5];
	uint64_t n[2], seed[3];
	time_t now = time(NULL);
	struct tm tm;
	int i;

	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
	seed[0] = (uint64_t)cli_now_ns();
	seed[1] = ++count;
	seed[2] = hash64(x->id, strlen(x->id), 11);
	hash128(seed, sizeof seed, (uint64_t)getpid(), n);
	hash_hex(n, nonce);
	snprintf(l[0], sizeof l[0], "x-acs-action:SendSms");
	snprintf(l[1], sizeof l[1], "x-acs-content-sha256:%s", empty_sha);
	snprintf(l[2], sizeof l[2], "x-acs-date:%s", date);
	snprintf(l[3], sizeof l[3], "x-acs-signature-nonce:%s", nonce);
	snprintf(l[4], sizeof l[4], "x-acs-version:2017-05-25");
	for (i = 0; i < 5; i++)
		acs[i] = l[i];
	url_parts(p->url, &host, &path);
	adapter_acs3_sign(p->account, p->secret, "POST", host.p, path.p, x->req.p ? x->req.p : "", acs, 5, empty_sha,
			  &auth, NULL);
	buf_reset(&x->url);
	buf_add(&x->url, p->url, strcspn(p->url, "?#"));
	buf_addc(&x->url, '?');
	buf_add(&x->url, x->req.p ? x->req.p : "", x->req.len);
	curl_easy_setopt(x->e, CURLOPT_URL, x->url.p);
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
	buf_printf(&h, "Host: %s", host.p);
	x->hdrs = curl_slist_append(x->hdrs, h.p);
	for (i = 0; i < 5; i++) {
		buf_reset(&h);
		buf_add(&h, l[i], strcspn(l[i], ":"));
		buf_printf(&h, ": %s", strchr(l[i], ':') + 1);
		x->hdrs = curl_slist_append(x->hdrs, h.p);
	}
	buf_reset(&h);
	buf_printf(&h, "Authorization: %s", auth.p);
	x->hdrs = curl_slist_append(x->hdrs, h.p);
	x->hdrs = curl_slist_append(x->hdrs, "Accept: application/json");
	x->hdrs = curl_slist_append(x->hdrs, "Content-Type:");
	x->hdrs = curl_slist_append(x->hdrs, "Expect:");
	curl_easy_setopt(x->e, CURLOPT_HTTPHEADER, x->hdrs);
	buf_release(&host);
	buf_release(&path);
	buf_release(&auth);
	buf_release(&h);
}

/* Ready x for its next attempt: a signature, a token in its URL. -1 with
 * why when the provider cannot be asked (no token to be had). */
static int arm(struct xfer *x, struct buf *why)
{
	struct provider *p = x->m->pv;
	size_t n;

	if (p->type == CHAN_ALIYUN_SMS) {
		arm_aliyun(x);
	} else if (p->type == CHAN_WECHAT || p->type == CHAN_WECOM) {
		if (token_get(p)) {
			buf_reset(why);
			buf_add(why, p->token_err.p, p->token_err.len);
			return -1;
		}
		buf_reset(&x->url);
		n = strlen(p->url);
		while (n && p->url[n - 1] == '/')
			n--;
		buf_add(&x->url, p->url, n);
		buf_adds(&x->url, p->type == CHAN_WECHAT ? "/cgi-bin/message/template/send?access_token="
							 : "/cgi-bin/message/send?access_token=");
		adapter_pct(&x->url, p->token.p, p->token.len);
		x->token_gen = p->token_gen;
		curl_easy_setopt(x->e, CURLOPT_URL, x->url.p);
		if (!x->hdrs) {
			x->hdrs = curl_slist_append(x->hdrs, "Content-Type: application/json");
			x->hdrs = curl_slist_append(x->hdrs, "Expect:");
			curl_easy_setopt(x->e, CURLOPT_HTTPHEADER, x->hdrs);
		}
	}
	return 0;
}

static void finish(struct xfer *x, int result, const char *text, size_t n)
{
	x->done = 1;
	x->m->result = result;
	buf_reset(&x->m->answer);
	buf_add(&x->m->answer, text, n);
}

/* The provider's id from a webhook's answer: "id" (or "message_id") of a
 * JSON object; empty otherwise. */
static void answer_id(struct xfer *x, struct buf *out)
{
	struct json_doc d = JSON_DOC_INIT;
	const char *why;
	size_t at;
	uint32_t t;

	if (!json_parse(&d, x->resp.p ? x->resp.p : "", x->resp.len, 16, &why, &at) && d.t[0].type == JSON_OBJECT &&
	    ((t = json_get(&d, 0, "id", 2)) || (t = json_get(&d, 0, "message_id", 10))) &&
	    (d.t[t].type == JSON_STRING || d.t[t].type == JSON_NUMBER)) {
		if (d.t[t].type == JSON_STRING)
			json_str_get(&d, t, out);
		else
			buf_add(out, d.s + d.t[t].off, d.t[t].len);
	}
	json_doc_release(&d);
}

/* A short, printable excerpt of the answer. */
static void excerpt(struct buf *out, const struct buf *resp)
{
	size_t i;

	for (i = 0; i < resp->len && i < 120; i++) {
		unsigned char c = (unsigned char)resp->p[i];
		buf_addc(out, c >= 0x20 && c < 0x7f ? (char)c : ' ');
	}
}

enum verdict { V_OK, V_PERM, V_TEMP, V_NOCONN, V_LOST, V_TOKEN };

/* Judge a finished transfer; reason into why, a named provider's message
 * id into id. */
static enum verdict judge(struct xfer *x, CURLcode cc, struct buf *why, struct buf *id)
{
	struct provider *p = x->m->pv;
	long code = 0;

	buf_reset(why);
	curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &code);
	if ((p->type == CHAN_ALIYUN_SMS || p->type == CHAN_WECHAT || p->type == CHAN_WECOM) && cc == CURLE_OK) {
		switch (adapter_judge(p, code, x->resp.p, x->resp.len, id, why)) {
		case ADAPTER_OK:
			return V_OK;
		case ADAPTER_PERMANENT:
			return V_PERM;
		case ADAPTER_TEMPORARY:
			return V_TEMP;
		case ADAPTER_TOKEN:
			return V_TOKEN;
		default: /* it may have been sent */
			return p->idempotent ? V_TEMP : V_LOST;
		}
	}
	if (p->type == CHAN_WEBHOOK && cc == CURLE_OK) {
		if (code >= 200 && code < 300)
			return V_OK;
		buf_printf(why, "HTTP %ld", code);
		if (x->resp.len) {
			buf_adds(why, ": ");
			excerpt(why, &x->resp);
		}
		return code == 429 || code == 408 || code >= 500 ? V_TEMP : V_PERM;
	}
	if (p->type == CHAN_SMTP) {
		if (cc == CURLE_OK)
			return V_OK;
		if (code >= 400) {
			buf_printf(why, "SMTP %ld: %s", code, curl_easy_strerror(cc));
			return code >= 500 ? V_PERM : V_TEMP;
		}
	}
	buf_adds(why, curl_easy_strerror(cc));
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return V_NOCONN;
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		/* the request may have arrived: safe to resend only with a key */
		return p->idempotent ? V_TEMP : V_LOST;
	default:
		return p->idempotent ? V_TEMP : V_LOST;
	}
}

static void release(CURLM *multi, struct xfer *x)
{
	if (x->e) {
		if (x->active)
			curl_multi_remove_handle(multi, x->e);
		curl_easy_cleanup(x->e);
		x->e = NULL;
	}
	x->active = 0;
	curl_slist_free_all(x->hdrs);
	curl_slist_free_all(x->rcpt);
	x->hdrs = x->rcpt = NULL;
}

static unsigned long long jitter_state = 0x2545f4914f6cdd1dull;

static long long backoff(const struct provider *p, int attempt)
{
	long long d = p->backoff_ms;
	int i;

	for (i = 1; i < attempt && d < 60000; i++)
		d *= 2;
	jitter_state ^= jitter_state << 13, jitter_state ^= jitter_state >> 7, jitter_state ^= jitter_state << 17;
	return d / 2 + (long long)(jitter_state % (unsigned long long)(d + 1)); /* 0.5 … 1.5 × */
}

static int take_token(struct provider *p, long long now, long long *wait)
{
	if (p->qps <= 0)
		return 1;
	if (!p->tokens_at_ms) {
		p->tokens = p->qps < 1 ? 1 : p->qps;
		p->tokens_at_ms = now;
	}
	p->tokens += (double)(now - p->tokens_at_ms) * p->qps / 1000.0;
	if (p->tokens > (p->qps < 1 ? 1 : p->qps))
		p->tokens = p->qps < 1 ? 1 : p->qps;
	p->tokens_at_ms = now;
	if (p->tokens >= 1) {
		p->tokens -= 1;
		return 1;
	}
	*wait = (long long)((1 - p->tokens) * 1000.0 / p->qps) + 1;
	return 0;
}

/* Append m to its file, unsynced: CHAN_SENT once sync_files has made the
 * window's lines durable, CHAN_UNKNOWN when the write failed (part of the
 * line may be there). */
static void send_file(struct chan_msg *m)
{
	struct provider *p = m->pv;

	if (!p->fp && !(p->fp = fopen(p->path, "a"))) {
		buf_reset(&m->answer);
		buf_printf(&m->answer, "cannot open '%s': %s", p->path, strerror(errno));
		m->result = CHAN_UNREACHABLE;
		return;
	}
	m->attempts = 1;
	buf_reset(&m->answer);
	if (fwrite(m->body, 1, m->len, p->fp) != m->len || fputc('\n', p->fp) == EOF) {
		buf_printf(&m->answer, "cannot write '%s': %s", p->path, strerror(errno));
		m->result = CHAN_UNKNOWN;
		return;
	}
	m->result = CHAN_SENT;
}

/* One flush and fsync per file provider for the whole window (a group
 * commit: the window's pending states are committed before any line is
 * written, and no line counts as sent before its fsync). A file that
 * cannot be synced turns its window's sends to CHAN_UNKNOWN: some lines
 * may be on disk. */
static void sync_files(struct channels *c, struct chan_msg *m, size_t n)
{
	unsigned k;
	size_t i;

	for (k = 0; k < c->npv; k++) {
		struct provider *p = &c->pv[k];
		int used = 0, err = 0;
		if (p->type != CHAN_FILE || !p->fp)
			continue;
		for (i = 0; i < n && !used; i++)
			used = m[i].pv == p && m[i].result == CHAN_SENT;
		if (!used)
			continue;
		if (fflush(p->fp) || fsync(fileno(p->fp)))
			err = errno;
		if (!err)
			continue;
		for (i = 0; i < n; i++)
			if (m[i].pv == p && m[i].result == CHAN_SENT) {
				buf_reset(&m[i].answer);
				buf_printf(&m[i].answer, "cannot write '%s': %s", p->path, strerror(err));
				m[i].result = CHAN_UNKNOWN;
			}
	}
}

void channel_send(struct channels *c, struct chan_msg *m, size_t n)
{
	static int inited;
	CURLM *multi;
	struct xfer *xs;
	struct buf why = BUF_INIT;
	size_t i, left = 0;
	int *inflight;

	if (!inited) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		inited = 1;
	}
	if (!c->multi) { /* kept: its connections are reused by the next call */
		c->multi = curl_multi_init();
		curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 64L);
	}
	multi = c->multi;
	send_round++;
	xs = xcalloc(n + 1, sizeof *xs);
	inflight = xcalloc(c->npv + 1, sizeof *inflight);
	for (i = 0; i < n; i++) {
		struct xfer *x = &xs[i];
		x->m = &m[i];
		m[i].result = 0;
		m[i].attempts = 0;
		if (m[i].pv->type == CHAN_FILE) {
			send_file(&m[i]);
			x->done = 1;
			continue;
		}
		buf_reset(&why);
		if (prepare(x, &why)) {
			finish(x, CHAN_PERMANENT, why.p, why.len);
			release(multi, x);
			continue;
		}
		left++;
	}
	sync_files(c, m, n);
	while (left) {
		long long now = now_ms(), next = now + 200;
		int running, q;
		CURLMsg *msg;

		for (i = 0; i < n; i++) {
			struct xfer *x = &xs[i];
			struct provider *p = x->m->pv;
			long long wait = 0;
			unsigned pi = (unsigned)(p - c->pv);
			if (x->done || x->active)
				continue;
			if (cli_stop) {
				finish(x, CHAN_UNREACHABLE, "stopped before sending", 22);
				release(multi, x);
				left--;
				continue;
			}
			if (p->open_until_ms > now) {
				buf_reset(&why);
				buf_printf(&why, "provider '%s' unavailable (circuit open after %d failures)", p->name,
					   p->fails);
				finish(x, CHAN_UNREACHABLE, why.p, why.len);
				release(multi, x);
				left--;
				continue;
			}
			if (x->due > now) {
				if (x->due < next)
					next = x->due;
				continue;
			}
			if (inflight[pi] >= p->parallel)
				continue;
			if (!take_token(p, now, &wait)) {
				if (now + wait < next)
					next = now + wait;
				continue;
			}
			if (arm(x, &why)) {
				struct buf w = BUF_INIT;
				buf_printf(&w, "provider '%s' unreachable: %s", p->name, why.p);
				finish(x, CHAN_UNREACHABLE, w.p, w.len);
				buf_release(&w);
				release(multi, x);
				left--;
				continue;
			}
			x->rpos = 0;
			buf_reset(&x->resp);
			x->m->attempts++;
			x->active = 1;
			inflight[pi]++;
			curl_multi_add_handle(multi, x->e);
		}
		if (!left)
			break;
		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &q))) {
			struct xfer *x;
			struct provider *p;
			struct buf id = BUF_INIT;
			enum verdict v;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			p = x->m->pv;
			v = judge(x, msg->data.result, &why, &id);
			curl_multi_remove_handle(multi, x->e);
			x->active = 0;
			inflight[p - c->pv]--;
			if (v == V_TOKEN && !x->token_retried) {
				/* a fresh token (unless one came since), and again, once */
				x->token_retried = 1;
				if (x->token_gen == p->token_gen)
					buf_reset(&p->token);
				x->m->attempts--;
				x->due = 0;
				buf_release(&id);
				continue;
			}
			if (v == V_OK) {
				p->fails = 0;
				if (p->type == CHAN_WEBHOOK)
					answer_id(x, &id);
				else if (p->type == CHAN_SMTP)
					buf_printf(&id, "<%s@uops>", x->id);
				finish(x, CHAN_SENT, id.p ? id.p : "", id.len);
			} else if (v == V_PERM || v == V_TOKEN) {
				p->fails = 0;
				finish(x, CHAN_PERMANENT, why.p, why.len);
			} else if (v == V_LOST) {
				finish(x, CHAN_UNKNOWN, why.p, why.len);
			} else {
				if (++p->fails >= p->breaker)
					p->open_until_ms = now_ms() + p->cooldown_ms;
				if (x->m->attempts <= p->retries && p->open_until_ms <= now_ms()) {
					x->due = now_ms() + backoff(p, x->m->attempts);
					buf_release(&id);
					continue;
				}
				if (v == V_NOCONN || p->open_until_ms > now_ms()) {
					struct buf w = BUF_INIT;
					buf_printf(&w, "provider '%s' unreachable: %s", p->name, why.p);
					finish(x, CHAN_UNREACHABLE, w.p, w.len);
					buf_release(&w);
				} else {
					struct buf w = BUF_INIT;
					buf_printf(&w, "%s (after %d attempts)", why.p, x->m->attempts);
					finish(x, CHAN_EXHAUSTED, w.p, w.len);
					buf_release(&w);
				}
			}
			buf_release(&id);
			release(multi, x);
			left--;
		}
		if (!left)
			break;
		now = now_ms();
		{ /* until a socket stirs or a backoff or a token is due */
			long long wait = next > now ? next - now : 1;
			long ct = -1;
			if (wait > 200)
				wait = 200;
			curl_multi_timeout(multi, &ct);
			if (ct >= 0 && ct < wait)
				wait = ct;
			if (wait > 0)
				curl_multi_poll(multi, NULL, 0, (int)wait, NULL);
		}
	}
	for (i = 0; i < n; i++)
		release(multi, &xs[i]), buf_release(&xs[i].resp), buf_release(&xs[i].req), buf_release(&xs[i].to),
			buf_release(&xs[i].url), free(xs[i].id);
	free(inflight);
	free(xs);
	buf_release(&why);
}
