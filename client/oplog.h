/*
 * oplog.h - reading the operation log: history with filters (wicket log),
 * iterating operations in order, and replaying them into another store.
 */
#ifndef WK_OPLOG_H
#define WK_OPLOG_H

#include <jansson.h>

#include "entity.h"
#include "store.h"

typedef struct {
	const char *entity;  /* record type, e.g. "action" */
	const char *id;      /* record id (prefix match with a trailing '*') */
	const char *person;
	const char *device;
	const char *field;
	const char *since;   /* YYYY-MM-DD, inclusive, UTC */
	const char *until;   /* YYYY-MM-DD, inclusive, UTC */
	long long limit;     /* 0: no limit */
} wk_log_filter;

#define WK_LOG_FILTER_INIT { NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 }

/* Matching operations, oldest first: [{seq, time, hlc, device, person, entity, id, kind, field, old, new}]. */
int wk_log_query(wk_store *st, const wk_log_filter *f, json_t **out);

/* Call cb for every operation with seq > after, in order; a negative return stops it. */
int wk_log_each(wk_store *st, long long after, int (*cb)(const wk_op *op, void *arg), void *arg);

/* Apply every operation of from to to, in one transaction of to. */
int wk_log_replay(wk_store *from, wk_store *to);

#endif
