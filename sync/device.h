/*
 * device.h - this device's identity on disk: its key file, how its
 * passphrase is obtained, and the adapters that let the ledger, envelopes and
 * trust requests sign and open with it while the secrets stay in keys.c.
 *
 * The passphrase comes from, in order: the file named in the options, the
 * WICKET_PASSPHRASE environment variable, or the terminal. An unattended
 * device has an owner-only key file and no passphrase; that is only ever the
 * operator's explicit choice. WICKET_KDF (interactive, moderate, sensitive;
 * default moderate) sets the Argon2id strength of new key files.
 */
#ifndef WK_DEVICE_H
#define WK_DEVICE_H

#include "keys.h"
#include "ledger.h"
#include "trust.h"

typedef struct {
	int unattended;              /* create: an owner-only key file, no passphrase */
	const char *passphrase_file; /* the passphrase's file, else WICKET_PASSPHRASE, else the terminal */
} wk_device_options;

#define WK_DEVICE_OPTIONS_INIT { 0, NULL }

/* New keys saved at path (refused if it exists); the public keys are returned. */
int wk_device_create_key(const char *path, const wk_device_options *o, unsigned char sign_pk[32],
                         unsigned char box_pk[32]);

/* Load the keys at path, asking for the passphrase only if the file needs one. *out: wk_keys_free. */
int wk_device_load_key(wk_keys **out, const char *path, const wk_device_options *o);

/* Signer and sealed-key opener over a wk_keys (ctx), for envelope.h, trust.h and ledger.h. */
int wk_device_sign(void *ctx, unsigned char sig[64], const unsigned char *m, size_t n);
int wk_device_open_sealed(void *ctx, unsigned char key[32], const unsigned char *sealed, size_t len);

/* The ledger's view of k under trust (both borrowed for as long as lk is used). */
void wk_device_ledger_keys(wk_ledger_keys *lk, const wk_keys *k, const wk_trust *trust);

/*
 * The key file opened only when first used: a sync with nothing to sign or
 * open never asks for the passphrase nor pays for Argon2id. Fill it with
 * wk_device_lazy_init (public keys read without the passphrase), use
 * wk_device_lazy_ledger_keys, and release it with wk_device_lazy_free.
 */
typedef struct {
	char path[4200];
	wk_device_options o;
	unsigned char sign_pk[32], box_pk[32];
	wk_keys *keys;
} wk_device_lazy;

int wk_device_lazy_init(wk_device_lazy *l, const char *path, const wk_device_options *o);
void wk_device_lazy_ledger_keys(wk_ledger_keys *lk, wk_device_lazy *l, const wk_trust *trust);
void wk_device_lazy_free(wk_device_lazy *l);

/* Public key as 64 hex digits (out: 65 bytes) and back. */
void wk_device_hex(char out[65], const unsigned char pk[32]);
int wk_device_unhex(unsigned char pk[32], const char *hex);

#endif
