/*
 * cmd_conflicts.c - `wicket conflicts [--json]`: fields written concurrently
 * to different values, here or (in a region's folder) in every
 * establishment's replica; `wicket conflicts resolve ID` in the region's
 * folder settles one as a signed regional change (conflict.h).
 */
#include "cli.h"
#include "conflict.h"
#include "entity.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

static int collect(wk_cli *cli, wk_store *st, const char *site, void *arg)
{
	const char *only = wk_cli_opt(cli, "site");

	if (only && strcmp(only, site) != 0)
		return 0;
	return wk_conflict_list(st, site, arg);
}

static const wk_opt list_opts[] = {
	{ WK_OPT_STR, "site", "SITE", "in a region's folder: only this establishment" },
	WK_OPTS_END
};

static int cmd_conflicts(wk_cli *cli)
{
	json_t *arr = json_array(), *c, *v;
	size_t i, j;

	if (wk_cli_each_store(cli, collect, arr) < 0) {
		json_decref(arr);
		return wk_cli_fail(cli);
	}
	if (cli->json)
		return wk_cli_print_json(arr);
	if (json_array_size(arr) == 0)
		printf("no conflicts\n");
	json_array_foreach(arr, i, c) {
		printf("%s  %s  %s %s, %s: %zu values written concurrently\n", json_string_value(json_object_get(c, "id")),
		       json_string_value(json_object_get(c, "site")), json_string_value(json_object_get(c, "entity")),
		       json_string_value(json_object_get(c, "record")), json_string_value(json_object_get(c, "field")),
		       json_array_size(json_object_get(c, "values")));
		json_array_foreach(json_object_get(c, "values"), j, v) {
			const char *val = json_string_value(json_object_get(v, "value"));
			printf("  %zu%s %-40s %s on %s at %s\n", j + 1, json_is_true(json_object_get(v, "winner")) ? "*" : " ",
			       val ? val : "(none)", json_string_value(json_object_get(v, "person")),
			       json_string_value(json_object_get(v, "device")), json_string_value(json_object_get(v, "time")));
		}
	}
	if (json_array_size(arr))
		printf("* the value held until the region resolves the conflict ('wicket conflicts resolve ID --keep N')\n");
	json_decref(arr);
	return WK_EXIT_OK;
}

typedef struct {
	const char *id, *value, *person;
	int keep, done;
	char site[32];
} resolve_ctx;

static int resolve_in(wk_cli *cli, wk_store *st, const char *site, void *arg)
{
	resolve_ctx *r = arg;
	const char *only = wk_cli_opt(cli, "site");
	char *device = NULL;
	int rc;

	if (only && strcmp(only, site) != 0)
		return 0;
	if ((rc = wk_store_meta_get(st, "device", &device)) < 0 ||
	    (rc = wk_entity_set_actor(st, r->person, device)) < 0 || (rc = wk_store_begin(st)) < 0)
		goto out;
	rc = wk_conflict_resolve(st, r->id, r->keep, r->value);
	if (rc == WK_ENOTFOUND) {
		wk_store_rollback(st);
		rc = 0;
		goto out;
	}
	if (rc == 0 && (rc = wk_store_commit(st)) == 0) {
		r->done = 1;
		snprintf(r->site, sizeof(r->site), "%s", site);
		rc = 1; /* found: stop */
	}
	if (rc < 0)
		wk_store_rollback(st);
out:
	free(device);
	return rc;
}

static const wk_opt resolve_opts[] = {
	{ WK_OPT_STR, "keep", "N", "keep the N-th value listed by 'wicket conflicts'" },
	{ WK_OPT_STR, "value", "TEXT", "write this value instead of any listed" },
	{ WK_OPT_STR, "site", "SITE", "the establishment (when the same id is open at several)" },
	WK_OPTS_END
};

static int cmd_conflicts_resolve(wk_cli *cli)
{
	resolve_ctx r;
	char *role = NULL, *person = NULL;
	const char *keep = wk_cli_opt(cli, "keep");
	int rc, is_region;

	memset(&r, 0, sizeof(r));
	if (!keep == !wk_cli_opt(cli, "value"))
		return wk_cli_usage(cli, "give one of --keep N or --value TEXT");
	if (keep && (atoi(keep) < 1 || atoi(keep) > 64))
		return wk_cli_usage(cli, "--keep takes the number of a listed value, 1 to 64");
	if ((rc = wk_store_meta_get(cli->store, "role", &role)) < 0)
		return wk_cli_fail(cli);
	is_region = role && strcmp(role, "region") == 0;
	free(role);
	if (!is_region) {
		wk_error_set(WK_EPOLICY, "conflicts are settled by the region, so that every device of every establishment "
		             "ends with the same value: ask the regional officer to run 'wicket conflicts resolve %s'",
		             cli->pos[0]);
		return wk_cli_fail(cli);
	}
	if ((rc = wk_store_meta_get(cli->store, "person", &person)) < 0)
		return wk_cli_fail(cli);
	r.id = cli->pos[0];
	r.keep = keep ? atoi(keep) : 0;
	r.value = wk_cli_opt(cli, "value");
	r.person = cli->person ? cli->person : person;
	rc = wk_cli_each_store(cli, resolve_in, &r);
	free(person);
	if (rc < 0)
		return wk_cli_fail(cli);
	if (!r.done) {
		wk_error_set(WK_ENOTFOUND, "no open conflict %s; 'wicket conflicts' lists them", cli->pos[0]);
		return wk_cli_fail(cli);
	}
	printf("conflict %s of %s resolved; 'wicket region push' sends the resolution to the establishment\n", r.id, r.site);
	return WK_EXIT_OK;
}

const wk_command wk_cmd_conflicts[] = {
	{ "conflicts", NULL, "list fields written concurrently to different values", cmd_conflicts, list_opts, 0, 0,
	  WK_CMD_STORE | WK_CMD_READ,
	  "Two devices that change one field before either has seen the other's change leave a conflict: the\n"
	  "field holds the newer value (by clock, then device) on every replica, the other stays listed here\n"
	  "with who wrote it and when, until the region resolves it. In a region's folder, every establishment." },
	{ "conflicts resolve", "ID", "settle a conflict (in the region's folder): a signed regional change",
	  cmd_conflicts_resolve, resolve_opts, 1, 1, WK_CMD_STORE | WK_CMD_WRITE | WK_CMD_NOGUARD,
	  "Writes the chosen value over every concurrent value, in the establishment's replica, as the officer;\n"
	  "'wicket region push' sends it on the officer's chain, and each device applies it at its next sync." },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
