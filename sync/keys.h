/*
 * keys.h - a device's keys: an Ed25519 signing key pair and a separate
 * X25519 encryption key pair, and the key file that keeps them at rest.
 *
 * The secret halves live in sodium_malloc memory (guard pages, locked,
 * read-only once made) and are wiped when the keys are freed; they never
 * leave this module: callers sign with wk_keys_sign() and open sealed boxes
 * with wk_keys_seal_open(). The public halves are plain and borrowed.
 *
 * A key file (docs/format/keyfile.md) carries both public keys in the clear
 * and both secret keys either encrypted under a passphrase (Argon2id, then
 * XChaCha20-Poly1305 with the header as associated data), or, for an
 * unattended device the operator chose explicitly, in the clear in a file only
 * its owner may read (0600; a looser file is refused, as ssh does). Files are
 * written atomically, never over an existing file unless asked, and are
 * size-capped and checked byte by byte before anything is derived or
 * decrypted. A wrong passphrase decrypts nothing.
 *
 * Every call that brings a secret into memory (wk_keys_generate,
 * wk_keys_from_seed, wk_keys_load) first turns core dumps off for the whole
 * process (wk_keys_harden_process), and fails if it cannot.
 *
 * This module must not decide whom to trust (trust.h), nor read a passphrase
 * (passphrase.h), nor print.
 */
#ifndef WK_KEYS_H
#define WK_KEYS_H

#include <stddef.h>
#include <sys/stat.h>

typedef struct wk_keys wk_keys;

#define WK_KEYS_PK_BYTES 32    /* crypto_sign_PUBLICKEYBYTES == crypto_box_PUBLICKEYBYTES */
#define WK_KEYS_SIG_BYTES 64   /* crypto_sign_BYTES */
#define WK_KEYS_SEAL_BYTES 48  /* crypto_box_SEALBYTES: what sealing adds */
#define WK_KEYS_ID_CHARS 16    /* wk_keys_id(): 16 hex digits, plus a NUL */

/* New random keys. *out belongs to the caller (wk_keys_free). */
int wk_keys_generate(wk_keys **out);

/*
 * Keys derived from one 32-byte seed, deterministically: for golden vectors
 * and tests, never for a real device. The Ed25519 seed is
 * crypto_kdf_derive_from_key(32, id 1, context "wksign01", seed) and the
 * X25519 seed crypto_kdf_derive_from_key(32, id 1, context "wkboxk01", seed),
 * each turned into a key pair by crypto_sign_seed_keypair and
 * crypto_box_seed_keypair. *out belongs to the caller.
 */
int wk_keys_from_seed(wk_keys **out, const unsigned char seed[32]);

/* Wipe the secrets and free; accepts NULL. */
void wk_keys_free(wk_keys *k);

/* The public keys, 32 bytes each, borrowed from k. */
const unsigned char *wk_keys_sign_pk(const wk_keys *k);
const unsigned char *wk_keys_box_pk(const wk_keys *k);

/*
 * A short printable id for a signing key: the first 8 bytes of the unkeyed
 * 32-byte BLAKE2b hash (crypto_generichash) of sign_pk, as 16 lower-case hex
 * digits. For people and messages; never for a trust decision, which always
 * compares whole keys.
 */
void wk_keys_id(char out[WK_KEYS_ID_CHARS + 1], const unsigned char sign_pk[32]);

/* Ed25519 detached signature of m[0..n) by k. */
int wk_keys_sign(const wk_keys *k, unsigned char sig[WK_KEYS_SIG_BYTES], const unsigned char *m,
                 size_t n);

/* 0 when sig is sign_pk's signature of m[0..n); WK_EBADSIG otherwise. */
int wk_keys_verify(const unsigned char sign_pk[32], const unsigned char sig[WK_KEYS_SIG_BYTES],
                   const unsigned char *m, size_t n);

/*
 * Open a crypto_box_seal box of n bytes sealed to k's X25519 key into out,
 * which has room for n - WK_KEYS_SEAL_BYTES bytes. WK_EINVALID when n is too
 * short to be a sealed box; WK_EBADSIG when it was not sealed to k or was
 * altered (out is then zeroed).
 */
int wk_keys_seal_open(const wk_keys *k, unsigned char *out, const unsigned char *sealed, size_t n);

typedef enum {
	WK_KEYS_PASSPHRASE = 1, /* secret keys encrypted under a passphrase (the default) */
	WK_KEYS_UNATTENDED = 2  /* secret keys in the clear in an owner-only file, chosen explicitly */
} wk_keys_protection;

/* Argon2id settings a key file may carry: libsodium's minimum up to its SENSITIVE memory. */
#define WK_KEYS_OPSLIMIT_MAX 16ULL
#define WK_KEYS_MEMLIMIT_MAX ((size_t)1 << 30)
/* Defaults: crypto_pwhash_OPSLIMIT_MODERATE and crypto_pwhash_MEMLIMIT_MODERATE (256 MiB). */
#define WK_KEYS_OPSLIMIT_DEFAULT 3ULL
#define WK_KEYS_MEMLIMIT_DEFAULT ((size_t)256 << 20)

typedef struct {
	wk_keys_protection protection;
	unsigned long long opslimit; /* Argon2id passes; tests may use crypto_pwhash_OPSLIMIT_MIN */
	size_t memlimit;             /* Argon2id bytes; tests may use crypto_pwhash_MEMLIMIT_MIN */
	int overwrite;               /* replace an existing file; otherwise WK_EEXISTS */
} wk_keys_save_options;

#define WK_KEYS_SAVE_OPTIONS_INIT \
	{ WK_KEYS_PASSPHRASE, WK_KEYS_OPSLIMIT_DEFAULT, WK_KEYS_MEMLIMIT_DEFAULT, 0 }

/*
 * Write k to the key file at path (opts NULL: the defaults above), mode 0600,
 * atomically: a temporary file in the same directory, fsync, then link (or,
 * with overwrite, rename) into place, then fsync of the directory. On failure
 * nothing is left at path that was not there before.
 *
 * WK_KEYS_PASSPHRASE needs a passphrase of 1 to WK_PASSPHRASE_MAX bytes
 * (pass need not be NUL-terminated); WK_KEYS_UNATTENDED takes none (pass NULL,
 * passlen 0), so that choosing it is always explicit.
 */
int wk_keys_save(const wk_keys *k, const char *path, const char *pass, size_t passlen,
                 const wk_keys_save_options *opts);

/*
 * Read the key file at path. A passphrase file needs its passphrase; an
 * unattended file ignores pass, and is refused unless it is a regular file
 * owned by this user (or root) that group and others cannot access. Every
 * failure sets a message naming the file, and *out stays NULL:
 *   WK_EBADSIG   wrong passphrase (or the encrypted part was altered)
 *   WK_ELIMIT    larger than any key file, or Argon2id settings over the caps
 *   WK_ECORRUPT  not a key file, truncated, trailing bytes, keys that do not match
 *   WK_EVERSION  a key file format newer than this program
 *   WK_EINVALID  an unattended file others can read (says to chmod 600)
 *   WK_EUSAGE    a passphrase file and no passphrase
 *   WK_ENOTFOUND no such file
 * *out belongs to the caller (wk_keys_free).
 */
int wk_keys_load(wk_keys **out, const char *path, const char *pass, size_t passlen);

/*
 * The public keys of the key file at path, without its passphrase: the file
 * is checked as by wk_keys_load (but not its mode), and nothing is decrypted.
 * protection, if not NULL, receives how the secret keys are kept.
 */
int wk_keys_public(const char *path, unsigned char sign_pk[32], unsigned char box_pk[32],
                   wk_keys_protection *protection);

/*
 * Read the regular file at path, refused by its size before a byte is read
 * when larger than max, into sodium_malloc memory: *out (max + 1 bytes)
 * holds its *n bytes and belongs to the caller (sodium_free). st receives
 * the file's status, for the caller's own checks (owner, mode). A directory,
 * FIFO or device is refused without blocking. what names the file in
 * messages ("key file"). For files that hold secrets: key and passphrase
 * files.
 */
int wk_keys_read_secret_file(unsigned char **out, size_t *n, struct stat *st, const char *path, size_t max,
                             const char *what);

/*
 * No core dumps from this process from now on: RLIMIT_CORE 0 (soft and hard)
 * and prctl(PR_SET_DUMPABLE, 0), which also stops other processes of the
 * same user from attaching to it. Idempotent; cannot be undone. The command
 * line calls it before it reads a passphrase.
 */
int wk_keys_harden_process(void);

/*
 * For the tests only (tests/keys/): wk_keys_save with a fixed salt and nonce
 * instead of random ones, for the golden key file; a view of the secret
 * bytes (Ed25519 seed then X25519 secret key, 64 bytes); and the wipe that
 * wk_keys_free does before it releases the memory.
 */
int wk_keys_save_fixed_(const wk_keys *k, const char *path, const char *pass, size_t passlen,
                        const wk_keys_save_options *opts, const unsigned char salt[16],
                        const unsigned char nonce[24]);
const unsigned char *wk_keys_secret_(const wk_keys *k, size_t *len);
void wk_keys_wipe_(wk_keys *k);

#endif
