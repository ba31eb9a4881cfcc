/*
 * Policies as store content: installing a script is versioned and recorded
 * as operations; results name the exact script versions; every write is
 * validated before it commits; a script that weakens national rules is
 * refused with its name, line and baseline.
 */
#include "test.h"
#include "fixture.h"
#include "inspection.h"
#include "plan.h"
#include "query.h"
#include "rules.h"

#include <sodium.h>

static long long count(wk_store *st, const char *sql)
{
	long long n = -1;

	wk_query_int(st, NULL, 0, sql, &n);
	return n;
}

static char *file(const char *rel, size_t *len)
{
	wk_buf b = WK_BUF_INIT;

	if (wk_buf_read_file(&b, test_src(rel), 1 << 20, "test file") < 0)
		return NULL;
	*len = b.len;
	return wk_buf_detach(&b);
}

static int install(wk_store *st, const char *name, const char *src, size_t len, int *version)
{
	int rc = wk_store_begin(st);

	if (rc == 0)
		rc = wk_rules_install(st, name, src, len, version);
	if (rc == 0)
		rc = wk_store_commit(st);
	else
		wk_store_rollback(st);
	return rc;
}

static int respond_not_agreed(wk_store *st, void *arg)
{
	wk_rec_response r = { "not_agreed", "policy", NULL, "we do not agree" };

	return wk_rec_respond(st, arg, &r);
}

static int set_owner(wk_store *st, void *arg)
{
	wk_assessment_change c = WK_ASSESSMENT_CHANGE_INIT;

	c.owner = arg;
	return wk_baseline_set(st, "omu", "1.2", &c);
}

static int guarded(wk_store *st, int (*fn)(wk_store *, void *), void *arg)
{
	int rc = wk_store_begin(st);

	if (rc == 0)
		rc = wk_rules_guard(st, fn, arg);
	if (rc == 0)
		rc = wk_store_commit(st);
	else
		wk_store_rollback(st);
	return rc;
}

int main(void)
{
	char path[256], hex[65], *src, *bad, *dump0, *dump1;
	unsigned char hash[32];
	wk_store *st = fixture_site("HMP-A", "a1", path, sizeof(path));
	wk_plan_options po = WK_PLAN_OPTIONS_INIT;
	wk_import_options io = WK_IMPORT_OPTIONS_INIT;
	json_t *res = NULL, *s;
	size_t len = 0, blen, i;
	long long ops;
	int version = -1, rc, named = 0;

	if (!st)
		return 1;
	po.edm = "OMU";
	CHECK_EQ_INT(wk_store_begin(st), 0);
	CHECK_EQ_INT(wk_plan_create(st, &po, NULL), 0);
	CHECK_EQ_INT(wk_actionplan_import(st, test_src("samples/actionplan-omic-pre-release-2022.json"), &io, NULL), 0);
	CHECK_EQ_INT(wk_store_commit(st), 0);
	/* The national rules were loaded at init as store content. */
	CHECK_EQ_INT(count(st, "SELECT count(*) FROM policy_script WHERE kind = 'national'"), 1);

	/* Install: version 1, recorded as operations. */
	src = file("policies/sites/HMP-A/rules.lua", &len);
	CHECK(src != NULL);
	if (!src)
		return test_summary();
	CHECK_EQ_INT(install(st, "sites/HMP-A/rules.lua", src, len, &version), 0);
	CHECK_EQ_INT(version, 1);
	CHECK(count(st, "SELECT count(*) FROM op WHERE entity = 'policy_script' AND entity_id = 'sites/HMP-A/rules.lua'") >= 5);
	/* The same again: nothing changes. */
	ops = count(st, "SELECT count(*) FROM op");
	CHECK_EQ_INT(install(st, "sites/HMP-A/rules.lua", src, len, &version), 0);
	CHECK_EQ_INT(version, 0);
	CHECK_EQ_INT(count(st, "SELECT count(*) FROM op"), ops);

	/* Results name the scripts and the sha256 of their exact bytes. */
	crypto_hash_sha256(hash, (const unsigned char *)src, len);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	CHECK_EQ_INT(wk_rules_readiness(st, "omu", 2, &res), 0);
	CHECK_EQ_STR(json_string_value(json_object_get(res, "result")), "red");
	json_array_foreach(json_object_get(res, "scripts"), i, s)
		if (strcmp(json_string_value(json_object_get(s, "name")), "sites/HMP-A/rules.lua") == 0 &&
		    strcmp(json_string_value(json_object_get(s, "sha256")), hex) == 0)
			named = 1;
	CHECK(named);
	json_decref(res);
	CHECK_EQ_INT(wk_rules_validate(st, &res), 0);
	CHECK(json_is_true(json_object_get(res, "ok")));
	CHECK_EQ_INT(json_array_size(json_object_get(res, "scripts")), 2);
	json_decref(res);

	/* A changed script is version 2. */
	src = realloc(src, len + 32);
	memcpy(src + len, "\n-- reviewed in November\n", 26);
	CHECK_EQ_INT(install(st, "sites/HMP-A/rules.lua", src, len + 25, &version), 0);
	CHECK_EQ_INT(version, 2);

	/* A script that marks a limited baseline not applicable is refused, naming script, line and baseline. */
	bad = strdup("-- tries to drop a limited baseline\nwicket.not_applicable(\"1.1\", \"we would rather not\")\n");
	blen = strlen(bad);
	ops = count(st, "SELECT count(*) FROM op");
	rc = install(st, "sites/HMP-A/bad.lua", bad, blen, &version);
	CHECK_EQ_INT(rc, WK_EPOLICY);
	CHECK_CONTAINS(wk_error_msg(), "sites/HMP-A/bad.lua");
	CHECK_CONTAINS(wk_error_msg(), "line 2");
	CHECK_CONTAINS(wk_error_msg(), "1.1");
	CHECK_EQ_INT(count(st, "SELECT count(*) FROM op"), ops);
	/* Another site's name is refused too. */
	CHECK_EQ_INT(install(st, "sites/LEI/rules.lua", src, len, &version), WK_EPOLICY);

	/* The guard: a change that breaks a national rule is refused, and nothing is written. */
	dump0 = fixture_dump(st);
	rc = guarded(st, respond_not_agreed, "omic-pre-release-2022/2");
	CHECK_EQ_INT(rc, WK_EPOLICY);
	CHECK_CONTAINS(wk_error_msg(), "national.not-agreed-no-actions");
	CHECK_CONTAINS(wk_error_msg(), "recommendation 2");
	dump1 = fixture_dump(st);
	CHECK(dump0 && dump1 && strcmp(dump0, dump1) == 0);
	free(dump1);
	/* A change that breaks nothing goes through. */
	CHECK_EQ_INT(guarded(st, set_owner, "Head of OMU"), 0);
	/* An error already held (here written past the guard) does not block unrelated work... */
	CHECK_EQ_INT(wk_store_begin(st), 0);
	CHECK_EQ_INT(respond_not_agreed(st, "omic-pre-release-2022/3"), 0);
	CHECK_EQ_INT(wk_store_commit(st), 0);
	CHECK_EQ_INT(guarded(st, set_owner, "Deputy Head of OMU"), 0);
	CHECK_EQ_INT(count(st, "SELECT count(*) FROM assessment WHERE id = 'omu/1.2' AND owner = 'Deputy Head of OMU'"), 1);
	/* ...but a new one still does. */
	CHECK_EQ_INT(guarded(st, respond_not_agreed, "omic-pre-release-2022/4"), WK_EPOLICY);

	/* Validation checks autonomy against the EDM: a bad script that got into the store is caught. */
	CHECK_EQ_INT(wk_store_begin(st), 0);
	CHECK_EQ_INT(wk_entity_create(st, "policy_script", "sites/HMP-A/smuggled.lua"), 0);
	CHECK_EQ_INT(wk_entity_set(st, "policy_script", "sites/HMP-A/smuggled.lua", "kind", "site"), 0);
	CHECK_EQ_INT(wk_entity_set(st, "policy_script", "sites/HMP-A/smuggled.lua", "source", bad), 0);
	CHECK_EQ_INT(wk_store_commit(st), 0);
	CHECK_EQ_INT(wk_rules_validate(st, &res), WK_EPOLICY);
	CHECK_CONTAINS(wk_error_msg(), "smuggled.lua");

	free(dump0);
	free(bad);
	free(src);
	wk_store_close(st);
	return test_summary();
}
