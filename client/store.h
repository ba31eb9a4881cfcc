/*
 * store.h - the establishment's local store: one SQLite file.
 *
 * Opens and creates the store, runs forward schema migrations, and wraps
 * transactions. Every write runs inside wk_store_begin()/wk_store_commit():
 * the journal is WAL with synchronous=FULL, so a commit that returned 0 is
 * on disk. SQLite codes are translated here (wk_store_fail) and never leak.
 *
 * The store refuses, with a clear message, a file that is not a wicket store,
 * one whose schema is newer than this program, a damaged one, and one that
 * another process holds locked past the busy timeout.
 *
 * It must not know the domain: tables are created by the migrations, rows are
 * written by the entity layer (entity.h).
 */
#ifndef WK_STORE_H
#define WK_STORE_H

#include <sqlite3.h>
#include <stdint.h>

typedef struct wk_store wk_store;

/* 'WCKT': PRAGMA application_id of every wicket store. */
#define WK_STORE_APPLICATION_ID 0x57434B54
/* The newest schema this program knows. */
#define WK_STORE_SCHEMA_VERSION 6

/* Open an existing store at path. *out belongs to the caller (wk_store_close). */
int wk_store_open(wk_store **out, const char *path);

/* Create a new store at path (refused if the file exists) and migrate it. */
int wk_store_create(wk_store **out, const char *path);

/* Close; accepts NULL. */
void wk_store_close(wk_store *st);

/* The SQLite handle, borrowed from st. */
sqlite3 *wk_store_db(wk_store *st);
const char *wk_store_path(const wk_store *st);

/* Schema version of the open store. */
int wk_store_schema_version(wk_store *st);

/* BEGIN IMMEDIATE: takes the write lock now or fails with WK_ELOCKED. */
int wk_store_begin(wk_store *st);
int wk_store_commit(wk_store *st);
/* Roll back if a transaction is open; safe to call after a failed commit. */
void wk_store_rollback(wk_store *st);

/*
 * Translate an SQLite failure into a wk error with a message naming what was
 * being done (e.g. "cannot save action"). rc is the SQLite result code.
 * Returns the negative wk code.
 */
int wk_store_fail(wk_store *st, int rc, const char *doing);

/* Prepare a statement; on failure sets the error and returns it. */
int wk_store_prepare(wk_store *st, sqlite3_stmt **out, const char *sql);

/*
 * A statement kept prepared in st for sql (reset, bindings cleared), for
 * the hot paths. It belongs to the store: end each use with sqlite3_reset(),
 * never sqlite3_finalize(), and never use one sql while a use of the same
 * sql is still stepping (the store hands out the same statement).
 */
int wk_store_cached(wk_store *st, sqlite3_stmt **out, const char *sql);

/*
 * The newest hybrid logical clock among the operations held, kept while a
 * write transaction is open (no other writer can add one until it ends):
 * wk_store_clock() gives 1 and *out when known, 0 when it must be read from
 * the store. wk_store_clock_seen() records a clock just written, or with
 * full set the newest read from the store. A rolled-back savepoint may
 * leave it ahead of the store, never behind.
 */
int wk_store_clock(wk_store *st, int64_t *out);
void wk_store_clock_seen(wk_store *st, int64_t hlc, int full);

/* Execute SQL with no results. */
int wk_store_exec(wk_store *st, const char *sql, const char *doing);

/* Execute SQL with no results, binding args[0..n) as text to ?1..?n. */
int wk_store_exec_args(wk_store *st, const char *sql, const char *const *args, int n, const char *doing);

/* meta: small key/value settings of this store (site, device, person, hlc). */
int wk_store_meta_get(wk_store *st, const char *key, char **out); /* *out malloc'd or NULL */
int wk_store_meta_set(wk_store *st, const char *key, const char *value);

/*
 * Who acts on this store: the person and the device every change written
 * through this handle is recorded under (entity.h). Kept per handle, so that
 * a program holding several stores (a region holds one per establishment)
 * never records one store's change under another's device. Strings are
 * copied; the getters return borrowed strings, "" when unset.
 */
int wk_store_set_actor(wk_store *st, const char *person, const char *device);
const char *wk_store_person(const wk_store *st);
const char *wk_store_device(const wk_store *st);

/* Run PRAGMA integrity_check; 0 when ok, WK_ECORRUPT with the first problem. */
int wk_store_check(wk_store *st);

#endif
