/*
 * replay - run a harness without libFuzzer: every file named, and every
 * file in every directory named (in name order; README and dot files
 * skipped), goes through LLVMFuzzerTestOneInput once, in this process.
 * `make check` builds one per harness with ASan and UBSan and replays the
 * seed corpus and every past finding. Prints "NAME: N inputs" on stdout;
 * a failure is the sanitizer's report or the harness's own abort.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static unsigned long ninputs;

static void replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	size_t n = 0, cap = 0, got;

	if (!f) {
		perror(path);
		exit(74);
	}
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if (!(p = realloc(p, cap)))
				abort();
		}
		got = fread(p + n, 1, cap - n, f);
		n += got;
	} while (got);
	if (ferror(f)) {
		perror(path);
		exit(74);
	}
	fclose(f);
	/* an exact-size copy, so reading past the input is caught */
	{
		uint8_t *q = malloc(n ? n : 1);
		if (!q)
			abort();
		memcpy(q, p, n);
		free(p);
		LLVMFuzzerTestOneInput(q, n);
		free(q);
	}
	ninputs++;
}

static int skip(const struct dirent *e)
{
	return e->d_name[0] != '.' && strcmp(e->d_name, "README");
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');
	int i;

	name = name ? name + 1 : argv[0];
	if (!strncmp(name, "replay-", 7))
		name += 7;
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st)) {
			perror(argv[i]);
			return 74;
		}
		if (S_ISDIR(st.st_mode)) {
			struct dirent **v;
			int n = scandir(argv[i], &v, skip, alphasort), k;
			if (n < 0) {
				perror(argv[i]);
				return 74;
			}
			for (k = 0; k < n; k++) {
				char *path = malloc(strlen(argv[i]) + strlen(v[k]->d_name) + 2);
				if (!path)
					abort();
				sprintf(path, "%s/%s", argv[i], v[k]->d_name);
				replay_file(path);
				free(path);
				free(v[k]);
			}
			free(v);
		} else {
			replay_file(argv[i]);
		}
	}
	printf("%s: %lu inputs\n", name, ninputs);
	return 0;
}
