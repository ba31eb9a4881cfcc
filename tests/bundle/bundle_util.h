/*
 * bundle_util.h - set-up shared by the bundle tests (as tests/ledger does it):
 * parties with raw seeded keys, a region's trust built in the test, site
 * stores and region-side replicas, a store's changesets, and a tar opened
 * into (name, bytes) entries and written back, for tampering.
 */
#ifndef WK_TEST_BUNDLE_UTIL_H
#define WK_TEST_BUNDLE_UTIL_H

#include "test.h"
#include "fixture.h"
#include "bundle.h"
#include "catalogue.h"
#include "inspection.h"
#include "ledger.h"
#include "plan.h"
#include "query.h"
#include "rules.h"
#include "tarfile.h"

#include <sodium.h>

typedef struct {
	unsigned char sign_pk[32], sign_sk[64], box_pk[32], box_sk[32];
} party;

static inline void make_party(party *p, unsigned char tag)
{
	unsigned char seed[32];

	memset(seed, tag, sizeof(seed));
	crypto_sign_seed_keypair(p->sign_pk, p->sign_sk, seed);
	seed[31] ^= 0x5a;
	crypto_box_seed_keypair(p->box_pk, p->box_sk, seed);
}

static inline int sign_as(void *ctx, unsigned char sig[64], const unsigned char *m, size_t n)
{
	crypto_sign_detached(sig, NULL, m, n, ((party *)ctx)->sign_sk);
	return 0;
}

static inline int open_as(void *ctx, unsigned char key[32], const unsigned char *sealed, size_t len)
{
	party *p = ctx;

	return crypto_box_seal_open(key, sealed, len, p->box_pk, p->box_sk) == 0 ? 0 :
		wk_error_set(WK_EBADSIG, "sealed key does not open");
}

static inline wk_ledger_keys keys_of(party *p, const wk_trust *t)
{
	wk_ledger_keys k = { p->sign_pk, sign_as, p, p->box_pk, open_as, p, NULL };

	k.trust = t;
	return k;
}

static inline void enrol(wk_trust *t, party *p, int role, const char *site, const char *device, const char *person)
{
	wk_trust_entry e = WK_TRUST_ENTRY_INIT;

	memcpy(e.sign_pk, p->sign_pk, 32);
	memcpy(e.box_pk, p->box_pk, 32);
	e.role = role;
	snprintf(e.site, sizeof(e.site), "%s", site);
	snprintf(e.device, sizeof(e.device), "%s", device ? device : "");
	snprintf(e.person, sizeof(e.person), "%s", person);
	if (wk_trust_add(t, &e) < 0)
		fprintf(stderr, "enrol: %s\n", wk_error_msg());
}

/* Export options for party p signing under trust t, from `from` (NULL: the store's site). */
static inline wk_bundle_export_options export_as(party *p, const wk_trust *t, const char *from)
{
	wk_bundle_export_options o = WK_BUNDLE_EXPORT_OPTIONS_INIT;

	o.trust = t;
	o.sign_pk = p->sign_pk;
	o.sign = sign_as;
	o.sign_ctx = p;
	o.from = from;
	return o;
}

/* A replica of site's store for device, holding only the national catalogue (as the region has it). */
static inline wk_store *replica(const char *site, const char *device)
{
	wk_store *st = NULL;
	char dir[] = "/tmp/wk-bundle-XXXXXX", path[64];
	const char *pol = getenv("WICKET_POLICY_DIR");

	if (!mkdtemp(dir))
		return NULL;
	snprintf(path, sizeof(path), "%s/store.db", dir);
	if (wk_store_create(&st, path) < 0 || wk_store_meta_set(st, "site", site) < 0 ||
	    wk_store_meta_set(st, "device", device) < 0 || wk_entity_set_actor(st, "Regional Officer", device) < 0 ||
	    wk_store_begin(st) < 0 || wk_catalogue_load(st, pol ? pol : "policies", NULL) < 0 ||
	    wk_rules_load_national(st, pol ? pol : "policies", NULL) < 0 ||
	    wk_store_commit(st) < 0) {
		fprintf(stderr, "replica: %s\n", wk_error_msg());
		return NULL;
	}
	return st;
}

/* store_for_site: the store handed in ctx serves its own site only. */
typedef struct {
	wk_store *st;
	const char *site;
	wk_store *st2;       /* a second site, for a region holding two */
	const char *site2;
} stores;

static inline wk_store *store_for(void *ctx, const char *site)
{
	stores *s = ctx;

	if (s->site && strcmp(site, s->site) == 0)
		return s->st;
	if (s->site2 && strcmp(site, s->site2) == 0)
		return s->st2;
	return NULL;
}

static inline wk_bundle_import_options import_into(stores *s, const wk_ledger_keys *k)
{
	wk_bundle_import_options o = WK_BUNDLE_IMPORT_OPTIONS_INIT;

	o.keys = k;
	o.store_for_site = store_for;
	o.store_ctx = s;
	o.source = "test bundle";
	return o;
}

static inline long long count_of(wk_store *st, const char *sql)
{
	long long n = -1;

	wk_query_int(st, NULL, 0, sql, &n);
	return n;
}

/* A store's changesets, copied. */
typedef struct {
	wk_bundle_envelope v[64];
	size_t n;
} envs;

static inline int grab(const char *site, const char *device, long long seq, const unsigned char *env, size_t n,
                       void *arg)
{
	envs *e = arg;
	unsigned char *copy;

	(void)site;
	(void)device;
	(void)seq;
	if (e->n >= 64 || !(copy = malloc(n)))
		return -1;
	memcpy(copy, env, n);
	e->v[e->n].env = copy;
	e->v[e->n++].len = n;
	return 0;
}

static inline void envs_free(envs *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free((void *)e->v[i].env);
	e->n = 0;
}

/* LEI's device d1 at work: a plan, an action plan imported, two baseline changes; three changesets. */
static inline wk_store *site_at_work(const char *site, const char *device, const wk_ledger_keys *k)
{
	char path[256];
	wk_store *st = fixture_site(site, device, path, sizeof(path));
	wk_plan_options po = WK_PLAN_OPTIONS_INIT;
	wk_import_options io = WK_IMPORT_OPTIONS_INIT;
	wk_assessment_change c = WK_ASSESSMENT_CHANGE_INIT;
	size_t sealed = 0;

	if (!st)
		return NULL;
	po.edm = "OMU";
	if (wk_store_begin(st) < 0 || wk_plan_create(st, &po, NULL) < 0 ||
	    wk_actionplan_import(st, test_src("samples/actionplan-omic-pre-release-2022.json"), &io, NULL) < 0 ||
	    wk_store_commit(st) < 0 || wk_ledger_seal(st, k, &sealed) < 0)
		goto fail;
	c.status = "met";
	c.evidence = "minutes";
	if (wk_store_begin(st) < 0 || wk_baseline_set(st, "omu", "1.1", &c) < 0 || wk_store_commit(st) < 0 ||
	    wk_ledger_seal(st, k, &sealed) < 0)
		goto fail;
	c.status = "not_met";
	if (wk_store_begin(st) < 0 || wk_baseline_set(st, "omu", "1.2", &c) < 0 || wk_store_commit(st) < 0 ||
	    wk_ledger_seal(st, k, &sealed) < 0)
		goto fail;
	return st;
fail:
	fprintf(stderr, "site_at_work: %s\n", wk_error_msg());
	wk_store_close(st);
	return NULL;
}

/* ---- a tar opened into entries and written back ---- */

typedef struct {
	char name[WK_TARFILE_NAME_MAX + 1];
	unsigned char *data;
	size_t len;
} tar_entry;

typedef struct {
	tar_entry e[80];
	size_t n;
} tar;

static inline int tar_take(const char *name, const unsigned char *data, size_t len, void *arg)
{
	tar *t = arg;
	tar_entry *e;

	if (t->n >= 80)
		return WK_ELIMIT;
	e = &t->e[t->n++];
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->data = malloc(len + 1);
	memcpy(e->data, data, len);
	e->len = len;
	return 0;
}

static inline int tar_load(tar *t, const wk_buf *b)
{
	t->n = 0;
	return wk_tarfile_read_mem((const unsigned char *)b->ptr, b->len, NULL, tar_take, t);
}

static inline int tar_save(wk_buf *out, const tar *t)
{
	wk_tarfile_entry e[80];
	size_t i;

	for (i = 0; i < t->n; i++) {
		e[i].name = t->e[i].name;
		e[i].data = t->e[i].data;
		e[i].len = t->e[i].len;
	}
	return wk_tarfile_write_mem(out, e, t->n, 0);
}

static inline void tar_free(tar *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->e[i].data);
	t->n = 0;
}

static inline tar_entry *tar_find(tar *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->e[i].name, name) == 0)
			return &t->e[i];
	return NULL;
}

static inline void tar_drop(tar *t, size_t i)
{
	free(t->e[i].data);
	memmove(&t->e[i], &t->e[i + 1], (t->n - i - 1) * sizeof(t->e[0]));
	t->n--;
}

#endif
