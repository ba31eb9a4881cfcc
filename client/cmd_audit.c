/*
 * cmd_audit.c - `wicket audit verify|log`: the history, checked and searched.
 * In a region's folder both run over every establishment's replica.
 */
#include "cli.h"
#include "audit.h"
#include "device.h"
#include "error.h"
#include "oplog.h"
#include "query.h"
#include "truststore.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	wk_trust *trust;
	wk_ledger_keys lk;
	wk_audit_report r;
} verify_job;

static int verify_one(wk_cli *cli, wk_store *st, const char *site, void *arg)
{
	verify_job *j = arg;

	(void)cli;
	(void)site;
	return wk_audit_verify(st, j->trust, &j->lk, &j->r);
}

static const wk_opt verify_opts[] = {
	{ WK_OPT_STR, "passphrase-file", "FILE", "the device key's passphrase, to open payloads (else WICKET_PASSPHRASE or a prompt)" },
	WK_OPTS_END
};

static int cmd_audit_verify(wk_cli *cli)
{
	wk_device_options o = WK_DEVICE_OPTIONS_INIT;
	wk_device_lazy keys;
	verify_job j;
	char path[4200];
	size_t i;
	int rc;

	memset(&j, 0, sizeof(j));
	o.passphrase_file = wk_cli_opt(cli, "passphrase-file");
	wk_cli_key_path(cli, "device.key", path, sizeof(path));
	rc = wk_truststore_load(cli->store, &j.trust);
	if (rc == WK_ENOTFOUND) {
		/* No trust yet: fine while there is nothing signed to check, an error once there is. */
		long long held = 0;

		if (wk_query_int(cli->store, NULL, 0, "SELECT count(*) FROM changeset", &held) == 0 && held == 0) {
			wk_error_clear();
			rc = 0;
		}
	}
	if (rc < 0 || (rc = wk_device_lazy_init(&keys, path, &o)) < 0) {
		wk_trust_free(j.trust);
		return wk_cli_fail(cli);
	}
	wk_device_lazy_ledger_keys(&j.lk, &keys, j.trust);
	rc = wk_cli_each_store(cli, verify_one, &j);
	wk_device_lazy_free(&keys);
	wk_trust_free(j.trust);
	if (rc < 0) {
		wk_audit_report_free(&j.r);
		return wk_cli_fail(cli);
	}
	if (cli->json) {
		json_t *problems = json_array();
		for (i = 0; i < j.r.nproblems; i++)
			json_array_append_new(problems, json_pack("{s:s, s:s, s:I, s:s, s:s}", "site", j.r.problems[i].site,
			        "device", j.r.problems[i].device, "seq", (json_int_t)j.r.problems[i].seq,
			        "check", j.r.problems[i].check, "problem", j.r.problems[i].message));
		wk_cli_print_json(json_pack("{s:b, s:I, s:I, s:I, s:I, s:o}", "ok", j.r.nproblems == 0,
		                            "chains", (json_int_t)j.r.chains, "changesets", (json_int_t)j.r.changesets,
		                            "opened", (json_int_t)j.r.opened, "operations", (json_int_t)j.r.operations,
		                            "problems", problems));
	} else {
		printf("%s: %zu device chains, %zu changesets (%zu opened, %zu operations checked), %zu problem%s\n",
		       j.r.nproblems ? "AUDIT FAILED" : "audit passed", j.r.chains, j.r.changesets, j.r.opened,
		       j.r.operations, j.r.nproblems, j.r.nproblems == 1 ? "" : "s");
		for (i = 0; i < j.r.nproblems; i++)
			printf("  %-9s %s/%s #%lld: %s\n", j.r.problems[i].check, j.r.problems[i].site, j.r.problems[i].device,
			       j.r.problems[i].seq, j.r.problems[i].message);
	}
	rc = j.r.nproblems ? WK_EXIT_FAIL : WK_EXIT_OK;
	wk_audit_report_free(&j.r);
	return rc;
}

/* ---- audit log ---------------------------------------------------------- */

static const wk_opt log_opts[] = {
	{ WK_OPT_STR, "site", "SITE", "only this establishment" },
	{ WK_OPT_STR, "device", "DEVICE", "only changes made on this device" },
	{ WK_OPT_STR, "person", "NAME", "only changes by this person" },
	{ WK_OPT_STR, "entity", "TYPE", "only this record type" },
	{ WK_OPT_STR, "id", "ID", "only this record (a trailing * matches a prefix)" },
	{ WK_OPT_STR, "field", "FIELD", "only changes of this field" },
	{ WK_OPT_STR, "since", "DATE", "on or after DATE (YYYY-MM-DD, UTC)" },
	{ WK_OPT_STR, "until", "DATE", "on or before DATE (YYYY-MM-DD, UTC)" },
	{ WK_OPT_STR, "format", "FORMAT", "table (default), csv or json" },
	WK_OPTS_END
};

typedef struct {
	wk_log_filter f;
	const char *site;
	json_t *all;
} log_job;

static int log_one(wk_cli *cli, wk_store *st, const char *site, void *arg)
{
	log_job *j = arg;
	json_t *list = NULL, *o;
	size_t i;
	int rc;

	(void)cli;
	if (j->site && strcmp(j->site, site) != 0)
		return 0;
	if ((rc = wk_log_query(st, &j->f, &list)) < 0)
		return rc;
	json_array_foreach(list, i, o) {
		json_object_set_new(o, "site", json_string(site));
		json_array_append(j->all, o);
	}
	json_decref(list);
	return 0;
}

static void csv_cell(const char *s)
{
	if (!s)
		return;
	if (strpbrk(s, ",\"\n\r")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int cmd_audit_log(wk_cli *cli)
{
	static const char *const cols[] = { "time", "site", "device", "person", "entity", "id", "kind", "field", "old", "new" };
	const char *format = wk_cli_opt(cli, "format");
	log_job j;
	json_t *o;
	size_t i, c;

	memset(&j, 0, sizeof(j));
	if (!format)
		format = cli->json ? "json" : "table";
	if (strcmp(format, "table") != 0 && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
		return wk_cli_usage(cli, "--format must be table, csv or json");
	j.site = wk_cli_opt(cli, "site");
	j.f.device = wk_cli_opt(cli, "device");
	j.f.person = wk_cli_opt(cli, "person");
	j.f.entity = wk_cli_opt(cli, "entity");
	j.f.id = wk_cli_opt(cli, "id");
	j.f.field = wk_cli_opt(cli, "field");
	j.f.since = wk_cli_opt(cli, "since");
	j.f.until = wk_cli_opt(cli, "until");
	j.all = json_array();
	if (wk_cli_each_store(cli, log_one, &j) < 0) {
		json_decref(j.all);
		return wk_cli_fail(cli);
	}
	if (strcmp(format, "json") == 0)
		return wk_cli_print_json(j.all);
	if (strcmp(format, "csv") == 0) {
		for (c = 0; c < 10; c++)
			printf("%s%s", c ? "," : "", cols[c]);
		putchar('\n');
		json_array_foreach(j.all, i, o) {
			for (c = 0; c < 10; c++) {
				if (c)
					putchar(',');
				csv_cell(str(o, cols[c]));
			}
			putchar('\n');
		}
	} else {
		json_array_foreach(j.all, i, o) {
			const char *nv = str(o, "new");
			printf("%s %-6s %-8s %-18.18s %-14s %s%s%s = %.60s\n", str(o, "time"), str(o, "site"), str(o, "device"),
			       str(o, "person"), str(o, "entity"), str(o, "id"), str(o, "field") ? "." : "",
			       str(o, "field") ? str(o, "field") : " (created)", nv ? nv : "-");
		}
	}
	json_decref(j.all);
	return WK_EXIT_OK;
}

static const wk_opt show_opts[] = {
	{ WK_OPT_STR, "site", "SITE", "the establishment (in a region's folder; default: every one holding the record)" },
	WK_OPTS_END
};

/* One record's whole history: every change to it, oldest first, whoever made it. */
static int cmd_audit_show(wk_cli *cli)
{
	log_job j;
	json_t *o;
	size_t i;

	memset(&j, 0, sizeof(j));
	j.site = wk_cli_opt(cli, "site");
	j.f.entity = cli->pos[0];
	j.f.id = cli->pos[1];
	j.all = json_array();
	if (wk_cli_each_store(cli, log_one, &j) < 0) {
		json_decref(j.all);
		return wk_cli_fail(cli);
	}
	if (json_array_size(j.all) == 0) {
		json_decref(j.all);
		fprintf(stderr, "wicket: no history of %s '%s' here\n", cli->pos[0], cli->pos[1]);
		return WK_EXIT_FAIL;
	}
	if (cli->json)
		return wk_cli_print_json(j.all);
	printf("%s %s: %zu changes\n", cli->pos[0], cli->pos[1], json_array_size(j.all));
	json_array_foreach(j.all, i, o) {
		const char *old = str(o, "old"), *nv = str(o, "new");
		printf("%s %s/%s %s\n    %s: %.200s%s%.200s\n", str(o, "time"), str(o, "site"), str(o, "device"),
		       str(o, "person"), str(o, "field") ? str(o, "field") : "(created)", old ? old : "",
		       str(o, "field") ? " -> " : "", nv ? nv : "");
	}
	json_decref(j.all);
	return WK_EXIT_OK;
}

const wk_command wk_cmd_audit[] = {
	{ "audit verify", NULL, "check every changeset from the first: signature, trust, chain, scope, the log",
	  cmd_audit_verify, verify_opts, 0, 0, WK_CMD_STORE | WK_CMD_READ,
	  "Exits 1 if any problem is found; each is printed with its evidence. In a region's folder it\n"
	  "checks every establishment's replica." },
	{ "audit log", NULL, "who changed what and when, across establishments (table, csv or json)", cmd_audit_log,
	  log_opts, 0, 0, WK_CMD_STORE | WK_CMD_READ, NULL },
	{ "audit show", "ENTITY ID", "one record's whole history, oldest first (e.g. assessment omu/2.4)", cmd_audit_show,
	  show_opts, 2, 2, WK_CMD_STORE | WK_CMD_READ, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
