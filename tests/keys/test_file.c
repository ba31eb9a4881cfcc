/*
 * The key file: written byte for byte as docs/format/keyfile.md says (golden
 * vectors), and refused, with nothing decrypted, when any bit of it changed,
 * when it is truncated, empty, too large, not a file, from a newer format,
 * asks for an unbounded key derivation, or (unattended) others can read it.
 */
#include "test.h"
#include "error.h"
#include "keys.h"
#include "keys_util.h"

#include <sys/time.h>

#define PASS "wicket golden passphrase"
#define PASS_SIZE 207
#define CLEAR_SIZE 134

static wk_keys *golden_keys(void)
{
	unsigned char seed[32];
	wk_keys *k = NULL;
	int i;

	for (i = 0; i < 32; i++)
		seed[i] = (unsigned char)i;
	if (wk_keys_from_seed(&k, seed) != 0)
		exit(1);
	return k;
}

static void golden(wk_keys_protection prot, const char *vector, size_t size)
{
	wk_keys_save_options o = MIN_KDF;
	unsigned char salt[16], nonce[24], want[512], *got;
	const char *pass = prot == WK_KEYS_PASSPHRASE ? PASS : NULL;
	size_t nwant, ngot = 0, i;
	wk_keys *k = golden_keys(), *back = NULL;

	for (i = 0; i < 16; i++)
		salt[i] = (unsigned char)(0x40 + i);
	for (i = 0; i < 24; i++)
		nonce[i] = (unsigned char)(0x60 + i);
	o.protection = prot;
	nwant = read_vector(test_src(vector), want, sizeof(want));
	CHECK_EQ_INT(nwant, size);
	CHECK_EQ_INT(wk_keys_save_fixed_(k, scratch("golden.key"), pass, pass ? strlen(pass) : 0, &o, salt,
	                                 nonce), 0);
	got = get_file(scratch("golden.key"), &ngot, 4096);
	CHECK_EQ_INT(ngot, nwant);
	for (i = 0; got && i < ngot && i < nwant; i++)
		if (got[i] != want[i]) {
			CHECK_EQ_INT(i, -1); /* the first byte that differs */
			break;
		}
	free(got);
	/* And the pinned bytes load, as a key file made by an earlier build must. */
	CHECK_EQ_INT(put_file(scratch("vector.key"), want, nwant, 0600), 0);
	CHECK_EQ_INT(wk_keys_load(&back, scratch("vector.key"), pass, pass ? strlen(pass) : 0), 0);
	CHECK(back && memcmp(wk_keys_sign_pk(back), wk_keys_sign_pk(k), 32) == 0);
	CHECK(back && memcmp(wk_keys_box_pk(back), wk_keys_box_pk(k), 32) == 0);
	wk_keys_free(back);
	wk_keys_free(k);
	unlink(scratch("golden.key"));
	unlink(scratch("vector.key"));
}

static void test_golden(void)
{
	golden(WK_KEYS_PASSPHRASE, "tests/keys/vectors/passphrase.hex", PASS_SIZE);
	golden(WK_KEYS_UNATTENDED, "tests/keys/vectors/unattended.hex", CLEAR_SIZE);
}

/* Load the bytes as a 0600 key file; the code, with *out checked NULL on failure. */
static int load_bytes(const unsigned char *p, size_t n, const char *pass)
{
	wk_keys *k = NULL;
	int rc;

	if (put_file(scratch("t.key"), p, n, 0600) != 0)
		return 1000;
	rc = wk_keys_load(&k, scratch("t.key"), pass, pass ? strlen(pass) : 0);
	if (rc != 0 && k != NULL)
		rc = 2000;
	wk_keys_free(k);
	return rc;
}

/* Each region of a passphrase file, and the code a flipped bit there must give. */
static const struct {
	const char *name;
	size_t at, len;
	int bit;  /* which bit to flip */
	int code;
} regions[] = {
	{ "magic", 0, 4, 0, WK_ECORRUPT },
	{ "version", 4, 1, 0, WK_ECORRUPT },          /* 1 -> 0 */
	{ "version", 4, 1, 1, WK_EVERSION },          /* 1 -> 3: newer */
	{ "protection", 5, 1, 2, WK_ECORRUPT },       /* 1 -> 5: unknown */
	{ "protection", 5, 1, 1, WK_ECORRUPT },       /* 1 -> 3: unknown */
	{ "sign_pk", 6, 32, 0, WK_EBADSIG },          /* authenticated as associated data */
	{ "box_pk", 38, 32, 0, WK_EBADSIG },
	{ "kdf", 70, 1, 0, WK_EVERSION },             /* 2 -> 3: an unknown derivation */
	{ "opslimit", 71, 7, 0, WK_ELIMIT },          /* a high byte: over the cap */
	{ "opslimit", 78, 1, 0, WK_ECORRUPT },        /* 1 -> 0: below the minimum */
	{ "opslimit", 78, 1, 1, WK_EBADSIG },         /* 1 -> 3: another key */
	{ "memlimit", 79, 4, 0, WK_ELIMIT },          /* 2^32 bytes and up: over the cap */
	{ "memlimit", 83, 2, 0, WK_EBADSIG },         /* 16 MiB or 64 KiB: another key */
	{ "memlimit", 85, 1, 5, WK_ECORRUPT },        /* 8192 -> 0 */
	{ "memlimit", 86, 1, 0, WK_EBADSIG },         /* 8192 -> 8193: another key */
	{ "salt", 87, 16, 0, WK_EBADSIG },
	{ "nonce", 103, 24, 0, WK_EBADSIG },
	{ "ciphertext", 127, 64, 0, WK_EBADSIG },
	{ "tag", 191, 16, 0, WK_EBADSIG },
};

static void test_bit_flips(void)
{
	unsigned char file[512];
	size_t n = read_vector(test_src("tests/keys/vectors/passphrase.hex"), file, sizeof(file));
	size_t r, i;
	int rc, bad;

	CHECK_EQ_INT(n, PASS_SIZE);
	CHECK_EQ_INT(load_bytes(file, n, PASS), 0);
	for (r = 0; r < sizeof(regions) / sizeof(regions[0]); r++) {
		for (i = regions[r].at, bad = 0; i < regions[r].at + regions[r].len; i++) {
			file[i] ^= (unsigned char)(1u << regions[r].bit);
			rc = load_bytes(file, n, PASS);
			file[i] ^= (unsigned char)(1u << regions[r].bit);
			if (rc != regions[r].code && !bad++) {
				fprintf(stderr, "flipping bit %d of byte %zu (%s): %d, %s\n", regions[r].bit, i,
				        regions[r].name, rc, wk_error_msg());
				CHECK_EQ_INT(rc, regions[r].code);
			}
		}
		if (!bad)
			test_passed++;
	}
	/* Every bit of every byte: nothing altered is ever accepted. */
	for (i = 0, bad = 0; i < n * 8; i++) {
		file[i / 8] ^= (unsigned char)(1u << (i % 8));
		bad += load_bytes(file, n, PASS) >= 0;
		file[i / 8] ^= (unsigned char)(1u << (i % 8));
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(load_bytes(file, n, PASS), 0);
}

static void test_unattended_damage(void)
{
	unsigned char file[512];
	size_t n = read_vector(test_src("tests/keys/vectors/unattended.hex"), file, sizeof(file));
	size_t i;
	int bad = 0;

	CHECK_EQ_INT(n, CLEAR_SIZE);
	CHECK_EQ_INT(load_bytes(file, n, NULL), 0);
	/* No MAC here: a changed public or secret key shows as keys that do not match. */
	for (i = 6; i < n; i++) {
		file[i] ^= 0x10;
		bad += load_bytes(file, n, NULL) != WK_ECORRUPT;
		file[i] ^= 0x10;
	}
	CHECK_EQ_INT(bad, 0);
	file[100] ^= 1;
	CHECK_EQ_INT(load_bytes(file, n, NULL), WK_ECORRUPT);
	CHECK_CONTAINS(wk_error_msg(), "do not match");
}

static double now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void test_sizes(void)
{
	unsigned char file[512], big[PASS_SIZE + 1];
	size_t n = read_vector(test_src("tests/keys/vectors/passphrase.hex"), file, sizeof(file));
	size_t len, bad = 0;
	wk_keys *k = NULL;
	FILE *f;
	double t;

	for (len = 0; len < n; len++)
		bad += load_bytes(file, len, PASS) != WK_ECORRUPT;
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(load_bytes(file, n - 1, PASS), WK_ECORRUPT);
	CHECK_CONTAINS(wk_error_msg(), "truncated");
	CHECK_EQ_INT(load_bytes(file, 0, PASS), WK_ECORRUPT);
	CHECK_CONTAINS(wk_error_msg(), "is empty");
	CHECK_EQ_INT(load_bytes((const unsigned char *)"-----BEGIN OPENSSH PRIVATE KEY-----\n", 36, PASS),
	             WK_ECORRUPT);
	CHECK_CONTAINS(wk_error_msg(), "not a wicket key file");
	memcpy(big, file, n);
	big[n] = 0;
	CHECK_EQ_INT(load_bytes(big, n + 1, PASS), WK_ECORRUPT);
	CHECK_CONTAINS(wk_error_msg(), "208 bytes where 207");

	/* 10 MB: refused on its size, before it is read. */
	f = fopen(scratch("big.key"), "wb");
	CHECK(f != NULL);
	if (f) {
		fwrite(file, 1, n, f);
		CHECK_EQ_INT(ftruncate(fileno(f), 10 * 1000 * 1000), 0);
		fclose(f);
	}
	chmod(scratch("big.key"), 0600);
	t = now();
	CHECK_EQ_INT(wk_keys_load(&k, scratch("big.key"), PASS, strlen(PASS)), WK_ELIMIT);
	CHECK(now() - t < 0.5);
	CHECK_CONTAINS(wk_error_msg(), "is 10000000 bytes; the limit is 4096 bytes");
	CHECK(k == NULL);

	/* Not a regular file: a directory, and a FIFO (which must not block). */
	CHECK_EQ_INT(wk_keys_load(&k, scratch_dir, PASS, strlen(PASS)), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "not a regular file");
	CHECK_EQ_INT(mkfifo(scratch("fifo.key"), 0600), 0);
	CHECK_EQ_INT(wk_keys_load(&k, scratch("fifo.key"), PASS, strlen(PASS)), WK_EINVALID);
	CHECK_EQ_INT(wk_keys_load(&k, scratch("none.key"), PASS, strlen(PASS)), WK_ENOTFOUND);
	CHECK_CONTAINS(wk_error_msg(), "none.key");
	CHECK(k == NULL);
}

/* A hostile header asking for 1 TiB of Argon2id memory is refused before deriving anything. */
static void test_kdf_caps(void)
{
	unsigned char file[512], spk[32], bpk[32];
	size_t n = read_vector(test_src("tests/keys/vectors/passphrase.hex"), file, sizeof(file));
	double t;

	memset(file + 79, 0, 8);
	file[81] = 1; /* memlimit 2^40 */
	t = now();
	CHECK_EQ_INT(load_bytes(file, n, PASS), WK_ELIMIT);
	CHECK(now() - t < 0.5);
	CHECK_CONTAINS(wk_error_msg(), "Argon2id settings");
	CHECK_EQ_INT(wk_keys_public(scratch("t.key"), spk, bpk, NULL), WK_ELIMIT);
	memset(file + 79, 0, 8);
	file[85] = 0x20; /* back to 8192 */
	memset(file + 71, 0xff, 8); /* opslimit 2^64 - 1 */
	CHECK_EQ_INT(load_bytes(file, n, PASS), WK_ELIMIT);
	file[4] = 9;
	CHECK_EQ_INT(load_bytes(file, n, PASS), WK_EVERSION);
	CHECK_CONTAINS(wk_error_msg(), "upgrade wicket");
}

static void test_unattended_mode(void)
{
	unsigned char file[512], spk[32], bpk[32];
	size_t n = read_vector(test_src("tests/keys/vectors/unattended.hex"), file, sizeof(file));
	wk_keys *k = NULL;
	char want[600];
	mode_t modes[] = { 0644, 0640, 0604, 0660, 0610, 0601 };
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		CHECK_EQ_INT(put_file(scratch("loose.key"), file, n, modes[i]), 0);
		CHECK_EQ_INT(wk_keys_load(&k, scratch("loose.key"), NULL, 0), WK_EINVALID);
		CHECK(k == NULL);
	}
	chmod(scratch("loose.key"), 0644);
	CHECK_EQ_INT(wk_keys_load(&k, scratch("loose.key"), NULL, 0), WK_EINVALID);
	snprintf(want, sizeof(want), "run 'chmod 600 %s'", scratch("loose.key"));
	CHECK_CONTAINS(wk_error_msg(), want);
	CHECK_CONTAINS(wk_error_msg(), "mode 0644");
	/* Its public keys are public all the same. */
	CHECK_EQ_INT(wk_keys_public(scratch("loose.key"), spk, bpk, NULL), 0);
	CHECK_EQ_INT(chmod(scratch("loose.key"), 0600), 0);
	CHECK_EQ_INT(wk_keys_load(&k, scratch("loose.key"), NULL, 0), 0);
	CHECK(k != NULL);
	wk_keys_free(k);
	CHECK_EQ_INT(chmod(scratch("loose.key"), 0400), 0);
	CHECK_EQ_INT(wk_keys_load(&k, scratch("loose.key"), NULL, 0), 0);
	wk_keys_free(k);
}

int main(void)
{
	scratch_init();
	test_golden();
	test_bit_flips();
	test_unattended_damage();
	test_sizes();
	test_kdf_caps();
	test_unattended_mode();
	scratch_cleanup();
	return test_summary();
}
