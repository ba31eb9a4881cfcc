/*
 * query.c - JSON-valued and integer-valued reads. See query.h.
 */
#include "query.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

static int run(wk_store *st, const char *const *args, int nargs, const char *sql,
               sqlite3_stmt **out)
{
	int rc, i;

	if ((rc = wk_store_cached(st, out, sql)) < 0)
		return rc;
	for (i = 0; i < nargs; i++)
		sqlite3_bind_text(*out, i + 1, args[i], -1, SQLITE_STATIC);
	rc = sqlite3_step(*out);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return wk_store_fail(st, rc, "cannot read store");
}

int wk_query_text(wk_store *st, const char *const *args, int nargs, const char *sql, char **out)
{
	sqlite3_stmt *s = NULL;
	const char *text;
	int rc;

	*out = NULL;
	rc = run(st, args, nargs, sql, &s);
	if (rc == 1) {
		text = (const char *)sqlite3_column_text(s, 0);
		if (!text)
			rc = WK_ENOTFOUND;
		else if (!(*out = strdup(text)))
			rc = wk_error_set(WK_ELIMIT, "out of memory");
		else
			rc = 0;
	} else if (rc == 0) {
		rc = WK_ENOTFOUND;
	}
	sqlite3_reset(s);
	return rc;
}

int wk_query_json(wk_store *st, const char *const *args, int nargs, const char *sql, json_t **out)
{
	json_error_t jerr;
	char *text = NULL;
	int rc;

	*out = NULL;
	if ((rc = wk_query_text(st, args, nargs, sql, &text)) < 0)
		return rc;
	*out = json_loads(text, JSON_DECODE_ANY, &jerr);
	free(text);
	return *out ? 0 : wk_error_set(WK_ECORRUPT, "store holds unreadable data: %s", jerr.text);
}

int wk_query_int(wk_store *st, const char *const *args, int nargs, const char *sql, long long *out)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*out = 0;
	rc = run(st, args, nargs, sql, &s);
	if (rc == 1) {
		*out = sqlite3_column_int64(s, 0);
		rc = 0;
	}
	sqlite3_reset(s);
	return rc;
}
