/*
 * jlog - the packing of scheduler's decision log (see jlog.h).
 */
#include <stdint.h>
#include <string.h>

#include "jlog.h"

#define NPHRASES 32

/* Fixed for good: a store's log is read back with this table. */
static const char *const phrases[] = {
	NULL,
	"{\"type\":\"$journey\",\"event_id\":\"jrn:", /* 0x01 */
	"\",\"ts\":\"",
	"\",\"oneid\":",
	",\"journey\":\"",
	"\",\"version\":\"",
	"\",\"op\":\"",
	"\",\"step\":\"",
	"\",\"kind\":\"",
	"\",\"arm\":null", /* 0x09 */
	NULL,            /* 0x0a: the line separator */
	"\",\"arm\":\"", /* 0x0b */
	",\"arm\":null",
	",\"wake\":\"",
	",\"reason\":\"",
	"{\"ts\":\"",
	"\",\"journey\":\"", /* 0x10 */
	"\",\"condition\":\"",
	"\",\"is\":true,\"tree\":",
	"\",\"is\":false,\"tree\":",
	"{\"type\":\"$journey\",\"event_id\":\"jrn:due:",
	"\",\"ts\":\"20",
	":step\"",
	":enter\"",
	":exit\"",
	"wait_for",
	":timeout\"",
	"{\"op\":\"",
	"\"value\":",
	",\"tree\":",
	"\"is\":",
	NULL, /* 0x1f: a raw control byte follows */
};

void jlog_pack(struct buf *out, const char *s, size_t n)
{
	static unsigned char first[256][NPHRASES], nfirst[256];
	static size_t len[NPHRASES];
	static int init;
	size_t i = 0, k;

	if (!init) {
		for (k = 1; k < NPHRASES; k++) {
			unsigned char c;
			if (!phrases[k])
				continue;
			len[k] = strlen(phrases[k]);
			c = (unsigned char)phrases[k][0];
			first[c][nfirst[c]++] = (unsigned char)k;
		}
		/* the longest of a first byte first */
		for (k = 0; k < 256; k++) {
			unsigned a, b;
			for (a = 0; a < nfirst[k]; a++)
				for (b = a + 1; b < nfirst[k]; b++)
					if (len[first[k][b]] > len[first[k][a]]) {
						unsigned char t = first[k][a];
						first[k][a] = first[k][b];
						first[k][b] = t;
					}
		}
		init = 1;
	}
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		unsigned q;
		for (q = 0; q < nfirst[c]; q++) {
			unsigned char id = first[c][q];
			if (len[id] <= n - i && s[i + 1] == phrases[id][1] && !memcmp(s + i, phrases[id], len[id]))
				break;
		}
		if (q < nfirst[c]) {
			buf_addc(out, (char)first[c][q]);
			i += len[first[c][q]];
			continue;
		}
		if (c < 0x20) {
			buf_addc(out, 0x1f);
		}
		buf_addc(out, (char)c);
		i++;
	}
}

void jlog_unpack(struct buf *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x1f && i + 1 < n)
			buf_addc(out, s[++i]);
		else if (c < NPHRASES && phrases[c])
			buf_adds(out, phrases[c]);
		else
			buf_addc(out, (char)c);
	}
}

uint32_t jlog_day(int64_t t)
{
	return t < 0 ? 0 : (uint32_t)(t / 86400000);
}
