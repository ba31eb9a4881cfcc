/*
 * secretscan.c - looks for a device's private key bytes in files: the
 * secrets suite's eyes (tests/secrets/secrets.sh).
 *
 *   secretscan KEYFILE... -- [--group LABEL] PATH... [--group LABEL PATH...]...
 *   secretscan --plant FORM KEYFILE     (FORM: raw, hex, HEX, base64, base64url)
 *
 * Each key file is opened with the library (wk_keys_load) and the passphrase
 * in WICKET_PASSPHRASE (an unattended file needs none), independently of
 * the session that used it. Its secrets are the Ed25519 seed, the two
 * halves of the SHA-512 expansion of the seed that Ed25519 signs with (the
 * scalar and the nonce prefix), and the X25519 secret key. Each is looked
 * for in every PATH (files, and directories recursively) as raw bytes, as
 * lower- and upper-case hex (each half of the 32 bytes on its own, so a
 * half-copied key is found too), and as standard and URL-safe base64 at each
 * of the three byte alignments. A finding names the secret, the form, the
 * file and the offset, never the bytes. The paths may be split into groups
 * (the keys are opened once, as Argon2id is slow): each group ends with the
 * line "group LABEL: clean (N files, B bytes)" or "group LABEL: FOUND (K
 * hits)". Exit status: 0 nothing found, 1 found, 2 could not run.
 *
 * --plant writes the first key's Ed25519 seed in FORM to stdout: the suite's
 * deliberate leak, which the scan must find (so it can fail).
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "keys.h"

#define MAX_NEEDLES 4096
#define SCAN_MAX (4ULL << 30) /* no file of a session comes near; a runaway core does */
#define TABLE_BITS 14

typedef struct {
	unsigned char bytes[64];
	size_t len;
	const char *secret; /* "Ed25519 seed" ... */
	const char *key;    /* the key file */
	const char *form;
} needle;

static needle needles[MAX_NEEDLES];
static size_t nneedles;
static int32_t table[1 << TABLE_BITS]; /* first 8 bytes' hash -> needle index + 1, chained below */
static int32_t chain_next[MAX_NEEDLES];
static unsigned long long found, files, bytes;
static const char *group = "all";

static uint64_t first8(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static size_t slot(uint64_t v)
{
	return (size_t)((v * 0x9E3779B97F4A7C15ULL) >> (64 - TABLE_BITS));
}

static void add(const char *key, const char *secret, const char *form, const void *p, size_t len)
{
	needle *n;
	size_t s;

	if (nneedles >= MAX_NEEDLES || len < 8 || len > sizeof(n->bytes)) {
		fprintf(stderr, "secretscan: internal: needle table\n");
		exit(2);
	}
	n = &needles[nneedles];
	memcpy(n->bytes, p, len);
	n->len = len;
	n->key = key;
	n->secret = secret;
	n->form = form;
	s = slot(first8(n->bytes));
	chain_next[nneedles] = table[s];
	table[s] = (int32_t)++nneedles;
}

/* base64 of s at alignment a (a bytes before it), without the characters that depend on its neighbours. */
static void add_base64(const char *key, const char *secret, const unsigned char s[32], int variant,
                       const char *form)
{
	unsigned char padded[35];
	char b64[64];
	size_t a, len;

	for (a = 0; a < 3; a++) {
		memset(padded, 0, sizeof(padded));
		memcpy(padded + a, s, 32);
		sodium_bin2base64(b64, sizeof(b64), padded, a + 32, variant);
		len = strlen(b64);
		/* Drop the first group (it mixes the a bytes before) and the last (it mixes what follows). */
		add(key, secret, form, b64 + (a ? 4 : 0), len - 4 - (a ? 4 : 0));
	}
}

static void add_secret(const char *key, const char *secret, const unsigned char s[32])
{
	char hex[33];
	int half, i;

	for (half = 0; half < 2; half++) {
		add(key, secret, "raw bytes", s + 16 * half, 16);
		sodium_bin2hex(hex, sizeof(hex), s + 16 * half, 16);
		add(key, secret, "hex", hex, 32);
		for (i = 0; hex[i]; i++)
			if (hex[i] >= 'a' && hex[i] <= 'f')
				hex[i] = (char)(hex[i] - 'a' + 'A');
		add(key, secret, "upper-case hex", hex, 32);
	}
	add_base64(key, secret, s, sodium_base64_VARIANT_ORIGINAL, "base64");
	add_base64(key, secret, s, sodium_base64_VARIANT_URLSAFE, "url-safe base64");
}

static wk_keys *load(const char *path)
{
	const char *pass = getenv("WICKET_PASSPHRASE");
	wk_keys *k = NULL;

	if (wk_keys_load(&k, path, pass, pass ? strlen(pass) : 0) < 0) {
		fprintf(stderr, "secretscan: %s\n", wk_error_msg());
		exit(2);
	}
	return k;
}

static void add_key(const char *path)
{
	wk_keys *k = load(path);
	size_t len;
	const unsigned char *sec = wk_keys_secret_(k, &len);
	unsigned char az[64];
	char id[WK_KEYS_ID_CHARS + 1];

	if (len < 64) {
		fprintf(stderr, "secretscan: %s: unexpected secret layout\n", path);
		exit(2);
	}
	/* What crypto_sign_detached derives from the seed: the scalar (clamped) and the nonce prefix. */
	crypto_hash_sha512(az, sec, 32);
	az[0] &= 248;
	az[31] &= 127;
	az[31] |= 64;
	add_secret(path, "Ed25519 seed", sec);
	add_secret(path, "Ed25519 scalar", az);
	add_secret(path, "Ed25519 nonce prefix", az + 32);
	add_secret(path, "X25519 secret key", sec + 32);
	sodium_memzero(az, sizeof(az));
	wk_keys_id(id, wk_keys_sign_pk(k));
	printf("secretscan: key %s (%s): 4 secrets, %zu forms in all so far\n", path, id, nneedles);
	wk_keys_free(k);
}

static void scan_bytes(const char *path, const unsigned char *p, size_t n)
{
	size_t i;
	int32_t j;

	files++;
	bytes += n;
	for (i = 0; n >= 8 && i <= n - 8; i++) {
		for (j = table[slot(first8(p + i))]; j; j = chain_next[j - 1]) {
			const needle *nd = &needles[j - 1];

			if (nd->len <= n - i && memcmp(p + i, nd->bytes, nd->len) == 0) {
				printf("LEAK: %s: the %s of %s, as %s, in %s at offset %zu\n", group, nd->secret, nd->key,
				       nd->form, path, i);
				found++;
			}
		}
	}
}

static int scan_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	void *m;
	int fd;

	(void)ftw;
	if (flag != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	if ((unsigned long long)st->st_size > SCAN_MAX) {
		fprintf(stderr, "secretscan: %s is larger than %llu bytes: not scanned\n", path, SCAN_MAX);
		exit(2);
	}
	if (st->st_size == 0) {
		files++;
		return 0;
	}
	if ((fd = open(path, O_RDONLY)) < 0) {
		fprintf(stderr, "secretscan: cannot open %s: %s\n", path, strerror(errno));
		exit(2);
	}
	m = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		fprintf(stderr, "secretscan: cannot read %s: %s\n", path, strerror(errno));
		exit(2);
	}
	scan_bytes(path, m, (size_t)st->st_size);
	munmap(m, (size_t)st->st_size);
	return 0;
}

static int plant(const char *form, const char *keyfile)
{
	wk_keys *k = load(keyfile);
	size_t len;
	const unsigned char *sec = wk_keys_secret_(k, &len);
	char out[128];

	if (strcmp(form, "raw") == 0) {
		fwrite(sec, 1, 32, stdout);
	} else if (strcmp(form, "hex") == 0 || strcmp(form, "HEX") == 0) {
		size_t i;

		sodium_bin2hex(out, sizeof(out), sec, 32);
		for (i = 0; form[0] == 'H' && out[i]; i++)
			if (out[i] >= 'a' && out[i] <= 'f')
				out[i] = (char)(out[i] - 'a' + 'A');
		printf("seed=%s\n", out);
	} else if (strcmp(form, "base64") == 0 || strcmp(form, "base64url") == 0) {
		sodium_bin2base64(out, sizeof(out), sec, 32, form[6] ? sodium_base64_VARIANT_URLSAFE_NO_PADDING :
		                  sodium_base64_VARIANT_ORIGINAL);
		printf("key: %s\n", out);
	} else {
		fprintf(stderr, "secretscan: unknown form '%s'\n", form);
		return 2;
	}
	sodium_memzero(out, sizeof(out));
	wk_keys_free(k);
	return 0;
}

static void group_end(void)
{
	if (found)
		printf("group %s: FOUND (%llu hits)\n", group, found);
	else
		printf("group %s: clean (%llu files, %llu bytes)\n", group, files, bytes);
}

int main(int argc, char **argv)
{
	int i, sep = 0, any = 0;

	if (sodium_init() < 0)
		return 2;
	if (argc == 4 && strcmp(argv[1], "--plant") == 0)
		return plant(argv[2], argv[3]);
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			sep = i;
	if (sep < 2 || sep == argc - 1) {
		fprintf(stderr, "usage: secretscan KEYFILE... -- PATH...\n       secretscan --plant FORM KEYFILE\n");
		return 2;
	}
	for (i = 1; i < sep; i++)
		add_key(argv[i]);
	for (i = sep + 1; i < argc; i++) {
		if (strcmp(argv[i], "--group") == 0 && i + 1 < argc) {
			if (i > sep + 1)
				group_end();
			any |= found != 0;
			found = files = bytes = 0;
			group = argv[++i];
			continue;
		}
		if (nftw(argv[i], scan_one, 32, FTW_PHYS) != 0) {
			fprintf(stderr, "secretscan: cannot read %s: %s\n", argv[i], strerror(errno));
			return 2;
		}
	}
	group_end();
	any |= found != 0;
	return any;
}
