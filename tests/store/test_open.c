/*
 * The store refuses what is not a usable wicket store, with a clear message,
 * and is configured for durability (WAL, synchronous=FULL, foreign keys).
 */
#include "test.h"
#include "error.h"
#include "schema.h"
#include "store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

static char dir[] = "/tmp/wk-store-XXXXXX";

static const char *path(const char *name)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static int pragma(wk_store *st, const char *sql)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(wk_store_db(st), sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	return v;
}

static void test_create_and_reopen(void)
{
	wk_store *st = NULL;
	sqlite3_stmt *s;
	const char *mode = NULL;

	CHECK_EQ_INT(wk_store_create(&st, path("a.db")), 0);
	wk_store_close(st);
	CHECK_EQ_INT(wk_store_create(&st, path("a.db")), WK_EEXISTS);
	CHECK_EQ_INT(wk_store_open(&st, path("a.db")), 0);
	CHECK_EQ_INT(pragma(st, "PRAGMA synchronous"), 2); /* FULL */
	CHECK_EQ_INT(pragma(st, "PRAGMA foreign_keys"), 1);
	CHECK_EQ_INT(pragma(st, "PRAGMA application_id"), WK_STORE_APPLICATION_ID);
	CHECK_EQ_INT(wk_store_schema_version(st), WK_STORE_SCHEMA_VERSION);
	if (sqlite3_prepare_v2(wk_store_db(st), "PRAGMA journal_mode", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		mode = (const char *)sqlite3_column_text(s, 0);
	CHECK_EQ_STR(mode, "wal");
	sqlite3_finalize(s);
	CHECK_EQ_INT(wk_store_check(st), 0);
	wk_store_close(st);
}

static void test_missing(void)
{
	wk_store *st = NULL;

	CHECK_EQ_INT(wk_store_open(&st, path("nothing.db")), WK_ENOTFOUND);
	CHECK_CONTAINS(wk_error_msg(), "wicket init");
	CHECK(st == NULL);
}

static void test_not_sqlite(void)
{
	wk_store *st = NULL;
	FILE *f = fopen(path("junk.db"), "wb");
	int i;

	for (i = 0; i < 10000; i++)
		fputs("this is not a database ", f);
	fclose(f);
	CHECK_EQ_INT(wk_store_open(&st, path("junk.db")), WK_ENOTSTORE);
	CHECK_CONTAINS(wk_error_msg(), "not a wicket store");
}

static void test_other_sqlite(void)
{
	wk_store *st = NULL;
	sqlite3 *db;

	sqlite3_open(path("other.db"), &db);
	sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK_EQ_INT(wk_store_open(&st, path("other.db")), WK_ENOTSTORE);
	CHECK_CONTAINS(wk_error_msg(), "another program");
}

static void test_newer_schema(void)
{
	wk_store *st = NULL;
	sqlite3 *db;

	CHECK_EQ_INT(wk_store_create(&st, path("new.db")), 0);
	wk_store_close(st);
	sqlite3_open(path("new.db"), &db);
	sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK_EQ_INT(wk_store_open(&st, path("new.db")), WK_EVERSION);
	CHECK_CONTAINS(wk_error_msg(), "upgrade wicket");
}

static void test_corrupt(void)
{
	wk_store *st = NULL;
	FILE *f;
	char junk[4096];
	int rc;

	CHECK_EQ_INT(wk_store_create(&st, path("bad.db")), 0);
	wk_store_close(st);
	/* Overwrite the schema page (page 1 after the 100-byte header) with junk. */
	memset(junk, 0xA5, sizeof(junk));
	f = fopen(path("bad.db"), "r+b");
	fseek(f, 100, SEEK_SET);
	fwrite(junk, 1, 3000, f);
	fclose(f);
	rc = wk_store_open(&st, path("bad.db"));
	CHECK(rc == WK_ECORRUPT);
	CHECK_CONTAINS(wk_error_msg(), "damaged");
	CHECK(st == NULL);
}

/* A store written at schema version 1 (migration 1 alone) is migrated forward on open. */
static void test_migrates_forward(void)
{
	wk_store *st = NULL;
	sqlite3 *db;
	char sql[128];

	sqlite3_open(path("old.db"), &db);
	snprintf(sql, sizeof(sql), "PRAGMA application_id=%d; PRAGMA user_version=1; PRAGMA journal_mode=WAL;",
	         WK_STORE_APPLICATION_ID);
	CHECK_EQ_INT(sqlite3_exec(db, wk_schema_migrations[0], NULL, NULL, NULL), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_exec(db, "INSERT INTO action(id, target_text) VALUES ('a1', 'June 2023')", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CHECK_EQ_INT(wk_store_open(&st, path("old.db")), 0);
	CHECK_EQ_INT(wk_store_schema_version(st), WK_STORE_SCHEMA_VERSION);
	CHECK_EQ_INT(pragma(st, "SELECT count(*) FROM policy_script"), 0);
	/* The data written at version 1 is still there. */
	CHECK_EQ_INT(pragma(st, "SELECT count(*) FROM action WHERE target_text = 'June 2023' AND source_target IS NULL"), 1);
	wk_store_close(st);
}

static void test_locked(void)
{
	wk_store *st = NULL;
	sqlite3 *other;

	CHECK_EQ_INT(wk_store_create(&st, path("lock.db")), 0);
	sqlite3_open(path("lock.db"), &other);
	CHECK_EQ_INT(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	CHECK_EQ_INT(wk_store_begin(st), WK_ELOCKED);
	CHECK_CONTAINS(wk_error_msg(), "locked by another process");
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	CHECK_EQ_INT(wk_store_begin(st), 0);
	wk_store_rollback(st);
	wk_store_close(st);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_create_and_reopen();
	test_missing();
	test_not_sqlite();
	test_other_sqlite();
	test_newer_schema();
	test_corrupt();
	test_migrates_forward();
	test_locked();
	return test_summary();
}
