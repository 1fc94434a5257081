#include "addrbook.h"

#include <string.h>

/* The next line of [*p, end): 1 with its type and value, 0 at the end. A
 * line without a colon has an empty type. */
static int next_line(const char **p, const char *end, const char **type, size_t *tl, const char **val, size_t *vl)
{
	const char *nl, *colon;
	size_t len;

	if (*p >= end)
		return 0;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	len = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	colon = memchr(*p, ':', len);
	*type = *p;
	*tl = colon ? (size_t)(colon - *p) : 0;
	*val = colon ? colon + 1 : *p + len;
	*vl = colon ? len - *tl - 1 : 0;
	*p += len + (nl != NULL);
	return 1;
}

int addrbook_get(const void *v, size_t len, const char *type, size_t tl, const char **addr, size_t *an)
{
	const char *p = v, *end = p ? p + len : NULL, *t, *val;
	size_t n, vn;

	if (!p)
		return 0;
	while (next_line(&p, end, &t, &n, &val, &vn))
		if (n == tl && tl && !memcmp(t, type, tl) && vn) {
			*addr = val;
			*an = vn;
			return 1;
		}
	return 0;
}

int addrbook_add(const void *v, size_t len, const char *type, size_t tl, const char *addr, size_t an,
		 struct buf *out)
{
	const char *a;
	size_t n;

	if (!tl || !an || memchr(type, '\n', tl) || memchr(type, ':', tl) || memchr(addr, '\n', an) ||
	    addrbook_get(v, len, type, tl, &a, &n))
		return 0;
	buf_reset(out);
	if (len) {
		buf_add(out, v, len);
		if (((const char *)v)[len - 1] != '\n')
			buf_addc(out, '\n');
	}
	buf_add(out, type, tl);
	buf_addc(out, ':');
	buf_add(out, addr, an);
	buf_addc(out, '\n');
	return 1;
}

int addrbook_fold(const void *into, size_t ilen, const void *from, size_t flen, struct buf *out)
{
	const char *p = from, *end = p ? p + flen : NULL, *t, *val;
	size_t tl, vl;
	int added = 0;
	struct buf tmp = BUF_INIT;

	buf_reset(out);
	if (into && ilen)
		buf_add(out, into, ilen);
	if (!p)
		return 0;
	while (next_line(&p, end, &t, &tl, &val, &vl)) {
		if (!addrbook_add(out->p, out->len, t, tl, val, vl, &tmp))
			continue;
		buf_reset(out);
		buf_add(out, tmp.p, tmp.len);
		added++;
	}
	buf_release(&tmp);
	return added;
}
