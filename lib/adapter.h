/*
 * adapter - the requests and answers of the providers dispatch knows by
 * name, as those providers document them; lib/channel does the transport
 * (libcurl, retries, the breaker) and asks this module what to send and
 * what an answer means. Nothing here does I/O or reads a clock: the
 * caller passes the time and nonce a request is signed with.
 *
 *   aliyun_sms       Alibaba Cloud SMS, SendSms (API version 2017-05-25),
 *                    an RPC call: POST with the parameters in the query
 *                    (PhoneNumbers, SignName, TemplateCode, TemplateParam,
 *                    OutId), signed with the V3 signature ACS3-HMAC-SHA256
 *                    (canonical request over method, path, sorted query,
 *                    the host and x-acs-* headers and the payload's hash;
 *                    HMAC-SHA256 of its hash under the AccessKey secret in
 *                    the Authorization header). The answer's Code says
 *                    what happened: OK, a limit or a system error (try
 *                    again), anything else (refused for good).
 *   wechat_template  WeChat Official Account template message: an
 *                    access_token from GET /cgi-bin/token
 *                    (grant_type=client_credential, appid, secret), then
 *                    POST /cgi-bin/message/template/send?access_token=…
 *                    {"touser","template_id","url","client_msg_id","data":
 *                    {FIELD:{"value"}}}; errcode 0 is sent (msgid).
 *   wecom            WeCom application message: a token from GET
 *                    /cgi-bin/gettoken (corpid, corpsecret), then POST
 *                    /cgi-bin/message/send?access_token=… {"touser",
 *                    "msgtype":"text"|"textcard","agentid",…}.
 *
 * What a message gives a provider (the parts its template rendered, else
 * its params): "template_id" (Aliyun's TemplateCode, WeChat's
 * template_id), parts "data.FIELD" (Aliyun's TemplateParam {FIELD: text},
 * WeChat's data {FIELD: {"value": text}}) or params.data, "sign_name"
 * (Aliyun, else the provider's), "url" (WeChat's link, WeCom's card),
 * "subject" and "text" (WeCom: a text message, or a text card with its
 * url).
 */
#ifndef UOPS_ADAPTER_H
#define UOPS_ADAPTER_H

#include <stddef.h>

#include "buf.h"
#include "json.h"

struct provider;

/* Append s (n bytes) percent-encoded as RFC 3986 and Alibaba Cloud's
 * canonical query want it: A-Z a-z 0-9 - _ . ~ as they are, every other
 * byte %XX in upper-case hex (a space is %20). */
void adapter_pct(struct buf *out, const char *s, size_t n);

/*
 * The static part of a request for message d (a parsed message object)
 * to provider p: for aliyun_sms the canonical query (sorted, encoded; the
 * URL's query too) into req, for wechat_template and wecom the JSON body
 * into req. Returns 0, or -1 with why the message cannot be sent to this
 * provider in why (a permanent failure: no template_id, no text, …).
 */
int adapter_build(const struct provider *p, const struct json_doc *d, struct buf *req, struct buf *why);

/*
 * Alibaba Cloud's V3 signature for a request: method, host (as the Host
 * header gives it), path (the canonical URI, "/" when empty), the
 * canonical query, the x-acs-* headers to send as "name:value" lines
 * (lower-case names, sorted by name; x-acs-content-sha256 among them),
 * the payload's hex SHA-256. Appends the Authorization header's value
 * ("ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…") to auth.
 * When canon is not NULL the canonical request is appended to it (tests).
 */
void adapter_acs3_sign(const char *key_id, const char *secret, const char *method, const char *host,
		       const char *path, const char *query, const char *const *acs, size_t nacs,
		       const char *payload_hash, struct buf *auth, struct buf *canon);

/* What an answer means. */
enum adapter_verdict {
	ADAPTER_OK,        /* accepted: id holds the provider's message id */
	ADAPTER_PERMANENT, /* refused for good: why */
	ADAPTER_TEMPORARY, /* try again later: why */
	ADAPTER_TOKEN,     /* the access token was refused (expired, revoked):
			    * fetch a fresh one and send again */
	ADAPTER_GARBLED,   /* an answer that says nothing: it may or may not
			    * have been sent */
};

/*
 * Judge provider p's answer to a send: HTTP status code, body (n bytes).
 * Fills id (ADAPTER_OK) or why (the rest), both appended to.
 */
enum adapter_verdict adapter_judge(const struct provider *p, long code, const char *body, size_t n, struct buf *id,
				   struct buf *why);

/*
 * The URL that gets provider p an access token (WeChat, WeCom), into out.
 */
void adapter_token_url(const struct provider *p, struct buf *out);

/*
 * Read a token endpoint's answer (HTTP code, body of n bytes): 0 with the
 * token in token and its lifetime in seconds in *expires_in; 1 when the
 * provider refused (why: its errcode and errmsg), -1 when the answer is
 * not one (why).
 */
int adapter_token_parse(long code, const char *body, size_t n, struct buf *token, long *expires_in,
			struct buf *why);

/*
 * When a token got at `got` (ms) that lives expires_in seconds is to be
 * fetched again (ms): five minutes before it expires, or at half its life
 * when that is shorter.
 */
long long adapter_token_due(long long got, long expires_in);

#endif
