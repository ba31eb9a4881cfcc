/*
 * The ledger through real stores: an establishment's device seals its work,
 * another replica of the same site accepts it and holds the same state;
 * accepting again changes nothing; a gap (a sequence jump), a fork, a replay, a tampered
 * envelope, an untrusted, out-of-scope or revoked signer, and an operation
 * outside the signer's site are each refused, quarantined with the reason,
 * and leave the store unchanged.
 */
#include "test.h"
#include "fixture.h"
#include "catalogue.h"
#include "inspection.h"
#include "ledger.h"
#include "plan.h"
#include "query.h"
#include "rules.h"
#include "parties.h"

#include <sodium.h>

static party root, officer, d1, d2, man1;
static wk_trust *trust;

typedef struct {
	unsigned char *env[64];
	size_t len[64];
	size_t n;
} envelopes;

static int grab(const char *site, const char *device, long long seq, const unsigned char *env, size_t n, void *arg)
{
	envelopes *e = arg;

	(void)site;
	(void)device;
	(void)seq;
	if (e->n >= 64)
		return -1;
	e->env[e->n] = malloc(n);
	memcpy(e->env[e->n], env, n);
	e->len[e->n++] = n;
	return 0;
}

static long long count(wk_store *st, const char *sql)
{
	long long n = -1;

	wk_query_int(st, NULL, 0, sql, &n);
	return n;
}

/* accept must be refused with code, quarantined, and the store otherwise unchanged. */
static void expect_refused(wk_store *st, party *who, const unsigned char *env, size_t n, int code, const char *word)
{
	wk_ledger_keys k = keys_of(who, trust);
	char *before = fixture_dump(st), *after;
	long long q = count(st, "SELECT count(*) FROM quarantine"), ops = count(st, "SELECT count(*) FROM op");
	int rc = wk_ledger_accept(st, &k, env, n, "test");

	CHECK_EQ_INT(rc, code);
	CHECK_CONTAINS(wk_error_msg(), word);
	CHECK_EQ_INT(count(st, "SELECT count(*) FROM quarantine"), q + 1);
	CHECK_EQ_INT(count(st, "SELECT count(*) FROM op"), ops);
	after = fixture_dump(st);
	CHECK(before && after && strcmp(before, after) == 0);
	free(before);
	free(after);
}

int main(void)
{
	char path[256], *da, *db;
	wk_store *a, *b, *fork_store;
	wk_plan_options po = WK_PLAN_OPTIONS_INIT;
	wk_import_options io = WK_IMPORT_OPTIONS_INIT;
	wk_ledger_keys ka, kb;
	envelopes ea = { { 0 }, { 0 }, 0 }, ef = { { 0 }, { 0 }, 0 };
	size_t sealed = 0, i;
	long long pending, changesets, quarantined;
	unsigned char bad[4096];

	if (sodium_init() < 0)
		return 1;
	make_party(&root, 1);
	make_party(&officer, 2);
	make_party(&d1, 3);
	make_party(&d2, 4);
	make_party(&man1, 5);
	CHECK_EQ_INT(wk_trust_new(&trust, "YORKS", root.sign_pk, root.box_pk, "Regional Root"), 0);
	enrol(trust, &officer, WK_TRUST_OFFICER, "*", NULL, "Pat Officer");
	enrol(trust, &d1, WK_TRUST_DEVICE, "LEI", "d1", "Leeds laptop 1");
	enrol(trust, &d2, WK_TRUST_DEVICE, "LEI", "d2", "Leeds laptop 2");
	enrol(trust, &man1, WK_TRUST_DEVICE, "MAN", "m1", "Manchester laptop");

	/* Device d1 of LEI works offline, then seals. */
	a = fixture_site("LEI", "d1", path, sizeof(path));
	CHECK(a != NULL);
	if (!a)
		return test_summary();
	po.edm = "OMU";
	CHECK_EQ_INT(wk_store_begin(a), 0);
	CHECK_EQ_INT(wk_plan_create(a, &po, NULL), 0);
	CHECK_EQ_INT(wk_actionplan_import(a, test_src("samples/actionplan-omic-pre-release-2022.json"), &io, NULL), 0);
	CHECK_EQ_INT(wk_store_commit(a), 0);
	ka = keys_of(&d1, trust);
	CHECK_EQ_INT(wk_ledger_seal(a, &ka, &sealed), 0);
	CHECK_EQ_INT(sealed, 1);
	CHECK_EQ_INT(wk_ledger_counts(a, &pending, &changesets, &quarantined), 0);
	CHECK_EQ_INT(pending, 0);
	CHECK_EQ_INT(changesets, 1);
	/* More work, sealed as #2 and #3. */
	{
		wk_assessment_change c = WK_ASSESSMENT_CHANGE_INIT;
		c.status = "met";
		c.evidence = "minutes";
		CHECK_EQ_INT(wk_store_begin(a), 0);
		CHECK_EQ_INT(wk_baseline_set(a, "omu", "1.1", &c), 0);
		CHECK_EQ_INT(wk_store_commit(a), 0);
		CHECK_EQ_INT(wk_ledger_seal(a, &ka, &sealed), 0);
		c.status = "not_met";
		CHECK_EQ_INT(wk_store_begin(a), 0);
		CHECK_EQ_INT(wk_baseline_set(a, "omu", "1.2", &c), 0);
		CHECK_EQ_INT(wk_store_commit(a), 0);
		CHECK_EQ_INT(wk_ledger_seal(a, &ka, &sealed), 0);
	}
	/* Nothing pending: sealing again makes nothing. */
	CHECK_EQ_INT(wk_ledger_seal(a, &ka, &sealed), 0);
	CHECK_EQ_INT(sealed, 0);
	CHECK_EQ_INT(wk_ledger_each(a, grab, &ea), 0);
	CHECK_EQ_INT(ea.n, 3);
	if (ea.n != 3)
		return test_summary();

	/* A replica of LEI (the region's, say) receives them, out of order first: a gap is refused. */
	b = replica("LEI", "r1");
	kb = keys_of(&officer, trust);
	expect_refused(b, &officer, ea.env[1], ea.len[1], WK_ECONFLICT, "gap");
	CHECK_EQ_INT(wk_ledger_accept(b, &kb, ea.env[0], ea.len[0], "test"), WK_LEDGER_APPLIED);
	CHECK_EQ_INT(wk_ledger_accept(b, &kb, ea.env[1], ea.len[1], "test"), WK_LEDGER_APPLIED);
	CHECK_EQ_INT(wk_ledger_accept(b, &kb, ea.env[2], ea.len[2], "test"), WK_LEDGER_APPLIED);
	da = fixture_dump(a);
	db = fixture_dump(b);
	CHECK(da && db && strcmp(da, db) == 0);
	free(da);
	free(db);

	/* Delivered twice: nothing changes. */
	{
		long long ops = count(b, "SELECT count(*) FROM op");
		for (i = 0; i < ea.n; i++)
			CHECK_EQ_INT(wk_ledger_accept(b, &kb, ea.env[i], ea.len[i], "test"), WK_LEDGER_DUPLICATE);
		CHECK_EQ_INT(count(b, "SELECT count(*) FROM op"), ops);
	}

	/* A fork: another store using d1's key seals a different #1; a replay of an old sequence. */
	fork_store = fixture_site("LEI", "d1", path, sizeof(path));
	CHECK_EQ_INT(wk_ledger_seal(fork_store, &ka, &sealed), 0);
	CHECK_EQ_INT(wk_ledger_each(fork_store, grab, &ef), 0);
	CHECK(ef.n >= 1);
	if (ef.n >= 1)
		expect_refused(b, &officer, ef.env[0], ef.len[0], WK_ECONFLICT, "fork or a replay");

	/* A bit flipped in the envelope: refused before anything is decrypted. */
	memcpy(bad, ea.env[2], ea.len[2] < sizeof(bad) ? ea.len[2] : sizeof(bad));
	if (ea.len[2] <= sizeof(bad)) {
		bad[20] ^= 0x10;
		expect_refused(b, &officer, bad, ea.len[2], WK_EBADSIG, "signature");
	}

	/* The same site's other device receives them as well (it is a recipient). */
	{
		wk_store *c = replica("LEI", "d2");
		wk_ledger_keys kc = keys_of(&d2, trust);
		for (i = 0; i < ea.n; i++)
			CHECK_EQ_INT(wk_ledger_accept(c, &kc, ea.env[i], ea.len[i], "test"), WK_LEDGER_APPLIED);

		/*
		 * d2 writes after seeing d1's #3, so its changeset depends on it. A
		 * replica that gets d2's first keeps it waiting, changes nothing else,
		 * and applies it as soon as d1's #3 arrives.
		 */
		{
			wk_assessment_change ch = WK_ASSESSMENT_CHANGE_INIT;
			envelopes e2 = { { 0 }, { 0 }, 0 };
			wk_store *w = replica("LEI", "r4");
			long long ops;

			ch.evidence = "allocation log";
			CHECK_EQ_INT(wk_entity_set_actor(c, "Kim Roe", "d2"), 0);
			CHECK_EQ_INT(wk_store_begin(c), 0);
			CHECK_EQ_INT(wk_baseline_set(c, "omu", "1.1", &ch), 0);
			CHECK_EQ_INT(wk_store_commit(c), 0);
			CHECK_EQ_INT(wk_ledger_seal(c, &kc, &sealed), 0);
			CHECK_EQ_INT(wk_ledger_each(c, grab, &e2), 0);
			/* c holds d1's three and its own one: the last listed in (site, device, seq) order is d2 #1. */
			CHECK_EQ_INT(e2.n, 4);
			if (e2.n == 4 && w) {
				ops = count(w, "SELECT count(*) FROM op");
				CHECK_EQ_INT(wk_ledger_accept(w, &kb, e2.env[3], e2.len[3], "test"), WK_LEDGER_WAITING);
				CHECK_CONTAINS(wk_error_msg(), "waits for LEI/d1 #3");
				CHECK_EQ_INT(count(w, "SELECT count(*) FROM op"), ops);
				CHECK_EQ_INT(count(w, "SELECT count(*) FROM waiting"), 1);
				CHECK_EQ_INT(count(w, "SELECT count(*) FROM quarantine"), 0);
				CHECK_EQ_INT(wk_ledger_accept(w, &kb, e2.env[3], e2.len[3], "test"), WK_LEDGER_WAITING);
				CHECK_EQ_INT(count(w, "SELECT count(*) FROM waiting"), 1);
				for (i = 0; i < 3; i++)
					CHECK_EQ_INT(wk_ledger_accept(w, &kb, e2.env[i], e2.len[i], "test"), WK_LEDGER_APPLIED);
				CHECK_EQ_INT(count(w, "SELECT count(*) FROM waiting"), 0);
				CHECK_EQ_INT(wk_ledger_holds(w, "LEI", "d2", 1), 1);
				da = fixture_dump(c);
				db = fixture_dump(w);
				CHECK(da && db && strcmp(da, db) == 0);
				free(da);
				free(db);
			}
			for (i = 0; i < e2.n; i++)
				free(e2.env[i]);
			wk_store_close(w);
		}
		wk_store_close(c);
	}

	/* Another site's store is not the place for LEI's changesets. */
	{
		wk_store *m = replica("MAN", "r2");
		expect_refused(m, &officer, ea.env[0], ea.len[0], WK_EPOLICY, "not to this store's site MAN");
		wk_store_close(m);
	}

	/* Trust: a MAN device signing for LEI is out of scope; an unknown key; a revoked key. */
	{
		wk_store *s = replica("LEI", "r3");
		envelopes em = { { 0 }, { 0 }, 0 };
		wk_ledger_keys km = keys_of(&man1, trust);
		wk_store *mstore = fixture_site("LEI", "d9", path, sizeof(path));

		/* man1 signs a LEI changeset (its store claims LEI): refused by scope. */
		CHECK_EQ_INT(wk_ledger_seal(mstore, &km, &sealed), 0);
		CHECK_EQ_INT(wk_ledger_each(mstore, grab, &em), 0);
		if (em.n >= 1)
			expect_refused(s, &officer, em.env[0], em.len[0], WK_EBADSIG, "LEI");
		/* Revoke d1 from sequence 2: #1 is accepted, #2 refused. */
		CHECK_EQ_INT(wk_trust_revoke(trust, d1.sign_pk, 2), 0);
		CHECK_EQ_INT(wk_ledger_accept(s, &kb, ea.env[0], ea.len[0], "test"), WK_LEDGER_APPLIED);
		expect_refused(s, &officer, ea.env[1], ea.len[1], WK_EBADSIG, "revoked");
		wk_store_close(mstore);
		wk_store_close(s);
		for (i = 0; i < em.n; i++)
			free(em.env[i]);
	}

	/* An operation outside the signer's site: a LEI device writing MAN's establishment record. */
	{
		wk_store *x = fixture_site("LEI", "d2", path, sizeof(path)), *s = replica("LEI", "r4");
		envelopes ex = { { 0 }, { 0 }, 0 };
		wk_ledger_keys kx = keys_of(&d2, trust);

		CHECK_EQ_INT(wk_store_begin(x), 0);
		CHECK_EQ_INT(wk_entity_create(x, "establishment", "MAN"), 0);
		CHECK_EQ_INT(wk_store_commit(x), 0);
		CHECK_EQ_INT(wk_ledger_seal(x, &kx, &sealed), 0);
		CHECK_EQ_INT(wk_ledger_each(x, grab, &ex), 0);
		if (ex.n >= 1)
			expect_refused(s, &officer, ex.env[0], ex.len[0], WK_EPOLICY, "establishment MAN");
		CHECK_EQ_INT(count(s, "SELECT count(*) FROM establishment"), 0);
		wk_store_close(x);
		wk_store_close(s);
		for (i = 0; i < ex.n; i++)
			free(ex.env[i]);
	}

	/* A device cannot sign off or approve its own plan: only a regional officer can. */
	{
		wk_store *x = fixture_site("LEI", "d2", path, sizeof(path)), *s = replica("LEI", "r5");
		envelopes ex = { { 0 }, { 0 }, 0 };
		wk_ledger_keys kx = keys_of(&d2, trust);

		CHECK_EQ_INT(wk_store_begin(x), 0);
		CHECK_EQ_INT(wk_entity_create(x, "signoff", "omu/pgd/1"), 0);
		CHECK_EQ_INT(wk_store_commit(x), 0);
		CHECK_EQ_INT(wk_ledger_seal(x, &kx, &sealed), 0);
		CHECK_EQ_INT(wk_ledger_each(x, grab, &ex), 0);
		if (ex.n >= 1)
			expect_refused(s, &officer, ex.env[0], ex.len[0], WK_EPOLICY, "cannot sign off");
		wk_store_close(x);
		wk_store_close(s);
		for (i = 0; i < ex.n; i++)
			free(ex.env[i]);
	}

	/* What was quarantined says why. */
	CHECK(count(b, "SELECT count(*) FROM quarantine WHERE reason LIKE '%gap%'") == 1);

	for (i = 0; i < ea.n; i++)
		free(ea.env[i]);
	for (i = 0; i < ef.n; i++)
		free(ef.env[i]);
	wk_store_close(a);
	wk_store_close(b);
	wk_store_close(fork_store);
	wk_trust_free(trust);
	return test_summary();
}
