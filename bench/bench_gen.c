/*
 * bench_gen - the benchmarks' data, made through the library as a device
 * would make it (not timed; the scripts time what comes after):
 *
 *   bench_gen pending DIR N
 *       N field changes of DIR's establishment (the evidence, owner and
 *       local arrangement of its plan's assessments, in turn), recorded in
 *       one durable transaction and left pending, for a sync to seal and push;
 *   bench_gen changesets DIR N OPS
 *       N changesets of OPS field changes each, sealed with the device's own
 *       key for the recipients its trust file names (wk_ledger_seal), as N
 *       edits each followed by a sync would leave them; `wicket sync` then
 *       commits and pushes them, one commit per changeset.
 *   bench_gen publish DIR URL
 *       put every changeset DIR's device sealed on the regional repository
 *       URL, one commit each on refs/heads/sites/<SITE>/<DEVICE> as a sync
 *       lays them out (wk_repo_append into a scratch mirror DIR/bench.git, in
 *       batches of 1,000 commits written as one pack each, as a sync does,
 *       then one wk_repo_push), without DIR's sync bookkeeping: DIR is a
 *       device whose only purpose is to make a long history for another
 *       device to receive. (A `wicket sync` of many changesets at once costs
 *       time that grows with their number times the history: see
 *       docs/performance.md, P6.)
 *
 * DIR is an establishment's folder made by `wicket init --unattended` and
 * enrolled (its trust imported), with a plan. While changesets are made the
 * store is written with synchronous=OFF (this is data set-up, and a crash of
 * it only means running it again); the last transaction is durable.
 */
#include "bench.h"
#include "device.h"
#include "entity.h"
#include "error.h"
#include "ledger.h"
#include "remote.h"
#include "truststore.h"

#include <sodium.h>

#define MAX_ASSESSMENTS 256

static const char *const fields[] = { "evidence", "owner", "local_arrangement" };

static char *ids[MAX_ASSESSMENTS];
static int nids;
static long long serial;

/* One field change: a new value of one field of one assessment, in turn. */
static int change(wk_store *st)
{
	char v[96];
	long long k = serial++;

	snprintf(v, sizeof(v), "bench change %lld: minutes of the review, item %lld", k, k % 97);
	return wk_entity_set(st, "assessment", ids[k % nids], fields[(k / nids) % 3], v);
}

static int open_site(wk_store **st, const char *dir)
{
	char path[4200], *person = NULL, *device = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/.wicket/store.db", dir);
	if ((rc = wk_store_open(st, path)) < 0 || (rc = wk_store_meta_get(*st, "person", &person)) < 0 ||
	    (rc = wk_store_meta_get(*st, "device", &device)) < 0 ||
	    (rc = wk_entity_set_actor(*st, person, device)) < 0)
		goto out;
	nids = bench_assessments(*st, ids, MAX_ASSESSMENTS);
	if (nids <= 0)
		rc = wk_error_set(WK_ENOTFOUND, "no assessments in %s: create a plan first", path);
	/* Continue the change counter, so that every run changes every value. */
	{
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(wk_store_db(*st), "SELECT count(*) FROM op", -1, &s, NULL) == SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW)
			serial = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
out:
	free(person);
	free(device);
	return rc;
}

static int pending(wk_store *st, long long n)
{
	long long i;
	int rc;

	if ((rc = wk_store_begin(st)) < 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		rc = change(st);
	if (rc == 0)
		return wk_store_commit(st);
	wk_store_rollback(st);
	return rc;
}

static int changesets(wk_store *st, const char *dir, long long n, int ops)
{
	wk_device_options o = WK_DEVICE_OPTIONS_INIT;
	wk_keys *keys = NULL;
	wk_trust *trust = NULL;
	wk_ledger_keys lk;
	char path[4200];
	size_t sealed;
	long long i;
	int k, rc;

	snprintf(path, sizeof(path), "%s/.wicket/device.key", dir);
	if ((rc = wk_device_load_key(&keys, path, &o)) < 0 || (rc = wk_truststore_load(st, &trust)) < 0)
		goto out;
	wk_device_ledger_keys(&lk, keys, trust);
	if ((rc = wk_store_exec(st, "PRAGMA synchronous=OFF", "cannot set up the generator")) < 0)
		goto out;
	for (i = 0; i < n && rc == 0; i++) {
		if ((rc = wk_store_begin(st)) < 0)
			break;
		for (k = 0; k < ops && rc == 0; k++)
			rc = change(st);
		if (rc == 0)
			rc = wk_store_commit(st);
		else
			wk_store_rollback(st);
		if (rc == 0)
			rc = wk_ledger_seal(st, &lk, &sealed);
		if (rc == 0 && sealed != 1)
			rc = wk_error_set(WK_ERROR, "sealing made %zu changesets, not 1", sealed);
	}
	if (rc == 0)
		rc = wk_store_exec(st, "PRAGMA synchronous=FULL", "cannot make the store durable again");
	if (rc == 0 && (rc = wk_store_begin(st)) == 0)
		rc = wk_store_commit(st);
out:
	wk_keys_free(keys);
	wk_trust_free(trust);
	return rc;
}

typedef struct {
	wk_repo *repo;
	const char *ref, *device;
	size_t n;
	int open; /* a batch of appends is open */
} publisher;

/* Commits per pack, as a sync writes them (one pack per batch, fsynced once). */
#define PUBLISH_BATCH 1000

static int append(const char *site, const char *device, long long seq, const unsigned char *env, size_t n,
                  void *arg)
{
	publisher *p = arg;
	char msg[96], author[64], oid[41];
	int rc;

	if (strcmp(device, p->device) != 0)
		return 0; /* received from another device: that device's to publish */
	snprintf(msg, sizeof(msg), "%s/%s #%lld", site, device, seq);
	snprintf(author, sizeof(author), "%s@%s", device, site);
	if (!p->open && (rc = wk_repo_batch_begin(p->repo, p->ref)) < 0)
		return rc;
	p->open = 1;
	if ((rc = wk_repo_append(p->repo, p->ref, "envelope", env, n, msg, author, oid)) < 0)
		return rc;
	if (++p->n % PUBLISH_BATCH == 0) {
		p->open = 0;
		return wk_repo_batch_end(p->repo);
	}
	return 0;
}

static int publish(wk_store *st, const char *dir, const char *url)
{
	wk_remote_options o = WK_REMOTE_OPTIONS_INIT;
	publisher p = { NULL, NULL, NULL, 0, 0 };
	char path[4200], ref[128], *site = NULL, *device = NULL;
	int rc, accepted = 0;

	snprintf(path, sizeof(path), "%s/bench.git", dir);
	if ((rc = wk_store_meta_get(st, "site", &site)) < 0 || (rc = wk_store_meta_get(st, "device", &device)) < 0 ||
	    (rc = wk_repo_open(&p.repo, path)) < 0)
		goto out;
	snprintf(ref, sizeof(ref), "refs/heads/sites/%s/%s", site, device);
	p.ref = ref;
	p.device = device;
	o.url = url;
	if ((rc = wk_ledger_each(st, append, &p)) < 0 || (p.open && (rc = wk_repo_batch_end(p.repo)) < 0) ||
	    (rc = wk_repo_push(p.repo, &o, ref, &accepted)) < 0)
		goto out;
	if (!accepted)
		rc = wk_error_set(WK_ECONFLICT, "the regional repository refused %s", ref);
out:
	if (p.repo)
		wk_repo_batch_abort(p.repo); /* after a failure: nothing half-written reaches the ref */
	wk_repo_free(p.repo);
	free(site);
	free(device);
	return rc;
}

int main(int argc, char **argv)
{
	wk_store *st = NULL;
	int rc = -1, i;

	if (sodium_init() < 0 || argc < 4 || (strcmp(argv[1], "changesets") == 0 && argc < 5)) {
		fprintf(stderr, "usage: bench_gen pending DIR N | bench_gen changesets DIR N OPS | bench_gen publish DIR URL\n");
		return 2;
	}
	if (open_site(&st, argv[2]) == 0) {
		if (strcmp(argv[1], "pending") == 0)
			rc = pending(st, atoll(argv[3]));
		else if (strcmp(argv[1], "changesets") == 0)
			rc = changesets(st, argv[2], atoll(argv[3]), atoi(argv[4]));
		else if (strcmp(argv[1], "publish") == 0)
			rc = publish(st, argv[2], argv[3]);
	}
	if (rc < 0)
		fprintf(stderr, "bench_gen: %s\n", wk_error_msg());
	wk_store_close(st);
	for (i = 0; i < nids; i++)
		free(ids[i]);
	return rc < 0 ? 1 : 0;
}
