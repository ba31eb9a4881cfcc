/*
 * bundle.c - exporting and importing bundles. See bundle.h; the byte layout
 * is docs/format/bundle.md.
 *
 * Import reads the archive twice from the same memory: pass A (after the tar
 * layer has validated the whole archive) keeps only the manifest, its
 * signature, the trust file and each entry's name, size and hash; if every
 * check passes, pass B hands the envelopes, in archive order (which must be
 * the manifest's order), to the ledger, checking each against its signed
 * hash again first. So nothing is applied from a bundle that fails a check,
 * and at most one entry is held in memory at a time.
 */
#include "bundle.h"
#include "error.h"
#include "field.h"

#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST "MANIFEST"
#define MANIFEST_SIG "MANIFEST.sig"
#define MAGIC_LINE "wicket-bundle"
#define ENV_DIR "envelopes/"
#define TRUST_DIR "trust/"
#define SEQ_MAX 9999999999ULL    /* ten digits in an entry name */
#define LINE_MAX_BYTES 400        /* the longest valid manifest line is 341 bytes */
#define MAX_LISTED 19997          /* the tar's 20,000 entries less MANIFEST, MANIFEST.sig, a trust file */

enum { KIND_TRUST = 1, KIND_ENV = 2 };

/* One entry the manifest lists. */
typedef struct {
	char name[WK_TARFILE_NAME_MAX + 1];
	int kind;
	char site[WK_TRUST_CODE_MAX + 1], device[WK_TRUST_CODE_MAX + 1];
	uint64_t seq;                /* envelope: its sequence; trust file: its version */
	size_t size;
	unsigned char hash[32];
	const unsigned char *data;   /* export only: the bytes (borrowed) */
} entry;

typedef struct {
	char region[WK_TRUST_CODE_MAX + 1], from[WK_TRUST_CODE_MAX + 1], for_site[WK_TRUST_CODE_MAX + 1];
	unsigned char signer[32];
	wk_bundle_mark *held;
	size_t nheld;
	entry *e;
	size_t n;
} manifest;

static void manifest_free(manifest *m)
{
	free(m->held);
	free(m->e);
	memset(m, 0, sizeof(*m));
}

/* A whole-bundle refusal: "bundle refused: ...; nothing was applied". */
static int refuse(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return wk_error_set(code, "bundle refused: %s; nothing was applied", msg);
}

/* ---- names, codes and numbers ------------------------------------------- */

/* Decimal, 1..20 digits, no leading zero (but "0"), no overflow; [s, s+len). */
static int parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len < 1 || len > 20 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Copy a code of [s, s+len) into out (17 bytes) if it is one. */
static int take_code(char *out, const char *s, size_t len)
{
	if (len > WK_TRUST_CODE_MAX)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return wk_field_is_code(out) ? 0 : -1;
}

/* envelopes/<SITE>/<DEVICE>/<SEQ, 10 digits>.env or trust/<VERSION>.trust into e; -1 if neither. */
static int parse_name(entry *e, const char *name)
{
	const char *a, *b, *c;
	size_t n = strlen(name);
	uint64_t v;

	if (!wk_tarfile_name_ok(name))
		return -1;
	if (strncmp(name, TRUST_DIR, strlen(TRUST_DIR)) == 0) {
		a = name + strlen(TRUST_DIR);
		if (n < strlen(TRUST_DIR) + 7 || strcmp(name + n - 6, ".trust") != 0 ||
		    parse_u64(a, (size_t)(name + n - 6 - a), &v) < 0 || v < 1)
			return -1;
		e->kind = KIND_TRUST;
		e->seq = v;
		return 0;
	}
	if (strncmp(name, ENV_DIR, strlen(ENV_DIR)) != 0)
		return -1;
	a = name + strlen(ENV_DIR);
	if (!(b = strchr(a, '/')) || !(c = strchr(b + 1, '/')) || take_code(e->site, a, (size_t)(b - a)) < 0 ||
	    take_code(e->device, b + 1, (size_t)(c - b - 1)) < 0 || strlen(c + 1) != 14 ||
	    strcmp(c + 11, ".env") != 0)
		return -1;
	for (a = c + 1; a < c + 11; a++)
		if (*a < '0' || *a > '9')
			return -1;
	e->seq = strtoull(c + 1, NULL, 10);
	if (e->seq < 1)
		return -1;
	e->kind = KIND_ENV;
	return 0;
}

static int cmp_chain(const char *s1, const char *d1, const char *s2, const char *d2)
{
	int c = strcmp(s1, s2);

	return c ? c : strcmp(d1, d2);
}

/* Canonical order: the trust file first, then envelopes by (site, device, seq). */
static int cmp_entry(const void *x, const void *y)
{
	const entry *a = x, *b = y;
	int c;

	if (a->kind != b->kind)
		return a->kind == KIND_TRUST ? -1 : 1;
	if ((c = cmp_chain(a->site, a->device, b->site, b->device)) != 0)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int cmp_mark(const void *x, const void *y)
{
	const wk_bundle_mark *a = x, *b = y;

	return cmp_chain(a->site, a->device, b->site, b->device);
}

static const wk_bundle_mark *find_mark(const wk_bundle_mark *v, size_t n, const char *site, const char *device)
{
	wk_bundle_mark key;

	snprintf(key.site, sizeof(key.site), "%s", site);
	snprintf(key.device, sizeof(key.device), "%s", device);
	return n ? bsearch(&key, v, n, sizeof(*v), cmp_mark) : NULL;
}

int wk_bundle_mark_parse(wk_bundle_mark *out, const char *s)
{
	const char *slash = s ? strchr(s, '/') : NULL, *colon = slash ? strchr(slash, ':') : NULL;
	uint64_t v;

	memset(out, 0, sizeof(*out));
	if (!slash || !colon || take_code(out->site, s, (size_t)(slash - s)) < 0 ||
	    take_code(out->device, slash + 1, (size_t)(colon - slash - 1)) < 0 ||
	    parse_u64(colon + 1, strlen(colon + 1), &v) < 0) {
		memset(out, 0, sizeof(*out));
		return wk_error_set(WK_EINVALID, "'%s' is not a watermark; write SITE/DEVICE:SEQ, e.g. LEI/d1:12",
		                    s ? s : "");
	}
	out->seq = v;
	return 0;
}

/* ---- the signer -------------------------------------------------------- */

/*
 * May sign_pk sign a bundle from `from`? A device of that site, an officer
 * or the root; from the region's own code, an officer or the root only. A
 * bundle has no place in a chain, so there is no sequence to hold a
 * revocation against: a key with any revocation stated signs no bundle.
 * *role receives its role.
 */
static int check_signer(const wk_trust *t, const unsigned char sign_pk[32], const char *from, int *role)
{
	const wk_trust_entry *e;
	char id[WK_TRUST_ID_CHARS + 1], msg[512];
	int region = strcmp(from, wk_trust_region(t)) == 0, rc;

	wk_trust_key_id(id, sign_pk);
	if (wk_trust_lookup(t, sign_pk, &e) < 0)
		return wk_error_set(WK_EBADSIG, "the manifest is signed by key %s, which the trust file (version %llu) "
		                    "does not list; if the region enrolled it recently, install a newer trust file first",
		                    id, (unsigned long long)wk_trust_version(t));
	if (e->revoked_from != WK_TRUST_NOT_REVOKED)
		return wk_error_set(WK_EBADSIG, "the manifest is signed by key %s (%s, %s), which is revoked from sequence "
		                    "%llu; a revoked key signs no bundle", id, wk_trust_role_name(e->role), e->person,
		                    (unsigned long long)e->revoked_from);
	rc = wk_trust_check_signer(t, sign_pk, region ? NULL : from, e->valid_from,
	                           region ? WK_TRUST_OFFICER | WK_TRUST_ROOT :
	                                    WK_TRUST_DEVICE | WK_TRUST_OFFICER | WK_TRUST_ROOT);
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "%s", wk_error_msg());
		return wk_error_set(rc, "the manifest's signer may not sign a bundle from %s: %s", from, msg);
	}
	*role = e->role;
	return 0;
}

/* ---- the manifest: writing --------------------------------------------- */

static void put_hex(wk_buf *b, const unsigned char *p, size_t n)
{
	char hex[65];

	sodium_bin2hex(hex, sizeof(hex), p, n);
	wk_buf_puts(b, hex);
}

static int manifest_write(wk_buf *b, const manifest *m)
{
	size_t i;

	wk_buf_printf(b, "%s %d\nregion %s\nfrom %s\nfor %s\nsigner ", MAGIC_LINE, WK_BUNDLE_FORMAT, m->region,
	              m->from, m->for_site);
	put_hex(b, m->signer, 32);
	wk_buf_printf(b, "\nheld %zu\n", m->nheld);
	for (i = 0; i < m->nheld; i++)
		wk_buf_printf(b, "%s %s %llu\n", m->held[i].site, m->held[i].device, (unsigned long long)m->held[i].seq);
	wk_buf_printf(b, "entries %zu\n", m->n);
	for (i = 0; i < m->n; i++) {
		put_hex(b, m->e[i].hash, 32);
		wk_buf_printf(b, " %zu %s\n", m->e[i].size, m->e[i].name);
	}
	return wk_buf_check(b, "manifest");
}

/* ---- the manifest: reading --------------------------------------------- */

typedef struct {
	const char *p;
	size_t n, off;
	unsigned line;
	char buf[LINE_MAX_BYTES + 1];
	char *f[4];      /* fields of the current line */
	size_t len[4];
} lines;

/* The next line split at single spaces into exactly nf non-empty fields. */
static int next_line(lines *r, size_t nf, const char *what)
{
	const char *nl;
	size_t len, i, k = 0, start;

	r->line++;
	if (r->off >= r->n)
		return refuse(WK_EINVALID, "the manifest ends before its %s (line %u)", what, r->line);
	nl = memchr(r->p + r->off, '\n', r->n - r->off);
	if (!nl)
		return refuse(WK_EINVALID, "the manifest's last line does not end with a newline");
	len = (size_t)(nl - (r->p + r->off));
	if (len > LINE_MAX_BYTES)
		return refuse(WK_EINVALID, "manifest line %u is too long", r->line);
	memcpy(r->buf, r->p + r->off, len);
	r->buf[len] = '\0';
	r->off += len + 1;
	for (i = 0; i < len; i++)
		if ((unsigned char)r->buf[i] < 0x20 || (unsigned char)r->buf[i] > 0x7e)
			return refuse(WK_EINVALID, "manifest line %u holds a byte that is not printable ASCII", r->line);
	for (i = 0, start = 0; i <= len; i++) {
		if (i < len && r->buf[i] != ' ')
			continue;
		if (k == nf)
			return refuse(WK_EINVALID, "manifest line %u (%s) should have %zu fields", r->line, what, nf);
		if (i == start)
			return refuse(WK_EINVALID, "manifest line %u (%s) has an empty field", r->line, what);
		r->buf[i] = '\0';
		r->f[k] = r->buf + start;
		r->len[k++] = i - start;
		start = i + 1;
	}
	if (k != nf)
		return refuse(WK_EINVALID, "manifest line %u (%s) should have %zu fields", r->line, what, nf);
	return 0;
}

/* "key value" with the value a code (or "*" when star). */
static int keyed_code(lines *r, const char *key, char *out, int star)
{
	int rc;

	if ((rc = next_line(r, 2, key)) < 0)
		return rc;
	if (strcmp(r->f[0], key) != 0)
		return refuse(WK_EINVALID, "manifest line %u should be '%s ...'", r->line, key);
	if (star && strcmp(r->f[1], "*") == 0) {
		strcpy(out, "*");
		return 0;
	}
	if (take_code(out, r->f[1], r->len[1]) < 0)
		return refuse(WK_EINVALID, "manifest line %u: '%s' is not a valid code", r->line, key);
	return 0;
}

static int keyed_count(lines *r, const char *key, size_t max, size_t *out)
{
	uint64_t v;
	int rc;

	if ((rc = next_line(r, 2, key)) < 0)
		return rc;
	if (strcmp(r->f[0], key) != 0 || parse_u64(r->f[1], r->len[1], &v) < 0)
		return refuse(WK_EINVALID, "manifest line %u should be '%s COUNT'", r->line, key);
	if (v > max)
		return refuse(WK_ELIMIT, "the manifest lists %llu %s; at most %zu are allowed", (unsigned long long)v,
		              key, max);
	*out = (size_t)v;
	return 0;
}

static int hex32(unsigned char out[32], const char *s, size_t len)
{
	size_t i, got = 0;

	if (len != 64)
		return -1;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return -1;
	return sodium_hex2bin(out, 32, s, 64, NULL, &got, NULL) == 0 && got == 32 ? 0 : -1;
}

static int read_held(lines *r, manifest *m)
{
	size_t i;
	uint64_t v;
	int rc;

	if ((rc = keyed_count(r, "held", WK_BUNDLE_MAX_HELD, &m->nheld)) < 0)
		return rc;
	if (m->nheld && !(m->held = calloc(m->nheld, sizeof(*m->held))))
		return wk_error_set(WK_ELIMIT, "out of memory reading the manifest");
	for (i = 0; i < m->nheld; i++) {
		wk_bundle_mark *h = &m->held[i];

		if ((rc = next_line(r, 3, "held chain")) < 0)
			return rc;
		if (take_code(h->site, r->f[0], r->len[0]) < 0 || take_code(h->device, r->f[1], r->len[1]) < 0 ||
		    parse_u64(r->f[2], r->len[2], &v) < 0 || v < 1 || v > SEQ_MAX)
			return refuse(WK_EINVALID, "manifest line %u should be 'SITE DEVICE SEQ'", r->line);
		h->seq = v;
		if (i > 0 && cmp_mark(&m->held[i - 1], h) >= 0)
			return refuse(WK_EINVALID, "manifest line %u: held chains are not in canonical order", r->line);
		if (strcmp(m->for_site, "*") != 0 && strcmp(h->site, m->for_site) != 0)
			return refuse(WK_EINVALID, "manifest line %u: chain of site %s in a bundle for %s", r->line, h->site,
			              m->for_site);
	}
	return 0;
}

static int read_entry(lines *r, const manifest *m, entry *e, const entry *prev)
{
	const wk_bundle_mark *h;
	uint64_t v;
	int rc;

	if ((rc = next_line(r, 3, "entry")) < 0)
		return rc;
	if (hex32(e->hash, r->f[0], r->len[0]) < 0 || parse_u64(r->f[1], r->len[1], &v) < 0 ||
	    r->len[2] > WK_TARFILE_NAME_MAX)
		return refuse(WK_EINVALID, "manifest line %u should be 'HASH SIZE NAME'", r->line);
	strcpy(e->name, r->f[2]);
	if (parse_name(e, e->name) < 0)
		return refuse(WK_EINVALID, "manifest line %u lists '%s', which is not an entry a bundle holds", r->line,
		              e->name);
	if (v < 1 || v > (e->kind == KIND_TRUST ? WK_TRUST_MAX_BYTES : (size_t)64 << 20))
		return refuse(WK_ELIMIT, "manifest line %u: entry '%s' of %llu bytes is empty or over its cap", r->line,
		              e->name, (unsigned long long)v);
	e->size = (size_t)v;
	if (prev && cmp_entry(prev, e) >= 0)
		return refuse(WK_EINVALID, "manifest line %u: '%s' is out of canonical order (or a second trust file)",
		              r->line, e->name);
	if (e->kind == KIND_ENV) {
		if (strcmp(m->for_site, "*") != 0 && strcmp(e->site, m->for_site) != 0)
			return refuse(WK_EINVALID, "manifest line %u: '%s' in a bundle for site %s", r->line, e->name,
			              m->for_site);
		h = find_mark(m->held, m->nheld, e->site, e->device);
		if (!h || e->seq > h->seq)
			return refuse(WK_EINVALID, "manifest line %u: '%s' is beyond the chains the manifest says were held",
			              r->line, e->name);
	}
	return 0;
}

/* Decode MANIFEST strictly: every line in its place, canonical, nothing after. */
static int manifest_read(manifest *m, const unsigned char *p, size_t n)
{
	lines r;
	size_t i;
	uint64_t v;
	int rc;

	memset(m, 0, sizeof(*m));
	memset(&r, 0, sizeof(r));
	r.p = (const char *)p;
	r.n = n;
	if (n > WK_BUNDLE_MANIFEST_MAX)
		return refuse(WK_ELIMIT, "its MANIFEST of %zu bytes is over the cap of %zu", n, WK_BUNDLE_MANIFEST_MAX);
	if ((rc = next_line(&r, 2, "format line")) < 0)
		goto out;
	if (strcmp(r.f[0], MAGIC_LINE) != 0 || parse_u64(r.f[1], r.len[1], &v) < 0) {
		rc = refuse(WK_EINVALID, "its MANIFEST is not a wicket bundle manifest");
		goto out;
	}
	if (v != WK_BUNDLE_FORMAT) {
		rc = wk_error_set(WK_EVERSION, "bundle format %llu is newer than this wicket reads (%d); upgrade wicket; "
		                  "nothing was applied", (unsigned long long)v, WK_BUNDLE_FORMAT);
		goto out;
	}
	if ((rc = keyed_code(&r, "region", m->region, 0)) < 0 || (rc = keyed_code(&r, "from", m->from, 0)) < 0 ||
	    (rc = keyed_code(&r, "for", m->for_site, 1)) < 0 || (rc = next_line(&r, 2, "signer")) < 0)
		goto out;
	if (strcmp(r.f[0], "signer") != 0 || hex32(m->signer, r.f[1], r.len[1]) < 0) {
		rc = refuse(WK_EINVALID, "manifest line %u should be 'signer HEX'", r.line);
		goto out;
	}
	if ((rc = read_held(&r, m)) < 0 || (rc = keyed_count(&r, "entries", MAX_LISTED + 1, &m->n)) < 0)
		goto out;
	if (m->n && !(m->e = calloc(m->n, sizeof(*m->e)))) {
		rc = wk_error_set(WK_ELIMIT, "out of memory reading the manifest");
		goto out;
	}
	for (i = 0; i < m->n; i++)
		if ((rc = read_entry(&r, m, &m->e[i], i ? &m->e[i - 1] : NULL)) < 0)
			goto out;
	if (r.off != r.n)
		rc = refuse(WK_EINVALID, "its MANIFEST has bytes after its last entry");
out:
	if (rc < 0)
		manifest_free(m);
	return rc;
}

/* ---- export ---------------------------------------------------------- */

static int opts_check(const wk_bundle_export_options *o, const char *from, int *role)
{
	size_t i;

	if (!o || !o->trust || !o->sign_pk || !o->sign || !from)
		return wk_error_set(WK_EUSAGE, "bundle export needs the trust, the signing key and a 'from' code");
	if (!wk_field_is_code(from))
		return wk_error_set(WK_EINVALID, "bundle 'from' code '%s' is not a site or region code", from);
	if (o->for_site && !wk_field_is_code(o->for_site))
		return wk_error_set(WK_EINVALID, "'%s' is not a site code", o->for_site);
	for (i = 0; i < o->nsince; i++)
		if (!wk_field_is_code(o->since[i].site) || !wk_field_is_code(o->since[i].device))
			return wk_error_set(WK_EINVALID, "a --since watermark names an invalid site or device code");
	if (check_signer(o->trust, o->sign_pk, from, role) < 0) {
		char msg[800];

		snprintf(msg, sizeof(msg), "%s", wk_error_msg());
		return wk_error_set(WK_EBADSIG, "cannot export: %s", msg);
	}
	return 0;
}

/* The trust file to carry: a valid trust file of this region; *version receives its version. */
static int trust_file_check(const wk_bundle_export_options *o, uint64_t *version)
{
	wk_trust *t = NULL;
	char msg[800];
	int rc;

	if ((rc = wk_trust_open(&t, o->trust_file, o->trust_file_len, NULL, wk_trust_root_pk(o->trust))) < 0) {
		snprintf(msg, sizeof(msg), "%s", wk_error_msg());
		return wk_error_set(rc, "cannot export: the trust file to include does not open: %s", msg);
	}
	if (strcmp(wk_trust_region(t), wk_trust_region(o->trust)) != 0)
		rc = wk_error_set(WK_ECONFLICT, "cannot export: the trust file to include is for region %s, not %s",
		                  wk_trust_region(t), wk_trust_region(o->trust));
	*version = wk_trust_version(t);
	wk_trust_free(t);
	return rc;
}

/* Sign the manifest and verify the signature under the key it names. */
static int sign_manifest(const wk_bundle_export_options *o, const wk_buf *mf, unsigned char sig[64])
{
	int rc;

	if ((rc = o->sign(o->sign_ctx, sig, (const unsigned char *)mf->ptr, mf->len)) < 0)
		return rc;
	if (crypto_sign_verify_detached(sig, (const unsigned char *)mf->ptr, mf->len, o->sign_pk) != 0)
		return wk_error_set(WK_EUSAGE, "cannot export: the signer does not hold the key the bundle names");
	return 0;
}

/* The trust file and the envelopes as entries, named from their own headers, for_site applied; unsorted. */
static int name_all(entry *all, size_t *nall, const wk_bundle_envelope *envs, size_t n,
                    const wk_bundle_export_options *o)
{
	wk_envelope_info info;
	size_t i;
	int rc;

	if (o->trust_file) {
		entry *t = &all[(*nall)++];

		if ((rc = trust_file_check(o, &t->seq)) < 0)
			return rc;
		t->kind = KIND_TRUST;
		t->data = o->trust_file;
		t->size = o->trust_file_len;
		snprintf(t->name, sizeof(t->name), TRUST_DIR "%llu.trust", (unsigned long long)t->seq);
	}
	for (i = 0; i < n; i++) {
		entry *e = &all[*nall];

		if ((rc = wk_envelope_parse(&info, envs[i].env, envs[i].len, NULL)) < 0)
			return rc;
		if (o->for_site && strcmp(info.site, o->for_site) != 0)
			continue;
		if (info.seq > SEQ_MAX)
			return wk_error_set(WK_ELIMIT, "changeset %s/%s #%llu has a sequence beyond what a bundle names",
			                    info.site, info.device, (unsigned long long)info.seq);
		e->kind = KIND_ENV;
		strcpy(e->site, info.site);
		strcpy(e->device, info.device);
		e->seq = info.seq;
		e->data = envs[i].env;
		e->size = envs[i].len;
		snprintf(e->name, sizeof(e->name), ENV_DIR "%s/%s/%010llu.env", e->site, e->device,
		         (unsigned long long)e->seq);
		(*nall)++;
	}
	return 0;
}

/* o->since in canonical order, for find_mark; *out (NULL when there are none) belongs to the caller. */
static int since_sorted(const wk_bundle_export_options *o, wk_bundle_mark **out)
{
	*out = NULL;
	if (!o->nsince)
		return 0;
	if (!o->since)
		return wk_error_set(WK_EUSAGE, "bundle export: nsince without since");
	if (!(*out = malloc(o->nsince * sizeof(**out))))
		return wk_error_set(WK_ELIMIT, "out of memory");
	memcpy(*out, o->since, o->nsince * sizeof(**out));
	qsort(*out, o->nsince, sizeof(**out), cmp_mark);
	return 0;
}

/*
 * Build the bundle from envs and write it to out or path. The envelopes are
 * named from their own headers, filtered, sorted and listed; held marks are
 * given (by the store, which held more than it sends) or else the highest
 * sequence per chain before the --since filter.
 */
static int build(wk_buf *out, const char *path, const wk_bundle_envelope *envs, size_t n,
                 const wk_bundle_export_options *o, const char *from, const wk_bundle_mark *held, size_t nheld,
                 size_t *count)
{
	wk_bundle_mark *since = NULL;
	manifest m;
	wk_buf mf = WK_BUF_INIT;
	wk_tarfile_entry *te = NULL;
	unsigned char sig[64];
	entry *all = NULL;
	size_t i, nall = 0;
	int role = 0, rc;

	memset(&m, 0, sizeof(m));
	if (count)
		*count = 0;
	if ((rc = opts_check(o, from, &role)) < 0)
		return rc;
	if (n > MAX_LISTED)
		return wk_error_set(WK_ELIMIT, "%zu changesets are more than one bundle carries (%d); export in parts "
		                    "with --since", n, MAX_LISTED);
	if (!(all = calloc(n + 1, sizeof(*all))) || !(te = calloc(n + 3, sizeof(*te)))) {
		rc = wk_error_set(WK_ELIMIT, "out of memory");
		goto out;
	}
	if ((rc = name_all(all, &nall, envs, n, o)) < 0)
		goto out;
	qsort(all, nall, sizeof(*all), cmp_entry);
	if ((rc = since_sorted(o, &since)) < 0)
		goto out;
	if (!(m.held = calloc((held ? nheld : nall) + 1, sizeof(*m.held))) || !(m.e = calloc(nall + 1, sizeof(*m.e)))) {
		rc = wk_error_set(WK_ELIMIT, "out of memory");
		goto out;
	}
	if (held) {
		memcpy(m.held, held, nheld * sizeof(*held));
		m.nheld = nheld;
	}
	for (i = 0; i < nall; i++) {
		entry *e = &all[i];
		const wk_bundle_mark *mark;

		if (i > 0 && cmp_entry(&all[i - 1], e) == 0) {
			rc = wk_error_set(WK_EINVALID, "cannot export: changeset %s/%s #%llu is given twice", e->site,
			                  e->device, (unsigned long long)e->seq);
			goto out;
		}
		if (e->kind == KIND_ENV) {
			wk_bundle_mark *h = m.nheld ? &m.held[m.nheld - 1] : NULL;

			if (!held && (!h || strcmp(h->site, e->site) != 0 || strcmp(h->device, e->device) != 0)) {
				h = &m.held[m.nheld++];
				strcpy(h->site, e->site);
				strcpy(h->device, e->device);
			}
			if (!held)
				h->seq = e->seq;
			mark = find_mark(since, o->nsince, e->site, e->device);
			if (mark && e->seq <= mark->seq)
				continue;
			if (count)
				(*count)++;
		}
		crypto_generichash(e->hash, 32, e->data, e->size, NULL, 0);
		m.e[m.n++] = *e;
	}
	snprintf(m.region, sizeof(m.region), "%s", wk_trust_region(o->trust));
	snprintf(m.from, sizeof(m.from), "%s", from);
	snprintf(m.for_site, sizeof(m.for_site), "%s", o->for_site ? o->for_site : "*");
	memcpy(m.signer, o->sign_pk, 32);
	mf.max = WK_BUNDLE_MANIFEST_MAX;
	if ((rc = manifest_write(&mf, &m)) < 0 || (rc = sign_manifest(o, &mf, sig)) < 0)
		goto out;
	te[0].name = MANIFEST;
	te[0].data = (const unsigned char *)mf.ptr;
	te[0].len = mf.len;
	te[1].name = MANIFEST_SIG;
	te[1].data = sig;
	te[1].len = sizeof(sig);
	for (i = 0; i < m.n; i++) {
		te[i + 2].name = m.e[i].name;
		te[i + 2].data = m.e[i].data;
		te[i + 2].len = m.e[i].size;
	}
	rc = path ? wk_tarfile_write_file(path, te, m.n + 2, o->gzip) : wk_tarfile_write_mem(out, te, m.n + 2, o->gzip);
out:
	if (rc < 0 && count)
		*count = 0;
	if (rc < 0 && out)
		wk_buf_clear(out);
	manifest_free(&m);
	wk_buf_free(&mf);
	free(since);
	free(all);
	free(te);
	return rc;
}

/* What a store holds: held marks for every chain, copies of the envelopes to send. */
typedef struct {
	wk_bundle_envelope *v;
	size_t n, cap;
	wk_bundle_mark *held;
	size_t nheld, held_cap;
	const char *for_site;
	const wk_bundle_mark *since;   /* canonical order */
	size_t nsince;
} collected;

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t c;
	void *p;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 64;
	if (!(p = realloc(*v, c * size)))
		return wk_error_set(WK_ELIMIT, "out of memory");
	*v = p;
	*cap = c;
	return 0;
}

/* wk_ledger_each gives (site, device, seq) order, so a chain's last row is its top. */
static int collect(const char *site, const char *device, long long seq, const unsigned char *env, size_t n,
                   void *arg)
{
	collected *c = arg;
	const wk_bundle_mark *mark;
	wk_bundle_mark *h = c->nheld ? &c->held[c->nheld - 1] : NULL;
	unsigned char *copy;
	int rc;

	if (c->for_site && strcmp(site, c->for_site) != 0)
		return 0;
	if (!wk_field_is_code(site) || !wk_field_is_code(device) || seq < 1)
		return wk_error_set(WK_ECORRUPT, "the store's ledger holds a changeset with a bad site, device or sequence");
	if (!h || strcmp(h->site, site) != 0 || strcmp(h->device, device) != 0) {
		if ((rc = grow((void **)&c->held, &c->held_cap, c->nheld, sizeof(*c->held))) < 0)
			return rc;
		if (c->nheld == WK_BUNDLE_MAX_HELD)
			return wk_error_set(WK_ELIMIT, "the store holds more chains than a bundle lists (%d)", WK_BUNDLE_MAX_HELD);
		h = &c->held[c->nheld++];
		snprintf(h->site, sizeof(h->site), "%s", site);
		snprintf(h->device, sizeof(h->device), "%s", device);
	}
	h->seq = (uint64_t)seq;
	mark = find_mark(c->since, c->nsince, site, device);
	if (mark && (uint64_t)seq <= mark->seq)
		return 0;
	if (c->n == MAX_LISTED)
		return wk_error_set(WK_ELIMIT, "more changesets to export than one bundle carries (%d); export in parts "
		                    "with --since", MAX_LISTED);
	if ((rc = grow((void **)&c->v, &c->cap, c->n, sizeof(*c->v))) < 0)
		return rc;
	if (!(copy = malloc(n ? n : 1)))
		return wk_error_set(WK_ELIMIT, "out of memory");
	memcpy(copy, env, n);
	c->v[c->n].env = copy;
	c->v[c->n++].len = n;
	return 0;
}

static int export_any(wk_buf *out, const char *path, wk_store *st, const wk_bundle_export_options *o,
                      size_t *count)
{
	collected c;
	wk_bundle_mark *since = NULL;
	char *site = NULL;
	size_t i;
	int rc;

	memset(&c, 0, sizeof(c));
	if (count)
		*count = 0;
	if (out)
		wk_buf_clear(out);
	if (!st || !o)
		return wk_error_set(WK_EUSAGE, "bundle export needs a store and options");
	if (!o->from && (rc = wk_store_meta_get(st, "site", &site)) < 0)
		return rc;
	if (!o->from && !site)
		return wk_error_set(WK_EINVALID, "this store has no site code; was it made by 'wicket init'?");
	c.for_site = o->for_site;
	c.nsince = o->nsince;
	if ((rc = since_sorted(o, &since)) == 0) {
		c.since = since;
		if ((rc = wk_ledger_each(st, collect, &c)) == 0)
			rc = build(out, path, c.v, c.n, o, o->from ? o->from : site, c.held, c.nheld, count);
	}
	for (i = 0; i < c.n; i++)
		free((void *)c.v[i].env);
	free(c.v);
	free(c.held);
	free(since);
	free(site);
	return rc;
}

int wk_bundle_export(wk_buf *out, wk_store *st, const wk_bundle_export_options *o, size_t *count)
{
	if (!out)
		return wk_error_set(WK_EUSAGE, "wk_bundle_export: missing output buffer");
	return export_any(out, NULL, st, o, count);
}

int wk_bundle_export_file(const char *path, wk_store *st, const wk_bundle_export_options *o, size_t *count)
{
	if (!path)
		return wk_error_set(WK_EUSAGE, "wk_bundle_export_file: missing path");
	return export_any(NULL, path, st, o, count);
}

int wk_bundle_write(wk_buf *out, const wk_bundle_envelope *envs, size_t n, const wk_bundle_export_options *o)
{
	if (!out || (n && !envs) || !o)
		return wk_error_set(WK_EUSAGE, "wk_bundle_write: missing argument");
	wk_buf_clear(out);
	return build(out, NULL, envs, n, o, o->from, NULL, 0, NULL);
}

/* ---- import: pass A, what the archive holds ----------------------------- */

typedef struct {
	char *name;
	size_t size;
	unsigned char hash[32];
	int hdr;                    /* envelopes: 1 header agrees with the name, 0 it does not, -1 no header */
	char site[WK_TRUST_CODE_MAX + 1], device[WK_TRUST_CODE_MAX + 1];
	uint64_t seq;               /* what the header says */
} seen;

typedef struct {
	wk_buf manifest;
	unsigned char sig[64];
	int have_manifest, have_sig;
	unsigned char *trust;       /* the first trust/ entry, within the trust cap */
	size_t trust_len;
	seen *e;
	size_t n, cap;
} contents;

static void contents_free(contents *c)
{
	size_t i;

	wk_buf_free(&c->manifest);
	free(c->trust);
	for (i = 0; i < c->n; i++)
		free(c->e[i].name);
	free(c->e);
}

static int record(const char *name, const unsigned char *data, size_t len, void *arg)
{
	contents *c = arg;
	wk_envelope_info info;
	seen *s;
	entry named;

	if (strcmp(name, MANIFEST) == 0) {
		if (len > WK_BUNDLE_MANIFEST_MAX)
			return refuse(WK_ELIMIT, "its MANIFEST of %zu bytes is over the cap of %zu", len,
			              WK_BUNDLE_MANIFEST_MAX);
		c->manifest.max = WK_BUNDLE_MANIFEST_MAX;
		wk_buf_put(&c->manifest, data, len);
		c->have_manifest = 1;
		return wk_buf_check(&c->manifest, "manifest");
	}
	if (strcmp(name, MANIFEST_SIG) == 0) {
		if (len != sizeof(c->sig))
			return refuse(WK_EBADSIG, "its MANIFEST.sig is %zu bytes, not a 64-byte signature", len);
		memcpy(c->sig, data, len);
		c->have_sig = 1;
		return 0;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		seen *v = realloc(c->e, cap * sizeof(*v));

		if (!v)
			return wk_error_set(WK_ELIMIT, "out of memory");
		c->e = v;
		c->cap = cap;
	}
	s = &c->e[c->n];
	memset(s, 0, sizeof(*s));
	if (!(s->name = strdup(name)))
		return wk_error_set(WK_ELIMIT, "out of memory");
	c->n++;
	s->size = len;
	crypto_generichash(s->hash, 32, data, len, NULL, 0);
	memset(&named, 0, sizeof(named));
	if (parse_name(&named, name) == 0 && named.kind == KIND_ENV) {
		s->hdr = -1;
		if (wk_envelope_parse(&info, data, len, NULL) == 0) {
			strcpy(s->site, info.site);
			strcpy(s->device, info.device);
			s->seq = info.seq;
			s->hdr = strcmp(info.site, named.site) == 0 && strcmp(info.device, named.device) == 0 &&
			         info.seq == named.seq;
		}
		wk_error_clear();
	} else if (parse_name(&named, name) == 0 && named.kind == KIND_TRUST && !c->trust &&
	           len <= WK_TRUST_MAX_BYTES) {
		if (!(c->trust = malloc(len ? len : 1)))
			return wk_error_set(WK_ELIMIT, "out of memory");
		memcpy(c->trust, data, len);
		c->trust_len = len;
	}
	return 0;
}

static int cmp_seen_name(const void *x, const void *y)
{
	return strcmp(((const seen *)x)->name, ((const seen *)y)->name);
}

static int cmp_entry_name(const void *x, const void *y)
{
	return strcmp(((const entry *)x)->name, ((const entry *)y)->name);
}

/*
 * The archive holds exactly what the manifest lists, in its order, with the
 * listed sizes and hashes, and each envelope is what its name says.
 */
static int check_listing(const contents *c, const manifest *m)
{
	seen *bynm = NULL, key;
	entry *mnm = NULL, ekey;
	size_t i;
	int rc = 0;

	if ((c->n && !(bynm = malloc(c->n * sizeof(*bynm)))) || (m->n && !(mnm = malloc(m->n * sizeof(*mnm))))) {
		rc = wk_error_set(WK_ELIMIT, "out of memory");
		goto out;
	}
	if (c->n) {
		memcpy(bynm, c->e, c->n * sizeof(*bynm));
		qsort(bynm, c->n, sizeof(*bynm), cmp_seen_name);
	}
	if (m->n) {
		memcpy(mnm, m->e, m->n * sizeof(*mnm));
		qsort(mnm, m->n, sizeof(*mnm), cmp_entry_name);
	}
	for (i = 0; i < c->n; i++) {
		snprintf(ekey.name, sizeof(ekey.name), "%s", c->e[i].name);
		if (!m->n || !bsearch(&ekey, mnm, m->n, sizeof(*mnm), cmp_entry_name)) {
			rc = refuse(WK_EINVALID, "entry '%s' is not listed in its manifest (added or renamed after signing)",
			            c->e[i].name);
			goto out;
		}
	}
	for (i = 0; i < m->n; i++) {
		key.name = m->e[i].name;
		if (!c->n || !bsearch(&key, bynm, c->n, sizeof(*bynm), cmp_seen_name)) {
			rc = refuse(WK_EINVALID, "entry '%s' listed in its manifest is missing (removed or renamed)",
			            m->e[i].name);
			goto out;
		}
	}
	/* The same set of names on both sides: now position by position. */
	for (i = 0; i < m->n; i++) {
		const seen *s = &c->e[i];
		const entry *e = &m->e[i];

		if (strcmp(s->name, e->name) != 0) {
			rc = refuse(WK_EINVALID, "entry '%s' is not where its manifest puts it (entries are out of order)",
			            s->name);
			goto out;
		}
		if (s->size != e->size || sodium_memcmp(s->hash, e->hash, 32) != 0) {
			rc = refuse(WK_EBADSIG, "entry '%s' does not match its size and hash in the signed manifest "
			            "(altered or damaged); get a fresh copy of the bundle", s->name);
			goto out;
		}
		if (e->kind == KIND_ENV && s->hdr == 0) {
			rc = refuse(WK_EINVALID, "entry '%s' holds changeset %s/%s #%llu, not the one its name says", s->name,
			            s->site, s->device, (unsigned long long)s->seq);
			goto out;
		}
	}
out:
	free(bynm);
	free(mnm);
	return rc;
}

/* Offer the trust file carried: copy it, and say whether it opens as newer than the trust in force. */
static int offer_trust(wk_bundle_report *r, const contents *c, const manifest *m, const wk_trust *trust)
{
	wk_trust *t = NULL;
	char note[600];

	if (m->n == 0 || m->e[0].kind != KIND_TRUST || !c->trust)
		return 0;
	if (!(r->trust_file = malloc(c->trust_len)))
		return wk_error_set(WK_ELIMIT, "out of memory");
	memcpy(r->trust_file, c->trust, c->trust_len);
	r->trust_file_len = c->trust_len;
	r->trust_version = m->e[0].seq;
	note[0] = '\0';
	if (wk_trust_open(&t, c->trust, c->trust_len, trust, NULL) < 0)
		snprintf(note, sizeof(note), "%s", wk_error_msg());
	else if (wk_trust_version(t) != m->e[0].seq)
		snprintf(note, sizeof(note), "the trust file is version %llu, but is named as version %llu",
		         (unsigned long long)wk_trust_version(t), (unsigned long long)m->e[0].seq);
	else
		r->trust_newer = 1;
	wk_trust_free(t);
	wk_error_clear();
	if (!r->trust_newer && !(r->trust_note = strdup(note)))
		return wk_error_set(WK_ELIMIT, "out of memory");
	return 0;
}

static int fill_items(wk_bundle_report *r, const manifest *m)
{
	size_t i;

	if (m->nheld) {
		if (!(r->held = malloc(m->nheld * sizeof(*r->held))))
			return wk_error_set(WK_ELIMIT, "out of memory");
		memcpy(r->held, m->held, m->nheld * sizeof(*r->held));
		r->nheld = m->nheld;
	}
	if (m->n && !(r->items = calloc(m->n, sizeof(*r->items))))
		return wk_error_set(WK_ELIMIT, "out of memory");
	for (i = 0; i < m->n; i++) {
		wk_bundle_item *it;

		if (m->e[i].kind != KIND_ENV)
			continue;
		it = &r->items[r->nitems++];
		strcpy(it->site, m->e[i].site);
		strcpy(it->device, m->e[i].device);
		it->seq = m->e[i].seq;
		it->size = m->e[i].size;
	}
	return 0;
}

/* Pass A and every whole-bundle check; m receives the manifest. */
static int verify(const unsigned char *p, size_t n, const wk_bundle_import_options *o, const wk_trust *trust,
                  manifest *m, wk_bundle_report *r)
{
	contents c;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(m, 0, sizeof(*m));
	if ((rc = wk_tarfile_read_mem(p, n, o->limits, record, &c)) < 0)
		goto out;
	if (!c.have_manifest) {
		rc = refuse(WK_EINVALID, "it has no MANIFEST entry: it is not a wicket bundle");
		goto out;
	}
	if (!c.have_sig) {
		rc = refuse(WK_EBADSIG, "it has no MANIFEST.sig entry: it is not signed");
		goto out;
	}
	if ((rc = manifest_read(m, (const unsigned char *)c.manifest.ptr, c.manifest.len)) < 0)
		goto out;
	snprintf(r->region, sizeof(r->region), "%s", m->region);
	snprintf(r->from, sizeof(r->from), "%s", m->from);
	snprintf(r->for_site, sizeof(r->for_site), "%s", m->for_site);
	memcpy(r->signer, m->signer, 32);
	wk_trust_key_id(r->signer_id, m->signer);
	if (crypto_sign_verify_detached(c.sig, (const unsigned char *)c.manifest.ptr, c.manifest.len, m->signer) != 0) {
		rc = refuse(WK_EBADSIG, "its MANIFEST.sig is not a signature of its MANIFEST by the key it names (%s): "
		            "altered or damaged; get a fresh copy of the bundle", r->signer_id);
		goto out;
	}
	if ((rc = check_listing(&c, m)) < 0 || (rc = offer_trust(r, &c, m, trust)) < 0)
		goto out;
	if (strcmp(m->region, wk_trust_region(trust)) != 0) {
		rc = refuse(WK_ECONFLICT, "it is from region %s, and this store trusts region %s", m->region,
		            wk_trust_region(trust));
		goto out;
	}
	if ((rc = check_signer(trust, m->signer, m->from, &r->signer_role)) < 0) {
		char msg[800];

		snprintf(msg, sizeof(msg), "%s", wk_error_msg());
		rc = refuse(rc, "%s", msg);
		goto out;
	}
	rc = fill_items(r, m);
out:
	if (rc < 0)
		manifest_free(m);
	contents_free(&c);
	return rc;
}

/* ---- import: pass B, applying ------------------------------------------ */

typedef struct {
	const wk_bundle_import_options *o;
	const manifest *m;
	wk_bundle_report *r;
	size_t next;             /* the manifest entry expected next */
	size_t item;             /* the report item of the next envelope */
	const char *blocked_site, *blocked_device;
	uint64_t blocked_seq;
} applier;

/* Failures of the store, not of the envelope: they stop the import (it can be run again). */
static int store_failure(int rc)
{
	return rc == WK_ELOCKED || rc == WK_EREADONLY || rc == WK_ENOSPACE || rc == WK_EIO || rc == WK_ECORRUPT ||
	       rc == WK_ENOTSTORE || rc == WK_EUSAGE;
}

static int set_reason(wk_bundle_item *it, int outcome, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int set_reason(wk_bundle_item *it, int outcome, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	it->outcome = outcome;
	it->code = code;
	if (!(it->reason = strdup(msg)))
		return wk_error_set(WK_ELIMIT, "out of memory");
	return 0;
}

static int apply_one(const char *name, const unsigned char *data, size_t len, void *arg)
{
	applier *a = arg;
	const entry *e;
	wk_bundle_item *it;
	wk_store *st;
	unsigned char hash[32];
	char msg[1024];
	int rc;

	if (strcmp(name, MANIFEST) == 0 || strcmp(name, MANIFEST_SIG) == 0)
		return 0;
	e = a->next < a->m->n ? &a->m->e[a->next++] : NULL;
	crypto_generichash(hash, 32, data, len, NULL, 0);
	if (!e || strcmp(e->name, name) != 0 || e->size != len || sodium_memcmp(hash, e->hash, 32) != 0)
		return wk_error_set(WK_ECORRUPT, "bundle entry '%s' changed while it was being imported; "
		                    "nothing more was applied; import it again from a stable copy", name);
	if (e->kind != KIND_ENV)
		return 0;
	it = &a->r->items[a->item++];
	if (a->blocked_site && cmp_chain(a->blocked_site, a->blocked_device, e->site, e->device) == 0)
		return set_reason(it, WK_BUNDLE_BLOCKED, 0, "follows changeset %s/%s #%llu, which was refused",
		                  e->site, e->device, (unsigned long long)a->blocked_seq);
	if (!(st = a->o->store_for_site(a->o->store_ctx, e->site)))
		return set_reason(it, WK_BUNDLE_NOT_FOR_US, 0, "not for this store: no store here for site %s", e->site);
	rc = wk_ledger_accept(st, a->o->keys, data, len, a->o->source ? a->o->source : "bundle");
	if (rc == WK_LEDGER_APPLIED || rc == WK_LEDGER_DUPLICATE) {
		it->outcome = rc == WK_LEDGER_APPLIED ? WK_BUNDLE_APPLIED : WK_BUNDLE_DUPLICATE;
		return 0;
	}
	if (rc == WK_LEDGER_WAITING)
		return set_reason(it, WK_BUNDLE_WAITING, 0, "%s", wk_error_msg());
	if (rc >= 0)
		return wk_error_set(WK_ERROR, "the ledger returned an unknown result (%d)", rc);
	snprintf(msg, sizeof(msg), "%s", wk_error_msg());
	if (store_failure(rc))
		return wk_error_set(rc, "import stopped at changeset %s/%s #%llu: %s; what was applied before it stays "
		                    "applied, and importing the bundle again completes it", e->site, e->device,
		                    (unsigned long long)e->seq, msg);
	a->blocked_site = e->site;
	a->blocked_device = e->device;
	a->blocked_seq = e->seq;
	return set_reason(it, WK_BUNDLE_REFUSED, rc, "%s", msg);
}

static void count_outcomes(wk_bundle_report *r)
{
	size_t i;

	r->applied = r->duplicate = r->not_for_us = r->blocked = r->refused = r->waiting = 0;
	for (i = 0; i < r->nitems; i++)
		switch (r->items[i].outcome) {
		case WK_BUNDLE_APPLIED: r->applied++; break;
		case WK_BUNDLE_DUPLICATE: r->duplicate++; break;
		case WK_BUNDLE_NOT_FOR_US: r->not_for_us++; break;
		case WK_BUNDLE_BLOCKED: r->blocked++; break;
		case WK_BUNDLE_REFUSED: r->refused++; break;
		case WK_BUNDLE_WAITING: r->waiting++; break;
		default: break;
		}
}

static const wk_trust *trust_of(const wk_bundle_import_options *o)
{
	return !o ? NULL : o->trust ? o->trust : o->keys ? o->keys->trust : NULL;
}

/* A changeset that waited for one later in the bundle was applied with it: say so. */
static void settle_waiting(const wk_bundle_import_options *o, wk_bundle_report *r)
{
	size_t i;

	for (i = 0; i < r->nitems; i++) {
		wk_bundle_item *it = &r->items[i];
		wk_store *st;

		if (it->outcome != WK_BUNDLE_WAITING || !(st = o->store_for_site(o->store_ctx, it->site)))
			continue;
		if (wk_ledger_holds(st, it->site, it->device, (long long)it->seq) == 1) {
			it->outcome = WK_BUNDLE_APPLIED;
			free(it->reason);
			it->reason = NULL;
		}
	}
}

static int run(const unsigned char *p, size_t n, const wk_bundle_import_options *o, wk_bundle_report *r, int apply)
{
	manifest m;
	applier a;
	int rc;

	if (!r)
		return wk_error_set(WK_EUSAGE, "bundle import: missing report");
	wk_bundle_report_free(r);
	if (!p || !trust_of(o))
		return wk_error_set(WK_EUSAGE, "bundle import: missing bundle or trust");
	if (apply && (!o->keys || !o->store_for_site))
		return wk_error_set(WK_EUSAGE, "bundle import: missing keys or store_for_site");
	if (sodium_init() < 0)
		return wk_error_set(WK_ERROR, "cannot start the crypto library");
	if ((rc = verify(p, n, o, trust_of(o), &m, r)) < 0 || !apply)
		goto out;
	memset(&a, 0, sizeof(a));
	a.o = o;
	a.m = &m;
	a.r = r;
	rc = wk_tarfile_read_mem(p, n, o->limits, apply_one, &a);
	settle_waiting(o, r);
	count_outcomes(r);
out:
	manifest_free(&m);
	return rc;
}

/* Read the regular file at path into *out (malloc'd), once, refused by its size first; never blocks on a FIFO. */
static int read_bundle(unsigned char **out, size_t *n, const char *path, const wk_tarfile_limits *lim)
{
	wk_tarfile_limits def = WK_TARFILE_LIMITS_INIT;
	size_t max = lim && lim->max_bytes ? lim->max_bytes : def.max_bytes, size = 0, got = 0;
	unsigned char *p = NULL;
	struct stat sb;
	ssize_t k;
	int fd, rc = 0;

	*out = NULL;
	*n = 0;
	if (!path)
		return wk_error_set(WK_EUSAGE, "bundle import: missing path");
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) < 0)
		return wk_error_set(errno == ENOENT ? WK_ENOTFOUND : WK_EIO, "cannot open bundle '%s': %s", path,
		                    strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		rc = wk_error_set(WK_EINVALID, "bundle '%s' is not a regular file; refused", path);
		goto out;
	}
	if ((uint64_t)sb.st_size > max || sb.st_size == 0) {
		rc = wk_error_set(sb.st_size ? WK_ELIMIT : WK_EINVALID, "bundle '%s' is %lld bytes: %s", path,
		                  (long long)sb.st_size, sb.st_size ? "over the cap; refused" : "empty; refused");
		goto out;
	}
	size = (size_t)sb.st_size;
	if (!(p = malloc(size + 1))) {
		rc = wk_error_set(WK_ELIMIT, "out of memory reading bundle '%s'", path);
		goto out;
	}
	/* One byte more than the size, to see a file that grew while it was read. */
	while (got <= size && (k = read(fd, p + got, size + 1 - got)) != 0) {
		if (k < 0) {
			if (errno == EINTR)
				continue;
			rc = wk_error_set(WK_EIO, "cannot read bundle '%s': %s", path, strerror(errno));
			goto out;
		}
		got += (size_t)k;
	}
	if (got != size)
		rc = wk_error_set(WK_EIO, "bundle '%s' changed while it was read; refused", path);
out:
	close(fd);
	if (rc < 0)
		free(p);
	else {
		*out = p;
		*n = size;
	}
	return rc;
}

int wk_bundle_import(const unsigned char *p, size_t n, const wk_bundle_import_options *o,
                     wk_bundle_report *report)
{
	return run(p, n, o, report, 1);
}

int wk_bundle_inspect(const unsigned char *p, size_t n, const wk_bundle_import_options *o,
                      wk_bundle_report *report)
{
	return run(p, n, o, report, 0);
}

static int run_file(const char *path, const wk_bundle_import_options *o, wk_bundle_report *r, int apply)
{
	unsigned char *p = NULL;
	size_t n = 0;
	int rc;

	if (r)
		wk_bundle_report_free(r);
	if ((rc = read_bundle(&p, &n, path, o ? o->limits : NULL)) == 0)
		rc = run(p, n, o, r, apply);
	free(p);
	return rc;
}

int wk_bundle_import_file(const char *path, const wk_bundle_import_options *o, wk_bundle_report *report)
{
	return run_file(path, o, report, 1);
}

int wk_bundle_inspect_file(const char *path, const wk_bundle_import_options *o, wk_bundle_report *report)
{
	return run_file(path, o, report, 0);
}

/* ---- the report --------------------------------------------------------- */

void wk_bundle_report_free(wk_bundle_report *r)
{
	wk_bundle_report init = WK_BUNDLE_REPORT_INIT;
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nitems; i++)
		free(r->items[i].reason);
	free(r->items);
	free(r->held);
	free(r->trust_file);
	free(r->trust_note);
	*r = init;
}

const char *wk_bundle_outcome_name(int outcome)
{
	switch (outcome) {
	case WK_BUNDLE_LISTED: return "listed";
	case WK_BUNDLE_APPLIED: return "applied";
	case WK_BUNDLE_DUPLICATE: return "duplicate";
	case WK_BUNDLE_NOT_FOR_US: return "not for this store";
	case WK_BUNDLE_BLOCKED: return "blocked";
	case WK_BUNDLE_REFUSED: return "refused";
	case WK_BUNDLE_WAITING: return "waiting";
	default: return "unknown";
	}
}

int wk_bundle_report_json(wk_buf *out, const wk_bundle_report *r)
{
	char hex[65];
	size_t i;

	sodium_bin2hex(hex, sizeof(hex), r->signer, 32);
	wk_buf_puts(out, "{\"region\":");
	wk_buf_json_str(out, r->region);
	wk_buf_puts(out, ",\"from\":");
	wk_buf_json_str(out, r->from);
	wk_buf_puts(out, ",\"for\":");
	wk_buf_json_str(out, r->for_site);
	wk_buf_printf(out, ",\"signer\":\"%s\",\"signer_role\":", hex);
	wk_buf_json_str(out, r->signer_role ? wk_trust_role_name(r->signer_role) : NULL);
	wk_buf_printf(out, ",\"applied\":%zu,\"duplicate\":%zu,\"not_for_us\":%zu,\"blocked\":%zu,\"refused\":%zu,"
	              "\"waiting\":%zu,\"held\":[", r->applied, r->duplicate, r->not_for_us, r->blocked, r->refused,
	              r->waiting);
	for (i = 0; i < r->nheld; i++) {
		wk_buf_puts(out, i ? ",{\"site\":" : "{\"site\":");
		wk_buf_json_str(out, r->held[i].site);
		wk_buf_puts(out, ",\"device\":");
		wk_buf_json_str(out, r->held[i].device);
		wk_buf_printf(out, ",\"seq\":%llu}", (unsigned long long)r->held[i].seq);
	}
	wk_buf_puts(out, "],\"trust\":");
	if (r->trust_file) {
		wk_buf_printf(out, "{\"version\":%llu,\"newer\":%s,\"note\":", (unsigned long long)r->trust_version,
		              r->trust_newer ? "true" : "false");
		wk_buf_json_str(out, r->trust_note);
		wk_buf_putc(out, '}');
	} else {
		wk_buf_puts(out, "null");
	}
	wk_buf_puts(out, ",\"items\":[");
	for (i = 0; i < r->nitems; i++) {
		const wk_bundle_item *it = &r->items[i];

		wk_buf_puts(out, i ? ",{\"site\":" : "{\"site\":");
		wk_buf_json_str(out, it->site);
		wk_buf_puts(out, ",\"device\":");
		wk_buf_json_str(out, it->device);
		wk_buf_printf(out, ",\"seq\":%llu,\"size\":%zu,\"outcome\":", (unsigned long long)it->seq, it->size);
		wk_buf_json_str(out, wk_bundle_outcome_name(it->outcome));
		wk_buf_puts(out, ",\"reason\":");
		wk_buf_json_str(out, it->reason);
		wk_buf_putc(out, '}');
	}
	wk_buf_puts(out, "]}");
	return wk_buf_check(out, "bundle report");
}
