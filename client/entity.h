/*
 * entity.h - field-level writes to domain records, each recorded as an
 * operation in the same transaction.
 *
 * Every change to a domain table goes through here: wk_entity_create() inserts
 * a record holding only its id and records a 'create' operation; each field is
 * then written with wk_entity_set(), which records a 'set' operation with the
 * old and new value (and nothing when the value does not change). Replaying
 * the operations in order with wk_entity_apply() rebuilds the same state:
 * that is what later changesets carry.
 *
 * Values are text (NULL for none); integer columns convert by SQLite affinity.
 * Entity and field names are checked against a fixed registry, so they are
 * never taken from outside into SQL. The caller holds the transaction
 * (wk_store_begin); these functions never commit.
 */
#ifndef WK_ENTITY_H
#define WK_ENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* The most writes one change can list as parents (the changeset format's cap). */
#define WK_ENTITY_MAX_PARENTS 64

/*
 * Walk a parents list ("<device>@<clock>" entries joined by ','): each call
 * gives the next entry's device (*device, *len bytes, not NUL-terminated) and
 * clock, and moves *p past it. 1 for an entry, 0 at the end (or for NULL),
 * WK_EINVALID for an entry without '@'. The changeset decoder has checked
 * the list's form by then; this only reads it.
 */
int wk_parents_next(const char **p, const char **device, size_t *len, int64_t *hlc);

/* Who acts on st: checks the values, then wk_store_set_actor (store.h). */
int wk_entity_set_actor(wk_store *st, const char *person, const char *device);

int wk_entity_create(wk_store *st, const char *entity, const char *id);
int wk_entity_set(wk_store *st, const char *entity, const char *id,
                  const char *field, const char *value);
/*
 * Settle a conflict: write value over every head of the field (every
 * concurrent write held here), so that the field has one head again. Does
 * nothing when the field has fewer than two heads.
 */
int wk_entity_resolve(wk_store *st, const char *entity, const char *id,
                      const char *field, const char *value);
/* wk_entity_set with an integer value. */
int wk_entity_set_int(wk_store *st, const char *entity, const char *id,
                      const char *field, long long value);

/*
 * A new id for a record this device creates: "<device>-<letter><n>", from a
 * per-device counter kept in the store (so ids made on two devices of one
 * establishment never collide). out must hold 64 bytes.
 */
int wk_entity_new_id(wk_store *st, char letter, char *out, size_t size);

/* 1 if the record exists, 0 if not, negative on error. */
int wk_entity_exists(wk_store *st, const char *entity, const char *id);

/* The field's current value as text: *out malloc'd, NULL when null. */
int wk_entity_get(wk_store *st, const char *entity, const char *id,
                  const char *field, char **out);

/* Is this a known entity / field? */
int wk_entity_known(const char *entity, const char *field);

/*
 * One recorded operation, as read back from the log. parents (sets only):
 * the writes of this field the writer had seen and overwrites, as
 * "<device>@<clock>" entries joined by ',' and sorted; NULL when the writer
 * had seen none. Two writes neither of which lists the other are concurrent:
 * a conflict (see wk_entity_heads).
 */
typedef struct {
	int64_t seq;
	int64_t hlc;
	const char *device, *person, *entity, *entity_id, *kind, *field, *old_value, *new_value;
	const char *parents;
} wk_op;

/*
 * Apply an operation recorded elsewhere (replay, and sync): the same change,
 * recorded in this store's log with its original clock, device, person and
 * parents. A create of a record that exists merges with it. A set replaces
 * the heads it lists as parents and becomes a head; the field then holds the
 * value of its newest head by (clock, device): the same on every replica
 * that holds the same operations, whatever order they came in (the caller
 * applies a changeset only after those it depends on). Refuses unknown
 * entities or fields with WK_EINVALID, a set of a record not held with
 * WK_ENOTFOUND.
 */
int wk_entity_apply(wk_store *st, const wk_op *op);

/* The hybrid logical clock: 48 bits of milliseconds, 16 bits of counter. */
int64_t wk_hlc_make(int64_t millis, int counter);
int64_t wk_hlc_millis(int64_t hlc);
int wk_hlc_counter(int64_t hlc);

#endif
