/*
 * entity.c - the registry of domain tables and their fields, and the one
 * place that writes domain rows and their operations. See entity.h.
 */
#include "entity.h"
#include "error.h"
#include "buf.h"
#include "field.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

typedef struct {
	const char *name;
	const char *const *fields; /* NULL-terminated; the id column is implicit */
} entity_def;

#define FIELDS(...) (const char *const[]){ __VA_ARGS__, NULL }

static const entity_def entities[] = {
	{ "national_doc", FIELDS("kind", "code", "version", "title", "sha256", "doc") },
	{ "establishment", FIELDS("name", "category", "function", "current_stage") },
	{ "plan", FIELDS("establishment", "edm", "title", "current_stage", "target_stage", "status") },
	{ "assessment", FIELDS("plan", "baseline", "status", "local_arrangement", "owner",
	                       "target_date", "evidence", "rationale") },
	{ "inspection", FIELDS("title", "inspectorate", "report_published", "plan_submitted") },
	{ "recommendation", FIELDS("inspection", "number", "position", "addressee", "text",
	                           "text_missing", "response", "reason_category",
	                           "part_implemented", "response_text", "note") },
	{ "action", FIELDS("recommendation", "assessment", "position", "text", "owner",
	                   "target_date", "target_text", "status", "completion_date", "source_target") },
	{ "action_revision", FIELDS("action", "previous_date", "target_date", "reason", "recorded_at") },
	{ "progress", FIELDS("action", "recorded_at", "text", "person") },
	{ "signoff", FIELDS("plan", "role", "decision", "reason", "content_hash", "person", "signed_at") },
	{ "policy_script", FIELDS("kind", "version", "sha256", "source", "installed_at") },
	{ "decision", FIELDS("plan", "decided_on", "recorded_at", "decision", "rationale", "who") },
};

static const entity_def *find_entity(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
		if (strcmp(entities[i].name, name) == 0)
			return &entities[i];
	return NULL;
}

static int has_field(const entity_def *e, const char *field)
{
	const char *const *f;

	for (f = e->fields; *f; f++)
		if (strcmp(*f, field) == 0)
			return 1;
	return 0;
}

int wk_entity_known(const char *entity, const char *field)
{
	const entity_def *e = find_entity(entity);

	return e && (!field || has_field(e, field));
}

static int check_names(const char *entity, const char *field)
{
	const entity_def *e = find_entity(entity);

	if (!e)
		return wk_error_set(WK_EINVALID, "unknown record type '%s'", entity);
	if (field && !has_field(e, field))
		return wk_error_set(WK_EINVALID, "record type '%s' has no field '%s'", entity, field);
	return 0;
}

int wk_entity_set_actor(wk_store *st, const char *person, const char *device)
{
	if (!person || !*person)
		return wk_error_set(WK_EINVALID, "no person is set: give --person NAME or set it with 'wicket init --person'");
	if (wk_field_text("person", person, 255, 1) < 0)
		return WK_EINVALID;
	if (!device || !*device || strlen(device) >= 64)
		return wk_error_set(WK_EINVALID, "this store has no valid device code");
	return wk_store_set_actor(st, person, device);
}

int64_t wk_hlc_make(int64_t millis, int counter)
{
	return (millis << 16) | (counter & 0xffff);
}

int64_t wk_hlc_millis(int64_t hlc)
{
	return hlc >> 16;
}

int wk_hlc_counter(int64_t hlc)
{
	return (int)(hlc & 0xffff);
}

/* The next clock value: after every operation this store holds, and not before now. */
static int hlc_next(wk_store *st, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	struct timeval tv;
	int64_t now, last = 0;
	int rc;

	if (!wk_store_clock(st, &last)) {
		if ((rc = wk_store_cached(st, &s, "SELECT max(hlc) FROM op")) < 0)
			return rc;
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			last = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		if (rc != SQLITE_ROW)
			return wk_store_fail(st, rc, "cannot read the clock");
		wk_store_clock_seen(st, last, 1);
	}
	gettimeofday(&tv, NULL);
	now = wk_hlc_make((int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000, 0);
	*out = now > last ? now : last + 1;
	return 0;
}

/* Record an operation in the log; *seq (may be NULL) gets its place there. */
static int record(wk_store *st, int64_t hlc, const char *device, const char *person,
                  const char *entity, const char *id, const char *kind,
                  const char *field, const char *oldv, const char *newv, const char *parents,
                  int64_t *seq)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = wk_store_cached(st, &s,
	        "INSERT INTO op(hlc, device, person, entity, entity_id, kind, field, old_value, new_value, parents) "
	        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, hlc);
	sqlite3_bind_text(s, 2, device, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, person, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, field, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, oldv, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, newv, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, parents, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot record the change");
	sqlite3_reset(s);
	if (rc == 0)
		wk_store_clock_seen(st, hlc, 0);
	if (rc == 0 && seq)
		*seq = sqlite3_last_insert_rowid(wk_store_db(st));
	return rc;
}

/* ---- the heads of a field ------------------------------------------------------
 *
 * field_head holds, per field, the writes no other write held here lists as
 * a parent: one when the history is a line, several when writers did not see
 * each other. The field's value is the newest head's, by (clock, device).
 */

static int same(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * What a local write of entity/id/field sees, in one read: the field's
 * value (*old, NULL when empty) and the parents of the write, the heads
 * holding that value, as sorted "<device>@<clock>" joined by ','; all heads
 * when all is set (a resolution), and how many (*nparents). *parents NULL
 * when none. The names are checked before they reach the SQL.
 */
static int field_seen(wk_store *st, const char *entity, const char *id, const char *field, int all,
                      char **old, char **parents, size_t *nparents)
{
	sqlite3_stmt *s = NULL;
	char sql[320], **heads = NULL, **grown;
	wk_buf b = WK_BUF_INIT;
	size_t n = 0, cap = 0, i;
	int rc, found = 0;

	*old = *parents = NULL;
	*nparents = 0;
	if ((rc = check_names(entity, field)) < 0)
		return rc;
	snprintf(sql, sizeof(sql),
	         "SELECT r.%s, CASE WHEN o.seq IS NOT NULL THEN h.device || '@' || h.hlc END, o.new_value FROM %s r"
	         " LEFT JOIN field_head h ON h.entity = ?1 AND h.entity_id = r.id AND h.field = ?2"
	         " LEFT JOIN op o ON o.seq = h.op WHERE r.id = ?3",
	         field, entity);
	if ((rc = wk_store_cached(st, &s, sql)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, field, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		const char *head = (const char *)sqlite3_column_text(s, 1);

		if (!found++ && v && !(*old = strdup(v))) {
			rc = wk_error_set(WK_ELIMIT, "out of memory");
			break;
		}
		if (!head || !(all || same(*old, (const char *)sqlite3_column_text(s, 2))))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 4;
			if (!(grown = realloc(heads, cap * sizeof(*heads)))) {
				rc = wk_error_set(WK_ELIMIT, "out of memory");
				break;
			}
			heads = grown;
		}
		if (!(heads[n] = strdup(head))) {
			rc = wk_error_set(WK_ELIMIT, "out of memory");
			break;
		}
		n++;
	}
	if (rc == SQLITE_DONE)
		rc = found ? 0 : wk_error_set(WK_ENOTFOUND, "%s '%s' does not exist", entity, id);
	else if (rc > 0)
		rc = wk_store_fail(st, rc, "cannot read the record's history");
	sqlite3_reset(s);
	if (rc == 0 && n) {
		qsort(heads, n, sizeof(heads[0]), cmp_str);
		for (i = 0; i < n; i++) {
			if (i)
				wk_buf_putc(&b, ',');
			wk_buf_puts(&b, heads[i]);
		}
		if ((rc = wk_buf_check(&b, "the parents of a change")) == 0) {
			*parents = wk_buf_detach(&b);
			*nparents = n;
		}
	}
	for (i = 0; i < n; i++)
		free(heads[i]);
	free(heads);
	wk_buf_free(&b);
	if (rc < 0) {
		free(*old);
		*old = NULL;
	}
	return rc;
}

int wk_parents_next(const char **p, const char **device, size_t *len, int64_t *hlc)
{
	const char *at, *end;

	if (!*p || !**p)
		return 0;
	end = strchr(*p, ',');
	if (!end)
		end = *p + strlen(*p);
	at = memchr(*p, '@', (size_t)(end - *p));
	if (!at)
		return wk_error_set(WK_EINVALID, "a malformed parent in a change's parents list");
	*device = *p;
	*len = (size_t)(at - *p);
	*hlc = strtoll(at + 1, NULL, 10);
	*p = *end ? end + 1 : end;
	return 1;
}

/* The write at seq of entity/id/field replaces the heads it lists as parents, and is a head itself. */
static int heads_add(wk_store *st, const char *entity, const char *id, const char *field,
                     int64_t hlc, const char *device, const char *parents, int64_t seq)
{
	sqlite3_stmt *s = NULL;
	const char *p = parents, *dev;
	size_t len;
	int64_t hlc_p;
	int rc = 0;

	if (p && *p) {
		if ((rc = wk_store_cached(st, &s, "DELETE FROM field_head WHERE entity = ?1 AND entity_id = ?2"
		                                   " AND field = ?3 AND device = ?4 AND hlc = ?5")) < 0)
			return rc;
		sqlite3_bind_text(s, 1, entity, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, field, -1, SQLITE_STATIC);
		while (rc == 0 && (rc = wk_parents_next(&p, &dev, &len, &hlc_p)) == 1) {
			sqlite3_bind_text(s, 4, dev, (int)len, SQLITE_TRANSIENT);
			sqlite3_bind_int64(s, 5, hlc_p);
			rc = sqlite3_step(s);
			rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot merge the change");
			sqlite3_reset(s);
		}
		sqlite3_reset(s);
		if (rc < 0)
			return rc;
	}
	if ((rc = wk_store_cached(st, &s, "INSERT OR REPLACE INTO field_head(entity, entity_id, field, hlc, device, op)"
	                                   " VALUES (?, ?, ?, ?, ?, ?)")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, field, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, hlc);
	sqlite3_bind_text(s, 5, device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, seq);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot merge the change");
	sqlite3_reset(s);
	return rc;
}

static int actor_ok(wk_store *st)
{
	if (!wk_store_person(st)[0] || !wk_store_device(st)[0])
		return wk_error_set(WK_EUSAGE, "no person or device set for this change");
	return 0;
}

static int row_insert(wk_store *st, const char *entity, const char *id)
{
	sqlite3_stmt *s = NULL;
	char sql[128];
	int rc;

	snprintf(sql, sizeof(sql), "INSERT INTO %s(id) VALUES (?)", entity);
	if ((rc = wk_store_cached(st, &s, sql)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		rc = 0;
	else if ((rc & 0xff) == SQLITE_CONSTRAINT)
		rc = wk_error_set(WK_EEXISTS, "%s '%s' already exists", entity, id);
	else
		rc = wk_store_fail(st, rc, "cannot save the change");
	sqlite3_reset(s);
	return rc;
}

static int row_update(wk_store *st, const char *entity, const char *id,
                      const char *field, const char *value)
{
	sqlite3_stmt *s = NULL;
	char sql[160];
	int rc;

	snprintf(sql, sizeof(sql), "UPDATE %s SET %s = ? WHERE id = ?", entity, field);
	if ((rc = wk_store_cached(st, &s, sql)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, value, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		rc = sqlite3_changes(wk_store_db(st)) == 1 ? 0 :
			wk_error_set(WK_ENOTFOUND, "%s '%s' does not exist", entity, id);
	else if ((rc & 0xff) == SQLITE_CONSTRAINT)
		rc = wk_error_set(WK_EINVALID, "%s '%s': %s refers to a record that does not exist",
		                  entity, id, field);
	else
		rc = wk_store_fail(st, rc, "cannot save the change");
	sqlite3_reset(s);
	return rc;
}

int wk_entity_create(wk_store *st, const char *entity, const char *id)
{
	int64_t hlc;
	int rc;

	if ((rc = check_names(entity, NULL)) < 0 || (rc = actor_ok(st)) < 0)
		return rc;
	if (!id || !*id)
		return wk_error_set(WK_EINVALID, "a %s needs an id", entity);
	if ((rc = row_insert(st, entity, id)) < 0 || (rc = hlc_next(st, &hlc)) < 0)
		return rc;
	return record(st, hlc, wk_store_device(st), wk_store_person(st), entity, id, "create", NULL, NULL, NULL, NULL,
	              NULL);
}

int wk_entity_get(wk_store *st, const char *entity, const char *id,
                  const char *field, char **out)
{
	sqlite3_stmt *s = NULL;
	char sql[160];
	int rc;

	*out = NULL;
	if ((rc = check_names(entity, field)) < 0)
		return rc;
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE id = ?", field, entity);
	if ((rc = wk_store_cached(st, &s, sql)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		rc = 0;
		if (v && !(*out = strdup(v)))
			rc = wk_error_set(WK_ELIMIT, "out of memory");
	} else if (rc == SQLITE_DONE) {
		rc = wk_error_set(WK_ENOTFOUND, "%s '%s' does not exist", entity, id);
	} else {
		rc = wk_store_fail(st, rc, "cannot read the record");
	}
	sqlite3_reset(s);
	return rc;
}

int wk_entity_exists(wk_store *st, const char *entity, const char *id)
{
	sqlite3_stmt *s = NULL;
	char sql[128];
	int rc;

	if ((rc = check_names(entity, NULL)) < 0)
		return rc;
	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s WHERE id = ?", entity);
	if ((rc = wk_store_cached(st, &s, sql)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot read the record");
	sqlite3_reset(s);
	return rc;
}

/* A local write: over the value seen (the heads holding it), or over every head (resolve). */
static int set_local(wk_store *st, const char *entity, const char *id, const char *field, const char *value,
                     int resolve)
{
	char *old = NULL, *parents = NULL;
	size_t n;
	int64_t hlc, seq;
	int rc;

	if ((rc = actor_ok(st)) < 0 || (rc = field_seen(st, entity, id, field, resolve, &old, &parents, &n)) < 0)
		return rc;
	if (resolve ? n < 2 : same(old, value))
		goto out; /* nothing changes; a resolution needs at least two heads */
	if (n > WK_ENTITY_MAX_PARENTS) {
		rc = wk_error_set(WK_ELIMIT, "%s %s: %s has %zu concurrent values; a change can settle at most %d "
		                  "at once: ask the region to resolve it", entity, id, field, n, WK_ENTITY_MAX_PARENTS);
		goto out;
	}
	if ((rc = row_update(st, entity, id, field, value)) < 0 || (rc = hlc_next(st, &hlc)) < 0 ||
	    (rc = record(st, hlc, wk_store_device(st), wk_store_person(st), entity, id, "set", field, old, value,
	                 parents, &seq)) < 0)
		goto out;
	rc = heads_add(st, entity, id, field, hlc, wk_store_device(st), parents, seq);
out:
	free(old);
	free(parents);
	return rc;
}

int wk_entity_set(wk_store *st, const char *entity, const char *id,
                  const char *field, const char *value)
{
	return set_local(st, entity, id, field, value, 0);
}

int wk_entity_resolve(wk_store *st, const char *entity, const char *id,
                      const char *field, const char *value)
{
	return set_local(st, entity, id, field, value, 1);
}

/* The value of the field's newest head into the record (after a write from elsewhere). */
static int heads_settle(wk_store *st, const char *entity, const char *id, const char *field)
{
	sqlite3_stmt *s = NULL;
	char *value = NULL;
	int rc, found = 0;

	if ((rc = wk_store_cached(st, &s,
	        "SELECT o.new_value FROM field_head h JOIN op o ON o.seq = h.op"
	        " WHERE h.entity = ?1 AND h.entity_id = ?2 AND h.field = ?3 ORDER BY h.hlc DESC, h.device DESC LIMIT 1")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, field, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		found = 1;
		rc = 0;
		if (v && !(value = strdup(v)))
			rc = wk_error_set(WK_ELIMIT, "out of memory");
	} else {
		rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot read the record's history");
	}
	sqlite3_reset(s);
	if (rc == 0 && found)
		rc = row_update(st, entity, id, field, value);
	free(value);
	return rc;
}

int wk_entity_set_int(wk_store *st, const char *entity, const char *id,
                      const char *field, long long value)
{
	char v[32];

	snprintf(v, sizeof(v), "%lld", value);
	return wk_entity_set(st, entity, id, field, v);
}

int wk_entity_apply(wk_store *st, const wk_op *op)
{
	int rc;

	int64_t seq;

	if ((rc = check_names(op->entity, op->field)) < 0)
		return rc;
	if (strcmp(op->kind, "create") == 0) {
		/* Two writers may create one record (the same import on two devices): it merges. */
		if ((rc = wk_entity_exists(st, op->entity, op->entity_id)) == 0)
			rc = row_insert(st, op->entity, op->entity_id);
		if (rc < 0)
			return rc;
		return record(st, op->hlc, op->device, op->person, op->entity, op->entity_id,
		              op->kind, NULL, NULL, NULL, NULL, NULL);
	}
	if (strcmp(op->kind, "set") != 0 || !op->field)
		return wk_error_set(WK_EINVALID, "unknown operation kind '%s'", op->kind);
	if ((rc = wk_entity_exists(st, op->entity, op->entity_id)) <= 0)
		return rc < 0 ? rc : wk_error_set(WK_ENOTFOUND, "%s '%s' does not exist", op->entity, op->entity_id);
	if ((rc = record(st, op->hlc, op->device, op->person, op->entity, op->entity_id,
	                 op->kind, op->field, op->old_value, op->new_value, op->parents, &seq)) < 0 ||
	    (rc = heads_add(st, op->entity, op->entity_id, op->field, op->hlc, op->device, op->parents, seq)) < 0)
		return rc;
	return heads_settle(st, op->entity, op->entity_id, op->field);
}

int wk_entity_new_id(wk_store *st, char letter, char *out, size_t size)
{
	char key[32], *cur = NULL, next[32];
	long long n;
	int rc;

	if ((rc = actor_ok(st)) < 0)
		return rc;
	snprintf(key, sizeof(key), "counter.%c", letter);
	if ((rc = wk_store_meta_get(st, key, &cur)) < 0)
		return rc;
	n = cur ? atoll(cur) + 1 : 1;
	free(cur);
	snprintf(next, sizeof(next), "%lld", n);
	if ((rc = wk_store_meta_set(st, key, next)) < 0)
		return rc;
	snprintf(out, size, "%s-%c%lld", wk_store_device(st), letter, n);
	return 0;
}
