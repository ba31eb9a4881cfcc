/*
 * Every operation a real store records can be sealed: a new establishment's
 * whole log (its national documents, policy scripts, a plan, an imported
 * action plan and its actions) goes into changesets, which encode, decode
 * to the same operations, and replayed into an empty store give the same
 * state as the original.
 */
#include "test.h"
#include "fixture.h"
#include "action.h"
#include "changeset.h"
#include "inspection.h"
#include "oplog.h"
#include "plan.h"
#include "query.h"

#define DEVICE "d4f3a21"

static int ok(int rc)
{
	if (rc < 0)
		fprintf(stderr, "  error: %s\n", wk_error_msg());
	return rc == 0;
}

typedef struct {
	wk_changeset *cs[8];
	size_t n;
	wk_buf enc[8];
	long long ops;
} sealer;

/* Seal the current changeset: encode it and start the next, chained to it. */
static int seal(sealer *s)
{
	unsigned char h[32];
	wk_changeset *cs = s->cs[s->n - 1];
	int rc;

	if ((rc = wk_changeset_encode(&s->enc[s->n - 1], cs)) < 0)
		return rc;
	if (s->n == 8)
		return wk_error_set(WK_ELIMIT, "test: too many changesets");
	wk_changeset_hash(h, (const unsigned char *)s->enc[s->n - 1].ptr, s->enc[s->n - 1].len);
	return wk_changeset_new(&s->cs[s->n++], "LEI", DEVICE, cs->seq + 1, h, WK_STORE_SCHEMA_VERSION);
}

static int add(const wk_op *op, void *arg)
{
	sealer *s = arg;
	int rc;

	if (strcmp(op->device, DEVICE) != 0)
		return 0;
	if (strcmp(op->entity, "national_doc") == 0 && strcmp(op->kind, "create") == 0 &&
	    (rc = wk_changeset_add_catalogue(s->cs[s->n - 1], op->entity_id)) < 0)
		return rc;
	rc = wk_changeset_add_op(s->cs[s->n - 1], op);
	if (rc == WK_ELIMIT) {
		if ((rc = seal(s)) < 0)
			return rc;
		rc = wk_changeset_add_op(s->cs[s->n - 1], op);
	}
	s->ops++;
	return rc;
}

static void make_history(wk_store *st)
{
	wk_plan_options po = WK_PLAN_OPTIONS_INIT;
	wk_assessment_change c = WK_ASSESSMENT_CHANGE_INIT;
	wk_import_options io = WK_IMPORT_OPTIONS_INIT;
	wk_action_new an = WK_ACTION_NEW_INIT;
	char *aid = NULL;

	CHECK(ok(wk_store_begin(st)));
	po.edm = "OMU";
	CHECK(ok(wk_plan_create(st, &po, NULL)));
	c.status = "met";
	c.owner = "Head of OMU \xe2\x80\x93 Siobh\xc3\xa1n";
	c.evidence = "minutes of 3 May";
	CHECK(ok(wk_baseline_set(st, "omu", "1.1", &c)));
	CHECK(ok(wk_actionplan_import(st, test_src("samples/actionplan-omic-pre-release-2022.json"), &io, NULL)));
	an.plan = "omu";
	an.baseline = "2.4";
	an.text = "Clear the OASys backlog for early allocation cases";
	an.owner = "Deputy Governor";
	an.target = "2027-01-31";
	CHECK(ok(wk_action_add(st, &an, &aid)));
	CHECK(ok(wk_store_commit(st)));
	free(aid);
}

/* Apply every op of the decoded changesets to st, in one transaction. */
static void apply_all(wk_store *st, wk_changeset **cs, size_t n)
{
	size_t i, j;
	int rc = 0;

	CHECK(ok(wk_store_begin(st)));
	for (i = 0; i < n && rc == 0; i++)
		for (j = 0; j < cs[i]->nops && rc == 0; j++)
			rc = wk_entity_apply(st, &cs[i]->ops[j]);
	CHECK(ok(rc));
	CHECK(ok(wk_store_commit(st)));
}

int main(void)
{
	char a_path[256], b_path[256];
	wk_store *a = fixture_site("LEI", DEVICE, a_path, sizeof(a_path)), *b = NULL;
	sealer s = { { NULL }, 1, { WK_BUF_INIT }, 0 };
	wk_changeset *back[8] = { NULL };
	long long nops = 0;
	size_t i, total = 0;
	char *da, *db;

	CHECK(a != NULL);
	if (!a)
		return test_summary();
	make_history(a);
	CHECK(ok(wk_query_int(a, NULL, 0, "SELECT count(*) FROM op", &nops)));
	CHECK(nops > 300);

	CHECK(ok(wk_changeset_new(&s.cs[0], "LEI", DEVICE, 1, NULL, WK_STORE_SCHEMA_VERSION)));
	CHECK(ok(wk_log_each(a, 0, add, &s)));
	CHECK_EQ_INT(s.ops, nops);
	CHECK(ok(wk_changeset_encode(&s.enc[s.n - 1], s.cs[s.n - 1])));
	CHECK(s.cs[0]->ncatalogue >= 2);
	CHECK_EQ_STR(s.cs[0]->catalogue[0], "edm:OMU@1");

	/* Decode each; the chain holds; the ops are the log's. */
	for (i = 0; i < s.n; i++) {
		unsigned char h[32];

		CHECK(ok(wk_changeset_decode(&back[i], (const unsigned char *)s.enc[i].ptr, s.enc[i].len, NULL)));
		if (!back[i])
			break;
		total += back[i]->nops;
		CHECK_EQ_INT(back[i]->seq, i + 1);
		if (i > 0) {
			wk_changeset_hash(h, (const unsigned char *)s.enc[i - 1].ptr, s.enc[i - 1].len);
			CHECK(memcmp(back[i]->prev, h, 32) == 0);
		}
	}
	CHECK_EQ_INT(total, nops);

	snprintf(b_path, sizeof(b_path), "%s.sealed", a_path);
	CHECK(ok(wk_store_create(&b, b_path)));
	if (b && total == (size_t)nops)
		apply_all(b, back, s.n);
	da = fixture_dump(a);
	db = b ? fixture_dump(b) : NULL;
	CHECK(da && db && strlen(da) > 10000 && strcmp(da, db) == 0);

	for (i = 0; i < s.n; i++) {
		wk_changeset_free(s.cs[i]);
		wk_changeset_free(back[i]);
		wk_buf_free(&s.enc[i]);
	}
	free(da);
	free(db);
	wk_store_close(a);
	wk_store_close(b);
	return test_summary();
}
