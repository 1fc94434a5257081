#include "norm.h"
#include "t.h"

/*
 * Run one normalisation into a buffer that already holds "pre:" and
 * describe the result: the appended text, or "ERR <reason>" (checking that
 * the buffer was left as it was).
 */
enum { PHONE, EMAIL, ID };

static struct buf out = BUF_INIT, res = BUF_INIT;

static const char *norm(int what, const char *type, const char *s, size_t n,
			const char *region)
{
	const char *why = NULL;
	int rc;

	buf_reset(&out);
	buf_adds(&out, "pre:");
	switch (what) {
	case PHONE:
		rc = norm_phone(s, n, region, &out, &why);
		break;
	case EMAIL:
		rc = norm_email(s, n, &out, &why);
		break;
	default:
		rc = norm_id(type, s, n, region, &out, &why);
		break;
	}
	buf_reset(&res);
	if (rc == 0) {
		if (strncmp(out.p, "pre:", 4))
			buf_adds(&res, "BAD PREFIX ");
		buf_add(&res, out.p + 4, out.len - 4);
	} else if (rc == -1) {
		buf_printf(&res, "ERR %s", why ? why : "(null)");
		if (out.len != 4 || strcmp(out.p, "pre:"))
			buf_adds(&res, " (out changed)");
	} else {
		buf_printf(&res, "BAD RC %d", rc);
	}
	return res.p;
}

#define PH(s, want) T_EQ_STR(norm(PHONE, NULL, s, strlen(s), NULL), want)
#define PHR(s, region, want) \
	T_EQ_STR(norm(PHONE, NULL, s, strlen(s), region), want)
#define EM(s, want) T_EQ_STR(norm(EMAIL, NULL, s, strlen(s), NULL), want)
#define ID(type, s, want) T_EQ_STR(norm(ID, type, s, strlen(s), NULL), want)
#define U8(s, want) \
	T_EQ_INT(norm_utf8_valid((const unsigned char *)s, sizeof(s) - 1), want)

static void test_phone(void)
{
	static const char *const cn[] = {
		"13800138000",
		"138-0013-8000",
		"8613800138000",
		"+86 138 0013 8000",
		" 138 0013 8000 ",
		"+86-138-0013-8000",
		"008613800138000",
		"(+86) 13800138000",
		"\t138.0013.8000\t",
		"+8613800138000",
		"(138) 0013-8000",
	};
	size_t i;

	for (i = 0; i < sizeof(cn) / sizeof(cn[0]); i++)
		PH(cn[i], "+8613800138000");
	PHR("13800138000", "86", "+8613800138000");
	PHR("13800138000", "+86", "+8613800138000");
	PHR("13800138000", "", "+8613800138000");

	/* international */
	PH("+44 20 7946 0958", "+442079460958");
	PH("0044 20 7946 0958", "+442079460958");
	PH("+1 (212) 555-1234", "+12125551234");
	PH("+1234567", "+1234567");
	PH("+123456789012345", "+123456789012345");

	/* landlines with trunk 0 in China */
	PH("021-12345678", "+862112345678");
	PH("(021) 1234 5678", "+862112345678");
	PH("0755-1234567", "+867551234567");
	PH("010-12345678", "+861012345678");
	PH("+86 10 1234 5678", "+861012345678");

	/* other regions */
	PHR("020 7946 0958", "44", "+442079460958");
	PHR("2079460958", "44", "+442079460958");
	PHR("44 20 7946 0958", "44", "+442079460958");
	PHR("(212) 555-1234", "1", "+12125551234");
	PHR("1 212 555 1234", "1", "+12125551234");
	PHR("030 123456", "49", "+4930123456");
	PHR("12345", "49", "+4912345");
	PHR("1234", "49", "ERR phone number too short");
	PHR("1234567890123456", "1", "ERR phone number too long");
	PHR("123456789", "x1", "ERR invalid region code");
	PHR("123456789", "0", "ERR invalid region code");
	PHR("123456789", "1234", "ERR invalid region code");

	/* errors */
	PH("138 0013 800a", "ERR phone has non-digit characters");
	PH("138/0013/8000", "ERR phone has non-digit characters");
	PH("+86 +13800138000", "ERR phone has non-digit characters");
	PH("8613800138000+", "ERR phone has non-digit characters");
	PH("138\n00138000", "ERR phone has non-digit characters");
	PH("１３８００１３８０００", "ERR phone has non-digit characters");
	PH("138001380", "ERR not a valid phone number for region +86");
	PH("23800138000", "ERR not a valid phone number for region +86");
	PH("138001380001", "ERR not a valid phone number for region +86");
	PH("021-123", "ERR not a valid phone number for region +86");
	PH("+86 138 0013 800", "ERR invalid mobile number length for +86");
	PH("+86 138 0013 80000", "ERR invalid mobile number length for +86");
	PH("0086 1380013800", "ERR invalid mobile number length for +86");
	PH("+123456", "ERR phone number too short");
	PH("+1234567890123456", "ERR phone number too long");
	PH("+1 2345 6789 0123 4567 8901 2345 6789", "ERR phone number too long");
	PH("00", "ERR phone number too short");
	PH("+", "ERR phone number too short");
	PH("+0 123 456 789", "ERR invalid country code");
	PH("", "ERR empty identifier");
	PH(" - ", "ERR empty identifier");
	PH("138\xff", "ERR invalid utf-8");
}

static void test_email(void)
{
	EM("user@example.com", "user@example.com");
	EM("  John.Doe@Example.COM \t\r\n", "john.doe@example.com");
	EM("ÉLodie@Exämple.Fr", "Élodie@exämple.fr");
	EM("a@b.c", "a@b.c");
	EM("a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk");

	EM("", "ERR empty identifier");
	EM("   ", "ERR empty identifier");
	EM("user.example.com", "ERR email has no @");
	EM("a@b@c.com", "ERR email has more than one @");
	EM("@example.com", "ERR email local part is empty");
	EM("user@", "ERR email domain is invalid");
	EM("user@example", "ERR email domain is invalid");
	EM("user@.example.com", "ERR email domain is invalid");
	EM("user@example.com.", "ERR email domain is invalid");
	EM("user@example..com", "ERR email domain is invalid");
	EM("john doe@example.com", "ERR email contains white space");
	EM("john@exa\tmple.com", "ERR email contains white space");
	EM("john@exa\x01mple.com", "ERR identifier has control characters");
	EM("john@exa\x7fmple.com", "ERR identifier has control characters");
	EM("jo\xc0\xafhn@example.com", "ERR invalid utf-8");
}

static void test_id(void)
{
	struct buf s = BUF_INIT;
	size_t i;

	ID("phone", "138-0013-8000", "+8613800138000");
	ID("email", " A@B.CD ", "a@b.cd");
	ID("member_id", "  M-0001 \t", "M-0001");
	ID("member_id", "Ab Cd", "Ab Cd");
	ID(NULL, " x ", "x");
	ID("openid", "名前", "名前");
	ID("member_id", "", "ERR empty identifier");
	ID("member_id", " \t\r\n ", "ERR empty identifier");
	ID("member_id", "a\x01" "b", "ERR identifier has control characters");
	ID("member_id", "a\x7f", "ERR identifier has control characters");
	ID("member_id", "a\xed\xa0\x80", "ERR invalid utf-8");
	ID("phone", "abc", "ERR phone has non-digit characters");
	ID("email", "abc", "ERR email has no @");

	/* embedded NUL is a control character */
	T_EQ_STR(norm(ID, "x", "a\0b", 3, NULL),
		 "ERR identifier has control characters");

	/* long identifiers: NORM_MAX_ID bytes after trimming is the limit */
	buf_adds(&s, "  ");
	for (i = 0; i < NORM_MAX_ID; i++)
		buf_addc(&s, (char)('a' + i % 26));
	buf_adds(&s, "  ");
	T_EQ_INT(strlen(norm(ID, "x", s.p, s.len, NULL)), NORM_MAX_ID);
	s.len -= 2;
	buf_adds(&s, "z  ");
	T_EQ_STR(norm(ID, "x", s.p, s.len, NULL), "ERR identifier too long");

	buf_reset(&s);
	for (i = 0; i < NORM_MAX_ID - 6; i++)
		buf_addc(&s, 'u');
	buf_adds(&s, "@ab.cd");
	T_EQ_INT(strlen(norm(EMAIL, NULL, s.p, s.len, NULL)), NORM_MAX_ID);
	buf_reset(&s);
	for (i = 0; i < NORM_MAX_ID - 5; i++)
		buf_addc(&s, 'U');
	buf_adds(&s, "@ab.cd");
	T_EQ_STR(norm(EMAIL, NULL, s.p, s.len, NULL), "ERR identifier too long");

	/* a very long phone number */
	buf_reset(&s);
	buf_addc(&s, '+');
	for (i = 0; i < 10000; i++)
		buf_addc(&s, '1');
	T_EQ_STR(norm(PHONE, NULL, s.p, s.len, NULL),
		 "ERR phone number too long");
	buf_release(&s);
}

static void test_utf8(void)
{
	unsigned char b[4];
	unsigned c, i;
	int ok = 1;

	U8("", 1);
	U8("plain ascii text, longer than eight bytes", 1);
	U8("\x7f", 1);
	/* 2, 3 and 4 byte sequences and the boundaries between them */
	U8("\xc2\x80", 1);		/* U+0080 */
	U8("\xc3\xa9", 1);		/* é */
	U8("\xdf\xbf", 1);		/* U+07FF */
	U8("\xe0\xa0\x80", 1);		/* U+0800 */
	U8("\xe5\x90\x8d", 1);		/* 名 */
	U8("\xed\x9f\xbf", 1);		/* U+D7FF */
	U8("\xee\x80\x80", 1);		/* U+E000 */
	U8("\xef\xbf\xbf", 1);		/* U+FFFF */
	U8("\xf0\x90\x80\x80", 1);	/* U+10000 */
	U8("\xf0\x9f\x98\x80", 1);	/* 😀 */
	U8("\xf4\x8f\xbf\xbf", 1);	/* U+10FFFF */
	U8("abcdefgh\xc3\xa9ijklmnop\xf0\x9f\x98\x80qrstuvwxyz", 1);

	/* overlongs */
	U8("\xc0\x80", 0);
	U8("\xc1\xbf", 0);
	U8("\xe0\x80\x80", 0);
	U8("\xe0\x9f\xbf", 0);
	U8("\xf0\x80\x80\x80", 0);
	U8("\xf0\x8f\xbf\xbf", 0);
	/* surrogates */
	U8("\xed\xa0\x80", 0);		/* U+D800 */
	U8("\xed\xbf\xbf", 0);		/* U+DFFF */
	U8("\xed\xa0\xbd\xed\xb8\x80", 0);
	/* above U+10FFFF */
	U8("\xf4\x90\x80\x80", 0);	/* U+110000 */
	U8("\xf5\x80\x80\x80", 0);
	U8("\xf7\xbf\xbf\xbf", 0);
	/* bytes that never appear */
	U8("\xf8\x88\x80\x80\x80", 0);
	U8("\xfe", 0);
	U8("\xff", 0);
	/* stray continuation bytes */
	U8("\x80", 0);
	U8("abcdefgh\xbf", 0);
	U8("\xc3\xa9\xa9", 0);
	/* truncated sequences, alone, at the end and before ASCII */
	U8("\xc3", 0);
	U8("\xe5\x90", 0);
	U8("\xf0\x9f\x98", 0);
	U8("abcdefghijklmno\xe5\x90", 0);
	U8("\xe5\x90x", 0);
	U8("\xf0\x9f\x98x", 0);
	U8("\xc3 abcdefgh", 0);

	/* every 3-byte sequence E0..EF xx 80: valid iff a real scalar value */
	for (c = 0xe0; c <= 0xef; c++) {
		for (i = 0; i < 256; i++) {
			unsigned cp = ((c & 0x0f) << 12) | ((i & 0x3f) << 6);
			int want = (i & 0xc0) == 0x80 && cp >= 0x800 &&
				   (cp < 0xd800 || cp > 0xdfff);

			b[0] = (unsigned char)c;
			b[1] = (unsigned char)i;
			b[2] = 0x80;
			if (norm_utf8_valid(b, 3) != want)
				ok = 0;
		}
	}
	T_OK(ok);
	/* every lead byte with valid continuations */
	for (c = 0; c < 256; c++) {
		int want;

		b[0] = (unsigned char)c;
		b[1] = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
		b[2] = b[3] = 0x80;
		if (c < 0x80)
			want = norm_utf8_valid(b, 1) == 1;
		else if (c < 0xc2)
			want = norm_utf8_valid(b, 4) == 0;
		else if (c < 0xe0)
			want = norm_utf8_valid(b, 2) == 1;
		else if (c < 0xf0)
			want = norm_utf8_valid(b, 3) == 1;
		else if (c < 0xf5)
			want = norm_utf8_valid(b, 4) == 1;
		else
			want = norm_utf8_valid(b, 4) == 0;
		if (!want)
			ok = 0;
	}
	T_OK(ok);

	/* invalid UTF-8 is refused by every normaliser, out untouched */
	T_EQ_STR(norm(EMAIL, NULL, "a@b.c\xff", 6, NULL), "ERR invalid utf-8");
	T_EQ_STR(norm(ID, "x", "\xc0\x80", 2, NULL), "ERR invalid utf-8");
	T_EQ_STR(norm(PHONE, NULL, "\xed\xa0\x80", 3, NULL),
		 "ERR invalid utf-8");
}

int main(void)
{
	test_phone();
	test_email();
	test_id();
	test_utf8();
	buf_release(&out);
	buf_release(&res);
	return t_done("norm");
}
