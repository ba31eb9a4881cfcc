/*
 * fuzz_bundle_signed.c - what lies behind a bundle's signature. The input
 * is a manifest template and the bundle's other entries:
 *
 *   MANIFEST-TEMPLATE ( "\n--wk-entry--\n" NAME "\n" DATA )*
 *
 * The harness fills in the template (every "@N", N a digit 1-9, becomes
 * "<hash> <size>" of the N-th entry, which a fuzzer could not compute), signs
 * the manifest with the key its signer line names when that is one of the
 * world's parties (else with d1's), writes MANIFEST, MANIFEST.sig and the
 * entries as a tar (sync/tarfile.h) and imports it into d2's store. So every
 * input reaches the listing checks, the trust file offered, the signer's
 * trust and every envelope's trip through the ledger.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "tarfile.h"
#include "world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define SEP "\n--wk-entry--\n"
#define MAX_PARTS 32

typedef struct {
	char name[WK_TARFILE_NAME_MAX + 1];
	const unsigned char *data;
	size_t len;
} part;

static wk_store *for_site(void *ctx, const char *site)
{
	(void)ctx;
	return strcmp(site, FZ_SITE) == 0 ? fz_store() : NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_store();
	return 0;
}

static const unsigned char *find(const unsigned char *p, size_t n, const char *s)
{
	size_t k = strlen(s), i;

	for (i = 0; n >= k && i <= n - k; i++)
		if (p[i] == (unsigned char)s[0] && memcmp(p + i, s, k) == 0)
			return p + i;
	return NULL;
}

/* Split the input; the template is parts[0] (no name). Returns the number of parts, or 0. */
static size_t split(const uint8_t *data, size_t size, part *parts)
{
	const unsigned char *p = data, *end = data + size, *sep;
	size_t n = 0;

	while (n < MAX_PARTS) {
		const unsigned char *stop = (sep = find(p, (size_t)(end - p), SEP)) ? sep : end;
		part *pt = &parts[n++];

		pt->name[0] = '\0';
		if (n > 1) {
			const unsigned char *nl = memchr(p, '\n', (size_t)(stop - p));
			size_t k;

			if (!nl || (k = (size_t)(nl - p)) > WK_TARFILE_NAME_MAX)
				return 0;
			memcpy(pt->name, p, k);
			pt->name[k] = '\0';
			if (strlen(pt->name) != k)
				return 0;
			p = nl + 1;
		}
		pt->data = p;
		pt->len = (size_t)(stop - p);
		if (!sep)
			return n;
		p = sep + strlen(SEP);
	}
	return 0;
}

static party *signer_of(const wk_buf *manifest)
{
	party *all[] = { &fz_root, &fz_officer, &fz_d1, &fz_d2 };
	const char *at = strstr(manifest->ptr, "\nsigner ");
	char hex[65];
	size_t i;

	for (i = 0; at && i < sizeof(all) / sizeof(all[0]); i++) {
		sodium_bin2hex(hex, sizeof(hex), all[i]->sign_pk, 32);
		if (strncmp(at + 8, hex, 64) == 0)
			return all[i];
	}
	return &fz_d1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	part parts[MAX_PARTS];
	wk_tarfile_entry e[MAX_PARTS + 1];
	wk_buf manifest = WK_BUF_INIT, tar = WK_BUF_INIT, json = WK_BUF_INIT;
	wk_bundle_import_options o = WK_BUNDLE_IMPORT_OPTIONS_INIT;
	wk_bundle_report r = WK_BUNDLE_REPORT_INIT;
	unsigned char sig[64], hash[32];
	char hex[65];
	size_t n = split(data, size, parts), i;
	party *signer;

	if (n == 0)
		return 0;
	manifest.max = WK_BUNDLE_MANIFEST_MAX + 1;
	for (i = 0; i < parts[0].len; i++) {
		unsigned char c = parts[0].data[i];

		if (c == '@' && i + 1 < parts[0].len && parts[0].data[i + 1] >= '1' && parts[0].data[i + 1] <= '9' &&
		    (size_t)(parts[0].data[i + 1] - '0') < n) {
			const part *pt = &parts[parts[0].data[++i] - '0'];

			crypto_generichash(hash, 32, pt->data, pt->len, NULL, 0);
			sodium_bin2hex(hex, sizeof(hex), hash, 32);
			wk_buf_printf(&manifest, "%s %zu", hex, pt->len);
		} else {
			wk_buf_putc(&manifest, (char)c);
		}
	}
	if (wk_buf_check(&manifest, "manifest") < 0 || !manifest.ptr)
		goto out;
	signer = signer_of(&manifest);
	crypto_sign_detached(sig, NULL, (unsigned char *)manifest.ptr, manifest.len, signer->sign_sk);
	e[0].name = "MANIFEST";
	e[0].data = (unsigned char *)manifest.ptr;
	e[0].len = manifest.len;
	e[1].name = "MANIFEST.sig";
	e[1].data = sig;
	e[1].len = sizeof(sig);
	for (i = 1; i < n; i++) {
		e[i + 1].name = parts[i].name;
		e[i + 1].data = parts[i].data;
		e[i + 1].len = parts[i].len;
	}
	if (wk_tarfile_write_mem(&tar, e, n + 1, 0) < 0)
		goto out;
	o.keys = fz_keys();
	o.store_for_site = for_site;
	o.source = "fuzz bundle";
	fz_note("import", wk_bundle_import((unsigned char *)tar.ptr, tar.len, &o, &r));
	if (wk_bundle_report_json(&json, &r) < 0)
		fz_die("a bundle report has no JSON");
	fz_store_after(r.applied > 0);
out:
	wk_bundle_report_free(&r);
	wk_buf_free(&manifest);
	wk_buf_free(&tar);
	wk_buf_free(&json);
	return 0;
}
