/*
 * rules.c - policy scripts in the store, rule inputs from the store, and the
 * write guard. See rules.h.
 */
#include "rules.h"
#include "buf.h"
#include "entity.h"
#include "error.h"
#include "field.h"
#include "policy.h"
#include "query.h"

#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- scripts in the store ------------------------------------------------ */

typedef struct {
	wk_policy_script s[WK_POLICY_MAX_SCRIPTS];
	char *names[WK_POLICY_MAX_SCRIPTS];
	char *srcs[WK_POLICY_MAX_SCRIPTS];
	size_t n;
} script_set;

static void scripts_free(script_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		free(set->names[i]);
		free(set->srcs[i]);
	}
	set->n = 0;
}

static int scripts_add(script_set *set, const char *name, const char *src, size_t len)
{
	if (set->n >= WK_POLICY_MAX_SCRIPTS)
		return wk_error_set(WK_ELIMIT, "more than %d policy scripts", WK_POLICY_MAX_SCRIPTS);
	set->names[set->n] = strdup(name);
	set->srcs[set->n] = malloc(len + 1);
	if (!set->names[set->n] || !set->srcs[set->n])
		return wk_error_set(WK_ELIMIT, "out of memory");
	memcpy(set->srcs[set->n], src, len);
	set->srcs[set->n][len] = '\0';
	set->s[set->n].name = set->names[set->n];
	set->s[set->n].src = set->srcs[set->n];
	set->s[set->n].len = len;
	set->n++;
	return 0;
}

/*
 * The national scripts, then this establishment's own (never another
 * site's, which a region's store also holds), each in name order; with a
 * candidate site script (name, src) taking the place of the installed script
 * of that name, or added after the site's scripts.
 */
static int scripts_load(wk_store *st, script_set *set, const char *cand, const char *src, size_t len)
{
	sqlite3_stmt *s = NULL;
	char *site = NULL;
	int rc, placed = 0;

	memset(set, 0, sizeof(*set));
	if ((rc = wk_store_meta_get(st, "site", &site)) < 0)
		return rc;
	rc = wk_store_prepare(st, &s,
	        "SELECT id, source FROM policy_script WHERE source IS NOT NULL"
	        " AND (kind = 'national' OR substr(id, 1, length(?1) + 7) = 'sites/' || ?1 || '/')"
	        " ORDER BY kind <> 'national', id");
	if (rc < 0) {
		free(site);
		return rc;
	}
	sqlite3_bind_text(s, 1, site ? site : "", -1, SQLITE_TRANSIENT);
	free(site);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);

		if (cand && strcmp(name, cand) == 0) {
			rc = scripts_add(set, cand, src, len);
			placed = 1;
		} else {
			rc = scripts_add(set, name, (const char *)sqlite3_column_text(s, 1),
			                 (size_t)sqlite3_column_bytes(s, 1));
		}
		if (rc < 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot read the policy scripts");
	if (rc == 0 && cand && !placed)
		rc = scripts_add(set, cand, src, len);
out:
	sqlite3_finalize(s);
	if (rc < 0)
		scripts_free(set);
	return rc;
}

/* Evaluate entry over input (JSON text) with the installed scripts (and a candidate); the result in *out. */
static int eval_text(wk_store *st, const char *entry, const char *in, const char *cand, const char *src,
                     size_t len, json_t **out)
{
	script_set set;
	wk_buf res = WK_BUF_INIT;
	json_error_t jerr;
	char today[11];
	int rc;

	*out = NULL;
	wk_field_today(today);
	if ((rc = scripts_load(st, &set, cand, src, len)) < 0)
		return rc;
	if ((rc = wk_policy_eval(&res, set.s, set.n, entry, in, today, NULL)) < 0)
		goto out;
	*out = json_loadb(res.ptr, res.len, 0, &jerr);
	if (!*out)
		rc = wk_error_set(WK_EINVALID, "policy result for %s is not readable: %s", entry, jerr.text);
out:
	wk_buf_free(&res);
	scripts_free(&set);
	return rc;
}

static int eval(wk_store *st, const char *entry, json_t *input, const char *cand, const char *src,
                size_t len, json_t **out)
{
	char *in = json_dumps(input, JSON_COMPACT);
	int rc;

	*out = NULL;
	if (!in)
		return wk_error_set(WK_ELIMIT, "out of memory");
	rc = eval_text(st, entry, in, cand, src, len, out);
	free(in);
	return rc;
}

static int script_put(wk_store *st, const char *name, const char *kind, const char *src, size_t len,
                      int *version)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	char hex[crypto_hash_sha256_BYTES * 2 + 1], *held = NULL, today[11], *text;
	long long v = 0;
	int rc;

	if (version)
		*version = 0;
	if (strlen(src) != len)
		return wk_error_set(WK_EINVALID, "policy script '%s' holds a NUL byte", name);
	crypto_hash_sha256(hash, (const unsigned char *)src, len);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	if ((rc = wk_entity_exists(st, "policy_script", name)) < 0)
		return rc;
	if (rc == 1) {
		if ((rc = wk_entity_get(st, "policy_script", name, "sha256", &held)) < 0)
			return rc;
		rc = held && strcmp(held, hex) == 0;
		free(held);
		if (rc)
			return 0; /* the same script: nothing to do */
		if ((rc = wk_query_int(st, (const char *[]){ name }, 1,
		        "SELECT version FROM policy_script WHERE id = ?1", &v)) < 0)
			return rc;
	} else if ((rc = wk_entity_create(st, "policy_script", name)) < 0) {
		return rc;
	}
	wk_field_today(today);
	text = (char *)src;
	if ((rc = wk_entity_set(st, "policy_script", name, "kind", kind)) < 0 ||
	    (rc = wk_entity_set_int(st, "policy_script", name, "version", v + 1)) < 0 ||
	    (rc = wk_entity_set(st, "policy_script", name, "sha256", hex)) < 0 ||
	    (rc = wk_entity_set(st, "policy_script", name, "source", text)) < 0 ||
	    (rc = wk_entity_set(st, "policy_script", name, "installed_at", today)) < 0)
		return rc;
	if (version)
		*version = (int)(v + 1);
	return 0;
}

static int lua_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 4 && strcmp(d->d_name + n - 4, ".lua") == 0 &&
	       strcmp(d->d_name, "stages.lua") != 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int load_dir(wk_store *st, const char *dir, const char *prefix, int *added)
{
	struct dirent **list = NULL;
	wk_buf src = WK_BUF_INIT;
	char path[4200], name[300];
	int n, i, rc = 0, v;

	n = scandir(dir, &list, lua_name, by_name);
	if (n < 0)
		return 0; /* no such folder: no scripts there */
	for (i = 0; i < n; i++) {
		if (rc == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
			snprintf(name, sizeof(name), "%s%s", prefix, list[i]->d_name);
			rc = wk_buf_read_file(&src, path, (size_t)1 << 20, "policy script");
			if (rc == 0)
				rc = script_put(st, name, "national", src.ptr, src.len, &v);
			if (rc == 0 && v && added)
				(*added)++;
		}
		free(list[i]);
	}
	free(list);
	wk_buf_free(&src);
	return rc;
}

int wk_rules_load_national(wk_store *st, const char *policy_dir, int *added)
{
	char dir[4200];
	int rc;

	snprintf(dir, sizeof(dir), "%s/national", policy_dir);
	if ((rc = load_dir(st, dir, "national/", added)) < 0)
		return rc;
	snprintf(dir, sizeof(dir), "%s/national/rules", policy_dir);
	return load_dir(st, dir, "national/rules/", added);
}

int wk_rules_site_name(wk_store *st, const char *path, char *out, size_t size)
{
	const char *base = strrchr(path, '/');
	char *site = NULL;
	int rc;

	if ((rc = wk_store_meta_get(st, "site", &site)) < 0)
		return rc;
	snprintf(out, size, "sites/%s/%s", site ? site : "?", base ? base + 1 : path);
	free(site);
	return 0;
}

static int site_name_ok(wk_store *st, const char *name)
{
	char *site = NULL, prefix[64];
	int rc;

	if ((rc = wk_store_meta_get(st, "site", &site)) < 0)
		return rc;
	snprintf(prefix, sizeof(prefix), "sites/%s/", site ? site : "");
	free(site);
	if (strncmp(name, prefix, strlen(prefix)) != 0 || strlen(name) > 56 || strlen(name) <= strlen(prefix))
		return wk_error_set(WK_EPOLICY,
			"policy script name '%s' must start with '%s' (a site installs only its own scripts; at most 56 characters)",
			name, prefix);
	return 0;
}

/* What autonomy is checked against: every EDM held, newest versions. */
static int describe_input(wk_store *st, json_t **out)
{
	int rc = wk_query_json(st, NULL, 0,
		"SELECT json_object('edms', (SELECT json_group_array(json(doc)) FROM national_doc d"
		" WHERE kind = 'edm' AND version = (SELECT max(version) FROM national_doc e WHERE e.code = d.code)),"
		" 'edm', json((SELECT doc FROM national_doc WHERE kind = 'edm' ORDER BY version DESC LIMIT 1)))", out);
	return rc == WK_ENOTFOUND ? wk_error_set(rc, "the catalogue is empty") : rc;
}

int wk_rules_check(wk_store *st, const char *name, const char *src, size_t len, json_t **describe)
{
	json_t *in = NULL, *res = NULL;
	int rc;

	if (describe)
		*describe = NULL;
	if ((rc = site_name_ok(st, name)) < 0 || (rc = describe_input(st, &in)) < 0)
		return rc;
	rc = eval(st, "describe", in, name, src, len, &res);
	json_decref(in);
	if (rc == 0 && describe)
		*describe = res;
	else
		json_decref(res);
	return rc;
}

int wk_rules_install(wk_store *st, const char *name, const char *src, size_t len, int *version)
{
	int rc = wk_rules_check(st, name, src, len, NULL);

	if (rc < 0)
		return rc;
	return script_put(st, name, "site", src, len, version);
}

int wk_rules_list(wk_store *st, json_t **out)
{
	return wk_query_json(st, NULL, 0,
		"SELECT json_group_array(json_object('name', id, 'kind', kind, 'version', version,"
		" 'sha256', sha256, 'installed_at', installed_at, 'bytes', length(CAST(source AS BLOB))))"
		" FROM (SELECT * FROM policy_script ORDER BY kind <> 'national', id)", out);
}

int wk_rules_show(wk_store *st, const char *name, json_t **out)
{
	int rc = wk_query_json(st, (const char *[]){ name }, 1,
		"SELECT json_object('name', id, 'kind', kind, 'version', version, 'sha256', sha256,"
		" 'installed_at', installed_at, 'source', source) FROM policy_script WHERE id = ?1", out);

	return rc == WK_ENOTFOUND ? wk_error_set(rc, "no policy script '%s'; 'wicket policy list' shows them", name) : rc;
}

/* ---- inputs from the store ------------------------------------------------ */

#define ASSESSMENTS_SQL(PLAN) \
	"(SELECT json_group_array(json_object('baseline', a.baseline, 'status', a.status, 'owner', a.owner," \
	" 'target_date', a.target_date, 'evidence', a.evidence, 'rationale', a.rationale," \
	" 'local_arrangement', a.local_arrangement)) FROM assessment a WHERE a.plan = " PLAN ")"

int wk_rules_readiness(wk_store *st, const char *plan, int stage, json_t **out)
{
	json_t *in = NULL;
	char sstage[4];
	int rc;

	*out = NULL;
	if (stage < 1 || stage > 4)
		return wk_error_set(WK_EINVALID, "stage %d is not a stage; use 4, 3, 2 or 1", stage);
	snprintf(sstage, sizeof(sstage), "%d", stage);
	rc = wk_query_json(st, (const char *[]){ plan, sstage }, 2,
		"SELECT json_object('stage', CAST(?2 AS INTEGER),"
		" 'establishment', (SELECT json_object('code', e.id, 'name', e.name, 'category', e.category,"
		"   'function', e.function, 'current_stage', e.current_stage) FROM establishment e WHERE e.id = p.establishment),"
		" 'plan', json_object('id', p.id, 'current_stage', p.current_stage, 'target_stage', p.target_stage),"
		" 'edm', json((SELECT doc FROM national_doc WHERE id = p.edm)),"
		" 'assessments', " ASSESSMENTS_SQL("p.id") ")"
		" FROM plan p WHERE p.id = ?1", &in);
	if (rc == WK_ENOTFOUND)
		return wk_error_set(rc, "no plan '%s'", plan);
	if (rc == 0)
		rc = eval(st, "readiness", in, NULL, NULL, 0, out);
	json_decref(in);
	return rc;
}

int wk_rules_sequence(wk_store *st, const char *plan, json_t **out)
{
	json_t *in = NULL;
	int rc;

	*out = NULL;
	rc = wk_query_json(st, (const char *[]){ plan }, 1,
		"SELECT json_object('edm', json((SELECT doc FROM national_doc WHERE id = p.edm)),"
		" 'assessments', " ASSESSMENTS_SQL("p.id") ") FROM plan p WHERE p.id = ?1", &in);
	if (rc == WK_ENOTFOUND)
		return wk_error_set(rc, "no plan '%s'", plan);
	if (rc == 0)
		rc = eval(st, "sequence", in, NULL, NULL, 0, out);
	json_decref(in);
	return rc;
}

#define ACTION_SQL(X) \
	"json_object('id', " X ".id, 'text', " X ".text, 'owner', " X ".owner, 'target_date', " X ".target_date," \
	" 'target_text', " X ".target_text, 'status', " X ".status, 'completion_date', " X ".completion_date," \
	" 'baseline', (SELECT baseline FROM assessment WHERE id = " X ".assessment)," \
	" 'revisions', (SELECT json_group_array(json_object('target_date', v.target_date, 'reason', v.reason," \
	"   'previous_date', v.previous_date)) FROM action_revision v WHERE v.action = " X ".id))"

/*
 * The validate input for one inspection (NULL: none), with the baseline
 * actions, assessments and free text: JSON text straight from the store, read
 * only by the policy host.
 */
static int validate_input(wk_store *st, const char *inspection, int with_rest, char **out)
{
	return wk_query_text(st, (const char *[]){ inspection, with_rest ? "1" : "0" }, 2,
		"SELECT json_object("
		" 'edm', json((SELECT doc FROM national_doc WHERE kind = 'edm' ORDER BY version DESC LIMIT 1)),"
		" 'inspection', (SELECT json_object('id', i.id, 'title', i.title, 'report_published', i.report_published,"
		"   'plan_submitted', i.plan_submitted) FROM inspection i WHERE i.id = ?1),"
		" 'recommendations', (SELECT json_group_array(json_object('number', r.number, 'response', r.response,"
		"   'reason_category', r.reason_category, 'part_implemented', r.part_implemented,"
		"   'response_text', r.response_text, 'text', r.text,"
		"   'text_missing', json(CASE WHEN r.text_missing THEN 'true' ELSE 'false' END),"
		"   'actions', (SELECT json_group_array(" ACTION_SQL("x") ") FROM (SELECT * FROM action"
		"     WHERE recommendation = r.id ORDER BY position IS NULL, position, id) x)))"
		"   FROM (SELECT * FROM recommendation WHERE inspection = ?1 ORDER BY position) r),"
		" 'actions', (SELECT json_group_array(" ACTION_SQL("y") ") FROM action y"
		"   WHERE ?2 AND y.assessment IS NOT NULL),"
		" 'assessments', (SELECT json_group_array(json_object('baseline', a.baseline, 'plan', a.plan,"
		"   'status', a.status, 'owner', a.owner, 'target_date', a.target_date, 'evidence', a.evidence,"
		"   'rationale', a.rationale, 'local_arrangement', a.local_arrangement)) FROM assessment a WHERE ?2),"
		" 'free_text', (SELECT json_group_array(json_object('where', w, 'text', t)) FROM ("
		"   SELECT 'progress on action ' || action AS w, text AS t FROM progress WHERE ?2"
		"   UNION ALL SELECT 'decision ' || id, decision || char(10) || coalesce(rationale, '') FROM decision WHERE ?2"
		"   UNION ALL SELECT 'action ' || id || ' revision', reason FROM action_revision WHERE ?2)))", out);
}

static int append_all(json_t *into, json_t *from, const char *key)
{
	return json_array_extend(json_object_get(into, key), json_object_get(from, key));
}

int wk_rules_validate(wk_store *st, json_t **out)
{
	sqlite3_stmt *s = NULL;
	json_t *res = NULL, *all;
	char *in = NULL;
	int rc, first = 1;

	*out = NULL;
	all = json_pack("{s:b, s:[], s:[], s:[]}", "ok", 1, "errors", "warnings", "inspections");
	if (!all)
		return wk_error_set(WK_ELIMIT, "out of memory");
	if ((rc = wk_store_prepare(st, &s, "SELECT id FROM inspection ORDER BY id")) < 0)
		goto out;
	for (;;) {
		const char *ins = NULL;

		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			ins = (const char *)sqlite3_column_text(s, 0);
		else if (rc != SQLITE_DONE) {
			rc = wk_store_fail(st, rc, "cannot read inspections");
			goto out;
		} else if (!first)
			break;
		if ((rc = validate_input(st, ins, first, &in)) < 0 ||
		    (rc = eval_text(st, "validate", in, NULL, NULL, 0, &res)) < 0)
			goto out;
		append_all(all, res, "errors");
		append_all(all, res, "warnings");
		if (ins)
			json_array_append_new(json_object_get(all, "inspections"), json_string(ins));
		json_object_set(all, "scripts", json_object_get(res, "scripts"));
		free(in);
		json_decref(res);
		in = NULL;
		res = NULL;
		first = 0;
		if (!ins)
			break;
	}
	json_object_set_new(all, "ok", json_boolean(json_array_size(json_object_get(all, "errors")) == 0));
	*out = all;
	all = NULL;
	rc = 0;
out:
	sqlite3_finalize(s);
	free(in);
	json_decref(res);
	json_decref(all);
	return rc;
}

int wk_rules_test(wk_store *st, const char *name, const char *src, size_t len,
                  const char *test_name, const char *test_src, size_t test_len, json_t **report)
{
	script_set set;
	wk_buf res = WK_BUF_INIT;
	wk_policy_script test = { test_name, test_src, test_len };
	json_t *fx = NULL;
	json_error_t jerr;
	char today[11], *fixtures = NULL;
	int rc, trc;

	*report = NULL;
	wk_field_today(today);
	if ((rc = describe_input(st, &fx)) < 0)
		return rc;
	fixtures = json_dumps(fx, JSON_COMPACT);
	json_decref(fx);
	if ((rc = scripts_load(st, &set, name, src, len)) < 0)
		goto out;
	trc = wk_policy_test(&res, set.s, set.n, &test, fixtures, today, NULL);
	if (trc < 0 && trc != WK_EPOLICY) {
		rc = trc;
		goto out;
	}
	*report = json_loadb(res.ptr, res.len, 0, &jerr);
	rc = *report ? trc : wk_error_set(WK_EINVALID, "policy test report is not readable: %s", jerr.text);
out:
	free(fixtures);
	wk_buf_free(&res);
	scripts_free(&set);
	return rc;
}

/* ---- the write guard ------------------------------------------------------ */

static json_t *error_keys(json_t *result)
{
	json_t *keys = json_object(), *e;
	size_t i;
	char key[1024];

	json_array_foreach(json_object_get(result, "errors"), i, e) {
		snprintf(key, sizeof(key), "%s|%s|%s", json_string_value(json_object_get(e, "rule")),
		         json_string_value(json_object_get(e, "where")), json_string_value(json_object_get(e, "message")));
		json_object_set_new(keys, key, json_true());
	}
	return keys;
}

static int has_scripts(wk_store *st)
{
	long long n = 0;

	return wk_query_int(st, NULL, 0, "SELECT count(*) FROM policy_script", &n) == 0 && n > 0;
}

/* The first error of after that is not in before (NULL: none). Borrowed from after. */
static json_t *new_error(json_t *after, json_t *before_keys)
{
	json_t *e;
	size_t i;
	char key[1024];

	json_array_foreach(json_object_get(after, "errors"), i, e) {
		snprintf(key, sizeof(key), "%s|%s|%s", json_string_value(json_object_get(e, "rule")),
		         json_string_value(json_object_get(e, "where")), json_string_value(json_object_get(e, "message")));
		if (!before_keys || !json_object_get(before_keys, key))
			return e;
	}
	return NULL;
}

static int refuse(json_t *e)
{
	const char *src = json_string_value(json_object_get(e, "source"));

	return wk_error_set(WK_EPOLICY, "refused by policy%s%s%s: %s: %s (rule %s); nothing was written",
	                    src ? " '" : "", src ? src : "", src ? "'" : "",
	                    json_string_value(json_object_get(e, "where")),
	                    json_string_value(json_object_get(e, "message")),
	                    json_string_value(json_object_get(e, "rule")));
}

int wk_rules_guard(wk_store *st, int (*change)(wk_store *st, void *arg), void *arg)
{
	json_t *after = NULL, *before = NULL, *keys = NULL, *e;
	int rc;

	if (!has_scripts(st))
		return change(st, arg);
	if ((rc = wk_store_exec(st, "SAVEPOINT wk_guard", "cannot start a change")) < 0)
		return rc;
	if ((rc = change(st, arg)) < 0 || (rc = wk_rules_validate(st, &after)) < 0)
		goto out;
	if (json_array_size(json_object_get(after, "errors")) == 0)
		goto out; /* the common case: one validation */
	/* Errors: were they there before this change? */
	if ((rc = wk_store_exec(st, "ROLLBACK TO wk_guard", "cannot undo the change")) < 0 ||
	    (rc = wk_rules_validate(st, &before)) < 0)
		goto out;
	keys = error_keys(before);
	if ((e = new_error(after, keys)) != NULL) {
		rc = refuse(e);
		goto out;
	}
	rc = change(st, arg);
out:
	if (rc < 0) {
		/*
		 * Undo quietly: the failure's own message is the one to read. After
		 * an I/O error or a full disk SQLite may already have rolled the
		 * whole transaction back, savepoint included; the caller rolls back.
		 */
		sqlite3_exec(wk_store_db(st), "ROLLBACK TO wk_guard", NULL, NULL, NULL);
		sqlite3_exec(wk_store_db(st), "RELEASE wk_guard", NULL, NULL, NULL);
	} else {
		rc = wk_store_exec(st, "RELEASE wk_guard", "cannot finish the change");
	}
	json_decref(after);
	json_decref(before);
	json_decref(keys);
	return rc;
}
