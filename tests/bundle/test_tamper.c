/*
 * Bundles that must not be trusted: a byte flipped in MANIFEST, in
 * MANIFEST.sig or in an envelope; an entry added, dropped, renamed or moved;
 * MANIFEST or its signature missing; a manifest re-signed by a key the trust
 * file does not list, or by a revoked key, or from another region; a device
 * signing for another site; a hostile tar (path traversal). Each is refused
 * whole with a clear message, and the store is exactly as before: same
 * domain state, no changeset, nothing quarantined. Then a validly signed
 * bundle holding a forked changeset: the fork is refused and quarantined,
 * and the others are applied (or found already held).
 */
#include "bundle_util.h"

static party root, officer, d1, d2, man1, stranger;
static wk_trust *trust;
static wk_store *target;
static wk_ledger_keys ktarget;
static stores starget;

/* Import must be refused with code and a message holding word; the target store must not change. */
static void expect_refused_whole(const wk_buf *b, int code, const char *word)
{
	wk_bundle_import_options o = import_into(&starget, &ktarget);
	wk_bundle_report rep = WK_BUNDLE_REPORT_INIT;
	char *before = fixture_dump(target), *after;
	int rc = wk_bundle_import((const unsigned char *)b->ptr, b->len, &o, &rep);

	CHECK_EQ_INT(rc, code);
	CHECK_CONTAINS(wk_error_msg(), word);
	if (rc != code || !strstr(wk_error_msg(), word))
		fprintf(stderr, "  (expected '%s'; got %d: %s)\n", word, rc, wk_error_msg());
	CHECK_EQ_INT(rep.applied + rep.refused + rep.duplicate, 0);
	CHECK_EQ_INT(rep.nitems, 0);
	after = fixture_dump(target);
	CHECK(before && after && strcmp(before, after) == 0);
	CHECK_EQ_INT(count_of(target, "SELECT count(*) FROM changeset"), 0);
	CHECK_EQ_INT(count_of(target, "SELECT count(*) FROM quarantine"), 0);
	free(before);
	free(after);
	wk_bundle_report_free(&rep);
}

/* Open the good bundle, let change() alter it, write it back, and expect it refused. */
static void tampered(const wk_buf *good, void (*change)(tar *t), int code, const char *word)
{
	tar t;
	wk_buf bad = WK_BUF_INIT;

	CHECK_EQ_INT(tar_load(&t, good), 0);
	change(&t);
	CHECK_EQ_INT(tar_save(&bad, &t), 0);
	expect_refused_whole(&bad, code, word);
	tar_free(&t);
	wk_buf_free(&bad);
}

#define ENV2 "envelopes/LEI/d1/0000000002.env"

static void flip_manifest(tar *t)
{
	tar_entry *m = tar_find(t, "MANIFEST");
	size_t i = m->len - 1;

	/* The last hex digit of the last entry's hash: the manifest still decodes. */
	while (i > 0 && m->data[i - 1] != '\n')
		i--;
	m->data[i + 63] = m->data[i + 63] == '0' ? '1' : '0';
}
static void flip_sig(tar *t) { tar_find(t, "MANIFEST.sig")->data[10] ^= 1; }
static void flip_envelope(tar *t) { tar_find(t, ENV2)->data[200] ^= 0x40; }
static void add_entry(tar *t)
{
	tar_entry *e = &t->e[t->n++];

	snprintf(e->name, sizeof(e->name), "envelopes/LEI/d1/0000000009.env");
	e->data = malloc(4);
	memcpy(e->data, "junk", 4);
	e->len = 4;
}
static void drop_entry(tar *t) { tar_drop(t, 3); }
static void rename_entry(tar *t) { snprintf(tar_find(t, ENV2)->name, WK_TARFILE_NAME_MAX, "envelopes/LEI/d1/0000000004.env"); }
static void swap_entries(tar *t)
{
	tar_entry x = t->e[3];

	t->e[3] = t->e[4];
	t->e[4] = x;
}
static void drop_manifest(tar *t) { tar_drop(t, 0); }
static void drop_sig(tar *t) { tar_drop(t, 1); }
static void long_sig(tar *t)
{
	t->e[1].data = realloc(t->e[1].data, 65);
	t->e[1].data[64] = 0;
	t->e[1].len = 65;
}

/* Sign t's MANIFEST again with p's key (it also names p as the signer). */
static void resign(tar *t, party *p)
{
	tar_entry *m = tar_find(t, "MANIFEST"), *s = tar_find(t, "MANIFEST.sig");
	char hex[65], *at = strstr((char *)m->data, "signer ");

	sodium_bin2hex(hex, sizeof(hex), p->sign_pk, 32);
	memcpy(at + 7, hex, 64);
	crypto_sign_detached(s->data, NULL, m->data, m->len, p->sign_sk);
}
static void resign_stranger(tar *t) { resign(t, &stranger); }
/* man1 is a device of MAN: it may not sign a bundle from LEI. */
static void resign_man(tar *t) { resign(t, &man1); }

/* A ustar header by hand (docs/format/bundle-archive.md), for names the writer refuses to write. */
static void raw_entry(wk_buf *b, const char *name, const char *data)
{
	unsigned char h[512];
	size_t len = strlen(data), i;
	unsigned sum = 0;
	static const unsigned char zero[512];

	memset(h, 0, sizeof(h));
	memcpy(h, name, strlen(name));
	memcpy(h + 100, "000644 ", 8);
	memcpy(h + 108, "000000 ", 8);
	memcpy(h + 116, "000000 ", 8);
	snprintf((char *)h + 124, 13, "%011o ", (unsigned)len);
	memcpy(h + 136, "00000000000 ", 12);
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar\0" "00", 8);
	memcpy(h + 329, "000000 ", 8);
	memcpy(h + 337, "000000 ", 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	wk_buf_put(b, h, 512);
	wk_buf_put(b, data, len);
	wk_buf_put(b, zero, (512 - len % 512) % 512);
}

static void test_hostile_tar(void)
{
	static const unsigned char zero[1024];
	wk_buf b = WK_BUF_INIT;

	raw_entry(&b, "MANIFEST", "wicket-bundle 1\n");
	raw_entry(&b, "../../etc/cron.d/x", "* * * * * root sh\n");
	wk_buf_put(&b, zero, sizeof(zero));
	expect_refused_whole(&b, WK_EINVALID, "path traversal");
	wk_buf_clear(&b);
	wk_buf_puts(&b, "PK\003\004 not a tar at all");
	expect_refused_whole(&b, WK_EINVALID, "not a tar");
	wk_buf_free(&b);
}

/* A replica for device that accepted envs, then changed baseline `ref` and sealed with k: its own next changeset. */
static wk_store *builds_on(const char *device, const envs *e, size_t upto, const wk_ledger_keys *k, const char *ref)
{
	wk_store *st = replica("LEI", device);
	wk_assessment_change c = WK_ASSESSMENT_CHANGE_INIT;
	size_t i, sealed = 0;

	if (!st)
		return NULL;
	for (i = 0; i < upto; i++)
		CHECK_EQ_INT(wk_ledger_accept(st, k, e->v[i].env, e->v[i].len, "test"), WK_LEDGER_APPLIED);
	c.status = "partly_met";
	c.evidence = "walkround";
	CHECK_EQ_INT(wk_store_begin(st), 0);
	CHECK_EQ_INT(wk_baseline_set(st, "omu", ref, &c), 0);
	CHECK_EQ_INT(wk_store_commit(st), 0);
	CHECK_EQ_INT(wk_ledger_seal(st, k, &sealed), 0);
	CHECK_EQ_INT(sealed, 1);
	return st;
}

/*
 * A forked changeset inside a validly signed bundle: the replica holds d1's
 * #1, #2 and a #3 made elsewhere with d1's key; the bundle carries d1's
 * #1-#3 and d2's #1. The duplicates change nothing, the fork is refused and
 * quarantined, and d2's changeset is applied.
 */
static void test_fork(wk_store *a)
{
	wk_ledger_keys k1 = keys_of(&d1, trust), k2 = keys_of(&d2, trust), ko = keys_of(&officer, trust);
	envs ea = { { { NULL, 0 } }, 0 }, ef = { { { NULL, 0 } }, 0 }, all = { { { NULL, 0 } }, 0 };
	wk_store *fork = NULL, *other = NULL, *t = replica("LEI", "r9");
	stores st = { t, "LEI", NULL, NULL };
	wk_bundle_import_options io = import_into(&st, &ko);
	wk_bundle_export_options eo = export_as(&officer, trust, "YORKS");
	wk_bundle_report rep = WK_BUNDLE_REPORT_INIT;
	wk_buf b = WK_BUF_INIT;
	size_t i;

	CHECK_EQ_INT(wk_ledger_each(a, grab, &ea), 0);
	CHECK_EQ_INT(ea.n, 3);
	if (ea.n != 3 || !t)
		return;
	fork = builds_on("d1", &ea, 2, &k1, "1.1");
	other = builds_on("d2", &ea, 3, &k2, "1.3");
	CHECK(fork && other);
	if (!fork || !other)
		return;
	/* The replica takes the forked chain first. */
	CHECK_EQ_INT(wk_ledger_each(fork, grab, &ef), 0);
	CHECK_EQ_INT(ef.n, 3);
	for (i = 0; i < ef.n; i++)
		CHECK_EQ_INT(wk_ledger_accept(t, &ko, ef.v[i].env, ef.v[i].len, "test"), WK_LEDGER_APPLIED);

	CHECK_EQ_INT(wk_ledger_each(a, grab, &all), 0);
	CHECK_EQ_INT(wk_ledger_each(other, grab, &all), 0);  /* d1 #1-#3 (as held there) and d2 #1 */
	CHECK_EQ_INT(all.n, 7);
	{
		wk_bundle_envelope four[4] = { all.v[0], all.v[1], all.v[2], all.v[6] };

		CHECK_EQ_INT(wk_bundle_write(&b, four, 4, &eo), 0);
	}
	CHECK_EQ_INT(wk_bundle_import((unsigned char *)b.ptr, b.len, &io, &rep), 0);
	CHECK_EQ_INT(rep.nitems, 4);
	CHECK_EQ_INT(rep.duplicate, 2);
	CHECK_EQ_INT(rep.refused, 1);
	CHECK_EQ_INT(rep.applied, 1);
	CHECK_EQ_INT(rep.blocked, 0);
	if (rep.nitems == 4) {
		CHECK_EQ_INT(rep.items[2].outcome, WK_BUNDLE_REFUSED);
		CHECK_EQ_INT(rep.items[2].seq, 3);
		CHECK_EQ_INT(rep.items[2].code, WK_ECONFLICT);
		CHECK_CONTAINS(rep.items[2].reason, "fork");
		CHECK_EQ_STR(rep.items[3].device, "d2");
		CHECK_EQ_INT(rep.items[3].outcome, WK_BUNDLE_APPLIED);
	}
	CHECK_EQ_INT(count_of(t, "SELECT count(*) FROM quarantine"), 1);
	CHECK_EQ_INT(count_of(t, "SELECT count(*) FROM quarantine WHERE reason LIKE '%fork%' AND source = 'test bundle'"),
	             1);
	CHECK_EQ_INT(count_of(t, "SELECT count(*) FROM changeset WHERE device = 'd2'"), 1);
	/* Again: nothing more is applied; the fork is refused again. */
	CHECK_EQ_INT(wk_bundle_import((unsigned char *)b.ptr, b.len, &io, &rep), 0);
	CHECK_EQ_INT(rep.applied, 0);
	CHECK_EQ_INT(rep.duplicate, 3);
	CHECK_EQ_INT(rep.refused, 1);
	for (i = 0; i < rep.nitems; i++)
		if (rep.items[i].outcome == WK_BUNDLE_REFUSED)
			CHECK_CONTAINS(rep.items[i].reason, "fork");

	wk_bundle_report_free(&rep);
	envs_free(&ea);
	envs_free(&ef);
	envs_free(&all);
	wk_buf_free(&b);
	wk_store_close(fork);
	wk_store_close(other);
	wk_store_close(t);
}

int main(void)
{
	wk_store *a;
	wk_ledger_keys ka;
	wk_bundle_export_options ea;
	wk_buf good = WK_BUF_INIT, b = WK_BUF_INIT;
	wk_trust *lancs = NULL;

	if (sodium_init() < 0)
		return 1;
	make_party(&root, 1);
	make_party(&officer, 2);
	make_party(&d1, 3);
	make_party(&d2, 4);
	make_party(&man1, 5);
	make_party(&stranger, 9);
	CHECK_EQ_INT(wk_trust_new(&trust, "YORKS", root.sign_pk, root.box_pk, "Regional Root"), 0);
	enrol(trust, &officer, WK_TRUST_OFFICER, "*", NULL, "Pat Officer");
	enrol(trust, &d1, WK_TRUST_DEVICE, "LEI", "d1", "Leeds laptop 1");
	enrol(trust, &d2, WK_TRUST_DEVICE, "LEI", "d2", "Leeds laptop 2");
	enrol(trust, &man1, WK_TRUST_DEVICE, "MAN", "m1", "Manchester laptop");

	ka = keys_of(&d1, trust);
	a = site_at_work("LEI", "d1", &ka);
	target = replica("LEI", "r1");
	CHECK(a && target);
	if (!a || !target)
		return test_summary();
	ktarget = keys_of(&officer, trust);
	starget.st = target;
	starget.site = "LEI";
	ea = export_as(&d1, trust, NULL);
	CHECK_EQ_INT(wk_bundle_export(&good, a, &ea, NULL), 0);

	tampered(&good, flip_manifest, WK_EBADSIG, "MANIFEST.sig is not a signature of its MANIFEST");
	tampered(&good, flip_sig, WK_EBADSIG, "MANIFEST.sig is not a signature of its MANIFEST");
	tampered(&good, flip_envelope, WK_EBADSIG, "entry '" ENV2 "' does not match its size and hash");
	tampered(&good, add_entry, WK_EINVALID, "'envelopes/LEI/d1/0000000009.env' is not listed in its manifest");
	tampered(&good, drop_entry, WK_EINVALID, "listed in its manifest is missing");
	tampered(&good, rename_entry, WK_EINVALID, "'envelopes/LEI/d1/0000000004.env' is not listed");
	tampered(&good, swap_entries, WK_EINVALID, "entries are out of order");
	tampered(&good, drop_manifest, WK_EINVALID, "no MANIFEST entry");
	tampered(&good, drop_sig, WK_EBADSIG, "no MANIFEST.sig entry");
	tampered(&good, long_sig, WK_EBADSIG, "not a 64-byte signature");
	tampered(&good, resign_stranger, WK_EBADSIG, "does not list");
	tampered(&good, resign_man, WK_EBADSIG, "may sign only for site MAN");
	test_hostile_tar();
	/* The caller's caps reach the tar layer: five entries where three are allowed. */
	{
		wk_tarfile_limits lim = WK_TARFILE_LIMITS_INIT;
		wk_bundle_import_options o = import_into(&starget, &ktarget);
		wk_bundle_report rep = WK_BUNDLE_REPORT_INIT;

		lim.max_entries = 3;
		o.limits = &lim;
		CHECK_EQ_INT(wk_bundle_import((unsigned char *)good.ptr, good.len, &o, &rep), WK_ELIMIT);
		CHECK_EQ_INT(count_of(target, "SELECT count(*) FROM changeset"), 0);
		wk_bundle_report_free(&rep);
	}

	/* A key the trust does not list cannot export either. */
	ea = export_as(&stranger, trust, "LEI");
	CHECK_EQ_INT(wk_bundle_export(&b, a, &ea, NULL), WK_EBADSIG);
	CHECK_CONTAINS(wk_error_msg(), "cannot export");
	/* Nor may a device sign from the region's code. */
	ea = export_as(&d1, trust, "YORKS");
	CHECK_EQ_INT(wk_bundle_export(&b, a, &ea, NULL), WK_EBADSIG);
	CHECK_CONTAINS(wk_error_msg(), "role check failed");

	/* Another region's bundle: same keys, another trust. */
	CHECK_EQ_INT(wk_trust_new(&lancs, "LANCS", stranger.sign_pk, stranger.box_pk, "Lancs Root"), 0);
	enrol(lancs, &d1, WK_TRUST_DEVICE, "LEI", "d1", "Leeds laptop 1");
	ea = export_as(&d1, lancs, NULL);
	CHECK_EQ_INT(wk_bundle_export(&b, a, &ea, NULL), 0);
	expect_refused_whole(&b, WK_ECONFLICT, "from region LANCS, and this store trusts region YORKS");

	test_fork(a);

	/* Revoked: d1 revoked from sequence 10 still signed #1-#3, but signs no bundle. */
	CHECK_EQ_INT(wk_trust_revoke(trust, d1.sign_pk, 10), 0);
	expect_refused_whole(&good, WK_EBADSIG, "revoked from sequence 10; a revoked key signs no bundle");
	ea = export_as(&d1, trust, NULL);
	CHECK_EQ_INT(wk_bundle_export(&b, a, &ea, NULL), WK_EBADSIG);
	/* Its changesets still travel in an officer's bundle. */
	{
		wk_bundle_export_options eo = export_as(&officer, trust, "YORKS");
		wk_bundle_import_options io = import_into(&starget, &ktarget);
		wk_bundle_report rep = WK_BUNDLE_REPORT_INIT;

		CHECK_EQ_INT(wk_bundle_export(&b, a, &eo, NULL), 0);
		CHECK_EQ_INT(wk_bundle_import((unsigned char *)b.ptr, b.len, &io, &rep), 0);
		CHECK_EQ_INT(rep.applied, 3);
		wk_bundle_report_free(&rep);
	}

	wk_buf_free(&good);
	wk_buf_free(&b);
	wk_trust_free(lancs);
	wk_store_close(a);
	wk_store_close(target);
	wk_trust_free(trust);
	return test_summary();
}
