/*
 * device.c - key files, passphrases and key adapters. See device.h.
 */
#include "device.h"
#include "error.h"
#include "passphrase.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void kdf_strength(wk_keys_save_options *s)
{
	const char *k = getenv("WICKET_KDF");

	if (k && strcmp(k, "interactive") == 0) {
		s->opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		s->memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	} else if (k && strcmp(k, "sensitive") == 0) {
		s->opslimit = crypto_pwhash_OPSLIMIT_SENSITIVE;
		s->memlimit = crypto_pwhash_MEMLIMIT_SENSITIVE;
	}
}

static int passphrase(char **pass, size_t *len, const wk_device_options *o, int confirm)
{
	wk_passphrase_source src = WK_PASSPHRASE_SOURCE_INIT;
	int rc;

	src.file = o ? o->passphrase_file : NULL;
	src.env = "WICKET_PASSPHRASE";
	src.prompt = 1;
	src.confirm = confirm;
	src.prompt_text = confirm ? "new passphrase for this device's keys: " : "passphrase for this device's keys: ";
	rc = wk_passphrase_read(pass, len, &src);
	if (rc == WK_EUSAGE)
		return wk_error_set(WK_EUSAGE, "the device keys need a passphrase: set WICKET_PASSPHRASE, give "
		                    "--passphrase-file FILE, or run on a terminal (or choose --unattended explicitly)");
	return rc;
}

int wk_device_create_key(const char *path, const wk_device_options *o, unsigned char sign_pk[32],
                         unsigned char box_pk[32])
{
	wk_keys_save_options so = WK_KEYS_SAVE_OPTIONS_INIT;
	wk_keys *k = NULL;
	char *pass = NULL;
	size_t len = 0;
	int rc;

	if ((rc = wk_keys_generate(&k)) < 0)
		return rc;
	if (o && o->unattended) {
		so.protection = WK_KEYS_UNATTENDED;
		rc = wk_keys_save(k, path, NULL, 0, &so);
	} else {
		kdf_strength(&so);
		if ((rc = passphrase(&pass, &len, o, 1)) == 0)
			rc = wk_keys_save(k, path, pass, len, &so);
	}
	if (rc == 0) {
		memcpy(sign_pk, wk_keys_sign_pk(k), 32);
		memcpy(box_pk, wk_keys_box_pk(k), 32);
	}
	wk_passphrase_free(pass, len);
	wk_keys_free(k);
	return rc;
}

int wk_device_load_key(wk_keys **out, const char *path, const wk_device_options *o)
{
	unsigned char spk[32], bpk[32];
	wk_keys_protection prot;
	char *pass = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = wk_keys_public(path, spk, bpk, &prot)) < 0)
		return rc;
	if (prot == WK_KEYS_UNATTENDED)
		return wk_keys_load(out, path, NULL, 0);
	if ((rc = passphrase(&pass, &len, o, 0)) == 0)
		rc = wk_keys_load(out, path, pass, len);
	wk_passphrase_free(pass, len);
	return rc;
}

int wk_device_sign(void *ctx, unsigned char sig[64], const unsigned char *m, size_t n)
{
	return wk_keys_sign((const wk_keys *)ctx, sig, m, n);
}

int wk_device_open_sealed(void *ctx, unsigned char key[32], const unsigned char *sealed, size_t len)
{
	if (len != 32 + WK_KEYS_SEAL_BYTES)
		return wk_error_set(WK_EINVALID, "a sealed payload key must be %d bytes", 32 + WK_KEYS_SEAL_BYTES);
	return wk_keys_seal_open((const wk_keys *)ctx, key, sealed, len);
}

void wk_device_ledger_keys(wk_ledger_keys *lk, const wk_keys *k, const wk_trust *trust)
{
	lk->sign_pk = wk_keys_sign_pk(k);
	lk->sign = wk_device_sign;
	lk->sign_ctx = (void *)k;
	lk->box_pk = wk_keys_box_pk(k);
	lk->open_sealed = wk_device_open_sealed;
	lk->open_ctx = (void *)k;
	lk->trust = trust;
}

int wk_device_lazy_init(wk_device_lazy *l, const char *path, const wk_device_options *o)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->path, sizeof(l->path), "%s", path);
	if (o)
		l->o = *o;
	return wk_keys_public(path, l->sign_pk, l->box_pk, NULL);
}

static int lazy_load(wk_device_lazy *l)
{
	return l->keys ? 0 : wk_device_load_key(&l->keys, l->path, &l->o);
}

static int lazy_sign(void *ctx, unsigned char sig[64], const unsigned char *m, size_t n)
{
	wk_device_lazy *l = ctx;
	int rc = lazy_load(l);

	return rc < 0 ? rc : wk_device_sign(l->keys, sig, m, n);
}

static int lazy_open(void *ctx, unsigned char key[32], const unsigned char *sealed, size_t len)
{
	wk_device_lazy *l = ctx;
	int rc = lazy_load(l);

	return rc < 0 ? rc : wk_device_open_sealed(l->keys, key, sealed, len);
}

void wk_device_lazy_ledger_keys(wk_ledger_keys *lk, wk_device_lazy *l, const wk_trust *trust)
{
	lk->sign_pk = l->sign_pk;
	lk->sign = lazy_sign;
	lk->sign_ctx = l;
	lk->box_pk = l->box_pk;
	lk->open_sealed = lazy_open;
	lk->open_ctx = l;
	lk->trust = trust;
}

void wk_device_lazy_free(wk_device_lazy *l)
{
	wk_keys_free(l->keys);
	l->keys = NULL;
}

void wk_device_hex(char out[65], const unsigned char pk[32])
{
	sodium_bin2hex(out, 65, pk, 32);
}

int wk_device_unhex(unsigned char pk[32], const char *hex)
{
	size_t n = 0;

	if (!hex || strlen(hex) != 64 || sodium_hex2bin(pk, 32, hex, 64, NULL, &n, NULL) != 0 || n != 32)
		return wk_error_set(WK_EINVALID, "a public key is 64 hexadecimal digits ('%.20s...' is not)", hex ? hex : "");
	return 0;
}
