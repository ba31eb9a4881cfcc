/*
 * A local write's clock is after every operation the store holds, even when
 * another writer added one between two transactions, and after a rolled-back
 * savepoint or transaction; inside one transaction the store keeps the clock
 * in memory rather than reading it for every write.
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

static long long newest(wk_store *st)
{
	long long v = -1;

	wk_query_int(st, NULL, 0, "SELECT max(hlc) FROM op", &v);
	return v;
}

/* The clock of the newest local write of the assessment's evidence. */
static long long last_set(wk_store *st, const char *id)
{
	const char *args[] = { id };
	long long v = -1;

	wk_query_int(st, args, 1, "SELECT max(hlc) FROM op WHERE kind = 'set' AND entity_id = ?1"
	             " AND field = 'evidence' AND device = 'd1'", &v);
	return v;
}

/* Another writer, through its own connection, adds an operation far in the future. */
static long long other_writer(const char *path, long long ahead)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	long long future = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, "INSERT INTO op(hlc, device, person, entity, entity_id, kind)"
	                           " SELECT max(hlc) + ?1, 'd9', 'Other Person', 'plan', 'omu', 'create' FROM op"
	                           " RETURNING hlc", -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(s, 1, ahead);
	if (sqlite3_step(s) == SQLITE_ROW)
		future = sqlite3_column_int64(s, 0);
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return future;
}

int main(void)
{
	char path[256], *id = NULL;
	wk_store *st = fixture_site("LEI", "d1", path, sizeof(path));
	wk_plan_options po = WK_PLAN_OPTIONS_INIT;
	long long h1, h2, future;

	CHECK(st != NULL);
	if (!st)
		return test_summary();
	po.edm = "OMU";
	CHECK(ok(wk_store_begin(st)));
	CHECK(ok(wk_plan_create(st, &po, NULL)));
	CHECK(ok(wk_store_commit(st)));
	CHECK(ok(wk_query_text(st, NULL, 0, "SELECT min(id) FROM assessment", &id)));
	CHECK(id != NULL);
	if (!id)
		return test_summary();

	/* Several writes in one transaction: each after the last. */
	CHECK(ok(wk_store_begin(st)));
	CHECK(ok(wk_entity_set(st, "assessment", id, "evidence", "first")));
	h1 = last_set(st, id);
	CHECK(ok(wk_entity_set(st, "assessment", id, "evidence", "second")));
	h2 = last_set(st, id);
	CHECK(h2 > h1);
	CHECK_EQ_INT(h2, newest(st));
	CHECK(ok(wk_store_commit(st)));

	/* Between transactions another writer adds an operation far ahead of the wall clock. */
	future = other_writer(path, (long long)1 << 40);
	CHECK(future > h2);
	CHECK(ok(wk_store_begin(st)));
	CHECK(ok(wk_entity_set(st, "assessment", id, "evidence", "third")));
	CHECK(last_set(st, id) > future);
	CHECK(ok(wk_store_commit(st)));

	/* A rolled-back transaction, then another writer, then a write. */
	CHECK(ok(wk_store_begin(st)));
	CHECK(ok(wk_entity_set(st, "assessment", id, "evidence", "undone")));
	wk_store_rollback(st);
	future = other_writer(path, (long long)1 << 40);
	CHECK(ok(wk_store_begin(st)));
	CHECK(ok(wk_entity_set(st, "assessment", id, "evidence", "fourth")));
	CHECK(last_set(st, id) > future);
	CHECK(ok(wk_store_commit(st)));

	/* A write with no transaction of the caller's, after another writer. */
	future = other_writer(path, (long long)1 << 40);
	CHECK(ok(wk_entity_set(st, "assessment", id, "evidence", "fifth")));
	CHECK(last_set(st, id) > future);

	/* A savepoint rolled back inside a transaction: the next write is still after all held. */
	CHECK(ok(wk_store_begin(st)));
	CHECK(ok(wk_entity_set(st, "assessment", id, "evidence", "sixth")));
	CHECK(ok(wk_store_exec(st, "SAVEPOINT t", "savepoint")));
	CHECK(ok(wk_entity_set(st, "assessment", id, "evidence", "seventh")));
	CHECK(ok(wk_store_exec(st, "ROLLBACK TO t", "rollback to")));
	CHECK(ok(wk_store_exec(st, "RELEASE t", "release")));
	h1 = newest(st);
	CHECK(ok(wk_entity_set(st, "assessment", id, "evidence", "eighth")));
	CHECK(last_set(st, id) > h1);
	CHECK(ok(wk_store_commit(st)));

	/* Every write was recorded with its value, in clock order. */
	{
		char *vals = NULL;
		CHECK(ok(wk_query_text(st, (const char *[]){ id }, 1,
		        "SELECT group_concat(new_value, ',') FROM (SELECT new_value FROM op WHERE entity_id = ?1"
		        " AND field = 'evidence' AND kind = 'set' ORDER BY hlc)", &vals)));
		CHECK_EQ_STR(vals, "first,second,third,fourth,fifth,sixth,eighth");
		free(vals);
	}
	free(id);
	wk_store_close(st);
	return test_summary();
}
