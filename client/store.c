/*
 * store.c - opening, creating, migrating and locking the local store.
 * See store.h. The only file that turns SQLite result codes into wk codes.
 */
#include "store.h"
#include "schema.h"
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* How long a write waits for another process before giving up. */
#define WK_STORE_BUSY_MS 2000

/* Statements kept prepared for the hot paths (wk_store_cached). */
#define STMT_CACHE 48

struct wk_store {
	sqlite3 *db;
	char *path;
	char person[256];
	char device[64];
	struct {
		char *sql;
		size_t len; /* strlen(sql): most lookups compare lengths only */
		sqlite3_stmt *s;
	} cache[STMT_CACHE];
	int ncache, evict;
	/*
	 * The newest clock among the operations held, known only inside the
	 * current write transaction (no other writer can add one then); the
	 * transaction's end forgets it.
	 */
	int64_t clock;
	int clock_known;
};

sqlite3 *wk_store_db(wk_store *st)
{
	return st->db;
}

const char *wk_store_path(const wk_store *st)
{
	return st->path;
}

/*
 * SQLite reports a read-only filesystem as "unable to open" (it cannot make
 * the -wal and -shm files) and a full one, at open, as a plain I/O error.
 * Ask the filesystem which it is: 'r' read-only, 'f' full, 0 neither.
 */
static int filesystem_state(const char *path)
{
	char dir[4096], *slash;
	struct statvfs vfs;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if (statvfs(dir, &vfs) != 0)
		return 0;
	if (vfs.f_flag & ST_RDONLY)
		return 'r';
	if (access(dir, W_OK) != 0 && errno == EROFS)
		return 'r';
	/* Less than one WAL page's worth of room. */
	if ((unsigned long long)vfs.f_bavail * vfs.f_frsize < 64 * 1024)
		return 'f';
	return 0;
}

int wk_store_fail(wk_store *st, int rc, const char *doing)
{
	const char *path = st ? st->path : "?";
	const char *detail = st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return wk_error_set(WK_ELOCKED,
			"%s: store '%s' is locked by another process; wait for it to finish and try again",
			doing, path);
	case SQLITE_READONLY:
		return wk_error_set(WK_EREADONLY,
			"%s: store '%s' is read-only; check the file's permissions and the disk (nothing was changed)",
			doing, path);
	case SQLITE_FULL:
		return wk_error_set(WK_ENOSPACE,
			"%s: the disk holding store '%s' is full; free some space and try again (nothing was changed)",
			doing, path);
	case SQLITE_CORRUPT:
		return wk_error_set(WK_ECORRUPT,
			"%s: store '%s' is damaged (%s); restore it from a backup",
			doing, path, detail);
	case SQLITE_NOTADB:
		return wk_error_set(WK_ENOTSTORE,
			"%s: '%s' is not a wicket store (not an SQLite database)", doing, path);
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		switch (filesystem_state(path)) {
		case 'r':
			return wk_store_fail(st, SQLITE_READONLY, doing);
		case 'f':
			return wk_store_fail(st, SQLITE_FULL, doing);
		}
		return wk_error_set(WK_EIO, "%s: the disk failed under store '%s' (%s); check the disk and its free "
		                    "space, then try again. A change may have been saved all the same: check 'wicket log' "
		                    "before repeating it", doing, path, detail);
	case SQLITE_CONSTRAINT:
		return wk_error_set(WK_ECONFLICT, "%s: %s", doing, detail);
	case SQLITE_NOMEM:
		return wk_error_set(WK_ELIMIT, "%s: out of memory", doing);
	default:
		return wk_error_set(WK_ERROR, "%s: store '%s': %s", doing, path, detail);
	}
}

int wk_store_prepare(wk_store *st, sqlite3_stmt **out, const char *sql)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, out, NULL);

	if (rc != SQLITE_OK) {
		*out = NULL;
		return wk_store_fail(st, rc, "cannot read store");
	}
	return 0;
}

int wk_store_exec(wk_store *st, const char *sql, const char *doing)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : wk_store_fail(st, rc, doing);
}

int wk_store_exec_args(wk_store *st, const char *sql, const char *const *args, int n, const char *doing)
{
	sqlite3_stmt *s = NULL;
	int rc, i;

	if ((rc = wk_store_cached(st, &s, sql)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		sqlite3_bind_text(s, i + 1, args[i], -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, doing);
	sqlite3_reset(s);
	return rc;
}

static int pragma_int(wk_store *st, const char *sql, int *out)
{
	sqlite3_stmt *s = NULL;
	int rc = wk_store_prepare(st, &s, sql);

	if (rc < 0)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int(s, 0);
		rc = 0;
	} else {
		rc = wk_store_fail(st, rc, "cannot read store");
	}
	sqlite3_finalize(s);
	return rc;
}

int wk_store_schema_version(wk_store *st)
{
	int v = -1;

	pragma_int(st, "PRAGMA user_version", &v);
	return v;
}

int wk_store_begin(wk_store *st)
{
	return wk_store_exec_args(st, "BEGIN IMMEDIATE", NULL, 0, "cannot start a change"); /* kept prepared */
}

int wk_store_commit(wk_store *st)
{
	return wk_store_exec_args(st, "COMMIT", NULL, 0, "cannot save the change");
}

void wk_store_rollback(wk_store *st)
{
	if (st && st->db && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int wk_store_cached(wk_store *st, sqlite3_stmt **out, const char *sql)
{
	size_t len = strlen(sql);
	int i, rc, slot;

	for (i = 0; i < st->ncache; i++)
		if (st->cache[i].len == len && memcmp(st->cache[i].sql, sql, len) == 0) {
			sqlite3_reset(st->cache[i].s);
			sqlite3_clear_bindings(st->cache[i].s);
			*out = st->cache[i].s;
			return 0;
		}
	rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
	if (rc != SQLITE_OK) {
		*out = NULL;
		return wk_store_fail(st, rc, "cannot read store");
	}
	if (st->ncache < STMT_CACHE) {
		slot = st->ncache++;
	} else {
		/* The oldest statement not in use: one being stepped through belongs to a caller. */
		for (i = 0; i < STMT_CACHE && sqlite3_stmt_busy(st->cache[st->evict].s); i++)
			st->evict = (st->evict + 1) % STMT_CACHE;
		if (i == STMT_CACHE) {
			sqlite3_finalize(*out);
			*out = NULL;
			return wk_error_set(WK_ELIMIT, "more than %d statements in use at once", STMT_CACHE);
		}
		slot = st->evict;
		st->evict = (st->evict + 1) % STMT_CACHE;
		sqlite3_finalize(st->cache[slot].s);
		free(st->cache[slot].sql);
	}
	if (!(st->cache[slot].sql = strdup(sql))) {
		sqlite3_finalize(*out);
		*out = NULL;
		st->cache[slot].s = NULL;
		if (slot == st->ncache - 1)
			st->ncache--;
		return wk_error_set(WK_ELIMIT, "out of memory");
	}
	st->cache[slot].len = len;
	st->cache[slot].s = *out;
	return 0;
}

void wk_store_close(wk_store *st)
{
	int i;

	if (!st)
		return;
	for (i = 0; i < st->ncache; i++) {
		sqlite3_finalize(st->cache[i].s);
		free(st->cache[i].sql);
	}
	if (st->db) {
		wk_store_rollback(st);
		sqlite3_close_v2(st->db);
	}
	free(st->path);
	free(st);
}

/* Commit and rollback hooks: a transaction's end forgets what it knew of the clock. */
static int txn_end(void *arg)
{
	((wk_store *)arg)->clock_known = 0;
	return 0; /* let the commit go ahead */
}

static void txn_rollback(void *arg)
{
	txn_end(arg);
}

static int in_write_txn(wk_store *st)
{
	return sqlite3_txn_state(st->db, NULL) == SQLITE_TXN_WRITE;
}

int wk_store_clock(wk_store *st, int64_t *out)
{
	if (!st->clock_known || !in_write_txn(st))
		return 0;
	*out = st->clock;
	return 1;
}

void wk_store_clock_seen(wk_store *st, int64_t hlc, int full)
{
	if (!in_write_txn(st))
		return;
	if (full) {
		st->clock = hlc;
		st->clock_known = 1;
	} else if (st->clock_known && hlc > st->clock) {
		st->clock = hlc;
	}
}

static int configure(wk_store *st)
{
	int rc;

	sqlite3_commit_hook(st->db, txn_end, st);
	sqlite3_rollback_hook(st->db, txn_rollback, st);

	sqlite3_busy_timeout(st->db, WK_STORE_BUSY_MS);
	sqlite3_extended_result_codes(st->db, 1);
	/*
	 * The schema's triggers call the JSON functions, which SQLite 3.40 does
	 * not mark innocuous, so the schema stays trusted; defensive mode still
	 * forbids writable_schema and other ways to corrupt the file by SQL.
	 */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	rc = wk_store_exec(st, "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;",
	                   "cannot configure store");
	return rc;
}

static int migrate(wk_store *st, int from)
{
	char sql[64];
	int v, rc;

	for (v = from; v < wk_schema_count; v++) {
		if ((rc = wk_store_begin(st)) < 0)
			return rc;
		rc = wk_store_exec(st, wk_schema_migrations[v], "cannot upgrade store");
		if (rc == 0) {
			snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v + 1);
			rc = wk_store_exec(st, sql, "cannot upgrade store");
		}
		if (rc == 0)
			rc = wk_store_commit(st);
		if (rc < 0) {
			wk_store_rollback(st);
			return rc;
		}
	}
	return 0;
}

static int store_alloc(wk_store **out, const char *path)
{
	static int configured;
	wk_store *st;

	/*
	 * SQLite counts every allocation it makes under a global mutex, for
	 * sqlite3_status() and a soft heap limit, neither of which wicket uses:
	 * about 7% of recording a change (bench_record). The setting must come
	 * before SQLite's first use; later it is refused and changes nothing.
	 */
	if (!configured++)
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	st = calloc(1, sizeof(*st));

	if (!st || !(st->path = strdup(path))) {
		free(st);
		return wk_error_set(WK_ELIMIT, "out of memory");
	}
	*out = st;
	return 0;
}

int wk_store_open(wk_store **out, const char *path)
{
	wk_store *st = NULL;
	struct stat sb;
	int rc, appid = 0, version = 0;

	*out = NULL;
	if (stat(path, &sb) != 0)
		return wk_error_set(WK_ENOTFOUND, "no wicket store at '%s'; run 'wicket init' first", path);
	if (!S_ISREG(sb.st_mode))
		return wk_error_set(WK_ENOTSTORE, "'%s' is not a wicket store (not a regular file)", path);
	if (sb.st_size == 0)
		return wk_error_set(WK_ENOTSTORE,
			"'%s' is an empty file, not a wicket store (an interrupted init?); move it away and run 'wicket init'",
			path);
	if ((rc = store_alloc(&st, path)) < 0)
		return rc;
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = wk_store_fail(st, rc, "cannot open store");
		goto fail;
	}
	if ((rc = configure(st)) < 0)
		goto fail;
	if ((rc = pragma_int(st, "PRAGMA application_id", &appid)) < 0)
		goto fail;
	if (appid != WK_STORE_APPLICATION_ID) {
		rc = wk_error_set(WK_ENOTSTORE, "'%s' is not a wicket store (an SQLite database of another program)", path);
		goto fail;
	}
	if ((rc = pragma_int(st, "PRAGMA user_version", &version)) < 0)
		goto fail;
	if (version > wk_schema_count) {
		rc = wk_error_set(WK_EVERSION,
			"store '%s' has schema version %d, newer than this wicket understands (%d); upgrade wicket",
			path, version, wk_schema_count);
		goto fail;
	}
	if (version < wk_schema_count && (rc = migrate(st, version)) < 0)
		goto fail;
	*out = st;
	return 0;
fail:
	wk_store_close(st);
	return rc;
}

int wk_store_create(wk_store **out, const char *path)
{
	wk_store *st = NULL;
	char sql[64];
	int rc;

	*out = NULL;
	if (access(path, F_OK) == 0)
		return wk_error_set(WK_EEXISTS, "a store already exists at '%s'", path);
	if ((rc = store_alloc(&st, path)) < 0)
		return rc;
	rc = sqlite3_open_v2(path, &st->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = wk_store_fail(st, rc, "cannot create store");
		goto fail;
	}
	if ((rc = configure(st)) < 0)
		goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA application_id=%d", WK_STORE_APPLICATION_ID);
	if ((rc = wk_store_exec(st, "PRAGMA journal_mode=WAL", "cannot create store")) < 0 ||
	    (rc = wk_store_exec(st, sql, "cannot create store")) < 0)
		goto fail;
	if ((rc = migrate(st, 0)) < 0)
		goto fail;
	*out = st;
	return 0;
fail:
	wk_store_close(st);
	unlink(path);
	return rc;
}

int wk_store_meta_get(wk_store *st, const char *key, char **out)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*out = NULL;
	if ((rc = wk_store_cached(st, &s, "SELECT value FROM meta WHERE key = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		if (v && !(*out = strdup(v)))
			rc = wk_error_set(WK_ELIMIT, "out of memory");
		else
			rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = wk_store_fail(st, rc, "cannot read store settings");
	}
	sqlite3_reset(s);
	return rc;
}

int wk_store_meta_set(wk_store *st, const char *key, const char *value)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = wk_store_cached(st, &s,
	        "INSERT INTO meta(key, value) VALUES(?, ?) "
	        "ON CONFLICT(key) DO UPDATE SET value = excluded.value")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot save store settings");
	sqlite3_reset(s);
	return rc;
}

int wk_store_set_actor(wk_store *st, const char *person, const char *device)
{
	if (!person || strlen(person) >= sizeof(st->person))
		return wk_error_set(WK_EINVALID, "person name is missing or too long (at most %zu bytes)",
		                    sizeof(st->person) - 1);
	if (!device || strlen(device) >= sizeof(st->device))
		return wk_error_set(WK_EINVALID, "device code is missing or too long");
	snprintf(st->person, sizeof(st->person), "%s", person);
	snprintf(st->device, sizeof(st->device), "%s", device);
	return 0;
}

const char *wk_store_person(const wk_store *st)
{
	return st->person;
}

const char *wk_store_device(const wk_store *st)
{
	return st->device;
}

int wk_store_check(wk_store *st)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = wk_store_prepare(st, &s, "PRAGMA integrity_check")) < 0)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		rc = v && strcmp(v, "ok") == 0 ? 0 :
			wk_error_set(WK_ECORRUPT, "store '%s' is damaged: %s; restore it from a backup",
			             st->path, v ? v : "?");
	} else {
		rc = wk_store_fail(st, rc, "cannot check store");
	}
	sqlite3_finalize(s);
	return rc;
}
