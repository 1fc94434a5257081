/*
 * outbox - what dispatch did with each send_id, in LMDB, so that a replay,
 * a crash or a rerun never sends a $send twice and never loses one.
 *
 * Every send_id moves through these states, each written by the store's
 * batch (lib/store) and so committed with the input position that produced
 * it:
 *
 *   (none) -> OUTBOX_PENDING   committed before the provider is contacted
 *   (none) -> a final state    decided without contacting anyone
 *   OUTBOX_PENDING -> final    committed right after the provider answered
 *   OUTBOX_PENDING -> OUTBOX_RETRY   the provider could not be reached at
 *                              all: certainly not sent, resent by a rerun
 *
 * Final states: OUTBOX_SENT, OUTBOX_FAILED, OUTBOX_SUPPRESSED,
 * OUTBOX_UNKNOWN (the answer was lost and the provider has no idempotency
 * key: never resent), OUTBOX_DEFERRED (handed back to the caller's queue;
 * not final for the send, but final for this record).
 *
 * A send found OUTBOX_PENDING at start was in flight when the writer
 * stopped: the provider may or may not have it. The protocol is in
 * schemas/lmdb.md ("dispatch: the outbox").
 *
 * DBs (the caller's store, owner dispatch):
 *   dispatch.outbox    send_id -> state (1 byte), oneid (4, big-endian),
 *                      then the JSON text: the message (pending, retry) or
 *                      the $delivery record written (final states)
 *   dispatch.pending   send_id -> state (1 byte): the sends in flight or to
 *                      resend, scanned at start
 *   dispatch.sends     oneid (4, big-endian), send_id -> empty: every send
 *                      of a person, for erasure
 */
#ifndef UOPS_OUTBOX_H
#define UOPS_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "store.h"

enum outbox_state {
	OUTBOX_NONE = 0,
	OUTBOX_PENDING = 'p',
	OUTBOX_RETRY = 'r',
	OUTBOX_SENT = 's',
	OUTBOX_FAILED = 'f',
	OUTBOX_SUPPRESSED = 'x',
	OUTBOX_UNKNOWN = 'u',
	OUTBOX_DEFERRED = 'd',
};

struct outbox {
	struct store *st;
	MDB_dbi box, pending, sends;
};

/* Open (creating) the three DBs in st. Returns 0, or -1 after printing
 * why. The store stays the caller's. */
int outbox_open(struct outbox *o, struct store *st);

/* The state of send_id (n bytes) as the batch and the committed state say:
 * OUTBOX_NONE when absent, else its state with its oneid in *oneid and its
 * JSON text appended to text (may be NULL). -1 on an LMDB error
 * (printed). */
int outbox_get(struct outbox *o, const char *id, size_t n, uint32_t *oneid, struct buf *text);

/* Queue send_id's new state with its JSON text (len bytes), and keep
 * dispatch.pending in step (a put for OUTBOX_PENDING and OUTBOX_RETRY, a
 * delete for every other state). Written by the next commit. */
void outbox_put(struct outbox *o, const char *id, size_t n, uint32_t oneid, int state,
		const char *text, size_t len);

/* Call fn(ctx, id, n, state) for every send of dispatch.pending as
 * committed, in send_id order. fn returns 0 to go on. Returns 0, fn's
 * non-zero value, or -1 on an LMDB error (printed). Do not queue writes
 * from fn to dispatch.pending (collect the ids, act after). */
int outbox_scan_pending(struct outbox *o, int (*fn)(void *ctx, const char *id, size_t n, int state),
			void *ctx);

/* A state's name as $delivery records and messages write it ("sent",
 * "pending", …); static text. */
const char *outbox_state_name(int state);

#endif
