/*
 * cmd_region.c - `wicket region init|enrol|revoke|rotate`: the region's
 * root key and the trust file it signs.
 */
#include "cli.h"
#include "buf.h"
#include "catalogue.h"
#include "entity.h"
#include "error.h"
#include "region.h"
#include "remote.h"
#include "query.h"
#include "trust.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define KEY_OPTS \
	{ WK_OPT_STR, "passphrase-file", "FILE", "the keys' passphrase (else WICKET_PASSPHRASE or a prompt)" }

static const wk_opt init_opts[] = {
	{ WK_OPT_STR, "region", "CODE", "the region's code, e.g. YORKS (required)" },
	{ WK_OPT_STR, "person", "NAME", "the regional officer holding these keys (required)" },
	{ WK_OPT_FLAG, "unattended", NULL, "keep the keys in owner-only files with no passphrase" },
	{ WK_OPT_STR, "repo", "DIR", "also create the regional repository: a bare git repository in the folder DIR (or file://DIR)" },
	KEY_OPTS,
	WK_OPTS_END
};

static int cmd_region_init(wk_cli *cli)
{
	wk_region_options o = { NULL, NULL, NULL, WK_DEVICE_OPTIONS_INIT };
	char root[65];

	o.region = wk_cli_opt(cli, "region");
	o.person = wk_cli_opt(cli, "person") ? wk_cli_opt(cli, "person") : cli->person;
	o.policy_dir = wk_cli_policy_dir();
	o.keys.unattended = wk_cli_opt(cli, "unattended") != NULL;
	o.keys.passphrase_file = wk_cli_opt(cli, "passphrase-file");
	if (!o.region || !o.person)
		return wk_cli_usage(cli, "region init needs --region CODE and --person NAME");
	if (wk_cli_opt(cli, "repo")) {
		const char *dir = wk_cli_opt(cli, "repo");
		char abs[4096], url[4200], path[4200];
		wk_store *st = NULL;

		if (strncmp(dir, "file://", 7) == 0)
			dir += 7;
		else if (strstr(dir, "://"))
			return wk_cli_usage(cli, "--repo makes a regional repository in a folder here (DIR or file://DIR); "
			                    "make one on a server there, then give its URL to 'wicket remote set'");
		if (wk_repo_create_regional(dir) < 0)
			return wk_cli_fail(cli);
		if (!realpath(dir, abs)) {
			wk_error_set(WK_ERROR, "cannot find the regional repository just made at %s: %s", dir,
			             strerror(errno));
			return wk_cli_fail(cli);
		}
		if (wk_region_init(cli->dir, &o, root) < 0)
			return wk_cli_fail(cli);
		snprintf(url, sizeof(url), "file://%s", abs);
		wk_cli_store_path(cli, path, sizeof(path));
		if (wk_store_open(&st, path) < 0 || wk_store_meta_set(st, "remote.url", url) < 0) {
			wk_store_close(st);
			return wk_cli_fail(cli);
		}
		wk_store_close(st);
		printf("regional repository created at %s\n", url);
	} else if (wk_region_init(cli->dir, &o, root) < 0) {
		return wk_cli_fail(cli);
	}
	printf("region %s created in %s\nroot key (give it to every establishment, to pin their first trust file):\n%s\n",
	       o.region, cli->dir, root);
	return WK_EXIT_OK;
}

static int with_region(wk_cli *cli, wk_store **st)
{
	if (wk_region_open(st, cli->dir) < 0)
		return wk_cli_fail(cli);
	return 0;
}

static int read_request(const char *path, wk_buf *b)
{
	return wk_buf_read_file(b, path, WK_TRUST_REQUEST_MAX, "enrolment request");
}

static unsigned long long seq_opt(const wk_cli *cli, const char *name, int *bad)
{
	const char *v = wk_cli_opt(cli, name);
	char *end = NULL;
	unsigned long long n;

	*bad = 0;
	if (!v)
		return 0;
	n = strtoull(v, &end, 10);
	if (!*v || *end || n < 1) {
		*bad = 1;
		return 0;
	}
	return n;
}

static const wk_opt enrol_opts[] = {
	{ WK_OPT_STR, "from", "SEQ", "the first sequence the key may sign (default 1)" },
	KEY_OPTS,
	WK_OPTS_END
};

static int cmd_region_enrol(wk_cli *cli)
{
	wk_device_options o = WK_DEVICE_OPTIONS_INIT;
	wk_store *st = NULL;
	wk_buf req = WK_BUF_INIT;
	char id[17];
	int bad, rc;
	unsigned long long from = seq_opt(cli, "from", &bad);

	if (bad)
		return wk_cli_usage(cli, "--from must be a sequence number from 1");
	o.passphrase_file = wk_cli_opt(cli, "passphrase-file");
	if ((rc = with_region(cli, &st)) != 0)
		return rc;
	rc = read_request(cli->pos[0], &req);
	if (rc == 0)
		rc = wk_region_enrol(st, cli->dir, (const unsigned char *)req.ptr, req.len, from, &o, id);
	wk_buf_free(&req);
	wk_store_close(st);
	if (rc < 0)
		return wk_cli_fail(cli);
	printf("enrolled key %s; export the new trust file with 'wicket trust export FILE'\n", id);
	return WK_EXIT_OK;
}

static const wk_opt revoke_opts[] = {
	{ WK_OPT_STR, "from", "SEQ", "the first sequence the key may no longer sign (required)" },
	KEY_OPTS,
	WK_OPTS_END
};

static int cmd_region_revoke(wk_cli *cli)
{
	wk_device_options o = WK_DEVICE_OPTIONS_INIT;
	wk_store *st = NULL;
	int bad, rc;
	unsigned long long from = seq_opt(cli, "from", &bad);

	if (bad || !from)
		return wk_cli_usage(cli, "revoke needs --from SEQ: revocation takes effect from a sequence number");
	o.passphrase_file = wk_cli_opt(cli, "passphrase-file");
	if ((rc = with_region(cli, &st)) != 0)
		return rc;
	rc = wk_region_revoke(st, cli->dir, cli->pos[0], from, &o);
	wk_store_close(st);
	if (rc < 0)
		return wk_cli_fail(cli);
	printf("key %s revoked from sequence %llu\n", cli->pos[0], from);
	return WK_EXIT_OK;
}

static int cmd_region_rotate(wk_cli *cli)
{
	wk_device_options o = WK_DEVICE_OPTIONS_INIT;
	wk_store *st = NULL;
	wk_buf req = WK_BUF_INIT;
	char id[17];
	int bad, rc;
	unsigned long long from = seq_opt(cli, "from", &bad);

	if (bad)
		return wk_cli_usage(cli, "--from must be a sequence number from 1");
	o.passphrase_file = wk_cli_opt(cli, "passphrase-file");
	if ((rc = with_region(cli, &st)) != 0)
		return rc;
	rc = read_request(cli->pos[1], &req);
	if (rc == 0)
		rc = wk_region_rotate(st, cli->dir, cli->pos[0], (const unsigned char *)req.ptr, req.len, from, &o, id);
	wk_buf_free(&req);
	wk_store_close(st);
	if (rc < 0)
		return wk_cli_fail(cli);
	printf("key %s replaced by %s\n", cli->pos[0], id);
	return WK_EXIT_OK;
}

static const wk_opt rotate_root_opts[] = { KEY_OPTS, WK_OPTS_END };

static int cmd_region_rotate_root(wk_cli *cli)
{
	wk_device_options o = WK_DEVICE_OPTIONS_INIT;
	wk_store *st = NULL;
	char root[65];
	int rc;

	o.passphrase_file = wk_cli_opt(cli, "passphrase-file");
	if ((rc = with_region(cli, &st)) != 0)
		return rc;
	rc = wk_region_rotate_root(st, cli->dir, &o, root);
	wk_store_close(st);
	if (rc < 0)
		return wk_cli_fail(cli);
	printf("the root is handed over to a new key, signed by the old one:\n%s\n"
	       "export the trust file for the establishments; destroy .wicket/root.key.old when they have it\n", root);
	return WK_EXIT_OK;
}

static int cmd_quarantine(wk_cli *cli);
static const wk_opt no_opts[] = { WK_OPTS_END };

static const wk_opt catalogue_opts[] = {
	{ WK_OPT_STR, "policy-dir", "DIR", "the policies folder (default: the region's, or WICKET_POLICY_DIR)" },
	WK_OPTS_END
};

typedef struct {
	const char *dir, *person;
	int total;
} catalogue_ctx;

static int publish_one(wk_cli *cli, wk_store *st, const char *site, void *arg)
{
	catalogue_ctx *c = arg;
	char *device = NULL;
	int rc, added = 0;

	(void)cli;
	if ((rc = wk_store_meta_get(st, "device", &device)) < 0 || (rc = wk_entity_set_actor(st, c->person, device)) < 0 ||
	    (rc = wk_store_begin(st)) < 0)
		goto out;
	if ((rc = wk_catalogue_load(st, c->dir, &added)) == 0)
		rc = wk_store_commit(st);
	else
		wk_store_rollback(st);
	if (rc == 0) {
		printf("%s: %d new national document%s\n", site, added, added == 1 ? "" : "s");
		c->total += added;
	}
out:
	free(device);
	return rc;
}

static int cmd_region_catalogue(wk_cli *cli)
{
	catalogue_ctx c = { NULL, NULL, 0 };
	char *pdir = NULL, *person = NULL;
	wk_store *check = NULL;
	int rc;

	if ((rc = wk_region_open(&check, cli->dir)) < 0)
		return wk_cli_fail(cli);
	wk_store_close(check);
	if ((rc = wk_store_meta_get(cli->store, "policy_dir", &pdir)) < 0 ||
	    (rc = wk_store_meta_get(cli->store, "person", &person)) < 0)
		goto out;
	c.dir = wk_cli_opt(cli, "policy-dir") ? wk_cli_opt(cli, "policy-dir") : getenv("WICKET_POLICY_DIR") ? getenv("WICKET_POLICY_DIR") : pdir;
	c.person = cli->person ? cli->person : person;
	if (!c.dir) {
		rc = wk_error_set(WK_EUSAGE, "no policy folder: give --policy-dir DIR");
		goto out;
	}
	rc = wk_cli_each_store(cli, publish_one, &c);
	if (rc == 0)
		printf("%d new national document%s in all; 'wicket region push' sends them to the establishments\n", c.total,
		       c.total == 1 ? "" : "s");
out:
	free(pdir);
	free(person);
	return rc < 0 ? wk_cli_fail(cli) : WK_EXIT_OK;
}

const wk_command wk_cmd_region[] = {
	{ "region catalogue", NULL, "publish the national catalogue's new versions to every establishment",
	  cmd_region_catalogue, catalogue_opts, 0, 0, WK_CMD_STORE | WK_CMD_NOGUARD,
	  "Loads the national documents (EDMs, stages) of the policy folder into the region's replica of each\n"
	  "establishment, as the officer; 'wicket region push' then sends the new versions on the officer's\n"
	  "chain, and each device adds them to its catalogue at its next sync, verified like any changeset.\n"
	  "Versions already published are not sent again; a changed document needs a new version number." },
	{ "region init", NULL, "create a region: its root key, officer key, store and trust file", cmd_region_init,
	  init_opts, 0, 0, 0, NULL },
	{ "region enrol", "REQUEST", "sign a device's enrolment request into a new trust version", cmd_region_enrol,
	  enrol_opts, 1, 1, 0, NULL },
	{ "region revoke", "KEYID", "revoke a key from a sequence number on", cmd_region_revoke, revoke_opts, 1, 1, 0, NULL },
	{ "region rotate", "KEYID REQUEST", "replace a key by the one in a new enrolment request", cmd_region_rotate,
	  enrol_opts, 2, 2, 0, NULL },
	{ "region rotate-root", NULL, "hand the root over to a new key, signed by the old one", cmd_region_rotate_root,
	  rotate_root_opts, 0, 0, 0, NULL },
	{ "quarantine", NULL, "list the changesets refused, with the reason", cmd_quarantine, no_opts, 0, 0,
	  WK_CMD_STORE | WK_CMD_READ, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};

/* What was refused, and why: the reasons the ledger recorded (in a region, every replica's). */
static int quarantine_one(wk_cli *cli, wk_store *st, const char *site, void *arg)
{
	json_t *all = arg, *list = NULL, *q;
	size_t i;
	int rc;

	(void)cli;
	(void)site;
	rc = wk_query_json(st, NULL, 0,
	        "SELECT json_group_array(json_object('id', id, 'recorded_at', recorded_at, 'source', source,"
	        " 'site', site, 'device', device, 'seq', seq, 'reason', reason, 'bytes', length(envelope)))"
	        " FROM (SELECT * FROM quarantine ORDER BY id)", &list);
	if (rc < 0)
		return rc;
	json_array_foreach(list, i, q)
		json_array_append(all, q);
	json_decref(list);
	return 0;
}

static int cmd_quarantine(wk_cli *cli)
{
	json_t *all = json_array(), *q;
	char *role = NULL;
	size_t i;
	int region;

	wk_store_meta_get(cli->store, "role", &role);
	region = role && strcmp(role, "region") == 0;
	free(role);
	/* A region's refusals sit in its replicas; its own store may hold those of its trust ref. */
	if (wk_cli_each_store(cli, quarantine_one, all) < 0 || (region && quarantine_one(cli, cli->store, "", all) < 0)) {
		json_decref(all);
		return wk_cli_fail(cli);
	}
	if (cli->json)
		return wk_cli_print_json(all);
	if (json_array_size(all) == 0)
		printf("nothing is in quarantine\n");
	json_array_foreach(all, i, q)
		printf("%lld  %s  %s/%s #%lld  from %s\n      %s\n", (long long)json_integer_value(json_object_get(q, "id")),
		       json_string_value(json_object_get(q, "recorded_at")),
		       json_is_string(json_object_get(q, "site")) ? json_string_value(json_object_get(q, "site")) : "?",
		       json_is_string(json_object_get(q, "device")) ? json_string_value(json_object_get(q, "device")) : "?",
		       (long long)json_integer_value(json_object_get(q, "seq")),
		       json_is_string(json_object_get(q, "source")) ? json_string_value(json_object_get(q, "source")) : "?",
		       json_string_value(json_object_get(q, "reason")));
	json_decref(all);
	return WK_EXIT_OK;
}
