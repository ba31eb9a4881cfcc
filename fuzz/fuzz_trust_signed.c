/*
 * fuzz_trust_signed.c - what lies behind a trust file's signatures: the
 * input is a body (docs/format/trust.md: magic through the last entry) and
 * the harness signs it with the golden region's keys, so every input passes
 * rule 6 (the signatures) and reaches rules 7 to 9 (region, rollback, root,
 * history) against the trust in force, and whatever follows an open:
 *   - body + the root's signature, opened pinned by the root and against
 *     versions 1 and 2;
 *   - body + the second root's + the root's signature (a handover), against
 *     version 2;
 *   - as an enrolment request body, + the signature of the golden key of
 *     seed 6 (request.hex's requester), enrolled into a draft of version 2.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trust.h"
#include "world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static fz_golden_key requester;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char s[32];

	(void)argc;
	(void)argv;
	fz_nw_trust(2);
	memset(s, 6, sizeof(s));
	crypto_sign_seed_keypair(requester.sign_pk, requester.sign_sk, s);
	return 0;
}

static void try_open(const unsigned char *file, size_t n, const wk_trust *current, const unsigned char *pin)
{
	wk_trust *t = NULL;
	wk_buf json = WK_BUF_INIT;

	if (fz_note(current ? "open" : "open pinned", wk_trust_open(&t, file, n, current, pin)) == 0) {
		if (wk_trust_json(&json, t) < 0)
			fz_die("an opened trust file has no JSON");
		wk_buf_free(&json);
		wk_trust_free(t);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *file;
	wk_trust_request r;
	wk_trust *draft = NULL;
	const wk_buf *v2 = fz_nw_file(2);

	if (!(file = malloc(size + 128)))
		return 0;
	if (size)
		memcpy(file, data, size);
	crypto_sign_detached(file + size, NULL, data, size, fz_nw_root.sign_sk);
	try_open(file, size + 64, NULL, fz_nw_root.sign_pk);
	try_open(file, size + 64, fz_nw_trust(1), NULL);
	try_open(file, size + 64, fz_nw_trust(2), NULL);
	crypto_sign_detached(file + size, NULL, data, size, fz_nw_root2.sign_sk);
	crypto_sign_detached(file + size + 64, NULL, data, size, fz_nw_root.sign_sk);
	try_open(file, size + 128, fz_nw_trust(2), NULL);
	try_open(file, size + 128, NULL, fz_nw_root.sign_pk);
	crypto_sign_detached(file + size, NULL, data, size, requester.sign_sk);
	if (fz_note("request", wk_trust_request_open(&r, file, size + 64)) == 0) {
		if (wk_trust_open(&draft, (unsigned char *)v2->ptr, v2->len, fz_nw_trust(1), NULL) < 0)
			fz_die("the golden trust does not open");
		(void)wk_trust_add_request(draft, &r, 1);
		wk_trust_free(draft);
	}
	free(file);
	return 0;
}
