/*
 * conflict.c - listing and settling concurrent writes of one field. See conflict.h.
 */
#include "conflict.h"
#include "entity.h"
#include "error.h"
#include "query.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID_HEX 10

static void conflict_id(char out[ID_HEX + 1], const char *entity, const char *id, const char *field)
{
	crypto_generichash_state s;
	unsigned char h[16];
	char hex[33];

	crypto_generichash_init(&s, NULL, 0, sizeof(h));
	crypto_generichash_update(&s, (const unsigned char *)entity, strlen(entity) + 1);
	crypto_generichash_update(&s, (const unsigned char *)id, strlen(id) + 1);
	crypto_generichash_update(&s, (const unsigned char *)field, strlen(field));
	crypto_generichash_final(&s, h, sizeof(h));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(out, ID_HEX + 1, "%s", hex);
}

/* Fields whose heads hold two or more different values. */
static const char conflicted_sql[] =
	"SELECT h.entity, h.entity_id, h.field FROM field_head h JOIN op o ON o.seq = h.op"
	" GROUP BY h.entity, h.entity_id, h.field HAVING count(DISTINCT quote(o.new_value)) > 1"
	" ORDER BY h.entity, h.entity_id, h.field";

/* The heads of one field, newest first, as a JSON array. */
static int heads_json(wk_store *st, const char *entity, const char *id, const char *field, json_t **out)
{
	return wk_query_json(st, (const char *[]){ entity, id, field }, 3,
		"SELECT json_group_array(json_object('value', value, 'device', device, 'person', person,"
		" 'time', strftime('%Y-%m-%dT%H:%M:%fZ', (hlc >> 16) / 1000.0, 'unixepoch'),"
		" 'hlc', printf('%013x.%04x', hlc >> 16, hlc & 65535), 'winner', json(CASE WHEN n = 1 THEN 'true' ELSE 'false' END)))"
		" FROM (SELECT o.new_value AS value, h.device, o.person, h.hlc,"
		"        row_number() OVER (ORDER BY h.hlc DESC, h.device DESC) AS n"
		"       FROM field_head h JOIN op o ON o.seq = h.op"
		"       WHERE h.entity = ?1 AND h.entity_id = ?2 AND h.field = ?3 ORDER BY n)", out);
}

typedef int (*each_fn)(wk_store *st, const char *entity, const char *id, const char *field, void *arg);

static int each_conflict(wk_store *st, each_fn fn, void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = wk_store_prepare(st, &s, conflicted_sql)) < 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int r = fn(st, (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
		           (const char *)sqlite3_column_text(s, 2), arg);
		if (r != 0) {
			sqlite3_finalize(s);
			return r; /* negative: an error; positive: the callback stopped the walk */
		}
	}
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot read the conflicts");
	sqlite3_finalize(s);
	return rc;
}

typedef struct {
	const char *site;
	json_t *arr;
} list_ctx;

static int add_one(wk_store *st, const char *entity, const char *id, const char *field, void *arg)
{
	list_ctx *c = arg;
	json_t *values = NULL;
	char cid[ID_HEX + 1];
	int rc;

	if ((rc = heads_json(st, entity, id, field, &values)) < 0)
		return rc;
	conflict_id(cid, entity, id, field);
	json_array_append_new(c->arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", cid, "site", c->site,
	                                        "entity", entity, "record", id, "field", field, "values", values));
	return 0;
}

int wk_conflict_list(wk_store *st, const char *site, json_t *arr)
{
	list_ctx c = { site, arr };

	return each_conflict(st, add_one, &c);
}

int wk_conflict_count(wk_store *st, long long *n)
{
	char sql[sizeof(conflicted_sql) + 64];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM (%s)", conflicted_sql);
	return wk_query_int(st, NULL, 0, sql, n);
}

typedef struct {
	const char *want;
	char entity[64], id[256], field[64];
	int found;
} find_ctx;

static int match(wk_store *st, const char *entity, const char *id, const char *field, void *arg)
{
	find_ctx *f = arg;
	char cid[ID_HEX + 1];

	(void)st;
	conflict_id(cid, entity, id, field);
	if (strcmp(cid, f->want) != 0)
		return 0;
	snprintf(f->entity, sizeof(f->entity), "%s", entity);
	snprintf(f->id, sizeof(f->id), "%s", id);
	snprintf(f->field, sizeof(f->field), "%s", field);
	f->found = 1;
	return 1;
}

int wk_conflict_resolve(wk_store *st, const char *id, int keep, const char *value)
{
	find_ctx f;
	json_t *values = NULL, *v;
	char *chosen = NULL;
	int rc;

	memset(&f, 0, sizeof(f));
	f.want = id;
	if ((rc = each_conflict(st, match, &f)) < 0)
		return rc;
	if (!f.found)
		return wk_error_set(WK_ENOTFOUND, "no open conflict %s here; 'wicket conflicts' lists them", id);
	if (keep >= 1) {
		if ((rc = heads_json(st, f.entity, f.id, f.field, &values)) < 0)
			return rc;
		if ((size_t)keep > json_array_size(values)) {
			rc = wk_error_set(WK_EUSAGE, "conflict %s has %zu values; --keep takes 1 to %zu", id,
			                  json_array_size(values), json_array_size(values));
			goto out;
		}
		v = json_object_get(json_array_get(values, (size_t)keep - 1), "value");
		if (json_is_string(v) && !(chosen = strdup(json_string_value(v)))) {
			rc = wk_error_set(WK_ELIMIT, "out of memory");
			goto out;
		}
		value = chosen;
	}
	rc = wk_entity_resolve(st, f.entity, f.id, f.field, value);
out:
	free(chosen);
	json_decref(values);
	return rc;
}
