/*
 * cmd_action.c - `wicket action add|update|complete|progress|show|list`.
 */
#include "cli.h"
#include "action.h"
#include "field.h"
#include "inspection.h"
#include "plan.h"

#include <stdlib.h>
#include <string.h>

static const wk_opt add_opts[] = {
	{ WK_OPT_STR, "rec", "REC", "the recommendation it answers (NUMBER or INSPECTION/NUMBER)" },
	{ WK_OPT_STR, "baseline", "BASELINE", "or the baseline it delivers (with --plan)" },
	{ WK_OPT_STR, "plan", "PLAN", "the plan of --baseline (default: the only one)" },
	{ WK_OPT_STR, "text", "TEXT", "what will be done (required)" },
	{ WK_OPT_STR, "owner", "OWNER", "the responsible owner (required)" },
	{ WK_OPT_STR, "target", "DATE", "target: YYYY-MM-DD, YYYY-MM or 'June 2023' (required)" },
	WK_OPTS_END
};

static int do_add(wk_cli *cli, void *arg)
{
	wk_action_new a = WK_ACTION_NEW_INIT;
	char *rec = NULL, *plan = NULL;
	int rc = 0;

	if (wk_cli_opt(cli, "rec"))
		rc = wk_rec_resolve(cli->store, wk_cli_opt(cli, "rec"), &rec);
	else if (wk_cli_opt(cli, "baseline"))
		rc = wk_plan_resolve(cli->store, wk_cli_opt(cli, "plan"), &plan);
	a.recommendation = rec;
	a.plan = plan;
	a.baseline = wk_cli_opt(cli, "baseline");
	a.text = wk_cli_opt(cli, "text");
	a.owner = wk_cli_opt(cli, "owner");
	a.target = wk_cli_opt(cli, "target");
	if (rc == 0)
		rc = wk_action_add(cli->store, &a, arg);
	free(rec);
	free(plan);
	return rc;
}

static int cmd_action_add(wk_cli *cli)
{
	char *id = NULL;
	int rc;

	if (!wk_cli_opt(cli, "rec") && !wk_cli_opt(cli, "baseline"))
		return wk_cli_usage(cli, "give --rec REC or --baseline BASELINE");
	rc = wk_cli_write(cli, do_add, &id);
	if (rc == WK_EXIT_OK)
		printf("added action %s\n", id);
	free(id);
	return rc;
}

static const wk_opt update_opts[] = {
	{ WK_OPT_STR, "text", "TEXT", "new text" },
	{ WK_OPT_STR, "owner", "OWNER", "new owner" },
	{ WK_OPT_STR, "status", "STATUS", "open, in_progress or cancelled" },
	{ WK_OPT_STR, "target", "DATE", "a revised target date (needs --reason)" },
	{ WK_OPT_STR, "reason", "TEXT", "why the target date was revised" },
	WK_OPTS_END
};

static int do_update(wk_cli *cli, void *arg)
{
	wk_action_change c = WK_ACTION_CHANGE_INIT;

	(void)arg;
	c.text = wk_cli_opt(cli, "text");
	c.owner = wk_cli_opt(cli, "owner");
	c.status = wk_cli_opt(cli, "status");
	c.target = wk_cli_opt(cli, "target");
	c.reason = wk_cli_opt(cli, "reason");
	return wk_action_update(cli->store, cli->pos[0], &c);
}

static int cmd_action_update(wk_cli *cli)
{
	int rc = wk_cli_write(cli, do_update, NULL);

	if (rc == WK_EXIT_OK)
		printf("action %s updated\n", cli->pos[0]);
	return rc;
}

static const wk_opt complete_opts[] = {
	{ WK_OPT_STR, "date", "DATE", "completion date, YYYY-MM-DD (default: today)" },
	WK_OPTS_END
};

static int do_complete(wk_cli *cli, void *arg)
{
	char today[11];
	const char *date = wk_cli_opt(cli, "date");

	(void)arg;
	wk_field_today(today);
	return wk_action_complete(cli->store, cli->pos[0], date ? date : today, today);
}

static int cmd_action_complete(wk_cli *cli)
{
	int rc = wk_cli_write(cli, do_complete, NULL);

	if (rc == WK_EXIT_OK)
		printf("action %s completed\n", cli->pos[0]);
	return rc;
}

static const wk_opt progress_opts[] = {
	{ WK_OPT_STR, "text", "TEXT", "the progress update (required)" },
	WK_OPTS_END
};

static int do_progress(wk_cli *cli, void *arg)
{
	(void)arg;
	return wk_action_progress(cli->store, cli->pos[0], wk_cli_opt(cli, "text"), cli->person);
}

static int cmd_action_progress(wk_cli *cli)
{
	int rc = wk_cli_write(cli, do_progress, NULL);

	if (rc == WK_EXIT_OK)
		printf("progress recorded on action %s\n", cli->pos[0]);
	return rc;
}

static const wk_opt no_opts[] = { WK_OPTS_END };

static int cmd_action_show(wk_cli *cli)
{
	static const char *const keys[] = { "id", "recommendation", "assessment", "owner", "target_date",
		"target_text", "status", "completion_date", "text", NULL };
	json_t *a = NULL, *e;
	size_t i;

	if (wk_action_show(cli->store, cli->pos[0], &a) < 0)
		return wk_cli_fail(cli);
	if (cli->json)
		return wk_cli_print_json(a);
	wk_cli_print_fields(a, keys, NULL);
	json_array_foreach(json_object_get(a, "revisions"), i, e)
		printf("revised            %s -> %s: %s\n",
		       json_is_string(json_object_get(e, "previous_date")) ? json_string_value(json_object_get(e, "previous_date")) : "-",
		       json_string_value(json_object_get(e, "target_date")), json_string_value(json_object_get(e, "reason")));
	json_array_foreach(json_object_get(a, "progress"), i, e)
		printf("progress           %s %s: %s\n", json_string_value(json_object_get(e, "recorded_at")),
		       json_string_value(json_object_get(e, "person")), json_string_value(json_object_get(e, "text")));
	json_decref(a);
	return WK_EXIT_OK;
}

static const wk_opt list_opts[] = {
	{ WK_OPT_FLAG, "overdue", NULL, "only open actions whose target has passed" },
	WK_OPTS_END
};

static int cmd_action_list(wk_cli *cli)
{
	json_t *list = NULL, *a;
	char today[11];
	size_t i;

	wk_field_today(today);
	if (wk_action_list(cli->store, today, wk_cli_opt(cli, "overdue") != NULL, &list) < 0)
		return wk_cli_fail(cli);
	if (cli->json)
		return wk_cli_print_json(list);
	printf("%-34s %-10s %-22s %s\n", "ACTION", "STATUS", "TARGET", "OWNER");
	json_array_foreach(list, i, a)
		printf("%-34s %-10s %-22s %s\n", json_string_value(json_object_get(a, "id")),
		       json_string_value(json_object_get(a, "status")),
		       json_is_string(json_object_get(a, "target_text")) ? json_string_value(json_object_get(a, "target_text")) : "-",
		       json_string_value(json_object_get(a, "owner")));
	json_decref(list);
	return WK_EXIT_OK;
}

const wk_command wk_cmd_action[] = {
	{ "action add", NULL, "add an action to a recommendation or a baseline", cmd_action_add, add_opts, 0, 0,
	  WK_CMD_STORE | WK_CMD_WRITE, NULL },
	{ "action update", "ACTION", "change an action; a new target date needs a reason", cmd_action_update,
	  update_opts, 1, 1, WK_CMD_STORE | WK_CMD_WRITE, NULL },
	{ "action complete", "ACTION", "mark an action complete", cmd_action_complete, complete_opts, 1, 1,
	  WK_CMD_STORE | WK_CMD_WRITE, NULL },
	{ "action progress", "ACTION", "record a progress update (append-only)", cmd_action_progress,
	  progress_opts, 1, 1, WK_CMD_STORE | WK_CMD_WRITE, NULL },
	{ "action show", "ACTION", "show an action with its revisions and progress", cmd_action_show, no_opts,
	  1, 1, WK_CMD_STORE | WK_CMD_READ, NULL },
	{ "action list", NULL, "list actions", cmd_action_list, list_opts, 0, 0, WK_CMD_STORE | WK_CMD_READ, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
