/*
 * fuzz_policy_input.c - hostile JSON handed to the policy host
 * (client/policy.h): the input is an entry name, a newline and the entry's
 * input JSON, run through the national rules and an establishment's scripts
 * (policies/sites/HMP-A/rules.lua, which uses every hook) in the sandbox.
 * The budgets are tightened for fuzzing (world.h).
 *
 * Checked beyond "no crash": a result is a JSON object naming the scripts.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static wk_policy_script scripts[WK_POLICY_MAX_SCRIPTS];
static size_t nscripts;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const wk_policy_script *nat;
	size_t n, i;

	(void)argc;
	(void)argv;
	fz_world_init();
	nat = fz_national(&n);
	for (i = 0; i < n; i++)
		scripts[nscripts++] = nat[i];
	scripts[nscripts].name = "sites/HMP-A/rules.lua";
	scripts[nscripts].src = fz_policy_file("sites/HMP-A/rules.lua", &scripts[nscripts].len);
	nscripts++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wk_policy_limits lim = fz_policy_limits();
	wk_buf out = WK_BUF_INIT;
	const uint8_t *nl = memchr(data, '\n', size < 32 ? size : 32);
	char entry[32], *input;
	json_t *j;

	if (!nl)
		return 0;
	memcpy(entry, data, (size_t)(nl - data));
	entry[nl - data] = '\0';
	/* The host takes a NUL-terminated string, as the store builds it. */
	if (!(input = malloc(size - (size_t)(nl - data))))
		return 0;
	memcpy(input, nl + 1, size - (size_t)(nl - data) - 1);
	input[size - (size_t)(nl - data) - 1] = '\0';
	if (fz_note(entry, wk_policy_eval(&out, scripts, nscripts, entry, input, "2026-06-01", &lim)) == 0) {
		if (!(j = json_loadb(out.ptr, out.len, 0, NULL)) || !json_is_array(json_object_get(j, "scripts")))
			fz_die("a policy result is not a JSON object naming its scripts");
		json_decref(j);
	}
	wk_buf_free(&out);
	free(input);
	return 0;
}
