/*
 * sysrec - a system record is checked against schemas/system.schema.json
 * before a tool acts on it: every field its type requires is there, with
 * the type the schema gives it. One table serves every tool, so a record
 * one stage acts on is one the next stage acts on too, the same way.
 *
 * Beyond the schema's JSON types, the fields read as the tools read them:
 * a oneid is a plain number 1 … 4294967295 (json_oneid), a ts a time
 * clock_parse reads, and an event_id a string written without escapes
 * (the tools compare its bytes, as they do an event's).
 */
#ifndef UOPS_SYSREC_H
#define UOPS_SYSREC_H

#include <stdint.h>

#include "json.h"

/*
 * Check the object at index obj of d as a system record of type `type`
 * ("$merge", "$fold", "$tag", "$segment", "$tick", "$split", "$send", "$delivery"
 * or "$consent"; a type the schema
 * does not describe has nothing to check). Returns NULL when it holds what
 * the schema requires, else the reason for the first field that is missing
 * or of the wrong type, as static text: "$merge without a valid \"merged\"".
 * Fields the schema allows but does not require are checked when present
 * ("$merge with an invalid \"leaving\""), and a $merge's leaving copy and
 * a $fold name what they must: the leaving oneid among merged, not the
 * survivor, ending the event_id; a $fold's event_id fold:…:<merged>.
 */
const char *sysrec_check(const struct json_doc *d, uint32_t obj, const char *type);

#endif
