/*
 * norm - normalisation of identifiers (phone, email, anything else).
 *
 * Every function validates first and appends only on success, so on error
 * the output buffer is left as it was. Nothing here allocates except through
 * the caller's buffer, which is meant to be reused from record to record.
 */
#include "norm.h"

#include <stdint.h>
#include <string.h>

#define PHONE_MIN 7
#define PHONE_MAX 15
/* digits kept while scanning a phone number: E.164 max plus "00" and slack */
#define PHONE_KEEP 24

static const char err_utf8[] = "invalid utf-8";
static const char err_long[] = "identifier too long";
static const char err_empty[] = "empty identifier";
static const char err_ctrl[] = "identifier has control characters";

static inline int is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static inline int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Trim ASCII white space from both ends of s[0..*n). */
static const char *trim(const char *s, size_t *n)
{
	size_t a = 0, b = *n;

	while (a < b && is_space((unsigned char)s[a]))
		a++;
	while (b > a && is_space((unsigned char)s[b - 1]))
		b--;
	*n = b - a;
	return s + a;
}

int norm_utf8_valid(const unsigned char *s, size_t n)
{
	const unsigned char *e = s + n;
	uint64_t w;
	unsigned c;

	while (s < e) {
		/* ASCII runs: eight bytes at a time */
		while ((size_t)(e - s) >= 8) {
			memcpy(&w, s, 8);
			if (w & UINT64_C(0x8080808080808080))
				break;
			s += 8;
		}
		while (s < e && *s < 0x80)
			s++;
		if (s == e)
			break;

		c = *s;
		if (c >= 0xc2 && c <= 0xdf) {
			if (e - s < 2 || (s[1] & 0xc0) != 0x80)
				return 0;
			s += 2;
		} else if (c >= 0xe0 && c <= 0xef) {
			if (e - s < 3 || (s[1] & 0xc0) != 0x80 ||
			    (s[2] & 0xc0) != 0x80)
				return 0;
			if (c == 0xe0 && s[1] < 0xa0) /* overlong */
				return 0;
			if (c == 0xed && s[1] > 0x9f) /* surrogate */
				return 0;
			s += 3;
		} else if (c >= 0xf0 && c <= 0xf4) {
			if (e - s < 4 || (s[1] & 0xc0) != 0x80 ||
			    (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
				return 0;
			if (c == 0xf0 && s[1] < 0x90) /* overlong */
				return 0;
			if (c == 0xf4 && s[1] > 0x8f) /* above U+10FFFF */
				return 0;
			s += 4;
		} else {
			/* a continuation byte, C0/C1 or F5..FF */
			return 0;
		}
	}
	return 1;
}

/* A region (country calling code) must be 1-3 digits, not starting with 0. */
static int region_ok(const char *region, size_t len)
{
	size_t i;

	if (!len || len > 3 || region[0] == '0')
		return 0;
	for (i = 0; i < len; i++)
		if (!is_digit((unsigned char)region[i]))
			return 0;
	return 1;
}

int norm_phone(const char *s, size_t n, const char *region, struct buf *out,
	       const char **why)
{
	char d[PHONE_KEEP], e164[PHONE_MAX];
	const char *num;	/* the digits to put after '+' and cc */
	const char *cc = "";	/* a country code to put in front, or "" */
	size_t nd = 0, nnum, ncc = 0, ne, rlen, i;
	int plus = 0, intl;
	unsigned char c;

	if (!norm_utf8_valid((const unsigned char *)s, n)) {
		*why = err_utf8;
		return -1;
	}
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (is_digit(c)) {
			if (nd < sizeof(d))
				d[nd] = (char)c;
			nd++;
		} else if (c == ' ' || c == '\t' || c == '-' || c == '.' ||
			   c == '(' || c == ')') {
			continue;
		} else if (c == '+' && !plus && !nd) {
			plus = 1;
		} else {
			*why = "phone has non-digit characters";
			return -1;
		}
	}
	if (!nd) {
		*why = plus ? "phone number too short" : err_empty;
		return -1;
	}
	if (nd > sizeof(d)) {
		*why = "phone number too long";
		return -1;
	}

	intl = plus;
	num = d;
	nnum = nd;
	if (!plus && nd >= 2 && d[0] == '0' && d[1] == '0') {
		intl = 1;
		num += 2;
		nnum -= 2;
	}

	if (intl) {
		if (nnum && num[0] == '0') {
			*why = "invalid country code";
			return -1;
		}
	} else {
		if (region && region[0] == '+')
			region++;
		if (!region || !region[0])
			region = "86";
		rlen = strlen(region);
		if (!region_ok(region, rlen)) {
			*why = "invalid region code";
			return -1;
		}
		if (rlen == 2 && region[0] == '8' && region[1] == '6') {
			if (nd == 11 && d[0] == '1') {
				cc = "86";
				ncc = 2;
			} else if (nd == 13 && d[0] == '8' && d[1] == '6' &&
				   d[2] == '1') {
				/* already has the country code */
			} else if (nd >= 10 && nd <= 12 && d[0] == '0') {
				/* landline with trunk prefix 0 */
				cc = "86";
				ncc = 2;
				num++;
				nnum--;
			} else {
				*why = "not a valid phone number for region +86";
				return -1;
			}
		} else if (nd >= 10 && nd > rlen && !memcmp(d, region, rlen)) {
			/* already has the country code */
		} else {
			if (d[0] == '0') {
				num++;
				nnum--;
			}
			cc = region;
			ncc = rlen;
		}
	}

	if (ncc + nnum < PHONE_MIN) {
		*why = "phone number too short";
		return -1;
	}
	if (ncc + nnum > PHONE_MAX) {
		*why = "phone number too long";
		return -1;
	}
	memcpy(e164, cc, ncc);
	memcpy(e164 + ncc, num, nnum);
	ne = ncc + nnum;
	/*
	 * +86 1x: a mobile number, 1 and ten more digits; except +86 10, which
	 * is Beijing's area code (landline numbers 010-xxxxxxxx).
	 */
	if (e164[0] == '8' && e164[1] == '6' && e164[2] == '1' &&
	    e164[3] != '0' && ne != 13) {
		*why = "invalid mobile number length for +86";
		return -1;
	}

	buf_addc(out, '+');
	buf_add(out, e164, ne);
	return 0;
}

/* Does s (n bytes) have two dots in a row? */
static int has_dotdot(const char *s, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (s[i] == '.' && s[i - 1] == '.')
			return 1;
	return 0;
}

int norm_email(const char *s, size_t n, struct buf *out, const char **why)
{
	size_t i, at = 0, nat = 0, dom, dn, start;
	unsigned char c;
	char *p;

	if (!norm_utf8_valid((const unsigned char *)s, n)) {
		*why = err_utf8;
		return -1;
	}
	s = trim(s, &n);
	if (!n) {
		*why = err_empty;
		return -1;
	}
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '@') {
			at = i;
			nat++;
		} else if (is_space(c)) {
			*why = "email contains white space";
			return -1;
		} else if (c < 0x20 || c == 0x7f) {
			*why = err_ctrl;
			return -1;
		}
	}
	if (!nat) {
		*why = "email has no @";
		return -1;
	}
	if (nat > 1) {
		*why = "email has more than one @";
		return -1;
	}
	if (!at) {
		*why = "email local part is empty";
		return -1;
	}
	dom = at + 1;
	dn = n - dom;
	if (!dn || !memchr(s + dom, '.', dn) || s[dom] == '.' ||
	    s[n - 1] == '.' || has_dotdot(s + dom, dn)) {
		*why = "email domain is invalid";
		return -1;
	}
	if (n > NORM_MAX_ID) {
		*why = err_long;
		return -1;
	}

	start = out->len;
	buf_add(out, s, n);
	for (p = out->p + start; p < out->p + out->len; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return 0;
}

int norm_id(const char *type, const char *s, size_t n, const char *region,
	    struct buf *out, const char **why)
{
	size_t i;
	unsigned char c;

	if (type && !strcmp(type, "phone"))
		return norm_phone(s, n, region, out, why);
	if (type && !strcmp(type, "email"))
		return norm_email(s, n, out, why);

	if (!norm_utf8_valid((const unsigned char *)s, n)) {
		*why = err_utf8;
		return -1;
	}
	s = trim(s, &n);
	if (!n) {
		*why = err_empty;
		return -1;
	}
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f) {
			*why = err_ctrl;
			return -1;
		}
	}
	if (n > NORM_MAX_ID) {
		*why = err_long;
		return -1;
	}
	buf_add(out, s, n);
	return 0;
}
