/*
 * parties.h - the people and stores of a test region, shared by the ledger
 * and bundle tests: parties with raw keys from fixed seeds, the signer and
 * opener callbacks over them, enrolling them in a trust built in the test,
 * and a region-side replica store of one site.
 */
#ifndef WK_TEST_PARTIES_H
#define WK_TEST_PARTIES_H

#include "fixture.h"
#include "catalogue.h"
#include "ledger.h"
#include "rules.h"
#include "trust.h"

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

/* A replica of site's store for device, holding only the national catalogue (as the region has it). */
static inline wk_store *replica(const char *site, const char *device)
{
	wk_store *st = NULL;
	char dir[] = "/tmp/wk-replica-XXXXXX", path[64];
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

#endif
