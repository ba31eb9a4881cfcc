/*
 * fuzz_bundle.c - importing bundles (sync/bundle.h) from hostile bytes, as
 * `wicket bundle import` does with a file from a USB stick: the tar layer
 * with its caps, the manifest, its signature, the listing, the signer's
 * trust, then every envelope through the ledger into d2's store; and the
 * report as JSON (`--json`).
 *
 * Mutated bundles stop at the manifest's signature (or at the tar layer):
 * the harness fuzz_bundle_signed reaches what lies behind it.
 */
#include <stdint.h>
#include <string.h>

#include "bundle.h"
#include "world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wk_bundle_import_options o = WK_BUNDLE_IMPORT_OPTIONS_INIT;
	wk_bundle_report r = WK_BUNDLE_REPORT_INIT;
	wk_buf json = WK_BUF_INIT;

	o.keys = fz_keys();
	o.store_for_site = for_site;
	o.source = "fuzz bundle";
	fz_note("import", wk_bundle_import(data, size, &o, &r));
	if (wk_bundle_report_json(&json, &r) < 0)
		fz_die("a bundle report has no JSON");
	fz_store_after(r.applied > 0);
	wk_buf_free(&json);
	wk_bundle_report_free(&r);
	return 0;
}
