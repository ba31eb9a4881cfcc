/*
 * cmd_report.c - `wicket report NAME`: readiness, precursors, actions,
 * responses and sync across establishments (in a region's folder) or for
 * one (in an establishment's).
 */
#include "cli.h"
#include "error.h"
#include "field.h"
#include "report.h"

#include <stdlib.h>
#include <string.h>

static const wk_opt report_opts[] = {
	{ WK_OPT_STR, "format", "FORMAT", "table (default), csv, json or html (one self-contained page)" },
	{ WK_OPT_STR, "out", "FILE", "write the report to FILE instead of standard output" },
	{ WK_OPT_STR, "stale-days", "N", "sync: flag establishments not heard from for N days (default 14)" },
	WK_OPTS_END
};

typedef struct {
	const char *name;
	wk_report_options o;
	json_t *rows;
} job;

static int one(wk_cli *cli, wk_store *st, const char *site, void *arg)
{
	job *j = arg;

	(void)cli;
	return wk_report_rows(j->rows, j->name, st, site, &j->o);
}

static int cmd_report(wk_cli *cli)
{
	static const char *const titles[] = { "Readiness for the target stage", "Mandatory precursors not met",
		"Overdue and slipped actions", "Responses to recommendations", "Last changeset from each establishment" };
	const char *format = wk_cli_opt(cli, "format"), *out = wk_cli_opt(cli, "out"), *stale = wk_cli_opt(cli, "stale-days");
	char today[11], title[160];
	size_t k;
	job j;
	FILE *f = stdout;
	int rc;

	memset(&j, 0, sizeof(j));
	j.name = cli->pos[0];
	for (k = 0; wk_report_names[k] && strcmp(wk_report_names[k], j.name) != 0; k++)
		;
	if (!wk_report_names[k])
		return wk_cli_usage(cli, "no report '%s'; the reports are readiness, precursors, actions, responses, sync", j.name);
	if (!format)
		format = cli->json ? "json" : "table";
	if (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "json") && strcmp(format, "html"))
		return wk_cli_usage(cli, "--format must be table, csv, json or html");
	if (stale && (atoi(stale) < 1 || atoi(stale) > 3650))
		return wk_cli_usage(cli, "--stale-days must be 1 to 3650");
	wk_field_today(today);
	j.o.today = today;
	j.o.stale_days = stale ? atoi(stale) : 14;
	j.rows = json_array();
	if ((rc = wk_cli_each_store(cli, one, &j)) < 0) {
		json_decref(j.rows);
		return wk_cli_fail(cli);
	}
	snprintf(title, sizeof(title), "%s (wicket report %s, %s)", titles[k], j.name, today);
	if (out && !(f = fopen(out, "w"))) {
		json_decref(j.rows);
		fprintf(stderr, "wicket: cannot write '%s'\n", out);
		return WK_EXIT_FAIL;
	}
	rc = wk_report_render(f, j.name, title, j.rows, format);
	if (out && fclose(f) != 0 && rc == 0)
		rc = wk_error_set(WK_EIO, "cannot write '%s'", out);
	json_decref(j.rows);
	return rc < 0 ? wk_cli_fail(cli) : WK_EXIT_OK;
}

const wk_command wk_cmd_report[] = {
	{ "report", "NAME", "readiness, precursors, actions, responses or sync, across establishments", cmd_report,
	  report_opts, 1, 1, WK_CMD_STORE | WK_CMD_READ,
	  "In a region's folder a report covers every establishment's replica; in an establishment's, that\n"
	  "establishment. The html format is one self-contained page with SVG charts, made to print." },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
