/*
 * fuzz_envelope.c - opening envelopes (sync/envelope.h) from hostile bytes,
 * as a device does with what it fetched from the git host or a bundle: the
 * layout parse, the trust check of the signer, the signature, decryption
 * with d2's key and decoding; then the same bytes through wk_ledger_accept
 * into d2's store, which runs every check and quarantines a refusal.
 *
 * Mutated envelopes stop at the signature: the harness fuzz_envelope_sealed
 * reaches what lies behind it. The seeds (d1's envelopes, compressed by the
 * writer, and the golden vectors of formats 1 and 2) pass it, so decryption
 * and inflation run on each; an envelope that opens must come to the length
 * its header declares.
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
	wk_envelope_info info;
	wk_buf plain = WK_BUF_INIT;
	wk_changeset *cs = NULL;
	const wk_ledger_keys *k = fz_keys();

	if (wk_envelope_parse(&info, data, size, NULL) == 0) {
		if (info.header_len > size || info.payload + info.payload_len != data + size)
			fz_die("a parsed envelope points outside its bytes");
		(void)wk_trust_check_signer(fz_trust(), info.signer, info.site, info.seq,
		                            WK_TRUST_DEVICE | WK_TRUST_OFFICER);
		if (wk_envelope_verify(&info) == 0 &&
		    fz_note("decrypt", wk_envelope_decrypt(&plain, &info, k->box_pk, k->open_sealed, k->open_ctx,
		                                           NULL)) == 0) {
			if ((info.mode & WK_ENVELOPE_MODE_DEFLATE) && plain.len != info.inflated_len)
				fz_die("a compressed envelope opens to another length than its header declares");
			if (wk_changeset_decode(&cs, (const unsigned char *)plain.ptr, plain.len, NULL) == 0)
				wk_changeset_free(cs);
		}
		wk_buf_free(&plain);
	}
	fz_store_after(fz_note("accept", wk_ledger_accept(fz_store(), k, data, size, "fuzz")) == WK_LEDGER_APPLIED);
	return 0;
}
