/*
 * buf - a growable byte buffer.
 *
 * A struct buf owns its memory (p, cap); len bytes are in use. p is always
 * NUL-terminated when non-NULL so text can be handed to C string functions.
 * Allocation failure aborts the process with exit 70: a tool that cannot get
 * a few megabytes has nothing useful left to do.
 */
#ifndef UOPS_BUF_H
#define UOPS_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	char *p;
	size_t len, cap;
};

#define BUF_INIT {0, 0, 0}

/* Make room for at least n more bytes after len. */
void buf_grow(struct buf *b, size_t n);
/* Release the memory; b is empty and reusable afterwards. */
void buf_release(struct buf *b);
/* Append formatted text (printf rules). */
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append a decimal integer. */
void buf_u64(struct buf *b, uint64_t v);
void buf_i64(struct buf *b, int64_t v);

static inline void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = 0;
}

static inline void buf_add(struct buf *b, const void *s, size_t n)
{
	if (b->cap - b->len <= n)
		buf_grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static inline void buf_addc(struct buf *b, char c)
{
	if (b->cap - b->len <= 1)
		buf_grow(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = 0;
}

static inline void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* v in decimal at out (10 bytes at most, no NUL); returns the length. */
static inline int u32_dec(char *out, uint32_t v)
{
	char t[10];
	int n = 0, i;

	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (i = 0; i < n; i++)
		out[i] = t[n - 1 - i];
	return n;
}

/* malloc/realloc/strdup that exit 70 on failure. */
void *xmalloc(size_t n);
/* n bytes of zeroed memory mapped on their own, 2 MiB aligned and advised
 * for transparent huge pages, for a block that is filled page by page;
 * give them back with xfree_huge(p, n). */
void *xmalloc_huge(size_t n);
void xfree_huge(void *p, size_t n);
void *xcalloc(size_t n, size_t m);
/* Sort a[0..n) ascending on bytes from_byte..7 of each value (0: the whole
 * value), stably: values equal there keep their order. LSD radix, a byte a
 * pass, the counts of all passes taken in one read; a pass where every
 * value has the same byte is skipped. */
void sort_u64(uint64_t *a, size_t n, unsigned from_byte);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
