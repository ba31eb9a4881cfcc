/*
 * keys.c - device key pairs and the key file (docs/format/keyfile.md).
 *
 * Secrets are only ever held in sodium_malloc memory: the keys' own secret
 * block (read-only once filled), the file image while it holds clear secret
 * keys, the passphrase-derived key and the decrypted secret keys. The file is
 * read into such memory with a hard cap, and its layout is checked whole
 * before any key is derived or anything decrypted.
 */
#include "keys.h"
#include "durable.h"

#include "error.h"
#include "passphrase.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The secret half of a device's keys. Its first KF_SECRET bytes, sign_seed
 * then box_sk, are what a key file stores (secret_bytes()).
 */
struct wk_keys_secret {
	unsigned char sign_seed[32];
	unsigned char box_sk[32];
	unsigned char sign_sk[64]; /* libsodium's expanded Ed25519 key: seed then public key */
};

struct wk_keys {
	unsigned char sign_pk[32];
	unsigned char box_pk[32];
	struct wk_keys_secret *sec; /* sodium_malloc, read-only once filled */
};

/* The key file layout, version 1 (docs/format/keyfile.md). */
#define KF_MAGIC "WKK1"
#define KF_VERSION 1
#define KF_PREFIX 70            /* magic 4, version 1, protection 1, sign_pk 32, box_pk 32 */
#define KF_SECRET 64            /* Ed25519 seed, X25519 secret key */
#define KF_SALT 16
#define KF_NONCE 24
#define KF_TAG 16
#define KF_KDF_ALG (KF_PREFIX)  /* then opslimit u64 and memlimit u64, big-endian */
#define KF_SALT_AT (KF_PREFIX + 17)
#define KF_NONCE_AT (KF_SALT_AT + KF_SALT)
#define KF_PASS_HEADER (KF_NONCE_AT + KF_NONCE)                 /* 127: the associated data */
#define KF_PASS_SIZE (KF_PASS_HEADER + KF_SECRET + KF_TAG)      /* 207 */
#define KF_CLEAR_SIZE (KF_PREFIX + KF_SECRET)                   /* 134 */
#define KF_MAX 4096             /* no key file is larger: refused before reading */

_Static_assert(offsetof(struct wk_keys_secret, sign_seed) == 0 &&
               offsetof(struct wk_keys_secret, box_sk) == 32, "the stored secret keys are the first 64 bytes");

/* The KF_SECRET bytes a key file stores, as one span of the secret block. */
static unsigned char *secret_bytes(const wk_keys *k)
{
	return (unsigned char *)k->sec;
}
_Static_assert(crypto_sign_PUBLICKEYBYTES == 32 && crypto_box_PUBLICKEYBYTES == 32, "key sizes");
_Static_assert(crypto_sign_SECRETKEYBYTES == 64 && crypto_sign_SEEDBYTES == 32, "key sizes");
_Static_assert(crypto_box_SEALBYTES == WK_KEYS_SEAL_BYTES && crypto_sign_BYTES == WK_KEYS_SIG_BYTES,
               "sizes");
_Static_assert(crypto_pwhash_SALTBYTES == KF_SALT, "salt size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == KF_NONCE &&
               crypto_aead_xchacha20poly1305_ietf_ABYTES == KF_TAG &&
               crypto_aead_xchacha20poly1305_ietf_KEYBYTES == 32, "aead sizes");
_Static_assert(WK_KEYS_OPSLIMIT_DEFAULT == crypto_pwhash_argon2id_OPSLIMIT_MODERATE &&
               WK_KEYS_MEMLIMIT_DEFAULT == crypto_pwhash_argon2id_MEMLIMIT_MODERATE,
               "defaults are libsodium's MODERATE");

static int crypto_ready(void)
{
	if (sodium_init() < 0)
		return wk_error_set(WK_ERROR, "cannot start the crypto library");
	return 0;
}

/* sodium_malloc or a message; size > 0. */
static void *secure_alloc(size_t size, int *rc)
{
	void *p = sodium_malloc(size);

	if (!p)
		*rc = wk_error_set(WK_ELIMIT, "cannot allocate %zu bytes of protected memory", size);
	return p;
}

/* ---- key pairs ---- */

static int keys_new(wk_keys **out)
{
	wk_keys *k;
	int rc = 0;

	*out = NULL;
	if ((rc = crypto_ready()) < 0 || (rc = wk_keys_harden_process()) < 0)
		return rc;
	if (!(k = calloc(1, sizeof(*k))))
		return wk_error_set(WK_ELIMIT, "out of memory");
	if (!(k->sec = secure_alloc(sizeof(*k->sec), &rc))) {
		free(k);
		return rc;
	}
	*out = k;
	return 0;
}

/*
 * Fill k from its Ed25519 seed and X25519 secret key (already in k->sec):
 * expand both into their public keys, then make the secret block read-only.
 */
static void keys_finish(wk_keys *k)
{
	crypto_sign_seed_keypair(k->sign_pk, k->sec->sign_sk, k->sec->sign_seed);
	crypto_scalarmult_base(k->box_pk, k->sec->box_sk);
	sodium_mprotect_readonly(k->sec);
}

int wk_keys_generate(wk_keys **out)
{
	wk_keys *k;
	int rc;

	if ((rc = keys_new(out)) < 0)
		return rc;
	k = *out;
	randombytes_buf(k->sec->sign_seed, sizeof(k->sec->sign_seed));
	randombytes_buf(k->sec->box_sk, sizeof(k->sec->box_sk));
	keys_finish(k);
	return 0;
}

int wk_keys_from_seed(wk_keys **out, const unsigned char seed[32])
{
	unsigned char pk[32]; /* computed again, identically, by keys_finish */
	unsigned char *box_seed;
	wk_keys *k;
	int rc;

	*out = NULL;
	if ((rc = keys_new(&k)) < 0)
		return rc;
	if (!(box_seed = secure_alloc(32, &rc))) {
		wk_keys_free(k);
		return rc;
	}
	crypto_kdf_derive_from_key(k->sec->sign_seed, 32, 1, "wksign01", seed);
	crypto_kdf_derive_from_key(box_seed, 32, 1, "wkboxk01", seed);
	crypto_box_seed_keypair(pk, k->sec->box_sk, box_seed);
	sodium_free(box_seed);
	keys_finish(k);
	*out = k;
	return 0;
}

void wk_keys_wipe_(wk_keys *k)
{
	sodium_mprotect_readwrite(k->sec);
	sodium_memzero(k->sec, sizeof(*k->sec));
}

void wk_keys_free(wk_keys *k)
{
	if (!k)
		return;
	wk_keys_wipe_(k);
	sodium_free(k->sec); /* zeroes again, unlocks, unmaps */
	free(k);
}

const unsigned char *wk_keys_secret_(const wk_keys *k, size_t *len)
{
	*len = sizeof(*k->sec);
	return (const unsigned char *)k->sec;
}

const unsigned char *wk_keys_sign_pk(const wk_keys *k)
{
	return k->sign_pk;
}

const unsigned char *wk_keys_box_pk(const wk_keys *k)
{
	return k->box_pk;
}

void wk_keys_id(char out[WK_KEYS_ID_CHARS + 1], const unsigned char sign_pk[32])
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), sign_pk, 32, NULL, 0);
	sodium_bin2hex(out, WK_KEYS_ID_CHARS + 1, h, WK_KEYS_ID_CHARS / 2);
}

int wk_keys_sign(const wk_keys *k, unsigned char sig[WK_KEYS_SIG_BYTES], const unsigned char *m,
                 size_t n)
{
	if (crypto_sign_detached(sig, NULL, m, n, k->sec->sign_sk) != 0)
		return wk_error_set(WK_ERROR, "cannot sign");
	return 0;
}

int wk_keys_verify(const unsigned char sign_pk[32], const unsigned char sig[WK_KEYS_SIG_BYTES],
                   const unsigned char *m, size_t n)
{
	char id[WK_KEYS_ID_CHARS + 1];

	if (crypto_sign_verify_detached(sig, m, n, sign_pk) == 0)
		return 0;
	wk_keys_id(id, sign_pk);
	return wk_error_set(WK_EBADSIG, "the signature is not key %s's signature of these bytes", id);
}

int wk_keys_seal_open(const wk_keys *k, unsigned char *out, const unsigned char *sealed, size_t n)
{
	if (n < WK_KEYS_SEAL_BYTES)
		return wk_error_set(WK_EINVALID, "a sealed box of %zu bytes is too short (at least %d)", n,
		                    WK_KEYS_SEAL_BYTES);
	if (crypto_box_seal_open(out, sealed, n, k->box_pk, k->sec->box_sk) == 0)
		return 0;
	sodium_memzero(out, n - WK_KEYS_SEAL_BYTES);
	return wk_error_set(WK_EBADSIG, "the sealed box was not sealed to this device's key, or was altered");
}

/* ---- the key file ---- */

static void put_u64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* What a key file holds; pointers borrow from the file image. */
typedef struct {
	wk_keys_protection prot;
	const unsigned char *header; /* the whole header, the associated data of a passphrase file */
	const unsigned char *sign_pk, *box_pk;
	uint64_t opslimit, memlimit;
	const unsigned char *salt, *nonce;
	const unsigned char *secret; /* clear (unattended) or ciphertext then tag (passphrase) */
} keyfile;

/*
 * Argon2id settings within [libsodium's minimum, our caps]. Outside them, a
 * file being read is damaged (below) or too costly to open (above); settings
 * asked of wk_keys_save are the caller's mistake.
 */
static int kdf_check(uint64_t ops, uint64_t mem, int saving, const char *path)
{
	int low = ops < crypto_pwhash_argon2id_OPSLIMIT_MIN || mem < crypto_pwhash_argon2id_MEMLIMIT_MIN;
	int high = ops > WK_KEYS_OPSLIMIT_MAX || mem > WK_KEYS_MEMLIMIT_MAX;

	if (!low && !high)
		return 0;
	return wk_error_set(saving ? WK_EINVALID : low ? WK_ECORRUPT : WK_ELIMIT,
	                    "key file '%s': Argon2id settings of %llu passes and %llu bytes are outside "
	                    "%u..%llu passes and %u..%zu bytes", path, (unsigned long long)ops,
	                    (unsigned long long)mem, crypto_pwhash_argon2id_OPSLIMIT_MIN, WK_KEYS_OPSLIMIT_MAX,
	                    crypto_pwhash_argon2id_MEMLIMIT_MIN, WK_KEYS_MEMLIMIT_MAX);
}

/* Check the whole layout of a key file image of n bytes; no crypto. */
static int kf_parse(keyfile *kf, const unsigned char *p, size_t n, const char *path)
{
	size_t want;
	int rc;

	memset(kf, 0, sizeof(*kf));
	if (n == 0)
		return wk_error_set(WK_ECORRUPT, "key file '%s' is empty", path);
	if (n < 6 || memcmp(p, KF_MAGIC, 4) != 0)
		return wk_error_set(WK_ECORRUPT, "'%s' is not a wicket key file", path);
	if (p[4] != KF_VERSION)
		return wk_error_set(p[4] > KF_VERSION ? WK_EVERSION : WK_ECORRUPT,
		                    "key file '%s' has format version %u; this program reads version %u%s", path,
		                    p[4], KF_VERSION, p[4] > KF_VERSION ? ": upgrade wicket" : "");
	if (p[5] == WK_KEYS_PASSPHRASE)
		want = KF_PASS_SIZE;
	else if (p[5] == WK_KEYS_UNATTENDED)
		want = KF_CLEAR_SIZE;
	else
		return wk_error_set(WK_ECORRUPT, "key file '%s' is damaged: unknown protection %u", path, p[5]);
	if (n != want)
		return wk_error_set(WK_ECORRUPT, "key file '%s' is damaged: %zu bytes where %zu were expected%s",
		                    path, n, want, n < want ? " (truncated)" : "");
	kf->prot = (wk_keys_protection)p[5];
	kf->header = p;
	kf->sign_pk = p + 6;
	kf->box_pk = p + 38;
	if (kf->prot == WK_KEYS_UNATTENDED) {
		kf->secret = p + KF_PREFIX;
		return 0;
	}
	if (p[KF_KDF_ALG] != crypto_pwhash_ALG_ARGON2ID13)
		return wk_error_set(WK_EVERSION, "key file '%s' uses key derivation %u, which this program does "
		                    "not know (only Argon2id, %d)", path, p[KF_KDF_ALG],
		                    crypto_pwhash_ALG_ARGON2ID13);
	kf->opslimit = get_u64(p + KF_KDF_ALG + 1);
	kf->memlimit = get_u64(p + KF_KDF_ALG + 9);
	if ((rc = kdf_check(kf->opslimit, kf->memlimit, 0, path)) < 0)
		return rc;
	kf->salt = p + KF_SALT_AT;
	kf->nonce = p + KF_NONCE_AT;
	kf->secret = p + KF_PASS_HEADER;
	return 0;
}

static int errno_code(int e)
{
	switch (e) {
	case ENOENT: return WK_ENOTFOUND;
	case ENOSPC:
	case EDQUOT: return WK_ENOSPACE;
	case EROFS: return WK_EREADONLY;
	default: return WK_EIO;
	}
}

int wk_keys_read_secret_file(unsigned char **out, size_t *n, struct stat *st, const char *path, size_t max,
                             const char *what)
{
	unsigned char *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd, rc = 0;

	*out = NULL;
	*n = 0;
	if ((rc = crypto_ready()) < 0) /* sodium_malloc needs it */
		return rc;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return wk_error_set(errno_code(errno), "cannot open %s '%s': %s", what, path, strerror(errno));
	if (fstat(fd, st) != 0) {
		rc = wk_error_set(WK_EIO, "cannot read %s '%s': %s", what, path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		rc = wk_error_set(WK_EINVALID, "%s '%s' is not a regular file", what, path);
		goto out;
	}
	if ((uint64_t)st->st_size > max) {
		rc = wk_error_set(WK_ELIMIT, "%s '%s' is %lld bytes; the limit is %zu bytes", what, path,
		                  (long long)st->st_size, max);
		goto out;
	}
	if (!(buf = secure_alloc(max + 1, &rc)))
		goto out;
	while (got <= max && (r = read(fd, buf + got, max + 1 - got)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = wk_error_set(WK_EIO, "cannot read %s '%s': %s", what, path, strerror(errno));
			goto out;
		}
		got += (size_t)r;
	}
	if (got > max)
		rc = wk_error_set(WK_ELIMIT, "%s '%s' grew past the limit of %zu bytes while being read", what,
		                  path, max);
out:
	close(fd);
	if (rc < 0) {
		sodium_free(buf);
		return rc;
	}
	*out = buf;
	*n = got;
	return 0;
}

static int passlen_ok(const char *pass, size_t passlen, const char *path)
{
	if (!pass || passlen == 0)
		return wk_error_set(WK_EINVALID, "an empty passphrase cannot protect key file '%s'", path);
	if (passlen > WK_PASSPHRASE_MAX)
		return wk_error_set(WK_EINVALID, "the passphrase for key file '%s' is longer than %d bytes", path,
		                    WK_PASSPHRASE_MAX);
	return 0;
}

/* Argon2id(pass, salt) into key, 32 bytes of sodium_malloc memory. */
static int derive(unsigned char *key, const char *pass, size_t passlen, const unsigned char *salt,
                  uint64_t ops, uint64_t mem, const char *path)
{
	if (crypto_pwhash(key, 32, pass, passlen, salt, ops, (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return wk_error_set(WK_ELIMIT, "not enough memory to derive the key of key file '%s' "
		                    "(Argon2id needs %llu MiB)", path, (unsigned long long)(mem >> 20));
	return 0;
}

/* The file image of k into img (KF_PASS_SIZE bytes of sodium_malloc memory); *n its length. */
static int kf_encode(unsigned char *img, size_t *n, const wk_keys *k, const char *pass, size_t passlen,
                     const wk_keys_save_options *o, const unsigned char *salt, const unsigned char *nonce,
                     const char *path)
{
	unsigned char *key;
	int rc = 0;

	memcpy(img, KF_MAGIC, 4);
	img[4] = KF_VERSION;
	img[5] = (unsigned char)o->protection;
	memcpy(img + 6, k->sign_pk, 32);
	memcpy(img + 38, k->box_pk, 32);
	if (o->protection == WK_KEYS_UNATTENDED) {
		memcpy(img + KF_PREFIX, secret_bytes(k), KF_SECRET);
		*n = KF_CLEAR_SIZE;
		return 0;
	}
	img[KF_KDF_ALG] = crypto_pwhash_ALG_ARGON2ID13;
	put_u64(img + KF_KDF_ALG + 1, o->opslimit);
	put_u64(img + KF_KDF_ALG + 9, o->memlimit);
	memcpy(img + KF_SALT_AT, salt, KF_SALT);
	memcpy(img + KF_NONCE_AT, nonce, KF_NONCE);
	if (!(key = secure_alloc(32, &rc)))
		return rc;
	if ((rc = derive(key, pass, passlen, salt, o->opslimit, o->memlimit, path)) == 0) {
		crypto_aead_xchacha20poly1305_ietf_encrypt(img + KF_PASS_HEADER, NULL, secret_bytes(k), KF_SECRET,
		                                           img, KF_PASS_HEADER, NULL, nonce, key);
		*n = KF_PASS_SIZE;
	}
	sodium_free(key);
	return rc;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write img to path: a 0600 temporary file beside it, fsync, into place, fsync the directory. */
static int write_atomic(const char *path, const unsigned char *img, size_t n, int overwrite)
{
	char tmp[PATH_MAX];
	int fd, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= sizeof(tmp))
		return wk_error_set(WK_EINVALID, "key file path '%s' is too long", path);
	if ((fd = mkstemp(tmp)) < 0)
		return wk_error_set(errno_code(errno), "cannot create a key file beside '%s': %s", path,
		                    strerror(errno));
	if (fchmod(fd, 0600) != 0 || write_all(fd, img, n) != 0 || fsync(fd) != 0) {
		rc = wk_error_set(errno_code(errno), "cannot write key file '%s': %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) != 0) {
		rc = wk_error_set(errno_code(errno), "cannot write key file '%s': %s", path, strerror(errno));
		goto out;
	}
	/* link() fails if path exists, so no check-then-write race can replace a key file. */
	if (overwrite ? rename(tmp, path) != 0 : link(tmp, path) != 0) {
		if (errno == EEXIST)
			rc = wk_error_set(WK_EEXISTS, "key file '%s' already exists; not replacing it", path);
		else
			rc = wk_error_set(errno_code(errno), "cannot write key file '%s': %s", path,
			                  strerror(errno));
		goto out;
	}
	if (wk_fsync_parent(path) != 0)
		rc = wk_error_set(WK_EIO, "cannot sync the directory of key file '%s': %s", path, strerror(errno));
out:
	unlink(tmp); /* after rename, tmp no longer exists: harmless */
	return rc;
}

static int save(const wk_keys *k, const char *path, const char *pass, size_t passlen,
                const wk_keys_save_options *opts, const unsigned char *salt, const unsigned char *nonce)
{
	wk_keys_save_options o = WK_KEYS_SAVE_OPTIONS_INIT;
	unsigned char *img;
	struct stat st;
	size_t n = 0;
	int rc = 0;

	if (opts)
		o = *opts;
	if (o.protection == WK_KEYS_UNATTENDED) {
		if (pass || passlen)
			return wk_error_set(WK_EUSAGE, "an unattended key file takes no passphrase");
	} else if (o.protection == WK_KEYS_PASSPHRASE) {
		if ((rc = passlen_ok(pass, passlen, path)) < 0 ||
		    (rc = kdf_check(o.opslimit, o.memlimit, 1, path)) < 0)
			return rc;
	} else {
		return wk_error_set(WK_EUSAGE, "unknown key protection %d", (int)o.protection);
	}
	/* Said before the slow key derivation; write_atomic is what guarantees it. */
	if (!o.overwrite && lstat(path, &st) == 0)
		return wk_error_set(WK_EEXISTS, "key file '%s' already exists; not replacing it", path);
	if (!(img = secure_alloc(KF_PASS_SIZE, &rc)))
		return rc;
	if ((rc = kf_encode(img, &n, k, pass, passlen, &o, salt, nonce, path)) == 0)
		rc = write_atomic(path, img, n, o.overwrite);
	sodium_free(img);
	return rc;
}

int wk_keys_save(const wk_keys *k, const char *path, const char *pass, size_t passlen,
                 const wk_keys_save_options *opts)
{
	unsigned char salt[KF_SALT], nonce[KF_NONCE];
	int rc;

	if ((rc = crypto_ready()) < 0)
		return rc;
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	return save(k, path, pass, passlen, opts, salt, nonce);
}

int wk_keys_save_fixed_(const wk_keys *k, const char *path, const char *pass, size_t passlen,
                        const wk_keys_save_options *opts, const unsigned char salt[16],
                        const unsigned char nonce[24])
{
	return save(k, path, pass, passlen, opts, salt, nonce);
}

/* Decrypt (or copy) the secret keys of kf into k->sec, then check they match the public keys. */
static int kf_open(wk_keys *k, const keyfile *kf, const char *pass, size_t passlen, const char *path)
{
	unsigned char *key;
	int rc = 0;

	if (kf->prot == WK_KEYS_UNATTENDED) {
		memcpy(secret_bytes(k), kf->secret, KF_SECRET);
	} else {
		if (!pass || passlen == 0)
			return wk_error_set(WK_EUSAGE, "key file '%s' is protected by a passphrase; give it", path);
		if ((rc = passlen_ok(pass, passlen, path)) < 0 || !(key = secure_alloc(32, &rc)))
			return rc;
		if ((rc = derive(key, pass, passlen, kf->salt, kf->opslimit, kf->memlimit, path)) == 0 &&
		    crypto_aead_xchacha20poly1305_ietf_decrypt(secret_bytes(k), NULL, NULL, kf->secret,
		                                               KF_SECRET + KF_TAG, kf->header, KF_PASS_HEADER,
		                                               kf->nonce, key) != 0)
			rc = wk_error_set(WK_EBADSIG, "wrong passphrase for key file '%s' (or the file was altered)",
			                  path);
		sodium_free(key);
		if (rc < 0)
			return rc;
	}
	keys_finish(k);
	if (sodium_memcmp(k->sign_pk, kf->sign_pk, 32) != 0 || sodium_memcmp(k->box_pk, kf->box_pk, 32) != 0)
		return wk_error_set(WK_ECORRUPT, "key file '%s' is damaged: its secret keys do not match its "
		                    "public keys", path);
	return 0;
}

static int owner_only(const struct stat *st, const char *path)
{
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return wk_error_set(WK_EINVALID, "unattended key file '%s' belongs to another user (uid %lu); "
		                    "refusing to use it", path, (unsigned long)st->st_uid);
	if (st->st_mode & 077)
		return wk_error_set(WK_EINVALID, "unattended key file '%s' is accessible by others (mode %04o); "
		                    "run 'chmod 600 %s'", path, (unsigned)(st->st_mode & 07777), path);
	return 0;
}

int wk_keys_load(wk_keys **out, const char *path, const char *pass, size_t passlen)
{
	unsigned char *img = NULL;
	wk_keys *k = NULL;
	struct stat st;
	keyfile kf;
	size_t n;
	int rc;

	*out = NULL;
	if ((rc = keys_new(&k)) < 0)
		return rc;
	if ((rc = wk_keys_read_secret_file(&img, &n, &st, path, KF_MAX, "key file")) < 0 ||
	    (rc = kf_parse(&kf, img, n, path)) < 0)
		goto out;
	if (kf.prot == WK_KEYS_UNATTENDED && (rc = owner_only(&st, path)) < 0)
		goto out;
	/* Writing into k->sec needs it writable: keys_new leaves it so, keys_finish protects it. */
	if ((rc = kf_open(k, &kf, pass, passlen, path)) < 0)
		goto out;
	*out = k;
	k = NULL;
out:
	sodium_free(img);
	wk_keys_free(k);
	return rc;
}

int wk_keys_public(const char *path, unsigned char sign_pk[32], unsigned char box_pk[32],
                   wk_keys_protection *protection)
{
	unsigned char *img = NULL;
	struct stat st;
	keyfile kf;
	size_t n;
	int rc;

	if ((rc = wk_keys_read_secret_file(&img, &n, &st, path, KF_MAX, "key file")) < 0)
		return rc;
	if ((rc = kf_parse(&kf, img, n, path)) == 0) {
		memcpy(sign_pk, kf.sign_pk, 32);
		memcpy(box_pk, kf.box_pk, 32);
		if (protection)
			*protection = kf.prot;
	}
	sodium_free(img);
	return rc;
}

int wk_keys_harden_process(void)
{
	struct rlimit none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) != 0)
		return wk_error_set(WK_ERROR, "cannot turn core dumps off: %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return wk_error_set(WK_ERROR, "cannot mark the process as not dumpable: %s", strerror(errno));
	return 0;
}
