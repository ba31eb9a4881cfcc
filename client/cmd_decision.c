/*
 * cmd_decision.c - `wicket decision add|list`: the plan's append-only decision log.
 */
#include "cli.h"
#include "action.h"
#include "plan.h"

#include <stdlib.h>

static const wk_opt add_opts[] = {
	{ WK_OPT_STR, "plan", "PLAN", "the plan (default: the only one)" },
	{ WK_OPT_STR, "date", "DATE", "when it was decided, YYYY-MM-DD (required)" },
	{ WK_OPT_STR, "decision", "TEXT", "what was decided (required)" },
	{ WK_OPT_STR, "rationale", "TEXT", "why (required)" },
	{ WK_OPT_STR, "by", "NAME", "who decided (required)" },
	WK_OPTS_END
};

static int do_add(wk_cli *cli, void *arg)
{
	char *plan = NULL;
	int rc = wk_plan_resolve(cli->store, wk_cli_opt(cli, "plan"), &plan);

	(void)arg;
	if (rc == 0)
		rc = wk_decision_add(cli->store, plan, wk_cli_opt(cli, "date"), wk_cli_opt(cli, "decision"),
		                     wk_cli_opt(cli, "rationale"), wk_cli_opt(cli, "by"));
	free(plan);
	return rc;
}

static int cmd_decision_add(wk_cli *cli)
{
	int rc = wk_cli_write(cli, do_add, NULL);

	if (rc == WK_EXIT_OK)
		printf("decision recorded\n");
	return rc;
}

static const wk_opt list_opts[] = {
	{ WK_OPT_STR, "plan", "PLAN", "only this plan's decisions" },
	WK_OPTS_END
};

static int cmd_decision_list(wk_cli *cli)
{
	json_t *list = NULL, *d;
	size_t i;

	if (wk_decision_list(cli->store, wk_cli_opt(cli, "plan"), &list) < 0)
		return wk_cli_fail(cli);
	if (cli->json)
		return wk_cli_print_json(list);
	json_array_foreach(list, i, d)
		printf("%s (recorded %s) %s: %s\n  because: %s\n", json_string_value(json_object_get(d, "decided_on")),
		       json_string_value(json_object_get(d, "recorded_at")), json_string_value(json_object_get(d, "who")),
		       json_string_value(json_object_get(d, "decision")), json_string_value(json_object_get(d, "rationale")));
	json_decref(list);
	return WK_EXIT_OK;
}

const wk_command wk_cmd_decision[] = {
	{ "decision add", NULL, "record a decision in the plan's log (append-only)", cmd_decision_add, add_opts,
	  0, 0, WK_CMD_STORE | WK_CMD_WRITE, NULL },
	{ "decision list", NULL, "list the decision log", cmd_decision_list, list_opts, 0, 0,
	  WK_CMD_STORE | WK_CMD_READ, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
