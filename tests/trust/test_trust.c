/*
 * test_trust.c - the trust file's behaviour: creating a region, enrolling,
 * revoking and rotating keys, the root handover, rollback, and the checks a
 * signer must pass. The byte format is test_format.c's.
 */
#include "test.h"
#include "error.h"
#include "trust.h"

#include <sodium.h>

typedef struct {
	unsigned char spk[32], ssk[64], bpk[32], bsk[32];
} kp;

/* Deterministic keys from one byte: the same seed always makes the same keys. */
static void mk(kp *k, unsigned char seed)
{
	unsigned char s[32];

	memset(s, seed, sizeof(s));
	crypto_sign_seed_keypair(k->spk, k->ssk, s);
	s[0] ^= 0x80;
	crypto_box_seed_keypair(k->bpk, k->bsk, s);
	sodium_memzero(s, sizeof(s));
}

static wk_trust_entry entry(const kp *k, int role, const char *site, const char *device, const char *person,
                            uint64_t from)
{
	wk_trust_entry e = WK_TRUST_ENTRY_INIT;

	memcpy(e.sign_pk, k->spk, 32);
	memcpy(e.box_pk, k->bpk, 32);
	e.role = role;
	snprintf(e.site, sizeof(e.site), "%s", site);
	snprintf(e.device, sizeof(e.device), "%s", device);
	snprintf(e.person, sizeof(e.person), "%s", person);
	e.valid_from = from;
	return e;
}

/* Sign t and open the result against cur (or the pinned root); the opened document, or NULL. */
static wk_trust *publish(wk_trust *t, const unsigned char *sk, const unsigned char *old_sk, const wk_trust *cur,
                         const unsigned char *pin, wk_buf *keep)
{
	wk_buf b = WK_BUF_INIT;
	wk_trust *o = NULL;

	if (wk_trust_sign(&b, t, sk, old_sk) < 0 || wk_trust_open(&o, (unsigned char *)b.ptr, b.len, cur, pin) < 0)
		fprintf(stderr, "publish: %s\n", wk_error_msg());
	if (keep) {
		wk_buf_free(keep);
		*keep = b;
	} else {
		wk_buf_free(&b);
	}
	return o;
}

static int open_err(const wk_buf *b, const wk_trust *cur, const unsigned char *pin)
{
	wk_trust *o = NULL;
	int rc = wk_trust_open(&o, (const unsigned char *)b->ptr, b->len, cur, pin);

	wk_trust_free(o);
	return rc;
}

static kp root, root2, off, dev1, dev2, dev3, other;

/* A signer callback, as a caller holding keys elsewhere would write one. */
struct signer_ctx {
	const unsigned char *sk;
	int fail;
};

static int test_signer(void *ctx, unsigned char sig[64], const unsigned char *m, size_t n)
{
	struct signer_ctx *c = ctx;

	if (c->fail)
		return wk_error_set(WK_EIO, "test signer failed");
	crypto_sign_detached(sig, NULL, m, n, c->sk);
	return 0;
}

static void test_new_and_round_trip(void)
{
	wk_trust *t = NULL, *o = NULL;
	wk_trust_entry e;
	wk_buf b = WK_BUF_INIT, j = WK_BUF_INIT;
	const wk_trust_entry *got;

	CHECK_EQ_INT(wk_trust_new(&t, "NW", root.spk, root.bpk, "PGD North West"), 0);
	CHECK_EQ_INT(wk_trust_version(t), 0);
	CHECK_EQ_INT(wk_trust_count(t), 1);
	e = entry(&dev1, WK_TRUST_DEVICE, "LEI", "d01", "Jo Bloggs", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), 0);
	e = entry(&off, WK_TRUST_OFFICER, "*", "", "Ann Officer", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), 0);
	o = publish(t, root.ssk, NULL, NULL, root.spk, &b);
	CHECK(o != NULL);
	CHECK_EQ_INT(wk_trust_version(t), 1);
	if (o) {
		CHECK_EQ_INT(wk_trust_version(o), 1);
		CHECK_EQ_STR(wk_trust_region(o), "NW");
		CHECK_EQ_INT(wk_trust_count(o), 3);
		CHECK(memcmp(wk_trust_root_pk(o), root.spk, 32) == 0);
		CHECK_EQ_INT(wk_trust_lookup(o, dev1.spk, &got), 0);
		CHECK(got && got->role == WK_TRUST_DEVICE && !strcmp(got->site, "LEI") &&
		      !strcmp(got->device, "d01") && !strcmp(got->person, "Jo Bloggs") && got->valid_from == 1 &&
		      got->revoked_from == WK_TRUST_NOT_REVOKED && !memcmp(got->box_pk, dev1.bpk, 32));
		/* Entries come back sorted by signing key. */
		CHECK(memcmp(wk_trust_entry_at(o, 0)->sign_pk, wk_trust_entry_at(o, 1)->sign_pk, 32) < 0);
		CHECK(memcmp(wk_trust_entry_at(o, 1)->sign_pk, wk_trust_entry_at(o, 2)->sign_pk, 32) < 0);
		CHECK(wk_trust_entry_at(o, 3) == NULL);
		CHECK_EQ_INT(wk_trust_json(&j, o), 0);
		CHECK_CONTAINS(j.ptr, "\"region\":\"NW\",\"version\":1");
		CHECK_CONTAINS(j.ptr, "\"role\":\"device\",\"site\":\"LEI\",\"device\":\"d01\",\"person\":\"Jo Bloggs\","
		               "\"valid_from\":1,\"revoked_from\":null");
	}
	/* The opened copy is the same document: both sign the next version to the same bytes. */
	if (o) {
		wk_buf x = WK_BUF_INIT, y = WK_BUF_INIT;
		wk_trust *copy = NULL;

		CHECK_EQ_INT(wk_trust_open(&copy, (unsigned char *)b.ptr, b.len, NULL, root.spk), 0);
		CHECK_EQ_INT(wk_trust_sign(&x, o, root.ssk, NULL), 0);
		CHECK_EQ_INT(wk_trust_sign(&y, copy, root.ssk, NULL), 0);
		CHECK(x.len > 0 && x.len == y.len && memcmp(x.ptr, y.ptr, x.len) == 0);
		wk_trust_free(copy);
		wk_buf_free(&x);
		wk_buf_free(&y);
	}
	/* A lookup of a key not listed says so. */
	CHECK_EQ_INT(wk_trust_lookup(t, other.spk, &got), WK_ENOTFOUND);
	CHECK_CONTAINS(wk_error_msg(), "is not in trust file version 1 of region NW");
	/* Signing with a key that is not the root's signs nothing and keeps the version. */
	CHECK_EQ_INT(wk_trust_sign(&b, t, other.ssk, NULL), WK_EUSAGE);
	CHECK_CONTAINS(wk_error_msg(), "is not the root key");
	CHECK_EQ_INT(b.len, 0);
	CHECK_EQ_INT(wk_trust_version(t), 1);
	/* A secret key whose public half was swapped for the root's: the signature does not verify, refused. */
	{
		unsigned char fake[64];

		memcpy(fake, other.ssk, 32);
		memcpy(fake + 32, root.spk, 32);
		CHECK_EQ_INT(wk_trust_sign(&b, t, fake, NULL), WK_EUSAGE);
		CHECK_EQ_INT(b.len, 0);
		sodium_memzero(fake, sizeof(fake));
	}
	/* Signing through a signer callback, as with keys kept by sync/keys.h. */
	{
		struct signer_ctx good = { root.ssk, 0 }, failing = { root.ssk, 1 }, wrong = { other.ssk, 0 };

		CHECK_EQ_INT(wk_trust_sign_with(&b, t, test_signer, &failing, NULL, NULL), WK_EIO);
		CHECK_CONTAINS(wk_error_msg(), "test signer failed");
		CHECK_EQ_INT(wk_trust_sign_with(&b, t, test_signer, &wrong, NULL, NULL), WK_EUSAGE);
		CHECK_CONTAINS(wk_error_msg(), "is not the root key");
		CHECK_EQ_INT(wk_trust_version(t), 1);
		CHECK_EQ_INT(wk_trust_sign_with(&b, t, test_signer, &good, NULL, NULL), 0);
		CHECK_EQ_INT(wk_trust_version(t), 2);
		CHECK_EQ_INT(open_err(&b, NULL, root.spk), 0);
	}
	/* A previous root's key when no rotation waits is refused. */
	CHECK_EQ_INT(wk_trust_sign(&b, t, root.ssk, root2.ssk), WK_EUSAGE);
	CHECK_CONTAINS(wk_error_msg(), "no root rotation");
	/* First trust pinned to another key is refused. */
	wk_trust_free(o);
	o = publish(t, root.ssk, NULL, NULL, root.spk, &b);
	CHECK_EQ_INT(open_err(&b, NULL, other.spk), WK_EBADSIG);
	CHECK_CONTAINS(wk_error_msg(), "not by the expected root");
	/* Bad arguments to open. */
	CHECK_EQ_INT(open_err(&b, NULL, NULL), WK_EUSAGE);
	CHECK_EQ_INT(open_err(&b, o, root.spk), WK_EUSAGE);
	wk_trust_free(o);
	wk_trust_free(t);
	wk_buf_free(&b);
	wk_buf_free(&j);
}

static void test_enrol_refusals(void)
{
	wk_trust *t = NULL;
	wk_trust_entry e;
	char longp[WK_TRUST_PERSON_MAX + 2];

	CHECK_EQ_INT(wk_trust_new(&t, "N W", root.spk, root.bpk, "x"), WK_EINVALID);
	CHECK(t == NULL);
	CHECK_EQ_INT(wk_trust_new(&t, "NW", root.spk, root.bpk, ""), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "person");
	CHECK_EQ_INT(wk_trust_new(&t, "NW", root.spk, root.bpk, "PGD"), 0);
	e = entry(&dev1, WK_TRUST_DEVICE, "LEI", "d01", "Jo", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), 0);
	/* The same signing key twice. */
	CHECK_EQ_INT(wk_trust_add(t, &e), WK_EEXISTS);
	CHECK_CONTAINS(wk_error_msg(), "already enrolled as key");
	/* Another key reusing an encryption key. */
	e = entry(&dev2, WK_TRUST_DEVICE, "LEI", "d02", "Jo", 1);
	memcpy(e.box_pk, dev1.bpk, 32);
	CHECK_EQ_INT(wk_trust_add(t, &e), WK_EEXISTS);
	CHECK_CONTAINS(wk_error_msg(), "encryption key is already listed");
	/* A second key for the same device over the same sequences. */
	e = entry(&dev2, WK_TRUST_DEVICE, "LEI", "d01", "Jo", 50);
	CHECK_EQ_INT(wk_trust_add(t, &e), WK_ECONFLICT);
	CHECK_CONTAINS(wk_error_msg(), "already has key");
	/* Scope and role rules. */
	e = entry(&dev2, WK_TRUST_DEVICE, "*", "d02", "Jo", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "a device's scope must be its site code");
	e = entry(&dev2, WK_TRUST_DEVICE, "LEI", "", "Jo", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "needs a device code");
	e = entry(&off, WK_TRUST_OFFICER, "LEI", "", "Ann", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "scope of an officer key must be \"*\"");
	e = entry(&off, WK_TRUST_ROOT, "*", "", "Ann", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "not enrolled");
	e = entry(&off, 3, "*", "", "Ann", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "role must be");
	/* Person: no control characters, capped. */
	e = entry(&off, WK_TRUST_OFFICER, "*", "", "Ann\nOfficer", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "the person must be");
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	e = entry(&off, WK_TRUST_OFFICER, "*", "", "x", 1);
	memcpy(e.person, longp, sizeof(e.person));  /* unterminated: 129 bytes of 'a' */
	CHECK_EQ_INT(wk_trust_add(t, &e), WK_EINVALID);
	e = entry(&off, WK_TRUST_OFFICER, "*", "", "\xc3\x28", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), WK_EINVALID);
	/* A revocation before validity. */
	e = entry(&off, WK_TRUST_OFFICER, "*", "", "Ann", 5);
	e.revoked_from = 4;
	CHECK_EQ_INT(wk_trust_add(t, &e), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "before it is valid");
	/* Keys libsodium cannot use. */
	e = entry(&off, WK_TRUST_OFFICER, "*", "", "Ann", 1);
	memset(e.box_pk, 0, 32);
	CHECK_EQ_INT(wk_trust_add(t, &e), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "not a usable X25519");
	e = entry(&off, WK_TRUST_OFFICER, "*", "", "Ann", 1);
	memset(e.sign_pk, 0, 32);
	CHECK_EQ_INT(wk_trust_add(t, &e), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "not a usable Ed25519");
	/* An officer may carry a device code; UTF-8 names are fine. */
	e = entry(&off, WK_TRUST_OFFICER, "*", "rgn-01", "Siân O'Connor", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), 0);
	CHECK_EQ_INT(wk_trust_count(t), 3);
	wk_trust_free(t);
}

static void test_check_signer(void)
{
	wk_trust *t = NULL, *o;
	wk_trust_entry e;

	CHECK_EQ_INT(wk_trust_new(&t, "NW", root.spk, root.bpk, "PGD"), 0);
	e = entry(&dev1, WK_TRUST_DEVICE, "LEI", "d01", "Jo", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), 0);
	e = entry(&dev2, WK_TRUST_DEVICE, "LEI", "d02", "Al", 3);
	CHECK_EQ_INT(wk_trust_add(t, &e), 0);
	e = entry(&off, WK_TRUST_OFFICER, "*", "", "Ann", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), 0);
	CHECK_EQ_INT(wk_trust_revoke(t, dev1.spk, 10), 0);
	o = publish(t, root.ssk, NULL, NULL, root.spk, NULL);
	CHECK(o != NULL);
	if (!o)
		goto cleanup;
	/* A device signs for its own site between valid_from and revoked_from. */
	CHECK_EQ_INT(wk_trust_check_signer(o, dev1.spk, "LEI", 1, WK_TRUST_DEVICE), 0);
	CHECK_EQ_INT(wk_trust_check_signer(o, dev1.spk, "LEI", 9, WK_TRUST_DEVICE | WK_TRUST_OFFICER), 0);
	/* Revoked from 10: refused at 10 and after. */
	CHECK_EQ_INT(wk_trust_check_signer(o, dev1.spk, "LEI", 10, WK_TRUST_DEVICE), WK_EBADSIG);
	CHECK_CONTAINS(wk_error_msg(), "revocation check failed");
	CHECK_CONTAINS(wk_error_msg(), "revoked from sequence 10 (this is sequence 10)");
	CHECK_CONTAINS(wk_error_msg(), "device d01 of site LEI");
	CHECK_EQ_INT(wk_trust_check_signer(o, dev1.spk, "LEI", 11, WK_TRUST_DEVICE), WK_EBADSIG);
	CHECK_EQ_INT(wk_trust_check_signer(o, dev1.spk, "LEI", UINT64_MAX, WK_TRUST_DEVICE), WK_EBADSIG);
	/* Not yet valid. */
	CHECK_EQ_INT(wk_trust_check_signer(o, dev2.spk, "LEI", 2, WK_TRUST_DEVICE), WK_EBADSIG);
	CHECK_CONTAINS(wk_error_msg(), "validity check failed");
	CHECK_EQ_INT(wk_trust_check_signer(o, dev2.spk, "LEI", 3, WK_TRUST_DEVICE), 0);
	/* A device outside its site. */
	CHECK_EQ_INT(wk_trust_check_signer(o, dev1.spk, "MAN", 5, WK_TRUST_DEVICE), WK_EBADSIG);
	CHECK_CONTAINS(wk_error_msg(), "scope check failed");
	CHECK_CONTAINS(wk_error_msg(), "may sign only for site LEI, not for site MAN");
	CHECK_EQ_INT(wk_trust_check_signer(o, dev1.spk, "lei", 5, WK_TRUST_DEVICE), WK_EBADSIG);
	CHECK_EQ_INT(wk_trust_check_signer(o, dev1.spk, NULL, 5, WK_TRUST_DEVICE), WK_EBADSIG);
	CHECK_CONTAINS(wk_error_msg(), "not without a site");
	/* An officer, any site, or none. */
	CHECK_EQ_INT(wk_trust_check_signer(o, off.spk, "MAN", 5, WK_TRUST_OFFICER), 0);
	CHECK_EQ_INT(wk_trust_check_signer(o, off.spk, "LEI", 1, WK_TRUST_OFFICER), 0);
	CHECK_EQ_INT(wk_trust_check_signer(o, off.spk, NULL, 1, WK_TRUST_OFFICER), 0);
	/* Role mismatch, both ways. */
	CHECK_EQ_INT(wk_trust_check_signer(o, dev1.spk, "LEI", 5, WK_TRUST_OFFICER), WK_EBADSIG);
	CHECK_CONTAINS(wk_error_msg(), "role check failed");
	CHECK_CONTAINS(wk_error_msg(), "is a device key, but this needs an officer");
	CHECK_EQ_INT(wk_trust_check_signer(o, off.spk, "LEI", 5, WK_TRUST_DEVICE), WK_EBADSIG);
	CHECK_CONTAINS(wk_error_msg(), "is an officer key, but this needs a device");
	CHECK_EQ_INT(wk_trust_check_signer(o, root.spk, "LEI", 1, WK_TRUST_DEVICE | WK_TRUST_OFFICER), WK_EBADSIG);
	CHECK_EQ_INT(wk_trust_check_signer(o, root.spk, NULL, 1, WK_TRUST_ROOT), 0);
	/* Unknown key. */
	CHECK_EQ_INT(wk_trust_check_signer(o, other.spk, "LEI", 5, WK_TRUST_DEVICE), WK_ENOTFOUND);
	CHECK_CONTAINS(wk_error_msg(), "is not in trust file version 1 of region NW");
	wk_trust_free(o);
cleanup:
	wk_trust_free(t);
}

static void test_revoke_and_rotate_device(void)
{
	wk_trust *t = NULL, *o;
	wk_trust_entry e;

	CHECK_EQ_INT(wk_trust_new(&t, "NW", root.spk, root.bpk, "PGD"), 0);
	e = entry(&dev1, WK_TRUST_DEVICE, "LEI", "d01", "Jo", 3);
	CHECK_EQ_INT(wk_trust_add(t, &e), 0);
	/* Revocation refusals. */
	CHECK_EQ_INT(wk_trust_revoke(t, root.spk, 5), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "rotated, not revoked");
	CHECK_EQ_INT(wk_trust_revoke(t, other.spk, 5), WK_ENOTFOUND);
	CHECK_EQ_INT(wk_trust_revoke(t, dev1.spk, 2), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "valid only from sequence 3");
	CHECK_EQ_INT(wk_trust_revoke(t, dev1.spk, WK_TRUST_NOT_REVOKED), WK_EINVALID);
	CHECK_EQ_INT(wk_trust_revoke(t, dev1.spk, 20), 0);
	CHECK_EQ_INT(wk_trust_revoke(t, dev1.spk, 21), WK_ECONFLICT);
	CHECK_CONTAINS(wk_error_msg(), "can only be moved earlier");
	CHECK_EQ_INT(wk_trust_revoke(t, dev1.spk, 15), 0);
	CHECK_EQ_INT(wk_trust_revoke(t, dev1.spk, 15), 0);
	/* Rotation: the new key takes over from sequence 12; the old one is revoked from there. */
	e = entry(&dev2, WK_TRUST_DEVICE, "LEI", "d02", "Jo", 12);
	CHECK_EQ_INT(wk_trust_rotate(t, dev1.spk, &e), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "keep its role, site and device code");
	e = entry(&dev2, WK_TRUST_DEVICE, "LEI", "d01", "Jo", 2);
	CHECK_EQ_INT(wk_trust_rotate(t, dev1.spk, &e), WK_EINVALID);
	e = entry(&dev2, WK_TRUST_DEVICE, "LEI", "d01", "Jo", 12);
	memcpy(e.box_pk, dev1.bpk, 32);   /* fails in add: the old key's revocation stays at 15 */
	CHECK_EQ_INT(wk_trust_rotate(t, dev1.spk, &e), WK_EEXISTS);
	CHECK_EQ_INT(wk_trust_check_signer(t, dev1.spk, "LEI", 14, WK_TRUST_DEVICE), 0);
	e = entry(&dev2, WK_TRUST_DEVICE, "LEI", "d01", "Jo", 12);
	CHECK_EQ_INT(wk_trust_rotate(t, dev1.spk, &e), 0);
	o = publish(t, root.ssk, NULL, NULL, root.spk, NULL);
	CHECK(o != NULL);
	if (o) {
		CHECK_EQ_INT(wk_trust_check_signer(o, dev1.spk, "LEI", 11, WK_TRUST_DEVICE), 0);
		CHECK_EQ_INT(wk_trust_check_signer(o, dev1.spk, "LEI", 12, WK_TRUST_DEVICE), WK_EBADSIG);
		CHECK_EQ_INT(wk_trust_check_signer(o, dev2.spk, "LEI", 11, WK_TRUST_DEVICE), WK_EBADSIG);
		CHECK_EQ_INT(wk_trust_check_signer(o, dev2.spk, "LEI", 12, WK_TRUST_DEVICE), 0);
	}
	wk_trust_free(o);
	wk_trust_free(t);
}

static void test_recipients(void)
{
	wk_trust *t = NULL;
	wk_trust_entry e;
	unsigned char r[8][32];
	size_t n = 99, i;
	int seen1 = 0, seen3 = 0, seenoff = 0;

	CHECK_EQ_INT(wk_trust_new(&t, "NW", root.spk, root.bpk, "PGD"), 0);
	CHECK_EQ_INT(wk_trust_recipients(t, "LEI", r, 8, &n), WK_ENOTFOUND);
	CHECK_EQ_INT(n, 0);
	e = entry(&dev1, WK_TRUST_DEVICE, "LEI", "d01", "Jo", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), 0);
	e = entry(&dev2, WK_TRUST_DEVICE, "LEI", "d02", "Al", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), 0);
	e = entry(&dev3, WK_TRUST_DEVICE, "LEI", "d03", "Cy", 100);
	CHECK_EQ_INT(wk_trust_add(t, &e), 0);
	e = entry(&other, WK_TRUST_DEVICE, "MAN", "d01", "Di", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), 0);
	e = entry(&off, WK_TRUST_OFFICER, "*", "", "Ann", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), 0);
	CHECK_EQ_INT(wk_trust_revoke(t, dev2.spk, 40), 0);
	/* LEI: the officer, d01 and d03 (not yet valid, but not revoked); not d02 (revoked), not MAN, not root. */
	CHECK_EQ_INT(wk_trust_recipients(t, "LEI", r, 8, &n), 0);
	CHECK_EQ_INT(n, 3);
	for (i = 0; i < n; i++) {
		seen1 += !memcmp(r[i], dev1.bpk, 32);
		seen3 += !memcmp(r[i], dev3.bpk, 32);
		seenoff += !memcmp(r[i], off.bpk, 32);
		CHECK(memcmp(r[i], dev2.bpk, 32) && memcmp(r[i], other.bpk, 32) && memcmp(r[i], root.bpk, 32));
	}
	CHECK(seen1 == 1 && seen3 == 1 && seenoff == 1);
	/* Counting only, and too small an array. */
	CHECK_EQ_INT(wk_trust_recipients(t, "MAN", NULL, 0, &n), WK_ELIMIT);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(wk_trust_recipients(t, "MAN", r, 1, &n), WK_ELIMIT);
	CHECK_EQ_INT(wk_trust_recipients(t, NULL, r, 8, &n), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(wk_trust_recipients(t, "bad site", r, 8, &n), WK_EINVALID);
	wk_trust_free(t);
}

/* Versions only go up: an old or equal version is refused even when validly signed. */
static void test_rollback(void)
{
	wk_trust *t = NULL, *v1 = NULL, *v2 = NULL, *v3 = NULL, *o = NULL;
	wk_buf b1 = WK_BUF_INIT, b2 = WK_BUF_INIT, b3 = WK_BUF_INIT;
	wk_trust_entry e;

	CHECK_EQ_INT(wk_trust_new(&t, "NW", root.spk, root.bpk, "PGD"), 0);
	v1 = publish(t, root.ssk, NULL, NULL, root.spk, &b1);
	e = entry(&dev1, WK_TRUST_DEVICE, "LEI", "d01", "Jo", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), 0);
	v2 = publish(t, root.ssk, NULL, v1, NULL, &b2);
	CHECK(v1 && v2);
	if (!v1 || !v2)
		goto cleanup;
	CHECK_EQ_INT(wk_trust_version(v2), 2);
	CHECK_EQ_INT(open_err(&b1, v2, NULL), WK_ECONFLICT);
	CHECK_CONTAINS(wk_error_msg(), "version 1 of region NW is not newer than the trusted version 2");
	CHECK_CONTAINS(wk_error_msg(), "rollback");
	CHECK_EQ_INT(open_err(&b2, v2, NULL), WK_ECONFLICT);
	CHECK_CONTAINS(wk_error_msg(), "rollback");
	/* Skipping a version is fine; the skipped one is then old. */
	CHECK_EQ_INT(wk_trust_revoke(t, dev1.spk, 7), 0);
	wk_trust_free(publish(t, root.ssk, NULL, v2, NULL, NULL));
	v3 = publish(t, root.ssk, NULL, v1, NULL, &b3);
	CHECK(v3 != NULL);
	CHECK_EQ_INT(wk_trust_version(v3), 4);
	CHECK_EQ_INT(open_err(&b2, v3, NULL), WK_ECONFLICT);
	/* Another region's file is refused even when newer. */
	{
		wk_trust *x = NULL;
		wk_buf bx = WK_BUF_INIT;

		CHECK_EQ_INT(wk_trust_new(&x, "NE", root.spk, root.bpk, "PGD"), 0);
		for (int i = 0; i < 5; i++)
			CHECK_EQ_INT(wk_trust_sign(&bx, x, root.ssk, NULL), 0);
		CHECK_EQ_INT(open_err(&bx, v3, NULL), WK_ECONFLICT);
		CHECK_CONTAINS(wk_error_msg(), "is for region NE, not region NW");
		wk_trust_free(x);
		wk_buf_free(&bx);
	}
cleanup:
	wk_trust_free(o);
	wk_trust_free(v1);
	wk_trust_free(v2);
	wk_trust_free(v3);
	wk_trust_free(t);
	wk_buf_free(&b1);
	wk_buf_free(&b2);
	wk_buf_free(&b3);
}

/* Keys are never dropped or changed, and a revocation never withdrawn, from one version to the next. */
static void test_history(void)
{
	wk_trust *t = NULL, *v1 = NULL, *v2 = NULL, *fresh = NULL, *old = NULL;
	wk_buf b = WK_BUF_INIT;
	wk_trust_entry e;

	CHECK_EQ_INT(wk_trust_new(&t, "NW", root.spk, root.bpk, "PGD"), 0);
	e = entry(&dev1, WK_TRUST_DEVICE, "LEI", "d01", "Jo", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), 0);
	v1 = publish(t, root.ssk, NULL, NULL, root.spk, &b);
	old = publish(t, root.ssk, NULL, v1, NULL, &b);   /* version 2, d01 not revoked: kept as a draft */
	CHECK_EQ_INT(wk_trust_revoke(t, dev1.spk, 7), 0);
	v2 = publish(t, root.ssk, NULL, old, NULL, &b);    /* version 3: d01 revoked from 7 */
	CHECK(v1 && v2 && old);
	if (!v1 || !v2 || !old)
		goto cleanup;
	/* The root signs a version 4 built from version 2: the revocation is withdrawn. */
	CHECK_EQ_INT(wk_trust_sign(&b, old, root.ssk, NULL), 0);  /* 3 */
	CHECK_EQ_INT(wk_trust_sign(&b, old, root.ssk, NULL), 0);  /* 4 */
	CHECK_EQ_INT(open_err(&b, v2, NULL), WK_ECONFLICT);
	CHECK_CONTAINS(wk_error_msg(), "withdraws or postpones the revocation");
	/* A new draft without d01, at a higher version: the key is dropped. */
	CHECK_EQ_INT(wk_trust_new(&fresh, "NW", root.spk, root.bpk, "PGD"), 0);
	for (int i = 0; i < 5; i++)
		CHECK_EQ_INT(wk_trust_sign(&b, fresh, root.ssk, NULL), 0);
	CHECK_EQ_INT(open_err(&b, v2, NULL), WK_ECONFLICT);
	CHECK_CONTAINS(wk_error_msg(), "drops key");
	/* A changed person on an enrolled key. */
	wk_trust_free(fresh);
	fresh = NULL;
	CHECK_EQ_INT(wk_trust_new(&fresh, "NW", root.spk, root.bpk, "PGD"), 0);
	e = entry(&dev1, WK_TRUST_DEVICE, "LEI", "d01", "Someone Else", 1);
	e.revoked_from = 7;
	CHECK_EQ_INT(wk_trust_add(fresh, &e), 0);
	for (int i = 0; i < 5; i++)
		CHECK_EQ_INT(wk_trust_sign(&b, fresh, root.ssk, NULL), 0);
	CHECK_EQ_INT(open_err(&b, v2, NULL), WK_ECONFLICT);
	CHECK_CONTAINS(wk_error_msg(), "changes key");
	/* Moving a revocation earlier is allowed. */
	CHECK_EQ_INT(wk_trust_revoke(t, dev1.spk, 5), 0);
	wk_trust_free(v1);
	v1 = publish(t, root.ssk, NULL, v2, NULL, NULL);
	CHECK(v1 != NULL);
cleanup:
	wk_trust_free(t);
	wk_trust_free(v1);
	wk_trust_free(v2);
	wk_trust_free(old);
	wk_trust_free(fresh);
	wk_buf_free(&b);
}

/* A new root needs the old root's signature. */
static void test_root_rotation(void)
{
	wk_trust *t = NULL, *v1 = NULL, *v2 = NULL, *v3 = NULL, *o = NULL, *fake = NULL, *retired = NULL;
	wk_buf b = WK_BUF_INIT, b2 = WK_BUF_INIT, b3 = WK_BUF_INIT, b4 = WK_BUF_INIT;
	const wk_trust_entry *e;
	wk_trust_entry d;

	CHECK_EQ_INT(wk_trust_new(&t, "NW", root.spk, root.bpk, "PGD"), 0);
	CHECK_EQ_INT(wk_trust_rotate_root(t, root2.spk, root2.bpk, NULL), WK_EUSAGE);
	d = entry(&dev1, WK_TRUST_DEVICE, "LEI", "d01", "Jo", 1);
	CHECK_EQ_INT(wk_trust_add(t, &d), 0);
	v1 = publish(t, root.ssk, NULL, NULL, root.spk, &b);
	v2 = publish(t, root.ssk, NULL, v1, NULL, &b2);
	CHECK(v1 && v2);
	if (!v1 || !v2)
		goto cleanup;
	/* An attacker's (or a mistaken) new root without the old root's signature: refused. */
	CHECK_EQ_INT(wk_trust_new(&fake, "NW", root2.spk, root2.bpk, "PGD"), 0);
	CHECK_EQ_INT(wk_trust_add(fake, &d), 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(wk_trust_sign(&b, fake, root2.ssk, NULL), 0);
	CHECK_EQ_INT(open_err(&b, v2, NULL), WK_EBADSIG);
	CHECK_CONTAINS(wk_error_msg(), "changes the root to key");
	CHECK_CONTAINS(wk_error_msg(), "without the signature of the trusted root");
	/* The rotation proper. */
	CHECK_EQ_INT(wk_trust_rotate_root(t, dev1.spk, root2.bpk, NULL), WK_EEXISTS);
	CHECK_EQ_INT(wk_trust_rotate_root(t, root2.spk, root2.bpk, "PGD North West (2024)"), 0);
	CHECK_EQ_INT(wk_trust_rotate_root(t, other.spk, other.bpk, NULL), WK_ECONFLICT);
	CHECK_EQ_INT(wk_trust_sign(&b3, t, root2.ssk, NULL), WK_EUSAGE);
	CHECK_CONTAINS(wk_error_msg(), "the previous root's key must sign too");
	CHECK_EQ_INT(wk_trust_sign(&b3, t, root.ssk, root2.ssk), WK_EUSAGE);
	CHECK_EQ_INT(wk_trust_sign(&b3, t, root2.ssk, other.ssk), WK_EUSAGE);
	CHECK_CONTAINS(wk_error_msg(), "is not the previous root key");
	CHECK_EQ_INT(wk_trust_version(t), 2);
	CHECK_EQ_INT(wk_trust_sign(&b3, t, root2.ssk, root.ssk), 0);
	CHECK_EQ_INT(wk_trust_version(t), 3);
	CHECK_EQ_INT(wk_trust_open(&v3, (unsigned char *)b3.ptr, b3.len, v2, NULL), 0);
	if (!v3)
		goto cleanup;
	CHECK(memcmp(wk_trust_root_pk(v3), root2.spk, 32) == 0);
	CHECK_EQ_INT(wk_trust_lookup(v3, root.spk, &e), 0);
	CHECK(e && e->role == WK_TRUST_ROOT && e->revoked_from == 3 && !strcmp(e->person, "PGD"));
	CHECK_EQ_INT(wk_trust_lookup(v3, root2.spk, &e), 0);
	CHECK(e && e->role == WK_TRUST_ROOT && e->valid_from == 3 && !strcmp(e->person, "PGD North West (2024)"));
	CHECK_EQ_INT(wk_trust_check_signer(v3, root.spk, NULL, 3, WK_TRUST_ROOT), WK_EBADSIG);
	CHECK_EQ_INT(wk_trust_check_signer(v3, root2.spk, NULL, 3, WK_TRUST_ROOT), 0);
	/* The handover version opens from the old pin too; the next one needs it, or the new pin. */
	CHECK_EQ_INT(open_err(&b3, NULL, root.spk), 0);
	CHECK_EQ_INT(open_err(&b3, NULL, root2.spk), 0);
	CHECK_EQ_INT(wk_trust_sign(&b4, t, root2.ssk, NULL), 0);  /* version 4, new root alone */
	CHECK_EQ_INT(open_err(&b4, v3, NULL), 0);
	CHECK_EQ_INT(open_err(&b4, v2, NULL), WK_EBADSIG);
	CHECK_CONTAINS(wk_error_msg(), "open the version that hands over first");
	CHECK_EQ_INT(open_err(&b4, NULL, root.spk), WK_EBADSIG);
	CHECK_EQ_INT(open_err(&b4, NULL, root2.spk), 0);
	/* The retired root cannot sign on: its version 4, built from version 2, is refused after the handover. */
	CHECK_EQ_INT(wk_trust_open(&retired, (unsigned char *)b2.ptr, b2.len, v1, NULL), 0);
	if (retired) {
		CHECK_EQ_INT(wk_trust_sign(&b, retired, root.ssk, NULL), 0);
		CHECK_EQ_INT(open_err(&b, v3, NULL), WK_ECONFLICT);  /* version 3 again: rollback */
		CHECK_EQ_INT(wk_trust_sign(&b, retired, root.ssk, NULL), 0);
		CHECK_EQ_INT(open_err(&b, v3, NULL), WK_EBADSIG);     /* version 4: not the trusted root */
	}
	/* The handover signature is checked: a flipped bit in it is refused. */
	b3.ptr[b3.len - 1] ^= 1;
	CHECK_EQ_INT(open_err(&b3, v2, NULL), WK_EBADSIG);
	CHECK_CONTAINS(wk_error_msg(), "handover signature of the previous root");
cleanup:
	wk_trust_free(t);
	wk_trust_free(v1);
	wk_trust_free(v2);
	wk_trust_free(v3);
	wk_trust_free(o);
	wk_trust_free(fake);
	wk_trust_free(retired);
	wk_buf_free(&b);
	wk_buf_free(&b2);
	wk_buf_free(&b3);
	wk_buf_free(&b4);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	mk(&root, 1);
	mk(&root2, 2);
	mk(&off, 3);
	mk(&dev1, 4);
	mk(&dev2, 5);
	mk(&dev3, 6);
	mk(&other, 7);
	test_new_and_round_trip();
	test_enrol_refusals();
	test_check_signer();
	test_revoke_and_rotate_device();
	test_recipients();
	test_rollback();
	test_history();
	test_root_rotation();
	return test_summary();
}
