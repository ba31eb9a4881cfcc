/*
 * bench_record - P2: field changes recorded through the library in one
 * process, against raw SQLite doing the same writes, side by side.
 *
 *   wicket: wk_entity_set() of one field of one assessment (the plan's 22,
 *           the evidence, owner and local arrangement in turn, a new value
 *           each time): it reads the old value, updates the row, takes the
 *           next hybrid logical clock and records the operation;
 *   raw:    the same change as two prepared statements, reused: UPDATE the
 *           row, INSERT the operation (old and new value and clock supplied by
 *           the caller), on a second store of the same schema through the same
 *           SQLite handle type.
 *
 * Both in transactions of BATCH changes (BEGIN IMMEDIATE .. COMMIT, WAL with
 * synchronous=FULL, the store's settings): BATCH = N is one bulk
 * transaction (an import), BATCH = 1000 makes every thousand changes
 * durable. Rounds alternate wicket and raw; medians are reported.
 * Usage: bench_record [N [ROUNDS]]   (defaults 100000 and 5)
 */
#include "bench.h"
#include "entity.h"
#include "fixture.h"
#include "plan.h"

#define MAX_ASSESSMENTS 64

static const char *const fields[] = { "evidence", "owner", "local_arrangement" };

typedef struct {
	wk_store *st;
	char path[256];
	char *ids[MAX_ASSESSMENTS];
	int nids;
	long long serial;
	sqlite3_stmt *upd[3], *ins; /* raw only */
} side;

static void value(char *v, size_t n, long long k)
{
	snprintf(v, n, "bench change %lld: minutes of the review, item %lld", k, k % 97);
}

static int wk_change(side *s)
{
	char v[96];
	long long k = s->serial++;

	value(v, sizeof(v), k);
	return wk_entity_set(s->st, "assessment", s->ids[k % s->nids], fields[(k / s->nids) % 3], v);
}

static int raw_change(side *s)
{
	char v[96], old[96];
	long long k = s->serial++;
	int f = (int)((k / s->nids) % 3), rc;
	sqlite3_stmt *u = s->upd[f], *i = s->ins;

	value(v, sizeof(v), k);
	value(old, sizeof(old), k - s->nids * 3);
	sqlite3_bind_text(u, 1, v, -1, SQLITE_STATIC);
	sqlite3_bind_text(u, 2, s->ids[k % s->nids], -1, SQLITE_STATIC);
	rc = sqlite3_step(u);
	sqlite3_reset(u);
	if (rc != SQLITE_DONE)
		return -1;
	sqlite3_bind_int64(i, 1, (long long)1 << 40 | k);
	sqlite3_bind_text(i, 2, s->ids[k % s->nids], -1, SQLITE_STATIC);
	sqlite3_bind_text(i, 3, fields[f], -1, SQLITE_STATIC);
	sqlite3_bind_text(i, 4, old, -1, SQLITE_STATIC);
	sqlite3_bind_text(i, 5, v, -1, SQLITE_STATIC);
	rc = sqlite3_step(i);
	sqlite3_reset(i);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* n changes in transactions of batch; seconds, or -1. */
static double run(side *s, int raw, long long n, long long batch)
{
	sqlite3 *db = wk_store_db(s->st);
	double t0 = bench_now();
	long long i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		if (i % batch == 0 && (rc = wk_store_begin(s->st)) < 0)
			break;
		rc = raw ? raw_change(s) : wk_change(s);
		if (rc == 0 && (i + 1 == n || (i + 1) % batch == 0))
			rc = wk_store_commit(s->st);
	}
	if (rc != 0) {
		fprintf(stderr, "bench_record: %s\n", raw ? sqlite3_errmsg(db) : wk_error_msg());
		wk_store_rollback(s->st);
		return -1;
	}
	return bench_now() - t0;
}

static int setup(side *s, int raw)
{
	wk_plan_options po = WK_PLAN_OPTIONS_INIT;
	int f;

	memset(s, 0, sizeof(*s));
	if (!(s->st = fixture_site("BEN", "b1", s->path, sizeof(s->path))))
		return -1;
	po.edm = "OMU";
	if (wk_store_begin(s->st) < 0 || wk_plan_create(s->st, &po, NULL) < 0 || wk_store_commit(s->st) < 0)
		return -1;
	if ((s->nids = bench_assessments(s->st, s->ids, MAX_ASSESSMENTS)) <= 0)
		return -1;
	if (!raw)
		return 0;
	for (f = 0; f < 3; f++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "UPDATE assessment SET %s = ?1 WHERE id = ?2", fields[f]);
		if (sqlite3_prepare_v2(wk_store_db(s->st), sql, -1, &s->upd[f], NULL) != SQLITE_OK)
			return -1;
	}
	return sqlite3_prepare_v2(wk_store_db(s->st),
	        "INSERT INTO op(hlc, device, person, entity, entity_id, kind, field, old_value, new_value) "
	        "VALUES (?1, 'b1', 'Test Person', 'assessment', ?2, 'set', ?3, ?4, ?5)",
	        -1, &s->ins, NULL) == SQLITE_OK ? 0 : -1;
}

static long long count_ops(wk_store *st)
{
	sqlite3_stmt *s = NULL;
	long long n = -1;

	if (sqlite3_prepare_v2(wk_store_db(st), "SELECT count(*) FROM op WHERE kind = 'set'", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

int main(int argc, char **argv)
{
	long long n = argc > 1 ? atoll(argv[1]) : 100000, batches[2];
	int rounds = argc > 2 ? atoi(argv[2]) : 5, b, r, k;
	side w, raw;
	double *t[2][2], m[2][2];
	long long before[2];

	if (n < 1000 || rounds < 1) {
		fprintf(stderr, "usage: bench_record [N >= 1000 [ROUNDS >= 1]]\n");
		return 2;
	}
	batches[0] = n;
	batches[1] = 1000;
	if (setup(&w, 0) < 0 || setup(&raw, 1) < 0) {
		fprintf(stderr, "bench_record: set-up failed: %s\n", wk_error_msg());
		return 1;
	}
	before[0] = count_ops(w.st);
	before[1] = count_ops(raw.st);
	for (b = 0; b < 2; b++)
		for (k = 0; k < 2; k++)
			t[b][k] = calloc((size_t)rounds, sizeof(double));
	for (r = 0; r < rounds; r++)
		for (b = 0; b < 2; b++) {
			if ((t[b][0][r] = run(&w, 0, n, batches[b])) < 0 || (t[b][1][r] = run(&raw, 1, n, batches[b])) < 0)
				return 1;
		}
	/* Both sides recorded every change as an operation. */
	if (count_ops(w.st) - before[0] != 2 * rounds * n || count_ops(raw.st) - before[1] != 2 * rounds * n) {
		fprintf(stderr, "bench_record: not every change was recorded\n");
		return 1;
	}
	for (b = 0; b < 2; b++)
		for (k = 0; k < 2; k++)
			m[b][k] = bench_median(t[b][k], rounds);
	printf("| transactions (%lld field changes, median of %d rounds, one process) | wicket changes/s | raw SQLite "
	       "changes/s | wicket / raw time | target: wicket >= 100,000/s |\n", n, rounds);
	printf("| --- | --- | --- | --- | --- |\n");
	for (b = 0; b < 2; b++)
		printf("| %s | %.0f | %.0f | %.2fx | %s |\n", b == 0 ? "one transaction for all" : "one per 1,000 changes",
		       n / m[b][0], n / m[b][1], m[b][0] / m[b][1], n / m[b][0] >= 100000 ? "met" : "missed");
	printf("{\"n\":%lld,\"rounds\":%d,\"one_transaction\":{\"wicket_per_s\":%.0f,\"raw_per_s\":%.0f,\"ratio\":%.3f,"
	       "\"met\":%s},\"per_1000\":{\"wicket_per_s\":%.0f,\"raw_per_s\":%.0f,\"ratio\":%.3f,\"met\":%s}}\n",
	       n, rounds, n / m[0][0], n / m[0][1], m[0][0] / m[0][1], n / m[0][0] >= 100000 ? "true" : "false",
	       n / m[1][0], n / m[1][1], m[1][0] / m[1][1], n / m[1][0] >= 100000 ? "true" : "false");
	for (b = 0; b < 2; b++)
		for (k = 0; k < 2; k++)
			free(t[b][k]);
	for (k = 0; k < 3; k++)
		sqlite3_finalize(raw.upd[k]);
	sqlite3_finalize(raw.ins);
	for (k = 0; k < w.nids; k++)
		free(w.ids[k]);
	for (k = 0; k < raw.nids; k++)
		free(raw.ids[k]);
	wk_store_close(w.st);
	wk_store_close(raw.st);
	bench_remove_store(w.path);
	bench_remove_store(raw.path);
	return 0;
}
