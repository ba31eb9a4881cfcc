/*
 * oplog.c - history queries and replay. See oplog.h.
 */
#include "oplog.h"
#include "error.h"
#include "field.h"
#include "query.h"

#include <string.h>

int wk_log_query(wk_store *st, const wk_log_filter *f, json_t **out)
{
	char limit[32], id[300];
	const char *prefix = "0";
	int rc;

	if ((f->since && (rc = wk_field_date("--since", f->since)) < 0) ||
	    (f->until && (rc = wk_field_date("--until", f->until)) < 0))
		return rc;
	if (f->entity && !wk_entity_known(f->entity, NULL))
		return wk_error_set(WK_EINVALID, "unknown record type '%s'", f->entity);
	snprintf(limit, sizeof(limit), "%lld", f->limit > 0 ? f->limit : -1);
	if (f->id) {
		size_t n = strlen(f->id);
		snprintf(id, sizeof(id), "%s", f->id);
		if (n && id[n - 1] == '*') {
			id[n - 1] = '\0';
			prefix = "1";
		}
	}
	rc = wk_query_json(st, (const char *[]){ f->entity, f->id ? id : NULL, f->person, f->field,
	                                         f->since, f->until, limit, prefix, f->device }, 9,
		"SELECT json_group_array(json_object('seq', seq,"
		" 'time', strftime('%Y-%m-%dT%H:%M:%fZ', (hlc >> 16) / 1000.0, 'unixepoch'),"
		" 'hlc', printf('%013x.%04x', hlc >> 16, hlc & 65535), 'device', device, 'person', person,"
		" 'entity', entity, 'id', entity_id, 'kind', kind, 'field', field,"
		" 'old', old_value, 'new', new_value, 'parents', parents))"
		" FROM (SELECT * FROM op WHERE (?1 IS NULL OR entity = ?1)"
		"  AND (?2 IS NULL OR entity_id = ?2 OR (?8 AND substr(entity_id, 1, length(?2)) = ?2))"
		"  AND (?3 IS NULL OR person = ?3) AND (?4 IS NULL OR field = ?4) AND (?9 IS NULL OR device = ?9)"
		"  AND (?5 IS NULL OR date((hlc >> 16) / 1000, 'unixepoch') >= ?5)"
		"  AND (?6 IS NULL OR date((hlc >> 16) / 1000, 'unixepoch') <= ?6)"
		"  ORDER BY seq LIMIT CAST(?7 AS INTEGER))", out);
	return rc;
}

int wk_log_each(wk_store *st, long long after, int (*cb)(const wk_op *op, void *arg), void *arg)
{
	sqlite3_stmt *s = NULL;
	wk_op op;
	int rc;

	if ((rc = wk_store_prepare(st, &s,
	        "SELECT seq, hlc, device, person, entity, entity_id, kind, field, old_value, new_value, parents"
	        " FROM op WHERE seq > ? ORDER BY seq")) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, after);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		op.seq = sqlite3_column_int64(s, 0);
		op.hlc = sqlite3_column_int64(s, 1);
		op.device = (const char *)sqlite3_column_text(s, 2);
		op.person = (const char *)sqlite3_column_text(s, 3);
		op.entity = (const char *)sqlite3_column_text(s, 4);
		op.entity_id = (const char *)sqlite3_column_text(s, 5);
		op.kind = (const char *)sqlite3_column_text(s, 6);
		op.field = (const char *)sqlite3_column_text(s, 7);
		op.old_value = (const char *)sqlite3_column_text(s, 8);
		op.new_value = (const char *)sqlite3_column_text(s, 9);
		op.parents = (const char *)sqlite3_column_text(s, 10);
		if ((rc = cb(&op, arg)) < 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot read the log");
out:
	sqlite3_finalize(s);
	return rc;
}

static int apply_one(const wk_op *op, void *arg)
{
	return wk_entity_apply((wk_store *)arg, op);
}

int wk_log_replay(wk_store *from, wk_store *to)
{
	int rc;

	if ((rc = wk_store_begin(to)) < 0)
		return rc;
	rc = wk_log_each(from, 0, apply_one, to);
	if (rc == 0)
		rc = wk_store_commit(to);
	if (rc < 0)
		wk_store_rollback(to);
	return rc;
}
