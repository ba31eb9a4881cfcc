/*
 * envelope.c - sealing and checking envelopes. See envelope.h; the byte
 * layout is docs/format/envelope.md.
 */
#include "envelope.h"
#include "error.h"
#include "field.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define REC_BYTES (32 + WK_ENVELOPE_SEALED_KEY_BYTES)
#define SIG_BYTES crypto_sign_BYTES
#define STREAM_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES

static int code_ok(const char *what, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < WK_FIELD_CODE_MIN || n > WK_FIELD_CODE_MAX)
		return wk_error_set(WK_EINVALID, "envelope %s must be 2 to 16 characters", what);
	if (!wk_field_is_code(s))
		return wk_error_set(WK_EINVALID, "envelope %s holds a character other than A-Z, a-z, 0-9 and '-'", what);
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* The additional data of the payload: the header from the magic through the nonce. */
static size_t ad_len(const wk_envelope_info *info)
{
	return info->header_len - 8 - 32;
}

/*
 * Encrypt payload after the header; st is the secretstream state of mode 1
 * (from init_push). ad may point into out: the caller has reserved room for
 * the whole ciphertext, so the grows here never move it.
 */
static int encrypt_payload(wk_buf *out, const unsigned char key[32], uint8_t mode, const unsigned char *nonce,
                           crypto_secretstream_xchacha20poly1305_state *st,
                           const unsigned char *payload, size_t len, const unsigned char *ad, size_t adlen)
{
	unsigned long long outlen;
	size_t off;

	if (mode == 0) {
		if (wk_buf_grow(out, len + crypto_aead_xchacha20poly1305_ietf_ABYTES) < 0)
			return wk_buf_check(out, "envelope");
		crypto_aead_xchacha20poly1305_ietf_encrypt((unsigned char *)out->ptr + out->len, &outlen, payload, len,
		                                           ad, adlen, NULL, nonce, key);
		out->len += (size_t)outlen;
		return 0;
	}
	for (off = 0;; off += WK_ENVELOPE_CHUNK) {
		size_t n = len - off < WK_ENVELOPE_CHUNK ? len - off : WK_ENVELOPE_CHUNK;
		int last = off + n >= len;

		if (wk_buf_grow(out, n + STREAM_ABYTES) < 0)
			return wk_buf_check(out, "envelope");
		crypto_secretstream_xchacha20poly1305_push(st, (unsigned char *)out->ptr + out->len, &outlen,
		        payload + off, n, ad, adlen, last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
		out->len += (size_t)outlen;
		if (last)
			return 0;
	}
}

int wk_envelope_seal(wk_buf *out, const wk_envelope_meta *meta, const unsigned char *payload,
                     size_t len, const unsigned char signer_pk[32], wk_envelope_signer sign, void *ctx,
                     const unsigned char (*recipients)[32], size_t nrecipients)
{
	unsigned char *key = NULL, (*sorted)[32] = NULL, nonce[24], sealed[WK_ENVELOPE_SEALED_KEY_BYTES];
	unsigned char hash[32] = { 0 }, sig[SIG_BYTES] = { 0 };
	crypto_secretstream_xchacha20poly1305_state st;
	size_t start = out->len, i, hdr_start, len_at, ct_start;
	uint8_t mode = len >= WK_ENVELOPE_STREAM_MIN;
	wk_envelope_limits lim = WK_ENVELOPE_LIMITS_INIT;
	int rc;

	if (sodium_init() < 0)
		return wk_error_set(WK_ERROR, "cannot start the crypto library");
	if ((rc = code_ok("site", meta->site)) < 0 || (rc = code_ok("device", meta->device)) < 0)
		return rc;
	if (meta->seq < 1)
		return wk_error_set(WK_EINVALID, "envelope sequence numbers start at 1");
	if (nrecipients < 1 || nrecipients > lim.max_recipients)
		return wk_error_set(WK_EINVALID, "an envelope needs 1 to %zu recipients", lim.max_recipients);
	if (len > lim.max_payload)
		return wk_error_set(WK_ELIMIT, "changeset of %zu bytes is larger than an envelope carries (%zu)",
		                    len, lim.max_payload);
	sorted = malloc(nrecipients * 32);
	key = sodium_malloc(32);
	if (!sorted || !key) {
		rc = wk_error_set(WK_ELIMIT, "out of memory");
		goto out;
	}
	memcpy(sorted, recipients, nrecipients * 32);
	qsort(sorted, nrecipients, 32, cmp_key);
	for (i = 1; i < nrecipients; i++)
		if (memcmp(sorted[i - 1], sorted[i], 32) == 0) {
			rc = wk_error_set(WK_EINVALID, "an envelope recipient is listed twice");
			goto out;
		}
	if (mode == 0) {
		randombytes_buf(key, 32);
		randombytes_buf(nonce, sizeof(nonce));
	} else {
		crypto_secretstream_xchacha20poly1305_keygen(key);
		crypto_secretstream_xchacha20poly1305_init_push(&st, nonce, key);
	}

	hdr_start = out->len;
	wk_buf_put(out, WK_ENVELOPE_MAGIC, 4);
	wk_buf_put_be(out, WK_ENVELOPE_FORMAT, 4);
	wk_buf_putc(out, (char)strlen(meta->site));
	wk_buf_puts(out, meta->site);
	wk_buf_putc(out, (char)strlen(meta->device));
	wk_buf_puts(out, meta->device);
	wk_buf_put_be(out, meta->seq, 8);
	wk_buf_put(out, meta->prev, 32);
	wk_buf_put(out, signer_pk, 32);
	wk_buf_put_be(out, (uint16_t)nrecipients, 2);
	for (i = 0; i < nrecipients; i++) {
		crypto_box_seal(sealed, key, 32, sorted[i]);
		wk_buf_put(out, sorted[i], 32);
		wk_buf_put(out, sealed, sizeof(sealed));
	}
	wk_buf_putc(out, (char)mode);
	wk_buf_put(out, nonce, sizeof(nonce));
	len_at = out->len;
	wk_buf_put_be(out, 0, 8);            /* payload length, filled in below */
	wk_buf_put(out, hash, 32);  /* payload hash, filled in below */
	wk_buf_put(out, sig, SIG_BYTES);
	if ((rc = wk_buf_check(out, "envelope")) < 0)
		goto out;
	ct_start = out->len;
	/*
	 * Reserve the whole ciphertext now: the additional data below points into
	 * out, and must not move while the payload is encrypted after it.
	 */
	if (wk_buf_grow(out, mode == 0 ? len + crypto_aead_xchacha20poly1305_ietf_ABYTES :
	                len + (len / WK_ENVELOPE_CHUNK + 1) * STREAM_ABYTES) < 0) {
		rc = wk_buf_check(out, "envelope");
		goto out;
	}
	if ((rc = encrypt_payload(out, key, mode, nonce, &st, payload, len,
	                          (unsigned char *)out->ptr + hdr_start, len_at - hdr_start)) < 0)
		goto out;
	{
		wk_buf lenb = WK_BUF_INIT;
		uint64_t clen = out->len - ct_start;

		wk_buf_put_be(&lenb, clen, 8);
		if ((rc = wk_buf_check(&lenb, "envelope")) < 0)
			goto out;
		memcpy(out->ptr + len_at, lenb.ptr, 8);
		wk_buf_free(&lenb);
		crypto_generichash((unsigned char *)out->ptr + len_at + 8, 32,
		                   (unsigned char *)out->ptr + ct_start, (unsigned long long)clen, NULL, 0);
	}
	if ((rc = sign(ctx, (unsigned char *)out->ptr + len_at + 8 + 32,
	               (unsigned char *)out->ptr + hdr_start, len_at + 8 + 32 - hdr_start)) < 0)
		goto out;
	if (out->len - start > lim.max_envelope)
		rc = wk_error_set(WK_ELIMIT, "the envelope would be larger than %zu bytes", lim.max_envelope);
out:
	if (rc < 0)
		out->len = start;
	sodium_memzero(&st, sizeof(st));
	sodium_free(key);
	free(sorted);
	return rc;
}

/* A bounded reader over the envelope bytes. */
typedef struct {
	const unsigned char *p;
	size_t n, off;
	int bad;
} reader;

static const unsigned char *take(reader *r, size_t k)
{
	const unsigned char *at;

	if (r->bad || k > r->n - r->off) {
		r->bad = 1;
		return NULL;
	}
	at = r->p + r->off;
	r->off += k;
	return at;
}

static uint64_t take_uint(reader *r, int bytes)
{
	const unsigned char *at = take(r, (size_t)bytes);
	uint64_t v = 0;
	int i;

	for (i = 0; at && i < bytes; i++)
		v = (v << 8) | at[i];
	return v;
}

/* A length-prefixed code into out (17 bytes): the length is checked before anything is copied. */
static int take_code(reader *r, char *out, const char *what)
{
	size_t k = (size_t)take_uint(r, 1);
	const unsigned char *at;

	if (r->bad)
		return wk_error_set(WK_EINVALID, "envelope is truncated in its %s", what);
	if (k < 2 || k > 16)
		return wk_error_set(WK_EINVALID, "envelope %s must be 2 to 16 characters", what);
	if (!(at = take(r, k)))
		return wk_error_set(WK_EINVALID, "envelope is truncated in its %s", what);
	memcpy(out, at, k);
	out[k] = '\0';
	if (strlen(out) != k)
		return wk_error_set(WK_EINVALID, "envelope %s holds a NUL byte", what);
	return code_ok(what, out);
}

int wk_envelope_parse(wk_envelope_info *info, const unsigned char *p, size_t n,
                      const wk_envelope_limits *lim)
{
	wk_envelope_limits def = WK_ENVELOPE_LIMITS_INIT;
	reader r = { p, n, 0, 0 };
	const unsigned char *at;
	size_t i;
	int rc;

	memset(info, 0, sizeof(*info));
	if (!lim)
		lim = &def;
	if (n > lim->max_envelope)
		return wk_error_set(WK_ELIMIT, "envelope of %zu bytes is over the limit of %zu", n, lim->max_envelope);
	at = take(&r, 4);
	if (!at || memcmp(at, WK_ENVELOPE_MAGIC, 4) != 0)
		return wk_error_set(WK_EINVALID, "not a wicket envelope (bad magic)");
	info->format = (uint32_t)take_uint(&r, 4);
	if (r.bad)
		return wk_error_set(WK_EINVALID, "envelope is truncated in its format");
	if (info->format != WK_ENVELOPE_FORMAT)
		return wk_error_set(WK_EVERSION, "envelope format %u is not supported (this wicket reads %d); upgrade wicket",
		                    info->format, WK_ENVELOPE_FORMAT);
	if ((rc = take_code(&r, info->site, "site")) < 0 || (rc = take_code(&r, info->device, "device")) < 0)
		return rc;
	info->seq = take_uint(&r, 8);
	at = take(&r, 32);
	if (at)
		memcpy(info->prev, at, 32);
	at = take(&r, 32);
	if (at)
		memcpy(info->signer, at, 32);
	info->nrecipients = (size_t)take_uint(&r, 2);
	if (r.bad)
		return wk_error_set(WK_EINVALID, "envelope is truncated in its header");
	if (info->seq < 1)
		return wk_error_set(WK_EINVALID, "envelope sequence 0 is not valid");
	if (info->nrecipients < 1 || info->nrecipients > lim->max_recipients)
		return wk_error_set(WK_ELIMIT, "envelope has %zu recipients; 1 to %zu are allowed",
		                    info->nrecipients, lim->max_recipients);
	info->recipients = take(&r, info->nrecipients * REC_BYTES);
	if (!info->recipients)
		return wk_error_set(WK_EINVALID, "envelope is truncated in its recipients");
	for (i = 1; i < info->nrecipients; i++)
		if (memcmp(info->recipients + (i - 1) * REC_BYTES, info->recipients + i * REC_BYTES, 32) >= 0)
			return wk_error_set(WK_EINVALID, "envelope recipients are not in canonical order");
	info->mode = (uint8_t)take_uint(&r, 1);
	at = take(&r, 24);
	if (at)
		memcpy(info->nonce, at, 24);
	info->payload_len = take_uint(&r, 8);
	at = take(&r, 32);
	if (at)
		memcpy(info->payload_hash, at, 32);
	if (r.bad)
		return wk_error_set(WK_EINVALID, "envelope is truncated in its header");
	if (info->mode > 1)
		return wk_error_set(WK_EINVALID, "envelope payload mode %u is not known", info->mode);
	info->header_len = r.off;
	info->signature = take(&r, SIG_BYTES);
	if (!info->signature)
		return wk_error_set(WK_EINVALID, "envelope is truncated in its signature");
	if (info->payload_len != r.n - r.off)
		return wk_error_set(WK_EINVALID, "envelope payload is %zu bytes but its header says %llu",
		                    r.n - r.off, (unsigned long long)info->payload_len);
	info->payload = r.p + r.off;
	return 0;
}

int wk_envelope_verify(const wk_envelope_info *info)
{
	const unsigned char *hdr = info->signature - info->header_len;
	unsigned char hash[32];

	if (sodium_init() < 0)
		return wk_error_set(WK_ERROR, "cannot start the crypto library");
	if (crypto_sign_verify_detached(info->signature, hdr, info->header_len, info->signer) != 0)
		return wk_error_set(WK_EBADSIG, "envelope %s/%s #%llu: the signature does not match its header",
		                    info->site, info->device, (unsigned long long)info->seq);
	crypto_generichash(hash, 32, info->payload, info->payload_len, NULL, 0);
	if (sodium_memcmp(hash, info->payload_hash, 32) != 0)
		return wk_error_set(WK_EBADSIG, "envelope %s/%s #%llu: the payload does not match its signed hash",
		                    info->site, info->device, (unsigned long long)info->seq);
	return 0;
}

static int decrypt_stream(wk_buf *out, const wk_envelope_info *info, const unsigned char *key,
                          const unsigned char *ad, size_t adlen, size_t max)
{
	crypto_secretstream_xchacha20poly1305_state st;
	const unsigned char *c = info->payload;
	size_t left = (size_t)info->payload_len;
	unsigned long long mlen;
	unsigned char tag = 0;
	int rc = 0;

	if (crypto_secretstream_xchacha20poly1305_init_pull(&st, info->nonce, key) != 0)
		return wk_error_set(WK_EBADSIG, "envelope payload stream header is not valid");
	while (left > 0 && tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
		size_t k = left < WK_ENVELOPE_CHUNK + STREAM_ABYTES ? left : WK_ENVELOPE_CHUNK + STREAM_ABYTES;

		if (k < STREAM_ABYTES || out->len + (k - STREAM_ABYTES) > max) {
			rc = wk_error_set(k < STREAM_ABYTES ? WK_EBADSIG : WK_ELIMIT,
			                  "envelope payload is damaged or over the limit");
			goto out;
		}
		if (wk_buf_grow(out, k) < 0) {
			rc = wk_buf_check(out, "changeset");
			goto out;
		}
		if (crypto_secretstream_xchacha20poly1305_pull(&st, (unsigned char *)out->ptr + out->len, &mlen, &tag,
		                                               c, k, ad, adlen) != 0) {
			rc = wk_error_set(WK_EBADSIG, "envelope payload does not decrypt (damaged or not for this key)");
			goto out;
		}
		out->len += (size_t)mlen;
		c += k;
		left -= k;
	}
	if (tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL || left != 0)
		rc = wk_error_set(WK_EBADSIG, "envelope payload stream is cut short or has bytes after its end");
out:
	sodium_memzero(&st, sizeof(st));
	return rc;
}

int wk_envelope_decrypt(wk_buf *out, const wk_envelope_info *info, const unsigned char *box_pk,
                        int (*open_sealed)(void *ctx, unsigned char key[32], const unsigned char *sealed,
                                           size_t len),
                        void *ctx, const wk_envelope_limits *lim)
{
	wk_envelope_limits def = WK_ENVELOPE_LIMITS_INIT;
	const unsigned char *ad = info->signature - info->header_len, *entry = NULL;
	unsigned char *key = NULL;
	unsigned long long mlen;
	size_t i;
	int rc;

	if (!lim)
		lim = &def;
	wk_buf_clear(out);
	for (i = 0; i < info->nrecipients && !entry; i++)
		if (memcmp(info->recipients + i * REC_BYTES, box_pk, 32) == 0)
			entry = info->recipients + i * REC_BYTES;
	if (!entry)
		return wk_error_set(WK_ENOTFOUND, "envelope %s/%s #%llu is not addressed to this device",
		                    info->site, info->device, (unsigned long long)info->seq);
	if (!(key = sodium_malloc(32)))
		return wk_error_set(WK_ELIMIT, "out of memory");
	if ((rc = open_sealed(ctx, key, entry + 32, WK_ENVELOPE_SEALED_KEY_BYTES)) < 0)
		goto out;
	if (info->mode == 0) {
		if (info->payload_len < crypto_aead_xchacha20poly1305_ietf_ABYTES ||
		    info->payload_len - crypto_aead_xchacha20poly1305_ietf_ABYTES > lim->max_payload) {
			rc = wk_error_set(WK_ELIMIT, "envelope payload is damaged or over the limit");
			goto out;
		}
		if (wk_buf_grow(out, (size_t)info->payload_len) < 0) {
			rc = wk_buf_check(out, "changeset");
			goto out;
		}
		if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)out->ptr, &mlen, NULL, info->payload,
		        info->payload_len, ad, ad_len(info), info->nonce, key) != 0) {
			rc = wk_error_set(WK_EBADSIG, "envelope payload does not decrypt (damaged or not for this key)");
			goto out;
		}
		out->len = (size_t)mlen;
	} else {
		rc = decrypt_stream(out, info, key, ad, ad_len(info), lim->max_payload);
	}
out:
	if (rc < 0 && out->ptr) {
		sodium_memzero(out->ptr, out->cap);
		out->len = 0;
	}
	if (out->ptr)
		out->ptr[out->len] = '\0';
	sodium_free(key);
	return rc;
}
