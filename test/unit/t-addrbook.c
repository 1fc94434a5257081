/*
 * t-addrbook - a person's address book: the first address of each type is
 * kept, later ones of a type are not, bad lines are refused, and a fold
 * adds only the types the survivor lacks.
 */
#include <string.h>

#include "addrbook.h"
#include "t.h"

static const char *get(const struct buf *b, const char *type, char *out)
{
	const char *a;
	size_t n;

	if (!addrbook_get(b->p, b->len, type, strlen(type), &a, &n))
		return "(none)";
	memcpy(out, a, n);
	out[n] = 0;
	return out;
}

static void add(struct buf *b, const char *type, const char *addr, int want)
{
	struct buf o = BUF_INIT;
	int r = addrbook_add(b->p, b->len, type, strlen(type), addr, strlen(addr), &o);

	T_EQ_INT(r, want);
	if (r) {
		buf_reset(b);
		buf_add(b, o.p, o.len);
	}
	buf_release(&o);
}

int main(void)
{
	struct buf b = BUF_INIT, c = BUF_INIT, f = BUF_INIT;
	char out[64];

	T_EQ_STR(get(&b, "email", out), "(none)");
	add(&b, "email", "p1@example.com", 1);
	add(&b, "phone", "+8613800000001", 1);
	add(&b, "email", "p1-other@example.com", 0); /* the first is kept */
	add(&b, "", "x", 0);
	add(&b, "openid", "", 0);
	add(&b, "ph:one", "1", 0);
	add(&b, "sms", "a\nb", 0);
	T_EQ_INT(b.len, strlen("email:p1@example.com\nphone:+8613800000001\n"));
	T_OK(!memcmp(b.p, "email:p1@example.com\nphone:+8613800000001\n", b.len));
	T_EQ_STR(get(&b, "email", out), "p1@example.com");
	T_EQ_STR(get(&b, "phone", out), "+8613800000001");
	T_EQ_STR(get(&b, "phon", out), "(none)");
	T_EQ_STR(get(&b, "openid", out), "(none)");
	/* a value with a colon */
	add(&b, "openid", "wx:o6_bm", 1);
	T_EQ_STR(get(&b, "openid", out), "wx:o6_bm");

	/* a fold: the survivor's addresses stay, the types it lacks come */
	add(&c, "phone", "+8613800000002", 1);
	add(&c, "unionid", "u-2", 1);
	T_EQ_INT(addrbook_fold(b.p, b.len, c.p, c.len, &f), 1);
	T_EQ_STR(get(&f, "phone", out), "+8613800000001");
	T_EQ_STR(get(&f, "unionid", out), "u-2");
	T_EQ_STR(get(&f, "email", out), "p1@example.com");
	T_EQ_INT(addrbook_fold(NULL, 0, c.p, c.len, &f), 2);
	T_EQ_INT(f.len, c.len);
	T_EQ_INT(addrbook_fold(c.p, c.len, NULL, 0, &f), 0);
	T_EQ_INT(f.len, c.len);
	buf_release(&b);
	buf_release(&c);
	buf_release(&f);
	return t_done("addrbook");
}
