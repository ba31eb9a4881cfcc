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
#include "parties.h"

#include <sodium.h>

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
