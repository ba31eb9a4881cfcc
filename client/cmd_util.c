/*
 * cmd_util.c - what every command shares: printing, the write transaction,
 * where the store and the policies live.
 */
#include "cli.h"
#include "error.h"
#include "rules.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void wk_cli_store_path(const wk_cli *cli, char *buf, size_t size)
{
	snprintf(buf, size, "%s/.wicket/store.db", cli->dir);
}

const char *wk_cli_exe_dir(void)
{
	static char dir[4096];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	dir[n] = '\0';
	if (!(slash = strrchr(dir, '/')))
		return NULL;
	*slash = '\0';
	return dir;
}

const char *wk_cli_policy_dir(void)
{
	/*
	 * Installed: <prefix>/bin/wicket, <prefix>/libexec/wicket/wicket-full and
	 * <prefix>/share/wicket/policies. A build tree inside the source tree:
	 * <src>/build/wicket.
	 */
	static const char *const where[] = { "/../share/wicket/policies", "/../../share/wicket/policies",
		                             "/../policies" };
	static char path[4200];
	const char *env = getenv("WICKET_POLICY_DIR"), *exe = wk_cli_exe_dir();
	size_t i;

	if (env && *env)
		return env;
	for (i = 0; exe && i < sizeof(where) / sizeof(where[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", exe, where[i]);
		if (access(path, R_OK) == 0)
			return path;
	}
	return WICKET_POLICY_DIR;
}

int wk_cli_print_json(json_t *json)
{
	char *s;

	if (!json) {
		fprintf(stderr, "wicket: out of memory\n");
		return WK_EXIT_FAIL;
	}
	s = json_dumps(json, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(json);
	if (!s) {
		fprintf(stderr, "wicket: out of memory\n");
		return WK_EXIT_FAIL;
	}
	puts(s);
	free(s);
	return WK_EXIT_OK;
}

void wk_cli_print_fields(const json_t *obj, const char *const *keys, const char *const *labels)
{
	size_t i;

	for (i = 0; keys[i]; i++) {
		json_t *v = json_object_get(obj, keys[i]);
		const char *label = labels ? labels[i] : keys[i];

		if (json_is_string(v))
			printf("%-18s %s\n", label, json_string_value(v));
		else if (json_is_integer(v))
			printf("%-18s %lld\n", label, (long long)json_integer_value(v));
		else if (json_is_true(v))
			printf("%-18s yes\n", label);
		else if (json_is_false(v))
			printf("%-18s no\n", label);
		else
			printf("%-18s -\n", label);
	}
}

typedef struct {
	wk_cli *cli;
	int (*fn)(wk_cli *cli, void *arg);
	void *arg;
} write_job;

static int run_job(wk_store *st, void *arg)
{
	write_job *job = arg;

	(void)st;
	return job->fn(job->cli, job->arg);
}

int wk_cli_write(wk_cli *cli, int (*fn)(wk_cli *cli, void *arg), void *arg)
{
	write_job job = { cli, fn, arg };
	int rc;

	if ((rc = wk_store_begin(cli->store)) < 0)
		return wk_cli_fail(cli);
	if (cli->cmd->flags & WK_CMD_NOGUARD)
		rc = fn(cli, arg);
	else
		rc = wk_rules_guard(cli->store, run_job, &job);
	if (rc == 0)
		rc = wk_store_commit(cli->store);
	if (rc < 0) {
		wk_store_rollback(cli->store);
		return wk_cli_fail(cli);
	}
	return WK_EXIT_OK;
}

/* Call fn for this folder's store, or for each replica of a region. */
int wk_cli_each_store(wk_cli *cli, int (*fn)(wk_cli *cli, wk_store *st, const char *site, void *arg), void *arg)
{
	char path[4200], *role = NULL, *site = NULL;
	struct dirent **list = NULL;
	int n, i, rc;

	if ((rc = wk_store_meta_get(cli->store, "role", &role)) < 0)
		return rc;
	if (!role || strcmp(role, "region") != 0) {
		free(role);
		if ((rc = wk_store_meta_get(cli->store, "site", &site)) == 0)
			rc = fn(cli, cli->store, site ? site : "?", arg);
		free(site);
		return rc;
	}
	free(role);
	snprintf(path, sizeof(path), "%s/.wicket/sites", cli->dir);
	n = scandir(path, &list, NULL, alphasort);
	for (i = 0, rc = 0; i < n; i++) {
		size_t len = strlen(list[i]->d_name);
		wk_store *st = NULL;
		char file[4400], code[24];

		if (rc == 0 && len > 3 && len < 20 && strcmp(list[i]->d_name + len - 3, ".db") == 0) {
			snprintf(code, sizeof(code), "%.*s", (int)len - 3, list[i]->d_name);
			snprintf(file, sizeof(file), "%s/%s", path, list[i]->d_name);
			if ((rc = wk_store_open(&st, file)) == 0)
				rc = fn(cli, st, code, arg);
			wk_store_close(st);
		}
		free(list[i]);
	}
	free(list);
	return rc;
}

