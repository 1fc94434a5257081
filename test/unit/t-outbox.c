/*
 * t-outbox - the outbox's states survive commits and not a crash's lost
 * batch: pending sends are found by the scan at start, final ones leave
 * dispatch.pending, a retry is listed with its state, and every send is
 * reachable by its person's oneid.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "outbox.h"
#include "store.h"
#include "t.h"

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

struct seen {
	char ids[8][16];
	int states[8];
	int n;
};

static int collect(void *ctx, const char *id, size_t n, int state)
{
	struct seen *s = ctx;

	if (s->n < 8 && n < 16) {
		memcpy(s->ids[s->n], id, n);
		s->ids[s->n][n] = 0;
		s->states[s->n++] = state;
	}
	return 0;
}

static struct store *reopen(const char *dir, struct outbox *o)
{
	int code;
	struct store *st = store_open(dir, "dispatch", STORE_NOSYNC, &code);

	T_OK(st != NULL);
	T_OK(outbox_open(o, st) == 0);
	return st;
}

int main(void)
{
	char dir[] = "/tmp/uops-t-outbox-XXXXXX";
	struct outbox o;
	struct store *st;
	struct buf text = BUF_INIT;
	struct seen s;
	uint32_t oneid = 0;
	MDB_val v;
	unsigned char key[4 + 2];

	T_OK(mkdtemp(dir) != NULL);
	st = reopen(dir, &o);
	T_EQ_INT(outbox_get(&o, "a1", 2, &oneid, &text), OUTBOX_NONE);

	/* pending, visible before the commit, found by the scan after it */
	outbox_put(&o, "a1", 2, 7, OUTBOX_PENDING, "{\"m\":1}", 7);
	outbox_put(&o, "b2", 2, 9, OUTBOX_SUPPRESSED, "{\"d\":2}", 7);
	T_EQ_INT(outbox_get(&o, "a1", 2, &oneid, &text), OUTBOX_PENDING);
	T_EQ_INT(oneid, 7);
	T_EQ_STR(text.p, "{\"m\":1}");
	T_EQ_INT(store_commit(st), 0);
	memset(&s, 0, sizeof s);
	T_EQ_INT(outbox_scan_pending(&o, collect, &s), 0);
	T_EQ_INT(s.n, 1);
	T_EQ_STR(s.ids[0], "a1");
	T_EQ_INT(s.states[0], OUTBOX_PENDING);

	/* a crash loses the batch that made it final: still pending */
	outbox_put(&o, "a1", 2, 7, OUTBOX_SENT, "{\"d\":1}", 7);
	store_discard(st);
	store_close(st);
	st = reopen(dir, &o);
	buf_reset(&text);
	T_EQ_INT(outbox_get(&o, "a1", 2, &oneid, &text), OUTBOX_PENDING);
	T_EQ_STR(text.p, "{\"m\":1}");

	/* final: out of the pending list, its $delivery kept */
	outbox_put(&o, "a1", 2, 7, OUTBOX_SENT, "{\"d\":1}", 7);
	outbox_put(&o, "c3", 2, 7, OUTBOX_RETRY, "{\"m\":3}", 7);
	T_EQ_INT(store_commit(st), 0);
	buf_reset(&text);
	T_EQ_INT(outbox_get(&o, "a1", 2, &oneid, &text), OUTBOX_SENT);
	T_EQ_STR(text.p, "{\"d\":1}");
	T_EQ_INT(outbox_get(&o, "b2", 2, &oneid, NULL), OUTBOX_SUPPRESSED);
	T_EQ_INT(oneid, 9);
	memset(&s, 0, sizeof s);
	T_EQ_INT(outbox_scan_pending(&o, collect, &s), 0);
	T_EQ_INT(s.n, 1);
	T_EQ_STR(s.ids[0], "c3");
	T_EQ_INT(s.states[0], OUTBOX_RETRY);

	/* every send of a person under its oneid */
	store_be32(key, 7);
	memcpy(key + 4, "a1", 2);
	T_EQ_INT(store_get(st, o.sends, key, 6, &v), 1);
	memcpy(key + 4, "c3", 2);
	T_EQ_INT(store_get(st, o.sends, key, 6, &v), 1);
	store_be32(key, 9);
	memcpy(key + 4, "b2", 2);
	T_EQ_INT(store_get(st, o.sends, key, 6, &v), 1);
	T_EQ_STR(outbox_state_name(OUTBOX_UNKNOWN), "unknown");

	store_close(st);
	buf_release(&text);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("outbox");
}
