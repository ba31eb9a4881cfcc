/*
 * plan.h - an establishment's plan for one EDM, and its baseline assessments.
 *
 * A plan is built from one EDM version: creating it creates one assessment
 * per baseline, "not_assessed". Its status follows the lifecycle
 * draft -> submitted -> approved | returned -> submitted ... -> superseded;
 * an establishment submits, the region approves or returns (sign-off is the
 * regional issue). Every write goes through the entity layer, so it is
 * recorded as operations; the caller holds the transaction.
 */
#ifndef WK_PLAN_H
#define WK_PLAN_H

#include <jansson.h>

#include "store.h"

typedef struct {
	const char *id;        /* NULL: the EDM code in lower case */
	const char *edm;       /* "OMU" or "OMU@1" */
	const char *title;
	int current_stage;     /* 0: the establishment's current stage */
	int target_stage;      /* 0: the EDM's "towards" stage */
} wk_plan_options;

#define WK_PLAN_OPTIONS_INIT { NULL, NULL, NULL, 0, 0 }

/* Create a plan and its assessments; *id_out (may be NULL) gets its id, malloc'd. */
int wk_plan_create(wk_store *st, const wk_plan_options *o, char **id_out);

/* Move a plan to a new status, following the lifecycle. */
int wk_plan_set_status(wk_store *st, const char *plan, const char *status);

/* A plan with its assessments and a readiness-style summary. */
int wk_plan_show(wk_store *st, const char *plan, json_t **out);

/* All plans, with summary counts. */
int wk_plan_list(wk_store *st, json_t **out);

/* Resolve a plan argument: NULL means the only plan, when there is exactly one. */
int wk_plan_resolve(wk_store *st, const char *arg, char **id);

/* A change to one baseline's assessment; NULL fields are left as they are. */
typedef struct {
	const char *status, *local_arrangement, *owner, *target_date, *evidence, *rationale;
} wk_assessment_change;

#define WK_ASSESSMENT_CHANGE_INIT { NULL, NULL, NULL, NULL, NULL, NULL }

int wk_baseline_set(wk_store *st, const char *plan, const char *baseline,
                    const wk_assessment_change *c);

/* One baseline: the national text, weighting, autonomy, and the assessment. */
int wk_baseline_show(wk_store *st, const char *plan, const char *baseline, json_t **out);

#endif
