/*
 * cmd_edm.c - `wicket edm list|show`, `wicket stages`: the national catalogue.
 */
#include "cli.h"
#include "catalogue.h"

static const wk_opt no_opts[] = { WK_OPTS_END };

static int cmd_edm_list(wk_cli *cli)
{
	json_t *list = NULL, *e;
	size_t i;

	if (wk_catalogue_list(cli->store, &list) < 0)
		return wk_cli_fail(cli);
	if (cli->json)
		return wk_cli_print_json(list);
	printf("%-8s %-8s %-10s %s\n", "CODE", "VERSION", "BASELINES", "TITLE");
	json_array_foreach(list, i, e)
		printf("%-8s %-8lld %-10lld %s\n", json_string_value(json_object_get(e, "code")),
		       (long long)json_integer_value(json_object_get(e, "version")),
		       (long long)json_integer_value(json_object_get(e, "baselines")),
		       json_string_value(json_object_get(e, "title")));
	json_decref(list);
	return WK_EXIT_OK;
}

static int cmd_edm_show(wk_cli *cli)
{
	json_t *doc = NULL, *area, *b;
	size_t i, j;

	if (wk_catalogue_show(cli->store, cli->pos[0], &doc) < 0)
		return wk_cli_fail(cli);
	if (cli->json)
		return wk_cli_print_json(doc);
	printf("%s version %lld: %s\n%s\n", json_string_value(json_object_get(doc, "code")),
	       (long long)json_integer_value(json_object_get(doc, "version")),
	       json_string_value(json_object_get(doc, "title")),
	       json_string_value(json_object_get(doc, "model")) ? json_string_value(json_object_get(doc, "model")) : "");
	json_array_foreach(json_object_get(doc, "areas"), i, area) {
		printf("\n%lld. %s\n", (long long)json_integer_value(json_object_get(area, "number")),
		       json_string_value(json_object_get(area, "title")));
		json_array_foreach(json_object_get(area, "baselines"), j, b) {
			const char *text = json_string_value(json_object_get(b, "text"));
			int n = 0;

			while (text && text[n] && text[n] != '\n' && n < 90)
				n++;
			printf("  %-4s w%lld %-8s %.*s%s\n", json_string_value(json_object_get(b, "id")),
			       (long long)json_integer_value(json_object_get(b, "weighting")),
			       json_string_value(json_object_get(b, "autonomy")), n, text ? text : "",
			       text && text[n] ? "..." : "");
		}
	}
	json_decref(doc);
	return WK_EXIT_OK;
}

static int cmd_stages(wk_cli *cli)
{
	json_t *list = NULL, *s;
	size_t i;

	if (wk_catalogue_stages(cli->store, &list) < 0)
		return wk_cli_fail(cli);
	if (cli->json)
		return wk_cli_print_json(list);
	json_array_foreach(list, i, s)
		printf("%lld %s%s%s\n", (long long)json_integer_value(json_object_get(s, "number")),
		       json_string_value(json_object_get(s, "name")),
		       json_is_string(json_object_get(s, "colour")) ? " / " : "",
		       json_is_string(json_object_get(s, "colour")) ? json_string_value(json_object_get(s, "colour")) : "");
	json_decref(list);
	return WK_EXIT_OK;
}

const wk_command wk_cmd_edm[] = {
	{ "edm list", NULL, "list the national EDMs held", cmd_edm_list, no_opts, 0, 0,
	  WK_CMD_STORE | WK_CMD_READ, NULL },
	{ "edm show", "CODE[@VERSION]", "show an EDM: areas, baselines, weighting, autonomy", cmd_edm_show,
	  no_opts, 1, 1, WK_CMD_STORE | WK_CMD_READ, "--json gives the whole document, with every text and source." },
	{ "stages", NULL, "list the regime stages", cmd_stages, no_opts, 0, 0, WK_CMD_STORE | WK_CMD_READ, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
