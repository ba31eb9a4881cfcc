/*
 * cmd_signoff.c - `wicket signoff PLAN --site SITE --role ROLE [--return WHY]`
 * in the region's folder, `wicket signoff show [PLAN]` anywhere, and
 * `wicket region push` (the region's decisions on their way to the sites).
 */
#include "cli.h"
#include "device.h"
#include "error.h"
#include "field.h"
#include "plan.h"
#include "region.h"
#include "signoff.h"
#include "sync.h"
#include "truststore.h"

#include <stdlib.h>
#include <string.h>

static const wk_opt sign_opts[] = {
	{ WK_OPT_STR, "site", "SITE", "the establishment whose plan it is (required)" },
	{ WK_OPT_STR, "role", "ROLE", "pgd, prison-gold or probation-gold (required)" },
	{ WK_OPT_STR, "return", "REASON", "return the plan to the establishment, saying why, instead of approving it" },
	WK_OPTS_END
};

static int cmd_signoff(wk_cli *cli)
{
	wk_signoff_request r;
	wk_store *region = NULL, *rs = NULL;
	char today[11], *person = NULL, *device = NULL;
	const char *site = wk_cli_opt(cli, "site");
	int rc;

	if (!site || !wk_cli_opt(cli, "role"))
		return wk_cli_usage(cli, "signoff needs --site SITE and --role pgd|prison-gold|probation-gold");
	if ((rc = wk_region_open(&region, cli->dir)) < 0 ||
	    (rc = wk_region_site_store(&rs, region, cli->dir, site, 0)) < 0 ||
	    (rc = wk_store_meta_get(region, "person", &person)) < 0 || (rc = wk_store_meta_get(rs, "device", &device)) < 0)
		goto out;
	wk_field_today(today);
	memset(&r, 0, sizeof(r));
	r.plan = cli->pos[0];
	r.role = wk_cli_opt(cli, "role");
	r.reason = wk_cli_opt(cli, "return");
	r.person = cli->person ? cli->person : person;
	r.today = today;
	if ((rc = wk_entity_set_actor(rs, r.person, device)) < 0 || (rc = wk_store_begin(rs)) < 0)
		goto out;
	rc = wk_signoff_sign(rs, &r);
	if (rc == 0)
		rc = wk_store_commit(rs);
	else
		wk_store_rollback(rs);
out:
	wk_store_close(rs);
	wk_store_close(region);
	free(person);
	free(device);
	if (rc < 0)
		return wk_cli_fail(cli);
	printf("plan %s of %s %s by %s as %s; 'wicket region push' sends it to the establishment\n", cli->pos[0], site,
	       wk_cli_opt(cli, "return") ? "returned" : "approved", r.person, r.role);
	return WK_EXIT_OK;
}

static const wk_opt show_opts[] = {
	{ WK_OPT_STR, "site", "SITE", "in a region's folder: the establishment" },
	WK_OPTS_END
};

static int cmd_signoff_show(wk_cli *cli)
{
	wk_store *region = NULL, *rs = NULL, *st = cli->store;
	json_t *list = NULL, *s;
	char *plan = NULL, *role = NULL;
	size_t i;
	int rc = 0;

	if (wk_cli_opt(cli, "site")) {
		if ((rc = wk_region_open(&region, cli->dir)) < 0 ||
		    (rc = wk_region_site_store(&rs, region, cli->dir, wk_cli_opt(cli, "site"), 0)) < 0)
			goto out;
		st = rs;
	}
	if ((rc = wk_plan_resolve(st, cli->npos ? cli->pos[0] : NULL, &plan)) < 0 || (rc = wk_signoff_list(st, plan, &list)) < 0)
		goto out;
	{
		char *status = NULL;
		if (wk_entity_get(st, "plan", plan, "status", &status) == 0)
			json_object_set_new(list, "status", json_string(status ? status : ""));
		free(status);
	}
	if (cli->json) {
		wk_cli_print_json(list);
		list = NULL;
		goto out;
	}
	printf("plan %s: %s; needs", plan, json_string_value(json_object_get(list, "status")));
	json_array_foreach(json_object_get(list, "required"), i, s)
		printf(" %s", json_string_value(s));
	printf("\n");
	json_array_foreach(json_object_get(list, "signoffs"), i, s)
		printf("  %-15s %-9s %s %s%s%s%s%s\n", json_string_value(json_object_get(s, "role")),
		       json_string_value(json_object_get(s, "decision")), json_string_value(json_object_get(s, "signed_at")),
		       json_string_value(json_object_get(s, "person")),
		       json_is_true(json_object_get(s, "stale")) ? "  STALE: the plan changed since" : "",
		       json_is_true(json_object_get(s, "current")) ? "" : "  (superseded)",
		       json_is_string(json_object_get(s, "reason")) ? ": " : "",
		       json_is_string(json_object_get(s, "reason")) ? json_string_value(json_object_get(s, "reason")) : "");
out:
	json_decref(list);
	free(plan);
	free(role);
	wk_store_close(rs);
	wk_store_close(region);
	return rc < 0 ? wk_cli_fail(cli) : WK_EXIT_OK;
}

static const wk_opt push_opts[] = {
	{ WK_OPT_STR, "passphrase-file", "FILE", "the officer key's passphrase (else WICKET_PASSPHRASE or a prompt)" },
	WK_OPTS_END
};

static int cmd_region_push(wk_cli *cli)
{
	wk_device_options o = WK_DEVICE_OPTIONS_INIT;
	wk_device_lazy keys;
	wk_ledger_keys lk;
	wk_trust *trust = NULL;
	wk_repo *repo = NULL;
	wk_store *region_check = NULL;
	wk_cli_remote ro;
	wk_sync_report rep;
	char path[4200];
	int rc;

	memset(&rep, 0, sizeof(rep));
	memset(&ro, 0, sizeof(ro));
	if (wk_region_open(&region_check, cli->dir) < 0)
		return wk_cli_fail(cli);
	wk_store_close(region_check);
	o.passphrase_file = wk_cli_opt(cli, "passphrase-file");
	wk_cli_key_path(cli, "device.key", path, sizeof(path));
	if ((rc = wk_cli_remote_load(cli->store, &ro, 0)) < 0 || (rc = wk_truststore_load(cli->store, &trust)) < 0 ||
	    (rc = wk_device_lazy_init(&keys, path, &o)) < 0)
		goto out;
	wk_device_lazy_ledger_keys(&lk, &keys, trust);
	wk_cli_key_path(cli, "git", path, sizeof(path));
	if ((rc = wk_repo_open(&repo, path)) == 0)
		rc = wk_sync_region_push(cli->store, cli->dir, repo, &lk, &ro.o, &rep);
	wk_device_lazy_free(&keys);
out:
	wk_repo_free(repo);
	wk_trust_free(trust);
	wk_cli_remote_free(&ro);
	if (rep.offline)
		return fprintf(stderr, "wicket: %s\n", wk_error_msg()), 3;
	if (rc < 0)
		return wk_cli_fail(cli);
	printf("pushed: %zu changeset%s of the region's decisions sealed, %zu sent\n", rep.sealed, rep.sealed == 1 ? "" : "s",
	       rep.pushed);
	return WK_EXIT_OK;
}

const wk_command wk_cmd_signoff[] = {
	{ "signoff", "PLAN", "approve (or --return) an establishment's submitted plan as a regional role", cmd_signoff,
	  sign_opts, 1, 1, 0,
	  "Run in the region's folder. The signer may not be the person who submitted the plan. The plan\n"
	  "counts as approved once every role its EDM names has approved the same content." },
	{ "signoff show", "[PLAN]", "a plan's sign-offs, with those made stale by a later change", cmd_signoff_show,
	  show_opts, 0, 1, WK_CMD_STORE | WK_CMD_READ, NULL },
	{ "region push", NULL, "send the region's decisions (sign-offs) to the establishments", cmd_region_push, push_opts, 0, 0,
	  WK_CMD_STORE, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
