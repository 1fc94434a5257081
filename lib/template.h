/*
 * template - message templates for dispatch, one file per template (and
 * maybe per channel) in a directory (pipelines/templates), each compiled
 * once into a jq program (lib/jqprog) and run per send.
 *
 * File names: NAME.CHANNEL.json or NAME.json (any channel), and the same
 * with .jq. A .json template is an object of parts ("subject", "text",
 * "html", or any other, e.g. a WeChat field) whose values are text with
 * fields: {{first_name}}, {{params.coupon}}, {{traits.city|there}} (after
 * '|' the default when the field is absent). A bare name is looked up in
 * the send's params, then in the person's traits; params., traits. and
 * send. name the scope. The "html" part's fields are HTML-escaped. A .jq
 * template is a jq program over the same input that gives such an object.
 *
 * The input of a render is {"params":{…},"traits":{…},"send":{send_id,
 * oneid,channel,to,journey,step,arm,kind,template}}. A field that is absent
 * (or null) and has no default, a field that is not text, number or
 * boolean, or a program that gives anything but one object of strings is a
 * render error: the caller fails that send with the reason.
 */
#ifndef UOPS_TEMPLATE_H
#define UOPS_TEMPLATE_H

#include <jv.h>
#include <stddef.h>

#include "buf.h"

struct jqprog;

struct tnative; /* template.c: a .json template's parts, rendered without jq */

struct template {
	char *name;    /* NAME */
	char *channel; /* CHANNEL, or NULL: any channel */
	char *path;
	struct jqprog *prog; /* NULL for a native .json template until template_render */
	char *program;       /* the jq program text prog is compiled from then */
	char *text_literal; /* .json: the "text" part without its fields, or NULL */
	struct tnative *native; /* .json: the same template for template_render_doc */
	int uses_traits;        /* .json: a field may be read from the traits */
};

struct templates {
	struct template *v;
	size_t n;
};

/*
 * Load and compile every template file of dir into t (empty before). A
 * directory that does not exist gives no templates. Returns 0, or 78 after
 * printing the file and why it cannot be compiled.
 */
int templates_load(struct templates *t, const char *dir);
/* Free everything t holds. */
void templates_free(struct templates *t);

/* The template NAME (n bytes) for channel: NAME.CHANNEL first, else NAME
 * for any channel. NULL when there is none. Owned by t. */
const struct template *templates_find(const struct templates *t, const char *name, size_t n, const char *channel);

/*
 * Render tp over input (consumed). On success appends the parts to out as
 * JSON object members, each preceded by a comma (`,"subject":"…"`), and
 * returns 0; else returns -1 with the reason in err.
 */
int template_render(const struct template *tp, jv input, struct buf *out, struct buf *err);

/*
 * What a .json template is rendered over without building jq values: the
 * $send record (d, parsed; its "params" object and journey, step, arm,
 * kind and template members), the person's traits (a parsed object, or
 * NULL for none), and the send's id, oneid, channel and address (to, tn
 * bytes; none when tn is 0).
 */
struct tsend {
	const struct json_doc *d;
	const struct json_doc *traits;
	const char *id, *channel, *to;
	size_t idn, tn;
	uint32_t oneid;
};

/*
 * Render .json template tp (tp->native set) over in, giving exactly what
 * template_render gives over the same values (parts in the template's
 * order, fields looked up and defaulted the same way, the html part
 * escaped as jq's @html, numbers written as jq writes them), and the same
 * errors. Appends to out; returns 0, or -1 with the reason in err.
 */
int template_render_doc(const struct template *tp, const struct tsend *in, struct buf *out, struct buf *err);

/*
 * SMS segments of UTF-8 text s (n bytes): GSM 03.38 text takes 160
 * septets in one message, 153 a segment beyond (an extension character
 * takes two); any other text is UCS-2, 70 code units in one message, 67 a
 * segment beyond. *units is set to the septets or code units. 0 for empty
 * text.
 */
int template_sms_segments(const char *s, size_t n, size_t *units);

#endif
