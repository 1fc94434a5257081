/*
 * defnames - the tag and segment names the definitions upstream give:
 * the "name" of each entry of "tags" in the files of PIPELINES/tags and
 * of "segments" in those of PIPELINES/segments, which is what the
 * tagger's $tag and the segmenter's $segment records can carry. A journey's
 * condition or trigger that reads a tag or segment no definition names is
 * refused at load, before it could wait for records that never come.
 *
 * Files are read in conf_dir's order; a name is kept as often as it is
 * given. struct defnames owns its names; zero it before defnames_load and
 * free it with defnames_release.
 */
#ifndef UOPS_DEFNAMES_H
#define UOPS_DEFNAMES_H

struct defnames {
	char **tags, **segments;
	unsigned ntags, nsegments;
};

/*
 * Add the names of the tag definitions in pipelines/tags and of the
 * segment definitions in pipelines/segments to d. A directory that does
 * not exist gives none; an entry that is not an object with a string
 * "name" is passed over. Returns 0, or -1 after printing why the
 * definitions could not be read (a file, or a directory that cannot be
 * read or holds none; d then holds the names read before).
 */
int defnames_load(struct defnames *d, const char *pipelines);
/* 1 when a tag definition names the tag name, else 0. */
int defnames_tag(const struct defnames *d, const char *name);
/* 1 when a segment definition names the segment name, else 0. */
int defnames_segment(const struct defnames *d, const char *name);
/* Free d's names; d is empty (all zero) afterwards. */
void defnames_release(struct defnames *d);

#endif
