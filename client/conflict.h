/*
 * conflict.h - the conflicts of a store: fields written concurrently (by
 * writers neither of whom had seen the other's write) to different values.
 *
 * A conflict is not a record of its own: it is the state of a field with
 * two or more heads holding different values (entity.h, field_head), so it
 * is the same on every replica that holds the same operations, and it ends
 * when a write over every head (wk_entity_resolve) arrives. Meanwhile the
 * field holds the provisional winner: the newest head by (clock, device).
 *
 * A conflict's id is the first 10 hex digits of BLAKE2b(entity NUL record
 * NUL field): stable across replicas and sessions.
 */
#ifndef WK_CONFLICT_H
#define WK_CONFLICT_H

#include <jansson.h>

#include "store.h"

/*
 * Append st's open conflicts to arr (a JSON array), each
 * {"id","site","entity","record","field","values":[{"value","device",
 * "person","time","hlc","winner"}...]}, values newest first (the first is
 * the provisional winner). site labels them.
 */
int wk_conflict_list(wk_store *st, const char *site, json_t *arr);

/* Count of st's open conflicts. */
int wk_conflict_count(wk_store *st, long long *n);

/*
 * Settle the conflict id in st (in the caller's transaction, with the actor
 * set): the value is value, or with keep >= 1 the keep-th listed value.
 * WK_ENOTFOUND when st has no open conflict with that id; WK_EUSAGE when
 * keep is past the values listed.
 */
int wk_conflict_resolve(wk_store *st, const char *id, int keep, const char *value);

#endif
