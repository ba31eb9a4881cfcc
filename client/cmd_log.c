/*
 * cmd_log.c - `wicket log`: who changed what, and when.
 */
#include "cli.h"
#include "oplog.h"

#include <stdlib.h>

static const wk_opt log_opts[] = {
	{ WK_OPT_STR, "entity", "TYPE", "only this record type (plan, assessment, action, recommendation, ...)" },
	{ WK_OPT_STR, "id", "ID", "only this record (a trailing * matches a prefix)" },
	{ WK_OPT_STR, "by", "NAME", "only changes by this person" },
	{ WK_OPT_STR, "field", "FIELD", "only changes of this field" },
	{ WK_OPT_STR, "since", "DATE", "only changes on or after DATE (YYYY-MM-DD, UTC)" },
	{ WK_OPT_STR, "until", "DATE", "only changes on or before DATE (YYYY-MM-DD, UTC)" },
	{ WK_OPT_STR, "limit", "N", "at most N changes" },
	WK_OPTS_END
};

static int cmd_log(wk_cli *cli)
{
	wk_log_filter f = WK_LOG_FILTER_INIT;
	json_t *list = NULL, *o;
	const char *limit = wk_cli_opt(cli, "limit");
	char *end = NULL;
	size_t i;

	f.entity = wk_cli_opt(cli, "entity");
	f.id = wk_cli_opt(cli, "id");
	f.person = wk_cli_opt(cli, "by");
	f.field = wk_cli_opt(cli, "field");
	f.since = wk_cli_opt(cli, "since");
	f.until = wk_cli_opt(cli, "until");
	if (limit) {
		f.limit = strtoll(limit, &end, 10);
		if (!*limit || *end || f.limit < 1)
			return wk_cli_usage(cli, "--limit must be a positive number");
	}
	if (wk_log_query(cli->store, &f, &list) < 0)
		return wk_cli_fail(cli);
	if (cli->json)
		return wk_cli_print_json(list);
	json_array_foreach(list, i, o) {
		json_t *nv = json_object_get(o, "new");
		const char *n = json_is_string(nv) ? json_string_value(nv) : "-";
		int len = 0;

		while (n[len] && n[len] != '\n' && len < 60)
			len++;
		printf("%6lld %s %-16s %-14s %s %s%s%s = %.*s%s\n", (long long)json_integer_value(json_object_get(o, "seq")),
		       json_string_value(json_object_get(o, "time")), json_string_value(json_object_get(o, "person")),
		       json_string_value(json_object_get(o, "entity")), json_string_value(json_object_get(o, "id")),
		       json_is_string(json_object_get(o, "field")) ? "." : "",
		       json_is_string(json_object_get(o, "field")) ? json_string_value(json_object_get(o, "field")) : "",
		       json_is_string(json_object_get(o, "field")) ? "" : " (created)",
		       len, n, n[len] ? "..." : "");
	}
	json_decref(list);
	return WK_EXIT_OK;
}

const wk_command wk_cmd_log[] = {
	{ "log", NULL, "show the history of changes, oldest first", cmd_log, log_opts, 0, 0,
	  WK_CMD_STORE | WK_CMD_READ, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
