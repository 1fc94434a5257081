/*
 * t-step - report's steps: TYPE, *, TYPE:WHERE over props; what is
 * refused (an empty type, a where that is not JSON or reads more than
 * props); matching by type and where; step_type_is on raw type bytes.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "step.h"
#include "t.h"

/* does the event line match the step? */
static int match(const struct step *s, const char *line)
{
	struct json_doc d = JSON_DOC_INIT;
	const char *why;
	size_t at;
	int r = -1;

	if (!json_parse(&d, line, strlen(line), 64, &why, &at))
		r = step_match(s, &d, json_get(&d, 0, "type", 4), json_get(&d, 0, "props", 5));
	json_doc_release(&d);
	return r;
}

int main(void)
{
	struct step s;
	FILE *saved = stderr;

	T_EQ_INT(step_parse("--cohort", "order_paid", &s), 0);
	T_EQ_INT(match(&s, "{\"type\":\"order_paid\"}"), 1);
	T_EQ_INT(match(&s, "{\"type\":\"page_view\"}"), 0);
	T_OK(step_type_is(&s, "order_paid", 10));
	T_OK(!step_type_is(&s, "order_pai", 9));
	step_release(&s);

	T_EQ_INT(step_parse("--return", "*", &s), 0);
	T_OK(!s.type);
	T_EQ_INT(match(&s, "{\"type\":\"anything\"}"), 1);
	T_OK(step_type_is(&s, "x", 1));
	step_release(&s);

	T_EQ_INT(step_parse("step 2", "order_paid:{\"prop\":\"amount\",\"gt\":100}", &s), 0);
	T_EQ_INT(match(&s, "{\"type\":\"order_paid\",\"props\":{\"amount\":150}}"), 1);
	T_EQ_INT(match(&s, "{\"type\":\"order_paid\",\"props\":{\"amount\":50}}"), 0);
	T_EQ_INT(match(&s, "{\"type\":\"order_paid\"}"), 0);
	T_EQ_INT(match(&s, "{\"type\":\"refund\",\"props\":{\"amount\":150}}"), 0);
	step_release(&s);

	stderr = fopen("/dev/null", "w"); /* the refusals say why; not here */
	T_EQ_INT(step_parse("x", "", &s), 64);
	step_release(&s);
	T_EQ_INT(step_parse("x", ":{}", &s), 64);
	step_release(&s);
	T_EQ_INT(step_parse("x", "a:{nope", &s), 64);
	step_release(&s);
	T_EQ_INT(step_parse("x", "a:{\"tag\":\"vip\",\"eq\":true}", &s), 64);
	step_release(&s);
	fclose(stderr);
	stderr = saved;
	return t_done("step");
}
