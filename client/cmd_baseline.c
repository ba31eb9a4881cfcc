/*
 * cmd_baseline.c - `wicket baseline set|show`: assessing one baseline of a plan.
 */
#include "cli.h"
#include "plan.h"

#include <stdlib.h>

static const wk_opt set_opts[] = {
	{ WK_OPT_STR, "plan", "PLAN", "the plan (default: the only one)" },
	{ WK_OPT_STR, "status", "STATUS",
	  "not_assessed, in_progress, met, partly_met, not_met or not_applicable" },
	{ WK_OPT_STR, "owner", "NAME", "who owns delivering the baseline" },
	{ WK_OPT_STR, "target", "DATE", "target date, YYYY-MM-DD (\"\" clears it)" },
	{ WK_OPT_STR, "arrangement", "TEXT", "the local arrangement" },
	{ WK_OPT_STR, "evidence", "TEXT", "the evidence that it is met" },
	{ WK_OPT_STR, "rationale", "TEXT", "why (required for not_applicable)" },
	WK_OPTS_END
};

static int do_set(wk_cli *cli, void *arg)
{
	wk_assessment_change c = WK_ASSESSMENT_CHANGE_INIT;
	char *plan = NULL;
	int rc;

	(void)arg;
	c.status = wk_cli_opt(cli, "status");
	c.owner = wk_cli_opt(cli, "owner");
	c.target_date = wk_cli_opt(cli, "target");
	c.local_arrangement = wk_cli_opt(cli, "arrangement");
	c.evidence = wk_cli_opt(cli, "evidence");
	c.rationale = wk_cli_opt(cli, "rationale");
	if ((rc = wk_plan_resolve(cli->store, wk_cli_opt(cli, "plan"), &plan)) == 0)
		rc = wk_baseline_set(cli->store, plan, cli->pos[0], &c);
	free(plan);
	return rc;
}

static int cmd_baseline_set(wk_cli *cli)
{
	int rc = wk_cli_write(cli, do_set, NULL);

	if (rc == WK_EXIT_OK)
		printf("baseline %s updated\n", cli->pos[0]);
	return rc;
}

static const wk_opt show_opts[] = {
	{ WK_OPT_STR, "plan", "PLAN", "the plan (default: the only one)" },
	WK_OPTS_END
};

static int cmd_baseline_show(wk_cli *cli)
{
	static const char *const keys[] = { "baseline", "area_title", "weighting", "autonomy", "mandatory",
		"status", "owner", "target_date", "local_arrangement", "evidence", "rationale", NULL };
	json_t *b = NULL;
	char *plan = NULL;

	if (wk_plan_resolve(cli->store, wk_cli_opt(cli, "plan"), &plan) < 0 ||
	    wk_baseline_show(cli->store, plan, cli->pos[0], &b) < 0) {
		free(plan);
		return wk_cli_fail(cli);
	}
	free(plan);
	if (cli->json)
		return wk_cli_print_json(b);
	wk_cli_print_fields(b, keys, NULL);
	printf("\n%s\n", json_string_value(json_object_get(b, "text")));
	json_decref(b);
	return WK_EXIT_OK;
}

const wk_command wk_cmd_baseline[] = {
	{ "baseline set", "BASELINE", "assess a baseline (e.g. 2.4) of a plan", cmd_baseline_set, set_opts, 1, 1,
	  WK_CMD_STORE | WK_CMD_WRITE, NULL },
	{ "baseline show", "BASELINE", "show a baseline's national text and its assessment", cmd_baseline_show,
	  show_opts, 1, 1, WK_CMD_STORE | WK_CMD_READ, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
