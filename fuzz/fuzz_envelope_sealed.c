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
 * the input.
 */
#include <stdint.h>
#include <string.h>

#include "changeset.h"
#include "envelope.h"
#include "world.h"

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
out:
	wk_changeset_free(cs);
	wk_buf_free(&env);
	wk_buf_free(&plain);
	return 0;
}
