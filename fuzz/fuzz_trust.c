/*
 * fuzz_trust.c - parsing trust files and enrolment requests (sync/trust.h)
 * from hostile bytes: a trust file pinned by the region's root key (a
 * device's first), one opened against the trust in force (an update), and
 * an enrolment request as the region receives it. The golden vectors'
 * region NW is the world here (world.h).
 *
 * Checked beyond "no crash", for a trust file that opens: its JSON and
 * recipients can be made, and once signed again by its root it opens as
 * the next version of itself (what the library accepts, it can carry on).
 */
#include <stdint.h>
#include <string.h>

#include "trust.h"
#include "world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_nw_trust(2);
	return 0;
}

/* Use a trust file that opened: everything a reader does with one. */
static void exercise(const uint8_t *data, size_t size, const wk_trust *current, const unsigned char *pin)
{
	wk_trust *t = NULL, *cur = NULL, *next = NULL;
	wk_buf json = WK_BUF_INIT, signed_again = WK_BUF_INIT;
	unsigned char rcpt[16][32];
	size_t i, n = 0;

	if (fz_note(current ? "open" : "open pinned", wk_trust_open(&t, data, size, current, pin)) < 0)
		return;
	if (wk_trust_json(&json, t) < 0)
		fz_die("an opened trust file has no JSON");
	(void)wk_trust_recipients(t, "LEI", rcpt, 16, &n);
	(void)wk_trust_recipients(t, NULL, rcpt, 16, &n);
	for (i = 0; i < wk_trust_count(t); i++) {
		const wk_trust_entry *e = wk_trust_entry_at(t, i), *found = NULL;

		if (wk_trust_lookup(t, e->sign_pk, &found) < 0 || found != e)
			fz_die("an entry of an opened trust file is not found by its key");
		(void)wk_trust_check_signer(t, e->sign_pk, e->site, e->valid_from, WK_TRUST_DEVICE | WK_TRUST_OFFICER);
	}
	/* Signed again by its root (when that is the golden root), it is the next version. */
	if (memcmp(wk_trust_root_pk(t), fz_nw_root.sign_pk, 32) == 0 &&
	    wk_trust_open(&cur, data, size, current, pin) == 0) {
		if (wk_trust_sign(&signed_again, t, fz_nw_root.sign_sk, NULL) < 0)
			fz_die("an opened trust file cannot be signed again by its root");
		if (wk_trust_open(&next, (unsigned char *)signed_again.ptr, signed_again.len, cur, NULL) < 0)
			fz_die("a trust file signed again by its root does not open as the next version");
	}
	wk_trust_free(t);
	wk_trust_free(cur);
	wk_trust_free(next);
	wk_buf_free(&json);
	wk_buf_free(&signed_again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wk_trust_request r;
	wk_trust *draft = NULL;
	const wk_buf *v2 = fz_nw_file(2);

	exercise(data, size, NULL, fz_nw_root.sign_pk);
	exercise(data, size, fz_nw_trust(1), NULL);
	exercise(data, size, fz_nw_trust(2), NULL);
	if (fz_note("request", wk_trust_request_open(&r, data, size)) == 0) {
		if (wk_trust_open(&draft, (unsigned char *)v2->ptr, v2->len, fz_nw_trust(1), NULL) < 0)
			fz_die("the golden trust does not open");
		(void)wk_trust_add_request(draft, &r, 1);
		wk_trust_free(draft);
	}
	return 0;
}
