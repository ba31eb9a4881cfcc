/*
 * cmd_check.c - `wicket check`: verify the store's integrity.
 */
#include "cli.h"
#include "query.h"

static const wk_opt no_opts[] = { WK_OPTS_END };

static int cmd_check(wk_cli *cli)
{
	long long ops = 0;

	if (wk_store_check(cli->store) < 0 ||
	    wk_query_int(cli->store, NULL, 0, "SELECT count(*) FROM op", &ops) < 0)
		return wk_cli_fail(cli);
	if (cli->json)
		return wk_cli_print_json(json_pack("{s:b, s:I, s:i}", "ok", 1, "operations", (json_int_t)ops,
		                                   "schema_version", wk_store_schema_version(cli->store)));
	printf("store is ok: schema version %d, %lld operations recorded\n",
	       wk_store_schema_version(cli->store), ops);
	return WK_EXIT_OK;
}

const wk_command wk_cmd_check[] = {
	{ "check", NULL, "check the store's integrity", cmd_check, no_opts, 0, 0, WK_CMD_STORE | WK_CMD_READ, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
