/*
 * envelope.c - sealing and checking envelopes. See envelope.h; the byte
 * layout is docs/format/envelope.md.
 */
#include "envelope.h"
#include "error.h"
#include "field.h"

#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define REC_BYTES (32 + WK_ENVELOPE_SEALED_KEY_BYTES)
#define SIG_BYTES crypto_sign_BYTES
#define STREAM_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define AEAD_ABYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
/* The inflated length field: 8 bytes, in the header only when the mode says deflate. */
#define INFLATED_LEN_BYTES 8

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

	if (!(mode & WK_ENVELOPE_MODE_STREAM)) {
		if (wk_buf_grow(out, len + AEAD_ABYTES) < 0)
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

int wk_envelope_seal_as(wk_buf *out, const wk_envelope_meta *meta, const wk_envelope_encoding *enc,
                        const unsigned char *payload, size_t len, const unsigned char signer_pk[32],
                        wk_envelope_signer sign, void *ctx, const unsigned char (*recipients)[32],
                        size_t nrecipients)
{
	unsigned char *key = NULL, (*sorted)[32] = NULL, nonce[24], sealed[WK_ENVELOPE_SEALED_KEY_BYTES];
	unsigned char hash[32] = { 0 }, sig[SIG_BYTES] = { 0 };
	crypto_secretstream_xchacha20poly1305_state st;
	size_t start = out->len, i, hdr_start, len_at, ct_start;
	uint8_t mode = len >= WK_ENVELOPE_STREAM_MIN ? WK_ENVELOPE_MODE_STREAM : 0;
	wk_envelope_limits lim = WK_ENVELOPE_LIMITS_INIT;
	uint64_t plain_len = enc->deflated ? enc->inflated_len : len;
	int rc;

	if (sodium_init() < 0)
		return wk_error_set(WK_ERROR, "cannot start the crypto library");
	if (enc->format < WK_ENVELOPE_FORMAT_MIN || enc->format > WK_ENVELOPE_FORMAT ||
	    (enc->deflated && enc->format < 2))
		return wk_error_set(WK_EUSAGE, "envelope format %u cannot be written%s", enc->format,
		                    enc->deflated ? " compressed" : "");
	if (enc->deflated)
		mode |= WK_ENVELOPE_MODE_DEFLATE;
	if ((rc = code_ok("site", meta->site)) < 0 || (rc = code_ok("device", meta->device)) < 0)
		return rc;
	if (meta->seq < 1)
		return wk_error_set(WK_EINVALID, "envelope sequence numbers start at 1");
	if (nrecipients < 1 || nrecipients > lim.max_recipients)
		return wk_error_set(WK_EINVALID, "an envelope needs 1 to %zu recipients", lim.max_recipients);
	if (len > lim.max_payload || plain_len > lim.max_payload)
		return wk_error_set(WK_ELIMIT, "changeset of %llu bytes is larger than an envelope carries (%zu)",
		                    (unsigned long long)(len > plain_len ? len : plain_len), lim.max_payload);
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
	if (!(mode & WK_ENVELOPE_MODE_STREAM)) {
		randombytes_buf(key, 32);
		randombytes_buf(nonce, sizeof(nonce));
	} else {
		crypto_secretstream_xchacha20poly1305_keygen(key);
		crypto_secretstream_xchacha20poly1305_init_push(&st, nonce, key);
	}

	hdr_start = out->len;
	wk_buf_put(out, WK_ENVELOPE_MAGIC, 4);
	wk_buf_put_be(out, enc->format, 4);
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
	if (mode & WK_ENVELOPE_MODE_DEFLATE)
		wk_buf_put_be(out, plain_len, INFLATED_LEN_BYTES);
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
	if (wk_buf_grow(out, !(mode & WK_ENVELOPE_MODE_STREAM) ? len + AEAD_ABYTES :
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

/*
 * Whether the payload's first 4 KiB (at least 1 KiB) are spread over the
 * 256 byte values as evenly as random bytes: the sum of the squared counts
 * of each value is below 1.25 + 256 / n times its least, n^2 / 256 (random
 * bytes come to about 1 + 256 / n; base64 to 4, text to 6 and more, even
 * with every other 64 bytes random). Such bytes, random or already
 * compressed, deflate cannot shrink and takes longest over; a changeset
 * (text, UTF-8, lengths) never looks so. This spares sealing them a futile
 * pass.
 */
static int looks_random(const unsigned char *p, size_t len)
{
	uint32_t count[256] = { 0 };
	uint64_t sq = 0, n = len < 4096 ? len : 4096;
	size_t i;

	if (n < 1024)
		return 0;
	for (i = 0; i < n; i++)
		count[p[i]]++;
	for (i = 0; i < 256; i++)
		sq += (uint64_t)count[i] * count[i];
	return sq * 256 * 4 < n * n * 5 + n * 256 * 4; /* 1.25, plus 256 / n: a small sample is less even */
}

/*
 * Deflate payload into z (raw deflate, no zlib header or checksum: the AEAD
 * authenticates the bytes). 1 when the result, with the 8-byte inflated
 * length it adds to the header, is smaller than the payload stored as it
 * is; 0 when it is not (z is then not used); or an error. z holds plaintext
 * in another form: the caller wipes it.
 */
static int deflate_payload(wk_buf *z, const unsigned char *payload, size_t len)
{
	z_stream s;
	size_t room;
	int zr, wbits = 9;

	if (len <= INFLATED_LEN_BYTES + 2 || looks_random(payload, len))
		return 0;
	/* A window no larger than the payload (512 bytes to 32 KiB): a small changeset costs little to compress. */
	while (wbits < 15 && ((size_t)1 << wbits) < len)
		wbits++;
	/* Output that does not fit in len - 8 - 1 bytes is not worth having: the stream stops there. */
	room = len - INFLATED_LEN_BYTES - 1;
	if (wk_buf_grow(z, room) < 0)
		return wk_buf_check(z, "compressed changeset");
	memset(&s, 0, sizeof(s));
	/* zlib's default level: on repetitive changesets level 9 is several times slower for 1 to 3 % less. */
	if (deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -wbits, wbits - 7, Z_DEFAULT_STRATEGY) != Z_OK)
		return wk_error_set(WK_ELIMIT, "cannot start compressing the changeset (out of memory)");
	s.next_in = (Bytef *)(uintptr_t)payload;
	s.avail_in = (uInt)len;       /* at most the 64 MiB payload cap */
	s.next_out = (Bytef *)z->ptr;
	s.avail_out = (uInt)room;
	zr = deflate(&s, Z_FINISH);
	z->len = room - s.avail_out;
	if (zr != Z_STREAM_END && zr != Z_OK && zr != Z_BUF_ERROR)
		wk_error_set(WK_ERROR, "cannot compress the changeset (zlib: %s)", s.msg ? s.msg : "stream error");
	deflateEnd(&s);
	if (zr == Z_STREAM_END)
		return 1;
	if (zr == Z_OK || zr == Z_BUF_ERROR)
		return 0;        /* out of room: the payload does not shrink enough */
	return WK_ERROR;
}

int wk_envelope_seal(wk_buf *out, const wk_envelope_meta *meta, const unsigned char *payload,
                     size_t len, const unsigned char signer_pk[32], wk_envelope_signer sign, void *ctx,
                     const unsigned char (*recipients)[32], size_t nrecipients)
{
	wk_envelope_encoding enc = { WK_ENVELOPE_FORMAT, 0, 0 };
	wk_envelope_limits lim = WK_ENVELOPE_LIMITS_INIT;
	wk_buf z = WK_BUF_INIT;
	int rc;

	if (len > lim.max_payload)
		return wk_error_set(WK_ELIMIT, "changeset of %zu bytes is larger than an envelope carries (%zu)",
		                    len, lim.max_payload);
	if ((rc = deflate_payload(&z, payload, len)) == 1) {
		enc.deflated = 1;
		enc.inflated_len = len;
		rc = wk_envelope_seal_as(out, meta, &enc, (unsigned char *)z.ptr, z.len, signer_pk, sign, ctx,
		                         recipients, nrecipients);
	} else if (rc == 0) {
		rc = wk_envelope_seal_as(out, meta, &enc, payload, len, signer_pk, sign, ctx, recipients, nrecipients);
	}
	if (z.ptr)
		sodium_memzero(z.ptr, z.cap);
	wk_buf_free(&z);
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
	if (info->format > WK_ENVELOPE_FORMAT)
		return wk_error_set(WK_EVERSION, "envelope format %u is not supported (this wicket reads %d to %d); "
		                    "upgrade wicket", info->format, WK_ENVELOPE_FORMAT_MIN, WK_ENVELOPE_FORMAT);
	if (info->format < WK_ENVELOPE_FORMAT_MIN)
		return wk_error_set(WK_EINVALID, "envelope format %u is not valid", info->format);
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
	if (r.bad)
		return wk_error_set(WK_EINVALID, "envelope is truncated in its header");
	/* Format 1 has modes 0 and 1; format 2 adds the deflate bit (2, 3). */
	if (info->mode > (info->format == 1 ? 1 : (WK_ENVELOPE_MODE_STREAM | WK_ENVELOPE_MODE_DEFLATE)))
		return wk_error_set(WK_EINVALID, "envelope payload mode %u is not known in format %u", info->mode,
		                    info->format);
	if (info->mode & WK_ENVELOPE_MODE_DEFLATE) {
		info->inflated_len = take_uint(&r, INFLATED_LEN_BYTES);
		if (!r.bad && info->inflated_len > lim->max_payload)
			return wk_error_set(WK_ELIMIT, "envelope %s/%s #%llu declares a changeset of %llu bytes, over the "
			                    "limit of %zu", info->site, info->device, (unsigned long long)info->seq,
			                    (unsigned long long)info->inflated_len, lim->max_payload);
	}
	at = take(&r, 24);
	if (at)
		memcpy(info->nonce, at, 24);
	info->payload_len = take_uint(&r, 8);
	at = take(&r, 32);
	if (at)
		memcpy(info->payload_hash, at, 32);
	if (r.bad)
		return wk_error_set(WK_EINVALID, "envelope is truncated in its header");
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

/* Grow b to hold exactly cap bytes and its NUL; the old memory is wiped, never left behind by realloc. */
static int grow_exact(wk_buf *b, size_t cap)
{
	char *p;

	if (cap + 1 <= b->cap)
		return 0;
	if (!(p = malloc(cap + 1)))
		return wk_error_set(WK_ELIMIT, "out of memory for the changeset of %zu bytes", cap);
	if (b->ptr) {
		memcpy(p, b->ptr, b->len);
		sodium_memzero(b->ptr, b->cap);
		free(b->ptr);
	}
	b->ptr = p;
	b->cap = cap + 1;
	return 0;
}

/*
 * Inflate the raw deflate stream z into out, which must come to exactly
 * info->inflated_len bytes (at most max, checked before anything is
 * allocated). out grows as the output comes, never past the declared length:
 * a stream that would produce more is refused at the first byte too many,
 * as is one cut short, one with bytes after its end, or one that is not
 * deflate.
 */
static int inflate_payload(wk_buf *out, const wk_envelope_info *info, const unsigned char *z, size_t zlen,
                           size_t max)
{
	uint64_t want = info->inflated_len;
	unsigned char probe;
	z_stream s;
	int zr, rc = 0;

	if (want > max)
		return wk_error_set(WK_ELIMIT, "envelope %s/%s #%llu declares a changeset of %llu bytes, over the "
		                    "limit of %zu", info->site, info->device, (unsigned long long)info->seq,
		                    (unsigned long long)want, max);
	if (zlen > UINT_MAX)
		return wk_error_set(WK_ELIMIT, "envelope %s/%s #%llu: its compressed changeset is too large",
		                    info->site, info->device, (unsigned long long)info->seq);
	if ((rc = grow_exact(out, 0)) < 0)
		return rc;
	memset(&s, 0, sizeof(s));
	if (inflateInit2(&s, -15) != Z_OK)
		return wk_error_set(WK_ELIMIT, "cannot start decompressing the changeset (out of memory)");
	s.next_in = (Bytef *)(uintptr_t)z;
	s.avail_in = (uInt)zlen;
	for (;;) {
		size_t room;

		if (out->len < want) {
			/* Room for the next piece: double what is held (64 KiB at first), but never past the declared length. */
			if (out->cap == 0 || out->len + 1 >= out->cap) {
				size_t next = out->len < ((size_t)64 << 10) ? (size_t)64 << 10 : out->len * 2;

				if ((rc = grow_exact(out, next < want ? next : (size_t)want)) < 0)
					goto out;
			}
			room = out->cap - 1 - out->len;
			if (room > want - out->len)
				room = (size_t)(want - out->len);
			s.next_out = (Bytef *)out->ptr + out->len;
			s.avail_out = (uInt)room;
		} else {
			/* All the declared bytes are here: the stream must end now, without another byte. */
			room = 1;
			s.next_out = &probe;
			s.avail_out = 1;
		}
		zr = inflate(&s, Z_NO_FLUSH);
		if (out->len < want) {
			out->len += room - s.avail_out;
		} else if (s.avail_out == 0) {
			rc = wk_error_set(WK_ELIMIT, "envelope %s/%s #%llu: its compressed changeset inflates to more than "
			                  "the %llu bytes its header declares", info->site, info->device,
			                  (unsigned long long)info->seq, (unsigned long long)want);
			goto out;
		}
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT || zr == Z_STREAM_ERROR) {
			rc = wk_error_set(WK_EINVALID, "envelope %s/%s #%llu: its compressed changeset is not a valid deflate "
			                  "stream (zlib: %s)", info->site, info->device, (unsigned long long)info->seq,
			                  zr == Z_NEED_DICT ? "a preset dictionary is asked for" :
			                  s.msg ? s.msg : "stream error");
			goto out;
		}
		if (zr == Z_MEM_ERROR) {
			rc = wk_error_set(WK_ELIMIT, "out of memory decompressing the changeset");
			goto out;
		}
		if (zr == Z_BUF_ERROR) {
			/* No progress: with nothing more to read, the stream stops before its last block. */
			rc = wk_error_set(WK_EINVALID, s.avail_in == 0 ?
			                  "envelope %s/%s #%llu: its compressed changeset is cut short (the deflate stream "
			                  "does not end)" : "envelope %s/%s #%llu: its compressed changeset cannot be inflated",
			                  info->site, info->device, (unsigned long long)info->seq);
			goto out;
		}
	}
	if (s.avail_in != 0)
		rc = wk_error_set(WK_EINVALID, "envelope %s/%s #%llu: its compressed changeset has %u bytes after the "
		                  "end of its deflate stream", info->site, info->device, (unsigned long long)info->seq,
		                  s.avail_in);
	else if (out->len != want)
		rc = wk_error_set(WK_EINVALID, "envelope %s/%s #%llu: its compressed changeset inflates to %zu bytes, "
		                  "not the %llu its header declares", info->site, info->device,
		                  (unsigned long long)info->seq, out->len, (unsigned long long)want);
out:
	inflateEnd(&s);
	return rc;
}

int wk_envelope_decrypt(wk_buf *out, const wk_envelope_info *info, const unsigned char *box_pk,
                        int (*open_sealed)(void *ctx, unsigned char key[32], const unsigned char *sealed,
                                           size_t len),
                        void *ctx, const wk_envelope_limits *lim)
{
	wk_envelope_limits def = WK_ENVELOPE_LIMITS_INIT;
	const unsigned char *ad = info->signature - info->header_len, *entry = NULL;
	/*
	 * The content key, on the stack for the moment it is used, then wiped. A
	 * guarded sodium_malloc page for it (mmap, mprotect, mlock) was 4% of a
	 * large pull; the changeset it opens is in ordinary memory anyway.
	 */
	unsigned char key[32];
	unsigned long long mlen;
	wk_buf z = WK_BUF_INIT, *dst = out;
	size_t i, max;
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
	/* A compressed payload is decrypted into z first (the envelope cap bounds it), then inflated into out. */
	max = lim->max_payload;
	if (info->mode & WK_ENVELOPE_MODE_DEFLATE) {
		if (info->inflated_len > lim->max_payload)
			return wk_error_set(WK_ELIMIT, "envelope %s/%s #%llu declares a changeset of %llu bytes, over the "
			                    "limit of %zu", info->site, info->device, (unsigned long long)info->seq,
			                    (unsigned long long)info->inflated_len, lim->max_payload);
		dst = &z;
		max = lim->max_envelope;
	}
	if ((rc = open_sealed(ctx, key, entry + 32, WK_ENVELOPE_SEALED_KEY_BYTES)) < 0)
		goto out;
	if (!(info->mode & WK_ENVELOPE_MODE_STREAM)) {
		if (info->payload_len < AEAD_ABYTES || info->payload_len - AEAD_ABYTES > max) {
			rc = wk_error_set(WK_ELIMIT, "envelope payload is damaged or over the limit");
			goto out;
		}
		if (wk_buf_grow(dst, (size_t)info->payload_len) < 0) {
			rc = wk_buf_check(dst, "changeset");
			goto out;
		}
		if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)dst->ptr, &mlen, NULL, info->payload,
		        info->payload_len, ad, ad_len(info), info->nonce, key) != 0) {
			rc = wk_error_set(WK_EBADSIG, "envelope payload does not decrypt (damaged or not for this key)");
			goto out;
		}
		dst->len = (size_t)mlen;
	} else {
		rc = decrypt_stream(dst, info, key, ad, ad_len(info), max);
	}
	if (rc == 0 && dst == &z)
		rc = inflate_payload(out, info, (unsigned char *)z.ptr, z.len, lim->max_payload);
out:
	if (rc < 0 && out->ptr) {
		sodium_memzero(out->ptr, out->cap);
		out->len = 0;
	}
	if (out->ptr)
		out->ptr[out->len] = '\0';
	if (z.ptr)
		sodium_memzero(z.ptr, z.cap);
	wk_buf_free(&z);
	sodium_memzero(key, sizeof(key));
	return rc;
}
