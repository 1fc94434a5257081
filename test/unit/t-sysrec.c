/*
 * t-sysrec - system records against system.schema.json: each type's
 * required fields, and the first one missing or of the wrong type named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "sysrec.h"
#include "t.h"

#define MERGE_OK "\"type\":\"$merge\",\"event_id\":\"merge:e1\",\"ts\":\"2026-01-01T00:00:00.000Z\"," \
		 "\"oneid\":3,\"merged\":[1,2],\"by\":\"cookie\""
#define TAG_OK "\"type\":\"$tag\",\"event_id\":\"tag:e1:vip\",\"ts\":\"2026-01-01T00:00:00.000Z\"," \
	       "\"oneid\":3,\"tag\":\"vip\",\"old\":null,\"new\":true"
#define SEG_OK "\"type\":\"$segment\",\"event_id\":\"seg:e1:s\",\"ts\":\"2026-01-01T00:00:00.000Z\"," \
	       "\"oneid\":3,\"segment\":\"s\",\"op\":\"enter\""

static const struct {
	const char *type, *rec, *why; /* why: NULL when it passes */
} cases[] = {
	{"$merge", "{" MERGE_OK "}", NULL},
	{"$merge", "{" MERGE_OK ",\"extra\":[]}", NULL},
	{"$merge", "{\"merged\":[4294967295],\"by\":\"\",\"oneid\":1,\"ts\":\"2026-01-01T00:00:00Z\","
		   "\"event_id\":\"m\"}", NULL},
	{"$merge", "{\"type\":\"$merge\"}", "$merge without a valid \"event_id\""},
	{"$merge", "{\"event_id\":1,\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"merged\":[1],\"by\":\"c\"}",
	 "$merge without a valid \"event_id\""},
	{"$merge", "{\"event_id\":\"\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"merged\":[1],\"by\":\"c\"}",
	 "$merge without a valid \"event_id\""},
	{"$merge", "{\"event_id\":\"m\\u0031\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"merged\":[1],\"by\":\"c\"}",
	 "$merge without a valid \"event_id\""},
	{"$merge", "{\"event_id\":\"m\",\"oneid\":3,\"merged\":[1],\"by\":\"c\"}", "$merge without a valid \"ts\""},
	{"$merge", "{\"event_id\":\"m\",\"ts\":\"1970-13-01\",\"oneid\":3,\"merged\":[1],\"by\":\"c\"}",
	 "$merge without a valid \"ts\""},
	{"$merge", "{\"event_id\":\"m\",\"ts\":1767225600,\"oneid\":3,\"merged\":[1],\"by\":\"c\"}",
	 "$merge without a valid \"ts\""},
	{"$merge", "{\"event_id\":\"m\",\"ts\":\"2026-01-01T00:00:00Z\",\"merged\":[1],\"by\":\"c\"}",
	 "$merge without a valid \"oneid\""},
	{"$merge", "{\"event_id\":\"m\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":\"3\",\"merged\":[1],\"by\":\"c\"}",
	 "$merge without a valid \"oneid\""},
	{"$merge", "{\"event_id\":\"m\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":0,\"merged\":[1],\"by\":\"c\"}",
	 "$merge without a valid \"oneid\""},
	{"$merge", "{\"event_id\":\"m\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":1.5,\"merged\":[1],\"by\":\"c\"}",
	 "$merge without a valid \"oneid\""},
	{"$merge", "{\"event_id\":\"m\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"by\":\"c\"}",
	 "$merge without a valid \"merged\""},
	{"$merge", "{\"event_id\":\"m\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"merged\":[],\"by\":\"c\"}",
	 "$merge without a valid \"merged\""},
	{"$merge", "{\"event_id\":\"m\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"merged\":2,\"by\":\"c\"}",
	 "$merge without a valid \"merged\""},
	{"$merge", "{\"event_id\":\"m\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"merged\":[1,\"2\"],\"by\":\"c\"}",
	 "$merge without a valid \"merged\""},
	{"$merge", "{\"event_id\":\"m\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"merged\":[1,4294967296],\"by\":\"c\"}",
	 "$merge without a valid \"merged\""},
	{"$merge", "{\"event_id\":\"m\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"merged\":[[1]],\"by\":\"c\"}",
	 "$merge without a valid \"merged\""},
	{"$merge", "{\"event_id\":\"m\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"merged\":[1]}",
	 "$merge without a valid \"by\""},
	/* across streams: the survivor's copy, the copy for a merged oneid */
	{"$merge", "{" MERGE_OK ",\"across\":true}", NULL},
	{"$merge", "{" MERGE_OK ",\"across\":1}", "$merge with an invalid \"across\""},
	{"$merge", "{\"type\":\"$merge\",\"event_id\":\"merge:e1:2\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,"
		   "\"merged\":[1,2],\"by\":\"c\",\"across\":true,\"leaving\":2}", NULL},
	{"$merge", "{" MERGE_OK ",\"leaving\":0}", "$merge with an invalid \"leaving\""},
	{"$merge", "{" MERGE_OK ",\"leaving\":4}", "$merge with a \"leaving\" oneid not among \"merged\""},
	{"$merge", "{" MERGE_OK ",\"leaving\":3}", "$merge with a \"leaving\" oneid not among \"merged\""},
	{"$merge", "{" MERGE_OK ",\"leaving\":2}",
	 "$merge with a \"leaving\" oneid its event_id does not end with"},
	{"$fold", "{\"type\":\"$fold\",\"event_id\":\"fold:merge:e1:2\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,"
		  "\"merged\":2,\"state\":null}", NULL},
	{"$fold", "{\"type\":\"$fold\",\"event_id\":\"fold:merge:e1:2\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,"
		  "\"merged\":2,\"state\":{\"events\":1}}", NULL},
	{"$fold", "{\"type\":\"$fold\",\"event_id\":\"fold:merge:e1:2\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,"
		  "\"merged\":2,\"state\":[]}", "$fold without a valid \"state\""},
	{"$fold", "{\"type\":\"$fold\",\"event_id\":\"fold:merge:e1:2\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,"
		  "\"state\":null}", "$fold without a valid \"merged\""},
	{"$fold", "{\"type\":\"$fold\",\"event_id\":\"fold:merge:e1:3\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,"
		  "\"merged\":3,\"state\":null}", "$fold of the survivor itself"},
	{"$fold", "{\"type\":\"$fold\",\"event_id\":\"merge:e1:2\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,"
		  "\"merged\":2,\"state\":null}", "$fold whose event_id is not fold:<merge>:<merged>"},
	{"$fold", "{\"type\":\"$fold\",\"event_id\":\"fold:merge:e1:12\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,"
		  "\"merged\":2,\"state\":null}", "$fold whose event_id is not fold:<merge>:<merged>"},
	{"$merge", "{\"event_id\":\"m\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"merged\":[1],\"by\":null}",
	 "$merge without a valid \"by\""},
	/* keys written with escapes are the keys they read as */
	{"$merge", "{\"event_\\u0069d\":\"m\",\"\\u0074s\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"merged\":[1],"
		   "\"b\\u0079\":\"c\"}", NULL},

	{"$tag", "{" TAG_OK "}", NULL},
	{"$tag", "{" TAG_OK ",\"extra\":1}", NULL},
	{"$tag", "{\"event_id\":\"t\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"tag\":\"vip\",\"old\":1}",
	 "$tag without a valid \"new\""},
	{"$tag", "{\"event_id\":\"t\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"tag\":\"vip\",\"new\":1}",
	 "$tag without a valid \"old\""},
	{"$tag", "{\"event_id\":\"t\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"tag\":1,\"old\":1,\"new\":2}",
	 "$tag without a valid \"tag\""},
	{"$tag", "{\"event_id\":\"t\",\"ts\":\"2026-01-01T00:00:00Z\",\"tag\":\"a\",\"old\":1,\"new\":2}",
	 "$tag without a valid \"oneid\""},
	{"$tag", "{\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"tag\":\"a\",\"old\":1,\"new\":2}",
	 "$tag without a valid \"event_id\""},

	{"$segment", "{" SEG_OK "}", NULL},
	{"$segment", "{\"event_id\":\"s\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"segment\":\"s\",\"op\":\"exit\"}",
	 NULL},
	{"$segment", "{\"event_id\":\"s\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"segment\":\"s\",\"op\":\"leave\"}",
	 "$segment without a valid \"op\""},
	{"$segment", "{\"event_id\":\"s\",\"ts\":\"2026-01-01T00:00:00Z\",\"oneid\":3,\"op\":\"exit\"}",
	 "$segment without a valid \"segment\""},

	{"$tick", "{\"type\":\"$tick\",\"ts\":\"2026-01-02T00:00:00Z\"}", NULL},
	{"$tick", "{\"type\":\"$tick\"}", "$tick without a valid \"ts\""},
	{"$tick", "{\"type\":\"$tick\",\"ts\":\"tomorrow\"}", "$tick without a valid \"ts\""},
	{"$tick", "{\"type\":\"$tick\",\"ts\":[\"2026-01-02T00:00:00Z\"]}", "$tick without a valid \"ts\""},

	{"$split", "{\"type\":\"$split\",\"oneid\":3,\"into\":{\"3\":{\"phone\":[\"+8613800138000\"]},\"7\":{}}}",
	 NULL},
	{"$split", "{\"type\":\"$split\",\"oneid\":3,\"into\":{}}", NULL},
	{"$split", "{\"type\":\"$split\",\"oneid\":3,\"into\":{\"3\":[]}}", "$split without a valid \"into\""},
	{"$split", "{\"type\":\"$split\",\"oneid\":3}", "$split without a valid \"into\""},
	{"$split", "{\"type\":\"$split\",\"into\":{}}", "$split without a valid \"oneid\""},

	{"$send", "{\"type\":\"$send\",\"send_id\":\"j1:s1:7\",\"ts\":\"2026-01-02T00:00:00Z\",\"oneid\":7,\"channel\":\"sms\"}", NULL},
	{"$send", "{\"type\":\"$send\",\"send_id\":\"j1:s1:7\",\"ts\":\"2026-01-02T00:00:00Z\",\"oneid\":7,\"channel\":[\"wechat\",\"sms\"]}", NULL},
	{"$send", "{\"type\":\"$send\",\"send_id\":\"j1:s1:7\",\"ts\":\"2026-01-02T00:00:00Z\",\"oneid\":7,\"channel\":[]}", "$send without a valid \"channel\""},
	{"$send", "{\"type\":\"$send\",\"send_id\":\"j1:s1:7\",\"ts\":\"2026-01-02T00:00:00Z\",\"oneid\":7,\"channel\":[\"sms\",3]}", "$send without a valid \"channel\""},
	{"$send", "{\"type\":\"$send\",\"send_id\":\"j\\u0031\",\"ts\":\"2026-01-02T00:00:00Z\",\"oneid\":7,\"channel\":\"sms\"}", "$send without a valid \"send_id\""},
	{"$send", "{\"type\":\"$send\"}", "$send without a valid \"send_id\""},
	{"$consent", "{\"type\":\"$consent\",\"ts\":\"2026-01-02T00:00:00Z\",\"oneid\":7,\"channel\":\"sms\",\"granted\":false}", NULL},
	{"$consent", "{\"type\":\"$consent\",\"ts\":\"2026-01-02T00:00:00Z\",\"oneid\":7,\"channel\":\"sms\",\"granted\":\"no\"}", "$consent without a valid \"granted\""},
	{"$delivery", "{}", "$delivery without a valid \"event_id\""},

	/* a type the schema does not describe: nothing to check */
	{"$journey", "{\"type\":\"$journey\"}", NULL},
};

int main(void)
{
	struct json_doc d = JSON_DOC_INIT;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *why = NULL, *got;
		size_t at = 0, n = strlen(cases[i].rec);
		char *copy = malloc(n); /* no NUL after it: a read past trips ASan */

		memcpy(copy, cases[i].rec, n);
		if (json_parse(&d, copy, n, 16, &why, &at)) {
			t_run++;
			t_failed++;
			fprintf(stderr, "%s: case %zu: parse: %s at %zu\n", __FILE__, i, why, at);
			free(copy);
			continue;
		}
		got = sysrec_check(&d, 0, cases[i].type);
		t_run++;
		if (cases[i].why ? !got || strcmp(got, cases[i].why) : got != NULL) {
			t_failed++;
			fprintf(stderr, "%s: case %zu %s: got %s, want %s\n", __FILE__, i, cases[i].rec,
				got ? got : "(pass)", cases[i].why ? cases[i].why : "(pass)");
		}
		free(copy);
	}
	/* an object inside a record: checked there */
	{
		static const char s[] = "[{\"type\":\"$tick\",\"ts\":\"2026-01-02T00:00:00Z\"},{\"type\":\"$tick\"}]";
		const char *why;
		size_t at;
		T_EQ_INT(json_parse(&d, s, sizeof s - 1, 4, &why, &at), 0);
		T_OK(sysrec_check(&d, 1, "$tick") == NULL);
		T_EQ_STR(sysrec_check(&d, d.t[1].next, "$tick"), "$tick without a valid \"ts\"");
	}
	json_doc_release(&d);
	return t_done("sysrec");
}
