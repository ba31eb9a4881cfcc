/*
 * bench.h - what the C benchmarks share: a monotonic clock, medians, the
 * assessments of a store to change, and running a child process with its
 * wall time and peak memory (wait4's rusage: ru_maxrss of that child only).
 *
 * Benchmarks are not tests: they print a markdown table and one JSON line
 * (the last line of stdout, starting with '{'), and exit 1 when something
 * they drive fails, so that a broken build never reads as a fast one.
 */
#ifndef WK_BENCH_H
#define WK_BENCH_H

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of v[0..n) (v is sorted in place); 0 for n == 0. */
static inline double bench_median(double *v, int n)
{
	if (n <= 0)
		return 0;
	qsort(v, (size_t)n, sizeof(*v), bench_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The ids of every assessment in st (up to max), malloc'd; the count, or -1. */
static inline int bench_assessments(wk_store *st, char **ids, int max)
{
	sqlite3_stmt *s = NULL;
	int n = 0;

	if (sqlite3_prepare_v2(wk_store_db(st), "SELECT id FROM assessment ORDER BY id", -1, &s, NULL) != SQLITE_OK)
		return -1;
	while (n < max && sqlite3_step(s) == SQLITE_ROW)
		ids[n++] = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return n;
}

/* Remove a store made by fixture_site() (closed first): its files and its folder. */
static inline void bench_remove_store(const char *path)
{
	char p[4200], *slash;

	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	unlink(path);
	snprintf(p, sizeof(p), "%s", path);
	if ((slash = strrchr(p, '/')) != NULL) {
		*slash = 0;
		rmdir(p);
	}
}

/*
 * Run argv (argv[0] a path) with stdout and stderr to /dev/null (or to the
 * file log when given); *seconds gets its wall time, *maxrss_kb its peak
 * resident set (kB). Returns its exit status, or -1 if it could not run.
 */
static inline int bench_run(char *const argv[], const char *log, double *seconds, long *maxrss_kb)
{
	struct rusage ru;
	double t0 = bench_now();
	int status = 0;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		FILE *f = freopen(log ? log : "/dev/null", "a", stdout);

		if (!f || dup2(fileno(stdout), 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return -1;
	*seconds = bench_now() - t0;
	if (maxrss_kb)
		*maxrss_kb = ru.ru_maxrss;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif
