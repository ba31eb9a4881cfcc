/*
 * query.h - reads that come back as JSON.
 *
 * Read commands build their answer in SQL (json_object, json_group_array),
 * so the shape of every --json answer is written once, next to its query.
 *
 * Beware: SQLite drops the JSON type of a scalar subquery that sorts
 * ("(SELECT json(doc) ... ORDER BY ... LIMIT 1)" comes out as a string).
 * Write json((SELECT doc ... ORDER BY ... LIMIT 1)) instead.
 */
#ifndef WK_QUERY_H
#define WK_QUERY_H

#include <jansson.h>

#include "store.h"

/*
 * Run sql, binding args[0..nargs-1] as text to ?1..?n (NULL binds null); its
 * first row's first column is JSON text, parsed into *out (the caller's, to
 * json_decref). No row, or a NULL column, returns WK_ENOTFOUND with no message.
 */
int wk_query_json(wk_store *st, const char *const *args, int nargs, const char *sql, json_t **out);
/* The same, unparsed: a copy of the text in *out (the caller's, to free). */
int wk_query_text(wk_store *st, const char *const *args, int nargs, const char *sql, char **out);

/* Run sql with text args and return its first column as an integer in *out. */
int wk_query_int(wk_store *st, const char *const *args, int nargs, const char *sql, long long *out);

#endif
