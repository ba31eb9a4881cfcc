/*
 * The changeset encoding is pinned: three golden changesets (a device's first
 * three, chained by their hashes) encode to exactly the bytes in
 * tests/changeset/vectors/seqN.hex, those bytes decode to the same fields,
 * and their hashes are those in vectors/seqN.blake2b. A change to any of these
 * is a change of the format (docs/format/changeset.md). Between them they
 * hold one, two and three dependencies, and sets over no parent, one, two
 * and three.
 */
#include "test.h"
#include "cs_util.h"
#include "changeset.h"
#include "error.h"

#include <sodium.h>

#define SITE "LEI"
#define DEVICE "d4f3a21"
/* 2026-11-22T14:38:37.724Z as a clock value (counter 0). */
#define T0 ((int64_t)0x1a203b1dc9cLL << 16)

static int ok(int rc)
{
	if (rc < 0)
		fprintf(stderr, "  error: %s\n", wk_error_msg());
	return rc == 0;
}


static void hex_of(char *dst, const unsigned char *p, size_t n)
{
	sodium_bin2hex(dst, n * 2 + 1, p, n);
}

static int add(wk_changeset *cs, int64_t seq, int64_t hlc, const char *person, const char *entity,
               const char *id, const char *kind, const char *field, const char *oldv,
               const char *newv, const char *parents)
{
	wk_op op = { seq, hlc, DEVICE, person, entity, id, kind, field, oldv, newv, parents };

	return wk_changeset_add_op(cs, &op);
}

/*
 * The other devices of the site and the clocks of their writes that the
 * operations overwrite (clock = milliseconds << 16 | counter):
 *   a7c90e2@117647994081116160  2026-11-20T09:12:05.310Z, counter 0
 *   a7c90e2@117655342213496833  2026-11-21T16:20:48.912Z, counter 1
 *   b19e4f0@117659055685697536  2026-11-22T08:05:12.001Z, counter 0
 *   a7c90e2-2@117665149885939712  2026-11-23T09:55:02.117Z, counter 0
 *   a7c90e2@117665332593033216  2026-11-23T10:41:30.006Z, counter 0
 *   b19e4f0@117665418277683200  2026-11-23T11:03:17.450Z, counter 0
 *   b19e4f0@117665418277683201  the same millisecond, counter 1
 */

/* seq 1: the smallest; one dependency, one set over one parent. */
static wk_changeset *build1(void)
{
	wk_changeset *cs = NULL;

	CHECK(ok(wk_changeset_new(&cs, SITE, DEVICE, 1, NULL, 2)));
	if (!cs)
		return NULL;
	CHECK(ok(wk_changeset_add_catalogue(cs, "stages@1")));
	CHECK(ok(wk_changeset_add_catalogue(cs, "edm:OMU@1")));
	CHECK(ok(wk_changeset_add_depend(cs, "a7c90e2", 3)));
	CHECK(ok(add(cs, 41, T0, "A. Khan", "assessment", "omu/1.1", "set", "status",
	             "not_assessed", "met", "a7c90e2@117647994081116160")));
	return cs;
}

/* seq 2: chains to seq 1; two dependencies; a set with no parent and one over two (a conflict settled). */
static wk_changeset *build2(const unsigned char prev[32])
{
	wk_changeset *cs = NULL;

	CHECK(ok(wk_changeset_new(&cs, SITE, DEVICE, 2, prev, 2)));
	if (!cs)
		return NULL;
	CHECK(ok(wk_changeset_add_catalogue(cs, "edm:OMU@1")));
	CHECK(ok(wk_changeset_add_catalogue(cs, "stages@1")));
	CHECK(ok(wk_changeset_add_depend(cs, "b19e4f0", 2)));
	CHECK(ok(wk_changeset_add_depend(cs, "a7c90e2", 5)));
	CHECK(ok(add(cs, 42, T0 + ((int64_t)60000 << 16), "A. Khan", "assessment", "omu/1.1", "set",
	             "owner", NULL, "Head of OMU", NULL)));
	CHECK(ok(add(cs, 44, T0 + ((int64_t)60000 << 16) + 1, "A. Khan", "assessment", "omu/1.1",
	             "set", "evidence", "minutes of 3 May", "minutes of 3 and 10 May",
	             "a7c90e2@117655342213496833,b19e4f0@117659055685697536")));
	return cs;
}

/*
 * seq 3: a create, NULL and empty values, non-ASCII text and person, no
 * catalogue change; three dependencies whose bytewise order is not the order
 * of their device codes ("a7c90e2-2:" sorts before "a7c90e2:"), and a set
 * over three parents in that same order.
 */
static wk_changeset *build3(const unsigned char prev[32])
{
	wk_changeset *cs = NULL;
	int64_t t = T0 + ((int64_t)86400000 << 16);

	CHECK(ok(wk_changeset_new(&cs, SITE, DEVICE, 3, prev, 2)));
	if (!cs)
		return NULL;
	CHECK(ok(wk_changeset_add_catalogue(cs, "edm:OMU@1")));
	CHECK(ok(wk_changeset_add_depend(cs, "a7c90e2", 6)));
	CHECK(ok(wk_changeset_add_depend(cs, "b19e4f0", 4)));
	CHECK(ok(wk_changeset_add_depend(cs, "a7c90e2-2", 1)));
	CHECK(ok(add(cs, 50, t, "Siobh\xc3\xa1n O\xe2\x80\x99Neill", "inspection", "omic-pre-release-2022",
	             "create", NULL, NULL, NULL, NULL)));
	CHECK(ok(add(cs, 51, t + 1, "Siobh\xc3\xa1n O\xe2\x80\x99Neill", "inspection",
	             "omic-pre-release-2022", "set", "title", NULL,
	             "Offender Management in Custody \xe2\x80\x93 Pre-release", NULL)));
	CHECK(ok(add(cs, 52, t + 2, "Siobh\xc3\xa1n O\xe2\x80\x99Neill", "assessment", "omu/2.4", "set",
	             "local_arrangement", "", NULL,
	             "a7c90e2-2@117665149885939712,a7c90e2@117665332593033216,b19e4f0@117665418277683200")));
	CHECK(ok(add(cs, 53, t + 3, "Siobh\xc3\xa1n O\xe2\x80\x99Neill", "assessment", "omu/2.4", "set",
	             "evidence", NULL, "", "b19e4f0@117665418277683201")));
	return cs;
}


/* Encode cs, compare with the vector file, decode the file, compare; hash into h. */
static void check_vector(const wk_changeset *cs, int k, unsigned char h[32])
{
	char path[64], hex[2 * 65536 + 1], hhex[65];
	unsigned char *want = NULL, *wanth = NULL;
	size_t n = 0, hn = 0;
	wk_buf b = WK_BUF_INIT;
	wk_changeset *back = NULL;

	memset(h, 0, 32);
	if (!cs)
		return;
	snprintf(path, sizeof(path), "tests/changeset/vectors/seq%d.hex", k);
	CHECK((want = read_hex(path, &n)) != NULL);
	snprintf(path, sizeof(path), "tests/changeset/vectors/seq%d.blake2b", k);
	CHECK((wanth = read_hex(path, &hn)) != NULL);
	CHECK(ok(wk_changeset_encode(&b, cs)));
	CHECK_EQ_INT(b.len, wk_changeset_size(cs));
	if (want && b.len < 65536) {
		CHECK_EQ_INT(b.len, n);
		if (b.len != n || memcmp(b.ptr, want, n) != 0) {
			hex_of(hex, (const unsigned char *)b.ptr, b.len);
			fprintf(stderr, "seq%d: encoded bytes differ from the vector; got\n%s\n", k, hex);
			CHECK(0);
		}
	}
	wk_changeset_hash(h, (const unsigned char *)b.ptr, b.len);
	hex_of(hhex, h, 32);
	CHECK_EQ_INT(hn, 32);
	if (wanth && hn == 32)
		hex_of(hex, wanth, 32);
	else
		snprintf(hex, sizeof(hex), "(no vector)");
	CHECK_EQ_STR(hhex, hex);
	if (want) {
		CHECK(ok(wk_changeset_decode(&back, want, n, NULL)));
		CHECK(back && same(cs, back));
		CHECK(back && wk_changeset_size(back) == n);
		wk_changeset_free(back);
	}
	free(want);
	free(wanth);
	wk_buf_free(&b);
}

int main(void)
{
	unsigned char h1[32], h2[32], h3[32];
	wk_changeset *c1, *c2, *c3;

	c1 = build1();
	CHECK(c1 && c1->ncatalogue == 2 && strcmp(c1->catalogue[0], "edm:OMU@1") == 0);
	check_vector(c1, 1, h1);
	c2 = build2(h1);
	check_vector(c2, 2, h2);
	c3 = build3(h2);
	check_vector(c3, 3, h3);

	/* The chain: each carries its predecessor's hash. */
	CHECK(c2 && memcmp(c2->prev, h1, 32) == 0);
	CHECK(c3 && memcmp(c3->prev, h2, 32) == 0);
	/* NULL and "" survive as themselves. */
	CHECK(c3 && c3->ops[0].field == NULL && c3->ops[0].old_value == NULL && c3->ops[0].new_value == NULL);
	CHECK(c3 && c3->ops[2].old_value && c3->ops[2].old_value[0] == '\0' && c3->ops[2].new_value == NULL);
	CHECK(c3 && c3->ops[3].old_value == NULL && c3->ops[3].new_value && c3->ops[3].new_value[0] == '\0');
	CHECK(c3 && c3->hlc_min == c3->ops[0].hlc && c3->hlc_max == c3->ops[3].hlc);
	/* Dependencies are kept sorted by the bytes of the whole entry, whatever order they came in. */
	CHECK(c2 && c2->ndepends == 2 && strcmp(c2->depends[0], "a7c90e2:5") == 0 &&
	      strcmp(c2->depends[1], "b19e4f0:2") == 0);
	CHECK(c3 && c3->ndepends == 3 && strcmp(c3->depends[0], "a7c90e2-2:1") == 0 &&
	      strcmp(c3->depends[1], "a7c90e2:6") == 0 && strcmp(c3->depends[2], "b19e4f0:4") == 0);
	/* Parents: none, one, two, three; never on a create. */
	CHECK(c2 && c2->ops[0].parents == NULL && c3 && c3->ops[0].parents == NULL && c3->ops[1].parents == NULL);
	CHECK(c1 && c1->ops[0].parents && strcmp(c1->ops[0].parents, "a7c90e2@117647994081116160") == 0);

	/* The hash is BLAKE2b-256 of the domain prefix and the bytes, nothing else. */
	{
		unsigned char x[32], y[32];
		static const unsigned char msg[] = "wicket.changeset.v1\0abc";

		wk_changeset_hash(x, (const unsigned char *)"abc", 3);
		crypto_generichash(y, 32, msg, sizeof(msg) - 1, NULL, 0);
		CHECK(memcmp(x, y, 32) == 0);
		crypto_generichash(y, 32, (const unsigned char *)"abc", 3, NULL, 0);
		CHECK(memcmp(x, y, 32) != 0);
	}

	wk_changeset_free(c1);
	wk_changeset_free(c2);
	wk_changeset_free(c3);
	return test_summary();
}
