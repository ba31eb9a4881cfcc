/*
 * cmd_init.c - `wicket init`: create an establishment's store in DIR.
 */
#include "cli.h"
#include "catalogue.h"
#include "error.h"
#include "rules.h"
#include "device.h"
#include "site.h"

#include <unistd.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const wk_opt init_opts[] = {
	{ WK_OPT_STR, "site", "CODE", "establishment code, e.g. LEI (required)" },
	{ WK_OPT_STR, "name", "NAME", "establishment name, e.g. \"HMP Leeds\" (required)" },
	{ WK_OPT_STR, "category", "CAT", "category, e.g. B, C, D, YOI (required)" },
	{ WK_OPT_STR, "function", "FUNCTION", "function, e.g. reception, training, resettlement (required)" },
	{ WK_OPT_STR, "stage", "N", "current regime stage: 4, 3, 2 or 1 (default 3)" },
	{ WK_OPT_STR, "device", "CODE", "this device's code (default: generated)" },
	{ WK_OPT_STR, "person", "NAME", "who works on this device by default (required)" },
	{ WK_OPT_FLAG, "join", NULL, "a further device of an existing establishment (needs only --site, --device, --person)" },
	{ WK_OPT_FLAG, "unattended", NULL, "keep the device keys in an owner-only file with no passphrase" },
	{ WK_OPT_STR, "passphrase-file", "FILE", "the new keys' passphrase (else WICKET_PASSPHRASE or a prompt)" },
	WK_OPTS_END
};

static int cmd_init(wk_cli *cli)
{
	wk_site_options o = WK_SITE_OPTIONS_INIT;
	wk_store *st = NULL;
	wk_device_options keys = WK_DEVICE_OPTIONS_INIT;
	unsigned char spk[32], bpk[32];
	char path[4096], dir[4096], keypath[4200], id[17];
	const char *stage = wk_cli_opt(cli, "stage");

	o.site = wk_cli_opt(cli, "site");
	o.name = wk_cli_opt(cli, "name");
	o.category = wk_cli_opt(cli, "category");
	o.function = wk_cli_opt(cli, "function");
	o.device = wk_cli_opt(cli, "device");
	o.person = wk_cli_opt(cli, "person") ? wk_cli_opt(cli, "person") : cli->person;
	o.policy_dir = wk_cli_policy_dir();
	o.join = wk_cli_opt(cli, "join") != NULL;
	if (o.join && (!o.site || !o.device || !o.person))
		return wk_cli_usage(cli, "init --join needs --site, --device and --person");
	if (!o.join && (!o.site || !o.name || !o.category || !o.function || !o.person))
		return wk_cli_usage(cli, "init needs --site, --name, --category, --function and --person (or --join)");
	if (stage) {
		if (strlen(stage) != 1 || stage[0] < '1' || stage[0] > '4')
			return wk_cli_usage(cli, "--stage must be 4, 3, 2 or 1");
		o.stage = stage[0] - '0';
	}
	if (mkdir(cli->dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "wicket: cannot create directory '%s': %s\n", cli->dir, strerror(errno));
		return WK_EXIT_FAIL;
	}
	snprintf(dir, sizeof(dir), "%s/.wicket", cli->dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "wicket: cannot create directory '%s': %s\n", dir, strerror(errno));
		return WK_EXIT_FAIL;
	}
	/* The device keys first: a passphrase problem leaves nothing behind. */
	wk_cli_key_path(cli, "device.key", keypath, sizeof(keypath));
	keys.unattended = wk_cli_opt(cli, "unattended") != NULL;
	keys.passphrase_file = wk_cli_opt(cli, "passphrase-file");
	if (access(keypath, F_OK) == 0) {
		fprintf(stderr, "wicket: '%s' already holds a device key; this folder is already set up\n", keypath);
		return WK_EXIT_FAIL;
	}
	if (wk_device_create_key(keypath, &keys, spk, bpk) < 0)
		return wk_cli_fail(cli);
	wk_cli_store_path(cli, path, sizeof(path));
	if (wk_site_init(&st, path, &o) < 0) {
		unlink(keypath);
		return wk_cli_fail(cli);
	}
	wk_store_close(st);
	wk_keys_id(id, spk);
	if (o.join)
		printf("joined establishment %s as device %s in %s; its records arrive with the first bundle or sync\n",
		       o.site, o.device, cli->dir);
	else
		printf("initialised establishment %s (%s) in %s\n", o.site, o.name, cli->dir);
	printf("device key %s (%s)\n", id,
	       keys.unattended ? "unattended: owner-only file" : "protected by a passphrase");
	return WK_EXIT_OK;
}

static const wk_opt no_opts[] = { WK_OPTS_END };

static int cmd_catalogue_load(wk_cli *cli, void *arg)
{
	int *added = arg, rc;

	if ((rc = wk_catalogue_load(cli->store, wk_cli_policy_dir(), added)) < 0)
		return rc;
	return wk_rules_load_national(cli->store, wk_cli_policy_dir(), added);
}

static int cmd_edm_load(wk_cli *cli)
{
	int added = 0, rc = wk_cli_write(cli, cmd_catalogue_load, &added);

	if (rc == WK_EXIT_OK)
		printf("%d new national document%s loaded\n", added, added == 1 ? "" : "s");
	return rc;
}

const wk_command wk_cmd_init[] = {
	{ "init", NULL, "create an establishment's store in DIR (see -C)", cmd_init, init_opts, 0, 0, 0,
	  "The store is DIR/.wicket/store.db. The national catalogue is loaded from the installed\n"
	  "policies (or WICKET_POLICY_DIR)." },
	{ "edm load", NULL, "load new versions of the national catalogue and rules", cmd_edm_load, no_opts, 0, 0,
	  WK_CMD_STORE | WK_CMD_WRITE | WK_CMD_NOGUARD,
	  "Loading is idempotent. A new EDM version is added beside the old one; plans keep the\n"
	  "version they were built from and their assessments are never overwritten." },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
