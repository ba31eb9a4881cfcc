/*
 * cmd_bundle.c - `wicket seal`, `wicket bundle export|import|show`: changesets
 * carried on removable media, for sites with no network at all. Works in an
 * establishment's folder and in a region's (which keeps one replica store per
 * establishment and routes each envelope to it).
 */
#include "cli.h"
#include "buf.h"
#include "bundle.h"
#include "device.h"
#include "error.h"
#include "ledger.h"
#include "region.h"
#include "truststore.h"

#include <dirent.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

/* What a command holds while it works: the store, the trust, this device's keys. */
typedef struct {
	wk_store *st;        /* borrowed from cli, or the region store */
	int region;          /* the folder is a region's */
	wk_trust *trust;
	wk_keys *keys;
	wk_ledger_keys lk;
	char *site;
} session;

static void session_free(session *s, wk_cli *cli)
{
	wk_trust_free(s->trust);
	wk_keys_free(s->keys);
	if (s->st && s->st != cli->store)
		wk_store_close(s->st);
	free(s->site);
}

static int session_open(session *s, wk_cli *cli, int need_keys)
{
	char path[4200], *role = NULL;
	wk_device_options o = WK_DEVICE_OPTIONS_INIT;
	int rc;

	memset(s, 0, sizeof(*s));
	wk_cli_store_path(cli, path, sizeof(path));
	if ((rc = wk_store_open(&s->st, path)) < 0)
		return rc;
	if ((rc = wk_store_meta_get(s->st, "role", &role)) < 0 ||
	    (rc = wk_store_meta_get(s->st, "site", &s->site)) < 0)
		goto out;
	s->region = role && strcmp(role, "region") == 0;
	if ((rc = wk_truststore_load(s->st, &s->trust)) < 0)
		goto out;
	if (need_keys) {
		o.passphrase_file = wk_cli_opt(cli, "passphrase-file");
		wk_cli_key_path(cli, "device.key", path, sizeof(path));
		if ((rc = wk_device_load_key(&s->keys, path, &o)) < 0)
			goto out;
		wk_device_ledger_keys(&s->lk, s->keys, s->trust);
	}
out:
	free(role);
	return rc;
}

#define PASS_OPT { WK_OPT_STR, "passphrase-file", "FILE", "the device key's passphrase (else WICKET_PASSPHRASE or a prompt)" }

static const wk_opt seal_opts[] = { PASS_OPT, WK_OPTS_END };

static int seal_pending(session *s, size_t *sealed)
{
	*sealed = 0;
	if (s->region)
		return 0; /* regional publications are the region issue's; nothing to seal here yet */
	return wk_ledger_seal(s->st, &s->lk, sealed);
}

static int cmd_seal(wk_cli *cli)
{
	session s;
	size_t sealed = 0;
	int rc = session_open(&s, cli, 1);

	if (rc == 0)
		rc = seal_pending(&s, &sealed);
	session_free(&s, cli);
	if (rc < 0)
		return wk_cli_fail(cli);
	printf("%zu changeset%s sealed\n", sealed, sealed == 1 ? "" : "s");
	return WK_EXIT_OK;
}

/* ---- export ------------------------------------------------------------- */

static const wk_opt export_opts[] = {
	{ WK_OPT_STR, "since", "MARKS|BUNDLE", "only changesets above LEI/d1:12,LEI/d2:3, or newer than a bundle sent before" },
	{ WK_OPT_STR, "for", "SITE", "only this establishment's changesets (a region exporting to one site)" },
	{ WK_OPT_FLAG, "gzip", NULL, "compress the tar" },
	PASS_OPT,
	WK_OPTS_END
};

typedef struct {
	wk_bundle_envelope *envs;
	unsigned char **copies;
	size_t n, cap;
	const char *for_site;
} collected;

static int collect(const char *site, const char *device, long long seq, const unsigned char *env, size_t n, void *arg)
{
	collected *c = arg;

	(void)device;
	(void)seq;
	if (c->for_site && strcmp(site, c->for_site) != 0)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		wk_bundle_envelope *e = realloc(c->envs, cap * sizeof(*e));
		unsigned char **p = realloc(c->copies, cap * sizeof(*p));
		if (e)
			c->envs = e;
		if (p)
			c->copies = p;
		if (!e || !p)
			return wk_error_set(WK_ELIMIT, "out of memory collecting envelopes");
		c->cap = cap;
	}
	if (!(c->copies[c->n] = malloc(n ? n : 1)))
		return wk_error_set(WK_ELIMIT, "out of memory collecting envelopes");
	memcpy(c->copies[c->n], env, n);
	c->envs[c->n].env = c->copies[c->n];
	c->envs[c->n].len = n;
	c->n++;
	return 0;
}

/* A region exports what its replicas hold. */
static int region_collect(wk_cli *cli, session *s, collected *c)
{
	char path[4200];
	struct dirent *d;
	DIR *dir;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/.wicket/sites", cli->dir);
	if (!(dir = opendir(path)))
		return 0;
	while (rc == 0 && (d = readdir(dir)) != NULL) {
		size_t len = strlen(d->d_name);
		char site[24];
		wk_store *rs = NULL;

		if (len < 4 || len > 19 || strcmp(d->d_name + len - 3, ".db") != 0)
			continue;
		snprintf(site, sizeof(site), "%.*s", (int)len - 3, d->d_name);
		if ((rc = wk_region_site_store(&rs, s->st, cli->dir, site, 0)) == 0)
			rc = wk_ledger_each(rs, collect, c);
		wk_store_close(rs);
	}
	closedir(dir);
	return rc;
}

static int parse_marks(const char *spec, wk_bundle_mark **marks, size_t *n)
{
	char *copy, *tok, *save = NULL;
	int rc = 0;

	*marks = NULL;
	*n = 0;
	if (!spec)
		return 0;
	if (!(copy = strdup(spec)) || !(*marks = calloc(strlen(spec) / 4 + 1, sizeof(**marks)))) {
		free(copy);
		return wk_error_set(WK_ELIMIT, "out of memory");
	}
	for (tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save))
		if ((rc = wk_bundle_mark_parse(&(*marks)[*n], tok)) == 0)
			(*n)++;
	free(copy);
	return rc;
}

static int cmd_bundle_export(wk_cli *cli)
{
	wk_bundle_export_options o = WK_BUNDLE_EXPORT_OPTIONS_INIT;
	collected c = { NULL, NULL, 0, 0, NULL };
	wk_bundle_mark *marks = NULL;
	wk_buf out = WK_BUF_INIT;
	unsigned char *tf = NULL;
	size_t tflen = 0, sealed = 0, count = 0, i;
	session s;
	int rc;

	if ((rc = session_open(&s, cli, 1)) < 0)
		goto out;
	if (wk_cli_opt(cli, "since") && access(wk_cli_opt(cli, "since"), F_OK) == 0) {
		/* --since a bundle sent before: what it held is what the other end has. */
		wk_bundle_import_options io = WK_BUNDLE_IMPORT_OPTIONS_INIT;
		wk_bundle_report prev = WK_BUNDLE_REPORT_INIT;

		io.trust = s.trust;
		if ((rc = wk_bundle_inspect_file(wk_cli_opt(cli, "since"), &io, &prev)) == 0 && prev.nheld) {
			marks = malloc(prev.nheld * sizeof(*marks));
			if (marks) {
				memcpy(marks, prev.held, prev.nheld * sizeof(*marks));
				o.nsince = prev.nheld;
			} else {
				rc = wk_error_set(WK_ELIMIT, "out of memory");
			}
		}
		wk_bundle_report_free(&prev);
		if (rc < 0)
			goto out;
	} else if ((rc = parse_marks(wk_cli_opt(cli, "since"), &marks, &o.nsince)) < 0) {
		goto out;
	}
	if ((rc = seal_pending(&s, &sealed)) < 0 || (rc = wk_truststore_export(s.st, &tf, &tflen)) < 0)
		goto out;
	o.trust = s.trust;
	o.sign_pk = wk_keys_sign_pk(s.keys);
	o.sign = wk_device_sign;
	o.sign_ctx = s.keys;
	o.since = marks;
	o.for_site = wk_cli_opt(cli, "for");
	o.trust_file = tf;
	o.trust_file_len = tflen;
	o.gzip = wk_cli_opt(cli, "gzip") != NULL;
	if (!s.region) {
		rc = wk_bundle_export_file(cli->pos[0], s.st, &o, &count);
	} else {
		FILE *f;

		o.from = s.site;
		c.for_site = o.for_site;
		if ((rc = region_collect(cli, &s, &c)) == 0 && (rc = wk_bundle_write(&out, c.envs, c.n, &o)) == 0) {
			f = fopen(cli->pos[0], "wb");
			if (!f || fwrite(out.ptr, 1, out.len, f) != out.len || fflush(f) != 0 || fsync(fileno(f)) != 0)
				rc = wk_error_set(WK_EIO, "cannot write the bundle to '%s'", cli->pos[0]);
			if (f)
				fclose(f);
			count = c.n;
		}
	}
	if (rc == 0)
		printf("%zu changeset%s newly sealed; bundle %s holds %zu changeset%s and trust version %llu\n", sealed,
		       sealed == 1 ? "" : "s", cli->pos[0], count, count == 1 ? "" : "s",
		       (unsigned long long)wk_trust_version(s.trust));
out:
	for (i = 0; i < c.n; i++)
		free(c.copies[i]);
	free(c.copies);
	free(c.envs);
	free(marks);
	free(tf);
	wk_buf_free(&out);
	session_free(&s, cli);
	return rc < 0 ? wk_cli_fail(cli) : WK_EXIT_OK;
}

/* ---- import ------------------------------------------------------------- */

typedef struct {
	wk_cli *cli;
	session *s;
	wk_store *stores[64];
	char sites[64][24];
	size_t n;
} router;

static wk_store *store_for_site(void *ctx, const char *site)
{
	router *r = ctx;
	size_t i;

	if (!r->s->region)
		return strcmp(site, r->s->site) == 0 ? r->s->st : NULL;
	for (i = 0; i < r->n; i++)
		if (strcmp(r->sites[i], site) == 0)
			return r->stores[i];
	if (r->n == sizeof(r->stores) / sizeof(r->stores[0]) ||
	    wk_region_site_store(&r->stores[r->n], r->s->st, r->cli->dir, site, 1) < 0)
		return NULL;
	snprintf(r->sites[r->n], sizeof(r->sites[0]), "%s", site);
	return r->stores[r->n++];
}

static const wk_opt import_opts[] = { PASS_OPT, WK_OPTS_END };

static void print_report(const wk_bundle_report *r)
{
	size_t i;

	printf("bundle from %s (key %s), for %s: %zu applied, %zu already held, %zu not for this store, "
	       "%zu blocked, %zu refused", r->from, r->signer_id, r->for_site, r->applied, r->duplicate,
	       r->not_for_us, r->blocked, r->refused);
	if (r->waiting)
		printf(", %zu waiting for earlier changesets", r->waiting);
	printf("\n");
	for (i = 0; i < r->nitems; i++)
		if (r->items[i].reason)
			printf("  %-9s %s/%s #%llu: %s\n", wk_bundle_outcome_name(r->items[i].outcome), r->items[i].site,
			       r->items[i].device, (unsigned long long)r->items[i].seq, r->items[i].reason);
}

static int cmd_bundle_import(wk_cli *cli)
{
	wk_bundle_import_options o = WK_BUNDLE_IMPORT_OPTIONS_INIT;
	wk_bundle_report rep = WK_BUNDLE_REPORT_INIT;
	router r;
	session s;
	unsigned long long v = 0;
	size_t i, refused = 0;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = session_open(&s, cli, 1)) < 0)
		goto out;
	r.cli = cli;
	r.s = &s;
	o.trust = s.trust;
	o.keys = &s.lk;
	o.store_for_site = store_for_site;
	o.store_ctx = &r;
	o.source = cli->pos[0];
	rc = wk_bundle_import_file(cli->pos[0], &o, &rep);
	/* A newer trust file in the bundle proves itself by the root's signature. */
	if (rep.trust_file && rep.trust_newer &&
	    wk_truststore_import(s.st, rep.trust_file, rep.trust_file_len, NULL, &v) == 0 && v)
		printf("trust file version %llu accepted from the bundle\n", v);
	if (rc < 0)
		goto out;
	print_report(&rep);
	refused = rep.refused;
out:
	for (i = 0; i < r.n; i++)
		wk_store_close(r.stores[i]);
	wk_bundle_report_free(&rep);
	session_free(&s, cli);
	if (rc < 0)
		return wk_cli_fail(cli);
	return refused ? WK_EXIT_FAIL : WK_EXIT_OK;
}

static const wk_opt show_opts[] = { WK_OPTS_END };

/* What a bundle holds, checked (manifest, signature, signer's trust) without applying anything. */
static int cmd_bundle_show(wk_cli *cli)
{
	wk_bundle_import_options io = WK_BUNDLE_IMPORT_OPTIONS_INIT;
	wk_bundle_report rep = WK_BUNDLE_REPORT_INIT;
	wk_trust *trust = NULL;
	size_t i;
	int rc;

	if ((rc = wk_truststore_load(cli->store, &trust)) == 0) {
		io.trust = trust;
		rc = wk_bundle_inspect_file(cli->pos[0], &io, &rep);
	}
	if (rc < 0) {
		wk_trust_free(trust);
		wk_bundle_report_free(&rep);
		return wk_cli_fail(cli);
	}
	if (cli->json) {
		wk_buf js = WK_BUF_INIT;
		json_error_t jerr;

		if (wk_bundle_report_json(&js, &rep) == 0)
			wk_cli_print_json(json_loadb(js.ptr, js.len, 0, &jerr));
		wk_buf_free(&js);
	} else {
		printf("bundle of region %s from %s (key %s), for %s: %zu changesets%s\n", rep.region, rep.from, rep.signer_id,
		       rep.for_site, rep.nitems, rep.trust_file ? ", and a trust file" : "");
		for (i = 0; i < rep.nitems; i++)
			printf("  %s/%s #%llu  %zu bytes\n", rep.items[i].site, rep.items[i].device,
			       (unsigned long long)rep.items[i].seq, rep.items[i].size);
	}
	wk_trust_free(trust);
	wk_bundle_report_free(&rep);
	return WK_EXIT_OK;
}

const wk_command wk_cmd_bundle[] = {
	{ "seal", NULL, "seal this device's pending changes into signed, encrypted changesets", cmd_seal, seal_opts, 0, 0,
	  0, NULL },
	{ "bundle export", "FILE", "write a bundle of changesets (and the trust file) for removable media",
	  cmd_bundle_export, export_opts, 1, 1, 0, "Pending changes are sealed first. The format is docs/format/bundle.md." },
	{ "bundle import", "FILE", "apply a bundle: what is new, once; reports applied, skipped and refused",
	  cmd_bundle_import, import_opts, 1, 1, 0,
	  "Nothing in a bundle is applied unless its signed manifest checks out. Refused changesets are\n"
	  "quarantined with their reason and do not stop the rest. Exits 1 if any was refused." },
	{ "bundle show", "FILE", "what a bundle holds, checked, without applying anything", cmd_bundle_show, show_opts, 1, 1,
	  WK_CMD_STORE | WK_CMD_READ, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
