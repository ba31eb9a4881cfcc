/*
 * Envelopes: what one device seals, its recipients open; anything changed on
 * the way (a bit in any header field, the signature, a recipient block or the
 * payload), cut short or oversized is refused before decryption.
 *
 * Format 2 compresses what shrinks: a compressed envelope opens to exactly
 * what was sealed, what does not shrink is stored and no bigger than in
 * format 1, and a hostile deflate stream behind a valid signature (a bomb,
 * cut short, with bytes after its end, not deflate, shorter or longer than
 * declared) is refused with a message naming what failed, out never growing
 * past the declared length. Format 1 envelopes (stores hold them) still open.
 *
 * Run with --write-vector v1|v2 to print a golden vector (its bytes are
 * random: the vector pins what a reader must accept, not what a writer
 * produces); v2 also prints the deflate stream inside, on stderr.
 */
#define _GNU_SOURCE /* memmem */
#include "test.h"
#include "buf.h"
#include "envelope.h"
#include "error.h"

#include <sodium.h>
#include <zlib.h>

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

/* Seal payload as given, in the encoding enc says (wk_envelope_seal_as), to the same three recipients. */
static int seal_enc(wk_buf *out, const wk_envelope_encoding *enc, const unsigned char *payload, size_t len)
{
	const unsigned char recips[3][32];

	memcpy((void *)recips[0], officer.box_pk, 32);
	memcpy((void *)recips[1], dev.box_pk, 32);
	memcpy((void *)recips[2], other.box_pk, 32);
	return wk_envelope_seal_as(out, &meta, enc, payload, len, SIGNER, recips, 3);
}

/* Raw deflate (what a format 2 writer puts inside) of n bytes of p, then of `zeros` zero bytes. */
static void deflate_raw(wk_buf *z, const void *p, size_t n, size_t zeros)
{
	static unsigned char zero[1 << 20];
	unsigned char out[1 << 16];
	z_stream s;
	int flush;

	memset(&s, 0, sizeof(s));
	if (deflateInit2(&s, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	s.next_in = (Bytef *)(uintptr_t)p;
	s.avail_in = (uInt)n;
	do {
		if (s.avail_in == 0 && zeros > 0) {
			s.next_in = zero;
			s.avail_in = (uInt)(zeros < sizeof(zero) ? zeros : sizeof(zero));
			zeros -= s.avail_in;
		}
		flush = zeros == 0 ? Z_FINISH : Z_NO_FLUSH;
		do {
			s.next_out = out;
			s.avail_out = sizeof(out);
			deflate(&s, flush);
			wk_buf_put(z, out, sizeof(out) - s.avail_out);
		} while (s.avail_out == 0);
	} while (flush != Z_FINISH);
	deflateEnd(&s);
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
	/* Random bytes do not shrink: stored as they are, flagged so, and not one byte bigger than in format 1. */
	CHECK_EQ_INT(info.format, 2);
	CHECK_EQ_INT(info.mode, len >= WK_ENVELOPE_STREAM_MIN ? WK_ENVELOPE_MODE_STREAM : 0);
	CHECK_EQ_INT(info.inflated_len, 0);
	{
		wk_envelope_encoding v1 = { 1, 0, 0 };
		wk_buf e1 = WK_BUF_INIT;

		CHECK_EQ_INT(seal_enc(&e1, &v1, payload, len), 0);
		CHECK_EQ_INT(e.len, e1.len);
		/* And what wicket wrote before compression still opens. */
		CHECK_EQ_INT(open_all((unsigned char *)e1.ptr, e1.len, &officer, payload, len), 0);
		wk_buf_free(&e1);
	}
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
	/* A format from the future is named as such; format 0 never existed. */
	e.ptr[7] = 3;
	CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL), WK_EVERSION);
	CHECK_CONTAINS(wk_error_msg(), "upgrade wicket");
	e.ptr[7] = 0;
	CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL), WK_EINVALID);
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

/* Text that compresses as a changeset does: the same names over and over, values changing. */
static unsigned char *text_payload(size_t len)
{
	unsigned char *p = malloc(len + 64);
	size_t n = 0;
	unsigned i = 0;

	while (n < len)
		n += (size_t)snprintf((char *)p + n, 64, "assessment omu/1.%u status met Pat Jones %u\n", i % 97, i), i++;
	return p;
}

/* What compresses is sealed compressed, smaller, and opens to exactly what was sealed. */
static void test_compressed_round_trip(size_t len, int random_halves)
{
	unsigned char *payload = text_payload(len);
	wk_buf e = WK_BUF_INIT, e1 = WK_BUF_INIT;
	wk_envelope_encoding v1 = { 1, 0, 0 };
	wk_envelope_info info;
	size_t i;

	/* Random 64-byte blocks every other block: a payload that shrinks by about half, not more. */
	for (i = 0; random_halves && i + 128 <= len; i += 128)
		randombytes_buf(payload + i, 64);
	CHECK_EQ_INT(seal(&e, payload, len), 0);
	CHECK_EQ_INT(seal_enc(&e1, &v1, payload, len), 0);
	CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL), 0);
	CHECK_EQ_INT(info.format, 2);
	CHECK(info.mode & WK_ENVELOPE_MODE_DEFLATE);
	CHECK_EQ_INT(info.inflated_len, len);
	/* Secretstream when what is encrypted (compressed) is 1 MiB or more. */
	CHECK_EQ_INT(info.mode & WK_ENVELOPE_MODE_STREAM,
	             info.payload_len >= WK_ENVELOPE_STREAM_MIN ? WK_ENVELOPE_MODE_STREAM : 0);
	CHECK(e.len < e1.len);
	CHECK(random_halves ? e.len < e1.len * 3 / 4 : e.len < e1.len / 3);
	CHECK_EQ_INT(open_all((unsigned char *)e.ptr, e.len, &dev, payload, len), 0);
	CHECK_EQ_INT(open_all((unsigned char *)e.ptr, e.len, &other, payload, len), 0);
	CHECK_EQ_INT(open_all((unsigned char *)e.ptr, e.len, &stranger, payload, len), WK_ENOTFOUND);
	CHECK(memmem(e.ptr, e.len, "assessment", 10) == NULL);
	free(payload);
	wk_buf_free(&e);
	wk_buf_free(&e1);
}

/* A small payload is never made bigger: every length 0..300, text and random, against format 1. */
static void test_small_never_bigger(void)
{
	unsigned char *text = text_payload(300), rnd[300];
	wk_envelope_encoding v1 = { 1, 0, 0 };
	wk_buf e = WK_BUF_INIT, e1 = WK_BUF_INIT;
	size_t len, bigger = 0, compressed = 0, opened = 0;
	int k;

	randombytes_buf(rnd, sizeof(rnd));
	for (len = 0; len <= 300; len++)
		for (k = 0; k < 2; k++) {
			const unsigned char *p = k ? rnd : text;
			wk_envelope_info info;

			wk_buf_clear(&e);
			wk_buf_clear(&e1);
			if (seal(&e, p, len) < 0 || seal_enc(&e1, &v1, p, len) < 0 ||
			    wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL) < 0)
				continue;
			bigger += e.len > e1.len;
			compressed += (info.mode & WK_ENVELOPE_MODE_DEFLATE) != 0;
			opened += open_all((unsigned char *)e.ptr, e.len, &dev, p, len) == 0;
		}
	CHECK_EQ_INT(bigger, 0);
	CHECK_EQ_INT(opened, 2 * 301);
	CHECK(compressed > 100 && compressed < 301); /* the text from some length on, never the random bytes */
	free(text);
	wk_buf_free(&e);
	wk_buf_free(&e1);
}

/* Open for dev with these limits; the error code, and *cap the plaintext buffer's size afterwards. */
static int open_lim(const wk_buf *e, const wk_envelope_limits *lim, size_t *cap)
{
	wk_envelope_info info;
	wk_buf plain = WK_BUF_INIT;
	int rc;

	if ((rc = wk_envelope_parse(&info, (unsigned char *)e->ptr, e->len, NULL)) < 0 ||
	    (rc = wk_envelope_verify(&info)) < 0)
		return rc;
	rc = wk_envelope_decrypt(&plain, &info, dev.box_pk, open_with, &dev, lim);
	if (cap)
		*cap = plain.cap;
	wk_buf_free(&plain);
	return rc;
}

/* Hostile deflate streams behind a valid signature: each refused, naming what failed. */
static void test_hostile_streams(void)
{
	unsigned char *text = text_payload(4000);
	wk_buf z = WK_BUF_INIT, bomb = WK_BUF_INIT, e = WK_BUF_INIT, e1 = WK_BUF_INIT;
	wk_envelope_encoding enc = { 2, 1, 4000 };
	wk_envelope_limits lim = WK_ENVELOPE_LIMITS_INIT;
	wk_envelope_info info;
	size_t cut, cap = 0, refused = 0, named = 0;

	deflate_raw(&z, text, 4000, 0);
	CHECK(z.len > 100 && z.len < 1000);
	CHECK_EQ_INT(seal_enc(&e, &enc, (unsigned char *)z.ptr, z.len), 0);
	CHECK_EQ_INT(open_all((unsigned char *)e.ptr, e.len, &dev, text, 4000), 0);

	/* A bomb: 80 MiB of zeros in about 80 KiB. Declared as 1 MiB, it stops at 1 MiB and a byte. */
	deflate_raw(&bomb, NULL, 0, (size_t)80 << 20);
	CHECK(bomb.len < (size_t)100 << 10);
	enc.inflated_len = (size_t)1 << 20;
	wk_buf_clear(&e);
	CHECK_EQ_INT(seal_enc(&e, &enc, (unsigned char *)bomb.ptr, bomb.len), 0);
	CHECK_EQ_INT(open_lim(&e, NULL, &cap), WK_ELIMIT);
	CHECK_CONTAINS(wk_error_msg(), "inflates to more than the 1048576 bytes its header declares");
	CHECK(cap <= ((size_t)1 << 20) + 1); /* never more memory than declared */
	/* Declared as the 64 MiB cap itself: refused at the cap, never holding more. */
	enc.inflated_len = (size_t)64 << 20;
	wk_buf_clear(&e);
	CHECK_EQ_INT(seal_enc(&e, &enc, (unsigned char *)bomb.ptr, bomb.len), 0);
	CHECK_EQ_INT(open_lim(&e, NULL, &cap), WK_ELIMIT);
	CHECK_CONTAINS(wk_error_msg(), "inflates to more than the 67108864 bytes");
	CHECK(cap <= ((size_t)64 << 20) + 1);
	/* A declared length over the reader's cap is refused before anything is decrypted or allocated. */
	lim.max_payload = (size_t)32 << 20;
	CHECK_EQ_INT(open_lim(&e, &lim, &cap), WK_ELIMIT);
	CHECK_CONTAINS(wk_error_msg(), "declares a changeset of 67108864 bytes, over the limit of 33554432");
	CHECK_EQ_INT(cap, 0);
	CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, &lim), WK_ELIMIT);
	/* The writer cannot declare more than the cap either. */
	enc.inflated_len = ((size_t)64 << 20) + 1;
	wk_buf_clear(&e);
	CHECK_EQ_INT(seal_enc(&e, &enc, (unsigned char *)bomb.ptr, bomb.len), WK_ELIMIT);
	CHECK_EQ_INT(e.len, 0);

	/* Cut short anywhere: refused, and named as such. */
	enc.inflated_len = 4000;
	for (cut = 0; cut < z.len; cut++) {
		wk_buf_clear(&e);
		if (seal_enc(&e, &enc, (unsigned char *)z.ptr, cut) < 0)
			continue;
		if (open_lim(&e, NULL, NULL) == WK_EINVALID)
			refused++;
		if (strstr(wk_error_msg(), "cut short (the deflate stream does not end)"))
			named++;
	}
	CHECK_EQ_INT(refused, z.len);
	CHECK_EQ_INT(named, z.len);
	/* Bytes after the end of the stream. */
	wk_buf_clear(&e1);
	wk_buf_put(&e1, z.ptr, z.len);
	wk_buf_put(&e1, "\0\0\0", 3);
	wk_buf_clear(&e);
	CHECK_EQ_INT(seal_enc(&e, &enc, (unsigned char *)e1.ptr, e1.len), 0);
	CHECK_EQ_INT(open_lim(&e, NULL, NULL), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "has 3 bytes after the end of its deflate stream");
	/* Not deflate at all (a final block of the reserved type 3). */
	wk_buf_clear(&e);
	CHECK_EQ_INT(seal_enc(&e, &enc, (const unsigned char *)"\xff\xff\xff\xff", 4), 0);
	CHECK_EQ_INT(open_lim(&e, NULL, NULL), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "is not a valid deflate stream (zlib: invalid block type)");
	/* Shorter, then longer, than declared by one byte. */
	enc.inflated_len = 4001;
	wk_buf_clear(&e);
	CHECK_EQ_INT(seal_enc(&e, &enc, (unsigned char *)z.ptr, z.len), 0);
	CHECK_EQ_INT(open_lim(&e, NULL, NULL), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "inflates to 4000 bytes, not the 4001 its header declares");
	enc.inflated_len = 3999;
	wk_buf_clear(&e);
	CHECK_EQ_INT(seal_enc(&e, &enc, (unsigned char *)z.ptr, z.len), 0);
	CHECK_EQ_INT(open_lim(&e, NULL, &cap), WK_ELIMIT);
	CHECK_CONTAINS(wk_error_msg(), "inflates to more than the 3999 bytes its header declares");
	CHECK(cap <= 4000);
	/* The empty stream, declared empty, is an empty payload. */
	enc.inflated_len = 0;
	wk_buf_clear(&e);
	CHECK_EQ_INT(seal_enc(&e, &enc, (const unsigned char *)"\x03\x00", 2), 0);
	CHECK_EQ_INT(open_all((unsigned char *)e.ptr, e.len, &dev, (const unsigned char *)"", 0), 0);
	free(text);
	wk_buf_free(&z);
	wk_buf_free(&bomb);
	wk_buf_free(&e);
	wk_buf_free(&e1);
}

/*
 * The mode and the inflated length are covered twice: by the signature, and by
 * the AEAD's additional data (a header re-signed with the device's own key
 * after the change still does not decrypt). Modes a format does not have are
 * refused by the layout parse.
 */
static void test_compression_flag_bound(void)
{
	unsigned char *text = text_payload(2000);
	wk_buf e = WK_BUF_INIT;
	wk_envelope_info info;
	size_t mode_at, len_at;

	CHECK_EQ_INT(seal(&e, text, 2000), 0);
	CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL), 0);
	CHECK_EQ_INT(info.mode, WK_ENVELOPE_MODE_DEFLATE);
	mode_at = (size_t)(info.recipients - (const unsigned char *)e.ptr) + info.nrecipients * 112;
	len_at = mode_at + 1;
	CHECK_EQ_INT((unsigned char)e.ptr[mode_at], 2);
	CHECK_EQ_INT((unsigned char)e.ptr[len_at + 6], 2000 >> 8);
	CHECK_EQ_INT((unsigned char)e.ptr[len_at + 7], 2000 & 0xff);
	/* The inflated length: a flip is refused by the signature; re-signed, by the AEAD. */
	e.ptr[len_at + 7] ^= 1;
	CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL), 0);
	CHECK_EQ_INT(wk_envelope_verify(&info), WK_EBADSIG);
	crypto_sign_detached((unsigned char *)e.ptr + info.header_len, NULL, (unsigned char *)e.ptr,
	                     info.header_len, dev.sign_sk);
	CHECK_EQ_INT(open_all((unsigned char *)e.ptr, e.len, &dev, text, 2000), WK_EBADSIG);
	CHECK_CONTAINS(wk_error_msg(), "does not decrypt");
	e.ptr[len_at + 7] ^= 1;
	crypto_sign_detached((unsigned char *)e.ptr + info.header_len, NULL, (unsigned char *)e.ptr,
	                     info.header_len, dev.sign_sk);
	CHECK_EQ_INT(open_all((unsigned char *)e.ptr, e.len, &dev, text, 2000), 0);
	/* Mode 3 (secretstream, deflate) over the same bytes: the layout holds, the signature does not. */
	e.ptr[mode_at] = 3;
	CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL), 0);
	CHECK_EQ_INT(wk_envelope_verify(&info), WK_EBADSIG);
	/* Mode 0 (stored): the header is 8 bytes shorter, so the layout no longer holds. */
	e.ptr[mode_at] = 0;
	CHECK(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL) < 0 || wk_envelope_verify(&info) < 0);
	/* Format 2 has no mode 4; format 1 has no deflate. */
	e.ptr[mode_at] = 4;
	CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "mode 4 is not known in format 2");
	e.ptr[mode_at] = 2;
	e.ptr[7] = 1;
	CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "mode 2 is not known in format 1");
	e.ptr[7] = 2;
	CHECK_EQ_INT(open_all((unsigned char *)e.ptr, e.len, &dev, text, 2000), 0);
	free(text);
	wk_buf_free(&e);
}

/* Every bit of a compressed envelope, and of a format 1 one, as test_every_bit_position. */
static void test_every_bit_other_forms(void)
{
	unsigned char *text = text_payload(600);
	wk_envelope_encoding v1 = { 1, 0, 0 };
	wk_buf e = WK_BUF_INIT;
	wk_envelope_info info;
	size_t i, accepted = 0, refused = 0;
	int form;

	for (form = 0; form < 2; form++) {
		wk_buf_clear(&e);
		CHECK_EQ_INT(form ? seal_enc(&e, &v1, text, 600) : seal(&e, text, 600), 0);
		CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL), 0);
		CHECK_EQ_INT(info.mode, form ? 0 : WK_ENVELOPE_MODE_DEFLATE);
		for (i = 0; i < e.len; i++) {
			e.ptr[i] ^= (char)(1 << (i % 8));
			if (wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL) < 0 || wk_envelope_verify(&info) < 0)
				refused++;
			else
				accepted++;
			e.ptr[i] ^= (char)(1 << (i % 8));
		}
		CHECK_EQ_INT(open_all((unsigned char *)e.ptr, e.len, &dev, text, 600), 0);
	}
	CHECK_EQ_INT(accepted, 0);
	CHECK(refused > 1000);
	free(text);
	wk_buf_free(&e);
}

/* A format 1 envelope in secretstream (a large changeset a store already holds) still opens. */
static void test_format1_stream(void)
{
	size_t len = WK_ENVELOPE_STREAM_MIN + WK_ENVELOPE_CHUNK + 5;
	unsigned char *payload = text_payload(len);
	wk_envelope_encoding v1 = { 1, 0, 0 };
	wk_buf e = WK_BUF_INIT;
	wk_envelope_info info;

	CHECK_EQ_INT(seal_enc(&e, &v1, payload, len), 0);
	CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)e.ptr, e.len, NULL), 0);
	CHECK_EQ_INT(info.format, 1);
	CHECK_EQ_INT(info.mode, WK_ENVELOPE_MODE_STREAM);
	CHECK_EQ_INT(open_all((unsigned char *)e.ptr, e.len, &officer, payload, len), 0);
	/* Format 1 cannot be written compressed. */
	v1.deflated = 1;
	v1.inflated_len = len;
	CHECK_EQ_INT(seal_enc(&e, &v1, payload, 10), WK_EUSAGE);
	free(payload);
	wk_buf_free(&e);
}

/* The second golden vector's payload: ten lines, "the golden payload 0\n" to "... 9\n" (210 bytes). */
static size_t golden2_payload(char out[256])
{
	size_t n = 0;
	int i;

	for (i = 0; i < 10; i++)
		n += (size_t)snprintf(out + n, 256 - n, "the golden payload %d\n", i);
	return n;
}

/* A golden vector: a reader must accept these exact bytes and find what they say. */
static void test_golden(const char *file, unsigned format, unsigned mode, const char *want, size_t wlen)
{
	wk_buf hex = WK_BUF_INIT, bin = WK_BUF_INIT, plain = WK_BUF_INIT;
	wk_envelope_info info;
	size_t binlen = 0;

	CHECK_EQ_INT(wk_buf_read_file(&hex, test_src(file), 1 << 20, "vector"), 0);
	if (!hex.ptr)
		return;
	wk_buf_grow(&bin, hex.len / 2 + 1);
	CHECK_EQ_INT(sodium_hex2bin((unsigned char *)bin.ptr, hex.len / 2 + 1, hex.ptr, hex.len, "\n ", &binlen, NULL), 0);
	CHECK_EQ_INT(wk_envelope_parse(&info, (unsigned char *)bin.ptr, binlen, NULL), 0);
	CHECK_EQ_STR(info.site, "LEI");
	CHECK_EQ_STR(info.device, "d1");
	CHECK_EQ_INT(info.seq, 7);
	CHECK_EQ_INT(info.format, format);
	CHECK_EQ_INT(info.mode, mode);
	CHECK_EQ_INT(info.inflated_len, mode & WK_ENVELOPE_MODE_DEFLATE ? wlen : 0);
	CHECK_EQ_INT(wk_envelope_verify(&info), 0);
	CHECK_EQ_INT(wk_envelope_decrypt(&plain, &info, officer.box_pk, open_with, &officer, NULL), 0);
	CHECK_EQ_INT(plain.len, wlen);
	CHECK(plain.ptr && memcmp(plain.ptr, want, wlen) == 0);
	wk_buf_free(&hex);
	wk_buf_free(&bin);
	wk_buf_free(&plain);
}

static void print_hex(const unsigned char *p, size_t n, FILE *f)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x%s", p[i], i % 32 == 31 ? "\n" : "");
	fprintf(f, "\n");
}

int main(int argc, char **argv)
{
	char g2[256];
	size_t g2len = golden2_payload(g2);

	if (sodium_init() < 0)
		return 1;
	make_party(&dev, 1);
	make_party(&officer, 2);
	make_party(&other, 3);
	make_party(&stranger, 4);
	if (argc > 2 && strcmp(argv[1], "--write-vector") == 0) {
		wk_envelope_encoding v1 = { 1, 0, 0 };
		wk_buf e = WK_BUF_INIT, z = WK_BUF_INIT;

		if (strcmp(argv[2], "v1") == 0) {
			seal_enc(&e, &v1, (const unsigned char *)"the golden payload", 19);
		} else {
			wk_envelope_encoding v2 = { 2, 1, 0 };

			/* Sealed with this stream (level 9, 32 KiB window), whatever level the writer now uses. */
			deflate_raw(&z, g2, g2len, 0);
			fprintf(stderr, "deflate stream, %zu bytes:\n", z.len);
			print_hex((unsigned char *)z.ptr, z.len, stderr);
			v2.inflated_len = g2len;
			seal_enc(&e, &v2, (unsigned char *)z.ptr, z.len);
		}
		print_hex((unsigned char *)e.ptr, e.len, stdout);
		return 0;
	}
	test_round_trip(1);
	test_round_trip(5000);
	test_round_trip(WK_ENVELOPE_STREAM_MIN + 3 * WK_ENVELOPE_CHUNK + 17); /* secretstream, several chunks */
	test_every_bit_position();
	test_named_fields();
	test_truncation_and_caps();
	test_seal_refuses();
	test_compressed_round_trip(5000, 0);
	test_compressed_round_trip((size_t)3 << 20, 1); /* about 1.6 MiB compressed: secretstream and deflate */
	test_small_never_bigger();
	test_hostile_streams();
	test_compression_flag_bound();
	test_every_bit_other_forms();
	test_format1_stream();
	test_golden("tests/envelope/vectors/v1-small.hex", 1, 0, "the golden payload", 19);
	test_golden("tests/envelope/vectors/v2-deflate.hex", 2, WK_ENVELOPE_MODE_DEFLATE, g2, g2len);
	return test_summary();
}
