/*
 * cmd_actionplan.c - `wicket actionplan import|show|summary`.
 */
#include "cli.h"
#include "inspection.h"

#include <stdlib.h>
#include <string.h>

static const wk_opt import_opts[] = {
	{ WK_OPT_STR, "format", "FORMAT", "json or csv (default: by the file name)" },
	{ WK_OPT_STR, "inspection", "ID", "CSV only: the inspection's id, e.g. omic-pre-release-2022" },
	{ WK_OPT_STR, "title", "TITLE", "CSV only: the report's title" },
	{ WK_OPT_STR, "inspectorate", "TEXT", "CSV only: who inspected" },
	{ WK_OPT_STR, "published", "DATE", "CSV only: date the report was published" },
	{ WK_OPT_STR, "submitted", "DATE", "CSV only: date the action plan was submitted" },
	WK_OPTS_END
};

static int do_import(wk_cli *cli, void *arg)
{
	wk_import_options o = WK_IMPORT_OPTIONS_INIT;

	o.format = wk_cli_opt(cli, "format");
	o.inspection_id = wk_cli_opt(cli, "inspection");
	o.title = wk_cli_opt(cli, "title");
	o.inspectorate = wk_cli_opt(cli, "inspectorate");
	o.published = wk_cli_opt(cli, "published");
	o.submitted = wk_cli_opt(cli, "submitted");
	return wk_actionplan_import(cli->store, cli->pos[0], &o, arg);
}

static int cmd_actionplan_import(wk_cli *cli)
{
	json_t *report = NULL;
	int rc = wk_cli_write(cli, do_import, &report);

	if (rc != WK_EXIT_OK) {
		json_decref(report); /* the import may have run before the commit failed */
		return rc;
	}
	printf("imported %s: %lld recommendations, %lld actions, %lld changes recorded%s\n",
	       json_string_value(json_object_get(report, "inspection")),
	       (long long)json_integer_value(json_object_get(report, "recommendations")),
	       (long long)json_integer_value(json_object_get(report, "actions")),
	       (long long)json_integer_value(json_object_get(report, "changes")),
	       json_integer_value(json_object_get(report, "changes")) ? "" : " (nothing to change)");
	if (json_array_size(json_object_get(report, "missing")))
	{
		json_t *m;
		size_t i;

		printf("kept, but no longer in the file:");
		json_array_foreach(json_object_get(report, "missing"), i, m)
			printf("%s%s", i ? ", " : " ", json_string_value(m));
		printf("\n");
	}
	json_decref(report);
	return rc;
}

static const wk_opt read_opts[] = {
	{ WK_OPT_STR, "inspection", "ID", "the inspection (default: the only one)" },
	WK_OPTS_END
};

static int cmd_actionplan_show(wk_cli *cli)
{
	json_t *p = NULL, *r, *a;
	char *id = NULL;
	size_t i, j;

	if (wk_inspection_resolve(cli->store, wk_cli_opt(cli, "inspection"), &id) < 0 ||
	    wk_actionplan_show(cli->store, id, &p) < 0) {
		free(id);
		return wk_cli_fail(cli);
	}
	free(id);
	if (cli->json)
		return wk_cli_print_json(p);
	printf("%s\npublished %s, plan submitted %s\n", json_string_value(json_object_get(p, "title")),
	       json_is_string(json_object_get(p, "report_published")) ? json_string_value(json_object_get(p, "report_published")) : "-",
	       json_is_string(json_object_get(p, "plan_submitted")) ? json_string_value(json_object_get(p, "plan_submitted")) : "-");
	json_array_foreach(json_object_get(p, "recommendations"), i, r) {
		const char *text = json_string_value(json_object_get(r, "text"));
		int n = 0;

		while (text && text[n] && text[n] != '\n' && n < 100)
			n++;
		printf("\n%s. [%s] %.*s%s\n", json_string_value(json_object_get(r, "number")),
		       json_string_value(json_object_get(r, "response")), n,
		       json_is_true(json_object_get(r, "text_missing")) ? "(text missing in the source)" : (text ? text : ""),
		       text && text[n] ? "..." : "");
		json_array_foreach(json_object_get(r, "actions"), j, a)
			printf("   - %-9s %-22s %s\n", json_string_value(json_object_get(a, "status")),
			       json_string_value(json_object_get(a, "target_text")), json_string_value(json_object_get(a, "owner")));
	}
	json_decref(p);
	return WK_EXIT_OK;
}

static int cmd_actionplan_summary(wk_cli *cli)
{
	json_t *s = NULL, *a;
	char *id = NULL;

	if (wk_inspection_resolve(cli->store, wk_cli_opt(cli, "inspection"), &id) < 0 ||
	    wk_actionplan_summary(cli->store, id, &s) < 0) {
		free(id);
		return wk_cli_fail(cli);
	}
	free(id);
	if (cli->json)
		return wk_cli_print_json(s);
	a = json_object_get(s, "actions");
	printf("Recommendations\nAgreed          %lld\nPartly Agreed   %lld\nNot Agreed      %lld\nTotal           %lld\n",
	       (long long)json_integer_value(json_object_get(s, "agreed")),
	       (long long)json_integer_value(json_object_get(s, "partly_agreed")),
	       (long long)json_integer_value(json_object_get(s, "not_agreed")),
	       (long long)json_integer_value(json_object_get(s, "total")));
	printf("\nActions         %lld (%lld open, %lld completed)\n",
	       (long long)json_integer_value(json_object_get(a, "total")),
	       (long long)json_integer_value(json_object_get(a, "open")),
	       (long long)json_integer_value(json_object_get(a, "completed")));
	if (json_integer_value(json_object_get(s, "text_missing")))
		printf("Text missing    %lld recommendation(s) whose text is lost in the source\n",
		       (long long)json_integer_value(json_object_get(s, "text_missing")));
	json_decref(s);
	return WK_EXIT_OK;
}

const wk_command wk_cmd_actionplan[] = {
	{ "actionplan import", "FILE", "import an inspection action plan (JSON or CSV)", cmd_actionplan_import,
	  import_opts, 1, 1, WK_CMD_STORE | WK_CMD_WRITE,
	  "The formats are described in docs/import-format.md. The import is all or nothing,\n"
	  "and importing the same file again changes nothing." },
	{ "actionplan show", NULL, "show an inspection's recommendations, responses and actions",
	  cmd_actionplan_show, read_opts, 0, 0, WK_CMD_STORE | WK_CMD_READ, NULL },
	{ "actionplan summary", NULL, "count recommendations by response", cmd_actionplan_summary, read_opts, 0, 0,
	  WK_CMD_STORE | WK_CMD_READ, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
