/*
 * t-sha256 - SHA-256 against FIPS 180-4's examples and a million 'a's, and
 * HMAC-SHA256 against RFC 4231's test cases 1, 2 and 6 (a key longer than
 * a block); fed whole and a byte at a time.
 */
#include <string.h>

#include "sha256.h"
#include "t.h"

static const char *digest(const char *s, size_t n, int bytewise)
{
	static char hex[65];
	unsigned char d[32];
	struct sha256 c;
	size_t i;

	sha256_init(&c);
	if (bytewise)
		for (i = 0; i < n; i++)
			sha256_update(&c, s + i, 1);
	else
		sha256_update(&c, s, n);
	sha256_final(&c, d);
	sha256_hex(d, hex);
	return hex;
}

static const char *hmac(const char *k, size_t kn, const char *m, size_t mn)
{
	static char hex[65];
	unsigned char d[32];

	sha256_hmac(k, kn, m, mn, d);
	sha256_hex(d, hex);
	return hex;
}

int main(void)
{
	static char a[1000000];
	static const char two[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char key[131];
	int b;

	for (b = 0; b < 2; b++) {
		T_EQ_STR(digest("", 0, b), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
		T_EQ_STR(digest("abc", 3, b), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
		T_EQ_STR(digest(two, strlen(two), b),
			 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	}
	memset(a, 'a', sizeof a);
	T_EQ_STR(digest(a, sizeof a, 0), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	memset(key, 0x0b, 20);
	T_EQ_STR(hmac(key, 20, "Hi There", 8), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	T_EQ_STR(hmac("Jefe", 4, "what do ya want for nothing?", 28),
		 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(key, 0xaa, 131);
	T_EQ_STR(hmac(key, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54),
		 "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	return t_done("sha256");
}
