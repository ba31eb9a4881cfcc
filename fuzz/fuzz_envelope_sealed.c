/*
 * fuzz_envelope_sealed.c - what lies behind an envelope's signature: the
 * input is the plaintext a device sealed. The harness seals it with the
 * fixed keys of the world (signed by d1, or by the officer when the
 * changeset names device r1; encrypted to LEI's recipients), so every input
 * passes the signature and the decryption, and reaches the changeset
 * decoder, the header/changeset agreement, the scope check and the apply in
 * wk_ledger_accept on d2's store.
 *
 * The envelope's header takes the site, device, sequence and previous hash
 * from the changeset when it decodes (else LEI/d1 #1), so a valid changeset
 * is accepted. Checked beyond "no crash": what is sealed opens to exactly
 * the input (compressed by the writer when that makes it smaller).
 *
 * Then the same input as the compressed payload itself: sealed as a raw
 * deflate stream (wk_envelope_seal_as), behind a valid signature, so that
 * the reader's inflation meets hostile streams (bombs, cut short, bytes
 * after the end, not deflate). The declared length is what a plain one-shot
 * inflate by zlib (the reference, at most FZ_INFLATE_CAP bytes) makes of
 * the input, or one byte less or more, with the reader's cap at that or one
 * byte below, chosen by the input's length: the envelope must open exactly
 * when the reference ended cleanly at the declared length within the cap,
 * and then to the reference's bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "changeset.h"
#include "envelope.h"
#include "world.h"

#define FZ_INFLATE_CAP ((size_t)1 << 20)

/* The reference: one inflate call into a buffer of cap + 1 bytes. 1 when the stream ended, all input used. */
static int ref_inflate(const uint8_t *data, size_t size, unsigned char *out, size_t cap, size_t *outlen)
{
	z_stream s;
	int zr;

	memset(&s, 0, sizeof(s));
	if (inflateInit2(&s, -15) != Z_OK)
		fz_die("cannot start zlib");
	s.next_in = (Bytef *)(uintptr_t)data;
	s.avail_in = (uInt)size;
	s.next_out = out;
	s.avail_out = (uInt)(cap + 1);
	zr = inflate(&s, Z_FINISH);
	*outlen = cap + 1 - s.avail_out;
	inflateEnd(&s);
	return zr == Z_STREAM_END && s.avail_in == 0 && *outlen <= cap;
}

static void as_deflate(const uint8_t *data, size_t size, const unsigned char (*rcpt)[32], size_t nrcpt)
{
	static const unsigned char zero[32];
	static unsigned char *ref;
	wk_envelope_meta meta = { FZ_SITE, "d1", 1, zero };
	wk_envelope_encoding enc = { 2, 1, 0 };
	wk_envelope_limits lim = WK_ENVELOPE_LIMITS_INIT;
	const wk_ledger_keys *k = fz_keys();
	wk_envelope_info info;
	wk_buf env = WK_BUF_INIT, plain = WK_BUF_INIT;
	size_t reflen;
	int clean, rc;

	if (!ref && !(ref = malloc(FZ_INFLATE_CAP + 1)))
		fz_die("out of memory");
	clean = ref_inflate(data, size, ref, FZ_INFLATE_CAP, &reflen);
	enc.inflated_len = reflen;
	lim.max_payload = FZ_INFLATE_CAP;
	switch (size % 4) {
	case 1: if (reflen > 0) enc.inflated_len--; break;
	case 2: enc.inflated_len++; break;
	case 3: if (reflen > 0) lim.max_payload = reflen - 1; break;
	default: break;
	}
	clean = clean && enc.inflated_len == reflen && reflen <= lim.max_payload;
	if (wk_envelope_seal_as(&env, &meta, &enc, data, size, fz_d1.sign_pk, sign_as, &fz_d1, rcpt, nrcpt) < 0)
		fz_die("cannot seal a deflate payload");
	if (wk_envelope_parse(&info, (unsigned char *)env.ptr, env.len, NULL) < 0 || wk_envelope_verify(&info) < 0)
		fz_die("an envelope just sealed does not verify");
	rc = fz_note("inflate", wk_envelope_decrypt(&plain, &info, k->box_pk, k->open_sealed, k->open_ctx, &lim));
	if ((rc == 0) != clean)
		fz_die(clean ? "a deflate stream zlib inflates cleanly is refused" :
		       "a deflate stream zlib does not inflate cleanly is accepted");
	if (rc == 0 && (plain.len != reflen || (reflen && memcmp(plain.ptr, ref, reflen) != 0)))
		fz_die("a deflate payload opens to other bytes than zlib makes of it");
	if (rc < 0 && (plain.len != 0 || plain.cap > (size_t)enc.inflated_len + 1))
		fz_die("a refused deflate payload left plaintext behind, or grew past its declared length");
	wk_buf_free(&env);
	wk_buf_free(&plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_store();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char zero[32];
	wk_envelope_meta meta = { FZ_SITE, "d1", 1, zero };
	wk_envelope_info info;
	wk_buf env = WK_BUF_INIT, plain = WK_BUF_INIT;
	wk_changeset *cs = NULL;
	const wk_ledger_keys *k = fz_keys();
	const unsigned char (*rcpt)[32];
	party *signer = &fz_d1;
	size_t nrcpt;

	if (wk_changeset_decode(&cs, data, size, NULL) == 0) {
		meta.site = cs->site;
		meta.device = cs->device;
		meta.seq = cs->seq;
		meta.prev = cs->prev;
		if (strcmp(cs->device, "r1") == 0)
			signer = &fz_officer;
	}
	rcpt = fz_recipients(&nrcpt);
	if (wk_envelope_seal(&env, &meta, data, size, signer->sign_pk, sign_as, signer, rcpt, nrcpt) < 0)
		goto out;
	if (wk_envelope_parse(&info, (unsigned char *)env.ptr, env.len, NULL) < 0 || wk_envelope_verify(&info) < 0 ||
	    wk_envelope_decrypt(&plain, &info, k->box_pk, k->open_sealed, k->open_ctx, NULL) < 0)
		fz_die("an envelope just sealed does not open");
	if (plain.len != size || (size && memcmp(plain.ptr, data, size) != 0))
		fz_die("an envelope opens to other bytes than were sealed");
	fz_store_after(fz_note("accept", wk_ledger_accept(fz_store(), k, (unsigned char *)env.ptr, env.len, "fuzz")) ==
	               WK_LEDGER_APPLIED);
	as_deflate(data, size, rcpt, nrcpt);
out:
	wk_changeset_free(cs);
	wk_buf_free(&env);
	wk_buf_free(&plain);
	return 0;
}
