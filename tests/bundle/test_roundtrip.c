/*
 * Bundles carried between stores with no network: site LEI's device d1
 * exports its changesets; the region's replica of LEI imports them and holds
 * the same state; the region exports them again, signed by an officer, and
 * LEI's second device imports them and holds the same state. Importing
 * twice applies nothing; the same store gives the same bytes; --since takes
 * only the newer changesets, and a chain started in the middle is refused
 * at its first envelope and the rest of it held back, then completed by the
 * full bundle; a bundle for another site is skipped with the reason; a
 * region routes each site's envelopes to that site's store; a trust file in
 * the bundle is offered, and a site whose trust is too old to know the
 * exporter installs it and imports again.
 */
#include "bundle_util.h"

#include <jansson.h>

static party root, officer, officer2, d1, d2, man1;
static wk_trust *trust;     /* the region's working copy (the one it signs) */

static int same_state(wk_store *a, wk_store *b)
{
	char *da = fixture_dump(a), *db = fixture_dump(b);
	int same = da && db && strcmp(da, db) == 0;

	free(da);
	free(db);
	return same;
}

/* Hop by hop: A -> region replica -> (officer's bundle) -> LEI's second device. */
static void test_hops(wk_store *a)
{
	wk_store *r = replica("LEI", "r1"), *c = replica("LEI", "d2");
	wk_ledger_keys kr = keys_of(&officer, trust), kc = keys_of(&d2, trust);
	stores sr = { r, "LEI", NULL, NULL }, sc = { c, "LEI", NULL, NULL };
	wk_bundle_import_options ir = import_into(&sr, &kr), ic = import_into(&sc, &kc);
	wk_bundle_export_options ea = export_as(&d1, trust, NULL), eo = export_as(&officer, trust, "YORKS");
	wk_bundle_report rep = WK_BUNDLE_REPORT_INIT;
	wk_buf b1 = WK_BUF_INIT, b1again = WK_BUF_INIT, b2 = WK_BUF_INIT, json = WK_BUF_INIT;
	size_t count = 0;

	CHECK(r && c);
	if (!r || !c)
		return;
	/* Hop 1: the site's own device exports; the same store gives the same bytes. */
	CHECK_EQ_INT(wk_bundle_export(&b1, a, &ea, &count), 0);
	CHECK_EQ_INT(count, 3);
	CHECK_EQ_INT(wk_bundle_export(&b1again, a, &ea, NULL), 0);
	CHECK(b1.len == b1again.len && memcmp(b1.ptr, b1again.ptr, b1.len) == 0);

	CHECK_EQ_INT(wk_bundle_import((unsigned char *)b1.ptr, b1.len, &ir, &rep), 0);
	CHECK_EQ_INT(rep.applied, 3);
	CHECK_EQ_INT(rep.nitems, 3);
	CHECK_EQ_STR(rep.from, "LEI");
	CHECK_EQ_STR(rep.for_site, "*");
	CHECK_EQ_INT(rep.signer_role, WK_TRUST_DEVICE);
	CHECK_EQ_INT(rep.nheld, 1);
	if (rep.nheld == 1) {
		CHECK_EQ_STR(rep.held[0].device, "d1");
		CHECK_EQ_INT(rep.held[0].seq, 3);
	}
	CHECK(same_state(a, r));

	/* Imported again: nothing applied, all three reported as duplicates. */
	CHECK_EQ_INT(wk_bundle_import((unsigned char *)b1.ptr, b1.len, &ir, &rep), 0);
	CHECK_EQ_INT(rep.applied, 0);
	CHECK_EQ_INT(rep.duplicate, 3);
	CHECK(same_state(a, r));
	CHECK_EQ_INT(wk_bundle_report_json(&json, &rep), 0);
	CHECK_CONTAINS(json.ptr, "\"applied\":0,\"duplicate\":3");
	CHECK_CONTAINS(json.ptr, "\"outcome\":\"duplicate\"");
	{
		json_t *j = json_loads(json.ptr, 0, NULL);

		CHECK(j != NULL);
		CHECK_EQ_INT(json_array_size(json_object_get(j, "items")), 3);
		CHECK_EQ_STR(json_string_value(json_object_get(j, "signer_role")), "device");
		json_decref(j);
	}

	/* Hop 2: the region's replica exports, signed by an officer, gzip this time. */
	eo.gzip = 1;
	CHECK_EQ_INT(wk_bundle_export(&b2, r, &eo, &count), 0);
	CHECK_EQ_INT(count, 3);
	CHECK(b2.len > 2 && (unsigned char)b2.ptr[0] == 0x1f && (unsigned char)b2.ptr[1] == 0x8b);
	CHECK_EQ_INT(wk_bundle_import((unsigned char *)b2.ptr, b2.len, &ic, &rep), 0);
	CHECK_EQ_INT(rep.applied, 3);
	CHECK_EQ_STR(rep.from, "YORKS");
	CHECK_EQ_INT(rep.signer_role, WK_TRUST_OFFICER);
	CHECK(same_state(a, c));
	CHECK_EQ_INT(count_of(c, "SELECT count(*) FROM quarantine"), 0);

	wk_bundle_report_free(&rep);
	wk_buf_free(&b1);
	wk_buf_free(&b1again);
	wk_buf_free(&b2);
	wk_buf_free(&json);
	wk_store_close(r);
	wk_store_close(c);
}

/* --since: watermarks typed by hand, and those of the last bundle sent. */
static void test_since(wk_store *a)
{
	wk_store *r = replica("LEI", "r2");
	wk_ledger_keys kr = keys_of(&officer, trust);
	stores sr = { r, "LEI", NULL, NULL };
	wk_bundle_import_options ir = import_into(&sr, &kr), plain = WK_BUNDLE_IMPORT_OPTIONS_INIT;
	wk_bundle_export_options ea = export_as(&d1, trust, NULL);
	wk_bundle_report rep = WK_BUNDLE_REPORT_INIT, last = WK_BUNDLE_REPORT_INIT;
	wk_bundle_mark mark;
	wk_buf part = WK_BUF_INIT, full = WK_BUF_INIT, none = WK_BUF_INIT;
	size_t count = 0;

	CHECK_EQ_INT(wk_bundle_mark_parse(&mark, "LEI/d1:1"), 0);
	CHECK_EQ_STR(mark.site, "LEI");
	CHECK_EQ_STR(mark.device, "d1");
	CHECK_EQ_INT(mark.seq, 1);
	CHECK_EQ_INT(wk_bundle_mark_parse(&mark, "LEI:1"), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "SITE/DEVICE:SEQ");
	CHECK_EQ_INT(wk_bundle_mark_parse(&mark, "LEI/d1:01"), WK_EINVALID);
	CHECK_EQ_INT(wk_bundle_mark_parse(&mark, "L/d1:1"), WK_EINVALID);
	CHECK_EQ_INT(wk_bundle_mark_parse(&mark, "LEI/d1:1"), 0);

	ea.since = &mark;
	ea.nsince = 1;
	CHECK_EQ_INT(wk_bundle_export(&part, a, &ea, &count), 0);
	CHECK_EQ_INT(count, 2);

	/* A replica that holds nothing: #2 leaves a gap (refused, quarantined), #3 is held back. */
	CHECK_EQ_INT(wk_bundle_import((unsigned char *)part.ptr, part.len, &ir, &rep), 0);
	CHECK_EQ_INT(rep.nitems, 2);
	CHECK_EQ_INT(rep.refused, 1);
	CHECK_EQ_INT(rep.blocked, 1);
	if (rep.nitems == 2) {
		CHECK_EQ_INT(rep.items[0].outcome, WK_BUNDLE_REFUSED);
		CHECK_EQ_INT(rep.items[0].code, WK_ECONFLICT);
		CHECK_CONTAINS(rep.items[0].reason, "gap");
		CHECK_EQ_INT(rep.items[1].outcome, WK_BUNDLE_BLOCKED);
		CHECK_CONTAINS(rep.items[1].reason, "follows changeset LEI/d1 #2, which was refused");
	}
	CHECK_EQ_INT(count_of(r, "SELECT count(*) FROM quarantine"), 1);
	CHECK_EQ_INT(count_of(r, "SELECT count(*) FROM changeset"), 0);

	/* The full bundle completes it: #1 and then #2, #3. */
	ea.since = NULL;
	ea.nsince = 0;
	CHECK_EQ_INT(wk_bundle_export(&full, a, &ea, NULL), 0);
	CHECK_EQ_INT(wk_bundle_import((unsigned char *)full.ptr, full.len, &ir, &rep), 0);
	CHECK_EQ_INT(rep.applied, 3);
	CHECK(same_state(a, r));

	/* --since the last bundle sent: its held marks; nothing new since, so no envelopes. */
	plain.trust = trust;
	CHECK_EQ_INT(wk_bundle_inspect((unsigned char *)full.ptr, full.len, &plain, &last), 0);
	CHECK_EQ_INT(last.nitems, 3);
	CHECK_EQ_INT(last.items[0].outcome, WK_BUNDLE_LISTED);
	ea.since = last.held;
	ea.nsince = last.nheld;
	CHECK_EQ_INT(wk_bundle_export(&none, a, &ea, &count), 0);
	CHECK_EQ_INT(count, 0);
	CHECK_EQ_INT(wk_bundle_import((unsigned char *)none.ptr, none.len, &ir, &rep), 0);
	CHECK_EQ_INT(rep.nitems, 0);
	CHECK_EQ_INT(rep.nheld, 1);

	wk_bundle_report_free(&rep);
	wk_bundle_report_free(&last);
	wk_buf_free(&part);
	wk_buf_free(&full);
	wk_buf_free(&none);
	wk_store_close(r);
}

/* A site's store skips another site's envelopes; a region routes each site's to its store. */
static void test_routing(wk_store *a)
{
	wk_ledger_keys km = keys_of(&man1, trust), ko = keys_of(&officer, trust);
	wk_store *m = site_at_work("MAN", "m1", &km), *rl = replica("LEI", "r3"), *rm = replica("MAN", "r4");
	stores own = { m, "MAN", NULL, NULL }, region = { rl, "LEI", rm, "MAN" };
	wk_bundle_import_options im = import_into(&own, &km), ir = import_into(&region, &ko);
	wk_bundle_export_options ea = export_as(&d1, trust, NULL), eo = export_as(&officer, trust, "YORKS");
	wk_bundle_report rep = WK_BUNDLE_REPORT_INIT;
	wk_buf b = WK_BUF_INIT, both = WK_BUF_INIT, only = WK_BUF_INIT;
	envs e = { { { NULL, 0 } }, 0 };
	char *before;

	CHECK(m && rl && rm);
	if (!m || !rl || !rm)
		return;
	/* LEI's bundle at Manchester: every envelope skipped as not for this store; nothing changes. */
	CHECK_EQ_INT(wk_bundle_export(&b, a, &ea, NULL), 0);
	before = fixture_dump(m);
	CHECK_EQ_INT(wk_bundle_import((unsigned char *)b.ptr, b.len, &im, &rep), 0);
	CHECK_EQ_INT(rep.not_for_us, 3);
	CHECK_EQ_INT(rep.applied, 0);
	if (rep.nitems)
		CHECK_CONTAINS(rep.items[0].reason, "not for this store: no store here for site LEI");
	{
		char *after = fixture_dump(m);
		CHECK(before && after && strcmp(before, after) == 0);
		free(after);
	}
	free(before);
	CHECK_EQ_INT(count_of(m, "SELECT count(*) FROM quarantine"), 0);

	/* The officer carries both sites' changesets in one bundle; the region routes them. */
	CHECK_EQ_INT(wk_ledger_each(a, grab, &e), 0);
	CHECK_EQ_INT(wk_ledger_each(m, grab, &e), 0);
	CHECK_EQ_INT(wk_bundle_write(&both, e.v, e.n, &eo), 0);
	CHECK_EQ_INT(wk_bundle_import((unsigned char *)both.ptr, both.len, &ir, &rep), 0);
	CHECK_EQ_INT(rep.applied, 6);
	CHECK_EQ_INT(rep.nheld, 2);
	if (rep.nitems == 6) {
		/* Canonical order: LEI before MAN. */
		CHECK_EQ_STR(rep.items[0].site, "LEI");
		CHECK_EQ_STR(rep.items[5].site, "MAN");
	}
	CHECK(same_state(a, rl));
	CHECK(same_state(m, rm));

	/* for_site: only one site's changesets, and the manifest says so. */
	eo.for_site = "MAN";
	CHECK_EQ_INT(wk_bundle_write(&only, e.v, e.n, &eo), 0);
	CHECK_EQ_INT(wk_bundle_import((unsigned char *)only.ptr, only.len, &ir, &rep), 0);
	CHECK_EQ_STR(rep.for_site, "MAN");
	CHECK_EQ_INT(rep.nitems, 3);
	CHECK_EQ_INT(rep.duplicate, 3);

	/* The same changeset twice is refused at export. */
	{
		wk_bundle_envelope dup[2] = { e.v[0], e.v[0] };

		CHECK_EQ_INT(wk_bundle_write(&only, dup, 2, &eo), 0); /* for MAN: LEI's are filtered out first */
		eo.for_site = NULL;
		CHECK_EQ_INT(wk_bundle_write(&only, dup, 2, &eo), WK_EINVALID);
		CHECK_CONTAINS(wk_error_msg(), "given twice");
		CHECK_EQ_INT(only.len, 0);
	}
	envs_free(&e);

	wk_bundle_report_free(&rep);
	wk_buf_free(&b);
	wk_buf_free(&both);
	wk_buf_free(&only);
	wk_store_close(m);
	wk_store_close(rl);
	wk_store_close(rm);
}

/*
 * The trust file travels: a site whose trust (v1) does not know the new
 * officer refuses that officer's bundle, but is offered the v2 trust file in
 * it; once installed, the same bundle imports.
 */
static void test_trust_update(wk_store *a)
{
	wk_buf v1 = WK_BUF_INIT, v2 = WK_BUF_INIT, b = WK_BUF_INIT, file = WK_BUF_INIT;
	wk_trust *site_trust = NULL, *installed = NULL;
	wk_store *c = replica("LEI", "d2");
	wk_bundle_report rep = WK_BUNDLE_REPORT_INIT;
	wk_bundle_export_options eo;
	wk_ledger_keys kc;
	stores sc = { c, "LEI", NULL, NULL };
	wk_bundle_import_options ic;
	char dir[] = "/tmp/wk-bundle-file-XXXXXX", path[128];
	size_t count = 0;

	CHECK(c != NULL);
	CHECK_EQ_INT(wk_trust_sign(&v1, trust, root.sign_sk, NULL), 0);
	CHECK_EQ_INT(wk_trust_open(&site_trust, (unsigned char *)v1.ptr, v1.len, NULL, root.sign_pk), 0);
	enrol(trust, &officer2, WK_TRUST_OFFICER, "*", NULL, "Sam Officer");
	CHECK_EQ_INT(wk_trust_sign(&v2, trust, root.sign_sk, NULL), 0);

	/* An included trust file must be one of the region's. */
	eo = export_as(&officer2, trust, "YORKS");
	eo.trust_file = (const unsigned char *)"not a trust file";
	eo.trust_file_len = 16;
	CHECK(wk_bundle_export(&b, a, &eo, NULL) < 0);
	CHECK_CONTAINS(wk_error_msg(), "trust file to include");

	eo.trust_file = (const unsigned char *)v2.ptr;
	eo.trust_file_len = v2.len;
	CHECK_EQ_INT(wk_bundle_export(&b, a, &eo, &count), 0);
	CHECK_EQ_INT(count, 3);

	kc = keys_of(&d2, site_trust);
	ic = import_into(&sc, &kc);
	CHECK_EQ_INT(wk_bundle_import((unsigned char *)b.ptr, b.len, &ic, &rep), WK_EBADSIG);
	CHECK_CONTAINS(wk_error_msg(), "does not list");
	CHECK_CONTAINS(wk_error_msg(), "nothing was applied");
	CHECK_EQ_INT(count_of(c, "SELECT count(*) FROM changeset"), 0);
	CHECK(rep.trust_file != NULL);
	CHECK_EQ_INT(rep.trust_version, 2);
	CHECK_EQ_INT(rep.trust_newer, 1);
	CHECK_EQ_INT(rep.nitems, 0);

	/* The caller installs it (wk_trust_open checks it against the trust in force) and imports again. */
	CHECK_EQ_INT(wk_trust_open(&installed, rep.trust_file, rep.trust_file_len, site_trust, NULL), 0);
	kc = keys_of(&d2, installed);
	ic = import_into(&sc, &kc);

	/* Through a file this time, written atomically and read once. */
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/lei.bundle", dir);
	CHECK_EQ_INT(wk_bundle_export_file(path, a, &eo, &count), 0);
	CHECK_EQ_INT(wk_bundle_import_file(path, &ic, &rep), 0);
	CHECK_EQ_INT(rep.applied, 3);
	CHECK_EQ_INT(rep.signer_role, WK_TRUST_OFFICER);
	/* Offered again, but no longer newer than the trust in force. */
	CHECK_EQ_INT(rep.trust_newer, 0);
	CHECK(rep.trust_note && strlen(rep.trust_note) > 0);
	CHECK(same_state(a, c));
	CHECK_EQ_INT(wk_bundle_import_file(dir, &ic, &rep), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "not a regular file");
	snprintf(path, sizeof(path), "%s/absent.bundle", dir);
	CHECK_EQ_INT(wk_bundle_import_file(path, &ic, &rep), WK_ENOTFOUND);

	wk_bundle_report_free(&rep);
	wk_buf_free(&v1);
	wk_buf_free(&v2);
	wk_buf_free(&b);
	wk_buf_free(&file);
	wk_trust_free(site_trust);
	wk_trust_free(installed);
	wk_store_close(c);
}

int main(void)
{
	wk_store *a;
	wk_ledger_keys ka;

	if (sodium_init() < 0)
		return 1;
	make_party(&root, 1);
	make_party(&officer, 2);
	make_party(&d1, 3);
	make_party(&d2, 4);
	make_party(&man1, 5);
	make_party(&officer2, 6);
	CHECK_EQ_INT(wk_trust_new(&trust, "YORKS", root.sign_pk, root.box_pk, "Regional Root"), 0);
	enrol(trust, &officer, WK_TRUST_OFFICER, "*", NULL, "Pat Officer");
	enrol(trust, &d1, WK_TRUST_DEVICE, "LEI", "d1", "Leeds laptop 1");
	enrol(trust, &d2, WK_TRUST_DEVICE, "LEI", "d2", "Leeds laptop 2");
	enrol(trust, &man1, WK_TRUST_DEVICE, "MAN", "m1", "Manchester laptop");

	ka = keys_of(&d1, trust);
	a = site_at_work("LEI", "d1", &ka);
	CHECK(a != NULL);
	if (!a)
		return test_summary();
	test_hops(a);
	test_since(a);
	test_routing(a);
	test_trust_update(a);
	wk_store_close(a);
	wk_trust_free(trust);
	return test_summary();
}
