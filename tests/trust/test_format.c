/*
 * test_format.c - the trust file and enrolment request bytes: golden vectors
 * (fixed seeds, exact bytes, the .hex files in tests/trust/vectors/), every bit flip
 * refused, truncated, oversized and trailing-byte files refused before any
 * signature work, and the canonical form enforced even under a valid
 * signature. The layout is docs/format/trust.md.
 */
#include "test.h"
#include "error.h"
#include "trust.h"

#include <sodium.h>

typedef struct {
	unsigned char spk[32], ssk[64], bpk[32], bsk[32];
} kp;

static void mk(kp *k, unsigned char seed)
{
	unsigned char s[32];

	memset(s, seed, sizeof(s));
	crypto_sign_seed_keypair(k->spk, k->ssk, s);
	s[0] ^= 0x80;
	crypto_box_seed_keypair(k->bpk, k->bsk, s);
	sodium_memzero(s, sizeof(s));
}

static wk_trust_entry entry(const kp *k, int role, const char *site, const char *device, const char *person,
                            uint64_t from)
{
	wk_trust_entry e = WK_TRUST_ENTRY_INIT;

	memcpy(e.sign_pk, k->spk, 32);
	memcpy(e.box_pk, k->bpk, 32);
	e.role = role;
	snprintf(e.site, sizeof(e.site), "%s", site);
	snprintf(e.device, sizeof(e.device), "%s", device);
	snprintf(e.person, sizeof(e.person), "%s", person);
	e.valid_from = from;
	return e;
}

static kp root, root2, offr, dev1, dev2, dev3;

/* The bytes of a hex vector file, whitespace ignored; NULL if unreadable. */
static unsigned char *read_hex(const char *rel, size_t *n)
{
	FILE *f = fopen(test_src(rel), "r");
	char *hex = NULL;
	unsigned char *bin = NULL;
	size_t len = 0, cap = 0;
	int c;

	if (!f)
		return NULL;
	while ((c = fgetc(f)) != EOF) {
		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (len + 2 > cap && !(hex = realloc(hex, cap = cap ? cap * 2 : 1024)))
			break;
		hex[len++] = (char)c;
	}
	fclose(f);
	if (hex && (bin = malloc(len / 2 + 1)) &&
	    sodium_hex2bin(bin, len / 2 + 1, hex, len, NULL, n, NULL) != 0) {
		free(bin);
		bin = NULL;
	}
	free(hex);
	return bin;
}

/* Compare b with the vector file; on a difference print the bytes made, 64 hex digits a line. */
static void check_vector(const wk_buf *b, const char *rel)
{
	size_t n = 0, i;
	unsigned char *want = read_hex(rel, &n);
	int same = want && n == b->len && memcmp(want, b->ptr, n) == 0;

	CHECK(same);
	if (!same) {
		fprintf(stderr, "%s differs (%zu bytes expected, %zu made); made:\n", rel, n, b->len);
		for (i = 0; i < b->len; i++)
			fprintf(stderr, "%02x%s", (unsigned char)b->ptr[i], (i % 32 == 31 || i + 1 == b->len) ? "\n" : "");
	}
	free(want);
}

static int open_bytes(const unsigned char *p, size_t n, const unsigned char *pin)
{
	wk_trust *o = NULL;
	int rc = wk_trust_open(&o, p, n, NULL, pin);

	wk_trust_free(o);
	return rc;
}

/* Offsets of the entries of a document with no handover: start[i] .. start[i+1]. */
static size_t entry_starts(const unsigned char *p, size_t *start, size_t max)
{
	size_t off = 8 + 8, k, count, i;

	off += 1 + p[off];       /* region */
	off += 32;               /* root */
	off += 1 + (p[off] ? 32 : 0);
	count = (size_t)p[off] << 24 | (size_t)p[off + 1] << 16 | (size_t)p[off + 2] << 8 | p[off + 3];
	off += 4;
	for (i = 0; i < count && i + 1 < max; i++) {
		start[i] = off;
		off += 65;
		for (k = 0; k < 3; k++)
			off += 1 + p[off];
		off += 16;
	}
	start[i] = off;
	return i;
}

/* The golden region: version 2 with a root, an officer and two devices, one revoked. */
static wk_trust *golden(wk_buf *v1, wk_buf *v2)
{
	wk_trust *t = NULL;
	wk_trust_entry e;

	if (wk_trust_new(&t, "NW", root.spk, root.bpk, "PGD North West") < 0 ||
	    wk_trust_sign(v1, t, root.ssk, NULL) < 0)
		return NULL;
	e = entry(&offr, WK_TRUST_OFFICER, "*", "", "Ann Officer", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), 0);
	e = entry(&dev1, WK_TRUST_DEVICE, "LEI", "d01", "Jo Bloggs", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), 0);
	e = entry(&dev2, WK_TRUST_DEVICE, "LEI", "d02", "Al Smith", 1);
	CHECK_EQ_INT(wk_trust_add(t, &e), 0);
	CHECK_EQ_INT(wk_trust_revoke(t, dev2.spk, 5), 0);
	CHECK_EQ_INT(wk_trust_sign(v2, t, root.ssk, NULL), 0);
	return t;
}

static void test_golden(void)
{
	wk_buf v1 = WK_BUF_INIT, v2 = WK_BUF_INIT, v3 = WK_BUF_INIT;
	wk_trust *t = golden(&v1, &v2), *a = NULL, *b = NULL;
	size_t n;
	unsigned char *p;

	CHECK(t != NULL);
	if (!t)
		return;
	check_vector(&v1, "tests/trust/vectors/trust-v1.hex");
	check_vector(&v2, "tests/trust/vectors/trust-v2.hex");
	CHECK_EQ_INT(wk_trust_rotate_root(t, root2.spk, root2.bpk, "PGD North West"), 0);
	CHECK_EQ_INT(wk_trust_sign(&v3, t, root2.ssk, root.ssk), 0);
	check_vector(&v3, "tests/trust/vectors/trust-v3-handover.hex");
	/* The pinned files open, in order, as a new device would walk them. */
	p = read_hex("tests/trust/vectors/trust-v1.hex", &n);
	CHECK(p && wk_trust_open(&a, p, n, NULL, root.spk) == 0);
	free(p);
	p = read_hex("tests/trust/vectors/trust-v2.hex", &n);
	CHECK(p && a && wk_trust_open(&b, p, n, a, NULL) == 0);
	free(p);
	wk_trust_free(a);
	a = NULL;
	p = read_hex("tests/trust/vectors/trust-v3-handover.hex", &n);
	CHECK(p && b && wk_trust_open(&a, p, n, b, NULL) == 0);
	free(p);
	if (a)
		CHECK(memcmp(wk_trust_root_pk(a), root2.spk, 32) == 0);
	wk_trust_free(a);
	wk_trust_free(b);
	wk_trust_free(t);
	wk_buf_free(&v1);
	wk_buf_free(&v2);
	wk_buf_free(&v3);
}

/* Every single-bit flip anywhere is refused; flips that still decode are refused by the signature. */
static void test_bit_flips(void)
{
	wk_buf v1 = WK_BUF_INIT, v2 = WK_BUF_INIT, v3 = WK_BUF_INIT;
	wk_trust *t = golden(&v1, &v2);
	unsigned char *p;
	size_t i, st[8], ne, n = v2.len, accepted = 0, badsig = 0, bad;
	int bit, rc;

	if (!t)
		return;
	p = (unsigned char *)v2.ptr;
	CHECK_EQ_INT(open_bytes(p, n, root.spk), 0);
	for (i = 0; i < n; i++)
		for (bit = 0; bit < 8; bit++) {
			p[i] ^= (unsigned char)(1 << bit);
			rc = open_bytes(p, n, root.spk);
			accepted += rc == 0;
			badsig += rc == WK_EBADSIG;
			p[i] ^= (unsigned char)(1 << bit);
		}
	CHECK_EQ_INT(accepted, 0);
	CHECK(badsig > n * 4);   /* most flips decode and are caught by the signature */
	/* One flip in each field region that still decodes: the signature refuses it. */
	ne = entry_starts(p, st, 8);
	CHECK_EQ_INT(ne, 4);
	{
		size_t person = 0, valid = 0, revoked = 0, box = st[1] + 32;
		size_t k, at, off_;
		const size_t where[] = { 15 /* version */, 18 /* region "NW" */ };

		for (k = 0; k < ne; k++) {
			at = st[k] + 65;
			at += 1 + p[at];
			at += 1 + p[at];
			if (p[st[k] + 64] == WK_TRUST_DEVICE && !person)
				person = at + 1;
			off_ = at + 1 + p[at];
			if (p[st[k] + 64] == WK_TRUST_DEVICE && !valid)
				valid = off_ + 7;
			if (p[st[k] + 64] == WK_TRUST_OFFICER)
				revoked = off_ + 15;
		}
		size_t regions[] = { where[0], where[1], box, person, valid, revoked, n - 64, n - 1 };
		const char *names[] = { "version", "region", "encryption key", "person", "valid_from", "revoked_from",
		                        "signature start", "signature end" };
		for (k = 0; k < sizeof(regions) / sizeof(regions[0]); k++) {
			p[regions[k]] ^= 1;
			rc = open_bytes(p, n, root.spk);
			if (rc != WK_EBADSIG)
				fprintf(stderr, "flip in %s: %d %s\n", names[k], rc, wk_error_msg());
			CHECK_EQ_INT(rc, WK_EBADSIG);
			CHECK_CONTAINS(wk_error_msg(), "does not verify");
			p[regions[k]] ^= 1;
		}
		/* The role byte of a device made an officer: decoding refuses it (scope), before the signature. */
		for (k = 0; k < ne && p[st[k] + 64] != WK_TRUST_DEVICE; k++)
			;
		p[st[k] + 64] = WK_TRUST_OFFICER;
		CHECK_EQ_INT(open_bytes(p, n, root.spk), WK_EINVALID);
		CHECK_CONTAINS(wk_error_msg(), "scope of an officer key");
		p[st[k] + 64] = WK_TRUST_DEVICE;
	}
	/* The handover document: a flip in either signature is refused. */
	CHECK_EQ_INT(wk_trust_rotate_root(t, root2.spk, root2.bpk, NULL), 0);
	CHECK_EQ_INT(wk_trust_sign(&v3, t, root2.ssk, root.ssk), 0);
	p = (unsigned char *)v3.ptr;
	for (bad = 0, i = v3.len - 128; i < v3.len; i++) {
		p[i] ^= 0x10;
		bad += open_bytes(p, v3.len, root.spk) == WK_EBADSIG;
		p[i] ^= 0x10;
	}
	CHECK_EQ_INT(bad, 128);
	wk_trust_free(t);
	wk_buf_free(&v1);
	wk_buf_free(&v2);
	wk_buf_free(&v3);
}

/* Cut, padded and oversized files: refused by decoding, before any signature is checked. */
static void test_sizes(void)
{
	wk_buf v1 = WK_BUF_INIT, v2 = WK_BUF_INIT;
	wk_trust *t = golden(&v1, &v2);
	unsigned char *p, *big;
	size_t i, n = v2.len, ok = 0;
	int rc;

	if (!t)
		return;
	p = (unsigned char *)v2.ptr;
	for (i = 0; i < n; i++) {
		rc = open_bytes(p, i, root.spk);
		ok += rc == WK_EINVALID && strstr(wk_error_msg(), "truncated") != NULL;
		if (rc != WK_EINVALID || !strstr(wk_error_msg(), "truncated"))
			fprintf(stderr, "prefix %zu: %d %s\n", i, rc, wk_error_msg());
	}
	CHECK_EQ_INT(ok, n);
	CHECK_EQ_INT(open_bytes(p, n - 64, root.spk), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "truncated in its signatures");
	/* Trailing bytes. */
	wk_buf_putc(&v2, 0);
	p = (unsigned char *)v2.ptr;
	CHECK_EQ_INT(open_bytes(p, n + 1, root.spk), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "bytes after its signatures");
	wk_buf_put(&v2, p + n - 64, 63);   /* as if a second signature */
	p = (unsigned char *)v2.ptr;
	CHECK_EQ_INT(open_bytes(p, n + 64, root.spk), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "bytes after its signatures");
	/* Over the cap: refused on its size alone. */
	big = calloc(1, WK_TRUST_MAX_BYTES + 1);
	CHECK(big != NULL);
	if (big) {
		memcpy(big, p, n);
		CHECK_EQ_INT(open_bytes(big, WK_TRUST_MAX_BYTES + 1, root.spk), WK_ELIMIT);
		CHECK_CONTAINS(wk_error_msg(), "at most 8388608");
		free(big);
	}
	/* A key count over the cap, and one the bytes cannot hold. */
	{
		size_t c = 8 + 8 + 1 + 2 + 32 + 1;

		memcpy(p + c, "\xff\xff\xff\xff", 4);
		CHECK_EQ_INT(open_bytes(p, n, root.spk), WK_EINVALID);
		CHECK_CONTAINS(wk_error_msg(), "lists 4294967295 keys; 1 to 16384");
		memcpy(p + c, "\x00\x00\x40\x00", 4);
		CHECK_EQ_INT(open_bytes(p, n, root.spk), WK_EINVALID);
		CHECK_CONTAINS(wk_error_msg(), "truncated in its entries");
		memcpy(p + c, "\x00\x00\x00\x00", 4);
		CHECK_EQ_INT(open_bytes(p, n, root.spk), WK_EINVALID);
		memcpy(p + c, "\x00\x00\x00\x04", 4);
	}
	/* Magic and format. */
	p[7] = 2;
	CHECK_EQ_INT(open_bytes(p, n, root.spk), WK_EVERSION);
	CHECK_CONTAINS(wk_error_msg(), "upgrade wicket");
	p[7] = 0;
	CHECK_EQ_INT(open_bytes(p, n, root.spk), WK_EINVALID);
	p[7] = 1;
	p[0] = 'X';
	CHECK_EQ_INT(open_bytes(p, n, root.spk), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "not a trust file");
	wk_trust_free(t);
	wk_buf_free(&v1);
	wk_buf_free(&v2);
}

/* Re-sign body (b without its signature) with the root: a valid signature over a non-canonical body. */
static void resign(wk_buf *b, size_t body)
{
	unsigned char sig[64];

	b->len = body;
	crypto_sign_detached(sig, NULL, (unsigned char *)b->ptr, body, root.ssk);
	wk_buf_put(b, sig, 64);
}

static int resigned_open(const unsigned char *body, size_t n)
{
	wk_buf b = WK_BUF_INIT;
	int rc;

	wk_buf_put(&b, body, n);
	resign(&b, n);
	rc = open_bytes((unsigned char *)b.ptr, b.len, root.spk);
	wk_buf_free(&b);
	return rc;
}

/* One document, one byte string: what the encoder would never write is refused even when signed. */
static void test_canonical(void)
{
	wk_buf v1 = WK_BUF_INIT, v2 = WK_BUF_INIT, m = WK_BUF_INIT;
	wk_trust *t = golden(&v1, &v2);
	unsigned char *p;
	size_t st[8], ne, body, a, b, c;

	if (!t)
		return;
	p = (unsigned char *)v2.ptr;
	body = v2.len - 64;
	ne = entry_starts(p, st, 8);
	CHECK_EQ_INT(resigned_open(p, body), 0);
	/* Entries out of order: swap the first two. */
	a = st[0], b = st[1], c = st[2];
	wk_buf_put(&m, p, a);
	wk_buf_put(&m, p + b, c - b);
	wk_buf_put(&m, p + a, b - a);
	wk_buf_put(&m, p + c, body - c);
	CHECK_EQ_INT(resigned_open((unsigned char *)m.ptr, m.len), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "sorted by signing key, each key once");
	/* A key listed twice. */
	wk_buf_clear(&m);
	wk_buf_put(&m, p, st[ne]);
	wk_buf_put(&m, p + st[ne - 1], st[ne] - st[ne - 1]);
	m.ptr[a - 1] = (char)(ne + 1);
	CHECK_EQ_INT(resigned_open((unsigned char *)m.ptr, m.len), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "each key once");
	/* Handover flag other than 0 or 1. */
	wk_buf_clear(&m);
	wk_buf_put(&m, p, body);
	m.ptr[a - 5] = 2;
	CHECK_EQ_INT(resigned_open((unsigned char *)m.ptr, m.len), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "handover flag must be 0 or 1");
	/* Version 0. */
	wk_buf_clear(&m);
	wk_buf_put(&m, p, body);
	m.ptr[15] = 0;
	CHECK_EQ_INT(resigned_open((unsigned char *)m.ptr, m.len), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "version 0");
	/* A region code with a space. */
	wk_buf_clear(&m);
	wk_buf_put(&m, p, body);
	m.ptr[18] = ' ';
	CHECK_EQ_INT(resigned_open((unsigned char *)m.ptr, m.len), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "region code");
	/* An unknown role byte; a revocation before validity; a NUL inside a person. */
	wk_buf_clear(&m);
	wk_buf_put(&m, p, body);
	m.ptr[st[0] + 64] = 3;
	CHECK_EQ_INT(resigned_open((unsigned char *)m.ptr, m.len), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "role must be");
	{
		size_t k, at;

		for (k = 0; k < ne; k++) {
			at = st[k] + 65;
			at += 1 + p[at];
			at += 1 + p[at];
			wk_buf_clear(&m);
			wk_buf_put(&m, p, body);
			m.ptr[at + 1] = 0;
			CHECK_EQ_INT(resigned_open((unsigned char *)m.ptr, m.len), WK_EINVALID);
			CHECK_CONTAINS(wk_error_msg(), "holds a NUL byte");
			at += 1 + p[at];
			wk_buf_clear(&m);
			wk_buf_put(&m, p, body);
			memset(m.ptr + at, 0, 8);        /* valid_from 0 */
			memset(m.ptr + at + 8, 0, 8);    /* revoked_from 0: still >= valid_from, fine */
			if (p[st[k] + 64] != WK_TRUST_ROOT)
				CHECK_EQ_INT(resigned_open((unsigned char *)m.ptr, m.len), 0);
			m.ptr[at + 7] = 2;               /* valid_from 2 > revoked_from 0 */
			CHECK_EQ_INT(resigned_open((unsigned char *)m.ptr, m.len), WK_EINVALID);
		}
	}
	/* The root key field naming a key that is not a root (the officer's). */
	wk_buf_clear(&m);
	wk_buf_put(&m, p, body);
	memcpy(m.ptr + 19, offr.spk, 32);
	{
		wk_buf s = WK_BUF_INIT;
		unsigned char sig[64];

		crypto_sign_detached(sig, NULL, (unsigned char *)m.ptr, m.len, offr.ssk);
		wk_buf_put(&s, m.ptr, m.len);
		wk_buf_put(&s, sig, 64);
		CHECK_EQ_INT(open_bytes((unsigned char *)s.ptr, s.len, offr.spk), WK_EINVALID);
		CHECK_CONTAINS(wk_error_msg(), "root key is not listed as a root");
		wk_buf_free(&s);
	}
	wk_trust_free(t);
	wk_buf_free(&v1);
	wk_buf_free(&v2);
	wk_buf_free(&m);
}

static int raw_sign(void *ctx, unsigned char sig[64], const unsigned char *m, size_t n)
{
	return crypto_sign_detached(sig, NULL, m, n, ctx) == 0 ? 0 : WK_ERROR;
}

static void test_request(void)
{
	wk_buf r = WK_BUF_INIT, bad = WK_BUF_INIT;
	wk_trust_request q;
	wk_trust_entry e = entry(&dev3, WK_TRUST_DEVICE, "LEI", "d03", "Cy Jones", 77), e2;
	wk_trust *t = NULL, *ne = NULL;
	const wk_trust_entry *got;
	unsigned char *p, sig[64];
	size_t i, n, accepted = 0, ok = 0;
	int bit;

	e.revoked_from = 90;   /* not part of a request */
	CHECK_EQ_INT(wk_trust_request_write(&r, "NW", &e, dev3.ssk), 0);
	check_vector(&r, "tests/trust/vectors/request.hex");
	p = (unsigned char *)r.ptr;
	n = r.len;
	CHECK_EQ_INT(wk_trust_request_open(&q, p, n), 0);
	CHECK_EQ_STR(q.region, "NW");
	CHECK(q.entry.role == WK_TRUST_DEVICE && !strcmp(q.entry.site, "LEI") && !strcmp(q.entry.device, "d03") &&
	      !strcmp(q.entry.person, "Cy Jones") && !memcmp(q.entry.sign_pk, dev3.spk, 32) &&
	      !memcmp(q.entry.box_pk, dev3.bpk, 32) && q.entry.valid_from == 1 &&
	      q.entry.revoked_from == WK_TRUST_NOT_REVOKED);
	/* The region enrols it from the sequence it chooses. */
	CHECK_EQ_INT(wk_trust_new(&t, "NW", root.spk, root.bpk, "PGD"), 0);
	CHECK_EQ_INT(wk_trust_add_request(t, &q, 1), 0);
	CHECK_EQ_INT(wk_trust_lookup(t, dev3.spk, &got), 0);
	CHECK(got && got->valid_from == 1 && !strcmp(got->person, "Cy Jones"));
	CHECK_EQ_INT(wk_trust_add_request(t, &q, 1), WK_EEXISTS);
	CHECK_EQ_INT(wk_trust_new(&ne, "NE", root.spk, root.bpk, "PGD"), 0);
	CHECK_EQ_INT(wk_trust_add_request(ne, &q, 1), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "request is for region NW, not region NE");
	/* Every bit flip refused. */
	for (i = 0; i < n; i++)
		for (bit = 0; bit < 8; bit++) {
			p[i] ^= (unsigned char)(1 << bit);
			accepted += wk_trust_request_open(&q, p, n) == 0;
			p[i] ^= (unsigned char)(1 << bit);
		}
	CHECK_EQ_INT(accepted, 0);
	/* A changed person or encryption key under the old signature: the signature refuses it. */
	p[n - 65] ^= 1;
	CHECK_EQ_INT(wk_trust_request_open(&q, p, n), WK_EBADSIG);
	CHECK_CONTAINS(wk_error_msg(), "does not verify");
	p[n - 65] ^= 1;
	p[8 + 3 + 1 + 32 + 5] ^= 1;
	CHECK_EQ_INT(wk_trust_request_open(&q, p, n), WK_EBADSIG);
	p[8 + 3 + 1 + 32 + 5] ^= 1;
	/* Sizes: every prefix, trailing bytes, over the cap. */
	for (i = 0; i < n; i++)
		ok += wk_trust_request_open(&q, p, i) == WK_EINVALID && strstr(wk_error_msg(), "truncated");
	CHECK_EQ_INT(ok, n);
	wk_buf_put(&bad, p, n);
	wk_buf_putc(&bad, 0);
	CHECK_EQ_INT(wk_trust_request_open(&q, (unsigned char *)bad.ptr, bad.len), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "bytes after its signature");
	while (bad.len <= WK_TRUST_REQUEST_MAX)
		wk_buf_putc(&bad, 0);
	CHECK_EQ_INT(wk_trust_request_open(&q, (unsigned char *)bad.ptr, bad.len), WK_ELIMIT);
	/* Through a signer callback: the same bytes. */
	wk_buf_clear(&bad);
	CHECK_EQ_INT(wk_trust_request_write_with(&bad, "NW", &e, raw_sign, dev3.ssk), 0);
	CHECK(bad.len == n && memcmp(bad.ptr, p, n) == 0);
	CHECK_EQ_INT(wk_trust_request_write_with(&bad, "NW", &e, raw_sign, dev1.ssk), WK_EUSAGE);
	CHECK_CONTAINS(wk_error_msg(), "is not the key to enrol");
	/* Written with another key than the one it enrols: refused before anything is written. */
	CHECK_EQ_INT(wk_trust_request_write(&bad, "NW", &e, dev1.ssk), WK_EUSAGE);
	CHECK_EQ_INT(bad.len, 0);
	/* A request for a root key: refused when written, and when a valid signature covers one. */
	e2 = e;
	e2.role = WK_TRUST_ROOT;
	snprintf(e2.site, sizeof(e2.site), "*");
	snprintf(e2.device, sizeof(e2.device), "%s", "");
	CHECK_EQ_INT(wk_trust_request_write(&bad, "NW", &e2, dev3.ssk), WK_EINVALID);
	wk_buf_clear(&bad);
	wk_buf_put(&bad, p, n - 64);
	bad.ptr[8 + 3] = WK_TRUST_ROOT;
	crypto_sign_detached(sig, NULL, (unsigned char *)bad.ptr, bad.len, dev3.ssk);
	wk_buf_put(&bad, sig, 64);
	CHECK_EQ_INT(wk_trust_request_open(&q, (unsigned char *)bad.ptr, bad.len), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "device or an officer");
	/* Bad fields refused on writing. */
	e2 = e;
	snprintf(e2.site, sizeof(e2.site), "*");
	CHECK_EQ_INT(wk_trust_request_write(&bad, "NW", &e2, dev3.ssk), WK_EINVALID);
	CHECK_EQ_INT(wk_trust_request_write(&bad, "N/W", &e, dev3.ssk), WK_EINVALID);
	wk_trust_free(t);
	wk_trust_free(ne);
	wk_buf_free(&r);
	wk_buf_free(&bad);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	mk(&root, 1);
	mk(&root2, 2);
	mk(&offr, 3);
	mk(&dev1, 4);
	mk(&dev2, 5);
	mk(&dev3, 6);
	test_golden();
	test_bit_flips();
	test_sizes();
	test_canonical();
	test_request();
	return test_summary();
}
