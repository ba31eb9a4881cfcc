/*
 * The national catalogue: loading is idempotent; a newer EDM version is added
 * beside the old one and never overwrites an establishment's assessments; a
 * changed document under an old version number is refused.
 */
#include "test.h"
#include "fixture.h"
#include "catalogue.h"
#include "plan.h"
#include "query.h"

static long long count(wk_store *st, const char *sql)
{
	long long n = -1;

	wk_query_int(st, NULL, 0, sql, &n);
	return n;
}

/* The OMU EDM's source with "version = 1," replaced and one more substitution. */
static char *omu_variant(const char *version, const char *from, const char *to, size_t *len)
{
	wk_buf src = WK_BUF_INIT, out = WK_BUF_INIT;
	char *at;

	if (wk_buf_read_file(&src, test_src("policies/national/edm/omu.lua"), 1 << 22, "edm") < 0)
		return NULL;
	at = strstr(src.ptr, "version = 1,");
	if (!at)
		return NULL;
	wk_buf_put(&out, src.ptr, (size_t)(at - src.ptr));
	wk_buf_printf(&out, "version = %s,", version);
	wk_buf_puts(&out, at + strlen("version = 1,"));
	wk_buf_free(&src);
	if (from) {
		at = strstr(out.ptr, from);
		if (!at)
			return NULL;
		wk_buf_put(&src, out.ptr, (size_t)(at - out.ptr));
		wk_buf_puts(&src, to);
		wk_buf_puts(&src, at + strlen(from));
		wk_buf_free(&out);
		out = src;
	}
	*len = out.len;
	return wk_buf_detach(&out);
}

static int load(wk_store *st, const char *src, size_t len, int *added)
{
	int rc = wk_store_begin(st);

	if (rc == 0)
		rc = wk_catalogue_load_source(st, "edm/omu.lua", src, len, added);
	if (rc == 0)
		rc = wk_store_commit(st);
	else
		wk_store_rollback(st);
	return rc;
}

int main(void)
{
	char path[256], *v2, *v1changed, *before, *after, *id = NULL;
	wk_store *st = fixture_site("LEI", "d1", path, sizeof(path));
	wk_plan_options po = WK_PLAN_OPTIONS_INIT;
	wk_assessment_change c = WK_ASSESSMENT_CHANGE_INIT;
	long long ops;
	size_t len2, len1;
	int added = 0;

	CHECK(st != NULL);
	if (!st)
		return test_summary();
	CHECK_EQ_INT(count(st, "SELECT count(*) FROM edm_baseline"), 22);
	CHECK_EQ_INT(count(st, "SELECT count(*) FROM stage"), 4);

	/* Loading the same catalogue again changes nothing. */
	ops = count(st, "SELECT count(*) FROM op");
	CHECK_EQ_INT(wk_store_begin(st), 0);
	CHECK_EQ_INT(wk_catalogue_load(st, getenv("WICKET_POLICY_DIR") ? getenv("WICKET_POLICY_DIR") : "policies", &added), 0);
	CHECK_EQ_INT(wk_store_commit(st), 0);
	CHECK_EQ_INT(added, 0);
	CHECK_EQ_INT(count(st, "SELECT count(*) FROM op"), ops);

	/* An establishment's plan and assessments on version 1. */
	CHECK_EQ_INT(wk_store_begin(st), 0);
	po.edm = "OMU";
	CHECK_EQ_INT(wk_plan_create(st, &po, NULL), 0);
	c.status = "met";
	c.owner = "Head of OMU";
	CHECK_EQ_INT(wk_baseline_set(st, "omu", "2.4", &c), 0);
	CHECK_EQ_INT(wk_store_commit(st), 0);
	before = fixture_dump(st);

	/* Version 2 reweights 2.4: added beside version 1, the plan untouched. */
	/* 2.4 is the first weight-3 partial-autonomy baseline in the file. */
	v2 = omu_variant("2", "weighting = 3,\n          autonomy = \"partial\"",
	                "weighting = 2,\n          autonomy = \"partial\"", &len2);
	CHECK(v2 != NULL);
	added = 0;
	CHECK_EQ_INT(load(st, v2, len2, &added), 0);
	CHECK_EQ_INT(added, 1);
	CHECK_EQ_INT(count(st, "SELECT count(*) FROM national_doc WHERE kind = 'edm'"), 2);
	CHECK_EQ_INT(count(st, "SELECT weighting FROM edm_baseline WHERE edm_id = 'edm:OMU@2' AND baseline = '2.4'"), 2);
	CHECK_EQ_INT(count(st, "SELECT weighting FROM edm_baseline WHERE edm_id = 'edm:OMU@1' AND baseline = '2.4'"), 3);
	CHECK_EQ_INT(count(st, "SELECT count(*) FROM plan WHERE edm = 'edm:OMU@1'"), 1);
	after = fixture_dump(st);
	/* Everything the establishment wrote is as it was. */
	CHECK(before && after && strstr(after, strstr(before, "== establishment")) != NULL);
	CHECK_EQ_INT(wk_catalogue_resolve(st, "OMU", &id), 0);
	CHECK_EQ_STR(id, "edm:OMU@2");
	free(id);
	/* Loading version 2 again: nothing new. */
	added = 0;
	CHECK_EQ_INT(load(st, v2, len2, &added), 0);
	CHECK_EQ_INT(added, 0);

	/* Version 1 with other content is refused: a change needs a new version number. */
	v1changed = omu_variant("1", "Bail", "Bail and remand", &len1);
	CHECK(v1changed != NULL);
	ops = count(st, "SELECT count(*) FROM op");
	CHECK_EQ_INT(load(st, v1changed, len1, NULL), WK_ECONFLICT);
	CHECK_CONTAINS(wk_error_msg(), "needs a new version number");
	CHECK_EQ_INT(count(st, "SELECT count(*) FROM op"), ops);

	/* A document that is not data is refused with the script's name and line. */
	CHECK(load(st, "return { kind = 'edm', version = 3, code = 'X', areas = {} } .. nil", 63, NULL) < 0);
	CHECK_CONTAINS(wk_error_msg(), "edm/omu.lua");

	free(v2);
	free(v1changed);
	free(before);
	free(after);
	wk_store_close(st);
	return test_summary();
}
