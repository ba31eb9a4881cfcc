/*
 * action.c - actions, revisions, progress and decisions. See action.h.
 */
#include "action.h"
#include "entity.h"
#include "error.h"
#include "field.h"
#include "query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void now_text(char *out, size_t size)
{
	char today[11];

	wk_field_today(today);
	snprintf(out, size, "%s", today);
}

int wk_action_add(wk_store *st, const wk_action_new *a, char **id_out)
{
	char id[64], target[16], assessment[128];
	int rc;

	if (id_out)
		*id_out = NULL;
	if ((rc = wk_field_text("action text", a->text, 0, 1)) < 0 ||
	    (rc = wk_field_text("owner", a->owner, 200, 1)) < 0 ||
	    (rc = wk_field_target("target date", a->target, target, sizeof(target))) < 0)
		return rc;
	if (!!a->recommendation == !!a->baseline)
		return wk_error_set(WK_EUSAGE, "an action belongs to a recommendation (--rec) or a baseline (--baseline), not both");
	if (a->recommendation) {
		if ((rc = wk_entity_exists(st, "recommendation", a->recommendation)) <= 0)
			return rc < 0 ? rc : wk_error_set(WK_ENOTFOUND, "no recommendation '%s'; 'wicket actionplan show' lists them",
			                                  a->recommendation);
	} else {
		snprintf(assessment, sizeof(assessment), "%s/%s", a->plan ? a->plan : "", a->baseline);
		if ((rc = wk_entity_exists(st, "assessment", assessment)) <= 0)
			return rc < 0 ? rc : wk_error_set(WK_ENOTFOUND, "plan '%s' has no baseline '%s'",
			                                  a->plan ? a->plan : "", a->baseline);
	}
	if ((rc = wk_entity_new_id(st, 'a', id, sizeof(id))) < 0 ||
	    (rc = wk_entity_create(st, "action", id)) < 0 ||
	    (rc = wk_entity_set(st, "action", id, a->recommendation ? "recommendation" : "assessment",
	                        a->recommendation ? a->recommendation : assessment)) < 0 ||
	    (rc = wk_entity_set(st, "action", id, "text", a->text)) < 0 ||
	    (rc = wk_entity_set(st, "action", id, "owner", a->owner)) < 0 ||
	    (rc = wk_entity_set(st, "action", id, "target_date", target)) < 0 ||
	    (rc = wk_entity_set(st, "action", id, "target_text", a->target)) < 0 ||
	    (rc = wk_entity_set(st, "action", id, "status", "open")) < 0)
		return rc;
	if (id_out && !(*id_out = strdup(id)))
		return wk_error_set(WK_ELIMIT, "out of memory");
	return 0;
}

static int action_exists(wk_store *st, const char *id)
{
	int rc = wk_entity_exists(st, "action", id);

	if (rc == 0)
		return wk_error_set(WK_ENOTFOUND, "no action '%s'; 'wicket action list' shows them", id);
	return rc < 0 ? rc : 0;
}

int wk_action_revise(wk_store *st, const char *id, const char *target_in, const char *reason)
{
	char target[16], rid[64], recorded[32], *prev = NULL;
	int rc;

	if ((rc = wk_field_target("target date", target_in, target, sizeof(target))) < 0)
		return rc;
	if (!reason || !*reason)
		return wk_error_set(WK_EINVALID, "a revised target date needs a reason (--reason TEXT)");
	if ((rc = wk_field_text("reason", reason, 0, 1)) < 0 ||
	    (rc = wk_entity_get(st, "action", id, "target_date", &prev)) < 0)
		return rc;
	if (prev && strcmp(prev, target) == 0) {
		free(prev);
		return 0;
	}
	now_text(recorded, sizeof(recorded));
	if ((rc = wk_entity_new_id(st, 'r', rid, sizeof(rid))) == 0 &&
	    (rc = wk_entity_create(st, "action_revision", rid)) == 0 &&
	    (rc = wk_entity_set(st, "action_revision", rid, "action", id)) == 0 &&
	    (rc = wk_entity_set(st, "action_revision", rid, "previous_date", prev)) == 0 &&
	    (rc = wk_entity_set(st, "action_revision", rid, "target_date", target)) == 0 &&
	    (rc = wk_entity_set(st, "action_revision", rid, "reason", reason)) == 0 &&
	    (rc = wk_entity_set(st, "action_revision", rid, "recorded_at", recorded)) == 0 &&
	    (rc = wk_entity_set(st, "action", id, "target_date", target)) == 0)
		rc = wk_entity_set(st, "action", id, "target_text", target_in);
	free(prev);
	return rc;
}

int wk_action_update(wk_store *st, const char *id, const wk_action_change *c)
{
	int rc;

	if ((rc = action_exists(st, id)) < 0)
		return rc;
	if (!c->text && !c->owner && !c->status && !c->target)
		return wk_error_set(WK_EUSAGE, "nothing to change: give --text, --owner, --status or --target with --reason");
	if ((c->text && (rc = wk_field_text("action text", c->text, 0, 1)) < 0) ||
	    (c->owner && (rc = wk_field_text("owner", c->owner, 200, 1)) < 0) ||
	    (c->status && (rc = wk_field_enum("status", c->status, wk_action_statuses)) < 0))
		return rc;
	if (c->status && strcmp(c->status, "completed") == 0)
		return wk_error_set(WK_EUSAGE, "use 'wicket action complete %s --date DATE' to complete an action", id);
	if (c->reason && !c->target)
		return wk_error_set(WK_EUSAGE, "--reason goes with --target: it explains a revised target date");
	if ((c->text && (rc = wk_entity_set(st, "action", id, "text", c->text)) < 0) ||
	    (c->owner && (rc = wk_entity_set(st, "action", id, "owner", c->owner)) < 0) ||
	    (c->status && (rc = wk_entity_set(st, "action", id, "status", c->status)) < 0) ||
	    /* Reopened or cancelled: it is no longer complete. */
	    (c->status && (rc = wk_entity_set(st, "action", id, "completion_date", NULL)) < 0) ||
	    (c->target && (rc = wk_action_revise(st, id, c->target, c->reason)) < 0))
		return rc;
	return 0;
}

int wk_action_complete(wk_store *st, const char *id, const char *date, const char *today)
{
	char *status = NULL;
	int rc;

	if ((rc = action_exists(st, id)) < 0 || (rc = wk_field_date("completion date", date)) < 0)
		return rc;
	if (strcmp(date, today) > 0)
		return wk_error_set(WK_EINVALID, "completion date %s is in the future (today is %s)", date, today);
	if ((rc = wk_entity_get(st, "action", id, "status", &status)) < 0)
		return rc;
	rc = status && strcmp(status, "cancelled") == 0 ?
		wk_error_set(WK_ECONFLICT, "action %s is cancelled; reopen it first with 'wicket action update %s --status open'", id, id) :
		status && strcmp(status, "completed") == 0 ?
		wk_error_set(WK_ECONFLICT, "action %s is already complete", id) : 0;
	free(status);
	if (rc < 0)
		return rc;
	if ((rc = wk_entity_set(st, "action", id, "status", "completed")) < 0)
		return rc;
	return wk_entity_set(st, "action", id, "completion_date", date);
}

int wk_action_progress(wk_store *st, const char *id, const char *text, const char *person)
{
	char pid[64], recorded[32];
	int rc;

	if ((rc = action_exists(st, id)) < 0 || (rc = wk_field_text("progress text", text, 0, 1)) < 0)
		return rc;
	now_text(recorded, sizeof(recorded));
	if ((rc = wk_entity_new_id(st, 'p', pid, sizeof(pid))) < 0 ||
	    (rc = wk_entity_create(st, "progress", pid)) < 0 ||
	    (rc = wk_entity_set(st, "progress", pid, "action", id)) < 0 ||
	    (rc = wk_entity_set(st, "progress", pid, "recorded_at", recorded)) < 0 ||
	    (rc = wk_entity_set(st, "progress", pid, "text", text)) < 0)
		return rc;
	return wk_entity_set(st, "progress", pid, "person", person);
}

#define ACTION_JSON(X) \
	"json_object('id', " X ".id, 'recommendation', " X ".recommendation, 'assessment', " X ".assessment," \
	" 'text', " X ".text, 'owner', " X ".owner, 'target_date', " X ".target_date," \
	" 'target_text', " X ".target_text, 'status', " X ".status, 'completion_date', " X ".completion_date)"

int wk_action_show(wk_store *st, const char *id, json_t **out)
{
	int rc;

	if ((rc = action_exists(st, id)) < 0)
		return rc;
	return wk_query_json(st, (const char *[]){ id }, 1,
		"SELECT json_set(" ACTION_JSON("x") ","
		" '$.revisions', (SELECT json_group_array(json_object('previous_date', r.previous_date,"
		"   'target_date', r.target_date, 'reason', r.reason, 'recorded_at', r.recorded_at))"
		"   FROM (SELECT * FROM action_revision WHERE action = x.id ORDER BY recorded_at, rowid) r),"
		" '$.progress', (SELECT json_group_array(json_object('recorded_at', g.recorded_at,"
		"   'text', g.text, 'person', g.person))"
		"   FROM (SELECT * FROM progress WHERE action = x.id ORDER BY recorded_at, rowid) g))"
		" FROM action x WHERE x.id = ?1", out);
}

int wk_action_list(wk_store *st, const char *today, int overdue_only, json_t **out)
{
	/* An action is overdue when open and its target (a day, or the end of a month) has passed. */
	return wk_query_json(st, (const char *[]){ today, overdue_only ? "1" : "0" }, 2,
		"SELECT json_group_array(" ACTION_JSON("x") ") FROM (SELECT a.* FROM action a"
		" LEFT JOIN recommendation r ON r.id = a.recommendation"
		" WHERE NOT ?2 OR (a.status IN ('open', 'in_progress') AND a.target_date IS NOT NULL"
		"  AND (CASE WHEN length(a.target_date) = 7 THEN date(a.target_date || '-01', '+1 month', '-1 day')"
		"       ELSE a.target_date END) < ?1)"
		" ORDER BY r.inspection, r.position, a.position, a.id) x", out);
}

int wk_decision_add(wk_store *st, const char *plan, const char *decided_on, const char *decision,
                    const char *rationale, const char *who)
{
	char id[64], recorded[32];
	int rc;

	if ((rc = wk_entity_exists(st, "plan", plan)) <= 0)
		return rc < 0 ? rc : wk_error_set(WK_ENOTFOUND, "no plan '%s'", plan);
	if (!decided_on)
		return wk_error_set(WK_EINVALID, "decision date is required (--date YYYY-MM-DD)");
	if ((rc = wk_field_date("decision date", decided_on)) < 0 ||
	    (rc = wk_field_text("decision", decision, 0, 1)) < 0 ||
	    (rc = wk_field_text("rationale", rationale, 0, 1)) < 0 ||
	    (rc = wk_field_text("who decided", who, 200, 1)) < 0)
		return rc;
	now_text(recorded, sizeof(recorded));
	if ((rc = wk_entity_new_id(st, 'd', id, sizeof(id))) < 0 ||
	    (rc = wk_entity_create(st, "decision", id)) < 0 ||
	    (rc = wk_entity_set(st, "decision", id, "plan", plan)) < 0 ||
	    (rc = wk_entity_set(st, "decision", id, "decided_on", decided_on)) < 0 ||
	    (rc = wk_entity_set(st, "decision", id, "recorded_at", recorded)) < 0 ||
	    (rc = wk_entity_set(st, "decision", id, "decision", decision)) < 0 ||
	    (rc = wk_entity_set(st, "decision", id, "rationale", rationale)) < 0)
		return rc;
	return wk_entity_set(st, "decision", id, "who", who);
}

int wk_decision_list(wk_store *st, const char *plan, json_t **out)
{
	return wk_query_json(st, (const char *[]){ plan }, 1,
		"SELECT json_group_array(json_object('id', id, 'plan', plan, 'decided_on', decided_on,"
		" 'recorded_at', recorded_at, 'decision', decision, 'rationale', rationale, 'who', who))"
		" FROM (SELECT * FROM decision WHERE ?1 IS NULL OR plan = ?1 ORDER BY decided_on, rowid)", out);
}
