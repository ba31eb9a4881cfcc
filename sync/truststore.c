/*
 * truststore.c - accepted trust files, replayed from the pinned first one.
 * See truststore.h.
 */
#include "truststore.h"
#include "error.h"
#include "field.h"

#include <sodium.h>

#include <stdlib.h>
#include <string.h>

int wk_truststore_load(wk_store *st, wk_trust **out)
{
	sqlite3_stmt *s = NULL;
	wk_trust *cur = NULL, *next = NULL;
	unsigned char pin[32];
	char *hexpin = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	if ((rc = wk_store_meta_get(st, "trust.root", &hexpin)) < 0)
		return rc;
	if (!hexpin)
		return wk_error_set(WK_ENOTFOUND, "this store holds no trust file yet; import the region's with "
		                    "'wicket trust import FILE --root KEY'");
	n = strlen(hexpin);
	if (n != 64 || sodium_hex2bin(pin, 32, hexpin, 64, NULL, NULL, NULL) != 0) {
		free(hexpin);
		return wk_error_set(WK_ECORRUPT, "the store's pinned root key is damaged");
	}
	free(hexpin);
	if ((rc = wk_store_prepare(st, &s, "SELECT bytes FROM trust_file ORDER BY version")) < 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((rc = wk_trust_open(&next, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), cur,
		                        cur ? NULL : pin)) < 0) {
			rc = wk_error_set(rc, "the trust files held by this store do not check out (%s); import the region's "
			                  "current trust file again", wk_error_msg());
			goto out;
		}
		wk_trust_free(cur);
		cur = next;
		next = NULL;
	}
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot read the trust files");
	if (rc == 0 && !cur)
		rc = wk_error_set(WK_ENOTFOUND, "this store holds no trust file yet; import the region's with "
		                  "'wicket trust import FILE --root KEY'");
out:
	sqlite3_finalize(s);
	if (rc == 0)
		*out = cur;
	else
		wk_trust_free(cur);
	return rc;
}

int wk_truststore_import(wk_store *st, const unsigned char *p, size_t n, const unsigned char *root_pin,
                         unsigned long long *version)
{
	wk_trust *cur = NULL, *next = NULL;
	sqlite3_stmt *s = NULL;
	char hex[65], today[11];
	int rc, first;

	if (version)
		*version = 0;
	rc = wk_truststore_load(st, &cur);
	first = rc == WK_ENOTFOUND;
	if (rc < 0 && !first)
		return rc;
	if (first && !root_pin)
		return wk_error_set(WK_EUSAGE, "the first trust file needs the region's root key: --root KEY "
		                    "(64 hex digits, printed by 'wicket region init')");
	if (!first && wk_trust_version(cur) > 0) {
		/* The version already held is a no-op, not a rollback. */
		if ((rc = wk_trust_open(&next, p, n, NULL, wk_trust_root_pk(cur))) == 0 &&
		    wk_trust_version(next) == wk_trust_version(cur)) {
			wk_trust_free(next);
			wk_trust_free(cur);
			return 0;
		}
		wk_trust_free(next);
		next = NULL;
	}
	if ((rc = wk_trust_open(&next, p, n, first ? NULL : cur, first ? root_pin : NULL)) < 0)
		goto out;
	if ((rc = wk_store_begin(st)) < 0)
		goto out;
	if (first) {
		sodium_bin2hex(hex, sizeof(hex), root_pin, 32);
		if ((rc = wk_store_meta_set(st, "trust.root", hex)) < 0)
			goto rollback;
	}
	wk_field_today(today);
	if ((rc = wk_store_prepare(st, &s,
	        "INSERT INTO trust_file(version, region, bytes, installed_at) VALUES (?, ?, ?, ?)")) < 0)
		goto rollback;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)wk_trust_version(next));
	sqlite3_bind_text(s, 2, wk_trust_region(next), -1, SQLITE_STATIC);
	sqlite3_bind_blob64(s, 3, p, n, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, today, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot save the trust file");
	sqlite3_finalize(s);
	if (rc == 0)
		rc = wk_store_commit(st);
	if (rc == 0 && version)
		*version = (unsigned long long)wk_trust_version(next);
rollback:
	if (rc < 0)
		wk_store_rollback(st);
out:
	wk_trust_free(cur);
	wk_trust_free(next);
	return rc;
}

int wk_truststore_export(wk_store *st, unsigned char **out, size_t *n)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = wk_store_prepare(st, &s, "SELECT bytes FROM trust_file ORDER BY version DESC LIMIT 1")) < 0)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*n = (size_t)sqlite3_column_bytes(s, 0);
		*out = malloc(*n ? *n : 1);
		if (*out)
			memcpy(*out, sqlite3_column_blob(s, 0), *n);
		rc = *out ? 0 : wk_error_set(WK_ELIMIT, "out of memory");
	} else {
		rc = rc == SQLITE_DONE ? wk_error_set(WK_ENOTFOUND, "this store holds no trust file") :
			wk_store_fail(st, rc, "cannot read the trust files");
	}
	sqlite3_finalize(s);
	return rc;
}
