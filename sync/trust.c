/*
 * trust.c - the region's trust file and enrolment requests. See trust.h; the
 * byte layout is docs/format/trust.md.
 *
 * A draft is kept as the decoded document: entries sorted by sign_pk. The
 * same checks (doc_check) guard a document before it is signed and after it
 * is decoded, so that what is signed always opens.
 */
#include "trust.h"
#include "error.h"
#include "field.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "WKTRUST"
#define REQ_MAGIC "WKENROL"
#define FORMAT 1
#define SIG 64
/* The smallest encoded entry: keys, role, a 1-byte site, no device, a 1-byte person, two u64. */
#define ENTRY_MIN (32 + 32 + 1 + 2 + 1 + 2 + 8 + 8)

struct wk_trust {
	char region[WK_TRUST_CODE_MAX + 1];
	uint64_t version;              /* last signed or opened version; 0 for a new draft */
	unsigned char root_pk[32];
	int rotating;                  /* wk_trust_rotate_root since the last signing */
	unsigned char prev_root[32];   /* the root it hands over from, when rotating */
	wk_trust_entry *e;             /* sorted by sign_pk, no duplicates */
	size_t n, cap;
};

/* ---- small helpers ---- */

void wk_trust_key_id(char out[WK_TRUST_ID_CHARS + 1], const unsigned char sign_pk[32])
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), sign_pk, 32, NULL, 0);
	sodium_bin2hex(out, WK_TRUST_ID_CHARS + 1, h, WK_TRUST_ID_CHARS / 2);
}

const char *wk_trust_role_name(int role)
{
	switch (role) {
	case WK_TRUST_DEVICE: return "device";
	case WK_TRUST_OFFICER: return "officer";
	case WK_TRUST_ROOT: return "root";
	default: return "unknown";
	}
}

/* "key 0123456789abcdef (device d01 of site LEI)": for messages. */
static const char *describe(char *buf, size_t size, const wk_trust_entry *e)
{
	char id[WK_TRUST_ID_CHARS + 1];

	wk_trust_key_id(id, e->sign_pk);
	if (e->role == WK_TRUST_DEVICE)
		snprintf(buf, size, "key %s (device %s of site %s)", id, e->device, e->site);
	else
		snprintf(buf, size, "key %s (%s %s)", id, wk_trust_role_name(e->role), e->person);
	return buf;
}

static int person_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > WK_TRUST_PERSON_MAX || !wk_field_utf8_ok(s, n))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * The fields of one entry, each on its own; ctx starts the message
 * ("cannot enrol key ...", "trust file entry 3"). Values read from a file are
 * not echoed.
 */
static int entry_ok(const wk_trust_entry *e, const char *ctx)
{
	if (e->role != WK_TRUST_DEVICE && e->role != WK_TRUST_OFFICER && e->role != WK_TRUST_ROOT)
		return wk_error_set(WK_EINVALID, "%s: the role must be device, officer or root", ctx);
	if (!memchr(e->site, 0, sizeof(e->site)) || !memchr(e->device, 0, sizeof(e->device)) ||
	    !memchr(e->person, 0, sizeof(e->person)))
		return wk_error_set(WK_EINVALID, "%s: a text field is not terminated", ctx);
	if (e->role == WK_TRUST_DEVICE) {
		if (!wk_field_is_code(e->site))
			return wk_error_set(WK_EINVALID,
				"%s: a device's scope must be its site code (2-16 of A-Z, a-z, 0-9, '-')", ctx);
		if (!wk_field_is_code(e->device))
			return wk_error_set(WK_EINVALID,
				"%s: a device needs a device code (2-16 of A-Z, a-z, 0-9, '-')", ctx);
	} else {
		if (strcmp(e->site, WK_TRUST_ANY_SITE) != 0)
			return wk_error_set(WK_EINVALID, "%s: the scope of an %s key must be \"*\" (every site)",
			                    ctx, e->role == WK_TRUST_ROOT ? "root" : "officer");
		if (e->role == WK_TRUST_ROOT && e->device[0])
			return wk_error_set(WK_EINVALID, "%s: a root key has no device code", ctx);
		if (e->role == WK_TRUST_OFFICER && e->device[0] && !wk_field_is_code(e->device))
			return wk_error_set(WK_EINVALID,
				"%s: an officer's device code, if any, must be 2-16 of A-Z, a-z, 0-9, '-'", ctx);
	}
	if (!person_ok(e->person))
		return wk_error_set(WK_EINVALID,
			"%s: the person must be 1-%d bytes of UTF-8 with no control characters",
			ctx, WK_TRUST_PERSON_MAX);
	if (e->valid_from == WK_TRUST_NOT_REVOKED)
		return wk_error_set(WK_EINVALID, "%s: valid_from is out of range", ctx);
	if (e->revoked_from < e->valid_from)
		return wk_error_set(WK_EINVALID,
			"%s: revoked from sequence %llu, before it is valid (sequence %llu)", ctx,
			(unsigned long long)e->revoked_from, (unsigned long long)e->valid_from);
	return 0;
}

/*
 * Keys that libsodium can use: a canonical Ed25519 point of the main
 * subgroup, and an X25519 key that is not of small order (sealing to it would
 * fail). Only for keys entering a draft or a request: the root's signature
 * vouches for a decoded document's keys, and a bad one fails verification.
 */
static int keys_usable(const wk_trust_entry *e, const char *ctx)
{
	static const unsigned char scalar[32] = { 0x5a, 0x17, 0x33 };
	unsigned char q[32];
	int bad;

	if (!crypto_core_ed25519_is_valid_point(e->sign_pk))
		return wk_error_set(WK_EINVALID, "%s: the signing key is not a usable Ed25519 public key", ctx);
	bad = crypto_scalarmult(q, scalar, e->box_pk) != 0;
	sodium_memzero(q, sizeof(q));
	if (bad)
		return wk_error_set(WK_EINVALID, "%s: the encryption key is not a usable X25519 public key", ctx);
	return 0;
}

/* Index of sign_pk, or -(insertion point) - 1. */
static long find(const wk_trust *t, const unsigned char pk[32])
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(t->e[mid].sign_pk, pk, 32);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

static int insert(wk_trust *t, const wk_trust_entry *e)
{
	long at = find(t, e->sign_pk);
	size_t i;

	if (at >= 0)
		return wk_error_set(WK_EEXISTS, "key is already listed");
	if (t->n >= WK_TRUST_MAX_ENTRIES)
		return wk_error_set(WK_ELIMIT, "the trust file of region %s holds %d keys, the most it may; "
		                    "no more can be enrolled", t->region, WK_TRUST_MAX_ENTRIES);
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		wk_trust_entry *ne = realloc(t->e, ncap * sizeof(*ne));

		if (!ne)
			return wk_error_set(WK_ERROR, "out of memory for the trust file");
		t->e = ne;
		t->cap = ncap;
	}
	i = (size_t)(-at - 1);
	memmove(t->e + i + 1, t->e + i, (t->n - i) * sizeof(*t->e));
	t->e[i] = *e;
	t->n++;
	return 0;
}

static int overlaps(const wk_trust_entry *a, const wk_trust_entry *b)
{
	return a->valid_from < b->revoked_from && b->valid_from < a->revoked_from;
}

/* ---- the whole document ---- */

static int cmp_box(const void *a, const void *b)
{
	return memcmp((*(const wk_trust_entry *const *)a)->box_pk, (*(const wk_trust_entry *const *)b)->box_pk, 32);
}

static int cmp_device(const void *a, const void *b)
{
	const wk_trust_entry *x = *(const wk_trust_entry *const *)a, *y = *(const wk_trust_entry *const *)b;
	int c = strcmp(x->site, y->site);

	if (!c)
		c = strcmp(x->device, y->device);
	if (!c)
		c = x->valid_from < y->valid_from ? -1 : x->valid_from > y->valid_from;
	return c;
}

/* Keys shared between entries, and devices whose keys overlap in sequence. */
static int doc_check_pairs(const wk_trust *t)
{
	const wk_trust_entry **v = malloc((t->n ? t->n : 1) * sizeof(*v));
	char d1[200], d2[200];
	size_t i, m = 0;
	int rc = 0;

	if (!v)
		return wk_error_set(WK_ERROR, "out of memory checking the trust file");
	for (i = 0; i < t->n; i++)
		v[i] = &t->e[i];
	qsort(v, t->n, sizeof(*v), cmp_box);
	for (i = 1; i < t->n; i++)
		if (memcmp(v[i - 1]->box_pk, v[i]->box_pk, 32) == 0) {
			rc = wk_error_set(WK_EINVALID, "trust file: %s and %s share one encryption key",
			                  describe(d1, sizeof(d1), v[i - 1]), describe(d2, sizeof(d2), v[i]));
			goto cleanup;
		}
	for (i = 0; i < t->n; i++)
		if (t->e[i].role == WK_TRUST_DEVICE)
			v[m++] = &t->e[i];
	qsort(v, m, sizeof(*v), cmp_device);
	for (i = 1; i < m; i++)
		if (!strcmp(v[i - 1]->site, v[i]->site) && !strcmp(v[i - 1]->device, v[i]->device) &&
		    overlaps(v[i - 1], v[i])) {
			rc = wk_error_set(WK_EINVALID, "trust file: %s and %s are valid for the same sequences",
			                  describe(d1, sizeof(d1), v[i - 1]), describe(d2, sizeof(d2), v[i]));
			goto cleanup;
		}
cleanup:
	free(v);
	return rc;
}

/*
 * Everything a document of this version must satisfy, whether about to be
 * signed or just decoded: region, version, the entries one by one and in
 * pairs, exactly one root valid at this version (the document's), and the
 * root handed over from, when there is one, listed as a root.
 */
static int doc_check(const wk_trust *t, uint64_t version, int handover, const unsigned char prev[32])
{
	char ctx[64], d[200];
	long r;
	size_t i;
	int rc;

	if (!wk_field_is_code(t->region))
		return wk_error_set(WK_EINVALID, "trust file: the region code must be 2-16 of A-Z, a-z, 0-9, '-'");
	if (version == 0)
		return wk_error_set(WK_EINVALID, "trust file: version 0 is not a version");
	if (t->n == 0 || t->n > WK_TRUST_MAX_ENTRIES)
		return wk_error_set(WK_EINVALID, "trust file: 1 to %d keys are allowed", WK_TRUST_MAX_ENTRIES);
	for (i = 0; i < t->n; i++) {
		snprintf(ctx, sizeof(ctx), "trust file entry %zu", i + 1);
		if ((rc = entry_ok(&t->e[i], ctx)) < 0)
			return rc;
		if (i && memcmp(t->e[i - 1].sign_pk, t->e[i].sign_pk, 32) >= 0)
			return wk_error_set(WK_EINVALID, "%s: entries must be sorted by signing key, each key once", ctx);
	}
	r = find(t, t->root_pk);
	if (r < 0 || t->e[r].role != WK_TRUST_ROOT)
		return wk_error_set(WK_EINVALID, "trust file: its root key is not listed as a root");
	if (t->e[r].valid_from > version || t->e[r].revoked_from <= version)
		return wk_error_set(WK_EINVALID, "trust file: its root key is not valid at version %llu",
		                    (unsigned long long)version);
	for (i = 0; i < t->n; i++)
		if (t->e[i].role == WK_TRUST_ROOT && (long)i != r && t->e[i].revoked_from > version)
			return wk_error_set(WK_EINVALID, "trust file: %s is a second root valid at version %llu",
			                    describe(d, sizeof(d), &t->e[i]), (unsigned long long)version);
	if (handover) {
		r = find(t, prev);
		if (!memcmp(prev, t->root_pk, 32) || r < 0 || t->e[r].role != WK_TRUST_ROOT)
			return wk_error_set(WK_EINVALID, "trust file: the previous root is not listed as an earlier root");
	}
	return doc_check_pairs(t);
}

/* ---- encoding ---- */

static void put_str8(wk_buf *b, const char *s)
{
	size_t n = strlen(s);

	wk_buf_putc(b, (char)(unsigned char)n);
	wk_buf_put(b, s, n);
}

static void put_entry(wk_buf *b, const wk_trust_entry *e)
{
	wk_buf_put(b, e->sign_pk, 32);
	wk_buf_put(b, e->box_pk, 32);
	wk_buf_putc(b, (char)e->role);
	put_str8(b, e->site);
	put_str8(b, e->device);
	put_str8(b, e->person);
	wk_buf_put_be(b, e->valid_from, 8);
	wk_buf_put_be(b, e->revoked_from, 8);
}

static void encode_body(wk_buf *b, const wk_trust *t, uint64_t version)
{
	size_t i;

	wk_buf_put(b, MAGIC, 7);
	wk_buf_putc(b, FORMAT);
	wk_buf_put_be(b, version, 8);
	put_str8(b, t->region);
	wk_buf_put(b, t->root_pk, 32);
	wk_buf_putc(b, (char)(t->rotating ? 1 : 0));
	if (t->rotating)
		wk_buf_put(b, t->prev_root, 32);
	wk_buf_put_be(b, (uint32_t)t->n, 4);
	for (i = 0; i < t->n; i++)
		put_entry(b, &t->e[i]);
}

/* ---- decoding ---- */

typedef struct {
	const unsigned char *p;
	size_t n, off;
	const char *what;   /* "trust file", "enrolment request" */
} reader;

static int need(reader *r, size_t k, const char *field)
{
	if (r->n - r->off < k)
		return wk_error_set(WK_EINVALID, "%s is truncated in its %s", r->what, field);
	return 0;
}

static int get_bytes(reader *r, void *out, size_t k, const char *field)
{
	int rc = need(r, k, field);

	if (rc < 0)
		return rc;
	memcpy(out, r->p + r->off, k);
	r->off += k;
	return 0;
}

static int get_u8(reader *r, unsigned *v, const char *field)
{
	unsigned char x;
	int rc = get_bytes(r, &x, 1, field);

	*v = rc < 0 ? 0 : x;
	return rc;
}

static int get_u64(reader *r, uint64_t *v, const char *field)
{
	unsigned char x[8];
	int rc = get_bytes(r, x, 8, field), i;

	*v = 0;
	for (i = 0; rc == 0 && i < 8; i++)
		*v = *v << 8 | x[i];
	return rc;
}

/* A length byte and that many bytes into out (size max + 1), NUL-terminated. */
static int get_str8(reader *r, char *out, size_t max, const char *field)
{
	unsigned len;
	int rc;

	if ((rc = get_u8(r, &len, field)) < 0)
		return rc;
	if (len > max)
		return wk_error_set(WK_EINVALID, "%s: its %s is longer than %zu bytes", r->what, field, max);
	if ((rc = get_bytes(r, out, len, field)) < 0)
		return rc;
	if (memchr(out, 0, len))
		return wk_error_set(WK_EINVALID, "%s: its %s holds a NUL byte", r->what, field);
	out[len] = '\0';
	return 0;
}

static int get_magic(reader *r, const char *magic)
{
	char m[7];
	unsigned fmt;
	int rc;

	if ((rc = get_bytes(r, m, 7, "magic")) < 0)
		return rc;
	if (memcmp(m, magic, 7) != 0)
		return wk_error_set(WK_EINVALID, "not a %s (its first bytes are wrong)", r->what);
	if ((rc = get_u8(r, &fmt, "format")) < 0)
		return rc;
	if (fmt != FORMAT)
		return wk_error_set(fmt > FORMAT ? WK_EVERSION : WK_EINVALID,
			"%s format %u is not known to this program (it reads format %d)%s", r->what, fmt, FORMAT,
			fmt > FORMAT ? "; upgrade wicket" : "");
	return 0;
}

static int get_entry(reader *r, wk_trust_entry *e)
{
	unsigned role;
	int rc;

	if ((rc = get_bytes(r, e->sign_pk, 32, "entry signing key")) < 0 ||
	    (rc = get_bytes(r, e->box_pk, 32, "entry encryption key")) < 0 ||
	    (rc = get_u8(r, &role, "entry role")) < 0 ||
	    (rc = get_str8(r, e->site, WK_TRUST_CODE_MAX, "entry site")) < 0 ||
	    (rc = get_str8(r, e->device, WK_TRUST_CODE_MAX, "entry device")) < 0 ||
	    (rc = get_str8(r, e->person, WK_TRUST_PERSON_MAX, "entry person")) < 0 ||
	    (rc = get_u64(r, &e->valid_from, "entry valid_from")) < 0 ||
	    (rc = get_u64(r, &e->revoked_from, "entry revoked_from")) < 0)
		return rc;
	e->role = (int)role;
	return 0;
}

/*
 * Decode p[0..n) strictly into a new document: *body_len receives the bytes
 * the signatures cover, *handover whether the previous root's signature
 * follows. No signature is checked here.
 */
static int decode(wk_trust **out, const unsigned char *p, size_t n, size_t *body_len, int *handover)
{
	reader r = { p, n, 0, "trust file" };
	wk_trust *t = calloc(1, sizeof(*t));
	unsigned char cnt[4];
	unsigned ho;
	uint32_t count, i;
	int rc;

	if (!t)
		return wk_error_set(WK_ERROR, "out of memory for the trust file");
	if ((rc = get_magic(&r, MAGIC)) < 0 ||
	    (rc = get_u64(&r, &t->version, "version")) < 0 ||
	    (rc = get_str8(&r, t->region, WK_TRUST_CODE_MAX, "region")) < 0 ||
	    (rc = get_bytes(&r, t->root_pk, 32, "root key")) < 0 ||
	    (rc = get_u8(&r, &ho, "handover flag")) < 0)
		goto cleanup;
	if (ho > 1) {
		rc = wk_error_set(WK_EINVALID, "trust file: its handover flag must be 0 or 1");
		goto cleanup;
	}
	if (ho && (rc = get_bytes(&r, t->prev_root, 32, "previous root key")) < 0)
		goto cleanup;
	if ((rc = get_bytes(&r, cnt, 4, "key count")) < 0)
		goto cleanup;
	count = (uint32_t)cnt[0] << 24 | (uint32_t)cnt[1] << 16 | (uint32_t)cnt[2] << 8 | cnt[3];
	/* Capped before anything is allocated for it, by the cap and by the bytes there are. */
	if (count < 1 || count > WK_TRUST_MAX_ENTRIES) {
		rc = wk_error_set(WK_EINVALID, "trust file: it lists %lu keys; 1 to %d are allowed",
		                  (unsigned long)count, WK_TRUST_MAX_ENTRIES);
		goto cleanup;
	}
	if ((r.n - r.off) / ENTRY_MIN < count) {
		rc = wk_error_set(WK_EINVALID, "trust file is truncated in its entries");
		goto cleanup;
	}
	if (!(t->e = calloc(count, sizeof(*t->e)))) {
		rc = wk_error_set(WK_ERROR, "out of memory for the trust file");
		goto cleanup;
	}
	t->cap = count;
	for (i = 0; i < count; i++, t->n++)
		if ((rc = get_entry(&r, &t->e[i])) < 0)
			goto cleanup;
	*body_len = r.off;
	*handover = (int)ho;
	if (r.n - r.off != (ho ? 2 : 1) * (size_t)SIG) {
		rc = wk_error_set(WK_EINVALID, r.n - r.off < (ho ? 2 : 1) * (size_t)SIG ?
		                  "trust file is truncated in its signatures" :
		                  "trust file has bytes after its signatures");
		goto cleanup;
	}
	if ((rc = doc_check(t, t->version, (int)ho, t->prev_root)) < 0)
		goto cleanup;
	*out = t;
	t = NULL;
cleanup:
	wk_trust_free(t);
	return rc;
}

/* ---- the document's life ---- */

int wk_trust_new(wk_trust **out, const char *region, const unsigned char root_sign_pk[32],
                 const unsigned char root_box_pk[32], const char *person)
{
	wk_trust_entry e = WK_TRUST_ENTRY_INIT;
	wk_trust *t = NULL;
	int rc;

	if (!out || !region || !root_sign_pk || !root_box_pk || !person)
		return wk_error_set(WK_EUSAGE, "wk_trust_new: missing argument");
	*out = NULL;
	if (!wk_field_is_code(region))
		return wk_error_set(WK_EINVALID, "region code '%s' must be 2 to 16 of A-Z, a-z, 0-9 and '-'", region);
	if (strlen(person) > WK_TRUST_PERSON_MAX)
		return wk_error_set(WK_EINVALID, "the root's person is longer than %d bytes", WK_TRUST_PERSON_MAX);
	memcpy(e.sign_pk, root_sign_pk, 32);
	memcpy(e.box_pk, root_box_pk, 32);
	e.role = WK_TRUST_ROOT;
	snprintf(e.site, sizeof(e.site), "%s", WK_TRUST_ANY_SITE);
	snprintf(e.person, sizeof(e.person), "%s", person);
	e.valid_from = 1;
	if ((rc = entry_ok(&e, "cannot create the region's root")) < 0 ||
	    (rc = keys_usable(&e, "cannot create the region's root")) < 0)
		return rc;
	if (!(t = calloc(1, sizeof(*t))))
		return wk_error_set(WK_ERROR, "out of memory for the trust file");
	snprintf(t->region, sizeof(t->region), "%s", region);
	memcpy(t->root_pk, root_sign_pk, 32);
	if ((rc = insert(t, &e)) < 0) {
		wk_trust_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void wk_trust_free(wk_trust *t)
{
	if (!t)
		return;
	free(t->e);
	free(t);
}

const char *wk_trust_region(const wk_trust *t) { return t->region; }
uint64_t wk_trust_version(const wk_trust *t) { return t->version; }
const unsigned char *wk_trust_root_pk(const wk_trust *t) { return t->root_pk; }
size_t wk_trust_count(const wk_trust *t) { return t->n; }

const wk_trust_entry *wk_trust_entry_at(const wk_trust *t, size_t i)
{
	return i < t->n ? &t->e[i] : NULL;
}

int wk_trust_lookup(const wk_trust *t, const unsigned char sign_pk[32], const wk_trust_entry **out)
{
	char id[WK_TRUST_ID_CHARS + 1];
	long i = find(t, sign_pk);

	*out = NULL;
	if (i < 0) {
		wk_trust_key_id(id, sign_pk);
		return wk_error_set(WK_ENOTFOUND, "key %s is not in trust file version %llu of region %s",
		                    id, (unsigned long long)t->version, t->region);
	}
	*out = &t->e[i];
	return 0;
}

/* Every key of cur is in t unchanged, but for a revocation set or moved earlier. */
static int history_ok(const wk_trust *t, const wk_trust *cur)
{
	char d[200];
	size_t i, j = 0;

	for (i = 0; i < cur->n; i++) {
		const wk_trust_entry *a = &cur->e[i], *b;

		while (j < t->n && memcmp(t->e[j].sign_pk, a->sign_pk, 32) < 0)
			j++;
		if (j == t->n || memcmp(t->e[j].sign_pk, a->sign_pk, 32) != 0)
			return wk_error_set(WK_ECONFLICT,
				"trust file version %llu drops %s listed in version %llu; keys are never removed, "
				"so this file is refused", (unsigned long long)t->version,
				describe(d, sizeof(d), a), (unsigned long long)cur->version);
		b = &t->e[j];
		if (memcmp(a->box_pk, b->box_pk, 32) || a->role != b->role || strcmp(a->site, b->site) ||
		    strcmp(a->device, b->device) || strcmp(a->person, b->person) || a->valid_from != b->valid_from)
			return wk_error_set(WK_ECONFLICT,
				"trust file version %llu changes %s as listed in version %llu; an enrolled key is "
				"never changed, so this file is refused", (unsigned long long)t->version,
				describe(d, sizeof(d), a), (unsigned long long)cur->version);
		if (b->revoked_from > a->revoked_from)
			return wk_error_set(WK_ECONFLICT,
				"trust file version %llu withdraws or postpones the revocation of %s (revoked from "
				"sequence %llu in version %llu); a revocation only ever moves earlier, so this file "
				"is refused", (unsigned long long)t->version, describe(d, sizeof(d), a),
				(unsigned long long)a->revoked_from, (unsigned long long)cur->version);
	}
	return 0;
}

/* The signature(s) of a decoded document over p[0..body). */
static int verify_sigs(const wk_trust *t, const unsigned char *p, size_t body, int handover)
{
	char id[WK_TRUST_ID_CHARS + 1];

	if (crypto_sign_verify_detached(p + body, p, body, t->root_pk) != 0) {
		wk_trust_key_id(id, t->root_pk);
		return wk_error_set(WK_EBADSIG,
			"trust file version %llu of region %s: the signature of its root %s does not verify; "
			"the file was altered or damaged and is refused", (unsigned long long)t->version,
			t->region, id);
	}
	if (handover && crypto_sign_verify_detached(p + body + SIG, p, body, t->prev_root) != 0) {
		wk_trust_key_id(id, t->prev_root);
		return wk_error_set(WK_EBADSIG,
			"trust file version %llu of region %s: the handover signature of the previous root %s "
			"does not verify; the file was altered or damaged and is refused",
			(unsigned long long)t->version, t->region, id);
	}
	return 0;
}

int wk_trust_open(wk_trust **out, const unsigned char *p, size_t n, const wk_trust *current,
                  const unsigned char root_pk_expected[32])
{
	char id1[WK_TRUST_ID_CHARS + 1], id2[WK_TRUST_ID_CHARS + 1];
	const unsigned char *anchor = current ? current->root_pk : root_pk_expected;
	wk_trust *t = NULL;
	size_t body = 0;
	int handover = 0, rc;

	if (!out)
		return wk_error_set(WK_EUSAGE, "wk_trust_open: no place for the result");
	*out = NULL;
	if (!p || !current == !root_pk_expected)
		return wk_error_set(WK_EUSAGE,
			"wk_trust_open: give either the trusted trust file or the expected root key");
	if (n > WK_TRUST_MAX_BYTES)
		return wk_error_set(WK_ELIMIT, "trust file is %zu bytes; at most %zu are accepted", n,
		                    WK_TRUST_MAX_BYTES);
	if ((rc = decode(&t, p, n, &body, &handover)) < 0 ||
	    (rc = verify_sigs(t, p, body, handover)) < 0)
		goto cleanup;
	if (current && strcmp(t->region, current->region) != 0) {
		rc = wk_error_set(WK_ECONFLICT, "trust file is for region %s, not region %s; refused",
		                  t->region, current->region);
		goto cleanup;
	}
	if (current && t->version <= current->version) {
		rc = wk_error_set(WK_ECONFLICT,
			"trust file version %llu of region %s is not newer than the trusted version %llu; "
			"an old trust file is refused even when validly signed (rollback)",
			(unsigned long long)t->version, t->region, (unsigned long long)current->version);
		goto cleanup;
	}
	if (memcmp(t->root_pk, anchor, 32) != 0 && !(handover && !memcmp(t->prev_root, anchor, 32))) {
		wk_trust_key_id(id1, t->root_pk);
		wk_trust_key_id(id2, anchor);
		rc = current ?
			wk_error_set(WK_EBADSIG,
				"trust file version %llu of region %s changes the root to key %s without the "
				"signature of the trusted root key %s; refused (a new root needs the old root's "
				"signature: open the version that hands over first)",
				(unsigned long long)t->version, t->region, id1, id2) :
			wk_error_set(WK_EBADSIG,
				"trust file version %llu of region %s is signed by root key %s, not by the "
				"expected root key %s; refused", (unsigned long long)t->version, t->region, id1, id2);
		goto cleanup;
	}
	if (current && (rc = history_ok(t, current)) < 0)
		goto cleanup;
	/* The result is a draft of the next version: its handover is done. */
	t->rotating = 0;
	sodium_memzero(t->prev_root, sizeof(t->prev_root));
	*out = t;
	t = NULL;
cleanup:
	wk_trust_free(t);
	return rc;
}

/* ---- changing a draft ---- */

/* An entry about to join t: its fields, its keys, and no clash with what t lists. */
static int enrol_ok(const wk_trust *t, const wk_trust_entry *e, const char *ctx)
{
	char d[200];
	size_t i;
	int rc;

	if ((rc = entry_ok(e, ctx)) < 0 || (rc = keys_usable(e, ctx)) < 0)
		return rc;
	for (i = 0; i < t->n; i++) {
		const wk_trust_entry *o = &t->e[i];

		if (!memcmp(o->sign_pk, e->sign_pk, 32))
			return wk_error_set(WK_EEXISTS, "%s: it is already enrolled as %s", ctx,
			                    describe(d, sizeof(d), o));
		if (!memcmp(o->box_pk, e->box_pk, 32))
			return wk_error_set(WK_EEXISTS, "%s: its encryption key is already listed for %s", ctx,
			                    describe(d, sizeof(d), o));
		if (e->role == WK_TRUST_DEVICE && o->role == WK_TRUST_DEVICE && !strcmp(o->site, e->site) &&
		    !strcmp(o->device, e->device) && overlaps(o, e))
			return wk_error_set(WK_ECONFLICT,
				"%s: device %s of site %s already has %s for some of these sequences; rotate or "
				"revoke that key first", ctx, e->device, e->site, describe(d, sizeof(d), o));
	}
	return 0;
}

int wk_trust_add(wk_trust *t, const wk_trust_entry *e)
{
	char ctx[64], id[WK_TRUST_ID_CHARS + 1];
	int rc;

	if (!t || !e)
		return wk_error_set(WK_EUSAGE, "wk_trust_add: missing argument");
	wk_trust_key_id(id, e->sign_pk);
	snprintf(ctx, sizeof(ctx), "cannot enrol key %s", id);
	if (e->role == WK_TRUST_ROOT)
		return wk_error_set(WK_EINVALID,
			"%s: a root key is made with the region or by rotating the root, not enrolled", ctx);
	if ((rc = enrol_ok(t, e, ctx)) < 0)
		return rc;
	return insert(t, e);
}

int wk_trust_revoke(wk_trust *t, const unsigned char sign_pk[32], uint64_t from_seq)
{
	char d[200];
	const wk_trust_entry *c;
	wk_trust_entry *e;
	int rc;

	if (!t || !sign_pk)
		return wk_error_set(WK_EUSAGE, "wk_trust_revoke: missing argument");
	if ((rc = wk_trust_lookup(t, sign_pk, &c)) < 0)
		return rc;
	e = &t->e[c - t->e];
	describe(d, sizeof(d), e);
	if (e->role == WK_TRUST_ROOT)
		return wk_error_set(WK_EINVALID, "cannot revoke %s: a root key is rotated, not revoked", d);
	if (from_seq == WK_TRUST_NOT_REVOKED)
		return wk_error_set(WK_EINVALID, "cannot revoke %s: sequence %llu is out of range", d,
		                    (unsigned long long)from_seq);
	if (from_seq < e->valid_from)
		return wk_error_set(WK_EINVALID,
			"cannot revoke %s from sequence %llu: it is valid only from sequence %llu; revoke it "
			"from %llu to withdraw it entirely", d, (unsigned long long)from_seq,
			(unsigned long long)e->valid_from, (unsigned long long)e->valid_from);
	if (from_seq > e->revoked_from)
		return wk_error_set(WK_ECONFLICT,
			"cannot revoke %s from sequence %llu: it is already revoked from sequence %llu, and a "
			"revocation can only be moved earlier", d, (unsigned long long)from_seq,
			(unsigned long long)e->revoked_from);
	e->revoked_from = from_seq;
	return 0;
}

int wk_trust_rotate(wk_trust *t, const unsigned char old_sign_pk[32], const wk_trust_entry *next)
{
	char d[200];
	const wk_trust_entry *c;
	wk_trust_entry *old;
	uint64_t was;
	int rc;

	if (!t || !old_sign_pk || !next)
		return wk_error_set(WK_EUSAGE, "wk_trust_rotate: missing argument");
	if ((rc = wk_trust_lookup(t, old_sign_pk, &c)) < 0)
		return rc;
	old = &t->e[c - t->e];
	describe(d, sizeof(d), old);
	if (old->role == WK_TRUST_ROOT)
		return wk_error_set(WK_EINVALID, "cannot rotate %s this way: rotate the root with its own command", d);
	if ((rc = entry_ok(next, "cannot rotate to the new key")) < 0)
		return rc;
	if (next->role != old->role || strcmp(next->site, old->site) || strcmp(next->device, old->device))
		return wk_error_set(WK_EINVALID,
			"cannot rotate %s: the new key must keep its role, site and device code", d);
	if (next->valid_from < old->valid_from)
		return wk_error_set(WK_EINVALID,
			"cannot rotate %s from sequence %llu: it is valid only from sequence %llu", d,
			(unsigned long long)next->valid_from, (unsigned long long)old->valid_from);
	/* Revoke the old key from where the new one starts (earlier if it already was), then enrol. */
	was = old->revoked_from;
	if (next->valid_from < old->revoked_from)
		old->revoked_from = next->valid_from;
	if ((rc = wk_trust_add(t, next)) < 0)
		old->revoked_from = was;   /* a failed add moved nothing: old still points at the entry */
	return rc;
}

int wk_trust_rotate_root(wk_trust *t, const unsigned char new_sign_pk[32],
                         const unsigned char new_box_pk[32], const char *person)
{
	wk_trust_entry e = WK_TRUST_ENTRY_INIT;
	char ctx[80], id[WK_TRUST_ID_CHARS + 1];
	long r;
	uint64_t v;
	int rc;

	if (!t || !new_sign_pk || !new_box_pk)
		return wk_error_set(WK_EUSAGE, "wk_trust_rotate_root: missing argument");
	if (t->version == 0)
		return wk_error_set(WK_EUSAGE,
			"region %s has no signed trust file yet: create it with the new root key instead", t->region);
	if (t->rotating)
		return wk_error_set(WK_ECONFLICT,
			"a root rotation of region %s is already waiting to be signed; sign it first", t->region);
	if (t->version == UINT64_MAX - 1)
		return wk_error_set(WK_ELIMIT, "the trust file of region %s has no versions left", t->region);
	v = t->version + 1;
	r = find(t, t->root_pk);
	wk_trust_key_id(id, new_sign_pk);
	snprintf(ctx, sizeof(ctx), "cannot make key %s the root of region %s", id, t->region);
	if (person && strlen(person) > WK_TRUST_PERSON_MAX)
		return wk_error_set(WK_EINVALID, "%s: the person is longer than %d bytes", ctx, WK_TRUST_PERSON_MAX);
	memcpy(e.sign_pk, new_sign_pk, 32);
	memcpy(e.box_pk, new_box_pk, 32);
	e.role = WK_TRUST_ROOT;
	snprintf(e.site, sizeof(e.site), "%s", WK_TRUST_ANY_SITE);
	snprintf(e.person, sizeof(e.person), "%s", person ? person : t->e[r].person);
	e.valid_from = v;
	if ((rc = enrol_ok(t, &e, ctx)) < 0 || (rc = insert(t, &e)) < 0)
		return rc;
	t->e[find(t, t->root_pk)].revoked_from = v;
	memcpy(t->prev_root, t->root_pk, 32);
	memcpy(t->root_pk, new_sign_pk, 32);
	t->rotating = 1;
	return 0;
}

/* The raw-key signer behind wk_trust_sign and wk_trust_request_write: ctx is the 64-byte secret key. */
static int raw_signer(void *ctx, unsigned char sig[64], const unsigned char *m, size_t n)
{
	return crypto_sign_detached(sig, NULL, m, n, (const unsigned char *)ctx) == 0 ? 0 : WK_ERROR;
}

/*
 * sig = sign(m[0..n)), which must verify under pk: a wrong key, or a signer
 * that fails, signs nothing. what names the key in the message.
 */
static int sign_as(unsigned char sig[SIG], wk_trust_signer sign, void *ctx, const unsigned char pk[32],
                   const unsigned char *m, size_t n, const char *what, const char *region)
{
	char id[WK_TRUST_ID_CHARS + 1];
	int rc;

	wk_error_clear();
	rc = sign(ctx, sig, m, n);
	if (rc == 0 && crypto_sign_verify_detached(sig, m, n, pk) == 0)
		return 0;
	sodium_memzero(sig, SIG);
	if (rc < 0 && wk_error_code() != WK_OK)
		return rc;   /* the signer said why */
	wk_trust_key_id(id, pk);
	return wk_error_set(WK_EUSAGE, "the key given is not %s %s%s%s; nothing was signed", what, id,
	                    region ? " of region " : "", region ? region : "");
}

int wk_trust_sign_with(wk_buf *out, wk_trust *t, wk_trust_signer sign, void *ctx, wk_trust_signer old_sign,
                       void *old_ctx)
{
	unsigned char sig[2][SIG];
	uint64_t v;
	size_t body;
	int rc;

	if (!out || !t || !sign)
		return wk_error_set(WK_EUSAGE, "wk_trust_sign: missing argument");
	wk_buf_clear(out);
	if (t->rotating && !old_sign)
		return wk_error_set(WK_EUSAGE,
			"the root of region %s is being rotated: the previous root's key must sign too", t->region);
	if (!t->rotating && old_sign)
		return wk_error_set(WK_EUSAGE,
			"no root rotation of region %s is waiting: sign with the root's key alone", t->region);
	if (t->version >= UINT64_MAX - 1)
		return wk_error_set(WK_ELIMIT, "the trust file of region %s has no versions left", t->region);
	v = t->version + 1;
	if ((rc = doc_check(t, v, t->rotating, t->prev_root)) < 0)
		return rc;
	encode_body(out, t, v);
	if ((rc = wk_buf_check(out, "trust file")) < 0)
		goto cleanup;
	body = out->len;
	if ((rc = sign_as(sig[0], sign, ctx, t->root_pk, (const unsigned char *)out->ptr, body,
	                  "the root key", t->region)) < 0 ||
	    (t->rotating && (rc = sign_as(sig[1], old_sign, old_ctx, t->prev_root, (const unsigned char *)out->ptr,
	                                  body, "the previous root key", t->region)) < 0))
		goto cleanup;
	wk_buf_put(out, sig[0], SIG);
	if (t->rotating)
		wk_buf_put(out, sig[1], SIG);
	if ((rc = wk_buf_check(out, "trust file")) < 0)
		goto cleanup;
	if (out->len > WK_TRUST_MAX_BYTES) {
		rc = wk_error_set(WK_ELIMIT, "the trust file would be larger than %zu bytes", WK_TRUST_MAX_BYTES);
		goto cleanup;
	}
	t->version = v;
	t->rotating = 0;
	sodium_memzero(t->prev_root, sizeof(t->prev_root));
cleanup:
	if (rc < 0)
		wk_buf_clear(out);
	return rc;
}

int wk_trust_sign(wk_buf *out, wk_trust *t, const unsigned char root_sk[64],
                  const unsigned char *old_root_sk)
{
	if (!root_sk)
		return wk_error_set(WK_EUSAGE, "wk_trust_sign: missing argument");
	return wk_trust_sign_with(out, t, raw_signer, (void *)root_sk, old_root_sk ? raw_signer : NULL,
	                          (void *)old_root_sk);
}

/* ---- asking the trust file ---- */

int wk_trust_check_signer(const wk_trust *t, const unsigned char sign_pk[32], const char *site,
                          uint64_t seq, int role_mask)
{
	const wk_trust_entry *e;
	char d[200], want[40] = "";
	int rc;

	if (!t || !sign_pk)
		return wk_error_set(WK_EUSAGE, "wk_trust_check_signer: missing argument");
	if ((rc = wk_trust_lookup(t, sign_pk, &e)) < 0)
		return rc;
	describe(d, sizeof(d), e);
	if (!(e->role & role_mask)) {
		if (role_mask & WK_TRUST_DEVICE)
			strcat(want, "a device");
		if (role_mask & WK_TRUST_OFFICER)
			strcat(want, *want ? " or an officer" : "an officer");
		if (role_mask & WK_TRUST_ROOT)
			strcat(want, *want ? " or the root" : "the root");
		return wk_error_set(WK_EBADSIG, "role check failed: %s is %s key, but this needs %s", d,
		                    e->role == WK_TRUST_DEVICE ? "a device" : e->role == WK_TRUST_OFFICER ?
		                    "an officer" : "a root", *want ? want : "no role at all");
	}
	if (e->role == WK_TRUST_DEVICE && !site)
		return wk_error_set(WK_EBADSIG, "scope check failed: %s may sign only for site %s, not without a site",
		                    d, e->site);
	if (e->role == WK_TRUST_DEVICE && strcmp(site, e->site) != 0)
		return wk_error_set(WK_EBADSIG, "scope check failed: %s may sign only for site %s, not for site %s",
		                    d, e->site, site);
	if (seq < e->valid_from)
		return wk_error_set(WK_EBADSIG,
			"validity check failed: %s is valid only from sequence %llu (this is sequence %llu)", d,
			(unsigned long long)e->valid_from, (unsigned long long)seq);
	if (seq >= e->revoked_from)
		return wk_error_set(WK_EBADSIG,
			"revocation check failed: %s is revoked from sequence %llu (this is sequence %llu)", d,
			(unsigned long long)e->revoked_from, (unsigned long long)seq);
	return 0;
}

int wk_trust_recipients(const wk_trust *t, const char *site, unsigned char (*out)[32], size_t max,
                        size_t *count)
{
	size_t i, k = 0;

	if (!t || !count || (max && !out))
		return wk_error_set(WK_EUSAGE, "wk_trust_recipients: missing argument");
	*count = 0;
	if (site && !wk_field_is_code(site))
		return wk_error_set(WK_EINVALID, "site code '%s' must be 2 to 16 of A-Z, a-z, 0-9 and '-'", site);
	for (i = 0; i < t->n; i++) {
		const wk_trust_entry *e = &t->e[i];

		if (e->revoked_from != WK_TRUST_NOT_REVOKED)
			continue;
		if (e->role == WK_TRUST_OFFICER || (e->role == WK_TRUST_DEVICE && site && !strcmp(e->site, site))) {
			if (k < max)
				memcpy(out[k], e->box_pk, 32);
			k++;
		}
	}
	*count = k;
	if (k == 0)
		return wk_error_set(WK_ENOTFOUND,
			"trust file version %llu of region %s lists no officer and no device of site %s to seal to",
			(unsigned long long)t->version, t->region, site ? site : "(none)");
	if (k > max)
		return wk_error_set(WK_ELIMIT, "site %s has %zu recipients; at most %zu were expected",
		                    site ? site : "(none)", k, max);
	return 0;
}

int wk_trust_json(wk_buf *out, const wk_trust *t)
{
	char hex[65], id[WK_TRUST_ID_CHARS + 1];
	size_t i;

	if (!out || !t)
		return wk_error_set(WK_EUSAGE, "wk_trust_json: missing argument");
	wk_buf_puts(out, "{\"region\":");
	wk_buf_json_str(out, t->region);
	sodium_bin2hex(hex, sizeof(hex), t->root_pk, 32);
	wk_buf_printf(out, ",\"version\":%llu,\"root\":\"%s\",\"entries\":[", (unsigned long long)t->version, hex);
	for (i = 0; i < t->n; i++) {
		const wk_trust_entry *e = &t->e[i];

		wk_trust_key_id(id, e->sign_pk);
		sodium_bin2hex(hex, sizeof(hex), e->sign_pk, 32);
		wk_buf_printf(out, "%s{\"id\":\"%s\",\"sign_pk\":\"%s\"", i ? "," : "", id, hex);
		sodium_bin2hex(hex, sizeof(hex), e->box_pk, 32);
		wk_buf_printf(out, ",\"box_pk\":\"%s\",\"role\":\"%s\",\"site\":", hex, wk_trust_role_name(e->role));
		wk_buf_json_str(out, e->site);
		wk_buf_puts(out, ",\"device\":");
		wk_buf_json_str(out, e->device[0] ? e->device : NULL);
		wk_buf_puts(out, ",\"person\":");
		wk_buf_json_str(out, e->person);
		wk_buf_printf(out, ",\"valid_from\":%llu,\"revoked_from\":", (unsigned long long)e->valid_from);
		if (e->revoked_from == WK_TRUST_NOT_REVOKED)
			wk_buf_puts(out, "null}");
		else
			wk_buf_printf(out, "%llu}", (unsigned long long)e->revoked_from);
	}
	wk_buf_puts(out, "]}");
	return wk_buf_check(out, "trust file JSON");
}

/* ---- enrolment requests ---- */

static void encode_request(wk_buf *b, const char *region, const wk_trust_entry *e)
{
	wk_buf_put(b, REQ_MAGIC, 7);
	wk_buf_putc(b, FORMAT);
	put_str8(b, region);
	wk_buf_putc(b, (char)e->role);
	wk_buf_put(b, e->sign_pk, 32);
	wk_buf_put(b, e->box_pk, 32);
	put_str8(b, e->site);
	put_str8(b, e->device);
	put_str8(b, e->person);
}

int wk_trust_request_write_with(wk_buf *out, const char *region, const wk_trust_entry *e,
                                wk_trust_signer sign, void *ctx)
{
	unsigned char sig[SIG];
	wk_trust_entry x;
	int rc;

	if (!out || !region || !e || !sign)
		return wk_error_set(WK_EUSAGE, "wk_trust_request_write: missing argument");
	wk_buf_clear(out);
	if (!wk_field_is_code(region))
		return wk_error_set(WK_EINVALID, "region code '%s' must be 2 to 16 of A-Z, a-z, 0-9 and '-'", region);
	if (e->role != WK_TRUST_DEVICE && e->role != WK_TRUST_OFFICER)
		return wk_error_set(WK_EINVALID, "an enrolment request is for a device or an officer key");
	x = *e;
	x.valid_from = 1;
	x.revoked_from = WK_TRUST_NOT_REVOKED;
	if ((rc = entry_ok(&x, "cannot write the enrolment request")) < 0 ||
	    (rc = keys_usable(&x, "cannot write the enrolment request")) < 0)
		return rc;
	encode_request(out, region, &x);
	if ((rc = wk_buf_check(out, "enrolment request")) < 0)
		return rc;
	if ((rc = sign_as(sig, sign, ctx, x.sign_pk, (const unsigned char *)out->ptr, out->len,
	                  "the key to enrol,", NULL)) < 0) {
		wk_buf_clear(out);
		return rc;
	}
	wk_buf_put(out, sig, SIG);
	return wk_buf_check(out, "enrolment request");
}

int wk_trust_request_write(wk_buf *out, const char *region, const wk_trust_entry *e,
                           const unsigned char sk[64])
{
	if (!sk)
		return wk_error_set(WK_EUSAGE, "wk_trust_request_write: missing argument");
	return wk_trust_request_write_with(out, region, e, raw_signer, (void *)sk);
}

int wk_trust_request_open(wk_trust_request *out, const unsigned char *p, size_t n)
{
	reader r = { p, n, 0, "enrolment request" };
	wk_trust_request q;
	unsigned role;
	int rc;

	if (!out || !p)
		return wk_error_set(WK_EUSAGE, "wk_trust_request_open: missing argument");
	if (n > WK_TRUST_REQUEST_MAX)
		return wk_error_set(WK_ELIMIT, "enrolment request is %zu bytes; at most %d are accepted", n,
		                    WK_TRUST_REQUEST_MAX);
	memset(&q, 0, sizeof(q));
	q.entry.valid_from = 1;
	q.entry.revoked_from = WK_TRUST_NOT_REVOKED;
	if ((rc = get_magic(&r, REQ_MAGIC)) < 0 ||
	    (rc = get_str8(&r, q.region, WK_TRUST_CODE_MAX, "region")) < 0 ||
	    (rc = get_u8(&r, &role, "role")) < 0 ||
	    (rc = get_bytes(&r, q.entry.sign_pk, 32, "signing key")) < 0 ||
	    (rc = get_bytes(&r, q.entry.box_pk, 32, "encryption key")) < 0 ||
	    (rc = get_str8(&r, q.entry.site, WK_TRUST_CODE_MAX, "site")) < 0 ||
	    (rc = get_str8(&r, q.entry.device, WK_TRUST_CODE_MAX, "device")) < 0 ||
	    (rc = get_str8(&r, q.entry.person, WK_TRUST_PERSON_MAX, "person")) < 0 ||
	    (rc = need(&r, SIG, "signature")) < 0)
		return rc;
	if (r.n - r.off != SIG)
		return wk_error_set(WK_EINVALID, "enrolment request has bytes after its signature");
	q.entry.role = (int)role;
	if (!wk_field_is_code(q.region))
		return wk_error_set(WK_EINVALID, "enrolment request: its region code is not 2-16 of A-Z, a-z, 0-9, '-'");
	if (role != WK_TRUST_DEVICE && role != WK_TRUST_OFFICER)
		return wk_error_set(WK_EINVALID, "enrolment request: it must be for a device or an officer key");
	if ((rc = entry_ok(&q.entry, "enrolment request")) < 0 || (rc = keys_usable(&q.entry, "enrolment request")) < 0)
		return rc;
	if (crypto_sign_verify_detached(p + r.off, p, r.off, q.entry.sign_pk) != 0)
		return wk_error_set(WK_EBADSIG,
			"enrolment request: its signature by the key it enrols does not verify; it was altered or "
			"not made by the key's holder, and is refused");
	*out = q;
	return 0;
}

int wk_trust_add_request(wk_trust *t, const wk_trust_request *r, uint64_t valid_from)
{
	wk_trust_entry e;

	if (!t || !r)
		return wk_error_set(WK_EUSAGE, "wk_trust_add_request: missing argument");
	if (!memchr(r->region, 0, sizeof(r->region)) || strcmp(r->region, t->region) != 0)
		return wk_error_set(WK_EINVALID, "the enrolment request is for region %.16s, not region %s",
		                    r->region, t->region);
	e = r->entry;
	e.valid_from = valid_from;
	e.revoked_from = WK_TRUST_NOT_REVOKED;
	return wk_trust_add(t, &e);
}
