/*
 * t-defnames - the tag and segment names the definitions give: every
 * file's entries with a string "name", others passed over; a directory
 * that does not exist gives none; a file that is not JSON, or a
 * directory holding no definition, is an error; release leaves nothing.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "defnames.h"
#include "t.h"

static char dir[] = "/tmp/uops-t-defnames-XXXXXX";

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (!strchr(name, '.')) {
		T_OK(mkdir(path, 0775) == 0);
		return;
	}
	f = fopen(path, "w");
	T_OK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

int main(void)
{
	struct defnames d = {0};
	char sub[256];

	T_OK(mkdtemp(dir) != NULL);

	/* neither directory: no names, no error */
	T_EQ_INT(defnames_load(&d, dir), 0);
	T_EQ_INT(d.ntags + d.nsegments, 0);
	T_EQ_INT(defnames_tag(&d, "vip"), 0);

	put("tags", NULL);
	put("tags/b.json", "{\"tags\":[{\"name\":\"lifecycle\"},{\"name\":\"rfm\",\"type\":\"string\"}]}");
	put("tags/a.json", "{\"tags\":[{\"name\":\"vip\"},3,{\"nom\":\"x\"},{\"name\":7},{\"name\":\"vip\"}],"
			   "\"segments\":[{\"name\":\"not_here\"}]}");
	put("tags/notes.txt", "not a definition");
	T_EQ_INT(defnames_load(&d, dir), 0);
	/* file-name order, every name given */
	T_EQ_INT(d.ntags, 4);
	T_EQ_STR(d.tags[0], "vip");
	T_EQ_STR(d.tags[1], "vip");
	T_EQ_STR(d.tags[2], "lifecycle");
	T_EQ_STR(d.tags[3], "rfm");
	T_EQ_INT(d.nsegments, 0);
	T_EQ_INT(defnames_tag(&d, "rfm"), 1);
	T_EQ_INT(defnames_tag(&d, "rf"), 0);
	T_EQ_INT(defnames_segment(&d, "not_here"), 0); /* a segment only where segments are */
	defnames_release(&d);
	T_OK(d.tags == NULL && d.ntags == 0 && d.segments == NULL);

	put("segments", NULL);
	put("segments/s.json", "{\"segments\":[{\"name\":\"winback\"},{\"name\":\"vip\"}],\"tags\":[{\"name\":\"nope\"}]}");
	T_EQ_INT(defnames_load(&d, dir), 0);
	T_EQ_INT(d.nsegments, 2);
	T_EQ_INT(defnames_segment(&d, "winback"), 1);
	T_EQ_INT(defnames_segment(&d, "vip"), 1);
	T_EQ_INT(defnames_tag(&d, "vip"), 1);
	T_EQ_INT(defnames_tag(&d, "winback"), 0);
	T_EQ_INT(defnames_tag(&d, "nope"), 0);
	defnames_release(&d);

	/* a file that is not JSON: an error, the names before kept */
	put("segments/t.json", "{\"segments\":[");
	T_EQ_INT(defnames_load(&d, dir), -1);
	T_EQ_INT(d.ntags, 4);
	T_EQ_INT(d.nsegments, 2);
	defnames_release(&d);
	snprintf(sub, sizeof sub, "%s/segments/t.json", dir);
	remove(sub);

	/* a directory holding no definition: an error */
	snprintf(sub, sizeof sub, "%s/segments/s.json", dir);
	remove(sub);
	T_EQ_INT(defnames_load(&d, dir), -1);
	defnames_release(&d);
	T_OK(d.tags == NULL && d.segments == NULL);

	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("defnames");
}
