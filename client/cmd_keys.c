/*
 * cmd_keys.c - `wicket keys show`, `wicket enrol request`, `wicket trust
 * import|export|show`: this device's keys and the trust it holds.
 */
#include "cli.h"
#include "buf.h"
#include "device.h"
#include "error.h"
#include "keys.h"
#include "trust.h"
#include "truststore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void wk_cli_key_path(const wk_cli *cli, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/.wicket/%s", cli->dir, name);
}

static const wk_opt show_opts[] = { WK_OPTS_END };

static int cmd_keys_show(wk_cli *cli)
{
	unsigned char spk[32], bpk[32];
	wk_keys_protection prot;
	char path[4200], id[17], hs[65], hb[65];

	wk_cli_key_path(cli, "device.key", path, sizeof(path));
	if (wk_keys_public(path, spk, bpk, &prot) < 0)
		return wk_cli_fail(cli);
	wk_keys_id(id, spk);
	wk_device_hex(hs, spk);
	wk_device_hex(hb, bpk);
	if (cli->json)
		return wk_cli_print_json(json_pack("{s:s, s:s, s:s, s:s}", "id", id, "sign_pk", hs, "box_pk", hb,
		                                   "protection", prot == WK_KEYS_UNATTENDED ? "unattended" : "passphrase"));
	printf("key id       %s\nsigning key  %s\nencryption   %s\nprotection   %s\n", id, hs, hb,
	       prot == WK_KEYS_UNATTENDED ? "unattended (owner-only file)" : "passphrase (Argon2id)");
	return WK_EXIT_OK;
}

static const wk_opt request_opts[] = {
	{ WK_OPT_STR, "region", "CODE", "the region to ask (required)" },
	{ WK_OPT_STR, "out", "FILE", "where to write the request (required)" },
	{ WK_OPT_STR, "passphrase-file", "FILE", "the device key's passphrase (else WICKET_PASSPHRASE or a prompt)" },
	WK_OPTS_END
};

static int cmd_enrol_request(wk_cli *cli)
{
	wk_device_options o = WK_DEVICE_OPTIONS_INIT;
	wk_trust_entry e = WK_TRUST_ENTRY_INIT;
	wk_keys *k = NULL;
	wk_buf req = WK_BUF_INIT;
	char path[4200], *site = NULL, *device = NULL, *person = NULL, id[17];
	const char *out = wk_cli_opt(cli, "out"), *region = wk_cli_opt(cli, "region");
	FILE *f;
	int rc;

	if (!out || !region)
		return wk_cli_usage(cli, "give --region CODE and --out FILE");
	o.passphrase_file = wk_cli_opt(cli, "passphrase-file");
	wk_cli_key_path(cli, "device.key", path, sizeof(path));
	if ((rc = wk_store_meta_get(cli->store, "site", &site)) < 0 ||
	    (rc = wk_store_meta_get(cli->store, "device", &device)) < 0 ||
	    (rc = wk_store_meta_get(cli->store, "person", &person)) < 0 ||
	    (rc = wk_device_load_key(&k, path, &o)) < 0)
		goto out;
	memcpy(e.sign_pk, wk_keys_sign_pk(k), 32);
	memcpy(e.box_pk, wk_keys_box_pk(k), 32);
	e.role = WK_TRUST_DEVICE;
	snprintf(e.site, sizeof(e.site), "%s", site ? site : "");
	snprintf(e.device, sizeof(e.device), "%s", device ? device : "");
	snprintf(e.person, sizeof(e.person), "%s", cli->person ? cli->person : person ? person : "");
	if ((rc = wk_trust_request_write_with(&req, region, &e, wk_device_sign, k)) < 0)
		goto out;
	f = fopen(out, "wx");
	if (!f || fwrite(req.ptr, 1, req.len, f) != req.len || fclose(f) != 0) {
		rc = wk_error_set(WK_EIO, "cannot write the request to '%s' (it must not exist yet)", out);
		goto out;
	}
	wk_keys_id(id, e.sign_pk);
	printf("enrolment request for key %s (site %s, device %s) written to %s; give it to the region\n", id,
	       e.site, e.device, out);
out:
	wk_keys_free(k);
	wk_buf_free(&req);
	free(site);
	free(device);
	free(person);
	return rc < 0 ? wk_cli_fail(cli) : WK_EXIT_OK;
}

static const wk_opt import_opts[] = {
	{ WK_OPT_STR, "root", "KEY", "the region's root public key, 64 hex digits (for the first trust file)" },
	WK_OPTS_END
};

static int cmd_trust_import(wk_cli *cli)
{
	wk_buf b = WK_BUF_INIT;
	unsigned char pin[32];
	unsigned long long v = 0;
	const char *root = wk_cli_opt(cli, "root");
	int rc;

	if (root && wk_device_unhex(pin, root) < 0)
		return wk_cli_fail(cli);
	if ((rc = wk_buf_read_file(&b, cli->pos[0], WK_TRUST_MAX_BYTES, "trust file")) == 0)
		rc = wk_truststore_import(cli->store, (const unsigned char *)b.ptr, b.len, root ? pin : NULL, &v);
	wk_buf_free(&b);
	if (rc < 0)
		return wk_cli_fail(cli);
	if (v)
		printf("trust file version %llu accepted\n", v);
	else
		printf("this trust file is the one already held\n");
	return WK_EXIT_OK;
}

static int cmd_trust_export(wk_cli *cli)
{
	unsigned char *p = NULL;
	size_t n = 0;
	FILE *f;
	int rc = wk_truststore_export(cli->store, &p, &n);

	if (rc == 0) {
		f = fopen(cli->pos[0], "wb");
		if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0)
			rc = wk_error_set(WK_EIO, "cannot write '%s'", cli->pos[0]);
	}
	free(p);
	if (rc < 0)
		return wk_cli_fail(cli);
	printf("trust file written to %s\n", cli->pos[0]);
	return WK_EXIT_OK;
}

static int cmd_trust_show(wk_cli *cli)
{
	wk_trust *t = NULL;
	wk_buf js = WK_BUF_INIT;
	json_t *doc, *e;
	json_error_t jerr;
	size_t i;

	if (wk_truststore_load(cli->store, &t) == WK_ENOTFOUND) {
		/* Not enrolled yet: a normal state for a new establishment, not a failure. */
		if (cli->json)
			return wk_cli_print_json(json_pack("{s:n, s:i, s:[]}", "region", "version", 0, "entries"));
		printf("no trust file yet; import the region's with 'wicket trust import FILE --root KEY'\n");
		return WK_EXIT_OK;
	}
	if (!t || wk_trust_json(&js, t) < 0) {
		wk_trust_free(t);
		return wk_cli_fail(cli);
	}
	wk_trust_free(t);
	doc = json_loadb(js.ptr, js.len, 0, &jerr);
	wk_buf_free(&js);
	if (cli->json)
		return wk_cli_print_json(doc);
	printf("region %s, trust version %lld\n\n%-17s %-8s %-6s %-10s %-10s %s\n",
	       json_string_value(json_object_get(doc, "region")),
	       (long long)json_integer_value(json_object_get(doc, "version")), "KEY", "ROLE", "SITE", "DEVICE",
	       "REVOKED", "PERSON");
	json_array_foreach(json_object_get(doc, "entries"), i, e) {
		char rev[24];
		json_t *r = json_object_get(e, "revoked_from");

		snprintf(rev, sizeof(rev), json_is_integer(r) ? "from %lld" : "-", (long long)json_integer_value(r));
		printf("%-17s %-8s %-6s %-10s %-10s %s\n", json_string_value(json_object_get(e, "id")),
		       json_string_value(json_object_get(e, "role")), json_string_value(json_object_get(e, "site")),
		       json_is_string(json_object_get(e, "device")) && *json_string_value(json_object_get(e, "device")) ?
		       json_string_value(json_object_get(e, "device")) : "-", rev,
		       json_string_value(json_object_get(e, "person")));
	}
	json_decref(doc);
	return WK_EXIT_OK;
}

const wk_command wk_cmd_keys[] = {
	{ "keys show", NULL, "show this device's key id and public keys", cmd_keys_show, show_opts, 0, 0, WK_CMD_READ, NULL },
	{ "enrol request", NULL, "write a signed request for the region to enrol this device", cmd_enrol_request,
	  request_opts, 0, 0, WK_CMD_STORE, NULL },
	{ "trust import", "FILE", "accept the region's trust file (versions only go up)", cmd_trust_import, import_opts,
	  1, 1, WK_CMD_STORE,
	  "The first trust file is pinned by the region's root key (--root), printed by 'wicket region init'." },
	{ "trust export", "FILE", "write the newest trust file held", cmd_trust_export, show_opts, 1, 1, WK_CMD_STORE, NULL },
	{ "trust show", NULL, "list the keys the trust file names", cmd_trust_show, show_opts, 0, 0,
	  WK_CMD_STORE | WK_CMD_READ, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
