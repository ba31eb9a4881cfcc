/*
 * cmd_sync.c - `wicket remote set|show`, `wicket sync`, `wicket status`,
 * `wicket region pull|publish`: the regional repository.
 *
 * Exit status of sync: 0 synced, 1 failed, 3 offline (the remote cannot be
 * reached: a normal state; the work waits safely for the next sync).
 */
#include "cli.h"
#include "conflict.h"
#include "device.h"
#include "error.h"
#include "ledger.h"
#include "query.h"
#include "region.h"
#include "remote.h"
#include "sync.h"
#include "truststore.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WK_EXIT_OFFLINE 3

static const wk_opt set_opts[] = {
	{ WK_OPT_STR, "ssh-key", "FILE", "ssh:// only: this device's ssh private key" },
	{ WK_OPT_STR, "known-hosts", "FILE", "ssh:// only: the known_hosts file holding the server's key" },
	{ WK_OPT_STR, "stall", "SECONDS", "abandon a transfer when no bytes move this long (default 60)" },
	WK_OPTS_END
};

static int cmd_remote_set(wk_cli *cli)
{
	const char *url = cli->pos[0], *stall = wk_cli_opt(cli, "stall");
	static const char *const schemes[] = { "file://", "ssh://", "http://", "https://", "git://" };
	size_t i;
	int ok = 0;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncmp(url, schemes[i], strlen(schemes[i])) == 0)
			ok = 1;
	if (!ok)
		return wk_cli_usage(cli, "'%s' is not a regional repository address: use file://, ssh://, https:// or git://", url);
	if (stall && (atoi(stall) < 1 || atoi(stall) > 3600))
		return wk_cli_usage(cli, "--stall must be 1 to 3600 seconds");
	if (wk_store_meta_set(cli->store, "remote.url", url) < 0 ||
	    (wk_cli_opt(cli, "ssh-key") && wk_store_meta_set(cli->store, "remote.ssh_key", wk_cli_opt(cli, "ssh-key")) < 0) ||
	    (wk_cli_opt(cli, "known-hosts") &&
	     wk_store_meta_set(cli->store, "remote.known_hosts", wk_cli_opt(cli, "known-hosts")) < 0) ||
	    (stall && wk_store_meta_set(cli->store, "remote.stall", stall) < 0))
		return wk_cli_fail(cli);
	printf("regional repository set to %s\n", url);
	return WK_EXIT_OK;
}

typedef wk_cli_remote remote_cfg;

static void on_progress(void *ctx, const char *phase, unsigned objects, unsigned total, size_t bytes)
{
	remote_cfg *c = ctx;
	time_t now = time(NULL);

	if (c->json) {
		printf("{\"event\":\"progress\",\"phase\":\"%s\",\"objects\":%u,\"total\":%u,\"bytes\":%zu}\n", phase,
		       objects, total, bytes);
		fflush(stdout);
	} else if (c->tty && now != c->last) {
		fprintf(stderr, "\r%s: %u/%u objects, %.1f KiB   ", phase, objects, total, bytes / 1024.0);
		c->last = now;
	}
}

int wk_cli_remote_load(wk_store *st, wk_cli_remote *c, int json)
{
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = wk_store_meta_get(st, "remote.url", &c->url)) < 0 ||
	    (rc = wk_store_meta_get(st, "remote.ssh_key", &c->key)) < 0 ||
	    (rc = wk_store_meta_get(st, "remote.known_hosts", &c->kh)) < 0 ||
	    (rc = wk_store_meta_get(st, "remote.stall", &c->stall)) < 0)
		return rc;
	if (!c->url)
		return wk_error_set(WK_EUSAGE, "no regional repository is set; give it with 'wicket remote set URL'");
	c->o.url = c->url;
	c->o.ssh_key = c->key;
	c->o.known_hosts = c->kh;
	c->o.stall_seconds = c->stall ? (unsigned)atoi(c->stall) : 0;
	c->json = json;
	c->tty = isatty(2);
	c->o.progress = on_progress;
	c->o.progress_ctx = c;
	return 0;
}

void wk_cli_remote_free(wk_cli_remote *c)
{
	if (c->tty && !c->json && c->last)
		fprintf(stderr, "\r%60s\r", "");
	free(c->url);
	free(c->key);
	free(c->kh);
	free(c->stall);
}

static int cmd_remote_show(wk_cli *cli)
{
	remote_cfg c;

	if (wk_cli_remote_load(cli->store, &c, cli->json) < 0) {
		wk_cli_remote_free(&c);
		if (wk_error_code() != WK_EUSAGE)
			return wk_cli_fail(cli);
		/* None set yet: a normal state for a site that syncs by bundle, not a failure. */
		if (cli->json)
			return wk_cli_print_json(json_pack("{s:n}", "url"));
		printf("no regional repository is set (wicket remote set URL)\n");
		return WK_EXIT_OK;
	}
	if (cli->json)
		wk_cli_print_json(json_pack("{s:s, s:s?, s:s?, s:i}", "url", c.url, "ssh_key", c.key, "known_hosts", c.kh,
		                            "stall_seconds", c.o.stall_seconds ? (int)c.o.stall_seconds : 60));
	else
		printf("%s\n", c.url);
	wk_cli_remote_free(&c);
	return WK_EXIT_OK;
}

/* ---- sync ------------------------------------------------------------------ */

static const wk_opt sync_opts[] = {
	{ WK_OPT_FLAG, "json", NULL, "a stream of JSON events (progress, then the result) instead of text" },
	{ WK_OPT_STR, "passphrase-file", "FILE", "the device key's passphrase (else WICKET_PASSPHRASE or a prompt)" },
	WK_OPTS_END
};

typedef struct {
	wk_store *st;
	wk_trust *trust;
	wk_device_lazy keys;
	wk_ledger_keys lk;
	wk_repo *repo;
	remote_cfg rc;
} sync_session;

static int session_open(wk_cli *cli, sync_session *s, int json)
{
	wk_device_options o = WK_DEVICE_OPTIONS_INIT;
	char path[4200];
	int rc;

	memset(s, 0, sizeof(*s));
	s->st = cli->store;
	if ((rc = wk_cli_remote_load(s->st, &s->rc, json)) < 0 || (rc = wk_truststore_load(s->st, &s->trust)) < 0)
		return rc;
	o.passphrase_file = wk_cli_opt(cli, "passphrase-file");
	wk_cli_key_path(cli, "device.key", path, sizeof(path));
	if ((rc = wk_device_lazy_init(&s->keys, path, &o)) < 0)
		return rc;
	wk_device_lazy_ledger_keys(&s->lk, &s->keys, s->trust);
	wk_cli_key_path(cli, "git", path, sizeof(path));
	return wk_repo_open(&s->repo, path);
}

static void session_close(sync_session *s)
{
	wk_repo_free(s->repo);
	wk_device_lazy_free(&s->keys);
	wk_trust_free(s->trust);
	wk_cli_remote_free(&s->rc);
}

static int report(wk_cli *cli, const wk_sync_report *r, int rc, int json, const char *what)
{
	if (json) {
		printf("{\"event\":\"result\",\"ok\":%s,\"offline\":%s,\"applied\":%zu,\"duplicate\":%zu,\"refused\":%zu,"
		       "\"waiting\":%zu,\"sealed\":%zu,\"committed\":%zu,\"pushed\":%zu,\"trust_updates\":%zu,\"problem\":",
		       rc == 0 ? "true" : "false", r->offline ? "true" : "false", r->applied, r->duplicate, r->refused,
		       r->waiting, r->sealed, r->committed, r->pushed, r->trust_updates);
		{
			json_t *p = json_string(rc < 0 ? wk_error_msg() : r->problem);
			char *d = json_dumps(p, JSON_ENCODE_ANY);
			printf("%s}\n", d ? d : "\"\"");
			free(d);
			json_decref(p);
		}
	} else if (r->offline) {
		fprintf(stderr, "wicket: %s\n", wk_error_msg());
	} else if (rc < 0) {
		wk_cli_fail(cli);
	} else {
		printf("%s: %zu changeset%s received (%zu already held, %zu refused%s), %zu sealed, %zu sent%s\n", what,
		       r->applied, r->applied == 1 ? "" : "s", r->duplicate, r->refused,
		       r->waiting ? ", some waiting for earlier changesets" : "", r->sealed, r->pushed,
		       r->trust_updates ? ", trust updated" : "");
		if (r->problem[0])
			fprintf(stderr, "wicket: warning: %s\n", r->problem);
	}
	if (r->offline)
		return WK_EXIT_OFFLINE;
	return rc < 0 || r->refused ? WK_EXIT_FAIL : WK_EXIT_OK;
}

static int cmd_sync(wk_cli *cli)
{
	wk_sync_report r;
	sync_session s;
	int json = wk_cli_opt(cli, "json") != NULL, rc;

	memset(&r, 0, sizeof(r));
	if ((rc = session_open(cli, &s, json)) == 0)
		rc = wk_sync_device(s.st, s.repo, &s.lk, &s.trust, &s.rc.o, &r);
	rc = report(cli, &r, rc, json, "synced");
	session_close(&s);
	return rc;
}

static int cmd_status(wk_cli *cli)
{
	long long pending = 0, changesets = 0, quarantined = 0, unsent = 0, waiting = 0, conflicts = 0;
	char *url = NULL, *last = NULL;
	int rc;

	if ((rc = wk_ledger_counts(cli->store, &pending, &changesets, &quarantined)) < 0 ||
	    (rc = wk_query_int(cli->store, NULL, 0, "SELECT count(*) FROM waiting", &waiting)) < 0 ||
	    (rc = wk_conflict_count(cli->store, &conflicts)) < 0 ||
	    (rc = wk_query_int(cli->store, NULL, 0,
	        "SELECT count(*) FROM changeset WHERE pushed = 0 AND device = (SELECT value FROM meta WHERE key = 'device')",
	        &unsent)) < 0 ||
	    (rc = wk_store_meta_get(cli->store, "remote.url", &url)) < 0 ||
	    (rc = wk_store_meta_get(cli->store, "sync.last", &last)) < 0)
		return wk_cli_fail(cli);
	if (cli->json)
		wk_cli_print_json(json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:s?, s:s?}", "pending_operations",
		                            (json_int_t)pending, "unsent_changesets", (json_int_t)unsent, "changesets",
		                            (json_int_t)changesets, "waiting", (json_int_t)waiting, "quarantined",
		                            (json_int_t)quarantined, "conflicts", (json_int_t)conflicts, "remote", url,
		                            "last_sync", last));
	else
		printf("pending changes      %lld\nunsent changesets    %lld\nchangesets held      %lld\n"
		       "waiting              %lld%s\nquarantined          %lld\nopen conflicts       %lld%s\n"
		       "regional repository  %s\nlast successful sync %s\n", pending, unsent, changesets, waiting,
		       waiting ? " (received before what they depend on; applied when it arrives)" : "", quarantined,
		       conflicts, conflicts ? " ('wicket conflicts' lists them)" : "",
		       url ? url : "(none: wicket remote set URL)", last ? last : "never");
	free(url);
	free(last);
	return WK_EXIT_OK;
}

static void stamp(wk_store *st)
{
	char now[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	wk_store_meta_set(st, "sync.last", now);
}

static int cmd_sync_and_stamp(wk_cli *cli)
{
	int rc = cmd_sync(cli);

	if (rc == WK_EXIT_OK)
		stamp(cli->store);
	return rc;
}

/* ---- the region ------------------------------------------------------------- */

/* Region commands run only in a region's folder. */
static int is_region(wk_cli *cli)
{
	wk_store *st = NULL;

	if (wk_region_open(&st, cli->dir) < 0)
		return 0;
	wk_store_close(st);
	return 1;
}

static int cmd_region_pull(wk_cli *cli)
{
	wk_sync_report r;
	sync_session s;
	int json = wk_cli_opt(cli, "json") != NULL, rc;

	if (!is_region(cli))
		return wk_cli_fail(cli);
	memset(&r, 0, sizeof(r));
	if ((rc = session_open(cli, &s, json)) == 0)
		rc = wk_sync_region_pull(s.st, cli->dir, s.repo, &s.lk, &s.rc.o, &r);
	rc = report(cli, &r, rc, json, "pulled");
	if (rc == WK_EXIT_OK)
		stamp(cli->store);
	session_close(&s);
	return rc;
}

static int cmd_region_publish(wk_cli *cli)
{
	wk_sync_report r;
	sync_session s;
	int json = wk_cli_opt(cli, "json") != NULL, rc;

	if (!is_region(cli))
		return wk_cli_fail(cli);
	memset(&r, 0, sizeof(r));
	if ((rc = session_open(cli, &s, json)) == 0)
		rc = wk_sync_region_publish(s.st, s.repo, &s.lk, &s.rc.o, &r);
	if (rc == 0 && !json)
		printf("trust file published%s\n", r.pushed ? "" : " (the regional repository already had it)");
	else
		rc = report(cli, &r, rc, json, "published");
	session_close(&s);
	return rc < 0 ? WK_EXIT_FAIL : rc;
}

const wk_command wk_cmd_sync[] = {
	{ "remote set", "URL", "set the regional repository (file://, ssh://, https://, git://)", cmd_remote_set, set_opts,
	  1, 1, WK_CMD_STORE, NULL },
	{ "remote show", NULL, "show the regional repository", cmd_remote_show, set_opts + 3, 0, 0,
	  WK_CMD_STORE | WK_CMD_READ, NULL },
	{ "sync", NULL, "send sealed changes to the regional repository and receive the site's and region's", cmd_sync_and_stamp,
	  sync_opts, 0, 0, WK_CMD_STORE,
	  "Exit status: 0 synced, 1 failed (the message says why), 3 offline (nothing lost: the changes wait here)." },
	{ "status", NULL, "pending changes, unsent changesets, the last sync, the remote, quarantined items", cmd_status,
	  set_opts + 3, 0, 0, WK_CMD_STORE | WK_CMD_READ, NULL },
	{ "region pull", NULL, "fetch every device's changesets and open them into the establishments' replicas",
	  cmd_region_pull, sync_opts, 0, 0, WK_CMD_STORE, NULL },
	{ "region publish", NULL, "put the newest trust file on the regional repository", cmd_region_publish, sync_opts,
	  0, 0, WK_CMD_STORE, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
