/*
 * fuzz_changeset.c - decoding changesets (sync/changeset.h) from hostile
 * bytes: what a device reads once an envelope has decrypted.
 *
 * Checked beyond "no crash": the format is canonical, so every byte string
 * the decoder accepts must pass wk_changeset_check and encode back to exactly
 * the same bytes, with wk_changeset_size equal to its length.
 */
#include <stdint.h>
#include <string.h>

#include "changeset.h"
#include "world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wk_changeset *cs = NULL;
	wk_buf again = WK_BUF_INIT;
	unsigned char hash[WK_CHANGESET_HASH_BYTES];

	if (fz_note("decode", wk_changeset_decode(&cs, data, size, NULL)) < 0) {
		if (cs)
			fz_die("a refused changeset left *out set");
		return 0;
	}
	if (wk_changeset_check(cs) < 0)
		fz_die("a decoded changeset fails wk_changeset_check");
	if (wk_changeset_size(cs) != size)
		fz_die("a decoded changeset's size is not its encoding's length");
	if (wk_changeset_encode(&again, cs) < 0)
		fz_die("a decoded changeset does not encode");
	if (again.len != size || memcmp(again.ptr, data, size) != 0)
		fz_die("a decoded changeset encodes to other bytes (the format is not canonical)");
	wk_changeset_hash(hash, data, size);
	wk_buf_free(&again);
	wk_changeset_free(cs);
	return 0;
}
