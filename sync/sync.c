/*
 * sync.c - a sync with the regional repository. See sync.h.
 */
#include "sync.h"
#include "envelope.h"
#include "error.h"
#include "query.h"
#include "region.h"
#include "truststore.h"

#include <stdarg.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRACK "refs/remotes/region/"

/* ---- what this store has seen of each ref ---------------------------------- */

static int seen_get(wk_store *st, const char *ref, char oid[41])
{
	char key[400], *v = NULL;
	int rc;

	snprintf(key, sizeof(key), "git.seen:%s", ref);
	oid[0] = '\0';
	if ((rc = wk_store_meta_get(st, key, &v)) == 0 && v)
		snprintf(oid, 41, "%s", v);
	free(v);
	return rc;
}

static int seen_set(wk_store *st, const char *ref, const char *oid)
{
	char key[400];

	snprintf(key, sizeof(key), "git.seen:%s", ref);
	return wk_store_meta_set(st, key, oid);
}

static void problem(wk_sync_report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(wk_sync_report *rep, const char *fmt, ...)
{
	va_list ap;

	if (rep->problem[0])
		return; /* the first one is the one to read */
	va_start(ap, fmt);
	vsnprintf(rep->problem, sizeof(rep->problem), fmt, ap);
	va_end(ap);
}

/*
 * Merge the mirror's smallest packs at the end of a sync (rc: the sync's
 * result so far); its failure is a warning, not the sync's, and leaves the
 * sync's own error (an offline sync's) as it was.
 */
static void tidy(wk_repo *repo, wk_sync_report *rep, int rc)
{
	char why[4096];

	snprintf(why, sizeof(why), "%s", rc < 0 ? wk_error_msg() : "");
	if (wk_repo_tidy(repo) < 0)
		problem(rep, "%s", wk_error_msg());
	else if (wk_repo_warning(repo)[0])
		problem(rep, "%s", wk_repo_warning(repo));
	if (rc < 0)
		wk_error_set(rc, "%s", why);
}

/*
 * A remote-tracking ref the remote moved backwards, or to another line of
 * history, is a rollback: put it back where it was seen and use nothing of it.
 */
static int rolled_back(wk_repo *repo, wk_store *st, const char *ref, wk_sync_report *rep)
{
	char tip[41], seen[41];

	if (seen_get(st, ref, seen) < 0 || wk_repo_tip(repo, ref, tip) < 0)
		return -1;
	if (!seen[0] || (tip[0] && wk_repo_descends(repo, tip, seen)))
		return 0;
	wk_repo_set_ref(repo, ref, seen);
	problem(rep, "the regional repository rewrote %s to an older state: refused as a rollback (nothing of it was "
	        "used; tell the region)", ref + strlen(TRACK));
	return 1;
}

/* ---- trust ------------------------------------------------------------------ */

typedef struct {
	wk_store *st;
	wk_sync_report *rep;
	const char *ref;
	const wk_ledger_keys *k;
} walk_ctx;

/*
 * On the regional repository the trust file travels sealed, like a changeset
 * (promise 5: it names people): an envelope of the region's code and device
 * "trust", sequence = the trust version, signed by a regional officer and
 * sealed to every key the trust file lists. Opened here with the same checks.
 */
static int open_trust_envelope(walk_ctx *w, const unsigned char *env, size_t n, wk_buf *plain)
{
	wk_envelope_info info;
	int rc;

	if ((rc = wk_envelope_parse(&info, env, n, NULL)) < 0 ||
	    (rc = wk_trust_check_signer(w->k->trust, info.signer, info.site, info.seq, WK_TRUST_OFFICER | WK_TRUST_ROOT)) < 0 ||
	    (rc = wk_envelope_verify(&info)) < 0)
		return rc;
	if (strcmp(info.device, "trust") != 0)
		return wk_error_set(WK_EINVALID, "the trust ref holds something that is not a trust file");
	return wk_envelope_decrypt(plain, &info, w->k->box_pk, w->k->open_sealed, w->k->open_ctx, NULL);
}

/* The version a trust file names (docs/format/trust.md: a u64 at offset 8), unverified: only to skip old ones. */
static unsigned long long trust_version_of(const unsigned char *p, size_t n)
{
	unsigned long long v = 0;
	int i;

	if (n < 16)
		return 0;
	for (i = 8; i < 16; i++)
		v = (v << 8) | p[i];
	return v;
}

static int take_trust(const char *oid, const unsigned char *blob, size_t n, void *arg)
{
	walk_ctx *w = arg;
	wk_buf plain = WK_BUF_INIT;
	unsigned long long v = 0;
	long long held = 0;

	wk_query_int(w->st, NULL, 0, "SELECT coalesce(max(version), 0) FROM trust_file", &held);
	if (open_trust_envelope(w, blob, n, &plain) < 0) {
		/* Sealed before this device was enrolled, or not for it: older trust it already has by enrolment. */
		if (wk_error_code() != WK_ENOTFOUND)
			problem(w->rep, "a trust file on the regional repository was refused: %s", wk_error_msg());
	} else if (trust_version_of((const unsigned char *)plain.ptr, plain.len) > (unsigned long long)held) {
		/* Older versions are history on the ref, not a rollback (the ref itself moved forward). */
		if (wk_truststore_import(w->st, (const unsigned char *)plain.ptr, plain.len, NULL, &v) < 0)
			problem(w->rep, "a trust file on the regional repository was refused: %s", wk_error_msg());
		else if (v)
			w->rep->trust_updates++;
	}
	wk_buf_free(&plain);
	return seen_set(w->st, w->ref, oid);
}

static int follow_trust(wk_store *st, wk_repo *repo, const wk_ledger_keys *k, wk_sync_report *rep)
{
	const char *ref = TRACK "region/trust";
	char seen[41];
	walk_ctx w = { st, rep, ref, k };
	int rc;

	if ((rc = rolled_back(repo, st, ref, rep)) != 0)
		return rc < 0 ? rc : 0;
	if ((rc = seen_get(st, ref, seen)) < 0)
		return rc;
	return wk_repo_walk(repo, ref, seen, "trust", WK_TRUST_MAX_BYTES, take_trust, &w);
}

/* ---- other devices' changesets ------------------------------------------- */

typedef struct {
	wk_store *st;          /* where to apply; NULL: per site (region) */
	wk_store *region;
	const char *dir;
	wk_repo *repo;
	wk_ledger_keys *k;
	wk_sync_report *rep;
	const char *skip;      /* this device's own ref */
	const char *ref;
	wk_store *target;
	char pending[41];      /* the last commit taken whose progress is not yet recorded */
	unsigned unrecorded;   /* commits taken since the progress was last recorded */
	int failed;            /* a store's failure while the fetch went on (take_ready), */
	char failure[1024];    /* and its message */
} accept_ctx;

/*
 * How many commits of a ref are taken between records of the progress
 * ("git.seen"). Recording it is a durable transaction of its own (in the
 * region's book, a second file), so doing it per commit doubled the syncs
 * of a pull. After a crash at most this many commits are walked again: each
 * is then a duplicate, except a refused one, whose progress is recorded at
 * once so that it is never quarantined twice.
 */
#define SEEN_EVERY 256u

static int seen_flush(accept_ctx *a)
{
	int rc = 0;

	if (a->pending[0])
		rc = seen_set(a->region ? a->region : a->target, a->ref, a->pending);
	a->pending[0] = '\0';
	a->unrecorded = 0;
	return rc;
}

/* Failures of a store or a disk, not of what was received: they stop the sync (it can be run again). */
static int store_failure(int rc)
{
	return rc == WK_ELOCKED || rc == WK_EREADONLY || rc == WK_ENOSPACE || rc == WK_EIO || rc == WK_ECORRUPT ||
	       rc == WK_ENOTSTORE;
}

static int take_envelope(const char *oid, const unsigned char *blob, size_t n, void *arg)
{
	accept_ctx *a = arg;
	size_t drained = 0;
	int rc = wk_ledger_accept_drain(a->target, a->k, blob, n, a->ref + strlen(TRACK), &drained);

	if (rc == WK_LEDGER_APPLIED) {
		/* Those it let through were applied too; those of this run no longer wait. */
		a->rep->applied += 1 + drained;
		a->rep->waiting -= drained < a->rep->waiting ? drained : a->rep->waiting;
	} else if (rc == WK_LEDGER_DUPLICATE)
		a->rep->duplicate++;
	else if (rc == WK_LEDGER_WAITING)
		a->rep->waiting++;
	else if (store_failure(rc))
		return rc; /* the store could not take it: nothing was refused, the next sync tries again */
	else {
		a->rep->refused++;
		problem(a->rep, "a changeset on %s was refused and quarantined: %s", a->ref + strlen(TRACK), wk_error_msg());
		/* Every commit is looked at once: a refused one sits in quarantine with its reason. */
		snprintf(a->pending, sizeof(a->pending), "%s", oid);
		return seen_flush(a);
	}
	snprintf(a->pending, sizeof(a->pending), "%s", oid);
	return ++a->unrecorded < SEEN_EVERY ? 0 : seen_flush(a);
}

static int take_ref(const char *ref, void *arg)
{
	accept_ctx *a = arg;
	wk_store *book = a->region ? a->region : a->st, *site_store = NULL;
	char seen[41];
	int rc;

	if (a->skip && strcmp(ref, a->skip) == 0)
		return 0;
	if ((rc = rolled_back(a->repo, book, ref, a->rep)) != 0)
		return rc < 0 ? rc : 0;
	if ((rc = seen_get(book, ref, seen)) < 0)
		return rc;
	a->ref = ref;
	if (a->region) {
		/* refs/remotes/region/sites/<SITE>/<DEVICE>: that site's replica. */
		char site[24];
		const char *p = ref + strlen(TRACK "sites/");
		size_t len = strcspn(p, "/");

		snprintf(site, sizeof(site), "%.*s", (int)(len < 23 ? len : 23), p);
		if ((rc = wk_region_site_store(&site_store, a->region, a->dir, site, 1)) < 0) {
			if (store_failure(rc))
				return rc;
			problem(a->rep, "%s", wk_error_msg());
			return 0;
		}
		a->target = site_store;
	} else {
		a->target = a->st;
	}
	rc = wk_repo_walk(a->repo, ref, seen, "envelope", ((size_t)64 << 20), take_envelope, a);
	{
		/* What was taken stays taken, whatever stopped the walk. */
		int r = seen_flush(a);
		if (rc == 0)
			rc = r;
	}
	if (rc < 0 && !store_failure(rc)) {
		problem(a->rep, "%s", wk_error_msg());
		rc = 0;
	}
	wk_store_close(site_store);
	return rc;
}

/* wk_remote_options.ref_ready: take a device's ref while the fetch goes on; a store's failure stops the taking. */
static void take_ready(void *arg, const char *ref)
{
	accept_ctx *a = arg;
	int rc;

	if (a->failed < 0 || strncmp(ref, TRACK "sites/", strlen(TRACK "sites/")) != 0)
		return;
	if ((rc = take_ref(ref, a)) < 0) {
		a->failed = rc;
		snprintf(a->failure, sizeof(a->failure), "%s", wk_error_msg());
	}
}

/* ---- this device's own changesets -------------------------------------------- */

/*
 * A device's chain is linear and its ref fast-forward only: changeset #n's
 * commit is the parent of #n+1's. So a commit the remote confirmed holds
 * every changeset of the chain up to its own, and what is committed is a
 * prefix of the chain: both are found by sequence number, never by walking
 * the history once per changeset.
 */

/* The changeset of this chain whose commit is oid: *seq, or 0 when none. */
static int seq_of_commit(wk_store *st, const char *site, const char *device, const char *oid, long long *seq)
{
	*seq = 0;
	return wk_query_int(st, (const char *[]){ site, device, oid }, 3, "SELECT coalesce((SELECT seq FROM changeset"
	                    " WHERE site = ?1 AND device = ?2 AND git_oid = ?3), 0)", seq);
}

typedef struct {
	char (*oid)[41];
	long long *seq;
	size_t n, cap;
} commit_list;

static int list_add(commit_list *l, long long seq, const char *oid)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char (*o)[41] = realloc(l->oid, cap * sizeof(*o));
		long long *q;

		if (o)
			l->oid = o;
		if (!o || !(q = realloc(l->seq, cap * sizeof(*q))))
			return wk_error_set(WK_ELIMIT, "out of memory");
		l->seq = q;
		l->cap = cap;
	}
	l->seq[l->n] = seq;
	snprintf(l->oid[l->n++], 41, "%s", oid);
	return 0;
}

static void list_free(commit_list *l)
{
	free(l->oid);
	free(l->seq);
}

/* Record each listed changeset's commit, in one transaction. */
static int record_commits(wk_store *st, const char *site, const char *device, const commit_list *l)
{
	size_t i;
	int rc;

	if (!l->n)
		return 0;
	if ((rc = wk_store_begin(st)) < 0)
		return rc;
	for (i = 0; i < l->n && rc == 0; i++) {
		char seq[24];
		snprintf(seq, sizeof(seq), "%lld", l->seq[i]);
		rc = wk_store_exec_args(st, "UPDATE changeset SET git_oid = ?4 WHERE site = ?1 AND device = ?2 AND seq = ?3",
		                        (const char *[]){ site, device, seq, l->oid[i] }, 4, "cannot record the commit");
	}
	if (rc == 0)
		rc = wk_store_commit(st);
	if (rc < 0)
		wk_store_rollback(st);
	return rc;
}

typedef struct {
	wk_store *st;
	const char *site, *device, *ref;
	long long last;          /* the last changeset known committed */
	commit_list found;
} adopt_ctx;

/*
 * A commit on this device's ref after the last one the store recorded: made
 * by a sync that stopped before it recorded it (killed, or a disk error). It
 * must hold the next changeset of the chain, byte for byte; then it is that
 * changeset's commit, and is not made a second time.
 */
static int adopt_commit(const char *oid, const unsigned char *blob, size_t n, void *arg)
{
	adopt_ctx *a = arg;
	sqlite3_stmt *s = NULL;
	long long seq = 0;
	int rc, same = 0;

	if ((rc = wk_store_prepare(a->st, &s, "SELECT seq, envelope FROM changeset WHERE site = ? AND device = ? AND seq > ?"
	                                      " ORDER BY seq LIMIT 1")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, a->site, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, a->device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, a->last);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		seq = sqlite3_column_int64(s, 0);
		same = (size_t)sqlite3_column_bytes(s, 1) == n && memcmp(sqlite3_column_blob(s, 1), blob, n) == 0;
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 0 : wk_store_fail(a->st, rc, "cannot read the ledger");
	}
	sqlite3_finalize(s);
	if (rc < 0)
		return rc;
	if (!same)
		return wk_error_set(WK_ECONFLICT, "the local mirror's %s holds commit %.12s, which is not changeset #%lld of "
		                    "this store (were the store and .wicket/git restored from different backups?)", a->ref,
		                    oid, a->last + 1);
	a->last = seq;
	return list_add(&a->found, seq, oid);
}

/* The last changeset of this chain with a commit recorded: *seq (0: none) and oid ("": none). */
static int last_committed(wk_store *st, const char *site, const char *device, long long *seq, char oid[41])
{
	sqlite3_stmt *s = NULL;
	int rc;

	*seq = 0;
	oid[0] = '\0';
	if ((rc = wk_store_prepare(st, &s, "SELECT seq, git_oid FROM changeset WHERE site = ? AND device = ?"
	                               " AND git_oid IS NOT NULL ORDER BY seq DESC LIMIT 1")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, device, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(s, 0);
		snprintf(oid, 41, "%s", (const char *)sqlite3_column_text(s, 1));
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot read the ledger");
	}
	sqlite3_finalize(s);
	return rc;
}

/* Commits made in one batch: at most this many, or this many envelope bytes (memory), then they are written. */
#define BATCH_COMMITS 1000
#define BATCH_BYTES ((size_t)32 << 20)

/*
 * Commit the changesets after *last (by sequence) onto ref, a batch at a
 * time: written to the mirror as one pack, the ref moved once, then the
 * commits recorded in the store in one transaction. *done: nothing was left.
 */
static int commit_batch(wk_store *st, wk_repo *repo, const char *site, const char *device, const char *ref,
                        long long *last, int *done, wk_sync_report *rep)
{
	commit_list made = { NULL, NULL, 0, 0 };
	sqlite3_stmt *s = NULL;
	char msg[96], author[64], oid[41];
	size_t bytes = 0;
	int rc;

	*done = 1;
	snprintf(author, sizeof(author), "%s@%s", device, site);
	if ((rc = wk_store_prepare(st, &s, "SELECT seq, envelope FROM changeset WHERE site = ? AND device = ? AND seq > ?"
	                               " AND git_oid IS NULL ORDER BY seq")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, *last);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long seq = sqlite3_column_int64(s, 0);
		size_t n = (size_t)sqlite3_column_bytes(s, 1);

		if (made.n == BATCH_COMMITS || (made.n && bytes + n > BATCH_BYTES)) {
			*done = 0;
			break;
		}
		snprintf(msg, sizeof(msg), "%s/%s #%lld", site, device, seq);
		if ((!made.n && (rc = wk_repo_batch_begin(repo, ref)) < 0) ||
		    (rc = wk_repo_append(repo, ref, "envelope", sqlite3_column_blob(s, 1), n, msg, author, oid)) < 0 ||
		    (rc = list_add(&made, seq, oid)) < 0)
			goto out;
		bytes += n;
		*last = seq;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rc = wk_store_fail(st, rc, "cannot read the ledger");
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	/* Nothing of the batch is on the ref before this; if the store fails after it, the next sync adopts it. */
	if (made.n && ((rc = wk_repo_batch_end(repo)) < 0 || (rc = record_commits(st, site, device, &made)) < 0))
		goto out;
	rep->committed += made.n;
	rc = 0;
out:
	sqlite3_finalize(s);
	if (rc < 0)
		wk_repo_batch_abort(repo);
	list_free(&made);
	return rc;
}

/*
 * Commit each changeset not yet in the mirror onto this device's ref, in
 * order, and record the commits in the store. Commits the store did not
 * record (a sync stopped between the two) are found on the ref first and
 * adopted, so that no changeset is committed twice.
 */
static int commit_new(wk_store *st, wk_repo *repo, const char *site, const char *device, const char *ref,
                      wk_sync_report *rep)
{
	adopt_ctx a;
	char last_oid[41], tip[41];
	int rc, done = 0;

	memset(&a, 0, sizeof(a));
	a.st = st;
	a.site = site;
	a.device = device;
	a.ref = ref;
	if ((rc = last_committed(st, site, device, &a.last, last_oid)) < 0 || (rc = wk_repo_tip(repo, ref, tip)) < 0)
		return rc;
	if (tip[0] && strcmp(tip, last_oid) != 0 && (!last_oid[0] || wk_repo_descends(repo, tip, last_oid))) {
		rc = wk_repo_walk(repo, ref, last_oid, "envelope", ((size_t)64 << 20), adopt_commit, &a);
		/* What was adopted is recorded even when the walk stopped on a commit that does not match. */
		if (a.found.n) {
			int rc2 = record_commits(st, site, device, &a.found);
			rc = rc < 0 ? rc : rc2;
		}
		list_free(&a.found);
		if (rc < 0)
			return rc;
	}
	while (!done && rc == 0)
		rc = commit_batch(st, repo, site, device, ref, &a.last, &done, rep);
	return rc;
}

typedef struct {
	char (*oid)[41];
	size_t n, cap;
} oid_set;

static int collect_oid(const char *oid, void *arg)
{
	oid_set *o = arg;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		char (*p)[41] = realloc(o->oid, cap * sizeof(*p));
		if (!p)
			return wk_error_set(WK_ELIMIT, "out of memory");
		o->oid = p;
		o->cap = cap;
	}
	snprintf(o->oid[o->n++], 41, "%s", oid);
	return 0;
}

static int cmp_oid(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * The remote's tip is not a commit this store recorded (its history was
 * rewritten elsewhere, or the store is older than the mirror): walk once
 * from it, down to the last commit known delivered, and mark what it holds.
 */
static int reconcile_by_walk(wk_store *st, wk_repo *repo, const char *site, const char *device,
                             const char *remote_tip, size_t *marked)
{
	oid_set held = { NULL, 0, 0 };
	commit_list mark = { NULL, NULL, 0, 0 };
	sqlite3_stmt *s = NULL;
	char hide[41] = "";
	size_t i;
	int rc;

	if ((rc = wk_store_prepare(st, &s, "SELECT git_oid FROM changeset WHERE site = ? AND device = ? AND pushed = 1"
	                               " AND git_oid IS NOT NULL ORDER BY seq DESC LIMIT 1")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, device, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(hide, sizeof(hide), "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (hide[0] && !wk_repo_descends(repo, remote_tip, hide))
		hide[0] = '\0';
	if ((rc = wk_repo_ancestry(repo, remote_tip, hide, collect_oid, &held)) < 0)
		goto out;
	qsort(held.oid, held.n, sizeof(*held.oid), cmp_oid);
	if ((rc = wk_store_prepare(st, &s, "SELECT seq, git_oid FROM changeset WHERE site = ? AND device = ? AND pushed = 0"
	                               " AND git_oid IS NOT NULL")) < 0)
		goto out;
	sqlite3_bind_text(s, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, device, -1, SQLITE_STATIC);
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		const char *oid = (const char *)sqlite3_column_text(s, 1);
		if (held.n && bsearch(oid, held.oid, held.n, sizeof(*held.oid), cmp_oid))
			rc = list_add(&mark, sqlite3_column_int64(s, 0), oid);
	}
	sqlite3_finalize(s);
	if (rc < 0 || !mark.n)
		goto out;
	if ((rc = wk_store_begin(st)) < 0)
		goto out;
	for (i = 0; i < mark.n && rc == 0; i++) {
		char seq[24];
		snprintf(seq, sizeof(seq), "%lld", mark.seq[i]);
		rc = wk_store_exec_args(st, "UPDATE changeset SET pushed = 1 WHERE site = ?1 AND device = ?2 AND seq = ?3",
		                        (const char *[]){ site, device, seq }, 3, "cannot record the delivery");
	}
	if (rc == 0 && (rc = wk_store_commit(st)) == 0)
		*marked += mark.n;
	if (rc < 0)
		wk_store_rollback(st);
out:
	free(held.oid);
	list_free(&mark);
	return rc;
}

/* Mark delivered every committed changeset the remote's tip already holds; *marked grows by their number. */
static int reconcile(wk_store *st, wk_repo *repo, const char *site, const char *device, const char *remote_tip,
                     size_t *marked)
{
	long long seq = 0;
	char upto[24];
	int rc;

	if (!remote_tip[0])
		return 0;
	if ((rc = seq_of_commit(st, site, device, remote_tip, &seq)) < 0)
		return rc;
	if (!seq)
		return reconcile_by_walk(st, repo, site, device, remote_tip, marked);
	snprintf(upto, sizeof(upto), "%lld", seq);
	if ((rc = wk_store_exec_args(st, "UPDATE changeset SET pushed = 1 WHERE site = ?1 AND device = ?2 AND seq <= ?3"
	                                 " AND pushed = 0 AND git_oid IS NOT NULL",
	                             (const char *[]){ site, device, upto }, 3, "cannot record the delivery")) < 0)
		return rc;
	*marked += (size_t)sqlite3_changes(wk_store_db(st));
	return 0;
}

/*
 * Push a chain's local ref when it is ahead of what the remote holds
 * (fast-forward only), then record what the remote confirmed: the tracking
 * ref moves to the tip and the changesets it holds are marked delivered.
 * rep->pushed grows by the number newly delivered; rep->offline is set when
 * the remote could not be reached.
 */
static int push_chain(wk_store *st, wk_repo *repo, const wk_remote_options *o, const char *site, const char *device,
                      const char *ref, const char *track, wk_sync_report *rep)
{
	char tip[41], rtip[41];
	int rc, accepted = 0;

	if ((rc = wk_repo_tip(repo, ref, tip)) < 0 || (rc = wk_repo_tip(repo, track, rtip)) < 0)
		return rc;
	if (!tip[0] || strcmp(tip, rtip) == 0)
		return 0;
	rc = wk_repo_push(repo, o, ref, &accepted);
	if (wk_repo_warning(repo)[0])
		problem(rep, "%s", wk_repo_warning(repo));
	if (rc < 0) {
		rep->offline = wk_repo_unreachable(repo);
		return rc;
	}
	if ((rc = wk_repo_set_ref(repo, track, tip)) < 0)
		return rc;
	return reconcile(st, repo, site, device, tip, &rep->pushed);
}

int wk_sync_device(wk_store *st, wk_repo *repo, wk_ledger_keys *k, wk_trust **trust, const wk_remote_options *o,
                   wk_sync_report *rep)
{
	char *site = NULL, *device = NULL, own[300], own_track[320], prefix[300], tip[41], rtip[41], why[600] = "";
	const char *fetch[2];
	accept_ctx a;
	size_t sealed = 0, held = 0;
	int rc, offline = 0;
	wk_trust *fresh = NULL;

	memset(rep, 0, sizeof(*rep));
	if ((rc = wk_store_meta_get(st, "site", &site)) < 0 || (rc = wk_store_meta_get(st, "device", &device)) < 0)
		goto out;
	snprintf(own, sizeof(own), "refs/heads/sites/%s/%s", site, device);
	snprintf(own_track, sizeof(own_track), TRACK "sites/%s/%s", site, device);
	snprintf(prefix, sizeof(prefix), "refs/heads/sites/%s/", site);
	fetch[0] = prefix;
	fetch[1] = "refs/heads/region/";

	/* 1. Fetch. Unreachable is a normal state: the work is still sealed and committed below. */
	rc = wk_repo_fetch(repo, o, fetch, 2);
	if (rc < 0 && wk_repo_unreachable(repo)) {
		offline = 1; /* reported as offline only if nothing else fails below */
		snprintf(why, sizeof(why), "%s", wk_error_msg());
	} else if (rc < 0) {
		goto out;
	}
	if (!offline) {
		/* 2. Trust first: a newer trust may be needed to accept what follows. */
		if ((rc = follow_trust(st, repo, k, rep)) < 0)
			goto out;
		if (rep->trust_updates && wk_truststore_load(st, &fresh) == 0) {
			wk_trust_free(*trust);
			*trust = fresh;
			k->trust = fresh;
		}
		/* 3. The site's other devices. */
		memset(&a, 0, sizeof(a));
		a.st = st;
		a.repo = repo;
		a.k = k;
		a.rep = rep;
		a.skip = own_track;
		snprintf(prefix, sizeof(prefix), TRACK "sites/%s/", site);
		if ((rc = wk_repo_refs(repo, prefix, take_ref, &a)) < 0)
			goto out;
	}
	/* 4. Seal, and commit to this device's ref. */
	if ((rc = wk_ledger_seal(st, k, &sealed)) < 0)
		goto out;
	rep->sealed = sealed;
	if ((rc = commit_new(st, repo, site, device, own, rep)) < 0)
		goto out;
	if (offline) {
		rep->offline = 1;
		rc = wk_error_set(WK_EIO, "offline: %s (%s); %zu changeset%s wait%s safely here for the next sync", why,
		                  o->url, rep->committed, rep->committed == 1 ? "" : "s", rep->committed == 1 ? "s" : "");
		goto out;
	}
	/* 5. Reconcile with what the remote already holds of this device (an earlier push cut short). */
	if ((rc = wk_repo_tip(repo, own_track, rtip)) < 0 || (rc = reconcile(st, repo, site, device, rtip, &held)) < 0 ||
	    (rc = wk_repo_tip(repo, own, tip)) < 0)
		goto out;
	{
		char pushed_tip[41];
		if ((rc = seen_get(st, own_track, pushed_tip)) < 0)
			goto out;
		if (pushed_tip[0] && (!rtip[0] || !wk_repo_descends(repo, rtip, pushed_tip)))
			problem(rep, "the regional repository lost changesets of this device it had confirmed (a rollback); "
			        "they are being sent again");
	}
	/* 6. Push, fast-forward only; delivered once the remote confirms. A link lost mid-push is offline. */
	if ((rc = push_chain(st, repo, o, site, device, own, own_track, rep)) < 0)
		goto out;
	if (tip[0])
		rc = seen_set(st, own_track, tip);
out:
	if (rc == 0 || rep->offline)
		tidy(repo, rep, rc);
	free(site);
	free(device);
	return rc;
}

int wk_sync_region_pull(wk_store *region, const char *dir, wk_repo *repo, wk_ledger_keys *k,
                        const wk_remote_options *o, wk_sync_report *rep)
{
	const char *fetch[1] = { "refs/heads/sites/" };
	wk_remote_options ro = *o;
	accept_ctx a;
	int rc;

	memset(rep, 0, sizeof(*rep));
	memset(&a, 0, sizeof(a));
	a.region = region;
	a.dir = dir;
	a.repo = repo;
	a.k = k;
	a.rep = rep;
	/* Each device's ref is taken as soon as it is in the mirror, while the rest is fetched. */
	ro.ref_ready = take_ready;
	ro.ref_ready_ctx = &a;
	rc = wk_repo_fetch(repo, &ro, fetch, 1);
	if (rc < 0) {
		rep->offline = wk_repo_unreachable(repo);
		return rc;
	}
	if (a.failed < 0)
		return wk_error_set(a.failed, "%s", a.failure);
	/* Then every ref: those taken already have nothing new. */
	if ((rc = wk_repo_refs(repo, TRACK "sites/", take_ref, &a)) == 0)
		tidy(repo, rep, rc);
	return rc;
}

/* Every key the trust file lists and has not revoked: the readers of the sealed trust file. */
static int trust_readers(const wk_trust *t, unsigned char (**out)[32], size_t *n)
{
	size_t i;

	*n = 0;
	if (!(*out = malloc((wk_trust_count(t) + 1) * 32)))
		return wk_error_set(WK_ELIMIT, "out of memory");
	for (i = 0; i < wk_trust_count(t); i++) {
		const wk_trust_entry *e = wk_trust_entry_at(t, i);
		if ((e->role == WK_TRUST_DEVICE || e->role == WK_TRUST_OFFICER) && e->revoked_from == WK_TRUST_NOT_REVOKED)
			memcpy((*out)[(*n)++], e->box_pk, 32);
	}
	return 0;
}

int wk_sync_region_publish(wk_store *region, wk_repo *repo, const wk_ledger_keys *k, const wk_remote_options *o,
                           wk_sync_report *rep)
{
	const char *ref = "refs/heads/region/trust", *fetch[1] = { "refs/heads/region/" };
	unsigned char *bytes = NULL;
	size_t n = 0;
	long long version = 0, published = 0;
	char oid[41], msg[64], *pv = NULL, tip[41], rtip[41];
	int rc, accepted = 0;

	memset(rep, 0, sizeof(*rep));
	if ((rc = wk_repo_fetch(repo, o, fetch, 1)) < 0) {
		rep->offline = wk_repo_unreachable(repo);
		return rc;
	}
	/* Start from what the remote holds, if this mirror is behind it. */
	if ((rc = wk_repo_tip(repo, ref, tip)) < 0 || (rc = wk_repo_tip(repo, TRACK "region/trust", rtip)) < 0)
		return rc;
	if (rtip[0] && (!tip[0] || wk_repo_descends(repo, rtip, tip)))
		if ((rc = wk_repo_set_ref(repo, ref, rtip)) < 0)
			return rc;
	if ((rc = wk_truststore_export(region, &bytes, &n)) < 0 ||
	    (rc = wk_query_int(region, NULL, 0, "SELECT max(version) FROM trust_file", &version)) < 0 ||
	    (rc = wk_store_meta_get(region, "git.trust_published", &pv)) < 0)
		goto out;
	published = pv ? atoll(pv) : 0;
	if (version > published) {
		unsigned char (*readers)[32] = NULL, zero[32] = { 0 };
		size_t nreaders = 0;
		char *code = NULL;
		wk_buf env = WK_BUF_INIT;
		wk_envelope_meta m;

		if ((rc = wk_store_meta_get(region, "site", &code)) == 0 && (rc = trust_readers(k->trust, &readers, &nreaders)) == 0) {
			m.site = code;
			m.device = "trust";
			m.seq = (uint64_t)version;
			m.prev = zero;
			rc = wk_envelope_seal(&env, &m, bytes, n, k->sign_pk, k->sign, k->sign_ctx,
			                      (const unsigned char (*)[32])readers, nreaders);
		}
		snprintf(msg, sizeof(msg), "trust v%lld", version);
		if (rc == 0)
			rc = wk_repo_append(repo, ref, "trust", (const unsigned char *)env.ptr, env.len, msg, "region", oid);
		free(readers);
		free(code);
		wk_buf_free(&env);
		if (rc < 0)
			goto out;
		rep->committed = 1;
	}
	if ((rc = wk_repo_tip(repo, ref, tip)) < 0)
		goto out;
	if (tip[0] && strcmp(tip, rtip) != 0) {
		if ((rc = wk_repo_push(repo, o, ref, &accepted)) < 0) {
			rep->offline = wk_repo_unreachable(repo);
			goto out;
		}
		rep->pushed = 1;
	}
	{
		char v[24];
		snprintf(v, sizeof(v), "%lld", version);
		rc = wk_store_meta_set(region, "git.trust_published", v);
	}
out:
	free(bytes);
	free(pv);
	return rc;
}

typedef struct {
	wk_store *region;
	const char *dir;
	wk_repo *repo;
	wk_ledger_keys *k;
	const wk_remote_options *o;
	wk_sync_report *rep;
} push_ctx;

static int push_site(push_ctx *p, const char *site)
{
	wk_store *rs = NULL;
	char *device = NULL, ref[300], track[320];
	size_t sealed = 0;
	int rc;

	if ((rc = wk_region_site_store(&rs, p->region, p->dir, site, 0)) < 0)
		return rc;
	if ((rc = wk_store_meta_get(rs, "device", &device)) < 0 || !device)
		goto out;
	snprintf(ref, sizeof(ref), "refs/heads/sites/%s/%s", site, device);
	snprintf(track, sizeof(track), TRACK "sites/%s/%s", site, device);
	if ((rc = wk_ledger_seal(rs, p->k, &sealed)) < 0 || (rc = commit_new(rs, p->repo, site, device, ref, p->rep)) < 0)
		goto out;
	p->rep->sealed += sealed;
	rc = push_chain(rs, p->repo, p->o, site, device, ref, track, p->rep);
out:
	free(device);
	wk_store_close(rs);
	return rc;
}

int wk_sync_region_push(wk_store *region, const char *dir, wk_repo *repo, wk_ledger_keys *k,
                        const wk_remote_options *o, wk_sync_report *rep)
{
	const char *fetch[1] = { "refs/heads/sites/" };
	push_ctx p = { region, dir, repo, k, o, rep };
	char path[4200];
	struct dirent **list = NULL;
	int n, i, rc;

	memset(rep, 0, sizeof(*rep));
	if ((rc = wk_repo_fetch(repo, o, fetch, 1)) < 0) {
		rep->offline = wk_repo_unreachable(repo);
		return rc;
	}
	snprintf(path, sizeof(path), "%s/.wicket/sites", dir);
	n = scandir(path, &list, NULL, alphasort);
	for (i = 0, rc = 0; i < n; i++) {
		size_t len = strlen(list[i]->d_name);
		char site[24];

		if (rc == 0 && len > 3 && len < 20 && strcmp(list[i]->d_name + len - 3, ".db") == 0) {
			snprintf(site, sizeof(site), "%.*s", (int)len - 3, list[i]->d_name);
			rc = push_site(&p, site);
		}
		free(list[i]);
	}
	free(list);
	return rc;
}
