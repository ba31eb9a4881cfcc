/*
 * cmd_plan.c - `wicket plan create|show|list|submit`.
 */
#include "cli.h"
#include "field.h"
#include "plan.h"

#include <stdlib.h>
#include <string.h>

static const wk_opt create_opts[] = {
	{ WK_OPT_STR, "edm", "CODE", "the EDM to build the plan from, e.g. OMU or OMU@1 (required)" },
	{ WK_OPT_STR, "id", "ID", "the plan's id (default: the EDM code in lower case)" },
	{ WK_OPT_STR, "title", "TEXT", "a title" },
	{ WK_OPT_STR, "stage", "N", "current stage (default: the establishment's)" },
	{ WK_OPT_STR, "target", "N", "target stage (default: the EDM's)" },
	WK_OPTS_END
};

static int do_create(wk_cli *cli, void *arg)
{
	wk_plan_options o = WK_PLAN_OPTIONS_INIT;
	const char *stage = wk_cli_opt(cli, "stage"), *target = wk_cli_opt(cli, "target");
	char **id = arg;
	int rc;

	o.edm = wk_cli_opt(cli, "edm");
	o.id = wk_cli_opt(cli, "id");
	o.title = wk_cli_opt(cli, "title");
	if ((stage && (rc = wk_field_stage("--stage", stage, &o.current_stage)) < 0) ||
	    (target && (rc = wk_field_stage("--target", target, &o.target_stage)) < 0))
		return rc;
	return wk_plan_create(cli->store, &o, id);
}

static int cmd_plan_create(wk_cli *cli)
{
	char *id = NULL;
	int rc = wk_cli_write(cli, do_create, &id);

	if (rc == WK_EXIT_OK)
		printf("created plan %s\n", id);
	free(id);
	return rc;
}

static void print_summary(const json_t *p)
{
	json_t *sum = json_object_get(p, "summary"), *by = json_object_get(sum, "by_status");
	json_t *blockers = json_object_get(sum, "mandatory_weight3_not_met"), *v;
	const char *k;
	size_t i;

	printf("plan %s: %s, stage %lld towards %lld, %s\n", json_string_value(json_object_get(p, "id")),
	       json_string_value(json_object_get(p, "edm")),
	       (long long)json_integer_value(json_object_get(p, "current_stage")),
	       (long long)json_integer_value(json_object_get(p, "target_stage")),
	       json_string_value(json_object_get(p, "status")));
	printf("  baselines: %lld (", (long long)json_integer_value(json_object_get(sum, "baselines")));
	i = 0;
	json_object_foreach(by, k, v)
		printf("%s%s %lld", i++ ? ", " : "", k, (long long)json_integer_value(v));
	printf(")\n  mandatory weight-3 baselines not yet met: %zu", json_array_size(blockers));
	json_array_foreach(blockers, i, v)
		printf("%s%s", i ? " " : " (", json_string_value(v));
	printf("%s\n", json_array_size(blockers) ? ")" : "");
}

static const wk_opt show_opts[] = { WK_OPTS_END };

static int cmd_plan_show(wk_cli *cli)
{
	json_t *p = NULL, *a;
	char *id = NULL;
	size_t i;

	if (wk_plan_resolve(cli->store, cli->npos ? cli->pos[0] : NULL, &id) < 0 ||
	    wk_plan_show(cli->store, id, &p) < 0) {
		free(id);
		return wk_cli_fail(cli);
	}
	free(id);
	if (cli->json)
		return wk_cli_print_json(p);
	print_summary(p);
	printf("\n%-5s %-3s %-8s %-14s %-11s %s\n", "BASE", "W", "AUTONOMY", "STATUS", "TARGET", "OWNER");
	json_array_foreach(json_object_get(p, "assessments"), i, a)
		printf("%-5s %-3lld %-8s %-14s %-11s %s\n", json_string_value(json_object_get(a, "baseline")),
		       (long long)json_integer_value(json_object_get(a, "weighting")),
		       json_string_value(json_object_get(a, "autonomy")),
		       json_string_value(json_object_get(a, "status")),
		       json_is_string(json_object_get(a, "target_date")) ? json_string_value(json_object_get(a, "target_date")) : "-",
		       json_is_string(json_object_get(a, "owner")) ? json_string_value(json_object_get(a, "owner")) : "-");
	json_decref(p);
	return WK_EXIT_OK;
}

static int cmd_plan_list(wk_cli *cli)
{
	json_t *list = NULL, *p;
	size_t i;

	if (wk_plan_list(cli->store, &list) < 0)
		return wk_cli_fail(cli);
	if (cli->json)
		return wk_cli_print_json(list);
	if (json_array_size(list) == 0)
		printf("no plans yet; create one with 'wicket plan create --edm CODE'\n");
	json_array_foreach(list, i, p)
		print_summary(p);
	json_decref(list);
	return WK_EXIT_OK;
}

static int do_status(wk_cli *cli, void *arg)
{
	char *id = NULL;
	int rc = wk_plan_resolve(cli->store, cli->npos ? cli->pos[0] : NULL, &id);

	if (rc == 0)
		rc = wk_plan_set_status(cli->store, id, arg);
	free(id);
	return rc;
}

static int cmd_plan_submit(wk_cli *cli)
{
	int rc = wk_cli_write(cli, do_status, "submitted");

	if (rc == WK_EXIT_OK)
		printf("plan submitted\n");
	return rc;
}

const wk_command wk_cmd_plan[] = {
	{ "plan create", NULL, "build a plan from a national EDM", cmd_plan_create, create_opts, 0, 0,
	  WK_CMD_STORE | WK_CMD_WRITE,
	  "Creates one assessment per baseline of the EDM, all 'not_assessed'." },
	{ "plan show", "[PLAN]", "show a plan, its assessments and a readiness-style summary", cmd_plan_show,
	  show_opts, 0, 1, WK_CMD_STORE | WK_CMD_READ, NULL },
	{ "plan list", NULL, "list the plans with their summaries", cmd_plan_list, show_opts, 0, 0,
	  WK_CMD_STORE | WK_CMD_READ, NULL },
	{ "plan submit", "[PLAN]", "submit a draft or returned plan to the region", cmd_plan_submit, show_opts,
	  0, 1, WK_CMD_STORE | WK_CMD_WRITE, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
