/*
 * bench_record - P2: field changes recorded through the library in one
 * process, against raw SQLite doing the same writes, side by side.
 *
 *   wicket: wk_entity_set() of one field of one assessment (the plan's 22,
 *           the evidence, owner and local arrangement in turn, a new value
 *           each time): it reads the old value and the field's heads,
 *           updates the row, takes the next hybrid logical clock, records
 *           the operation and makes it the field's head;
 *   floor:  the least a field-level merge (promise 2) writes, as raw
 *           prepared statements, reused: one read of the field's value and
 *           its head (the row joined with field_head), UPDATE the row,
 *           INSERT the operation with its parent, then the head replaced
 *           (DELETE the old, INSERT the new); the clock supplied by the
 *           caller. No names checked, no statement looked up, no memory
 *           allocated: what no implementation on this store format can avoid;
 *   raw:    the change as two prepared statements, reused: UPDATE the row,
 *           INSERT the operation (old and new value and clock supplied by
 *           the caller): what recording a change costs without the merge.
 *
 * Each on its own store of the same schema, through the same SQLite handle
 * type, in transactions of BATCH changes (BEGIN IMMEDIATE .. COMMIT, WAL
 * with synchronous=FULL, the store's settings): BATCH = N is one bulk
 * transaction (an import), BATCH = 1000 makes every thousand changes
 * durable. Rounds alternate the three; medians are reported.
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
	sqlite3_stmt *upd[3], *ins; /* raw and floor */
	sqlite3_stmt *seen[3], *head_del, *head_ins; /* floor */
} side;

enum { WICKET, FLOOR, RAW, SIDES };
static const char *const side_name[] = { "wicket", "floor", "raw" };

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

static int step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int floor_change(side *s)
{
	char v[96], old[96], parents[96];
	long long k = s->serial++, head = 0;
	int f = (int)((k / s->nids) % 3), rc;
	const char *id = s->ids[k % s->nids];
	sqlite3_stmt *q = s->seen[f];

	value(v, sizeof(v), k);
	old[0] = parents[0] = '\0';
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const unsigned char *o = sqlite3_column_text(q, 0);

		if (o)
			snprintf(old, sizeof(old), "%s", (const char *)o);
		if (sqlite3_column_type(q, 1) != SQLITE_NULL) {
			head = sqlite3_column_int64(q, 1);
			snprintf(parents, sizeof(parents), "b1@%lld", head);
		}
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return -1;
	sqlite3_bind_text(s->upd[f], 1, v, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->upd[f], 2, id, -1, SQLITE_STATIC);
	if (step_done(s->upd[f]) < 0)
		return -1;
	sqlite3_bind_int64(s->ins, 1, (long long)1 << 40 | k);
	sqlite3_bind_text(s->ins, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->ins, 3, fields[f], -1, SQLITE_STATIC);
	sqlite3_bind_text(s->ins, 4, old[0] ? old : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->ins, 5, v, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->ins, 6, parents[0] ? parents : NULL, -1, SQLITE_STATIC);
	if (step_done(s->ins) < 0)
		return -1;
	if (parents[0]) {
		sqlite3_bind_text(s->head_del, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s->head_del, 2, fields[f], -1, SQLITE_STATIC);
		sqlite3_bind_int64(s->head_del, 3, head);
		if (step_done(s->head_del) < 0)
			return -1;
	}
	sqlite3_bind_text(s->head_ins, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->head_ins, 2, fields[f], -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->head_ins, 3, (long long)1 << 40 | k);
	sqlite3_bind_int64(s->head_ins, 4, sqlite3_last_insert_rowid(wk_store_db(s->st)));
	return step_done(s->head_ins);
}

/* n changes in transactions of batch; seconds, or -1. */
static double run(side *s, int which, long long n, long long batch)
{
	sqlite3 *db = wk_store_db(s->st);
	double t0 = bench_now();
	long long i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		if (i % batch == 0 && (rc = wk_store_begin(s->st)) < 0)
			break;
		rc = which == RAW ? raw_change(s) : which == FLOOR ? floor_change(s) : wk_change(s);
		if (rc == 0 && (i + 1 == n || (i + 1) % batch == 0))
			rc = wk_store_commit(s->st);
	}
	if (rc != 0) {
		fprintf(stderr, "bench_record: %s: %s\n", side_name[which],
		        which == WICKET ? wk_error_msg() : sqlite3_errmsg(db));
		wk_store_rollback(s->st);
		return -1;
	}
	return bench_now() - t0;
}

static int prepare(side *s, sqlite3_stmt **out, const char *sql)
{
	if (sqlite3_prepare_v2(wk_store_db(s->st), sql, -1, out, NULL) == SQLITE_OK)
		return 0;
	fprintf(stderr, "bench_record: %s\n", sqlite3_errmsg(wk_store_db(s->st)));
	return -1;
}

static int setup(side *s, int which)
{
	wk_plan_options po = WK_PLAN_OPTIONS_INIT;
	char sql[320];
	int f;

	memset(s, 0, sizeof(*s));
	if (!(s->st = fixture_site("BEN", "b1", s->path, sizeof(s->path))))
		return -1;
	po.edm = "OMU";
	if (wk_store_begin(s->st) < 0 || wk_plan_create(s->st, &po, NULL) < 0 || wk_store_commit(s->st) < 0)
		return -1;
	if ((s->nids = bench_assessments(s->st, s->ids, MAX_ASSESSMENTS)) <= 0)
		return -1;
	if (which == WICKET)
		return 0;
	for (f = 0; f < 3; f++) {
		snprintf(sql, sizeof(sql), "UPDATE assessment SET %s = ?1 WHERE id = ?2", fields[f]);
		if (prepare(s, &s->upd[f], sql) < 0)
			return -1;
	}
	if (which == RAW)
		return prepare(s, &s->ins,
		        "INSERT INTO op(hlc, device, person, entity, entity_id, kind, field, old_value, new_value) "
		        "VALUES (?1, 'b1', 'Test Person', 'assessment', ?2, 'set', ?3, ?4, ?5)");
	for (f = 0; f < 3; f++) {
		snprintf(sql, sizeof(sql), "SELECT r.%s, h.hlc FROM assessment r LEFT JOIN field_head h"
		         " ON h.entity = 'assessment' AND h.entity_id = r.id AND h.field = '%s' WHERE r.id = ?1",
		         fields[f], fields[f]);
		if (prepare(s, &s->seen[f], sql) < 0)
			return -1;
	}
	return prepare(s, &s->ins,
	               "INSERT INTO op(hlc, device, person, entity, entity_id, kind, field, old_value, new_value, parents) "
	               "VALUES (?1, 'b1', 'Test Person', 'assessment', ?2, 'set', ?3, ?4, ?5, ?6)") < 0 ||
	       prepare(s, &s->head_del, "DELETE FROM field_head WHERE entity = 'assessment' AND entity_id = ?1"
	                                " AND field = ?2 AND hlc = ?3 AND device = 'b1'") < 0 ||
	       prepare(s, &s->head_ins, "INSERT INTO field_head(entity, entity_id, field, hlc, device, op)"
	                                " VALUES ('assessment', ?1, ?2, ?3, 'b1', ?4)") < 0 ? -1 : 0;
}

static long long count(wk_store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	long long n = -1;

	if (sqlite3_prepare_v2(wk_store_db(st), sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

static const char count_ops[] = "SELECT count(*) FROM op WHERE kind = 'set'";
/* The heads of the changed fields, and those that are their field's newest operation. */
#define CHANGED " WHERE h.entity = 'assessment' AND h.field IN ('evidence', 'owner', 'local_arrangement')"
static const char count_heads[] = "SELECT count(*) FROM field_head h" CHANGED;
static const char count_newest[] = "SELECT count(*) FROM field_head h" CHANGED " AND h.op = (SELECT max(seq)"
                                   " FROM op WHERE entity = h.entity AND entity_id = h.entity_id AND field = h.field)";

static void free_side(side *s)
{
	int k;

	for (k = 0; k < 3; k++) {
		sqlite3_finalize(s->upd[k]);
		sqlite3_finalize(s->seen[k]);
	}
	sqlite3_finalize(s->ins);
	sqlite3_finalize(s->head_del);
	sqlite3_finalize(s->head_ins);
	for (k = 0; k < s->nids; k++)
		free(s->ids[k]);
	wk_store_close(s->st);
	bench_remove_store(s->path);
}

int main(int argc, char **argv)
{
	long long n = argc > 1 ? atoll(argv[1]) : 100000, batches[2], before[SIDES], heads[2];
	int rounds = argc > 2 ? atoi(argv[2]) : 5, b, r, k;
	side sd[SIDES];
	double *t[2][SIDES], m[2][SIDES];

	if (n < 1000 || rounds < 1) {
		fprintf(stderr, "usage: bench_record [N >= 1000 [ROUNDS >= 1]]\n");
		return 2;
	}
	batches[0] = n;
	batches[1] = 1000;
	for (k = 0; k < SIDES; k++) {
		if (setup(&sd[k], k) < 0) {
			fprintf(stderr, "bench_record: set-up of the %s side failed: %s\n", side_name[k], wk_error_msg());
			return 1;
		}
		before[k] = count(sd[k].st, count_ops);
	}
	for (b = 0; b < 2; b++)
		for (k = 0; k < SIDES; k++)
			t[b][k] = calloc((size_t)rounds, sizeof(double));
	for (r = 0; r < rounds; r++)
		for (b = 0; b < 2; b++)
			for (k = 0; k < SIDES; k++)
				if ((t[b][k][r] = run(&sd[k], k, n, batches[b])) < 0)
					return 1;
	/* Every side recorded every change as an operation, and both merging sides keep one head per field. */
	for (k = 0; k < SIDES; k++)
		if (count(sd[k].st, count_ops) - before[k] != 2 * rounds * n) {
			fprintf(stderr, "bench_record: the %s side did not record every change\n", side_name[k]);
			return 1;
		}
	for (k = 0; k < 2; k++) {
		heads[k] = count(sd[k].st, count_heads);
		if (heads[k] != 3 * sd[k].nids || count(sd[k].st, count_newest) != heads[k]) {
			fprintf(stderr, "bench_record: the %s side does not keep one head per field, its newest write"
			        " (%lld heads for %d fields)\n", side_name[k], heads[k], 3 * sd[k].nids);
			return 1;
		}
	}
	for (b = 0; b < 2; b++)
		for (k = 0; k < SIDES; k++)
			m[b][k] = bench_median(t[b][k], rounds);
	printf("| transactions (%lld field changes, median of %d rounds, one process) | wicket changes/s | floor (merge, "
	       "raw statements) changes/s | raw SQLite changes/s | wicket / floor time | wicket / raw time | target: "
	       "wicket >= 100,000/s |\n", n, rounds);
	printf("| --- | --- | --- | --- | --- | --- | --- |\n");
	for (b = 0; b < 2; b++)
		printf("| %s | %.0f | %.0f | %.0f | %.2fx | %.2fx | %s |\n",
		       b == 0 ? "one transaction for all" : "one per 1,000 changes", n / m[b][WICKET], n / m[b][FLOOR],
		       n / m[b][RAW], m[b][WICKET] / m[b][FLOOR], m[b][WICKET] / m[b][RAW],
		       n / m[b][WICKET] >= 100000 ? "met" : "missed");
	printf("{\"n\":%lld,\"rounds\":%d", n, rounds);
	for (b = 0; b < 2; b++)
		printf(",\"%s\":{\"wicket_per_s\":%.0f,\"floor_per_s\":%.0f,\"raw_per_s\":%.0f,\"ratio_floor\":%.3f,"
		       "\"ratio\":%.3f,\"met\":%s}", b == 0 ? "one_transaction" : "per_1000", n / m[b][WICKET],
		       n / m[b][FLOOR], n / m[b][RAW], m[b][WICKET] / m[b][FLOOR], m[b][WICKET] / m[b][RAW],
		       n / m[b][WICKET] >= 100000 ? "true" : "false");
	printf("}\n");
	for (b = 0; b < 2; b++)
		for (k = 0; k < SIDES; k++)
			free(t[b][k]);
	for (k = 0; k < SIDES; k++)
		free_side(&sd[k]);
	return 0;
}
