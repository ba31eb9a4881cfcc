/*
 * The decoder treats its input as hostile: every truncation, every damaged
 * length or count, trailing bytes, unknown versions, bad tags, bad text and
 * broken invariants are refused cleanly (a code, a message, no changeset,
 * nothing read past the end: the input is copied to a buffer of exactly its
 * length so that AddressSanitizer sees any over-read), and caps are applied
 * before anything is allocated for a claimed count. Format 2 adds the
 * dependencies (one "<device>:<seq>" per other device, sorted, never the
 * changeset's own) and each set's parents ("<device>@<clock>" entries joined
 * by ',', sorted, unique, at most 64); format 1 is refused as too old.
 */
#include "test.h"
#include "cs_util.h"
#include "changeset.h"
#include "error.h"

#include <stdint.h>

/* ---- reading the golden vectors --------------------------------------------- */


/* Decode an exact-size copy of p; the changeset is freed. */
static int decode_lim(const unsigned char *p, size_t n, const wk_changeset_limits *lim)
{
	unsigned char *copy = malloc(n ? n : 1);
	wk_changeset *cs = (wk_changeset *)&cs; /* must be reset to NULL on failure */
	int rc;

	if (n)
		memcpy(copy, p, n);
	rc = wk_changeset_decode(&cs, n ? copy : NULL, n, lim);
	if (rc < 0 && cs != NULL) {
		fprintf(stderr, "decode failed but left a changeset\n");
		rc = -1000;
	}
	if (rc < 0 && !wk_error_msg()[0]) {
		fprintf(stderr, "decode failed with no message\n");
		rc = -1000;
	}
	/* What it accepts, it gives back byte for byte. */
	if (rc == 0) {
		wk_buf b = WK_BUF_INIT;

		if (wk_changeset_encode(&b, cs) < 0 || b.len != n || memcmp(b.ptr, copy, n) != 0) {
			fprintf(stderr, "decoded input does not encode back to itself\n");
			rc = -1000;
		}
		wk_buf_free(&b);
	}
	wk_changeset_free(rc == 0 ? cs : NULL);
	free(copy);
	return rc;
}

static int decode(const unsigned char *p, size_t n)
{
	return decode_lim(p, n, NULL);
}

/* Offsets of every u32 length and count field of a valid encoding. */
static size_t length_fields(const unsigned char *p, size_t n, size_t *offs, size_t max)
{
	size_t off = 8, k = 0, i, j, nc, nd, no;
#define U32(o) ((size_t)p[o] << 24 | (size_t)p[(o) + 1] << 16 | (size_t)p[(o) + 2] << 8 | p[(o) + 3])
#define STR() do { if (k < max) offs[k++] = off; off += 4 + U32(off); } while (0)
	STR(); /* site */
	STR(); /* device */
	off += 8 + 32 + 4;
	nc = U32(off);
	offs[k++] = off;
	off += 4;
	for (i = 0; i < nc; i++)
		STR();
	nd = U32(off);
	offs[k++] = off;
	off += 4;
	for (i = 0; i < nd; i++)
		STR();
	off += 16;
	no = U32(off);
	offs[k++] = off;
	off += 4;
	for (i = 0; i < no; i++) {
		off += 17;
		STR(); /* person */
		STR(); /* entity */
		STR(); /* id */
		for (j = 0; j < 4; j++) /* field, old, new, parents */
			if (p[off++] == 1)
				STR();
	}
	CHECK_EQ_INT(off, n);
	return k;
#undef STR
#undef U32
}

static void check_vector(int v)
{
	char path[64];
	unsigned char *p, *q;
	size_t n = 0, i, j, k, offs[64];
	int rc;

	snprintf(path, sizeof(path), "tests/changeset/vectors/seq%d.hex", v);
	p = read_hex(path, &n);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_EQ_INT(decode(p, n), 0);

	/* Cut at every byte: refused as invalid, never read past the cut. */
	for (i = 0; i < n; i++) {
		rc = decode(p, i);
		if (rc != WK_EINVALID) {
			fprintf(stderr, "seq%d cut at %zu: rc %d\n", v, i, rc);
			CHECK(0);
		}
	}
	CHECK_CONTAINS(wk_error_msg(), "truncated");

	/* Every byte of every length and count, flipped, and the length off by one. */
	q = malloc(n);
	k = length_fields(p, n, offs, 64);
	CHECK(k >= 7);
	for (i = 0; i < k; i++) {
		for (j = 0; j < 4; j++) {
			memcpy(q, p, n);
			q[offs[i] + j] ^= 0xff;
			if ((rc = decode(q, n)) >= 0) {
				fprintf(stderr, "seq%d: length at %zu, byte %zu flipped: accepted\n", v, offs[i], j);
				CHECK(0);
			}
		}
		for (j = 0; j < 2; j++) {
			memcpy(q, p, n);
			q[offs[i] + 3] = (unsigned char)(q[offs[i] + 3] + (j ? 1 : -1));
			if ((rc = decode(q, n)) >= 0) {
				fprintf(stderr, "seq%d: length at %zu %s 1: accepted\n", v, offs[i], j ? "+" : "-");
				CHECK(0);
			}
		}
	}
	free(q);

	/* Trailing garbage: one byte, or a second copy. */
	q = malloc(2 * n);
	memcpy(q, p, n);
	memcpy(q + n, p, n);
	CHECK_EQ_INT(decode(q, n + 1), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "after its end");
	CHECK_EQ_INT(decode(q, 2 * n), WK_EINVALID);
	free(q);
	free(p);
}

/* ---- hand-made encodings ---------------------------------------------------- */

typedef struct {
	uint64_t seq, hlc;
	unsigned kind;
	const char *person, *entity, *id, *field, *oldv, *newv, *parents;
	int tags[4]; /* -1: from the pointer; otherwise the tag byte to write */
	size_t len_person; /* 0: strlen */
	uint32_t claim_person; /* 0: the length written; else the length claimed */
} rop;

typedef struct {
	const char *magic;
	uint32_t format;
	const char *site, *device;
	uint64_t seq;
	unsigned char prev[32];
	uint32_t schema;
	size_t ncat;
	const char *cat[4];
	size_t ndep;
	const char *dep[4];
	const char *const *deps; /* when set: the ndep dependencies instead of dep */
	uint32_t ndep_claim; /* 0: ndep */
	int64_t hmin, hmax; /* -1: from the ops */
	uint32_t nops_claim; /* 0: nops */
	size_t nops;
	rop ops[4];
} raw;

static void put32(wk_buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
	                       (unsigned char)v };
	wk_buf_put(b, x, 4);
}

static void put64(wk_buf *b, uint64_t v)
{
	put32(b, (uint32_t)(v >> 32));
	put32(b, (uint32_t)v);
}

static void putstr(wk_buf *b, const char *s, size_t len)
{
	put32(b, (uint32_t)len);
	wk_buf_put(b, s, len);
}

static void putopt(wk_buf *b, const char *s, int tag)
{
	wk_buf_putc(b, (char)(tag >= 0 ? tag : s != NULL));
	if (s)
		putstr(b, s, strlen(s));
}

static void raw_encode(wk_buf *b, const raw *r)
{
	size_t i;

	wk_buf_clear(b);
	wk_buf_put(b, r->magic, 4);
	put32(b, r->format);
	putstr(b, r->site, strlen(r->site));
	putstr(b, r->device, strlen(r->device));
	put64(b, r->seq);
	wk_buf_put(b, r->prev, 32);
	put32(b, r->schema);
	put32(b, (uint32_t)r->ncat);
	for (i = 0; i < r->ncat; i++)
		putstr(b, r->cat[i], strlen(r->cat[i]));
	put32(b, r->ndep_claim ? r->ndep_claim : (uint32_t)r->ndep);
	for (i = 0; i < r->ndep; i++) {
		const char *d = r->deps ? r->deps[i] : r->dep[i];

		putstr(b, d, strlen(d));
	}
	put64(b, r->hmin >= 0 ? (uint64_t)r->hmin : r->ops[0].hlc);
	put64(b, r->hmax >= 0 ? (uint64_t)r->hmax : r->ops[r->nops - 1].hlc);
	put32(b, r->nops_claim ? r->nops_claim : (uint32_t)r->nops);
	for (i = 0; i < r->nops; i++) {
		const rop *o = &r->ops[i];

		put64(b, o->seq);
		put64(b, o->hlc);
		wk_buf_putc(b, (char)o->kind);
		if (o->claim_person) {
			put32(b, o->claim_person);
			wk_buf_puts(b, o->person);
		} else {
			putstr(b, o->person, o->len_person ? o->len_person : strlen(o->person));
		}
		putstr(b, o->entity, strlen(o->entity));
		putstr(b, o->id, strlen(o->id));
		putopt(b, o->field, o->tags[0]);
		putopt(b, o->oldv, o->tags[1]);
		putopt(b, o->newv, o->tags[2]);
		putopt(b, o->parents, o->tags[3]);
	}
}

static raw base(void)
{
	raw r = {
		"WKCS", 2, "LEI", "d1", 2, { 7 }, 2, 2, { "edm:OMU@1", "stages@1" },
		2, { "a1:5", "b2:1" }, NULL, 0, -1, -1, 0, 2, {
			{ 10, 1000, 1, "A. Khan", "plan", "omu", NULL, NULL, NULL, NULL, { -1, -1, -1, -1 }, 0, 0 },
			{ 11, 1001, 2, "A. Khan", "plan", "omu", "title", NULL, "Plan", "a1@900,b2@950",
			  { -1, -1, -1, -1 }, 0, 0 },
		}
	};
	return r;
}

static int try_raw(const raw *r)
{
	wk_buf b = WK_BUF_INIT;
	int rc;

	raw_encode(&b, r);
	rc = decode((const unsigned char *)b.ptr, b.len);
	wk_buf_free(&b);
	return rc;
}

static void check_hand_made(void)
{
	wk_changeset_limits lim = WK_CHANGESET_LIMITS_INIT;
	wk_changeset *cs = NULL;
	wk_buf b = WK_BUF_INIT;
	raw r;

	r = base();
	CHECK_EQ_INT(try_raw(&r), 0);

	/* Versions and magic: format 1 predates field-level merge and is refused as too old. */
	r = base(); r.format = 3;
	CHECK_EQ_INT(try_raw(&r), WK_EVERSION);
	CHECK_CONTAINS(wk_error_msg(), "upgrade wicket");
	r = base(); r.format = 1;
	CHECK_EQ_INT(try_raw(&r), WK_EVERSION);
	CHECK_CONTAINS(wk_error_msg(), "field-level merge");
	CHECK(strstr(wk_error_msg(), "upgrade wicket") == NULL);
	r = base(); r.format = 0xffffffffu;
	CHECK_EQ_INT(try_raw(&r), WK_EVERSION);
	r = base(); r.format = 0;
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.magic = "WKCT";
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "not a changeset");
	CHECK_EQ_INT(decode(NULL, 0), WK_EINVALID);

	/* Huge claimed counts: over the cap (a limit) or beyond the bytes there are. */
	r = base(); r.nops_claim = 0xffffffffu;
	CHECK_EQ_INT(try_raw(&r), WK_ELIMIT);
	r = base(); r.nops_claim = 1000000;
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "cannot fit");
	r = base(); r.nops_claim = 1000001;
	lim.max_ops = SIZE_MAX; /* a reader cannot loosen the format's caps */
	raw_encode(&b, &r);
	CHECK_EQ_INT(decode_lim((const unsigned char *)b.ptr, b.len, &lim), WK_ELIMIT);
	lim.max_ops = 0;
	r = base(); r.nops = 0;
	r.hmin = r.hmax = 0;
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "no operations");

	/* Huge claimed lengths. */
	r = base(); r.ops[0].claim_person = 0x7fffffff;
	CHECK_EQ_INT(try_raw(&r), WK_ELIMIT);
	r = base(); r.ops[0].claim_person = 200; /* under the cap, past the end */
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);

	/* Presence tags: only 0 and 1; NULL and "" are different values. */
	r = base(); r.ops[1].tags[1] = 2;
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "presence tag");
	r = base(); r.ops[1].oldv = "";
	CHECK_EQ_INT(try_raw(&r), 0);
	raw_encode(&b, &r);
	CHECK_EQ_INT(wk_changeset_decode(&cs, (const unsigned char *)b.ptr, b.len, NULL), 0);
	CHECK(cs && cs->ops[1].old_value && cs->ops[1].old_value[0] == '\0');
	CHECK(cs && cs->ops[0].old_value == NULL);
	wk_changeset_free(cs);
	cs = NULL;

	/* Kinds and what each carries. */
	r = base(); r.ops[0].kind = 0;
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.ops[0].kind = 3;
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.ops[0].field = "title";
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.ops[0].newv = "x";
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.ops[1].field = NULL;
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);

	/* Text: UTF-8, shortest forms, no surrogates, no NUL; names and codes. */
	r = base(); r.ops[1].newv = "Pre\xe2\x80\x93release";
	CHECK_EQ_INT(try_raw(&r), 0);
	r = base(); r.ops[1].newv = "\xed\xa0\x80"; /* a surrogate */
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.ops[1].newv = "\xc0\xaf"; /* overlong '/' */
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.ops[1].newv = "\xf4\x90\x80\x80"; /* above U+10FFFF */
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.ops[1].newv = "ab\xe2\x80"; /* cut short */
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.ops[0].person = "SECRET\xff"; /* the message never quotes input */
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	CHECK(strstr(wk_error_msg(), "SECRET") == NULL);
	r = base(); r.ops[0].person = "A\0B"; r.ops[0].len_person = 3;
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "NUL");
	r = base(); r.ops[0].person = "";
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.ops[0].entity = "Plan";
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.ops[1].field = "title; DROP";
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.site = "L";
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.device = "d_1";
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.site = "ABCDEFGHIJKLMNOPQ"; /* 17 */
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);

	/* The chain fields. */
	r = base(); r.seq = 0;
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.seq = 1;
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID); /* seq 1 with a previous hash */
	r = base(); r.seq = 1; memset(r.prev, 0, 32);
	CHECK_EQ_INT(try_raw(&r), 0);
	r = base(); memset(r.prev, 0, 32);
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID); /* seq 2 without one */
	r = base(); r.schema = 0;
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);

	/* The catalogue: sorted bytewise, unique, not empty ids. */
	r = base(); r.cat[0] = "stages@1"; r.cat[1] = "edm:OMU@1";
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.cat[1] = "edm:OMU@1";
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.cat[0] = "";
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.ncat = 0;
	CHECK_EQ_INT(try_raw(&r), 0);
	r = base(); r.ncat = 3; r.cat[2] = "zzz";
	CHECK_EQ_INT(try_raw(&r), 0);

	/* The clocks and the order of the ops. */
	r = base(); r.hmin = 999;
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.hmax = 1002;
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.ops[1].hlc = 1000;
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.ops[1].seq = 10;
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.ops[0].seq = 0;
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.ops[1].hlc = (uint64_t)1 << 63; /* not an int64 */
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.ops[1].seq = 12; r.ops[1].hlc = 5000; /* gaps are fine */
	CHECK_EQ_INT(try_raw(&r), 0);

	/* A reader's tighter limits. */
	r = base();
	raw_encode(&b, &r);
	lim = (wk_changeset_limits)WK_CHANGESET_LIMITS_INIT;
	lim.max_ops = 1;
	CHECK_EQ_INT(decode_lim((const unsigned char *)b.ptr, b.len, &lim), WK_ELIMIT);
	lim = (wk_changeset_limits)WK_CHANGESET_LIMITS_INIT;
	lim.max_bytes = b.len - 1;
	CHECK_EQ_INT(decode_lim((const unsigned char *)b.ptr, b.len, &lim), WK_ELIMIT);
	lim.max_bytes = b.len;
	CHECK_EQ_INT(decode_lim((const unsigned char *)b.ptr, b.len, &lim), 0);
	lim = (wk_changeset_limits)WK_CHANGESET_LIMITS_INIT;
	lim.max_value = 3;
	CHECK_EQ_INT(decode_lim((const unsigned char *)b.ptr, b.len, &lim), WK_ELIMIT);
	lim.max_value = 4;
	CHECK_EQ_INT(decode_lim((const unsigned char *)b.ptr, b.len, &lim), 0);
	lim = (wk_changeset_limits)WK_CHANGESET_LIMITS_INIT;
	lim.max_name = 6; /* "A. Khan" is 7 */
	CHECK_EQ_INT(decode_lim((const unsigned char *)b.ptr, b.len, &lim), WK_ELIMIT);
	lim = (wk_changeset_limits)WK_CHANGESET_LIMITS_INIT;
	lim.max_catalogue = 1;
	CHECK_EQ_INT(decode_lim((const unsigned char *)b.ptr, b.len, &lim), WK_ELIMIT);
	CHECK_EQ_INT(wk_changeset_decode(NULL, (const unsigned char *)b.ptr, b.len, NULL), WK_EUSAGE);
	wk_buf_free(&b);
}

/* The golden seq1 of format 1 (before field-level merge), as it was sealed then. */
static const char format1_seq1[] =
	"574b435300000001000000034c4549000000076434663361323100000000000000010000000000000000000000000000"
	"00000000000000000000000000000000000000000002000000020000000965646d3a4f4d554031000000087374616765"
	"73403101a203b1dc9c000001a203b1dc9c000000000001000000000000002901a203b1dc9c00000200000007412e204b"
	"68616e0000000a6173736573736d656e74000000076f6d752f312e310100000006737461747573010000000c6e6f745f"
	"617373657373656401000000036d6574";

static void check_format1(void)
{
	unsigned char p[sizeof(format1_seq1) / 2];
	size_t i, n = strlen(format1_seq1) / 2;

	for (i = 0; i < n; i++) {
		unsigned v = 0;

		sscanf(format1_seq1 + 2 * i, "%2x", &v);
		p[i] = (unsigned char)v;
	}
	CHECK_EQ_INT(n, 208);
	CHECK_EQ_INT(decode(p, n), WK_EVERSION);
	CHECK_CONTAINS(wk_error_msg(), "format 1");
	CHECK_CONTAINS(wk_error_msg(), "field-level merge");
	/* Refused on the version alone: a cut copy says the same. */
	CHECK_EQ_INT(decode(p, 8), WK_EVERSION);
}

/* A raw changeset whose second op (a set) has these parents. */
static int try_parents(const char *parents)
{
	raw r = base();

	r.ops[1].parents = parents;
	return try_raw(&r);
}

/* A raw changeset (device "d1") with these n dependencies. */
static int try_depends(size_t n, const char *a, const char *b, const char *c)
{
	raw r = base();

	r.ndep = n;
	r.dep[0] = a;
	r.dep[1] = b;
	r.dep[2] = c;
	return try_raw(&r);
}

static void check_depends(void)
{
	enum { MANY = 4097 };
	char **many = malloc(MANY * sizeof(*many)), *buf = malloc(MANY * 16);
	wk_changeset *cs = NULL;
	wk_buf b = WK_BUF_INIT;
	raw r;
	size_t i;

	/* None, one, and the bytewise order of whole entries ('-' sorts before ':'). */
	CHECK_EQ_INT(try_depends(0, NULL, NULL, NULL), 0);
	CHECK_EQ_INT(try_depends(1, "a1:1", NULL, NULL), 0);
	CHECK_EQ_INT(try_depends(2, "a1-2:1", "a1:1", NULL), 0);
	CHECK_EQ_INT(try_depends(2, "a1:1", "a1-2:1", NULL), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "sorted");
	CHECK_EQ_INT(try_depends(2, "A1:1", "a1:1", NULL), 0); /* codes are case-sensitive: two devices */
	CHECK_EQ_INT(try_depends(1, "ABCDEFGHIJKLMNOP:9223372036854775807", NULL, NULL), 0); /* the longest */

	/* Its own device, unsorted, a device twice. */
	CHECK_EQ_INT(try_depends(1, "d1:5", NULL, NULL), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "own device");
	CHECK_EQ_INT(try_depends(3, "a1:1", "d1:2", "e1:1"), WK_EINVALID);
	CHECK_EQ_INT(try_depends(1, "d1-x:5", NULL, NULL), 0); /* another device, not a prefix match */
	CHECK_EQ_INT(try_depends(2, "b2:1", "a1:5", NULL), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "sorted");
	CHECK_EQ_INT(try_depends(2, "a1:5", "a1:5", NULL), WK_EINVALID);
	CHECK_EQ_INT(try_depends(2, "a1:5", "a1:6", NULL), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "device twice");
	CHECK_EQ_INT(try_depends(3, "a1:10", "a1:9", "b1:1"), WK_EINVALID);
	CHECK_EQ_INT(try_depends(3, "a1:1", "a1x:1", "a1:2"), WK_EINVALID);

	/* The sequence: decimal, 1 to 2^63 - 1, no leading zero, nothing else. */
	CHECK_EQ_INT(try_depends(1, "a1:0", NULL, NULL), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "<device>:<sequence>");
	CHECK_EQ_INT(try_depends(1, "a1:05", NULL, NULL), WK_EINVALID);
	CHECK_EQ_INT(try_depends(1, "a1:00", NULL, NULL), WK_EINVALID);
	CHECK_EQ_INT(try_depends(1, "a1:9223372036854775808", NULL, NULL), WK_EINVALID);
	CHECK_EQ_INT(try_depends(1, "a1:10000000000000000000", NULL, NULL), WK_EINVALID);
	CHECK_EQ_INT(try_depends(1, "a1:-1", NULL, NULL), WK_EINVALID);
	CHECK_EQ_INT(try_depends(1, "a1:+1", NULL, NULL), WK_EINVALID);
	CHECK_EQ_INT(try_depends(1, "a1: 1", NULL, NULL), WK_EINVALID);
	CHECK_EQ_INT(try_depends(1, "a1:1 ", NULL, NULL), WK_EINVALID);
	CHECK_EQ_INT(try_depends(1, "a1:0x1", NULL, NULL), WK_EINVALID);
	CHECK_EQ_INT(try_depends(1, "a1:", NULL, NULL), WK_EINVALID);
	CHECK_EQ_INT(try_depends(1, "a1:1:2", NULL, NULL), WK_EINVALID);
	CHECK_EQ_INT(try_depends(1, "a1@1", NULL, NULL), WK_EINVALID);
	CHECK_EQ_INT(try_depends(1, "a11", NULL, NULL), WK_EINVALID);
	CHECK_EQ_INT(try_depends(1, "", NULL, NULL), WK_EINVALID);
	/* The device: a code. */
	CHECK_EQ_INT(try_depends(1, ":5", NULL, NULL), WK_EINVALID);
	CHECK_EQ_INT(try_depends(1, "a:5", NULL, NULL), WK_EINVALID);
	CHECK_EQ_INT(try_depends(1, "a_1:5", NULL, NULL), WK_EINVALID);
	CHECK_EQ_INT(try_depends(1, "a\xc3\xa1:5", NULL, NULL), WK_EINVALID);
	CHECK_EQ_INT(try_depends(1, "ABCDEFGHIJKLMNOPQ:5", NULL, NULL), WK_EINVALID); /* 17 */
	CHECK_EQ_INT(try_depends(1, "SECRET\xff:5", NULL, NULL), WK_EINVALID);
	CHECK(strstr(wk_error_msg(), "SECRET") == NULL);
	/* A NUL inside: "a1:5" then a NUL would pass as a C string; the raw bytes are refused. */
	{
		wk_buf raw_b = WK_BUF_INIT;
		size_t at;

		r = base(); r.ndep = 1; r.dep[0] = "a1:50";
		raw_encode(&raw_b, &r);
		for (at = 0; at + 5 <= raw_b.len && memcmp(raw_b.ptr + at, "a1:50", 5) != 0; at++)
			;
		CHECK(at + 5 <= raw_b.len);
		if (at + 5 <= raw_b.len) {
			raw_b.ptr[at + 4] = '\0';
			CHECK_EQ_INT(decode((const unsigned char *)raw_b.ptr, raw_b.len), WK_EINVALID);
		}
		wk_buf_free(&raw_b);
	}

	/* Counts: the cap (4,096) is a limit; a count the bytes cannot hold is a truncation. */
	for (i = 0; i < MANY; i++) {
		snprintf(buf + 16 * i, 16, "x%04zu:%zu", i, i + 1);
		many[i] = buf + 16 * i;
	}
	r = base(); r.deps = (const char *const *)many; r.ndep = MANY - 1;
	CHECK_EQ_INT(try_raw(&r), 0);
	raw_encode(&b, &r);
	CHECK(wk_changeset_decode(&cs, (const unsigned char *)b.ptr, b.len, NULL) == 0 &&
	      cs->ndepends == MANY - 1 && strcmp(cs->depends[MANY - 2], "x4095:4096") == 0);
	wk_changeset_free(cs);
	r.ndep = MANY;
	CHECK_EQ_INT(try_raw(&r), WK_ELIMIT);
	CHECK_CONTAINS(wk_error_msg(), "dependencies");
	r = base(); r.ndep_claim = 0xffffffffu;
	CHECK_EQ_INT(try_raw(&r), WK_ELIMIT);
	r = base(); r.ndep_claim = 4096; /* under the cap, past the end */
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "cannot fit");
	r = base(); r.ndep_claim = 3; /* one more than there are: the clocks are read as one */
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.ndep_claim = 1; /* one fewer: the second is read as the clocks */
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);

	/* A reader's limits on names do not apply to dependencies. */
	{
		wk_changeset_limits lim = WK_CHANGESET_LIMITS_INIT;

		r = base(); r.ndep = 1; r.dep[0] = "ABCDEFGHIJKLMNOP:9223372036854775807";
		r.ops[1].parents = NULL;
		raw_encode(&b, &r);
		lim.max_name = 9; /* "edm:OMU@1", "A. Khan", "plan", "omu", "title" all fit */
		CHECK_EQ_INT(decode_lim((const unsigned char *)b.ptr, b.len, &lim), 0);
	}
	wk_buf_free(&b);
	free(many);
	free(buf);
}

static void check_parents(void)
{
	char longest[64 * 37], *p;
	raw r;
	size_t i;

	/* None, one, several; sorted by the bytes of whole entries. */
	CHECK_EQ_INT(try_parents(NULL), 0);
	CHECK_EQ_INT(try_parents("a1@900"), 0);
	CHECK_EQ_INT(try_parents("a1@0"), 0); /* clock 0 is a clock */
	CHECK_EQ_INT(try_parents("a1@10,a1@9"), 0); /* bytewise, not numeric */
	CHECK_EQ_INT(try_parents("a1@9,a1@10"), WK_EINVALID);
	CHECK_EQ_INT(try_parents("a1-2@5,a1@5"), 0); /* '-' sorts before '@' */
	CHECK_EQ_INT(try_parents("a1@5,a1-2@5"), WK_EINVALID);
	CHECK_EQ_INT(try_parents("d1@900"), 0); /* its own device's earlier write */
	CHECK_EQ_INT(try_parents("a1@9223372036854775807"), 0);

	/* Unsorted, repeated, empty entries, an empty list (absent is the empty list). */
	CHECK_EQ_INT(try_parents("b2@950,a1@900"), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "sorted");
	CHECK_EQ_INT(try_parents("a1@900,a1@900"), WK_EINVALID);
	CHECK_EQ_INT(try_parents("a1@900,"), WK_EINVALID);
	CHECK_EQ_INT(try_parents(",a1@900"), WK_EINVALID);
	CHECK_EQ_INT(try_parents("a1@900,,b2@950"), WK_EINVALID);
	CHECK_EQ_INT(try_parents(","), WK_EINVALID);
	CHECK_EQ_INT(try_parents(""), WK_EINVALID);
	CHECK_EQ_INT(try_parents("a1@900, b2@950"), WK_EINVALID);
	CHECK_EQ_INT(try_parents("a1@900;b2@950"), WK_EINVALID);

	/* Clocks: decimal, no leading zero, below 2^63. */
	CHECK_EQ_INT(try_parents("a1@0900"), WK_EINVALID);
	CHECK_EQ_INT(try_parents("a1@00"), WK_EINVALID);
	CHECK_EQ_INT(try_parents("a1@9223372036854775808"), WK_EINVALID);
	CHECK_EQ_INT(try_parents("a1@18446744073709551616"), WK_EINVALID);
	CHECK_EQ_INT(try_parents("a1@-1"), WK_EINVALID);
	CHECK_EQ_INT(try_parents("a1@"), WK_EINVALID);
	CHECK_EQ_INT(try_parents("a1@1@2"), WK_EINVALID);
	CHECK_EQ_INT(try_parents("a1:900"), WK_EINVALID);
	CHECK_EQ_INT(try_parents("a1900"), WK_EINVALID);
	/* Devices: codes. */
	CHECK_EQ_INT(try_parents("@900"), WK_EINVALID);
	CHECK_EQ_INT(try_parents("a@900"), WK_EINVALID);
	CHECK_EQ_INT(try_parents("a_1@900"), WK_EINVALID);
	CHECK_EQ_INT(try_parents("ABCDEFGHIJKLMNOPQ@900"), WK_EINVALID);
	CHECK_EQ_INT(try_parents("SECRET\xff@900"), WK_EINVALID);
	CHECK(strstr(wk_error_msg(), "SECRET") == NULL);

	/*
	 * At most 64 entries. The longest list (64 entries of a 16-byte code and
	 * a 19-digit clock: 2,367 bytes) is read, whatever a reader's limit on
	 * names; 65 short ones are not.
	 */
	for (i = 0, p = longest; i < 64; i++)
		p += sprintf(p, "%sABCDEFGHIJKLMN%02zu@9223372036854775807", i ? "," : "", i);
	CHECK_EQ_INT(strlen(longest), 2367);
	CHECK_EQ_INT(try_parents(longest), 0);
	{
		wk_changeset_limits lim = WK_CHANGESET_LIMITS_INIT;
		wk_buf b = WK_BUF_INIT;

		r = base(); r.ops[1].parents = longest;
		raw_encode(&b, &r);
		lim.max_name = 9;
		CHECK_EQ_INT(decode_lim((const unsigned char *)b.ptr, b.len, &lim), 0);
		wk_buf_free(&b);
	}
	for (i = 0, p = longest; i < 65; i++)
		p += sprintf(p, "%sa%02zu@0", i ? "," : "", i);
	CHECK_EQ_INT(try_parents(longest), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "at most 64");
	longest[strlen(longest) - 6] = '\0'; /* 64 of them: ",a64@0" dropped */
	CHECK_EQ_INT(try_parents(longest), 0);

	/* Never on a create; a tag is 0 or 1; a claimed length past the end. */
	r = base(); r.ops[0].parents = "a1@900";
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "parents");
	r = base(); r.ops[1].tags[3] = 2;
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "presence tag");
	r = base(); r.ops[1].tags[3] = 0; /* said absent, bytes follow */
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	r = base(); r.ops[1].parents = NULL; r.ops[1].tags[3] = 1; /* said present, nothing follows */
	CHECK_EQ_INT(try_raw(&r), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "truncated");
}

int main(void)
{
	check_format1();
	check_depends();
	check_parents();
	check_vector(1);
	check_vector(2);
	check_vector(3);
	check_hand_made();
	return test_summary();
}
