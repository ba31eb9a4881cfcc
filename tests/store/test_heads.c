/*
 * A local write over concurrent values: it settles the heads that hold the
 * value it sees; a resolution settles every head and needs at least two; a
 * field with more concurrent values than a change may settle is refused by
 * name, and nothing is written.
 */
#include "test.h"
#include "fixture.h"
#include "plan.h"
#include "query.h"

static int ok(int rc)
{
	if (rc < 0)
		fprintf(stderr, "  error: %s\n", wk_error_msg());
	return rc == 0;
}

/* n writes of the field from other devices, none seeing another: n concurrent heads. */
static int concurrent(wk_store *st, const char *id, const char *field, int n, int64_t base)
{
	char dev[16], val[32];
	int i, rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		wk_op op = { 0, base + i, dev, "Other Person", "assessment", id, "set", field, NULL, val, NULL };
		snprintf(dev, sizeof(dev), "x%02d", i);
		snprintf(val, sizeof(val), "value %d", i);
		rc = wk_entity_apply(st, &op);
	}
	return rc;
}

static long long count(wk_store *st, const char *id, const char *sql)
{
	long long v = -1;

	wk_query_int(st, (const char *[]){ id }, 1, sql, &v);
	return v;
}

int main(void)
{
	char path[256], *id = NULL, *parents = NULL;
	wk_store *st = fixture_site("LEI", "d1", path, sizeof(path));
	wk_plan_options po = WK_PLAN_OPTIONS_INIT;
	long long ops;

	CHECK(st != NULL);
	if (!st)
		return test_summary();
	po.edm = "OMU";
	CHECK(ok(wk_store_begin(st)));
	CHECK(ok(wk_plan_create(st, &po, NULL)));
	CHECK(ok(wk_query_text(st, NULL, 0, "SELECT min(id) FROM assessment", &id)));
	if (!id)
		return test_summary();

	/* Three concurrent values: the field shows the newest; a write over it settles that head only. */
	CHECK(ok(concurrent(st, id, "evidence", 3, (int64_t)1 << 40)));
	CHECK_EQ_INT(count(st, id, "SELECT count(*) FROM field_head WHERE entity_id = ?1 AND field = 'evidence'"), 3);
	CHECK(ok(wk_entity_set(st, "assessment", id, "evidence", "mine")));
	CHECK(ok(wk_query_text(st, (const char *[]){ id }, 1, "SELECT parents FROM op WHERE entity_id = ?1 AND "
	                       "field = 'evidence' AND device = 'd1' ORDER BY seq DESC LIMIT 1", &parents)));
	CHECK_EQ_STR(parents, "x02@1099511627778");
	free(parents);
	CHECK_EQ_INT(count(st, id, "SELECT count(*) FROM field_head WHERE entity_id = ?1 AND field = 'evidence'"), 3);

	/* A resolution settles every head, in order. */
	CHECK(ok(wk_entity_resolve(st, "assessment", id, "evidence", "agreed")));
	CHECK(ok(wk_query_text(st, (const char *[]){ id }, 1, "SELECT parents FROM op WHERE entity_id = ?1 AND "
	                       "field = 'evidence' AND device = 'd1' ORDER BY seq DESC LIMIT 1", &parents)));
	CHECK(parents && strncmp(parents, "d1@", 3) == 0 && strstr(parents, ",x00@1099511627776,x01@1099511627777"));
	free(parents);
	CHECK_EQ_INT(count(st, id, "SELECT count(*) FROM field_head WHERE entity_id = ?1 AND field = 'evidence'"), 1);
	/* With one head left there is nothing to resolve, and nothing is written. */
	ops = count(st, id, "SELECT count(*) FROM op WHERE entity_id = ?1");
	CHECK(ok(wk_entity_resolve(st, "assessment", id, "evidence", "again")));
	CHECK_EQ_INT(count(st, id, "SELECT count(*) FROM op WHERE entity_id = ?1"), ops);

	/* More concurrent values than a change may settle: refused by name, nothing written. */
	CHECK(ok(concurrent(st, id, "owner", WK_ENTITY_MAX_PARENTS + 1, (int64_t)1 << 41)));
	ops = count(st, id, "SELECT count(*) FROM op WHERE entity_id = ?1");
	CHECK(wk_entity_resolve(st, "assessment", id, "owner", "one owner") == WK_ELIMIT);
	CHECK_CONTAINS(wk_error_msg(), "owner has 65 concurrent values; a change can settle at most 64");
	CHECK_CONTAINS(wk_error_msg(), "ask the region to resolve it");
	CHECK_EQ_INT(count(st, id, "SELECT count(*) FROM op WHERE entity_id = ?1"), ops);
	CHECK_EQ_INT(count(st, id, "SELECT count(*) FROM field_head WHERE entity_id = ?1 AND field = 'owner'"),
	             WK_ENTITY_MAX_PARENTS + 1);
	CHECK(ok(wk_store_commit(st)));
	free(id);
	wk_store_close(st);
	return test_summary();
}
