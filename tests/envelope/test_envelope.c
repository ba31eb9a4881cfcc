/*
 * Envelopes: what one device seals, its recipients open; anything changed on
 * the way (a bit in any header field, the signature, a recipient block or the
 * payload), cut short or oversized is refused before decryption.
 *
 * Run with --write-vector to print the golden vector (its bytes are random:
 * the vector pins what a reader must accept, not what a writer produces).
 */
#define _GNU_SOURCE /* memmem */
#include "test.h"
#include "buf.h"
#include "envelope.h"
#include "error.h"

#include <sodium.h>

typedef struct {
	unsigned char sign_pk[32], sign_sk[64], box_pk[32], box_sk[32];
} party;

static void make_party(party *p, unsigned char tag)
{
	unsigned char seed[32];

	memset(seed, tag, sizeof(seed));
	crypto_sign_seed_keypair(p->sign_pk, p->sign_sk, seed);
	seed[0] ^= 0xff;
	crypto_box_seed_keypair(p->box_pk, p->box_sk, seed);
}

static int open_with(void *ctx, unsigned char key[32], const unsigned char *sealed, size_t len)
{
	party *p = ctx;

	if (crypto_box_seal_open(key, sealed, len, p->box_pk, p->box_sk) != 0)
		return wk_error_set(WK_EBADSIG, "the sealed key does not open");
	return 0;
}

static party dev, officer, other, stranger;

static int sign_as(void *ctx, unsigned char sig[64], const unsigned char *m, size_t n)
{
	crypto_sign_detached(sig, NULL, m, n, ((party *)ctx)->sign_sk);
	return 0;
}
static const unsigned char prev[32] = { 1, 2, 3 };
static const wk_envelope_meta meta = { "LEI", "d1", 7, prev };
#define SIGNER dev.sign_pk, sign_as, &dev

static int seal(wk_buf *out, const unsigned char *payload, size_t len)
{
	const unsigned char recips[3][32];

	memcpy((void *)recips[0], officer.box_pk, 32);
	memcpy((void *)recips[1], dev.box_pk, 32);
	memcpy((void *)recips[2], other.box_pk, 32);
	return wk_envelope_seal(out, &meta, payload, len, SIGNER, recips, 3);
}

/* Parse, verify and decrypt for p; 0 only when all pass and the payload is want. */
static int open_all(const unsigned char *e, size_t n, party *p, const unsigned char *want, size_t wlen)
{
	wk_envelope_info info;
	wk_buf plain = WK_BUF_INIT;
	int rc;

	if ((rc = wk_envelope_parse(&info, e, n, NULL)) < 0 || (rc = wk_envelope_verify(&info)) < 0)
		return rc;
	rc = wk_envelope_decrypt(&plain, &info, p->box_pk, open_with, p, NULL);
	if (rc == 0 && (plain.len != wlen || memcmp(plain.ptr, want, wlen) != 0))
		rc = WK_ERROR;
	wk_buf_free(&plain);
	return rc;
}

static void test_round_trip(size_t len)
{
	wk_buf e = WK_BUF_INIT;
	unsigned char *payload = malloc(len);
	wk_envelope_info info;

	randombytes_buf(payload, len);
	CHECK_EQ_INT(seal(&e, payload, len), 0);
	CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL), 0);
	CHECK_EQ_STR(info.site, "LEI");
	CHECK_EQ_STR(info.device, "d1");
	CHECK_EQ_INT(info.seq, 7);
	CHECK(memcmp(info.prev, prev, 32) == 0);
	CHECK(memcmp(info.signer, dev.sign_pk, 32) == 0);
	CHECK_EQ_INT(info.nrecipients, 3);
	CHECK_EQ_INT(info.mode, len >= WK_ENVELOPE_STREAM_MIN);
	CHECK_EQ_INT(open_all((unsigned char *)e.ptr, e.len, &dev, payload, len), 0);
	CHECK_EQ_INT(open_all((unsigned char *)e.ptr, e.len, &officer, payload, len), 0);
	CHECK_EQ_INT(open_all((unsigned char *)e.ptr, e.len, &other, payload, len), 0);
	/* Not a recipient: nothing to open. */
	CHECK_EQ_INT(open_all((unsigned char *)e.ptr, e.len, &stranger, payload, len), WK_ENOTFOUND);
	/* The plaintext appears nowhere in the envelope. */
	CHECK(len < 64 || memmem(e.ptr, e.len, payload, 32) == NULL);
	free(payload);
	wk_buf_free(&e);
}

/* Flip one bit at every byte of the envelope: each is refused before decryption. */
static void test_every_bit_position(void)
{
	unsigned char payload[300];
	wk_buf e = WK_BUF_INIT;
	wk_envelope_info info;
	size_t i, parse_refused = 0, verify_refused = 0, accepted = 0;

	randombytes_buf(payload, sizeof(payload));
	CHECK_EQ_INT(seal(&e, payload, sizeof(payload)), 0);
	for (i = 0; i < e.len; i++) {
		unsigned char *b = (unsigned char *)e.ptr + i;
		int bit = (int)(i % 8);

		*b ^= (unsigned char)(1 << bit);
		if (wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL) < 0)
			parse_refused++;
		else if (wk_envelope_verify(&info) < 0)
			verify_refused++;
		else
			accepted++;
		*b ^= (unsigned char)(1 << bit);
	}
	CHECK_EQ_INT(accepted, 0);
	CHECK(parse_refused > 0 && verify_refused > 0);
	CHECK_EQ_INT(parse_refused + verify_refused, e.len);
	/* And the untouched envelope still opens. */
	CHECK_EQ_INT(open_all((unsigned char *)e.ptr, e.len, &dev, payload, sizeof(payload)), 0);
	wk_buf_free(&e);
}

static void test_named_fields(void)
{
	unsigned char payload[100] = "plan text";
	wk_buf e = WK_BUF_INIT;
	wk_envelope_info info;
	size_t site_at = 9, seq_at = 4 + 4 + 1 + 3 + 1 + 2, sig_at, rec_at;

	CHECK_EQ_INT(seal(&e, payload, sizeof(payload)), 0);
	CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL), 0);
	sig_at = info.header_len;
	rec_at = (size_t)(info.recipients - (const unsigned char *)e.ptr);
#define FLIP_AND(off, expect) do { \
	e.ptr[off] ^= 1; \
	CHECK(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL) < 0 || \
	      wk_envelope_verify(&info) == (expect)); \
	e.ptr[off] ^= 1; } while (0)
	FLIP_AND(site_at, WK_EBADSIG);          /* the site: 'LEI' -> 'MEI' */
	CHECK_CONTAINS(wk_error_msg(), "signature");
	FLIP_AND(seq_at + 7, WK_EBADSIG);       /* the sequence number */
	FLIP_AND(seq_at + 8, WK_EBADSIG);       /* the previous hash */
	FLIP_AND(rec_at + 5, WK_EBADSIG);       /* a recipient's key */
	FLIP_AND(rec_at + 40, WK_EBADSIG);      /* a recipient's sealed key */
	FLIP_AND(sig_at + 3, WK_EBADSIG);       /* the signature */
	FLIP_AND(e.len - 1, WK_EBADSIG);        /* the payload */
	CHECK_CONTAINS(wk_error_msg(), "payload does not match");
#undef FLIP_AND
	wk_buf_free(&e);
}

static void test_truncation_and_caps(void)
{
	unsigned char payload[64] = "x";
	wk_buf e = WK_BUF_INIT;
	wk_envelope_info info;
	wk_envelope_limits lim = WK_ENVELOPE_LIMITS_INIT;
	size_t cut, accepted = 0;

	CHECK_EQ_INT(seal(&e, payload, sizeof(payload)), 0);
	for (cut = 0; cut < e.len; cut++)
		if (wk_envelope_parse(&info, (unsigned char *)e.ptr, cut, NULL) == 0)
			accepted++;
	CHECK_EQ_INT(accepted, 0);
	/* Trailing bytes. */
	wk_buf_putc(&e, 0);
	CHECK(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL) < 0);
	e.len--;
	/* The size cap comes first. */
	lim.max_envelope = e.len - 1;
	CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, &lim), WK_ELIMIT);
	lim = (wk_envelope_limits)WK_ENVELOPE_LIMITS_INIT;
	lim.max_recipients = 2;
	CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, &lim), WK_ELIMIT);
	/* The payload cap applies to what decryption would produce. */
	lim = (wk_envelope_limits)WK_ENVELOPE_LIMITS_INIT;
	lim.max_payload = 10;
	CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL), 0);
	CHECK_EQ_INT(wk_envelope_verify(&info), 0);
	{
		wk_buf plain = WK_BUF_INIT;
		CHECK_EQ_INT(wk_envelope_decrypt(&plain, &info, dev.box_pk, open_with, &dev, &lim), WK_ELIMIT);
		wk_buf_free(&plain);
	}
	/* A site length over 16 is refused before anything is copied (it once overflowed). */
	{
		char saved = e.ptr[8];
		e.ptr[8] = (char)200;
		CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL), WK_EINVALID);
		e.ptr[8] = saved;
	}
	/* A format from the future is named as such. */
	e.ptr[7] = 2;
	CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL), WK_EVERSION);
	wk_buf_free(&e);
}

static void test_seal_refuses(void)
{
	wk_buf e = WK_BUF_INIT;
	unsigned char r[2][32];
	wk_envelope_meta bad = meta;

	memcpy(r[0], dev.box_pk, 32);
	memcpy(r[1], dev.box_pk, 32);
	CHECK_EQ_INT(wk_envelope_seal(&e, &meta, (const unsigned char *)"x", 1, SIGNER,
	                              (const unsigned char (*)[32])r, 2), WK_EINVALID);
	bad.site = "L/EI";
	CHECK_EQ_INT(wk_envelope_seal(&e, &bad, (const unsigned char *)"x", 1, SIGNER,
	                              (const unsigned char (*)[32])r, 1), WK_EINVALID);
	bad.site = "L";
	CHECK_EQ_INT(wk_envelope_seal(&e, &bad, (const unsigned char *)"x", 1, SIGNER,
	                              (const unsigned char (*)[32])r, 1), WK_EINVALID);
	CHECK_EQ_INT(e.len, 0);
	wk_buf_free(&e);
}

/* The golden vector: a reader must accept these exact bytes and find what they say. */
static void test_golden(void)
{
	wk_buf hex = WK_BUF_INIT, bin = WK_BUF_INIT, plain = WK_BUF_INIT;
	wk_envelope_info info;
	size_t binlen = 0;

	CHECK_EQ_INT(wk_buf_read_file(&hex, test_src("tests/envelope/vectors/v1-small.hex"), 1 << 20, "vector"), 0);
	if (!hex.ptr)
		return;
	wk_buf_grow(&bin, hex.len / 2 + 1);
	CHECK_EQ_INT(sodium_hex2bin((unsigned char *)bin.ptr, hex.len / 2 + 1, hex.ptr, hex.len, "\n ", &binlen, NULL), 0);
	CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)bin.ptr, binlen, NULL), 0);
	CHECK_EQ_STR(info.site, "LEI");
	CHECK_EQ_STR(info.device, "d1");
	CHECK_EQ_INT(info.seq, 7);
	CHECK_EQ_INT(info.mode, 0);
	CHECK_EQ_INT(wk_envelope_verify(&info), 0);
	CHECK_EQ_INT(wk_envelope_decrypt(&plain, &info, officer.box_pk, open_with, &officer, NULL), 0);
	CHECK_EQ_STR(plain.ptr, "the golden payload");
	wk_buf_free(&hex);
	wk_buf_free(&bin);
	wk_buf_free(&plain);
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	make_party(&dev, 1);
	make_party(&officer, 2);
	make_party(&other, 3);
	make_party(&stranger, 4);
	if (argc > 1 && strcmp(argv[1], "--write-vector") == 0) {
		wk_buf e = WK_BUF_INIT;
		size_t i;

		seal(&e, (const unsigned char *)"the golden payload", 19);
		for (i = 0; i < e.len; i++)
			printf("%02x%s", (unsigned char)e.ptr[i], i % 32 == 31 ? "\n" : "");
		printf("\n");
		return 0;
	}
	test_round_trip(1);
	test_round_trip(5000);
	test_round_trip(WK_ENVELOPE_STREAM_MIN + 3 * WK_ENVELOPE_CHUNK + 17); /* secretstream, several chunks */
	test_every_bit_position();
	test_named_fields();
	test_truncation_and_caps();
	test_seal_refuses();
	test_golden();
	return test_summary();
}
