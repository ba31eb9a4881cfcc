/*
 * fuzz_policy_data.c - the policy host's data chunks (client/policy.h,
 * wk_policy_data_json): hostile Lua text run in the sandbox, its value
 * turned into canonical JSON, as the EDM catalogue and test files are read.
 * The sandbox's budgets (tightened for fuzzing: world.h) must stop every
 * input; libFuzzer's -timeout and -rss_limit_mb catch one that escapes.
 *
 * Checked beyond "no crash": the JSON produced parses.
 */
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "policy.h"
#include "world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wk_policy_limits lim = fz_policy_limits();
	wk_buf out = WK_BUF_INIT;
	json_t *j;

	if (fz_note("data", wk_policy_data_json(&out, "national/fuzz.lua", (const char *)data, size, &lim)) == 0) {
		if (!out.ptr || !(j = json_loadb(out.ptr, out.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL)))
			fz_die("a data chunk's JSON does not parse");
		json_decref(j);
	}
	wk_buf_free(&out);
	return 0;
}
