/*
 * Importing the sample inspection action plan: the source's counts, its
 * month-only and "Completed" targets, recommendation 8's missing text; JSON
 * and CSV give the same state; importing again changes nothing; a bad file
 * writes nothing.
 */
#include "test.h"
#include "fixture.h"
#include "action.h"
#include "inspection.h"
#include "query.h"

#define SAMPLE_JSON "samples/actionplan-omic-pre-release-2022.json"
#define SAMPLE_CSV "samples/actionplan-omic-pre-release-2022.csv"

static const char *const csv_inspection[] = { "omic-pre-release-2022",
	"Offender Management in Custody – Pre-release" };

static int import(wk_store *st, const char *path, int csv, long long *changes)
{
	wk_import_options o = WK_IMPORT_OPTIONS_INIT;
	json_t *report = NULL;
	int rc;

	if (csv) {
		o.inspection_id = csv_inspection[0];
		o.title = csv_inspection[1];
		o.inspectorate = "HM Inspectorate of Prisons and HM Inspectorate of Probation";
		o.published = "2022-11-02";
		o.submitted = "2022-11-24";
	}
	if ((rc = wk_store_begin(st)) < 0)
		return rc;
	rc = wk_actionplan_import(st, path, &o, &report);
	if (rc == 0)
		rc = wk_store_commit(st);
	else
		wk_store_rollback(st);
	if (changes)
		*changes = rc == 0 ? json_integer_value(json_object_get(report, "changes")) : -1;
	json_decref(report);
	return rc;
}

static long long count(wk_store *st, const char *sql)
{
	long long n = -1;

	wk_query_int(st, NULL, 0, sql, &n);
	return n;
}

static char *text(wk_store *st, const char *sql)
{
	json_t *j = NULL;
	char *s;

	if (wk_query_json(st, NULL, 0, sql, &j) < 0)
		return strdup("<none>");
	s = strdup(json_is_string(j) ? json_string_value(j) : json_is_null(j) ? "<null>" : "<?>");
	json_decref(j);
	return s;
}

static void check_text(wk_store *st, const char *sql, const char *want)
{
	char *got = text(st, sql);

	CHECK_EQ_STR(got, want);
	free(got);
}

static void test_sample(void)
{
	char path[256];
	wk_store *st = fixture_site("LEI", "d1", path, sizeof(path));
	json_t *sum = NULL;
	long long changes = 0;

	CHECK_EQ_INT(import(st, test_src(SAMPLE_JSON), 0, &changes), 0);
	CHECK(changes > 400);
	CHECK_EQ_INT(wk_actionplan_summary(st, "omic-pre-release-2022", &sum), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(sum, "agreed")), 13);
	CHECK_EQ_INT(json_integer_value(json_object_get(sum, "partly_agreed")), 3);
	CHECK_EQ_INT(json_integer_value(json_object_get(sum, "not_agreed")), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(sum, "total")), 16);
	json_decref(sum);

	/* Recommendation 8 is marked as missing, not invented. */
	CHECK_EQ_INT(count(st, "SELECT text_missing FROM recommendation WHERE number = '8'"), 1);
	CHECK_EQ_INT(count(st, "SELECT count(*) FROM action WHERE recommendation LIKE '%/8'"), 0);
	/* Several actions per recommendation, as the source gives them. */
	CHECK_EQ_INT(count(st, "SELECT count(*) FROM action WHERE recommendation = 'omic-pre-release-2022/12'"), 8);
	CHECK_EQ_INT(count(st, "SELECT count(*) FROM action WHERE recommendation = 'omic-pre-release-2022/1'"), 5);
	CHECK_EQ_INT(count(st, "SELECT count(*) FROM action"), 40);
	/* Month-only targets keep month precision; "Completed" means completed, with no invented date. */
	check_text(st, "SELECT json_quote(target_date) FROM action WHERE id = 'omic-pre-release-2022/2#1'", "2023-06");
	check_text(st, "SELECT json_quote(target_text) FROM action WHERE id = 'omic-pre-release-2022/2#1'", "June 2023");
	check_text(st, "SELECT json_quote(status) FROM action WHERE id = 'omic-pre-release-2022/13#1'", "completed");
	check_text(st, "SELECT json_quote(target_date) FROM action WHERE id = 'omic-pre-release-2022/13#1'", "<null>");
	check_text(st, "SELECT json_quote(target_text) FROM action WHERE id = 'omic-pre-release-2022/12#8'",
	           "Completed and ongoing");
	check_text(st, "SELECT json_quote(reason_category) FROM recommendation WHERE number = '1'", "operational");
	check_text(st, "SELECT json_quote(owner) FROM action WHERE id = 'omic-pre-release-2022/4#1'",
	           "Head of Digital Prison Services");

	/* Importing the same file again changes nothing and records nothing. */
	CHECK_EQ_INT(import(st, test_src(SAMPLE_JSON), 0, &changes), 0);
	CHECK_EQ_INT(changes, 0);
	/* Nor does the CSV of the same plan. */
	CHECK_EQ_INT(import(st, test_src(SAMPLE_CSV), 1, &changes), 0);
	CHECK_EQ_INT(changes, 0);
	wk_store_close(st);
}

static void test_csv_equals_json(void)
{
	char pa[256], pb[256];
	wk_store *a = fixture_site("LEI", "d1", pa, sizeof(pa));
	wk_store *b = fixture_site("LEI", "d1", pb, sizeof(pb));
	char *da, *db;

	CHECK_EQ_INT(import(a, test_src(SAMPLE_JSON), 0, NULL), 0);
	CHECK_EQ_INT(import(b, test_src(SAMPLE_CSV), 1, NULL), 0);
	da = fixture_dump(a);
	db = fixture_dump(b);
	CHECK(da && db && strcmp(da, db) == 0);
	free(da);
	free(db);
	wk_store_close(a);
	wk_store_close(b);
}

/* Write a copy of the sample with one substitution. */
static const char *variant(const char *from, const char *to)
{
	static char out[] = "/tmp/wk-variant-XXXXXX.json";
	wk_buf src = WK_BUF_INIT;
	char *at;
	FILE *f;
	int fd;

	memcpy(out + strlen(out) - 11, "XXXXXX.json", 11);
	fd = mkstemps(out, 5);
	if (fd < 0 || wk_buf_read_file(&src, test_src(SAMPLE_JSON), 1 << 24, "sample") < 0)
		return NULL;
	at = strstr(src.ptr, from);
	f = fdopen(fd, "w");
	if (at) {
		fwrite(src.ptr, 1, (size_t)(at - src.ptr), f);
		fputs(to, f);
		fputs(at + strlen(from), f);
	}
	fclose(f);
	wk_buf_free(&src);
	return at ? out : NULL;
}

static void test_bad_file_writes_nothing(void)
{
	char path[256];
	wk_store *st = fixture_site("LEI", "d1", path, sizeof(path));
	long long before = count(st, "SELECT count(*) FROM op");
	char *d0 = fixture_dump(st), *d1;
	const char *bad;

	/* The error is in the last recommendation: nothing of the first fifteen is written. */
	bad = variant("\"Ensure that all required OMiC tasks", "\"x\", \"response\": \"agree\", \"y");
	CHECK(bad != NULL);
	CHECK(import(st, bad, 0, NULL) < 0);
	CHECK_CONTAINS(wk_error_msg(), "nothing was imported");
	bad = variant("\"October 2023\"", "\"Sept 2023\"");
	CHECK(import(st, bad, 0, NULL) == WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "recommendations[15].actions[1].target (recommendation \"16\")");
	CHECK_CONTAINS(wk_error_msg(), "Sept 2023");
	bad = variant("\"response\": \"partly_agreed\"", "\"response\": \"partly\"");
	CHECK(import(st, bad, 0, NULL) == WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "recommendations[0].response (recommendation \"1\")");
	bad = variant("\"number\": \"3\"", "\"number\": 3");
	CHECK(import(st, bad, 0, NULL) == WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "must be a string");
	bad = variant("\"number\": \"3\"", "\"number\": \"2\"");
	CHECK(import(st, bad, 0, NULL) == WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "appears twice");
	bad = variant("\"format_version\": 1", "\"format_version\": 2");
	CHECK(import(st, bad, 0, NULL) == WK_EVERSION);
	bad = variant("\"addressee\"", "\"adressee\"");
	CHECK(import(st, bad, 0, NULL) == WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "unknown member \"adressee\"");

	CHECK_EQ_INT(count(st, "SELECT count(*) FROM op"), before);
	d1 = fixture_dump(st);
	CHECK(d0 && d1 && strcmp(d0, d1) == 0);
	free(d0);
	free(d1);
	wk_store_close(st);
}

/* Local work is not undone by importing the same plan again; a target changed in the file is a revision. */
static void test_reimport_keeps_local_work(void)
{
	char path[256];
	wk_store *st = fixture_site("LEI", "d1", path, sizeof(path));
	wk_action_change c = WK_ACTION_CHANGE_INIT;
	long long changes = -1;
	const char *moved;

	CHECK_EQ_INT(import(st, test_src(SAMPLE_JSON), 0, NULL), 0);
	CHECK_EQ_INT(wk_store_begin(st), 0);
	c.target = "March 2027";
	c.reason = "supplier delay";
	CHECK_EQ_INT(wk_action_update(st, "omic-pre-release-2022/4#3", &c), 0);
	CHECK_EQ_INT(wk_action_complete(st, "omic-pre-release-2022/2#1", "2023-05-30", "2026-11-22"), 0);
	CHECK_EQ_INT(wk_store_commit(st), 0);

	CHECK_EQ_INT(import(st, test_src(SAMPLE_JSON), 0, &changes), 0);
	CHECK_EQ_INT(changes, 0);
	check_text(st, "SELECT json_quote(target_date) FROM action WHERE id = 'omic-pre-release-2022/4#3'", "2027-03");
	check_text(st, "SELECT json_quote(status) FROM action WHERE id = 'omic-pre-release-2022/2#1'", "completed");
	check_text(st, "SELECT json_quote(completion_date) FROM action WHERE id = 'omic-pre-release-2022/2#1'", "2023-05-30");

	/* The plan itself moves rec 16's second target: recorded as a revision with its reason. */
	moved = variant("\"October 2023\"", "\"December 2023\"");
	CHECK(moved != NULL);
	CHECK_EQ_INT(import(st, moved, 0, &changes), 0);
	CHECK(changes > 0);
	check_text(st, "SELECT json_quote(target_date) FROM action WHERE id = 'omic-pre-release-2022/16#2'", "2023-12");
	check_text(st, "SELECT json_quote(reason) FROM action_revision WHERE action = 'omic-pre-release-2022/16#2'",
	           "target changed in the imported action plan");
	CHECK_EQ_INT(count(st, "SELECT count(*) FROM action_revision"), 2);
	wk_store_close(st);
}

int main(void)
{
	test_sample();
	test_csv_equals_json();
	test_bad_file_writes_nothing();
	test_reimport_keeps_local_work();
	return test_summary();
}
