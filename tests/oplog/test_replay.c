/*
 * The operation log is complete: replaying a store's operations into an empty
 * store gives the same state, for every kind of write the commands make.
 */
#include "test.h"
#include "fixture.h"
#include "action.h"
#include "inspection.h"
#include "oplog.h"
#include "plan.h"
#include "query.h"

static int ok(int rc)
{
	if (rc < 0)
		fprintf(stderr, "  error: %s\n", wk_error_msg());
	return rc == 0;
}

static void make_history(wk_store *st)
{
	wk_plan_options po = WK_PLAN_OPTIONS_INIT;
	wk_assessment_change c = WK_ASSESSMENT_CHANGE_INIT;
	wk_import_options io = WK_IMPORT_OPTIONS_INIT;
	wk_action_new an = WK_ACTION_NEW_INIT;
	wk_action_change ac = WK_ACTION_CHANGE_INIT;
	wk_rec_response rr = { "partly_agreed", "affordability", "the first half", "costs" };
	char *aid = NULL, *bid = NULL;

	CHECK(ok(wk_store_begin(st)));
	po.edm = "OMU";
	CHECK(ok(wk_plan_create(st, &po, NULL)));
	c.status = "met";
	c.owner = "Head of OMU";
	c.evidence = "minutes of 3 May";
	CHECK(ok(wk_baseline_set(st, "omu", "1.1", &c)));
	c.status = "not_applicable";
	c.owner = NULL;
	c.evidence = NULL;
	c.rationale = "scheme closed";
	CHECK(ok(wk_baseline_set(st, "omu", "5.2", &c)));
	CHECK(ok(wk_actionplan_import(st, test_src("samples/actionplan-omic-pre-release-2022.json"), &io, NULL)));
	CHECK(ok(wk_rec_respond(st, "omic-pre-release-2022/2", &rr)));
	an.recommendation = "omic-pre-release-2022/2";
	an.text = "Agree the scope with finance";
	an.owner = "Deputy Governor";
	an.target = "March 2027";
	CHECK(ok(wk_action_add(st, &an, &aid)));
	an.recommendation = NULL;
	an.plan = "omu";
	an.baseline = "2.4";
	an.text = "Clear the OASys backlog for early allocation cases";
	an.target = "2027-01-31";
	CHECK(ok(wk_action_add(st, &an, &bid)));
	ac.target = "2027-04-30";
	ac.reason = "two POM vacancies";
	CHECK(ok(wk_action_update(st, bid, &ac)));
	CHECK(ok(wk_action_progress(st, bid, "half of the cases done", "Test Person")));
	CHECK(ok(wk_action_complete(st, aid, "2026-11-01", "2026-11-22")));
	CHECK(ok(wk_decision_add(st, "omu", "2026-11-20", "Stay at stage 3", "MAPPA not yet restored", "Governor")));
	CHECK(ok(wk_plan_set_status(st, "omu", "submitted")));
	CHECK(ok(wk_store_commit(st)));
	free(aid);
	free(bid);
}

int main(void)
{
	char a_path[256], b_path[256];
	wk_store *a = fixture_site("LEI", "d1", a_path, sizeof(a_path)), *b = NULL;
	char *da, *db;
	long long nops = 0, kinds = 0;

	CHECK(a != NULL);
	if (!a)
		return test_summary();
	make_history(a);
	CHECK(ok(wk_query_int(a, NULL, 0, "SELECT count(*) FROM op", &nops)));
	CHECK(nops > 500);
	CHECK(ok(wk_query_int(a, NULL, 0, "SELECT count(DISTINCT entity) FROM op", &kinds)));
	CHECK_EQ_INT(kinds, 11); /* every record type was written, policy scripts too */

	snprintf(b_path, sizeof(b_path), "%s.replay", a_path);
	CHECK(ok(wk_store_create(&b, b_path)));
	CHECK(ok(wk_log_replay(a, b)));
	da = fixture_dump(a);
	db = fixture_dump(b);
	CHECK(da && db && strlen(da) > 10000);
	CHECK(da && db && strcmp(da, db) == 0);
	if (da && db && strcmp(da, db) != 0)
		fprintf(stderr, "state differs after replay\n");
	free(db);

	/* The comparison can fail: one changed field shows. */
	sqlite3_exec(wk_store_db(b), "UPDATE action SET owner = 'someone else' WHERE rowid = 1", NULL, NULL, NULL);
	db = fixture_dump(b);
	CHECK(da && db && strcmp(da, db) != 0);

	/* The replayed log is the same log: same clocks, devices and people. */
	CHECK(ok(wk_query_int(b, NULL, 0, "SELECT count(*) FROM op", &kinds)));
	CHECK_EQ_INT(kinds, nops);
	free(da);
	free(db);
	wk_store_close(a);
	wk_store_close(b);
	return test_summary();
}
