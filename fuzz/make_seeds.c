/*
 * make_seeds.c - writes the seeds of the fuzz corpora that are made with the
 * library, in the world of the harnesses (world.h), so that they pass every
 * signature and reach the deepest code:
 *
 *   fuzz_make_seeds OUTDIR
 *
 * writes OUTDIR/<harness>/<seed>. LEI's device d1 does some work (a plan,
 * two baseline changes, an action and its progress), sealing a changeset
 * after each step; its changesets, envelopes and bundles, the golden
 * region's trust files and an enrolment request, and the policy inputs
 * become the seeds. Seeds over 48 KiB are skipped. Before it writes
 * anything it checks that the seeds do what they are for (d2's store
 * applies the bundle), and says so; `fuzz/fuzz.sh --reseed` runs it and
 * copies the result into fuzz/corpus/ (changesets and envelopes change with
 * every run: sealing uses fresh random keys). d1's envelopes are format 2,
 * compressed (it checks that they are, so that fuzz_envelope's seeds reach
 * the inflation); fuzz_envelope_sealed also gets each changeset as a raw
 * deflate stream (d1-NN.deflate), which it seals as a compressed payload.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "action.h"
#include "bundle.h"
#include "changeset.h"
#include "envelope.h"
#include "error.h"
#include "plan.h"
#include "site.h"
#include "tarfile.h"
#include "world.h"

#define SEED_MAX ((size_t)48 << 10)

static const char *outdir;
static int written, skipped;

static void die(const char *what)
{
	fprintf(stderr, "make_seeds: %s: %s\n", what, wk_error_msg());
	exit(1);
}

static void put(const char *harness, const char *name, const void *data, size_t len)
{
	char path[1024];
	FILE *f;

	if (len > SEED_MAX) {
		fprintf(stderr, "make_seeds: %s/%s is %zu bytes: skipped\n", harness, name, len);
		skipped++;
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", outdir, harness);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die("cannot make a directory");
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, harness, name);
	if (!(f = fopen(path, "wb")) || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		die("cannot write a seed");
	written++;
}

static void put_buf(const char *harness, const char *name, const wk_buf *b)
{
	put(harness, name, b->ptr, b->len);
}

/* b as a raw deflate stream (what a format 2 envelope holds inside), for fuzz_envelope_sealed. */
static void put_deflated(const char *harness, const char *name, const wk_buf *b)
{
	unsigned char out[SEED_MAX];
	z_stream s;

	memset(&s, 0, sizeof(s));
	if (deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		die("cannot start zlib");
	s.next_in = (Bytef *)b->ptr;
	s.avail_in = (uInt)b->len;
	s.next_out = out;
	s.avail_out = sizeof(out);
	if (deflate(&s, Z_FINISH) != Z_STREAM_END)
		die("cannot deflate a changeset");
	put(harness, name, out, sizeof(out) - s.avail_out);
	deflateEnd(&s);
}

/* ---- d1 at work ----------------------------------------------------------- */

typedef struct {
	wk_buf env[16], plain[16];
	size_t n;
} chain;

static int grab(const char *site, const char *device, long long seq, const unsigned char *env, size_t n, void *arg)
{
	chain *c = arg;
	wk_envelope_info info;
	wk_buf *e = &c->env[c->n], *p = &c->plain[c->n];

	(void)site;
	(void)device;
	if (c->n >= 16)
		return WK_ELIMIT;
	wk_buf_put(e, env, n);
	if (wk_envelope_parse(&info, env, n, NULL) < 0 || wk_envelope_verify(&info) < 0 ||
	    wk_envelope_decrypt(p, &info, fz_d1.box_pk, open_as, &fz_d1, NULL) < 0)
		return -1;
	if (info.format != WK_ENVELOPE_FORMAT || !(info.mode & WK_ENVELOPE_MODE_DEFLATE)) {
		wk_error_set(WK_ERROR, "changeset #%lld is sealed uncompressed (format %u, mode %u)", seq, info.format,
		             info.mode);
		return -1;
	}
	c->n++;
	return 0;
}

static wk_store *d1_at_work(chain *c)
{
	wk_site_options so = WK_SITE_OPTIONS_INIT;
	wk_plan_options po = WK_PLAN_OPTIONS_INIT;
	wk_assessment_change ch = WK_ASSESSMENT_CHANGE_INIT;
	wk_action_new an = WK_ACTION_NEW_INIT;
	wk_ledger_keys k = keys_of(&fz_d1, fz_trust());
	wk_store *st = NULL;
	char path[700], *action = NULL;
	size_t sealed;

	snprintf(path, sizeof(path), "%s/d1.db", fz_tmpdir());
	so.site = FZ_SITE;
	so.name = "HMP Leeds";
	so.category = "B";
	so.function = "reception";
	so.person = "Pat Jones";
	so.device = "d1";
	so.policy_dir = fz_policy_dir();
	po.edm = "OMU";
	if (wk_site_init(&st, path, &so) < 0 || wk_ledger_seal(st, &k, &sealed) < 0)
		die("cannot make d1's store");
	if (wk_store_begin(st) < 0 || wk_plan_create(st, &po, NULL) < 0 || wk_store_commit(st) < 0 ||
	    wk_ledger_seal(st, &k, &sealed) < 0)
		die("cannot create the plan");
	ch.status = "met";
	ch.evidence = "minutes of the OMU meeting";
	if (wk_store_begin(st) < 0 || wk_baseline_set(st, "omu", "1.1", &ch) < 0 || wk_store_commit(st) < 0 ||
	    wk_ledger_seal(st, &k, &sealed) < 0)
		die("cannot set a baseline");
	ch.status = "not_met";
	ch.owner = "Head of Offender Management Delivery";
	ch.target_date = "2027-01-31";
	if (wk_store_begin(st) < 0 || wk_baseline_set(st, "omu", "1.2", &ch) < 0 || wk_store_commit(st) < 0 ||
	    wk_ledger_seal(st, &k, &sealed) < 0)
		die("cannot set a baseline");
	an.plan = "omu";
	an.baseline = "1.2";
	an.text = "Recruit two POMs";
	an.owner = "Head of OMU";
	an.target = "2026-12";
	if (wk_store_begin(st) < 0 || wk_action_add(st, &an, &action) < 0 ||
	    wk_action_progress(st, action, "Advert out", NULL) < 0 || wk_store_commit(st) < 0 ||
	    wk_ledger_seal(st, &k, &sealed) < 0)
		die("cannot add an action");
	free(action);
	if (wk_ledger_each(st, grab, c) < 0)
		die("cannot read d1's changesets");
	return st;
}

/* ---- bundles ---------------------------------------------------------------- */

static wk_store *for_site(void *ctx, const char *site)
{
	(void)ctx;
	return strcmp(site, FZ_SITE) == 0 ? fz_store() : NULL;
}

/* Import b into d2's store: it must apply `expect` envelopes (the seed reaches the ledger). */
static void check_applies(const wk_buf *b, size_t expect, const char *what)
{
	wk_bundle_import_options o = WK_BUNDLE_IMPORT_OPTIONS_INIT;
	wk_bundle_report r = WK_BUNDLE_REPORT_INIT;

	o.keys = fz_keys();
	o.store_for_site = for_site;
	if (wk_bundle_import((unsigned char *)b->ptr, b->len, &o, &r) < 0)
		die(what);
	if (r.applied != expect) {
		fprintf(stderr, "make_seeds: %s: %zu of %zu envelopes applied\n", what, r.applied, expect);
		exit(1);
	}
	printf("make_seeds: %s: %zu envelopes applied by d2's store\n", what, r.applied);
	wk_bundle_report_free(&r);
	fz_store_after(1);
}

typedef struct {
	char name[WK_TARFILE_NAME_MAX + 1][32];
	wk_buf data[32];
	size_t n;
} entries;

static int take(const char *name, const unsigned char *data, size_t len, void *arg)
{
	entries *e = arg;

	if (e->n >= 32)
		return WK_ELIMIT;
	snprintf(e->name[e->n], sizeof(e->name[0]), "%s", name);
	wk_buf_clear(&e->data[e->n]);
	wk_buf_put(&e->data[e->n], data, len);
	e->n++;
	return 0;
}

/* The bundle as fuzz_bundle_signed's input: the manifest with "@N" for each hash and size. */
static void as_template(const wk_buf *b, const char *name)
{
	entries e;
	wk_buf t = WK_BUF_INIT;
	size_t i, j, part = 0;
	const char *mf = NULL;

	memset(&e, 0, sizeof(e));
	if (wk_tarfile_read_mem((unsigned char *)b->ptr, b->len, NULL, take, &e) < 0)
		die("cannot read a bundle back");
	for (i = 0; i < e.n; i++)
		if (strcmp(e.name[i], "MANIFEST") == 0)
			mf = e.data[i].ptr;
	if (!mf)
		die("a bundle without a manifest");
	/* Entry lines are "<64 hex> <size> <name>": the hex and size become "@N", N counting from 1. */
	while (*mf) {
		const char *nl = strchr(mf, '\n'), *sp = strchr(mf, ' ');
		size_t len = nl ? (size_t)(nl - mf + 1) : strlen(mf);

		if (sp && sp - mf == 64 && strspn(mf, "0123456789abcdef") == 64 && (sp = strchr(sp + 1, ' ')) &&
		    sp < mf + len) {
			wk_buf_printf(&t, "@%zu", ++part);
			wk_buf_put(&t, sp, len - (size_t)(sp - mf));
		} else {
			wk_buf_put(&t, mf, len);
		}
		mf += len;
	}
	for (i = 0; i < e.n; i++) {
		if (strcmp(e.name[i], "MANIFEST") == 0 || strcmp(e.name[i], "MANIFEST.sig") == 0)
			continue;
		wk_buf_printf(&t, "\n--wk-entry--\n%s\n", e.name[i]);
		wk_buf_put(&t, e.data[i].ptr, e.data[i].len);
	}
	put_buf("bundle_signed", name, &t);
	wk_buf_free(&t);
	for (j = 0; j < 32; j++)
		wk_buf_free(&e.data[j]);
}

static void bundles(wk_store *st, const chain *c)
{
	wk_bundle_export_options o = WK_BUNDLE_EXPORT_OPTIONS_INIT;
	wk_bundle_envelope envs[16];
	wk_bundle_mark since;
	wk_buf b = WK_BUF_INIT;
	size_t i, count = 0;

	o.trust = fz_trust();
	o.sign_pk = fz_d1.sign_pk;
	o.sign = sign_as;
	o.sign_ctx = &fz_d1;
	if (wk_bundle_export(&b, st, &o, &count) < 0)
		die("cannot export d1's bundle");
	check_applies(&b, count, "d1's bundle");
	put_buf("bundle", "d1-all.tar", &b);
	as_template(&b, "d1-all.txt");

	/* The officer, from the region, carrying the trust file, compressed. */
	for (i = 0; i < c->n; i++) {
		envs[i].env = (unsigned char *)c->env[i].ptr;
		envs[i].len = c->env[i].len;
	}
	o.sign_pk = fz_officer.sign_pk;
	o.sign_ctx = &fz_officer;
	o.from = FZ_REGION;
	o.for_site = FZ_SITE;
	o.trust_file = (unsigned char *)fz_trust_file()->ptr;
	o.trust_file_len = fz_trust_file()->len;
	if (wk_bundle_write(&b, envs, c->n > 3 ? 3 : c->n, &o) < 0)
		die("cannot write the officer's bundle");
	check_applies(&b, c->n > 3 ? 3 : c->n, "the officer's bundle");
	put_buf("bundle", "officer-trust.tar", &b);
	as_template(&b, "officer-trust.txt");
	o.gzip = 1;
	if (wk_bundle_write(&b, envs, 1, &o) < 0)
		die("cannot write the officer's bundle");
	put_buf("bundle", "officer-gzip.tar.gz", &b);

	/* --since LEI/d1:2: a partial bundle, whose first envelope cannot follow on an empty store. */
	if (wk_bundle_mark_parse(&since, "LEI/d1:2") < 0)
		die("cannot parse a mark");
	o.gzip = 0;
	o.since = &since;
	o.nsince = 1;
	o.trust_file = NULL;
	o.trust_file_len = 0;
	if (wk_bundle_write(&b, envs, c->n, &o) < 0)
		die("cannot write a partial bundle");
	put_buf("bundle", "officer-since.tar", &b);
	as_template(&b, "officer-since.txt");
	wk_buf_free(&b);
}

/* ---- trust ------------------------------------------------------------------ */

static void trust_seeds(void)
{
	wk_trust *t = NULL;
	wk_trust_entry e = WK_TRUST_ENTRY_INIT;
	wk_buf v3 = WK_BUF_INIT, v3h = WK_BUF_INIT, req = WK_BUF_INIT;
	unsigned char s[32], sk[64];

	put_buf("trust", "nw-v1.trust", fz_nw_file(1));
	put_buf("trust", "nw-v2.trust", fz_nw_file(2));
	put_buf("trust", "yorks-v2.trust", fz_trust_file());
	/* Version 3: a third device enrolled (seed 6, as request.hex). */
	memset(s, 6, sizeof(s));
	crypto_sign_seed_keypair(e.sign_pk, sk, s);
	s[0] ^= 0x80;
	crypto_box_seed_keypair(e.box_pk, s, s);
	e.role = WK_TRUST_DEVICE;
	snprintf(e.site, sizeof(e.site), "LEI");
	snprintf(e.device, sizeof(e.device), "d03");
	snprintf(e.person, sizeof(e.person), "Cy Jones");
	if (wk_trust_request_write(&req, "NW", &e, sk) < 0)
		die("cannot write a request");
	put_buf("trust", "nw-request.bin", &req);
	if (wk_trust_open(&t, (unsigned char *)fz_nw_file(2)->ptr, fz_nw_file(2)->len, fz_nw_trust(1), NULL) < 0 ||
	    wk_trust_add(t, &e) < 0 || wk_trust_sign(&v3, t, fz_nw_root.sign_sk, NULL) < 0)
		die("cannot make version 3");
	put_buf("trust", "nw-v3.trust", &v3);
	wk_trust_free(t);
	t = NULL;
	/* Version 3 handing the root over to the second root. */
	if (wk_trust_open(&t, (unsigned char *)fz_nw_file(2)->ptr, fz_nw_file(2)->len, fz_nw_trust(1), NULL) < 0 ||
	    wk_trust_rotate_root(t, fz_nw_root2.sign_pk, fz_nw_root2.box_pk, NULL) < 0 ||
	    wk_trust_sign(&v3h, t, fz_nw_root2.sign_sk, fz_nw_root.sign_sk) < 0)
		die("cannot make the handover");
	put_buf("trust", "nw-v3-handover.trust", &v3h);
	wk_trust_free(t);
	/* The bodies, for fuzz_trust_signed (which signs them again). */
	put("trust_signed", "nw-v3.body", v3.ptr, v3.len - 64);
	put("trust_signed", "nw-v3-handover.body", v3h.ptr, v3h.len - 128);
	put("trust_signed", "nw-request.body", req.ptr, req.len - 64);
	put("trust_signed", "nw-v2.body", fz_nw_file(2)->ptr, fz_nw_file(2)->len - 64);
	wk_buf_free(&v3);
	wk_buf_free(&v3h);
	wk_buf_free(&req);
	sodium_memzero(sk, sizeof(sk));
}

/* ---- policy inputs ---------------------------------------------------------- */

static void policy_inputs(void)
{
	const char *edm = fz_edm_json();
	wk_buf b = WK_BUF_INIT;

	wk_buf_printf(&b, "describe\n{\"edm\":%s}", edm);
	put_buf("policy_input", "describe.txt", &b);
	wk_buf_clear(&b);
	wk_buf_printf(&b, "readiness\n{\"stage\":2,\"establishment\":{\"code\":\"HMP-A\",\"name\":\"HMP A\","
	              "\"category\":\"C\",\"function\":\"training\",\"current_stage\":3},\"edm\":%s,"
	              "\"assessments\":[{\"baseline\":\"1.1\",\"status\":\"met\",\"evidence\":\"minutes\"},"
	              "{\"baseline\":\"1.2\",\"status\":\"not_applicable\"},{\"baseline\":\"2.4\","
	              "\"status\":\"in_progress\",\"owner\":\"OASys Lead\",\"target_date\":\"2027-01-31\"}]}", edm);
	put_buf("policy_input", "readiness.txt", &b);
	wk_buf_clear(&b);
	wk_buf_printf(&b, "sequence\n{\"edm\":%s,\"assessments\":[{\"baseline\":\"1.1\",\"status\":\"not_met\"}]}",
	              edm);
	put_buf("policy_input", "sequence.txt", &b);
	wk_buf_clear(&b);
	wk_buf_printf(&b, "applicability\n{\"establishment\":{\"code\":\"HMP-A\",\"category\":\"B\","
	              "\"function\":\"reception\"},\"edms\":[%s]}", edm);
	put_buf("policy_input", "applicability.txt", &b);
	wk_buf_clear(&b);
	wk_buf_printf(&b, "validate\n{\"inspection\":{\"id\":\"i1\",\"title\":\"t\"},"
	              "\"recommendations\":[{\"number\":\"1\",\"response\":\"partly_agreed\","
	              "\"reason_category\":\"operational\",\"part_implemented\":\"some\",\"text\":\"Do it\","
	              "\"actions\":[{\"id\":\"A1\",\"text\":\"Review A1234BC\",\"owner\":\"Head of OMU\","
	              "\"target_date\":\"2026-07\",\"status\":\"completed\",\"completion_date\":\"2026-05-30\","
	              "\"revisions\":[{\"target_date\":\"2026-03\",\"reason\":\"staffing\"}]}]},"
	              "{\"number\":\"2\",\"response\":\"not_agreed\",\"text_missing\":true,\"actions\":[]}],"
	              "\"actions\":[{\"id\":\"B1\",\"baseline\":\"2.4\",\"text\":\"x\",\"owner\":\"o\","
	              "\"target_date\":\"2026-13\",\"status\":\"open\"}],"
	              "\"assessments\":[{\"baseline\":\"1.1\",\"status\":\"bogus\"}],"
	              "\"free_text\":[{\"where\":\"note\",\"text\":\"A1234BC\"}]}");
	put_buf("policy_input", "validate.txt", &b);
	wk_buf_free(&b);
}

int main(int argc, char **argv)
{
	chain c;
	wk_store *st;
	char name[64];
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_make_seeds OUTDIR\n");
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) < 0 && errno != EEXIST)
		die("cannot make the output directory");
	memset(&c, 0, sizeof(c));
	fz_world_init();
	st = d1_at_work(&c);
	for (i = 0; i < c.n; i++) {
		snprintf(name, sizeof(name), "d1-%02zu.cs", i + 1);
		put_buf("changeset", name, &c.plain[i]);
		put_buf("envelope_sealed", name, &c.plain[i]);
		snprintf(name, sizeof(name), "d1-%02zu.deflate", i + 1);
		put_deflated("envelope_sealed", name, &c.plain[i]);
		snprintf(name, sizeof(name), "d1-%02zu.env", i + 1);
		put_buf("envelope", name, &c.env[i]);
	}
	bundles(st, &c);
	trust_seeds();
	policy_inputs();
	wk_store_close(st);
	for (i = 0; i < 16; i++) {
		wk_buf_free(&c.env[i]);
		wk_buf_free(&c.plain[i]);
	}
	printf("make_seeds: %d seeds written to %s, %d skipped as too large\n", written, outdir, skipped);
	return 0;
}
