/*
 * bench_envelope - what sealing and opening an envelope costs against the
 * raw libsodium calls on the same bytes, side by side in one process
 * (absolute speeds on a shared machine mean little; the ratio is the point).
 *
 *   seal: wk_envelope_seal against the same primitives called directly:
 *         a random key and nonce, XChaCha20-Poly1305 (secretstream in 64 KiB
 *         chunks from 1 MiB on, as the envelope does), crypto_box_seal of the
 *         key to each recipient, BLAKE2b-256 of the ciphertext, and an Ed25519
 *         signature over a header of the envelope's size;
 *   open: wk_envelope_parse + wk_envelope_verify + wk_envelope_decrypt
 *         against Ed25519 verify, BLAKE2b-256, crypto_box_seal_open and the
 *         decryption, called directly.
 *
 * So the ratio is wicket's own overhead (layout, copies, checks, caps), not
 * the cryptography's cost, which both sides pay. Payloads of 1 KiB, 64 KiB
 * and 4 MiB; each sample times a batch of operations (about 4 MiB of payload
 * per batch); rounds are interleaved (wicket, raw, wicket, raw ...) so that
 * drift in the machine's speed hits both alike; medians are reported.
 * Usage: bench_envelope [ROUNDS [RECIPIENTS]]   (defaults 15 and 3)
 */
#include "envelope.h"
#include "error.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK WK_ENVELOPE_CHUNK
#define SS_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define AEAD_ABYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define MAX_RECIPIENTS 64

typedef struct {
	unsigned char sign_pk[32], sign_sk[64], box_pk[32], box_sk[32];
} party;

static party dev, rcpt[MAX_RECIPIENTS];
static unsigned char rcpt_pk[MAX_RECIPIENTS][32];
static size_t nrcpt = 3;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void make_party(party *p, unsigned char tag)
{
	unsigned char seed[32];

	memset(seed, tag, sizeof(seed));
	crypto_sign_seed_keypair(p->sign_pk, p->sign_sk, seed);
	seed[31] ^= 0x5a;
	crypto_box_seed_keypair(p->box_pk, p->box_sk, seed);
}

static int sign_dev(void *ctx, unsigned char sig[64], const unsigned char *m, size_t n)
{
	(void)ctx;
	crypto_sign_detached(sig, NULL, m, n, dev.sign_sk);
	return 0;
}

static int open_rcpt0(void *ctx, unsigned char key[32], const unsigned char *sealed, size_t len)
{
	(void)ctx;
	return crypto_box_seal_open(key, sealed, len, rcpt[0].box_pk, rcpt[0].box_sk) == 0 ? 0 :
		wk_error_set(WK_EBADSIG, "sealed key does not open");
}

/* ---- the raw calls ---- */

typedef struct {
	unsigned char *ct;          /* ciphertext */
	size_t ctlen;
	unsigned char header[8192]; /* stands for the signed header: same size as the envelope's */
	size_t hlen;
	unsigned char sealed[MAX_RECIPIENTS][WK_ENVELOPE_SEALED_KEY_BYTES];
	unsigned char nonce[24];
	unsigned char sig[64];
} raw_box;

static size_t header_len(size_t len)
{
	/* magic..recipients..mode, nonce, length, hash (docs/format/envelope.md), for site LEI, device d1. */
	(void)len;
	return 4 + 4 + 1 + 3 + 1 + 2 + 8 + 32 + 32 + 2 + nrcpt * 112 + 1 + 24 + 8 + 32;
}

static void raw_seal(raw_box *b, const unsigned char *payload, size_t len)
{
	unsigned char key[32];
	unsigned long long outlen;
	size_t i, off;

	b->hlen = header_len(len);
	if (len < WK_ENVELOPE_STREAM_MIN) {
		randombytes_buf(key, sizeof(key));
		randombytes_buf(b->nonce, sizeof(b->nonce));
	} else {
		crypto_secretstream_xchacha20poly1305_keygen(key);
	}
	for (i = 0; i < nrcpt; i++)
		crypto_box_seal(b->sealed[i], key, 32, rcpt_pk[i]);
	if (len < WK_ENVELOPE_STREAM_MIN) {
		crypto_aead_xchacha20poly1305_ietf_encrypt(b->ct, &outlen, payload, len, b->header, b->hlen - 40, NULL,
		                                           b->nonce, key);
		b->ctlen = (size_t)outlen;
	} else {
		crypto_secretstream_xchacha20poly1305_state st;

		crypto_secretstream_xchacha20poly1305_init_push(&st, b->nonce, key);
		b->ctlen = 0;
		for (off = 0; off < len; off += CHUNK) {
			size_t n = len - off < CHUNK ? len - off : CHUNK;

			crypto_secretstream_xchacha20poly1305_push(&st, b->ct + b->ctlen, &outlen, payload + off, n, b->header,
			        b->hlen - 40, off + n >= len ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
			b->ctlen += (size_t)outlen;
		}
	}
	crypto_generichash(b->header + b->hlen - 32, 32, b->ct, b->ctlen, NULL, 0);
	crypto_sign_detached(b->sig, NULL, b->header, b->hlen, dev.sign_sk);
	sodium_memzero(key, sizeof(key));
}

/* 0 when the plaintext in out is the payload's. */
static int raw_open(const raw_box *b, unsigned char *out, size_t len)
{
	unsigned char key[32], hash[32], tag = 0;
	unsigned long long mlen;
	size_t off = 0, got = 0;

	if (crypto_sign_verify_detached(b->sig, b->header, b->hlen, dev.sign_pk) != 0)
		return -1;
	crypto_generichash(hash, 32, b->ct, b->ctlen, NULL, 0);
	if (sodium_memcmp(hash, b->header + b->hlen - 32, 32) != 0 ||
	    crypto_box_seal_open(key, b->sealed[0], WK_ENVELOPE_SEALED_KEY_BYTES, rcpt[0].box_pk, rcpt[0].box_sk) != 0)
		return -1;
	if (len < WK_ENVELOPE_STREAM_MIN) {
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL, b->ct, b->ctlen, b->header, b->hlen - 40,
		                                               b->nonce, key) != 0)
			return -1;
		return mlen == len ? 0 : -1;
	}
	{
		crypto_secretstream_xchacha20poly1305_state st;

		if (crypto_secretstream_xchacha20poly1305_init_pull(&st, b->nonce, key) != 0)
			return -1;
		while (off < b->ctlen) {
			size_t k = b->ctlen - off < CHUNK + SS_ABYTES ? b->ctlen - off : CHUNK + SS_ABYTES;

			if (crypto_secretstream_xchacha20poly1305_pull(&st, out + got, &mlen, &tag, b->ct + off, k, b->header,
			                                               b->hlen - 40) != 0)
				return -1;
			got += (size_t)mlen;
			off += k;
		}
	}
	return got == len && tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL ? 0 : -1;
}

/* ---- wicket ---- */

static int wk_seal(wk_buf *env, const unsigned char *payload, size_t len)
{
	static const unsigned char prev[32];
	wk_envelope_meta m = { "LEI", "d1", 1, prev };

	wk_buf_clear(env);
	return wk_envelope_seal(env, &m, payload, len, dev.sign_pk, sign_dev, NULL,
	                        (const unsigned char (*)[32])rcpt_pk, nrcpt);
}

static int wk_open(const wk_buf *env, wk_buf *plain)
{
	wk_envelope_info info;
	int rc;

	if ((rc = wk_envelope_parse(&info, (const unsigned char *)env->ptr, env->len, NULL)) < 0 ||
	    (rc = wk_envelope_verify(&info)) < 0)
		return rc;
	return wk_envelope_decrypt(plain, &info, rcpt[0].box_pk, open_rcpt0, NULL, NULL);
}

typedef struct {
	size_t size;
	double seal[2], open[2];   /* seconds per operation: wicket, raw */
} result;

static int run_size(result *r, size_t size, int rounds)
{
	int batch = (int)((size_t)4 << 20) / (int)size, i, k, rc = 0;
	unsigned char *payload = malloc(size), *out = malloc(size + 16);
	raw_box *b = calloc(1, sizeof(*b));
	wk_buf env = WK_BUF_INIT, plain = WK_BUF_INIT;
	double *v[4], t;

	if (batch < 1)
		batch = 1;
	if (batch > 256)
		batch = 256;
	for (k = 0; k < 4; k++)
		v[k] = calloc((size_t)rounds, sizeof(double));
	if (!payload || !out || !b || !v[0] || !v[1] || !v[2] || !v[3] ||
	    !(b->ct = malloc(size + (size / CHUNK + 1) * SS_ABYTES + AEAD_ABYTES)))
		return -1;
	randombytes_buf(payload, size);
	randombytes_buf(b->header, sizeof(b->header));
	/* Both sides give back the payload, once, before timing. */
	raw_seal(b, payload, size);
	if (raw_open(b, out, size) != 0 || memcmp(out, payload, size) != 0 || wk_seal(&env, payload, size) < 0 ||
	    wk_open(&env, &plain) < 0 || plain.len != size || memcmp(plain.ptr, payload, size) != 0) {
		fprintf(stderr, "bench_envelope: a round trip failed: %s\n", wk_error_msg());
		return -1;
	}
	for (i = 0; i < rounds && rc == 0; i++) {
		t = now_s();
		for (k = 0; k < batch; k++)
			rc |= wk_seal(&env, payload, size);
		v[0][i] = (now_s() - t) / batch;
		t = now_s();
		for (k = 0; k < batch; k++)
			raw_seal(b, payload, size);
		v[1][i] = (now_s() - t) / batch;
		t = now_s();
		for (k = 0; k < batch; k++)
			rc |= wk_open(&env, &plain);
		v[2][i] = (now_s() - t) / batch;
		t = now_s();
		for (k = 0; k < batch; k++)
			rc |= raw_open(b, out, size);
		v[3][i] = (now_s() - t) / batch;
	}
	r->size = size;
	r->seal[0] = median(v[0], rounds);
	r->seal[1] = median(v[1], rounds);
	r->open[0] = median(v[2], rounds);
	r->open[1] = median(v[3], rounds);
	for (k = 0; k < 4; k++)
		free(v[k]);
	free(payload);
	free(out);
	free(b->ct);
	free(b);
	wk_buf_free(&env);
	wk_buf_free(&plain);
	if (rc)
		fprintf(stderr, "bench_envelope: %s\n", wk_error_msg());
	return rc ? -1 : 0;
}

static const char *size_name(size_t n)
{
	static char s[32];

	if (n >= (1 << 20))
		snprintf(s, sizeof(s), "%zu MiB", n >> 20);
	else
		snprintf(s, sizeof(s), "%zu KiB", n >> 10);
	return s;
}

static void row(const char *op, size_t size, const double t[2])
{
	printf("| %s | %s | %.0f | %.1f | %.0f | %.1f | %.2fx |\n", size_name(size), op, 1 / t[0], size / t[0] / 1e6,
	       1 / t[1], size / t[1] / 1e6, t[0] / t[1]);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 1024, 64 << 10, 4 << 20 };
	result r[3];
	int rounds = argc > 1 ? atoi(argv[1]) : 15;
	size_t i;

	if (argc > 2)
		nrcpt = (size_t)atoi(argv[2]);
	if (sodium_init() < 0 || rounds < 3 || nrcpt < 1 || nrcpt > MAX_RECIPIENTS) {
		fprintf(stderr, "usage: bench_envelope [ROUNDS >= 3 [RECIPIENTS 1..%d]]\n", MAX_RECIPIENTS);
		return 2;
	}
	make_party(&dev, 1);
	for (i = 0; i < nrcpt; i++) {
		make_party(&rcpt[i], (unsigned char)(10 + i));
		memcpy(rcpt_pk[i], rcpt[i].box_pk, 32);
	}
	for (i = 0; i < 3; i++)
		if (run_size(&r[i], sizes[i], rounds) < 0)
			return 1;
	printf("| payload | operation (median of %d, %zu recipients, one process) | wicket changesets/s | wicket MB/s "
	       "| raw libsodium changesets/s | raw MB/s | wicket / raw time |\n", rounds, nrcpt);
	printf("| --- | --- | --- | --- | --- | --- | --- |\n");
	for (i = 0; i < 3; i++) {
		row("seal", r[i].size, r[i].seal);
		row("open (parse, verify, decrypt)", r[i].size, r[i].open);
	}
	printf("{\"bench\":\"envelope\",\"rounds\":%d,\"recipients\":%zu,\"results\":[", rounds, nrcpt);
	for (i = 0; i < 3; i++)
		printf("%s{\"size\":%zu,\"seal_ms\":[%.4f,%.4f],\"seal_ratio\":%.3f,\"open_ms\":[%.4f,%.4f],"
		       "\"open_ratio\":%.3f}", i ? "," : "", r[i].size, r[i].seal[0] * 1e3, r[i].seal[1] * 1e3,
		       r[i].seal[0] / r[i].seal[1], r[i].open[0] * 1e3, r[i].open[1] * 1e3, r[i].open[0] / r[i].open[1]);
	printf("]}\n");
	return 0;
}
