/*
 * fuzz_policy_script.c - hostile establishment scripts in the policy host
 * (client/policy.h): the input is the text of sites/LEI/rules.lua, loaded in
 * the sandbox after the national rules, then run on the "describe" entry
 * (what `wicket policy check` does, with the autonomy checks against the
 * EDM) and, if that passed, on "validate" over a small action plan (what
 * every write runs).
 * The sandbox's budgets (tightened for fuzzing: world.h) must stop every
 * input; libFuzzer's -timeout and -rss_limit_mb catch one that escapes.
 *
 * Checked beyond "no crash": a result is a JSON object naming the scripts.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static wk_policy_script scripts[WK_POLICY_MAX_SCRIPTS];
static size_t nscripts;
static wk_buf describe_in = WK_BUF_INIT, validate_in = WK_BUF_INIT;

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
	wk_buf_printf(&describe_in, "{\"edm\":%s}", fz_edm_json());
	wk_buf_printf(&validate_in, "{\"edm\":%s,\"inspection\":{\"id\":\"i1\",\"title\":\"t\"},"
	              "\"recommendations\":[{\"number\":\"1\",\"response\":\"partly_agreed\","
	              "\"reason_category\":\"operational\",\"part_implemented\":\"some\",\"text\":\"Do it\","
	              "\"actions\":[{\"id\":\"A1\",\"text\":\"Review A1234BC\",\"owner\":\"Head of OMU\","
	              "\"target_date\":\"2026-07\",\"status\":\"open\",\"revisions\":[]}]}],"
	              "\"actions\":[],\"assessments\":[{\"baseline\":\"1.1\",\"status\":\"met\",\"evidence\":\"e\"}],"
	              "\"free_text\":[]}", fz_edm_json());
	if (wk_buf_check(&describe_in, "input") < 0 || wk_buf_check(&validate_in, "input") < 0)
		fz_die("cannot build the inputs");
	return 0;
}

static int eval(const char *entry, const char *input)
{
	int rc;

	wk_policy_limits lim = fz_policy_limits();
	wk_buf out = WK_BUF_INIT;
	json_t *j;

	if ((rc = fz_note(entry, wk_policy_eval(&out, scripts, nscripts + 1, entry, input, "2026-06-01", &lim))) == 0) {
		if (!(j = json_loadb(out.ptr, out.len, 0, NULL)) || !json_is_array(json_object_get(j, "scripts")))
			fz_die("a policy result is not a JSON object naming its scripts");
		json_decref(j);
	}
	wk_buf_free(&out);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	scripts[nscripts].name = "sites/LEI/rules.lua";
	scripts[nscripts].src = (const char *)data;
	scripts[nscripts].len = size;
	/* A script that does not load (or run) for describe fails the same way for validate. */
	if (eval("describe", describe_in.ptr) == 0)
		eval("validate", validate_in.ptr);
	return 0;
}
