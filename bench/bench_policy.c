/*
 * bench_policy - what policy evaluation costs, as ratios measured side by
 * side in one process (absolute times on a shared machine mean little):
 *
 *   write:     one baseline change in its own durable transaction, with the
 *              rules validating it before commit (as every command does)
 *              against the same change with no validation;
 *   readiness: the Lua readiness report of a plan against the plan's
 *              SQL summary (the same store read, no rules).
 *
 * Runs are interleaved (with, without, with, ...) so that drift in the
 * machine's speed hits both sides alike; medians are reported.
 * Usage: bench_policy [ROUNDS]   (WICKET_POLICY_DIR: the policies folder)
 */
#include "bench.h"
#include "fixture.h"
#include "inspection.h"
#include "plan.h"
#include "rules.h"

#include <time.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct {
	int round;
} write_arg;

static int set_status(wk_store *st, void *arg)
{
	static const char *const statuses[] = { "in_progress", "partly_met", "not_met", "met" };
	wk_assessment_change c = WK_ASSESSMENT_CHANGE_INIT;

	c.status = statuses[((write_arg *)arg)->round % 4];
	c.evidence = "bench";
	return wk_baseline_set(st, "omu", "2.5", &c);
}

static int one_write(wk_store *st, int round, int guarded)
{
	write_arg a = { round };
	int rc;

	if ((rc = wk_store_begin(st)) < 0)
		return rc;
	rc = guarded ? wk_rules_guard(st, set_status, &a) : set_status(st, &a);
	if (rc == 0)
		rc = wk_store_commit(st);
	if (rc < 0)
		wk_store_rollback(st);
	return rc;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 41, i, rc;
	char path[256];
	wk_store *st = fixture_site("BEN", "b1", path, sizeof(path));
	wk_plan_options po = WK_PLAN_OPTIONS_INIT;
	wk_import_options io = WK_IMPORT_OPTIONS_INIT;
	double *w0, *w1, *r0, *r1, t, m[4];
	json_t *out = NULL;
	const char *sample = getenv("WICKET_SOURCE_DIR");
	char sample_path[4096];

	if (!st || rounds < 3)
		return 1;
	snprintf(sample_path, sizeof(sample_path), "%s/samples/actionplan-omic-pre-release-2022.json",
	         sample ? sample : ".");
	po.edm = "OMU";
	if (wk_store_begin(st) < 0 || wk_plan_create(st, &po, NULL) < 0 ||
	    wk_actionplan_import(st, sample_path, &io, NULL) < 0 || wk_store_commit(st) < 0) {
		fprintf(stderr, "bench_policy: set-up failed: %s\n", wk_error_msg());
		return 1;
	}
	w0 = calloc((size_t)rounds, sizeof(double));
	w1 = calloc((size_t)rounds, sizeof(double));
	r0 = calloc((size_t)rounds, sizeof(double));
	r1 = calloc((size_t)rounds, sizeof(double));
	for (i = 0; i < rounds; i++) {
		t = now_ms();
		rc = one_write(st, i, 0);
		w0[i] = now_ms() - t;
		t = now_ms();
		rc |= one_write(st, i + 1, 1);
		w1[i] = now_ms() - t;
		t = now_ms();
		rc |= wk_plan_show(st, "omu", &out);
		r0[i] = now_ms() - t;
		json_decref(out);
		t = now_ms();
		rc |= wk_rules_readiness(st, "omu", 2, &out);
		r1[i] = now_ms() - t;
		json_decref(out);
		if (rc < 0) {
			fprintf(stderr, "bench_policy: %s\n", wk_error_msg());
			return 1;
		}
	}
	m[0] = median(w0, rounds);
	m[1] = median(w1, rounds);
	m[2] = median(r0, rounds);
	m[3] = median(r1, rounds);
	printf("| measure (median of %d, one process) | without rules (ms) | with rules (ms) | ratio |\n", rounds);
	printf("| --- | --- | --- | --- |\n");
	printf("| one baseline change, durable commit | %.3f | %.3f | %.2fx |\n", m[0], m[1], m[1] / m[0]);
	printf("| readiness of the OMU plan (22 baselines) | %.3f | %.3f | %.2fx |\n", m[2], m[3], m[3] / m[2]);
	printf("{\"bench\":\"policy\",\"rounds\":%d,\"write_ms\":[%.4f,%.4f],\"write_ratio\":%.3f,"
	       "\"readiness_ms\":[%.4f,%.4f],\"readiness_ratio\":%.3f}\n",
	       rounds, m[0], m[1], m[1] / m[0], m[2], m[3], m[3] / m[2]);
	free(w0);
	free(w1);
	free(r0);
	free(r1);
	wk_store_close(st);
	bench_remove_store(path);
	return 0;
}
