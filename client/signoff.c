/*
 * signoff.c - sign-off by the regional roles. See signoff.h.
 */
#include "signoff.h"
#include "entity.h"
#include "error.h"
#include "field.h"
#include "query.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int wk_signoff_content_hash(wk_store *st, const char *plan, char out[65])
{
	json_t *content = NULL;
	unsigned char h[32];
	char *text;
	int rc;

	/* The material content: the plan's own fields and every assessment, in a fixed order. */
	rc = wk_query_json(st, (const char *[]){ plan }, 1,
		"SELECT json_array(p.edm, p.title, p.current_stage, p.target_stage,"
		" (SELECT json_group_array(json_array(a.baseline, a.status, a.local_arrangement, a.owner, a.target_date,"
		"   a.evidence, a.rationale)) FROM (SELECT * FROM assessment WHERE plan = p.id ORDER BY baseline) a))"
		" FROM plan p WHERE p.id = ?1", &content);
	if (rc == WK_ENOTFOUND)
		return wk_error_set(rc, "no plan '%s'", plan);
	if (rc < 0)
		return rc;
	text = json_dumps(content, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(content);
	if (!text)
		return wk_error_set(WK_ELIMIT, "out of memory");
	crypto_hash_sha256(h, (const unsigned char *)text, strlen(text));
	free(text);
	sodium_bin2hex(out, 65, h, 32);
	return 0;
}

/* The roles the plan's EDM requires, as a JSON array. */
static int required_roles(wk_store *st, const char *plan, json_t **out)
{
	int rc = wk_query_json(st, (const char *[]){ plan }, 1,
		"SELECT coalesce(json_extract(d.doc, '$.signoff'), json_array('pgd', 'prison-gold'))"
		" FROM plan p JOIN national_doc d ON d.id = p.edm WHERE p.id = ?1", out);

	return rc == WK_ENOTFOUND ? wk_error_set(rc, "no plan '%s'", plan) : rc;
}

static int role_in(json_t *roles, const char *role)
{
	json_t *r;
	size_t i;

	json_array_foreach(roles, i, r)
		if (json_is_string(r) && strcmp(json_string_value(r), role) == 0)
			return 1;
	return 0;
}

int wk_signoff_sign(wk_store *st, const wk_signoff_request *r)
{
	char hash[65], id[160], *status = NULL, *submitter = NULL;
	json_t *roles = NULL, *list = NULL, *s;
	long long n = 0;
	size_t i, approved = 0;
	int rc;

	if (!r->role || (strcmp(r->role, "pgd") && strcmp(r->role, "prison-gold") && strcmp(r->role, "probation-gold")))
		return wk_error_set(WK_EINVALID, "--role must be pgd, prison-gold or probation-gold");
	if (r->reason && (rc = wk_field_text("reason", r->reason, 0, 1)) < 0)
		return rc;
	if ((rc = wk_entity_get(st, "plan", r->plan, "status", &status)) < 0)
		return rc;
	if (!status || strcmp(status, "submitted") != 0) {
		rc = wk_error_set(WK_ECONFLICT, "plan %s is %s: only a submitted plan is signed off or returned", r->plan,
		                  status ? status : "without status");
		goto out;
	}
	if ((rc = required_roles(st, r->plan, &roles)) < 0)
		goto out;
	if (!role_in(roles, r->role)) {
		rc = wk_error_set(WK_EINVALID, "plan %s's EDM does not ask %s to sign it off", r->plan, r->role);
		goto out;
	}
	/* Who submitted it: the person of the last change that set the plan submitted. */
	{
		json_t *who = NULL;
		if (wk_query_json(st, (const char *[]){ r->plan }, 1,
		        "SELECT json_quote(person) FROM op WHERE entity = 'plan' AND entity_id = ?1 AND field = 'status'"
		        " AND new_value = 'submitted' ORDER BY hlc DESC LIMIT 1", &who) == 0 && json_is_string(who))
			submitter = strdup(json_string_value(who));
		json_decref(who);
	}
	if (submitter && strcmp(submitter, r->person) == 0) {
		rc = wk_error_set(WK_EPOLICY, "%s submitted plan %s and may not also sign it off", r->person, r->plan);
		goto out;
	}
	if ((rc = wk_signoff_content_hash(st, r->plan, hash)) < 0 ||
	    (rc = wk_query_int(st, (const char *[]){ r->plan }, 1, "SELECT count(*) FROM signoff WHERE plan = ?1", &n)) < 0)
		goto out;
	snprintf(id, sizeof(id), "%s/%s/%lld", r->plan, r->role, n + 1);
	if ((rc = wk_entity_create(st, "signoff", id)) < 0 ||
	    (rc = wk_entity_set(st, "signoff", id, "plan", r->plan)) < 0 ||
	    (rc = wk_entity_set(st, "signoff", id, "role", r->role)) < 0 ||
	    (rc = wk_entity_set(st, "signoff", id, "decision", r->reason ? "returned" : "approved")) < 0 ||
	    (rc = wk_entity_set(st, "signoff", id, "reason", r->reason)) < 0 ||
	    (rc = wk_entity_set(st, "signoff", id, "content_hash", hash)) < 0 ||
	    (rc = wk_entity_set(st, "signoff", id, "person", r->person)) < 0 ||
	    (rc = wk_entity_set(st, "signoff", id, "signed_at", r->today)) < 0)
		goto out;
	if (r->reason) {
		rc = wk_entity_set(st, "plan", r->plan, "status", "returned");
		goto out;
	}
	/* Approved once every required role has approved this same content. */
	if ((rc = wk_signoff_list(st, r->plan, &list)) < 0)
		goto out;
	json_array_foreach(json_object_get(list, "signoffs"), i, s)
		if (!json_is_true(json_object_get(s, "stale")) && json_is_true(json_object_get(s, "current")) &&
		    strcmp(json_string_value(json_object_get(s, "decision")), "approved") == 0)
			approved++;
	if (approved >= json_array_size(roles))
		rc = wk_entity_set(st, "plan", r->plan, "status", "approved");
out:
	json_decref(roles);
	json_decref(list);
	free(status);
	free(submitter);
	return rc;
}

int wk_signoff_list(wk_store *st, const char *plan, json_t **out)
{
	char hash[65];
	json_t *roles = NULL;
	int rc;

	*out = NULL;
	if ((rc = wk_signoff_content_hash(st, plan, hash)) < 0 || (rc = required_roles(st, plan, &roles)) < 0)
		return rc;
	/* Each role's latest decision is its current one; stale when the content has changed since. */
	rc = wk_query_json(st, (const char *[]){ plan, hash }, 2,
		"SELECT json_object('plan', ?1, 'signoffs', (SELECT json_group_array(json_object('role', s.role,"
		" 'decision', s.decision, 'reason', s.reason, 'person', s.person, 'signed_at', s.signed_at,"
		" 'current', json(CASE WHEN s.id = (SELECT t.id FROM signoff t WHERE t.plan = s.plan AND t.role = s.role"
		"   ORDER BY t.rowid DESC LIMIT 1) THEN 'true' ELSE 'false' END),"
		" 'stale', json(CASE WHEN s.content_hash <> ?2 THEN 'true' ELSE 'false' END)))"
		" FROM (SELECT * FROM signoff WHERE plan = ?1 ORDER BY rowid) s))", out);
	if (rc == 0) {
		json_object_set(*out, "required", roles);
		json_object_set_new(*out, "content_hash", json_string(hash));
	}
	json_decref(roles);
	return rc;
}
