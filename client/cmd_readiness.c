/*
 * cmd_readiness.c - `wicket readiness`, `wicket validate`, `wicket plan sequence`:
 * what the national and site rules say about the store.
 */
#include "cli.h"
#include "field.h"
#include "plan.h"
#include "rules.h"

#include <stdlib.h>

static void print_scripts(const json_t *res)
{
	json_t *s;
	size_t i;

	printf("\nby:");
	json_array_foreach(json_object_get(res, "scripts"), i, s)
		printf(" %s@%.12s", json_string_value(json_object_get(s, "name")),
		       json_string_value(json_object_get(s, "sha256")));
	printf("\n");
}

static const wk_opt readiness_opts[] = {
	{ WK_OPT_STR, "stage", "N", "the stage to move to: 4, 3, 2 or 1 (default: the plan's target)" },
	{ WK_OPT_STR, "plan", "PLAN", "the plan (default: the only one)" },
	WK_OPTS_END
};

static int cmd_readiness(wk_cli *cli)
{
	const char *sstage = wk_cli_opt(cli, "stage");
	json_t *res = NULL, *plan = NULL, *b;
	char *id = NULL;
	int stage = 0, rc;
	size_t i;

	if (sstage && wk_field_stage("--stage", sstage, &stage) < 0)
		return wk_cli_usage(cli, "--stage must be 4, 3, 2 or 1");
	rc = wk_plan_resolve(cli->store, wk_cli_opt(cli, "plan"), &id);
	if (rc == 0 && !stage && (rc = wk_plan_show(cli->store, id, &plan)) == 0)
		stage = (int)json_integer_value(json_object_get(plan, "target_stage"));
	json_decref(plan);
	if (rc == 0)
		rc = wk_rules_readiness(cli->store, id, stage, &res);
	if (rc < 0) {
		free(id);
		return wk_cli_fail(cli);
	}
	if (cli->json) {
		free(id);
		return wk_cli_print_json(res);
	}
	printf("readiness of plan %s for stage %d: %s\n", id, stage,
	       json_string_value(json_object_get(res, "result")));
	free(id);
	json_array_foreach(json_object_get(res, "blockers"), i, b)
		printf("  %-6s %-5s %s (%s)\n", json_string_value(json_object_get(b, "severity")),
		       json_is_string(json_object_get(b, "baseline")) ? json_string_value(json_object_get(b, "baseline")) : "-",
		       json_string_value(json_object_get(b, "message")), json_string_value(json_object_get(b, "rule")));
	print_scripts(res);
	json_decref(res);
	return WK_EXIT_OK;
}

static const wk_opt no_opts[] = { WK_OPTS_END };

static int cmd_validate(wk_cli *cli)
{
	json_t *res = NULL, *e;
	size_t i;
	int ok;

	if (wk_rules_validate(cli->store, &res) < 0)
		return wk_cli_fail(cli);
	ok = json_is_true(json_object_get(res, "ok"));
	if (cli->json) {
		wk_cli_print_json(res);
		return ok ? WK_EXIT_OK : WK_EXIT_FAIL;
	}
	printf("%s: %zu errors, %zu warnings\n", ok ? "valid" : "NOT VALID",
	       json_array_size(json_object_get(res, "errors")), json_array_size(json_object_get(res, "warnings")));
	json_array_foreach(json_object_get(res, "errors"), i, e)
		printf("  error    %s: %s (%s)\n", json_string_value(json_object_get(e, "where")),
		       json_string_value(json_object_get(e, "message")), json_string_value(json_object_get(e, "rule")));
	json_array_foreach(json_object_get(res, "warnings"), i, e)
		printf("  warning  %s: %s (%s)\n", json_string_value(json_object_get(e, "where")),
		       json_string_value(json_object_get(e, "message")), json_string_value(json_object_get(e, "rule")));
	print_scripts(res);
	json_decref(res);
	return ok ? WK_EXIT_OK : WK_EXIT_FAIL;
}

static const wk_opt seq_opts[] = {
	{ WK_OPT_STR, "plan", "PLAN", "the plan (default: the only one)" },
	WK_OPTS_END
};

static int cmd_sequence(wk_cli *cli)
{
	json_t *res = NULL, *o, *w;
	char *id = NULL;
	size_t i, j;

	if (wk_plan_resolve(cli->store, wk_cli_opt(cli, "plan"), &id) < 0 ||
	    wk_rules_sequence(cli->store, id, &res) < 0) {
		free(id);
		return wk_cli_fail(cli);
	}
	free(id);
	if (cli->json)
		return wk_cli_print_json(res);
	json_array_foreach(json_object_get(res, "order"), i, o) {
		printf("%3zu. %-5s weight %lld", i + 1, json_string_value(json_object_get(o, "baseline")),
		       (long long)json_integer_value(json_object_get(o, "weighting")));
		if (json_array_size(json_object_get(o, "waits_on"))) {
			printf("  waits on");
			json_array_foreach(json_object_get(o, "waits_on"), j, w)
				printf(" %s", json_string_value(w));
		}
		printf("\n");
	}
	print_scripts(res);
	json_decref(res);
	return WK_EXIT_OK;
}

const wk_command wk_cmd_readiness[] = {
	{ "readiness", NULL, "red/amber/green readiness of a plan for a stage, with its blockers", cmd_readiness,
	  readiness_opts, 0, 0, WK_CMD_STORE | WK_CMD_READ, NULL },
	{ "validate", NULL, "check everything held against the national and site rules", cmd_validate, no_opts,
	  0, 0, WK_CMD_STORE | WK_CMD_READ, "Exits 1 when there are errors." },
	{ "plan sequence", NULL, "the work order of a plan's baselines: precursors first", cmd_sequence, seq_opts,
	  0, 0, WK_CMD_STORE | WK_CMD_READ, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
