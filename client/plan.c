/*
 * plan.c - plans and baseline assessments. See plan.h.
 */
#include "plan.h"
#include "catalogue.h"
#include "entity.h"
#include "error.h"
#include "field.h"
#include "query.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The lifecycle: which status may follow which. */
static const struct { const char *from, *to; } transitions[] = {
	{ "draft", "submitted" },
	{ "returned", "submitted" },
	/* submitted -> approved | returned: only by the region's sign-off (signoff.h) */
	{ "approved", "superseded" },
	{ "submitted", "superseded" },
	{ "draft", "superseded" },
	{ "returned", "superseded" },
};

static int plan_id_ok(const char *id)
{
	size_t i, n = strlen(id);

	if (n < 1 || n > 48)
		return wk_error_set(WK_EINVALID, "plan id '%s' must be 1 to 48 characters", id);
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_')
			return wk_error_set(WK_EINVALID,
				"plan id '%s' may hold only letters, digits, '-' and '_'", id);
	return 0;
}

static int create_assessments(wk_store *st, const char *plan, const char *edm_id)
{
	sqlite3_stmt *s = NULL;
	char id[128];
	int rc;

	if ((rc = wk_store_prepare(st, &s,
	        "SELECT baseline FROM edm_baseline WHERE edm_id = ? ORDER BY position")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, edm_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *b = (const char *)sqlite3_column_text(s, 0);

		snprintf(id, sizeof(id), "%s/%s", plan, b);
		if ((rc = wk_entity_create(st, "assessment", id)) < 0 ||
		    (rc = wk_entity_set(st, "assessment", id, "plan", plan)) < 0 ||
		    (rc = wk_entity_set(st, "assessment", id, "baseline", b)) < 0 ||
		    (rc = wk_entity_set(st, "assessment", id, "status", "not_assessed")) < 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot read the catalogue");
out:
	sqlite3_finalize(s);
	return rc;
}

int wk_plan_create(wk_store *st, const wk_plan_options *o, char **id_out)
{
	char *edm_id = NULL, *site = NULL, id[64];
	long long towards = 0, current = 0;
	int rc, i;

	if (id_out)
		*id_out = NULL;
	if (!o->edm || !*o->edm)
		return wk_error_set(WK_EINVALID, "a plan needs an EDM (--edm CODE); 'wicket edm list' shows them");
	if ((rc = wk_catalogue_resolve(st, o->edm, &edm_id)) < 0)
		return rc;
	if (o->id) {
		snprintf(id, sizeof(id), "%s", o->id);
	} else {
		snprintf(id, sizeof(id), "%s", o->edm);
		for (i = 0; id[i] && id[i] != '@'; i++)
			id[i] = (char)tolower((unsigned char)id[i]);
		id[i] = '\0';
	}
	if ((rc = plan_id_ok(id)) < 0)
		goto out;
	if ((rc = wk_field_text("plan title", o->title, 400, 0)) < 0)
		goto out;
	if ((rc = wk_entity_exists(st, "plan", id)) != 0) {
		if (rc > 0)
			rc = wk_error_set(WK_EEXISTS, "plan '%s' already exists; give another id with --id", id);
		goto out;
	}
	if ((rc = wk_store_meta_get(st, "site", &site)) < 0)
		goto out;
	if ((rc = wk_query_int(st, (const char *[]){ edm_id }, 1,
	        "SELECT json_extract(doc, '$.towards_stage') FROM national_doc WHERE id = ?1", &towards)) < 0 ||
	    (rc = wk_query_int(st, (const char *[]){ site }, 1,
	        "SELECT current_stage FROM establishment WHERE id = ?1", &current)) < 0)
		goto out;
	if (o->current_stage)
		current = o->current_stage;
	if (o->target_stage)
		towards = o->target_stage;
	if (current < 1 || current > 4 || towards < 1 || towards > 4) {
		rc = wk_error_set(WK_EINVALID, "a plan's stages must be 1 to 4 (give --stage and --target)");
		goto out;
	}
	if ((rc = wk_entity_create(st, "plan", id)) < 0 ||
	    (rc = wk_entity_set(st, "plan", id, "establishment", site)) < 0 ||
	    (rc = wk_entity_set(st, "plan", id, "edm", edm_id)) < 0 ||
	    (rc = wk_entity_set(st, "plan", id, "title", o->title && *o->title ? o->title : NULL)) < 0 ||
	    (rc = wk_entity_set_int(st, "plan", id, "current_stage", current)) < 0 ||
	    (rc = wk_entity_set_int(st, "plan", id, "target_stage", towards)) < 0 ||
	    (rc = wk_entity_set(st, "plan", id, "status", "draft")) < 0 ||
	    (rc = create_assessments(st, id, edm_id)) < 0)
		goto out;
	if (id_out && !(*id_out = strdup(id)))
		rc = wk_error_set(WK_ELIMIT, "out of memory");
out:
	free(edm_id);
	free(site);
	return rc;
}

int wk_plan_resolve(wk_store *st, const char *arg, char **id)
{
	long long n = 0;
	json_t *j = NULL;
	int rc;

	*id = NULL;
	if (arg) {
		if ((rc = wk_entity_exists(st, "plan", arg)) < 0)
			return rc;
		if (rc == 0)
			return wk_error_set(WK_ENOTFOUND, "no plan '%s'; 'wicket plan list' shows the plans", arg);
		*id = strdup(arg);
		return *id ? 0 : wk_error_set(WK_ELIMIT, "out of memory");
	}
	if ((rc = wk_query_int(st, NULL, 0, "SELECT count(*) FROM plan", &n)) < 0)
		return rc;
	if (n != 1)
		return wk_error_set(n == 0 ? WK_ENOTFOUND : WK_EUSAGE, n == 0 ?
			"there is no plan yet; create one with 'wicket plan create --edm CODE'" :
			"there are several plans; name the one you mean ('wicket plan list' shows them)");
	if ((rc = wk_query_json(st, NULL, 0, "SELECT json_quote(id) FROM plan", &j)) < 0)
		return rc;
	*id = strdup(json_string_value(j));
	json_decref(j);
	return *id ? 0 : wk_error_set(WK_ELIMIT, "out of memory");
}

int wk_plan_set_status(wk_store *st, const char *plan, const char *status)
{
	char *cur = NULL;
	size_t i;
	int rc;

	if ((rc = wk_field_enum("plan status", status, wk_plan_statuses)) < 0 ||
	    (rc = wk_entity_get(st, "plan", plan, "status", &cur)) < 0)
		return rc;
	rc = wk_error_set(WK_ECONFLICT, "plan '%s' is %s; it cannot become %s", plan,
	                  cur ? cur : "without status", status);
	for (i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
		if (cur && strcmp(transitions[i].from, cur) == 0 && strcmp(transitions[i].to, status) == 0)
			rc = wk_entity_set(st, "plan", plan, "status", status);
	if (rc == 0)
		wk_error_clear();
	free(cur);
	return rc;
}

/* The summary every plan view shares: counts by status, and the precursors not met. */
#define PLAN_SUMMARY_SQL(P) \
	"json_object(" \
	" 'baselines', (SELECT count(*) FROM assessment a WHERE a.plan = " P ")," \
	" 'by_status', (SELECT json_group_object(status, n) FROM (SELECT status, count(*) AS n" \
	"   FROM assessment a WHERE a.plan = " P " GROUP BY status ORDER BY status))," \
	" 'mandatory_weight3_not_met', (SELECT json_group_array(a.baseline) FROM assessment a" \
	"   JOIN plan p ON p.id = a.plan JOIN edm_baseline b ON b.edm_id = p.edm AND b.baseline = a.baseline" \
	"   WHERE a.plan = " P " AND b.mandatory AND b.weighting = 3" \
	"   AND a.status NOT IN ('met', 'not_applicable') ORDER BY b.position))"

int wk_plan_show(wk_store *st, const char *plan, json_t **out)
{
	int rc = wk_query_json(st, (const char *[]){ plan }, 1,
		"SELECT json_object('id', p.id, 'establishment', p.establishment, 'edm', p.edm,"
		" 'title', p.title, 'current_stage', p.current_stage, 'target_stage', p.target_stage,"
		" 'status', p.status, 'summary', json(" PLAN_SUMMARY_SQL("p.id") "),"
		" 'assessments', (SELECT json_group_array(json_object('baseline', a.baseline,"
		"   'area', b.area_number, 'weighting', b.weighting, 'autonomy', b.autonomy,"
		"   'mandatory', json(CASE WHEN b.mandatory THEN 'true' ELSE 'false' END),"
		"   'status', a.status, 'owner', a.owner, 'target_date', a.target_date,"
		"   'local_arrangement', a.local_arrangement, 'evidence', a.evidence, 'rationale', a.rationale))"
		"   FROM assessment a JOIN edm_baseline b ON b.edm_id = p.edm AND b.baseline = a.baseline"
		"   WHERE a.plan = p.id ORDER BY b.position))"
		" FROM plan p WHERE p.id = ?1", out);

	return rc == WK_ENOTFOUND ? wk_error_set(rc, "no plan '%s'", plan) : rc;
}

int wk_plan_list(wk_store *st, json_t **out)
{
	return wk_query_json(st, NULL, 0,
		"SELECT json_group_array(json_object('id', p.id, 'edm', p.edm, 'title', p.title,"
		" 'current_stage', p.current_stage, 'target_stage', p.target_stage, 'status', p.status,"
		" 'summary', json(" PLAN_SUMMARY_SQL("p.id") ")))"
		" FROM (SELECT * FROM plan ORDER BY id) AS p", out);
}

static int baseline_exists(wk_store *st, const char *plan, const char *baseline, char *id, size_t size)
{
	int rc;

	snprintf(id, size, "%s/%s", plan, baseline);
	if ((rc = wk_entity_exists(st, "assessment", id)) < 0)
		return rc;
	if (rc == 0)
		return wk_error_set(WK_ENOTFOUND, "plan '%s' has no baseline '%s'; 'wicket plan show' lists them",
		                    plan, baseline);
	return 0;
}

int wk_baseline_set(wk_store *st, const char *plan, const char *baseline,
                    const wk_assessment_change *c)
{
	char id[128];
	int rc;

	if ((rc = baseline_exists(st, plan, baseline, id, sizeof(id))) < 0)
		return rc;
	if ((c->status && (rc = wk_field_enum("status", c->status, wk_assessment_statuses)) < 0) ||
	    (c->target_date && *c->target_date && (rc = wk_field_date("target date", c->target_date)) < 0) ||
	    (rc = wk_field_text("owner", c->owner, 200, 0)) < 0 ||
	    (rc = wk_field_text("local arrangement", c->local_arrangement, 0, 0)) < 0 ||
	    (rc = wk_field_text("evidence", c->evidence, 0, 0)) < 0 ||
	    (rc = wk_field_text("rationale", c->rationale, 0, 0)) < 0)
		return rc;
	if (!c->status && !c->owner && !c->target_date && !c->local_arrangement && !c->evidence && !c->rationale)
		return wk_error_set(WK_EUSAGE, "nothing to change: give --status, --owner, --target, --arrangement, --evidence or --rationale");
	if (c->status && strcmp(c->status, "not_applicable") == 0 && (!c->rationale || !*c->rationale)) {
		char *have = NULL;
		rc = wk_entity_get(st, "assessment", id, "rationale", &have);
		if (rc == 0 && (!have || !*have))
			rc = wk_error_set(WK_EINVALID, "baseline %s: not_applicable needs a rationale (--rationale TEXT)", baseline);
		free(have);
		if (rc < 0)
			return rc;
	}
#define SET(field, v) \
	if ((v) && (rc = wk_entity_set(st, "assessment", id, field, *(v) ? (v) : NULL)) < 0) return rc
	SET("status", c->status);
	SET("owner", c->owner);
	SET("target_date", c->target_date);
	SET("local_arrangement", c->local_arrangement);
	SET("evidence", c->evidence);
	SET("rationale", c->rationale);
#undef SET
	return 0;
}

int wk_baseline_show(wk_store *st, const char *plan, const char *baseline, json_t **out)
{
	char id[128];
	int rc;

	if ((rc = baseline_exists(st, plan, baseline, id, sizeof(id))) < 0)
		return rc;
	return wk_query_json(st, (const char *[]){ id }, 1,
		"SELECT json_object('plan', a.plan, 'baseline', a.baseline, 'area', b.area_number,"
		" 'area_title', b.area_title, 'text', b.text, 'weighting', b.weighting,"
		" 'autonomy', b.autonomy, 'mandatory', json(CASE WHEN b.mandatory THEN 'true' ELSE 'false' END),"
		" 'sources', json(b.sources), 'status', a.status, 'owner', a.owner,"
		" 'target_date', a.target_date, 'local_arrangement', a.local_arrangement,"
		" 'evidence', a.evidence, 'rationale', a.rationale,"
		" 'actions', (SELECT json_group_array(json_object('id', x.id, 'text', x.text, 'owner', x.owner,"
		"   'target_date', x.target_date, 'status', x.status)) FROM action x WHERE x.assessment = a.id))"
		" FROM assessment a JOIN plan p ON p.id = a.plan"
		" JOIN edm_baseline b ON b.edm_id = p.edm AND b.baseline = a.baseline WHERE a.id = ?1", out);
}
