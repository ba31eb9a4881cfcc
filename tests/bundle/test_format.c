/*
 * The bundle format, byte by byte (docs/format/bundle.md): the golden
 * bundle (fixed keys, the golden envelope of tests/envelope/vectors) has
 * exactly the MANIFEST, signature and archive bytes the document gives; and
 * a manifest that is validly signed but not canonical (a newer format, CRLF,
 * a leading zero, upper-case hex, a double space, no final newline, bytes
 * after the end, entries out of order, an envelope beyond the held chains or
 * of another site, an unknown entry, an entry whose envelope is not the one
 * its name says, too many entries, too large) is refused whole with the
 * reason.
 */
#include "bundle_util.h"

static party root, officer;
static wk_trust *trust;
static wk_buf golden_env = WK_BUF_INIT;
static char env_hash[65];

static void hex_of(char *out, const void *p, size_t n)
{
	sodium_bin2hex(out, n * 2 + 1, p, n);
}

static void load_golden_envelope(void)
{
	wk_buf hex = WK_BUF_INIT;
	size_t n = 0;
	unsigned char h[32];

	CHECK_EQ_INT(wk_buf_read_file(&hex, test_src("tests/envelope/vectors/v1-small.hex"), 1 << 20, "vector"), 0);
	wk_buf_grow(&golden_env, hex.len / 2 + 1);
	CHECK_EQ_INT(sodium_hex2bin((unsigned char *)golden_env.ptr, hex.len / 2 + 1, hex.ptr, hex.len, "\n ", &n,
	                            NULL), 0);
	golden_env.len = n;
	crypto_generichash(h, 32, (unsigned char *)golden_env.ptr, n, NULL, 0);
	hex_of(env_hash, h, 32);
	wk_buf_free(&hex);
}

/* The golden manifest: officer of YORKS exports LEI/d1 #7 (the golden envelope). */
#define GOLDEN_SIGNER "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394"
#define GOLDEN_ENV_HASH "17fed83257c4b43c31b27b500d17b59666c668fcc0d826f86550ae3b8a08775e"
#define GOLDEN_SIG "521a276a40d7d6c89da42dce78af9881fd5e424c4d77ac89cc19459cc44b60ac" \
	"f05adca5f55d61c4f611a126f8e2117f06775f41145eb16369179946ee6d6b0a"
#define GOLDEN_SHA256 "28f05f48069db179f6b9a605873f14ded5d085ce4375dbca6f706fd992fae20f"

static void test_golden(void)
{
	wk_bundle_export_options o = export_as(&officer, trust, "YORKS");
	wk_bundle_envelope e = { (unsigned char *)golden_env.ptr, golden_env.len };
	wk_buf out = WK_BUF_INIT, expect = WK_BUF_INIT;
	tar t;
	char hex[129], signer[65];
	unsigned char h[32];

	hex_of(signer, officer.sign_pk, 32);
	CHECK_EQ_STR(signer, GOLDEN_SIGNER);
	CHECK_EQ_STR(env_hash, GOLDEN_ENV_HASH);
	wk_buf_printf(&expect, "wicket-bundle 1\nregion YORKS\nfrom YORKS\nfor *\nsigner %s\nheld 1\nLEI d1 7\n"
	              "entries 1\n%s %zu envelopes/LEI/d1/0000000007.env\n", GOLDEN_SIGNER, GOLDEN_ENV_HASH,
	              golden_env.len);
	CHECK_EQ_INT(golden_env.len, 589);
	CHECK_EQ_INT(wk_bundle_write(&out, &e, 1, &o), 0);
	CHECK_EQ_INT(tar_load(&t, &out), 0);
	CHECK_EQ_INT(t.n, 3);
	if (t.n == 3) {
		CHECK_EQ_STR(t.e[0].name, "MANIFEST");
		t.e[0].data[t.e[0].len] = '\0';
		CHECK_EQ_STR((char *)t.e[0].data, expect.ptr);
		CHECK_EQ_STR(t.e[1].name, "MANIFEST.sig");
		CHECK_EQ_INT(t.e[1].len, 64);
		hex_of(hex, t.e[1].data, 64);
		CHECK_EQ_STR(hex, GOLDEN_SIG);
		CHECK_EQ_STR(t.e[2].name, "envelopes/LEI/d1/0000000007.env");
		CHECK(t.e[2].len == golden_env.len && memcmp(t.e[2].data, golden_env.ptr, golden_env.len) == 0);
	}
	CHECK_EQ_INT(out.len, 10240);
	crypto_hash_sha256(h, (unsigned char *)out.ptr, out.len);
	hex_of(hex, h, 32);
	CHECK_EQ_STR(hex, GOLDEN_SHA256);
	tar_free(&t);
	wk_buf_free(&out);
	wk_buf_free(&expect);
}

/* A bundle of the given MANIFEST text, signed by the officer, holding the golden envelope as `name`. */
static void signed_bundle(wk_buf *out, const char *manifest, size_t mlen, const char *name)
{
	unsigned char sig[64];
	wk_tarfile_entry e[3] = {
		{ "MANIFEST", (const unsigned char *)manifest, mlen },
		{ "MANIFEST.sig", sig, 64 },
		{ name, (unsigned char *)golden_env.ptr, golden_env.len },
	};

	crypto_sign_detached(sig, NULL, (const unsigned char *)manifest, mlen, officer.sign_sk);
	CHECK_EQ_INT(wk_tarfile_write_mem(out, e, name ? 3 : 2, 0), 0);
}

static void expect_manifest(const char *manifest, const char *name, int code, const char *word)
{
	wk_bundle_import_options o = WK_BUNDLE_IMPORT_OPTIONS_INIT;
	wk_bundle_report rep = WK_BUNDLE_REPORT_INIT;
	wk_buf b = WK_BUF_INIT;
	int rc;

	o.trust = trust;
	signed_bundle(&b, manifest, strlen(manifest), name);
	rc = wk_bundle_inspect((unsigned char *)b.ptr, b.len, &o, &rep);
	CHECK_EQ_INT(rc, code);
	CHECK_CONTAINS(wk_error_msg(), word);
	if (rc != code || !strstr(wk_error_msg(), word))
		fprintf(stderr, "  (expected '%s'; got %d: %s)\n", word, rc, wk_error_msg());
	CHECK_EQ_INT(rep.nitems, 0);
	wk_bundle_report_free(&rep);
	wk_buf_free(&b);
}

static void test_strict(void)
{
	wk_buf m = WK_BUF_INIT;
	char head[512], line[512];
	const char *env = "envelopes/LEI/d1/0000000007.env";
	size_t len = golden_env.len;

	snprintf(head, sizeof(head), "wicket-bundle 1\nregion YORKS\nfrom YORKS\nfor *\nsigner %s\n", GOLDEN_SIGNER);
	snprintf(line, sizeof(line), "%s %zu %s\n", env_hash, len, env);

	/* The canonical manifest passes (and the variants below differ from it in one thing each). */
	wk_buf_printf(&m, "%sheld 1\nLEI d1 7\nentries 1\n%s", head, line);
	{
		wk_bundle_import_options o = WK_BUNDLE_IMPORT_OPTIONS_INIT;
		wk_bundle_report rep = WK_BUNDLE_REPORT_INIT;
		wk_buf b = WK_BUF_INIT;

		o.trust = trust;
		signed_bundle(&b, m.ptr, m.len, env);
		CHECK_EQ_INT(wk_bundle_inspect((unsigned char *)b.ptr, b.len, &o, &rep), 0);
		CHECK_EQ_INT(rep.nitems, 1);
		wk_bundle_report_free(&rep);
		wk_buf_free(&b);
	}
	wk_buf_clear(&m);
	wk_buf_printf(&m, "wicket-bundle 2\nregion YORKS\n");
	expect_manifest(m.ptr, env, WK_EVERSION, "upgrade wicket");
	expect_manifest("wicket-bundle\t1\n", env, WK_EINVALID, "not printable ASCII");
	expect_manifest("wicket-bundle 1\r\nregion YORKS\r\n", env, WK_EINVALID, "not printable ASCII");
	expect_manifest("wicket-bundles 1\n", env, WK_EINVALID, "not a wicket bundle manifest");
	expect_manifest("PK\003\004", env, WK_EINVALID, "does not end with a newline");

	wk_buf_clear(&m);
	wk_buf_printf(&m, "%sheld 1\nLEI d1 7\nentries 01\n%s", head, line);
	expect_manifest(m.ptr, env, WK_EINVALID, "should be 'entries COUNT'");
	wk_buf_clear(&m);
	wk_buf_printf(&m, "%sheld 1\nLEI d1 7\nentries 1\n%s %zu  %s\n", head, env_hash, len, env);
	expect_manifest(m.ptr, env, WK_EINVALID, "empty field");
	wk_buf_clear(&m);
	wk_buf_printf(&m, "%sheld 1\nLEI d1 7\nentries 1\n%s %zu %s", head, env_hash, len, env);
	expect_manifest(m.ptr, env, WK_EINVALID, "does not end with a newline");
	wk_buf_clear(&m);
	wk_buf_printf(&m, "%sheld 1\nLEI d1 7\nentries 1\n%sextra\n", head, line);
	expect_manifest(m.ptr, env, WK_EINVALID, "bytes after its last entry");
	wk_buf_clear(&m);
	wk_buf_printf(&m, "%sheld 1\nLEI d1 7\nentries 2\n%s", head, line);
	expect_manifest(m.ptr, env, WK_EINVALID, "ends before its entry");
	{
		char upper[65];
		size_t i;

		for (i = 0; i < 65; i++)
			upper[i] = (char)(env_hash[i] >= 'a' && env_hash[i] <= 'f' ? env_hash[i] - 32 : env_hash[i]);
		wk_buf_clear(&m);
		wk_buf_printf(&m, "%sheld 1\nLEI d1 7\nentries 1\n%s %zu %s\n", head, upper, len, env);
		expect_manifest(m.ptr, env, WK_EINVALID, "should be 'HASH SIZE NAME'");
	}
	/* The seq beyond what the exporter held; a chain of another site in a bundle for LEI. */
	wk_buf_clear(&m);
	wk_buf_printf(&m, "%sheld 1\nLEI d1 6\nentries 1\n%s", head, line);
	expect_manifest(m.ptr, env, WK_EINVALID, "beyond the chains");
	wk_buf_clear(&m);
	wk_buf_printf(&m, "wicket-bundle 1\nregion YORKS\nfrom YORKS\nfor MAN\nsigner %s\nheld 1\nLEI d1 7\n"
	              "entries 1\n%s", GOLDEN_SIGNER, line);
	expect_manifest(m.ptr, env, WK_EINVALID, "chain of site LEI in a bundle for MAN");
	wk_buf_clear(&m);
	wk_buf_printf(&m, "%sheld 2\nMAN m1 1\nLEI d1 7\nentries 1\n%s", head, line);
	expect_manifest(m.ptr, env, WK_EINVALID, "not in canonical order");
	/* An entry that is not a bundle's; an envelope under another name. */
	wk_buf_clear(&m);
	wk_buf_printf(&m, "%sheld 0\nentries 1\n%s %zu notes.txt\n", head, env_hash, len);
	expect_manifest(m.ptr, "notes.txt", WK_EINVALID, "not an entry a bundle holds");
	wk_buf_clear(&m);
	wk_buf_printf(&m, "%sheld 1\nLEI d1 8\nentries 1\n%s %zu envelopes/LEI/d1/0000000008.env\n", head, env_hash,
	              len);
	expect_manifest(m.ptr, "envelopes/LEI/d1/0000000008.env", WK_EINVALID, "holds changeset LEI/d1 #7, not the one");
	/* Caps: counts, and the MANIFEST's own size before it is decoded. */
	wk_buf_clear(&m);
	wk_buf_printf(&m, "%sheld 99999\n", head);
	expect_manifest(m.ptr, env, WK_ELIMIT, "at most 20000");
	{
		size_t big = WK_BUNDLE_MANIFEST_MAX + 1;
		char *huge = malloc(big + 1);

		memset(huge, 'x', big);
		huge[big] = '\0';
		expect_manifest(huge, env, WK_ELIMIT, "over the cap");
		free(huge);
	}
	wk_buf_free(&m);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	make_party(&root, 1);
	make_party(&officer, 2);
	CHECK_EQ_INT(wk_trust_new(&trust, "YORKS", root.sign_pk, root.box_pk, "Regional Root"), 0);
	enrol(trust, &officer, WK_TRUST_OFFICER, "*", NULL, "Pat Officer");
	load_golden_envelope();
	test_golden();
	test_strict();
	wk_buf_free(&golden_env);
	wk_trust_free(trust);
	return test_summary();
}
