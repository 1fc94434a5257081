/*
 * channel - the providers dispatch hands messages to, as
 * pipelines/channels.json describes them (schemas/channels.schema.json),
 * and the sending itself: many messages at once over libcurl's multi
 * interface (connections reused, up to `parallel` in flight per
 * provider), retries with exponential backoff and jitter on what says
 * "try again" (no connection, 429, 5xx; a timeout only where the provider
 * takes an idempotency key), a circuit breaker per provider, and every
 * other answer final.
 *
 * A message is JSON (the outbox keeps it, so a rerun resends the same
 * bytes): {"send_id","oneid","channel","to","subject","text","html",…}.
 * Provider types:
 *   webhook  HTTP POST of the message, with Idempotency-Key: <send_id> and
 *            X-Uops-Signature: sha256=<HMAC-SHA256 of the body under the
 *            secret> when a secret is configured; 2xx is sent (the
 *            answer's "id" is the provider's message id)
 *   smtp     a MIME message (text and HTML parts, UTF-8 subject,
 *            List-Unsubscribe, Message-ID <send_id@uops>) through an SMTP
 *            server; no idempotency key
 *   file     one line per message appended to a file, for an external
 *            sender; no idempotency key; one fsync for all the lines of
 *            a channel_send call (a window of sends), none sent before it
 *   aliyun_sms, wechat_template, wecom
 *            Alibaba Cloud SMS, WeChat Official Account template messages,
 *            WeCom application messages, in their own request formats
 *            (lib/adapter); the WeChat and WeCom access tokens are fetched
 *            when first needed, kept in memory until shortly before they
 *            expire, and fetched again when the provider refuses one (the
 *            send then goes again, once)
 *
 * Nothing here touches LMDB: the caller commits before and after sending.
 */
#ifndef UOPS_CHANNEL_H
#define UOPS_CHANNEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

enum chan_type { CHAN_WEBHOOK, CHAN_SMTP, CHAN_FILE, CHAN_ALIYUN_SMS, CHAN_WECHAT, CHAN_WECOM };

struct provider {
	char *name;
	enum chan_type type;
	char *url, *secret, *from, *path, *unsubscribe;
	int idempotent;      /* takes an idempotency key: resending is safe */
	long timeout_ms, retries, backoff_ms, parallel, breaker, cooldown_ms;
	double qps;          /* 0: no limit */
	char *account;       /* aliyun_sms: AccessKey ID; wechat_template: appid;
			      * wecom: corpid */
	char *sign_name;     /* aliyun_sms: the SignName when the template gives none */
	long agent_id;       /* wecom: the application's agentid */
	long dup_interval;   /* wecom with idempotency_key: duplicate_check_interval (s) */
	/* state while sending */
	FILE *fp;
	int fails;           /* temporary failures in a row */
	long long open_until_ms; /* the breaker is open until then */
	double tokens;
	long long tokens_at_ms;
	struct buf token;    /* WeChat, WeCom: the access token, empty when none */
	long long token_due_ms; /* fetch it again from then on */
	unsigned token_gen;  /* counts the tokens fetched */
	struct buf token_err; /* why the last fetch failed, in this round of sends */
	unsigned long round;  /* the round of sends token_err belongs to */
	unsigned long fetches; /* tokens fetched, for -v */
};

/* A channel (email, sms, webhook, …): its provider and the identifier type
 * that gives a person's address on it (NULL: the message needs none). */
struct channel {
	char *name, *address;
	struct provider *pv;
	int max_segments; /* SMS (address "phone"): the most segments a text may take (default 4) */
};

struct channels {
	struct provider *pv;
	unsigned npv;
	struct channel *ch;
	unsigned nch;
	char *path;
	void *multi; /* libcurl's multi handle, kept for its connections */
};

/* Load path into c (empty before). Returns 0, or 78 after printing the
 * file, the place in it and what is wrong. */
int channels_load(struct channels *c, const char *path);
/* Free everything c holds (open files closed). */
void channels_free(struct channels *c);
/* The channel or provider of that name, or NULL. */
struct channel *channels_find(struct channels *c, const char *name, size_t n);
struct provider *channels_provider(struct channels *c, const char *name, size_t n);

enum chan_result {
	CHAN_SENT = 1,    /* accepted: answer holds the provider's id (maybe empty) */
	CHAN_PERMANENT,   /* refused for good: answer holds why */
	CHAN_EXHAUSTED,   /* temporary failures until the retries ran out */
	CHAN_UNREACHABLE, /* never reached the provider (no connection, breaker
			   * open): certainly not sent */
	CHAN_UNKNOWN,     /* the request went out and no answer came back, and
			   * the provider takes no idempotency key */
};

struct chan_msg {
	struct provider *pv;
	const char *body;    /* the message JSON, len bytes; the caller's */
	size_t len;
	int result;          /* enum chan_result, set by channel_send */
	struct buf answer;   /* provider id or reason, owned: buf_release it */
	int attempts;
};

/* Send the n messages, in parallel, until each has a result. Blocks (the
 * caller holds no transaction). A stop (cli_stop) lets transfers in flight
 * finish and gives the rest CHAN_UNREACHABLE. */
void channel_send(struct channels *c, struct chan_msg *m, size_t n);

/* libcurl's version, for -V. */
const char *channel_version(void);

#endif
