/*
 * cmd_policy.c - `wicket policy list|show|install|check|test`: an
 * establishment's Lua scripts, tried and tested before they are installed.
 */
#include "cli.h"
#include "buf.h"
#include "rules.h"

#include <stdlib.h>
#include <string.h>

#define SCRIPT_MAX ((size_t)1 << 20)

static const wk_opt no_opts[] = { WK_OPTS_END };

static int cmd_policy_list(wk_cli *cli)
{
	json_t *list = NULL, *s;
	size_t i;

	if (wk_rules_list(cli->store, &list) < 0)
		return wk_cli_fail(cli);
	if (cli->json)
		return wk_cli_print_json(list);
	printf("%-36s %-9s %-8s %-12s %s\n", "SCRIPT", "KIND", "VERSION", "SHA256", "INSTALLED");
	json_array_foreach(list, i, s)
		printf("%-36s %-9s %-8lld %.12s %s\n", json_string_value(json_object_get(s, "name")),
		       json_string_value(json_object_get(s, "kind")),
		       (long long)json_integer_value(json_object_get(s, "version")),
		       json_string_value(json_object_get(s, "sha256")),
		       json_string_value(json_object_get(s, "installed_at")));
	json_decref(list);
	return WK_EXIT_OK;
}

static int cmd_policy_show(wk_cli *cli)
{
	json_t *s = NULL;

	if (wk_rules_show(cli->store, cli->pos[0], &s) < 0)
		return wk_cli_fail(cli);
	if (cli->json)
		return wk_cli_print_json(s);
	printf("-- %s, version %lld, sha256 %s\n%s", json_string_value(json_object_get(s, "name")),
	       (long long)json_integer_value(json_object_get(s, "version")),
	       json_string_value(json_object_get(s, "sha256")), json_string_value(json_object_get(s, "source")));
	json_decref(s);
	return WK_EXIT_OK;
}

static const wk_opt file_opts[] = {
	{ WK_OPT_STR, "name", "NAME", "the script's name (default: sites/<SITE>/<file name>)" },
	WK_OPTS_END
};

typedef struct {
	wk_buf src;
	char name[300];
	int version;
	json_t *out;
} script_job;

static int read_script(wk_cli *cli, const char *path, script_job *job)
{
	const char *name = wk_cli_opt(cli, "name");

	job->src.max = SCRIPT_MAX;
	if (wk_buf_read_file(&job->src, path, SCRIPT_MAX, "policy script") < 0)
		return -1;
	if (name)
		snprintf(job->name, sizeof(job->name), "%s", name);
	else if (wk_rules_site_name(cli->store, path, job->name, sizeof(job->name)) < 0)
		return -1;
	return 0;
}

static int do_install(wk_cli *cli, void *arg)
{
	script_job *job = arg;

	return wk_rules_install(cli->store, job->name, job->src.ptr, job->src.len, &job->version);
}

static int cmd_policy_install(wk_cli *cli)
{
	script_job job = { WK_BUF_INIT, "", 0, NULL };
	int rc;

	if (read_script(cli, cli->pos[0], &job) < 0) {
		wk_buf_free(&job.src);
		return wk_cli_fail(cli);
	}
	rc = wk_cli_write(cli, do_install, &job);
	if (rc == WK_EXIT_OK && job.version)
		printf("installed %s version %d\n", job.name, job.version);
	else if (rc == WK_EXIT_OK)
		printf("%s is already installed with this content\n", job.name);
	wk_buf_free(&job.src);
	return rc;
}

static int cmd_policy_check(wk_cli *cli)
{
	script_job job = { WK_BUF_INIT, "", 0, NULL };
	json_t *d = NULL, *r;
	size_t i;

	if (read_script(cli, cli->pos[0], &job) < 0 ||
	    wk_rules_check(cli->store, job.name, job.src.ptr, job.src.len, &d) < 0) {
		wk_buf_free(&job.src);
		return wk_cli_fail(cli);
	}
	wk_buf_free(&job.src);
	if (cli->json)
		return wk_cli_print_json(d);
	printf("%s: ok\n", job.name);
	json_array_foreach(json_object_get(d, "rules"), i, r)
		printf("  rule %-40s %s\n", json_string_value(json_object_get(r, "id")),
		       json_is_string(json_object_get(r, "source")) ? json_string_value(json_object_get(r, "source")) : "");
	json_decref(d);
	return WK_EXIT_OK;
}

static const wk_opt test_opts[] = {
	{ WK_OPT_STR, "name", "NAME", "the script's name (default: sites/<SITE>/<file name>)" },
	{ WK_OPT_STR, "tests", "FILE", "the test cases (default: FILE with _test.lua for .lua)" },
	WK_OPTS_END
};

static int cmd_policy_test(wk_cli *cli)
{
	script_job job = { WK_BUF_INIT, "", 0, NULL };
	wk_buf tests = WK_BUF_INIT;
	json_t *report = NULL, *c;
	char tpath[4200], spath[4200], tname[300];
	const char *script = cli->pos[0];
	const char *tp = wk_cli_opt(cli, "tests");
	size_t i, n;
	int rc;

	n = strlen(cli->pos[0]);
	if (!tp && n > 9 && strcmp(cli->pos[0] + n - 9, "_test.lua") == 0) {
		/* Given the test file: the script is beside it. */
		snprintf(tpath, sizeof(tpath), "%s", cli->pos[0]);
		snprintf(spath, sizeof(spath), "%.*s.lua", (int)n - 9, cli->pos[0]);
		tp = tpath;
		script = spath;
	}
	if (!tp) {
		snprintf(tpath, sizeof(tpath), "%.*s_test.lua", n > 4 && strcmp(cli->pos[0] + n - 4, ".lua") == 0 ?
		         (int)n - 4 : (int)n, cli->pos[0]);
		tp = tpath;
	}
	tests.max = SCRIPT_MAX;
	if (read_script(cli, script, &job) < 0 ||
	    wk_buf_read_file(&tests, tp, SCRIPT_MAX, "policy test file") < 0) {
		wk_buf_free(&job.src);
		wk_buf_free(&tests);
		return wk_cli_fail(cli);
	}
	snprintf(tname, sizeof(tname), "%s", job.name);
	n = strlen(tname);
	if (n > 4 && strcmp(tname + n - 4, ".lua") == 0)
		snprintf(tname + n - 4, sizeof(tname) - n + 4, "_test.lua");
	rc = wk_rules_test(cli->store, job.name, job.src.ptr, job.src.len, tname, tests.ptr, tests.len, &report);
	wk_buf_free(&job.src);
	wk_buf_free(&tests);
	if (!report)
		return wk_cli_fail(cli);
	if (cli->json) {
		wk_cli_print_json(report);
		return rc == 0 ? WK_EXIT_OK : WK_EXIT_FAIL;
	}
	json_array_foreach(json_object_get(report, "cases"), i, c)
		printf("%s %s%s%s\n", json_is_true(json_object_get(c, "ok")) ? "ok  " : "FAIL",
		       json_string_value(json_object_get(c, "name")),
		       json_is_string(json_object_get(c, "message")) ? ": " : "",
		       json_is_string(json_object_get(c, "message")) ? json_string_value(json_object_get(c, "message")) : "");
	printf("%lld passed, %lld failed\n", (long long)json_integer_value(json_object_get(report, "passed")),
	       (long long)json_integer_value(json_object_get(report, "failed")));
	json_decref(report);
	return rc == 0 ? WK_EXIT_OK : WK_EXIT_FAIL;
}

const wk_command wk_cmd_policy[] = {
	{ "policy list", NULL, "list the installed policy scripts with their versions", cmd_policy_list, no_opts,
	  0, 0, WK_CMD_STORE | WK_CMD_READ, NULL },
	{ "policy show", "NAME", "show an installed script", cmd_policy_show, no_opts, 1, 1,
	  WK_CMD_STORE | WK_CMD_READ, NULL },
	{ "policy check", "FILE", "check a site script against the national rules, without installing it",
	  cmd_policy_check, file_opts, 1, 1, WK_CMD_STORE | WK_CMD_READ, NULL },
	{ "policy test", "FILE", "run the test cases written beside a site script (FILE: the script or its _test.lua)", cmd_policy_test, test_opts,
	  1, 1, WK_CMD_STORE | WK_CMD_READ, "The test file format is in docs/policies.md." },
	{ "policy install", "FILE", "check and install (or update) a site script", cmd_policy_install, file_opts,
	  1, 1, WK_CMD_STORE | WK_CMD_WRITE | WK_CMD_NOGUARD,
	  "Installing is recorded as a change, like any other: the script is versioned and synced." },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
