/*
 * ledger.c - sealing pending operations and accepting envelopes. See ledger.h.
 */
#include "ledger.h"
#include "changeset.h"
#include "entity.h"
#include "error.h"
#include "field.h"
#include "query.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most recipients an envelope is sealed to (200 sites' devices would not all be recipients of one). */
#define MAX_RECIPIENTS 1000

typedef struct {
	char *site, *device;
	long long last_seq;
	unsigned char last_hash[32];
} chain_pos;

static char *meta(wk_store *st, const char *key, int *rc)
{
	char *v = NULL;

	if ((*rc = wk_store_meta_get(st, key, &v)) == 0 && !v)
		*rc = wk_error_set(WK_EINVALID, "this store has no %s code; was it made by 'wicket init'?", key);
	return v;
}

/* The last changeset held of (site, device): seq 0 and a zero hash when none. */
static int chain_last(wk_store *st, const char *site, const char *device, long long *seq, unsigned char hash[32])
{
	sqlite3_stmt *s = NULL;
	int rc;

	*seq = 0;
	memset(hash, 0, 32);
	if ((rc = wk_store_cached(st, &s,
	        "SELECT seq, hash FROM changeset WHERE site = ? AND device = ? ORDER BY seq DESC LIMIT 1")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, device, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(s, 0);
		if (sqlite3_column_bytes(s, 1) == 32)
			memcpy(hash, sqlite3_column_blob(s, 1), 32);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot read the ledger");
	}
	sqlite3_reset(s);
	return rc;
}

static int ledger_insert(wk_store *st, const char *site, const char *device, long long seq,
                         const unsigned char hash[32], const unsigned char prev[32],
                         const unsigned char *env, size_t n, long long nops)
{
	sqlite3_stmt *s = NULL;
	char today[11];
	int rc;

	wk_field_today(today);
	if ((rc = wk_store_cached(st, &s,
	        "INSERT INTO changeset(site, device, seq, hash, prev, envelope, ops, recorded_at)"
	        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, seq);
	sqlite3_bind_blob(s, 4, hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, prev, 32, SQLITE_STATIC);
	sqlite3_bind_blob64(s, 6, env, n, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, nops);
	sqlite3_bind_text(s, 8, today, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot record the changeset");
	sqlite3_reset(s);
	return rc;
}

/* ---- sealing -------------------------------------------------------------- */

typedef struct {
	wk_store *st;
	const wk_ledger_keys *k;
	chain_pos pos;
	uint32_t schema;
	unsigned char (*recipients)[32];
	size_t nrecipients;
	wk_changeset *cs;
	long long first_op, last_op;
	size_t sealed;
} sealer;

/* What this store holds of the site's other chains: the changeset depends on them. */
static int add_depends(sealer *z)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = wk_store_prepare(z->st, &s, "SELECT device, max(seq) FROM changeset WHERE site = ? AND device != ?"
	                                      " GROUP BY device ORDER BY device")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, z->pos.site, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, z->pos.device, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((rc = wk_changeset_add_depend(z->cs, (const char *)sqlite3_column_text(s, 0),
		                                  (uint64_t)sqlite3_column_int64(s, 1))) < 0)
			goto out;
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(z->st, rc, "cannot read the ledger");
out:
	sqlite3_finalize(s);
	return rc;
}

static int add_catalogue(sealer *z)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = wk_store_prepare(z->st, &s, "SELECT id FROM national_doc ORDER BY id")) < 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((rc = wk_changeset_add_catalogue(z->cs, (const char *)sqlite3_column_text(s, 0))) < 0)
			goto out;
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(z->st, rc, "cannot read the catalogue");
out:
	sqlite3_finalize(s);
	return rc;
}

/* Seal z->cs into an envelope, record it, mark its operations sealed. */
static int flush(sealer *z)
{
	wk_buf enc = WK_BUF_INIT, env = WK_BUF_INIT;
	wk_envelope_meta m;
	unsigned char hash[32];
	sqlite3_stmt *s = NULL;
	int rc;

	if (!z->cs)
		return 0;
	if ((rc = wk_changeset_encode(&enc, z->cs)) < 0)
		goto out;
	wk_changeset_hash(hash, (const unsigned char *)enc.ptr, enc.len);
	m.site = z->pos.site;
	m.device = z->pos.device;
	m.seq = z->cs->seq;
	m.prev = z->cs->prev;
	if ((rc = wk_envelope_seal(&env, &m, (const unsigned char *)enc.ptr, enc.len, z->k->sign_pk, z->k->sign,
	                           z->k->sign_ctx, (const unsigned char (*)[32])z->recipients, z->nrecipients)) < 0 ||
	    (rc = ledger_insert(z->st, z->pos.site, z->pos.device, (long long)z->cs->seq, hash, z->cs->prev,
	                        (const unsigned char *)env.ptr, env.len, (long long)z->cs->nops)) < 0)
		goto out;
	if ((rc = wk_store_prepare(z->st, &s,
	        "UPDATE op SET changeset = ? WHERE device = ? AND changeset IS NULL AND seq BETWEEN ? AND ?")) < 0)
		goto out;
	sqlite3_bind_int64(s, 1, (long long)z->cs->seq);
	sqlite3_bind_text(s, 2, z->pos.device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, z->first_op);
	sqlite3_bind_int64(s, 4, z->last_op);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(z->st, rc, "cannot mark operations sealed");
	if (rc == 0) {
		z->pos.last_seq = (long long)z->cs->seq;
		memcpy(z->pos.last_hash, hash, 32);
		z->sealed++;
	}
out:
	sqlite3_finalize(s);
	wk_changeset_free(z->cs);
	z->cs = NULL;
	wk_buf_free(&enc);
	wk_buf_free(&env);
	return rc;
}

static int start(sealer *z)
{
	int rc = wk_changeset_new(&z->cs, z->pos.site, z->pos.device, (uint64_t)z->pos.last_seq + 1,
	                          z->pos.last_seq ? z->pos.last_hash : NULL, z->schema);

	if (rc == 0)
		rc = add_catalogue(z);
	return rc < 0 ? rc : add_depends(z);
}

static int seal_op(const wk_op *op, void *arg)
{
	sealer *z = arg;
	int rc;

	if (!z->cs && (rc = start(z)) < 0)
		return rc;
	rc = wk_changeset_add_op(z->cs, op);
	if (rc == WK_ELIMIT && z->cs->nops > 0) {
		/* Full: seal it, and this operation opens the next. */
		if ((rc = flush(z)) < 0 || (rc = start(z)) < 0)
			return rc;
		rc = wk_changeset_add_op(z->cs, op);
	}
	if (rc < 0)
		return rc;
	if (z->cs->nops == 1)
		z->first_op = op->seq;
	z->last_op = op->seq;
	return 0;
}

/* Pending operations of this device, read fully before any is marked (no cursor over rows we change). */
static int collect_pending(wk_store *st, const char *device, wk_op **ops, size_t *n, char ***strings)
{
	sqlite3_stmt *s = NULL;
	size_t cap = 0, k;
	int rc;

	*ops = NULL;
	*n = 0;
	*strings = NULL;
	if ((rc = wk_store_prepare(st, &s,
	        "SELECT seq, hlc, device, person, entity, entity_id, kind, field, old_value, new_value, parents"
	        " FROM op WHERE device = ? AND changeset IS NULL ORDER BY seq")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, device, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		wk_op *o;
		char **str;

		if (*n == cap) {
			wk_op *no;
			char **ns;
			cap = cap ? cap * 2 : 256;
			no = realloc(*ops, cap * sizeof(**ops));
			ns = realloc(*strings, cap * 9 * sizeof(char *));
			if (no)
				*ops = no;
			if (ns)
				*strings = ns;
			if (!no || !ns) {
				rc = wk_error_set(WK_ELIMIT, "out of memory reading pending operations");
				goto out;
			}
		}
		o = &(*ops)[*n];
		str = &(*strings)[*n * 9];
		o->seq = sqlite3_column_int64(s, 0);
		o->hlc = sqlite3_column_int64(s, 1);
		for (k = 0; k < 9; k++) {
			const char *t = (const char *)sqlite3_column_text(s, (int)k + 2);
			str[k] = t ? strdup(t) : NULL;
		}
		(*n)++;
		o->device = str[0];
		o->person = str[1];
		o->entity = str[2];
		o->entity_id = str[3];
		o->kind = str[4];
		o->field = str[5];
		o->old_value = str[6];
		o->new_value = str[7];
		o->parents = str[8];
	}
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot read pending operations");
out:
	sqlite3_finalize(s);
	return rc;
}

int wk_ledger_seal(wk_store *st, const wk_ledger_keys *k, size_t *sealed)
{
	sealer z;
	wk_op *ops = NULL;
	char **strings = NULL;
	size_t nops = 0, i;
	int rc;

	memset(&z, 0, sizeof(z));
	z.st = st;
	z.k = k;
	if (sealed)
		*sealed = 0;
	if ((rc = wk_store_begin(st)) < 0)
		return rc;
	z.pos.site = meta(st, "site", &rc);
	if (rc == 0)
		z.pos.device = meta(st, "device", &rc);
	if (rc < 0)
		goto out;
	z.schema = (uint32_t)wk_store_schema_version(st);
	z.recipients = malloc(MAX_RECIPIENTS * 32);
	if (!z.recipients) {
		rc = wk_error_set(WK_ELIMIT, "out of memory");
		goto out;
	}
	/*
	 * An establishment's copy of the national catalogue and rules is local:
	 * the region publishes national content (from its replica of the site,
	 * 'wicket region catalogue'), and a site's changesets may not carry it
	 * (wk_ledger_op_in_scope). Those operations are marked 0, "not sent".
	 */
	if ((rc = wk_store_exec(st, "UPDATE op SET changeset = 0 WHERE changeset IS NULL"
	        " AND device = (SELECT value FROM meta WHERE key = 'device')"
	        " AND coalesce((SELECT value FROM meta WHERE key = 'role'), '') != 'region-replica'"
	        " AND (entity = 'national_doc' OR (entity = 'policy_script' AND entity_id LIKE 'national/%'))",
	        "cannot mark national content local")) < 0)
		goto out;
	if ((rc = wk_trust_recipients(k->trust, z.pos.site, z.recipients, MAX_RECIPIENTS, &z.nrecipients)) < 0 ||
	    (rc = chain_last(st, z.pos.site, z.pos.device, &z.pos.last_seq, z.pos.last_hash)) < 0 ||
	    (rc = collect_pending(st, z.pos.device, &ops, &nops, &strings)) < 0)
		goto out;
	if (nops && z.nrecipients == 0) {
		rc = wk_error_set(WK_ECONFLICT, "the trust file names no recipients for site %s; ask the region to enrol this device",
		                  z.pos.site);
		goto out;
	}
	for (i = 0; i < nops && rc == 0; i++)
		rc = seal_op(&ops[i], &z);
	if (rc == 0)
		rc = flush(&z);
	if (rc == 0)
		rc = wk_store_commit(st);
	if (rc == 0 && sealed)
		*sealed = z.sealed;
out:
	if (rc < 0)
		wk_store_rollback(st);
	wk_changeset_free(z.cs);
	for (i = 0; i < nops * 9; i++)
		free(strings[i]);
	free(strings);
	free(ops);
	free(z.recipients);
	free(z.pos.site);
	free(z.pos.device);
	return rc;
}

/* ---- accepting ------------------------------------------------------------ */

int wk_ledger_op_in_scope(const char *site, int role, const wk_op *op)
{
	char prefix[64];
	int decides = op->field && strcmp(op->entity, "plan") == 0 && strcmp(op->field, "status") == 0 && op->new_value &&
	              (strcmp(op->new_value, "approved") == 0 || strcmp(op->new_value, "returned") == 0);

	/* A resolution writes over two or more concurrent writes of a field (wk_entity_resolve). */
	int resolves = op->field && op->parents && strchr(op->parents, ',');

	if (role == WK_TRUST_OFFICER || role == WK_TRUST_ROOT) {
		if (strcmp(op->entity, "signoff") == 0 || decides || resolves || strcmp(op->entity, "national_doc") == 0)
			return 0;
		return wk_error_set(WK_EPOLICY, "operation %lld: a regional officer writes for a site only sign-offs, "
		                    "conflict resolutions and national documents, not %s %s",
		                    (long long)op->seq, op->entity, op->entity_id);
	}
	if (strcmp(op->entity, "signoff") == 0 || decides)
		return wk_error_set(WK_EPOLICY, "operation %lld: an establishment's device cannot sign off or approve its own plan",
		                    (long long)op->seq);
	if (strcmp(op->entity, "national_doc") == 0)
		return wk_error_set(WK_EPOLICY, "operation %lld writes a national document; only the region publishes those",
		                    (long long)op->seq);
	if (strcmp(op->entity, "establishment") == 0 && strcmp(op->entity_id, site) != 0)
		return wk_error_set(WK_EPOLICY, "operation %lld writes establishment %s, not its own site %s",
		                    (long long)op->seq, op->entity_id, site);
	if (strcmp(op->entity, "plan") == 0 && op->field && strcmp(op->field, "establishment") == 0 &&
	    op->new_value && strcmp(op->new_value, site) != 0)
		return wk_error_set(WK_EPOLICY, "operation %lld gives plan %s to establishment %s, not its own site %s",
		                    (long long)op->seq, op->entity_id, op->new_value, site);
	snprintf(prefix, sizeof(prefix), "sites/%s/", site);
	if (strcmp(op->entity, "policy_script") == 0 &&
	    (strncmp(op->entity_id, prefix, strlen(prefix)) != 0 ||
	     (op->field && strcmp(op->field, "kind") == 0 && op->new_value && strcmp(op->new_value, "site") != 0)))
		return wk_error_set(WK_EPOLICY, "operation %lld writes policy script %s outside %s",
		                    (long long)op->seq, op->entity_id, prefix);
	return 0;
}

static void quarantine(wk_store *st, const wk_envelope_info *info, const char *source,
                       const unsigned char *env, size_t n, const char *reason)
{
	sqlite3_stmt *s = NULL;
	char today[11];

	wk_field_today(today);
	wk_store_rollback(st);
	if (wk_store_begin(st) < 0)
		return;
	if (wk_store_cached(st, &s,
	        "INSERT INTO quarantine(recorded_at, source, site, device, seq, reason, envelope)"
	        " VALUES (?, ?, ?, ?, ?, ?, ?)") == 0) {
		sqlite3_bind_text(s, 1, today, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, source, -1, SQLITE_STATIC);
		if (info && info->site[0]) {
			sqlite3_bind_text(s, 3, info->site, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 4, info->device, -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 5, (long long)info->seq);
		}
		sqlite3_bind_text(s, 6, reason, -1, SQLITE_STATIC);
		/* Keep the bytes for the audit, within the envelope cap. */
		sqlite3_bind_blob64(s, 7, env, n, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_DONE) {
			sqlite3_reset(s);
			wk_store_commit(st);
			return;
		}
	}
	sqlite3_reset(s);
	wk_store_rollback(st);
}

typedef struct {
	wk_store *st;
	const char *site;
} apply_ctx;

static int same_bytes(wk_store *st, const wk_envelope_info *info, const unsigned char *env, size_t n, int *same)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*same = 0;
	if ((rc = wk_store_cached(st, &s,
	        "SELECT envelope FROM changeset WHERE site = ? AND device = ? AND seq = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, info->site, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, info->device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (long long)info->seq);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*same = (size_t)sqlite3_column_bytes(s, 0) == n && memcmp(sqlite3_column_blob(s, 0), env, n) == 0;
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot read the ledger");
	sqlite3_reset(s);
	return rc;
}

/* ---- waiting for dependencies -------------------------------------------- */

/* 1 if the changeset (site, device, seq) waits here, 0 if not. */
static int waiting_holds(wk_store *st, const char *site, const char *device, long long seq)
{
	const char *args[3];
	char n[24];
	long long found = 0;
	int rc;

	snprintf(n, sizeof(n), "%lld", seq);
	args[0] = site;
	args[1] = device;
	args[2] = n;
	rc = wk_query_int(st, args, 3, "SELECT count(*) FROM waiting WHERE site = ?1 AND device = ?2 AND seq = ?3", &found);
	return rc < 0 ? rc : found > 0;
}

/* Keep an envelope that cannot be applied yet, in its own transaction. */
static int wait_for(wk_store *st, const wk_envelope_info *info, const char *source, const unsigned char *env,
                    size_t n, const char *reason)
{
	sqlite3_stmt *s = NULL;
	int rc;

	wk_store_rollback(st);
	if ((rc = wk_store_begin(st)) < 0)
		return rc;
	if ((rc = wk_store_cached(st, &s, "INSERT OR IGNORE INTO waiting(site, device, seq, source, reason, envelope)"
	                                   " VALUES (?, ?, ?, ?, ?, ?)")) < 0)
		goto out;
	sqlite3_bind_text(s, 1, info->site, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, info->device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (long long)info->seq);
	sqlite3_bind_text(s, 4, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, reason, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(s, 6, env, n, SQLITE_STATIC);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot keep a changeset for later");
	sqlite3_reset(s);
out:
	if (rc == 0)
		return wk_store_commit(st);
	wk_store_rollback(st);
	return rc;
}

/* The first dependency of cs not held yet, described in why; 0 when all are held, 1 when one is missing. */
static int depends_missing(wk_store *st, const wk_changeset *cs, char *why, size_t size)
{
	unsigned char hash[32];
	size_t i;
	int rc;

	for (i = 0; i < cs->ndepends; i++) {
		char device[24];
		const char *colon = strchr(cs->depends[i], ':');
		long long want = atoll(colon + 1), held = 0;

		snprintf(device, sizeof(device), "%.*s", (int)(colon - cs->depends[i]), cs->depends[i]);
		if ((rc = chain_last(st, cs->site, device, &held, hash)) < 0)
			return rc;
		if (held < want) {
			snprintf(why, size, "changeset %s/%s #%llu waits for %s/%s #%lld (held: #%lld)", cs->site, cs->device,
			         (unsigned long long)cs->seq, cs->site, device, want, held);
			return 1;
		}
	}
	return 0;
}

static int drop_waiting(wk_store *st, const char *site, const char *device, long long seq)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = wk_store_cached(st, &s, "DELETE FROM waiting WHERE site = ? AND device = ? AND seq = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, seq);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot update the changesets waiting");
	sqlite3_reset(s);
	return rc;
}

static int accept_one(wk_store *st, const wk_ledger_keys *k, const unsigned char *env, size_t n,
                      const char *source);

/*
 * After a changeset is applied, those waiting for it may go: try every
 * waiting one in (device, seq) order until a whole pass takes none.
 */
static int drain_waiting(wk_store *st, const wk_ledger_keys *k, size_t *drained)
{
	int progress = 1, rc = 0;

	while (progress && rc == 0) {
		sqlite3_stmt *s = NULL;
		long long last_rowid = 0;

		progress = 0;
		for (;;) {
			unsigned char *env = NULL;
			char site[24], device[24], *source = NULL;
			long long seq = 0, rowid = 0;
			size_t n = 0;
			int r;

			/* One row at a time: accepting changes the table. */
			if ((rc = wk_store_cached(st, &s, "SELECT rowid, site, device, seq, source, envelope FROM waiting"
			                                   " WHERE rowid > ? ORDER BY rowid LIMIT 1")) < 0)
				return rc;
			sqlite3_bind_int64(s, 1, last_rowid);
			r = sqlite3_step(s);
			if (r == SQLITE_ROW) {
				rowid = sqlite3_column_int64(s, 0);
				snprintf(site, sizeof(site), "%s", (const char *)sqlite3_column_text(s, 1));
				snprintf(device, sizeof(device), "%s", (const char *)sqlite3_column_text(s, 2));
				seq = sqlite3_column_int64(s, 3);
				source = sqlite3_column_text(s, 4) ? strdup((const char *)sqlite3_column_text(s, 4)) : NULL;
				n = (size_t)sqlite3_column_bytes(s, 5);
				if ((env = malloc(n ? n : 1)))
					memcpy(env, sqlite3_column_blob(s, 5), n);
			}
			sqlite3_reset(s);
			if (r != SQLITE_ROW) {
				if (r != SQLITE_DONE)
					rc = wk_store_fail(st, r, "cannot read the changesets waiting");
				break;
			}
			last_rowid = rowid;
			if (!env) {
				free(source);
				return wk_error_set(WK_ELIMIT, "out of memory");
			}
			r = accept_one(st, k, env, n, source ? source : "waiting");
			free(env);
			free(source);
			if (r == WK_LEDGER_WAITING)
				continue;
			/* Applied, a duplicate, or refused (then quarantined with its reason): it waits no more. */
			if (r == WK_LEDGER_APPLIED) {
				progress = 1;
				(*drained)++;
			}
			if ((rc = drop_waiting(st, site, device, seq)) < 0)
				return rc;
		}
	}
	return rc;
}

/* The chain position: next in line, a duplicate (1), behind a waiting one (2), or refused. */
static int chain_check(wk_store *st, const wk_envelope_info *info, const unsigned char *env, size_t n)
{
	unsigned char last_hash[32];
	long long last = 0;
	int rc, same = 0;

	if ((rc = chain_last(st, info->site, info->device, &last, last_hash)) < 0)
		return rc;
	if ((long long)info->seq <= last) {
		if ((rc = same_bytes(st, info, env, n, &same)) < 0)
			return rc;
		if (same)
			return 1;
		return wk_error_set(WK_ECONFLICT,
			"changeset %s/%s #%llu conflicts with the one already held at that sequence (a fork or a replay)",
			info->site, info->device, (unsigned long long)info->seq);
	}
	if ((long long)info->seq != last + 1) {
		/*
		 * Right behind a changeset of the same chain that waits for its
		 * dependencies (so the run of waiting ones has no hole): wait too.
		 */
		if ((rc = waiting_holds(st, info->site, info->device, (long long)info->seq - 1)) != 0)
			return rc < 0 ? rc : 2;
		return wk_error_set(WK_ECONFLICT, "changeset %s/%s #%llu leaves a gap: the next expected is #%lld",
		                    info->site, info->device, (unsigned long long)info->seq, last + 1);
	}
	if (memcmp(info->prev, last_hash, 32) != 0)
		return wk_error_set(WK_ECONFLICT,
			"changeset %s/%s #%llu does not follow the one held before it (its previous hash differs: a fork)",
			info->site, info->device, (unsigned long long)info->seq);
	return 0;
}

/*
 * A regional officer's set of an establishment's record is a resolution: it
 * must write over writes of that field this store holds (with dependencies,
 * every parent the officer saw is held here), never over invented ones.
 */
static int resolution_real(wk_store *st, const wk_op *op)
{
	sqlite3_stmt *s = NULL;
	const char *p = op->parents, *dev;
	size_t len;
	int64_t hlc;
	int rc = 0;

	if ((rc = wk_store_cached(st, &s, "SELECT 1 FROM op WHERE entity = ?1 AND entity_id = ?2 AND field = ?3"
	                                  " AND device = ?4 AND hlc = ?5 AND kind = 'set'")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, op->entity, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, op->entity_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, op->field, -1, SQLITE_TRANSIENT);
	while (rc == 0 && (rc = wk_parents_next(&p, &dev, &len, &hlc)) == 1) {
		sqlite3_bind_text(s, 4, dev, (int)len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 5, hlc);
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE)
			rc = wk_error_set(WK_EPOLICY, "operation %lld: a regional resolution of %s %s.%s writes over a change "
			                  "this store does not hold (%.*s@%lld)", (long long)op->seq, op->entity, op->entity_id,
			                  op->field, (int)len, dev, (long long)hlc);
		else
			rc = rc == SQLITE_ROW ? 0 : wk_store_fail(st, rc, "cannot read the log");
		sqlite3_reset(s);
	}
	return rc;
}

static int apply_changeset(wk_store *st, const wk_changeset *cs, int role)
{
	sqlite3_stmt *s = NULL;
	size_t i;
	int rc;

	for (i = 0; i < cs->nops; i++)
		if ((rc = wk_ledger_op_in_scope(cs->site, role, &cs->ops[i])) < 0)
			return rc;
	for (i = 0; i < cs->nops; i++) {
		const wk_op *op = &cs->ops[i];

		/* Checked in turn: a resolution may write over an earlier one of the same changeset. */
		if (role != WK_TRUST_DEVICE && op->field && op->parents && strchr(op->parents, ',') &&
		    strcmp(op->entity, "signoff") != 0 && strcmp(op->entity, "national_doc") != 0 &&
		    (rc = resolution_real(st, op)) < 0)
			return rc;
		if ((rc = wk_entity_apply(st, op)) < 0)
			return wk_error_set(rc, "changeset %s/%s #%llu, operation %lld: %s", cs->site, cs->device,
			                    (unsigned long long)cs->seq, (long long)cs->ops[i].seq, wk_error_msg());
	}
	/* The applied operations are part of that changeset, never this device's pending work. */
	if ((rc = wk_store_prepare(st, &s, "UPDATE op SET changeset = ? WHERE device = ? AND changeset IS NULL")) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, (long long)cs->seq);
	sqlite3_bind_text(s, 2, cs->device, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot record the changeset");
	sqlite3_finalize(s);
	return rc;
}

int wk_ledger_accept_drain(wk_store *st, const wk_ledger_keys *k, const unsigned char *env, size_t n,
                           const char *source, size_t *drained)
{
	int rc = accept_one(st, k, env, n, source);
	char msg[1024];

	*drained = 0;
	if (rc == WK_LEDGER_APPLIED) {
		int r;
		snprintf(msg, sizeof(msg), "%s", wk_error_msg());
		if ((r = drain_waiting(st, k, drained)) < 0)
			return r;
		wk_error_set(0, "%s", msg);
	}
	return rc;
}

int wk_ledger_accept(wk_store *st, const wk_ledger_keys *k, const unsigned char *env, size_t n,
                     const char *source)
{
	size_t drained;

	return wk_ledger_accept_drain(st, k, env, n, source, &drained);
}

static int accept_one(wk_store *st, const wk_ledger_keys *k, const unsigned char *env, size_t n,
                      const char *source)
{
	wk_envelope_info info;
	wk_buf plain = WK_BUF_INIT;
	wk_changeset *cs = NULL;
	unsigned char hash[32];
	char *mysite = NULL, *mydevice = NULL, reason[1024];
	int rc, role;

	memset(&info, 0, sizeof(info));
	/* 1. size caps and layout; 2. trust; 3. signature. */
	if ((rc = wk_envelope_parse(&info, env, n, NULL)) < 0 ||
	    (rc = wk_trust_check_signer(k->trust, info.signer, info.site, info.seq,
	                                WK_TRUST_DEVICE | WK_TRUST_OFFICER)) < 0 ||
	    (rc = wk_envelope_verify(&info)) < 0)
		goto refuse;
	if ((rc = wk_store_begin(st)) < 0)
		goto out;
	mysite = meta(st, "site", &rc);
	if (rc == 0)
		mydevice = meta(st, "device", &rc);
	if (rc < 0)
		goto refuse;
	if (strcmp(info.site, mysite) != 0) {
		rc = wk_error_set(WK_EPOLICY, "changeset %s/%s #%llu belongs to site %s, not to this store's site %s",
		                  info.site, info.device, (unsigned long long)info.seq, info.site, mysite);
		goto refuse;
	}
	/* 4. chain position. */
	if ((rc = chain_check(st, &info, env, n)) == 1) {
		wk_store_rollback(st);
		rc = WK_LEDGER_DUPLICATE;
		goto out;
	}
	if (rc == 2) {
		snprintf(reason, sizeof(reason), "changeset %s/%s #%llu waits behind an earlier one of its chain",
		         info.site, info.device, (unsigned long long)info.seq);
		goto wait;
	}
	if (rc < 0)
		goto refuse;
	/* 5. decryption; 6. decoding with caps; the header and the changeset agree. */
	if ((rc = wk_envelope_decrypt(&plain, &info, k->box_pk, k->open_sealed, k->open_ctx, NULL)) < 0 ||
	    (rc = wk_changeset_decode(&cs, (const unsigned char *)plain.ptr, plain.len, NULL)) < 0)
		goto refuse;
	if (strcmp(cs->site, info.site) != 0 || strcmp(cs->device, info.device) != 0 || cs->seq != info.seq ||
	    memcmp(cs->prev, info.prev, 32) != 0) {
		rc = wk_error_set(WK_EBADSIG, "changeset %s/%s #%llu: the envelope and the changeset inside it disagree",
		                  info.site, info.device, (unsigned long long)info.seq);
		goto refuse;
	}
	/* 7. what it depends on is held (or it waits); every operation in scope, applied in this one transaction. */
	if ((rc = depends_missing(st, cs, reason, sizeof(reason))) == 1)
		goto wait;
	if (rc < 0)
		goto refuse;
	wk_changeset_hash(hash, (const unsigned char *)plain.ptr, plain.len);
	{
		const wk_trust_entry *who = NULL;
		role = wk_trust_lookup(k->trust, info.signer, &who) == 0 && who ? who->role : WK_TRUST_DEVICE;
	}
	if ((rc = apply_changeset(st, cs, role)) < 0 ||
	    (rc = ledger_insert(st, info.site, info.device, (long long)info.seq, hash, info.prev, env, n,
	                        (long long)cs->nops)) < 0)
		goto refuse;
	if ((rc = wk_store_commit(st)) < 0)
		goto out;
	rc = WK_LEDGER_APPLIED;
	goto out;
wait:
	if ((rc = wait_for(st, &info, source, env, n, reason)) == 0) {
		wk_error_set(0, "%s", reason);
		rc = WK_LEDGER_WAITING;
	}
	goto out;
refuse:
	snprintf(reason, sizeof(reason), "%s", wk_error_msg());
	quarantine(st, &info, source, env, n, reason);
	wk_error_set(rc, "%s", reason);
out:
	if (rc < 0)
		wk_store_rollback(st);
	wk_changeset_free(cs);
	if (plain.ptr)
		sodium_memzero(plain.ptr, plain.cap);
	wk_buf_free(&plain);
	free(mysite);
	free(mydevice);
	return rc;
}

int wk_ledger_holds(wk_store *st, const char *site, const char *device, long long seq)
{
	unsigned char hash[32];
	long long last = 0;
	int rc = chain_last(st, site, device, &last, hash);

	return rc < 0 ? rc : last >= seq;
}

int wk_ledger_each(wk_store *st, int (*cb)(const char *site, const char *device, long long seq,
                                           const unsigned char *env, size_t n, void *arg),
                   void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = wk_store_prepare(st, &s, "SELECT site, device, seq, envelope FROM changeset ORDER BY site, device, seq")) < 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((rc = cb((const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
		             sqlite3_column_int64(s, 2), sqlite3_column_blob(s, 3), (size_t)sqlite3_column_bytes(s, 3),
		             arg)) < 0)
			goto out;
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot read the ledger");
out:
	sqlite3_finalize(s);
	return rc;
}

int wk_ledger_counts(wk_store *st, long long *pending_ops, long long *changesets, long long *quarantined)
{
	int rc;

	if ((rc = wk_query_int(st, NULL, 0,
	        "SELECT count(*) FROM op WHERE changeset IS NULL AND device = (SELECT value FROM meta WHERE key = 'device')",
	        pending_ops)) < 0 ||
	    (rc = wk_query_int(st, NULL, 0, "SELECT count(*) FROM changeset", changesets)) < 0)
		return rc;
	return wk_query_int(st, NULL, 0, "SELECT count(*) FROM quarantine", quarantined);
}
