/*
 * fuzz.h - what the harnesses under test/fuzz share.
 *
 * Each test/fuzz/NAME.c defines LLVMFuzzerTestOneInput(data, size): one
 * input, any bytes, handled as the code under test would handle them from
 * a file or a stream. `make fuzz` links it with libFuzzer and runs it for
 * a set time; `make check` links it with replay.c and feeds it every file
 * of test/fuzz/corpus/NAME and test/fuzz/findings/NAME under ASan and
 * UBSan. A harness crashes (a sanitizer report, an abort) on a bug; one
 * that checks a property of its own says what failed and calls abort().
 *
 * A harness that needs files (a definition, a store, an input read the way
 * the tools read one) works in one scratch directory per process, made on
 * first use and removed at exit.
 */
#ifndef UOPS_FUZZ_H
#define UOPS_FUZZ_H

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_FAIL(...)                                                  \
	do {                                                          \
		fprintf(stderr, "fuzz: %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);                         \
		fputc('\n', stderr);                                  \
		abort();                                              \
	} while (0)

static char fz_top[4096];

static inline int fz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Remove path and everything under it. */
static inline void fz_rm(const char *path)
{
	nftw(path, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void fz_cleanup(void)
{
	if (fz_top[0])
		fz_rm(fz_top);
}

/* The scratch directory of this process ($TMPDIR or /tmp). */
static inline const char *fz_dir(void)
{
	if (!fz_top[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(fz_top, sizeof fz_top, "%s/uops-fuzz.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(fz_top)) {
			perror("fuzz: mkdtemp");
			abort();
		}
		atexit(fz_cleanup);
	}
	return fz_top;
}

/* A path in the scratch directory: a malloc'd string the caller owns. */
static inline char *fz_path(const char *name)
{
	const char *d = fz_dir();
	char *p = malloc(strlen(d) + strlen(name) + 2);

	if (!p)
		abort();
	sprintf(p, "%s/%s", d, name);
	return p;
}

/* Write data to path (replacing it); aborts when it cannot. */
static inline void fz_write(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) {
		perror(path);
		abort();
	}
}

#ifdef UOPS_JSON_H
/*
 * Does any object in the text hold key (after unescaping)? The harnesses
 * of definitions leave out those with a "jq" condition: what libjq does
 * with a program is libjq's to fuzz, and a program may loop for ever.
 */
static inline int fz_has_key(const char *s, size_t n, const char *key)
{
	struct json_doc d = JSON_DOC_INIT;
	const char *why;
	size_t at;
	uint32_t i, k, j;
	int found = 0;

	if (!json_parse(&d, s, n, 64, &why, &at))
		for (i = 0; i < d.nt && !found; i++)
			if (d.t[i].type == JSON_OBJECT)
				for (k = 0, j = i + 1; k < d.t[i].size && !found; k++, j = d.t[j + 1].next)
					found = json_str_eq(&d, j, key, strlen(key));
	json_doc_release(&d);
	return found;
}
#endif

/*
 * LeakSanitizer, in every harness: libjq 1.6 keeps its interpreter's
 * stack by a pointer to the end of the block, which LSan does not count
 * as a reference, so a live jq program's stack reads as leaked. The stack
 * grows with jv_mem_realloc, which jv values do not use (they come from
 * jv_mem_alloc and stay checked).
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:jv_mem_realloc\n";
}

/* The top of the source tree, for the shipped definitions. */
#ifndef FUZZ_TOP
#define FUZZ_TOP "."
#endif

#endif
