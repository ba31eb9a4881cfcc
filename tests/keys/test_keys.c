/*
 * A device's keys: what they sign verifies, what is sealed to them opens,
 * they survive a key file under either protection, a wrong passphrase gets
 * nothing, a key file is never silently replaced, and freed secrets are
 * wiped.
 */
#include "test.h"
#include "error.h"
#include "keys.h"
#include "keys_util.h"

#include <dirent.h>

static const char *pass = "correct horse battery staple";

/* k2 signs what k1's public key verifies, and opens what was sealed to k1. */
static void check_same_keys(const wk_keys *k1, const wk_keys *k2)
{
	const unsigned char msg[] = "plan LEI-2026 baseline 2.4 complete";
	unsigned char sig[WK_KEYS_SIG_BYTES], sealed[32 + WK_KEYS_SEAL_BYTES], opened[32];
	unsigned char secret[32];

	CHECK(memcmp(wk_keys_sign_pk(k1), wk_keys_sign_pk(k2), 32) == 0);
	CHECK(memcmp(wk_keys_box_pk(k1), wk_keys_box_pk(k2), 32) == 0);
	CHECK_EQ_INT(wk_keys_sign(k2, sig, msg, sizeof(msg)), 0);
	CHECK_EQ_INT(wk_keys_verify(wk_keys_sign_pk(k1), sig, msg, sizeof(msg)), 0);
	randombytes_buf(secret, sizeof(secret));
	CHECK_EQ_INT(crypto_box_seal(sealed, secret, sizeof(secret), wk_keys_box_pk(k1)), 0);
	CHECK_EQ_INT(wk_keys_seal_open(k2, opened, sealed, sizeof(sealed)), 0);
	CHECK(memcmp(opened, secret, sizeof(secret)) == 0);
}

static void test_sign_and_seal(void)
{
	const unsigned char msg[] = "changeset 42";
	unsigned char sig[WK_KEYS_SIG_BYTES], sealed[5 + WK_KEYS_SEAL_BYTES], opened[5];
	wk_keys *k = NULL, *other = NULL;

	CHECK_EQ_INT(wk_keys_generate(&k), 0);
	CHECK_EQ_INT(wk_keys_generate(&other), 0);
	CHECK(memcmp(wk_keys_sign_pk(k), wk_keys_sign_pk(other), 32) != 0);
	CHECK(memcmp(wk_keys_box_pk(k), wk_keys_sign_pk(k), 32) != 0); /* two separate keys */
	check_same_keys(k, k);

	CHECK_EQ_INT(wk_keys_sign(k, sig, msg, sizeof(msg)), 0);
	CHECK_EQ_INT(wk_keys_verify(wk_keys_sign_pk(other), sig, msg, sizeof(msg)), WK_EBADSIG);
	CHECK_CONTAINS(wk_error_msg(), "not key");
	sig[10] ^= 1;
	CHECK_EQ_INT(wk_keys_verify(wk_keys_sign_pk(k), sig, msg, sizeof(msg)), WK_EBADSIG);
	sig[10] ^= 1;
	CHECK_EQ_INT(wk_keys_verify(wk_keys_sign_pk(k), sig, msg, sizeof(msg) - 1), WK_EBADSIG);

	CHECK_EQ_INT(crypto_box_seal(sealed, (const unsigned char *)"hello", 5, wk_keys_box_pk(k)), 0);
	CHECK_EQ_INT(wk_keys_seal_open(other, opened, sealed, sizeof(sealed)), WK_EBADSIG);
	CHECK_CONTAINS(wk_error_msg(), "not sealed to this device");
	sealed[sizeof(sealed) - 1] ^= 0x80;
	CHECK_EQ_INT(wk_keys_seal_open(k, opened, sealed, sizeof(sealed)), WK_EBADSIG);
	sealed[sizeof(sealed) - 1] ^= 0x80;
	CHECK_EQ_INT(wk_keys_seal_open(k, opened, sealed, WK_KEYS_SEAL_BYTES - 1), WK_EINVALID);
	CHECK_EQ_INT(wk_keys_seal_open(k, opened, sealed, sizeof(sealed)), 0);
	CHECK(memcmp(opened, "hello", 5) == 0);
	wk_keys_free(k);
	wk_keys_free(other);
	wk_keys_free(NULL);
}

static void roundtrip(wk_keys_protection prot, const char *name)
{
	wk_keys_save_options o = MIN_KDF;
	wk_keys *k = NULL, *back = NULL;
	unsigned char spk[32], bpk[32];
	wk_keys_protection seen = 0;
	struct stat st;
	int unattended = prot == WK_KEYS_UNATTENDED;

	o.protection = prot;
	CHECK_EQ_INT(wk_keys_generate(&k), 0);
	CHECK_EQ_INT(wk_keys_save(k, scratch(name), unattended ? NULL : pass,
	                          unattended ? 0 : strlen(pass), &o), 0);
	CHECK_EQ_INT(stat(scratch(name), &st), 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0600);
	CHECK_EQ_INT(wk_keys_load(&back, scratch(name), unattended ? NULL : pass,
	                          unattended ? 0 : strlen(pass)), 0);
	if (back)
		check_same_keys(k, back);
	CHECK_EQ_INT(wk_keys_public(scratch(name), spk, bpk, &seen), 0);
	CHECK(memcmp(spk, wk_keys_sign_pk(k), 32) == 0);
	CHECK(memcmp(bpk, wk_keys_box_pk(k), 32) == 0);
	CHECK_EQ_INT(seen, prot);
	wk_keys_free(back);
	wk_keys_free(k);
}

static void test_roundtrip(void)
{
	roundtrip(WK_KEYS_PASSPHRASE, "rt-pass.key");
	roundtrip(WK_KEYS_UNATTENDED, "rt-clear.key");
}

static void test_wrong_passphrase(void)
{
	wk_keys_save_options o = MIN_KDF;
	wk_keys *k = NULL, *back = (wk_keys *)&o; /* not NULL, to see it cleared */
	char want[600];

	CHECK_EQ_INT(wk_keys_generate(&k), 0);
	CHECK_EQ_INT(wk_keys_save(k, scratch("wrong.key"), pass, strlen(pass), &o), 0);
	CHECK_EQ_INT(wk_keys_load(&back, scratch("wrong.key"), "Correct horse battery staple",
	                          strlen(pass)), WK_EBADSIG);
	CHECK(back == NULL);
	snprintf(want, sizeof(want), "wrong passphrase for key file '%s'", scratch("wrong.key"));
	CHECK_CONTAINS(wk_error_msg(), want);
	/* A prefix of the passphrase is just as wrong. */
	CHECK_EQ_INT(wk_keys_load(&back, scratch("wrong.key"), pass, strlen(pass) - 1), WK_EBADSIG);
	CHECK(back == NULL);
	CHECK_EQ_INT(wk_keys_load(&back, scratch("wrong.key"), NULL, 0), WK_EUSAGE);
	CHECK_CONTAINS(wk_error_msg(), "protected by a passphrase");
	CHECK(back == NULL);
	CHECK_EQ_INT(wk_keys_load(&back, scratch("wrong.key"), pass, strlen(pass)), 0);
	wk_keys_free(back);
	wk_keys_free(k);
}

static int dir_entries(void)
{
	DIR *d = opendir(scratch_dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void test_no_overwrite(void)
{
	wk_keys_save_options o = MIN_KDF;
	wk_keys *k1 = NULL, *k2 = NULL, *back = NULL;
	unsigned char *before, *after;
	size_t nb = 0, na = 0;
	int entries;

	CHECK_EQ_INT(wk_keys_generate(&k1), 0);
	CHECK_EQ_INT(wk_keys_generate(&k2), 0);
	CHECK_EQ_INT(wk_keys_save(k1, scratch("keep.key"), pass, strlen(pass), &o), 0);
	before = get_file(scratch("keep.key"), &nb, 4096);
	entries = dir_entries();
	CHECK_EQ_INT(wk_keys_save(k2, scratch("keep.key"), pass, strlen(pass), &o), WK_EEXISTS);
	CHECK_CONTAINS(wk_error_msg(), "already exists");
	o.protection = WK_KEYS_UNATTENDED;
	CHECK_EQ_INT(wk_keys_save(k2, scratch("keep.key"), NULL, 0, &o), WK_EEXISTS);
	after = get_file(scratch("keep.key"), &na, 4096);
	CHECK(before && after && na == nb && memcmp(before, after, nb) == 0);
	CHECK_EQ_INT(dir_entries(), entries); /* no temporary file left behind */
	free(after);

	/* Asked to, it replaces the file, atomically. */
	o.overwrite = 1;
	CHECK_EQ_INT(wk_keys_save(k2, scratch("keep.key"), NULL, 0, &o), 0);
	CHECK_EQ_INT(wk_keys_load(&back, scratch("keep.key"), NULL, 0), 0);
	if (back)
		check_same_keys(k2, back);
	CHECK_EQ_INT(dir_entries(), entries);
	free(before);
	wk_keys_free(back);
	wk_keys_free(k1);
	wk_keys_free(k2);
}

static void test_save_refuses(void)
{
	wk_keys_save_options o = MIN_KDF;
	wk_keys *k = NULL;
	struct stat st;

	CHECK_EQ_INT(wk_keys_generate(&k), 0);
	CHECK_EQ_INT(wk_keys_save(k, scratch("e.key"), "", 0, &o), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "empty passphrase");
	CHECK_EQ_INT(wk_keys_save(k, scratch("e.key"), NULL, 0, &o), WK_EINVALID);
	o.opslimit = 0;
	CHECK_EQ_INT(wk_keys_save(k, scratch("e.key"), pass, strlen(pass), &o), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "Argon2id settings");
	o.opslimit = crypto_pwhash_OPSLIMIT_MIN;
	o.memlimit = (size_t)4 << 30;
	CHECK_EQ_INT(wk_keys_save(k, scratch("e.key"), pass, strlen(pass), &o), WK_EINVALID);
	o.memlimit = crypto_pwhash_MEMLIMIT_MIN;
	o.protection = WK_KEYS_UNATTENDED;
	CHECK_EQ_INT(wk_keys_save(k, scratch("e.key"), pass, strlen(pass), &o), WK_EUSAGE);
	CHECK_EQ_INT(wk_keys_save(k, scratch("no-such-dir/e.key"), NULL, 0, &o), WK_ENOTFOUND);
	CHECK_CONTAINS(wk_error_msg(), "no-such-dir");
	CHECK(stat(scratch("e.key"), &st) != 0);
	/* The file is 0600 whatever the umask. */
	umask(0);
	CHECK_EQ_INT(wk_keys_save(k, scratch("umask.key"), NULL, 0, &o), 0);
	umask(022);
	CHECK_EQ_INT(stat(scratch("umask.key"), &st), 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0600);
	wk_keys_free(k);
}

/* The golden vector: fixed seed, fixed public keys and id (docs/format/keyfile.md). */
static void test_from_seed(void)
{
	unsigned char seed[32];
	char hex[65], id[WK_KEYS_ID_CHARS + 1];
	wk_keys *k = NULL, *again = NULL;
	int i;

	for (i = 0; i < 32; i++)
		seed[i] = (unsigned char)i;
	CHECK_EQ_INT(wk_keys_from_seed(&k, seed), 0);
	CHECK_EQ_INT(wk_keys_from_seed(&again, seed), 0);
	check_same_keys(k, again);
	to_hex(hex, sizeof(hex), wk_keys_sign_pk(k), 32);
	CHECK_EQ_STR(hex, "cc12d91d4f0f83c5f05a2d8c389b2abad16b53015c0d8a2efdcea553a63f94e7");
	to_hex(hex, sizeof(hex), wk_keys_box_pk(k), 32);
	CHECK_EQ_STR(hex, "11d5a012dc8ab8b9b3587bc3dc93eabc8aaeabc14fe6ccb80370486d69fade17");
	wk_keys_id(id, wk_keys_sign_pk(k));
	CHECK_EQ_STR(id, "bec6378f679212a7");
	seed[31] ^= 1;
	wk_keys_free(again);
	CHECK_EQ_INT(wk_keys_from_seed(&again, seed), 0);
	CHECK(memcmp(wk_keys_sign_pk(k), wk_keys_sign_pk(again), 32) != 0);
	CHECK(memcmp(wk_keys_box_pk(k), wk_keys_box_pk(again), 32) != 0);
	wk_keys_free(again);
	wk_keys_free(k);
}

/* What wk_keys_free does before releasing the memory leaves no secret byte behind. */
static void test_wipe(void)
{
	wk_keys *k = NULL;
	const unsigned char *sec;
	size_t n = 0, i, nonzero = 0;

	CHECK_EQ_INT(wk_keys_generate(&k), 0);
	sec = wk_keys_secret_(k, &n);
	CHECK_EQ_INT(n, 128);
	for (i = 0; i < n; i++)
		nonzero += sec[i] != 0;
	CHECK(nonzero > 100);
	wk_keys_wipe_(k);
	CHECK(sodium_is_zero(sec, n));
	wk_keys_free(k);
}

int main(void)
{
	scratch_init();
	test_sign_and_seal();
	test_roundtrip();
	test_wrong_passphrase();
	test_no_overwrite();
	test_save_refuses();
	test_from_seed();
	test_wipe();
	scratch_cleanup();
	return test_summary();
}
