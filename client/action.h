/*
 * action.h - actions (on a recommendation or a baseline), their revised
 * target dates, progress updates, and the plan's decision log.
 *
 * An action has an owner and a target (a day or a month). Changing the
 * target of an action records a revision with its reason; progress updates
 * and decisions are append-only. The caller holds the transaction.
 */
#ifndef WK_ACTION_H
#define WK_ACTION_H

#include <jansson.h>

#include "store.h"

typedef struct {
	const char *recommendation; /* "<inspection>/<number>", or */
	const char *plan;           /* with baseline: the assessment it serves */
	const char *baseline;
	const char *text, *owner, *target;
} wk_action_new;

#define WK_ACTION_NEW_INIT { NULL, NULL, NULL, NULL, NULL, NULL }

/* *id_out (may be NULL) gets the new action's id, malloc'd. */
int wk_action_add(wk_store *st, const wk_action_new *a, char **id_out);

typedef struct {
	const char *text, *owner, *status;
	const char *target, *reason; /* a new target needs a reason */
} wk_action_change;

#define WK_ACTION_CHANGE_INIT { NULL, NULL, NULL, NULL, NULL }

int wk_action_update(wk_store *st, const char *id, const wk_action_change *c);

/* Revise the target (YYYY-MM-DD, YYYY-MM or "June 2023"), recording a revision with its reason. */
int wk_action_revise(wk_store *st, const char *id, const char *target, const char *reason);

/* Mark complete on date (YYYY-MM-DD, not after today). */
int wk_action_complete(wk_store *st, const char *id, const char *date, const char *today);

/* Append a progress update. */
int wk_action_progress(wk_store *st, const char *id, const char *text, const char *person);

/* One action with its revisions and progress. */
int wk_action_show(wk_store *st, const char *id, json_t **out);

/* Actions, optionally only overdue ones (open with a target before today). */
int wk_action_list(wk_store *st, const char *today, int overdue_only, json_t **out);

/* Append a decision to the log of plan. */
int wk_decision_add(wk_store *st, const char *plan, const char *decided_on, const char *decision,
                    const char *rationale, const char *who);
int wk_decision_list(wk_store *st, const char *plan, json_t **out);

#endif
