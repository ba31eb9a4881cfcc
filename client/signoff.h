/*
 * signoff.h - a plan's sign-off by the regional roles.
 *
 * A plan goes draft -> submitted -> approved or returned -> submitted ...
 * Each regional role the plan's EDM names (its "signoff" list: the PGD,
 * Prison Gold, and for the offender management section probation Gold)
 * approves or returns the plan as it stands: the decision records the hash
 * of the plan's content. The plan counts as approved once every role named
 * has approved this same content; a return sends it back with the reason.
 * The person who signs may not be the person who submitted it. A later
 * material change to the plan (its stages, title or any assessment) makes
 * the sign-offs stale: shown as such until they are made again.
 */
#ifndef WK_SIGNOFF_H
#define WK_SIGNOFF_H

#include <jansson.h>

#include "store.h"

/* The hash (64 hex digits) of the plan's content as it stands. */
int wk_signoff_content_hash(wk_store *st, const char *plan, char out[65]);

typedef struct {
	const char *plan;
	const char *role;     /* pgd, prison-gold, probation-gold */
	const char *reason;   /* a return: why (required); NULL: approve */
	const char *person;   /* who signs */
	const char *today;    /* YYYY-MM-DD */
} wk_signoff_request;

/* Record one role's decision on a submitted plan; may make the plan approved or returned. */
int wk_signoff_sign(wk_store *st, const wk_signoff_request *r);

/* The plan's sign-offs: [{role, decision, reason, person, signed_at, stale}], and whether all required are current. */
int wk_signoff_list(wk_store *st, const char *plan, json_t **out);

#endif
