/*
 * changeset.c - the changeset value, its invariants, its canonical encoding
 * and its strict decoder. See changeset.h; the byte layout is
 * docs/format/changeset.md.
 *
 * Layout (all integers big-endian, fixed width; str = u32 length + bytes;
 * opt = u8 0 (absent) or u8 1 then str):
 *
 *   "WKCS" u32 format  str site  str device  u64 seq  32 prev  u32 schema
 *   u32 ncatalogue { str id }  u32 ndepends { str "device:seq" }
 *   u64 hlc_min  u64 hlc_max
 *   u32 nops { u64 seq  u64 hlc  u8 kind  str person  str entity  str id
 *              opt field  opt old  opt new  opt parents }
 *
 * One function decides what a valid changeset is (wk_changeset_check); the
 * encoder runs it before writing, the decoder after reading, so the two
 * accept the same set of values and the encoding stays one-to-one.
 */
#include "changeset.h"
#include "error.h"
#include "field.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char magic[4] = { 'W', 'K', 'C', 'S' };

/* The domain prefix of the hash: "wicket.changeset.v1" and its NUL, 20 bytes. */
static const char hash_prefix[] = "wicket.changeset.v1";

#define KIND_CREATE 1
#define KIND_SET 2

/* Bytes before the catalogue, besides the two codes; and between it and the ops. */
#define HEAD_FIXED (4 + 4 + 4 + 4 + 8 + WK_CHANGESET_HASH_BYTES + 4 + 4)
#define MID_FIXED (4 + 8 + 8 + 4)
/* The smallest encodings of a catalogue id, a dependency ("ab:1") and an op (one-byte person, entity, id). */
#define MIN_CATALOGUE 5
#define MIN_DEPEND 8
#define MIN_OP (8 + 8 + 1 + 5 + 5 + 5 + 1 + 1 + 1 + 1)
/* A clock or a sequence number in decimal: at most 19 digits (below 2^63). */
#define DEC_MAX 19
/* Codes: the rule of wk_site_code_ok. */
#define CODE_MIN 2
#define CODE_MAX 16

/* The memory behind a changeset's strings: 64 KiB blocks; a large string gets its own. */
struct wk_changeset_mem {
	struct wk_changeset_mem *next;
	size_t used, cap;
	char data[];
};

#define MEM_BLOCK ((size_t)64 << 10)
#define MEM_OWN (MEM_BLOCK / 4)

static char *mem_alloc(wk_changeset *cs, size_t size)
{
	struct wk_changeset_mem *m = cs->mem_, *b;

	if (size >= MEM_OWN) {
		if (!(b = malloc(sizeof(*b) + size)))
			return NULL;
		b->used = b->cap = size;
		b->next = m ? m->next : NULL;
		if (m)
			m->next = b;
		else
			cs->mem_ = b;
		return b->data;
	}
	if (!m || m->cap - m->used < size) {
		if (!(b = malloc(sizeof(*b) + MEM_BLOCK)))
			return NULL;
		b->used = 0;
		b->cap = MEM_BLOCK;
		b->next = m;
		cs->mem_ = m = b;
	}
	m->used += size;
	return m->data + m->used - size;
}

/* A NUL-terminated copy of len bytes, in the changeset's memory. */
static char *mem_copy(wk_changeset *cs, const void *s, size_t len)
{
	char *p = mem_alloc(cs, len + 1);

	if (!p)
		return NULL;
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void wk_changeset_free(wk_changeset *cs)
{
	struct wk_changeset_mem *m, *next;

	if (!cs)
		return;
	for (m = cs->mem_; m; m = next) {
		next = m->next;
		free(m);
	}
	free(cs->ops);
	free(cs->catalogue);
	free(cs->depends);
	free(cs);
}

/* ---- the classes of strings ---------------------------------------------- */

/* Valid UTF-8 (shortest forms, no surrogates, at most U+10FFFF) with no NUL. */
static int utf8_ok(const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len;

	while (p < end) {
		unsigned c = *p, cp;
		size_t k, i;

		if (c < 0x80) {
			if (c == 0)
				return 0;
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) { k = 1; cp = c & 0x1f; }
		else if (c >= 0xe0 && c <= 0xef) { k = 2; cp = c & 0x0f; }
		else if (c >= 0xf0 && c <= 0xf4) { k = 3; cp = c & 0x07; }
		else return 0;
		if ((size_t)(end - p) <= k)
			return 0;
		for (i = 1; i <= k; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += k + 1;
	}
	return 1;
}

typedef enum { CLASS_CODE, CLASS_NAME, CLASS_TEXT, CLASS_VALUE, CLASS_DEPEND, CLASS_PARENTS } str_class;

typedef struct {
	size_t max_value, max_name;
	int limit_code; /* the code for a string over its cap */
} caps;

/*
 * Check len bytes at s against a class: 0, or the error set with a message
 * "<where><what> ...". Never quotes the string (it may be hostile).
 */
/*
 * "<code><sep><decimal>" at s (len bytes): a code, the separator, then 1 to 19
 * digits without a leading zero, below 2^63 (and not 0 unless zero_ok).
 */
static int coded_number(const char *s, size_t len, char sep, int zero_ok)
{
	const char *at = memchr(s, sep, len);
	size_t code, digits, i;
	unsigned long long v = 0;

	if (!at)
		return 0;
	code = (size_t)(at - s);
	digits = len - code - 1;
	if (code < CODE_MIN || code > CODE_MAX || !wk_field_is_code_n(s, code) || digits < 1 || digits > DEC_MAX)
		return 0;
	for (i = 0; i < digits; i++) {
		if (at[1 + i] < '0' || at[1 + i] > '9')
			return 0;
		v = v * 10 + (unsigned)(at[1 + i] - '0');
	}
	if (digits > 1 && at[1] == '0')
		return 0;
	return v <= (unsigned long long)INT64_MAX && (zero_ok || v > 0);
}

/* A parents list: "<device>@<clock>" entries joined by ',', sorted bytewise, unique. */
static int parents_ok(const char *s, size_t len)
{
	const char *p = s, *end = s + len, *prev = NULL;
	size_t prev_len = 0, n = 0;

	if (len == 0)
		return 0;
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t l = comma ? (size_t)(comma - p) : (size_t)(end - p);
		int c;

		if (++n > WK_CHANGESET_MAX_PARENTS || !coded_number(p, l, '@', 1))
			return 0;
		if (prev) {
			c = memcmp(prev, p, prev_len < l ? prev_len : l);
			if (c > 0 || (c == 0 && prev_len >= l))
				return 0;
		}
		prev = p;
		prev_len = l;
		p += l;
		if (comma && ++p == end)
			return 0; /* a trailing comma */
	}
	return 1;
}

static int class_check(str_class k, const char *s, size_t len, const caps *c,
                       const char *where, const char *what)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, max = k == CLASS_VALUE ? c->max_value : k == CLASS_CODE ? CODE_MAX : c->max_name;

	if (k == CLASS_DEPEND) {
		if (len > CODE_MAX + 1 + DEC_MAX || !coded_number(s, len, ':', 0))
			return wk_error_set(WK_EINVALID, "%s%s must be <device>:<sequence>", where, what);
		return 0;
	}
	if (k == CLASS_PARENTS) {
		if (len > WK_CHANGESET_MAX_PARENTS * (CODE_MAX + DEC_MAX + 2) || !parents_ok(s, len))
			return wk_error_set(WK_EINVALID, "%s%s must be <device>@<clock> entries joined by ',', "
			                    "sorted and unique, at most %d", where, what, WK_CHANGESET_MAX_PARENTS);
		return 0;
	}

	if (k == CLASS_CODE) {
		if (len < CODE_MIN || len > CODE_MAX)
			return wk_error_set(WK_EINVALID, "%s%s must be %d to %d characters",
			                    where, what, CODE_MIN, CODE_MAX);
		if (!wk_field_is_code_n(s, len))
			return wk_error_set(WK_EINVALID, "%s%s may hold only letters, digits and '-'", where, what);
		return 0;
	}
	if (len > max)
		return wk_error_set(c->limit_code, "%s%s is %zu bytes; the limit is %zu",
		                    where, what, len, max);
	if (k != CLASS_VALUE && len == 0)
		return wk_error_set(WK_EINVALID, "%s%s is empty", where, what);
	if (k == CLASS_NAME) {
		for (i = 0; i < len; i++)
			if (!((u[i] >= 'a' && u[i] <= 'z') || (u[i] >= '0' && u[i] <= '9') || u[i] == '_'))
				return wk_error_set(WK_EINVALID, "%s%s may hold only a-z, 0-9 and '_'",
				                    where, what);
		return 0;
	}
	if (!utf8_ok(u, len))
		return wk_error_set(WK_EINVALID, "%s%s is not valid UTF-8 (or holds a NUL byte)", where, what);
	return 0;
}

static int cstr_check(str_class k, const char *s, const caps *c, const char *where, const char *what)
{
	if (!s)
		return wk_error_set(WK_EINVALID, "%s%s is missing", where, what);
	return class_check(k, s, strlen(s), c, where, what);
}

static const caps format_caps = { WK_CHANGESET_MAX_VALUE, WK_CHANGESET_MAX_NAME, WK_ELIMIT };

/* ---- sizes ---------------------------------------------------------------- */

static size_t opt_size(const char *s)
{
	return s ? 1 + 4 + strlen(s) : 1;
}

static size_t op_size(const wk_op *op)
{
	return 8 + 8 + 1 + 4 + strlen(op->person) + 4 + strlen(op->entity) + 4 + strlen(op->entity_id) +
	       opt_size(op->field) + opt_size(op->old_value) + opt_size(op->new_value) + opt_size(op->parents);
}

/* Bytes of the encoding; only for a changeset whose strings are all present. */
static size_t total_size(const wk_changeset *cs)
{
	size_t i, n = HEAD_FIXED + strlen(cs->site) + strlen(cs->device) + MID_FIXED;

	for (i = 0; i < cs->ncatalogue; i++)
		n += 4 + strlen(cs->catalogue[i]);
	for (i = 0; i < cs->ndepends; i++)
		n += 4 + strlen(cs->depends[i]);
	for (i = 0; i < cs->nops; i++)
		n += op_size(&cs->ops[i]);
	return n;
}

size_t wk_changeset_size(const wk_changeset *cs)
{
	return cs ? cs->size_ : 0;
}

/* ---- invariants ------------------------------------------------------------ */

static int zero_hash(const unsigned char *h)
{
	unsigned char acc = 0;
	size_t i;

	for (i = 0; i < WK_CHANGESET_HASH_BYTES; i++)
		acc |= h[i];
	return acc == 0;
}

static int kind_of(const char *kind)
{
	if (kind && strcmp(kind, "create") == 0)
		return KIND_CREATE;
	if (kind && strcmp(kind, "set") == 0)
		return KIND_SET;
	return 0;
}

/*
 * One op on its own and after prev (NULL for the first). c->limit_code is
 * the code for a string over its cap.
 */
static int op_check(const wk_changeset *cs, const wk_op *op, const wk_op *prev, size_t idx,
                    const caps *c)
{
	char where[64];
	int rc, kind;

	snprintf(where, sizeof(where), "changeset: op %zu: ", idx + 1);
	if (!op->device || !cs->device || strcmp(op->device, cs->device) != 0)
		return wk_error_set(WK_EINVALID, "%sits device is not the changeset's device "
		                    "(a changeset holds only its own device's operations)", where);
	if (op->seq < 1)
		return wk_error_set(WK_EINVALID, "%sits sequence number must be at least 1", where);
	if (op->hlc < 0)
		return wk_error_set(WK_EINVALID, "%sits clock is negative", where);
	if (prev && op->seq <= prev->seq)
		return wk_error_set(WK_EINVALID, "%sits sequence number is not after the previous op's", where);
	if (prev && op->hlc <= prev->hlc)
		return wk_error_set(WK_EINVALID, "%sits clock is not after the previous op's", where);
	if (!(kind = kind_of(op->kind)))
		return wk_error_set(WK_EINVALID, "%sits kind must be 'create' or 'set'", where);
	if ((rc = cstr_check(CLASS_TEXT, op->person, c, where, "person")) < 0 ||
	    (rc = cstr_check(CLASS_NAME, op->entity, c, where, "record type")) < 0 ||
	    (rc = cstr_check(CLASS_TEXT, op->entity_id, c, where, "record id")) < 0)
		return rc;
	if (kind == KIND_CREATE) {
		if (op->field || op->old_value || op->new_value || op->parents)
			return wk_error_set(WK_EINVALID, "%sa 'create' has no field, no values and no parents", where);
		return 0;
	}
	if (op->parents && (rc = cstr_check(CLASS_PARENTS, op->parents, c, where, "parents")) < 0)
		return rc;
	if ((rc = cstr_check(CLASS_NAME, op->field, c, where, "field")) < 0)
		return rc;
	if (op->old_value && (rc = cstr_check(CLASS_VALUE, op->old_value, c, where, "old value")) < 0)
		return rc;
	if (op->new_value && (rc = cstr_check(CLASS_VALUE, op->new_value, c, where, "new value")) < 0)
		return rc;
	return 0;
}

/* Everything about cs but its ops. */
static int head_check(const wk_changeset *cs)
{
	size_t i;
	int rc;

	if (cs->format != WK_CHANGESET_FORMAT)
		return wk_error_set(WK_EINVALID, "changeset format %u is not %d, the one this wicket writes",
		                    (unsigned)cs->format, WK_CHANGESET_FORMAT);
	if ((rc = cstr_check(CLASS_CODE, cs->site, &format_caps, "changeset: ", "site code")) < 0 ||
	    (rc = cstr_check(CLASS_CODE, cs->device, &format_caps, "changeset: ", "device code")) < 0)
		return rc;
	if (cs->seq < 1)
		return wk_error_set(WK_EINVALID, "changeset: the sequence number must be at least 1");
	if (cs->seq == 1 && !zero_hash(cs->prev))
		return wk_error_set(WK_EINVALID, "changeset: sequence 1 has no previous changeset, "
		                    "so its previous hash must be all zero");
	if (cs->seq > 1 && zero_hash(cs->prev))
		return wk_error_set(WK_EINVALID, "changeset: sequence %llu must carry its previous "
		                    "changeset's hash", (unsigned long long)cs->seq);
	if (cs->schema_version < 1)
		return wk_error_set(WK_EINVALID, "changeset: the schema version must be at least 1");
	if (cs->ncatalogue > WK_CHANGESET_MAX_CATALOGUE)
		return wk_error_set(WK_ELIMIT, "changeset: %zu catalogue documents; the limit is %zu",
		                    cs->ncatalogue, WK_CHANGESET_MAX_CATALOGUE);
	for (i = 0; i < cs->ncatalogue; i++) {
		if ((rc = cstr_check(CLASS_TEXT, cs->catalogue[i], &format_caps, "changeset: ",
		                     "a catalogue id")) < 0)
			return rc;
		if (i > 0 && strcmp(cs->catalogue[i - 1], cs->catalogue[i]) >= 0)
			return wk_error_set(WK_EINVALID, "changeset: catalogue id %zu is not after the one "
			                    "before it (ids are sorted bytewise and unique)", i + 1);
	}
	if (cs->ndepends > WK_CHANGESET_MAX_DEPENDS)
		return wk_error_set(WK_ELIMIT, "changeset: %zu dependencies; the limit is %zu",
		                    cs->ndepends, WK_CHANGESET_MAX_DEPENDS);
	for (i = 0; i < cs->ndepends; i++) {
		size_t dl;

		if ((rc = cstr_check(CLASS_DEPEND, cs->depends[i], &format_caps, "changeset: ", "a dependency")) < 0)
			return rc;
		dl = (size_t)(strchr(cs->depends[i], ':') - cs->depends[i]);
		if (dl == strlen(cs->device) && memcmp(cs->depends[i], cs->device, dl) == 0)
			return wk_error_set(WK_EINVALID, "changeset: dependency %zu names its own device", i + 1);
		if (i > 0 && strcmp(cs->depends[i - 1], cs->depends[i]) >= 0)
			return wk_error_set(WK_EINVALID, "changeset: dependency %zu is not after the one "
			                    "before it (sorted bytewise and unique)", i + 1);
		/* Sorted, so two entries of one device would be neighbours. */
		if (i > 0 && strncmp(cs->depends[i - 1], cs->depends[i], dl + 1) == 0)
			return wk_error_set(WK_EINVALID, "changeset: dependency %zu names a device twice", i + 1);
	}
	return 0;
}

int wk_changeset_check(const wk_changeset *cs)
{
	size_t i, size;
	int rc;

	if (!cs)
		return wk_error_set(WK_EUSAGE, "no changeset given");
	if ((rc = head_check(cs)) < 0)
		return rc;
	if (cs->nops == 0)
		return wk_error_set(WK_EINVALID, "changeset: it holds no operations");
	if (cs->nops > WK_CHANGESET_MAX_OPS)
		return wk_error_set(WK_ELIMIT, "changeset: %zu operations; the limit is %zu",
		                    cs->nops, WK_CHANGESET_MAX_OPS);
	for (i = 0; i < cs->nops; i++)
		if ((rc = op_check(cs, &cs->ops[i], i ? &cs->ops[i - 1] : NULL, i, &format_caps)) < 0)
			return rc;
	if (cs->hlc_min != cs->ops[0].hlc || cs->hlc_max != cs->ops[cs->nops - 1].hlc)
		return wk_error_set(WK_EINVALID, "changeset: its clock range is not that of its first "
		                    "and last operations");
	if ((size = total_size(cs)) > WK_CHANGESET_MAX_BYTES)
		return wk_error_set(WK_ELIMIT, "changeset: it would be %zu bytes; the limit is %zu",
		                    size, WK_CHANGESET_MAX_BYTES);
	return 0;
}

/* ---- building ------------------------------------------------------------- */

int wk_changeset_new(wk_changeset **out, const char *site, const char *device, uint64_t seq,
                     const unsigned char *prev, uint32_t schema_version)
{
	wk_changeset *cs;
	int rc;

	if (!out)
		return wk_error_set(WK_EUSAGE, "wk_changeset_new: no output given");
	*out = NULL;
	if (!(cs = calloc(1, sizeof(*cs))))
		return wk_error_set(WK_ELIMIT, "out of memory making a changeset");
	cs->format = WK_CHANGESET_FORMAT;
	cs->seq = seq;
	if (prev)
		memcpy(cs->prev, prev, WK_CHANGESET_HASH_BYTES);
	cs->schema_version = schema_version;
	cs->site = (char *)site;
	cs->device = (char *)device;
	if ((rc = head_check(cs)) < 0)
		goto fail;
	cs->site = mem_copy(cs, site, strlen(site));
	cs->device = cs->site ? mem_copy(cs, device, strlen(device)) : NULL;
	if (!cs->device) {
		rc = wk_error_set(WK_ELIMIT, "out of memory making a changeset");
		goto fail;
	}
	cs->size_ = HEAD_FIXED + strlen(site) + strlen(device) + MID_FIXED;
	*out = cs;
	return 0;
fail:
	cs->site = cs->device = NULL;
	wk_changeset_free(cs);
	return rc;
}

/* Insert a copy of s in its sorted place in a list of the changeset (once). */
static int list_insert(wk_changeset *cs, char ***list, size_t *n, size_t *cap, size_t max,
                       const char *s, const char *what)
{
	size_t i, lo = 0, hi = *n, len = strlen(s);
	char *copy;
	int c;

	while (lo < hi) {
		i = lo + (hi - lo) / 2;
		c = strcmp((*list)[i], s);
		if (c == 0)
			return 0;
		if (c < 0)
			lo = i + 1;
		else
			hi = i;
	}
	if (*n >= max)
		return wk_error_set(WK_ELIMIT, "changeset: more than %zu %s", max, what);
	if (cs->size_ + 4 + len > WK_CHANGESET_MAX_BYTES)
		return wk_error_set(WK_ELIMIT, "changeset: it is full (%zu bytes)", WK_CHANGESET_MAX_BYTES);
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		char **p = realloc(*list, ncap * sizeof(*p));

		if (!p)
			return wk_error_set(WK_ELIMIT, "out of memory adding to a changeset");
		*list = p;
		*cap = ncap;
	}
	if (!(copy = mem_copy(cs, s, len)))
		return wk_error_set(WK_ELIMIT, "out of memory adding to a changeset");
	memmove(*list + lo + 1, *list + lo, (*n - lo) * sizeof(char *));
	(*list)[lo] = copy;
	(*n)++;
	cs->size_ += 4 + len;
	return 0;
}

int wk_changeset_add_catalogue(wk_changeset *cs, const char *id)
{
	int rc;

	if (!cs)
		return wk_error_set(WK_EUSAGE, "no changeset given");
	if ((rc = cstr_check(CLASS_TEXT, id, &format_caps, "changeset: ", "catalogue id")) < 0)
		return rc;
	return list_insert(cs, &cs->catalogue, &cs->ncatalogue, &cs->cap_catalogue_, WK_CHANGESET_MAX_CATALOGUE,
	                   id, "catalogue documents");
}

int wk_changeset_add_depend(wk_changeset *cs, const char *device, uint64_t seq)
{
	char dep[CODE_MAX + DEC_MAX + 8];
	size_t i, dl;
	int rc;

	if (!cs || !device)
		return wk_error_set(WK_EUSAGE, "no changeset or device given");
	snprintf(dep, sizeof(dep), "%.*s:%llu", CODE_MAX + 1, device, (unsigned long long)seq);
	if ((rc = cstr_check(CLASS_DEPEND, dep, &format_caps, "changeset: ", "dependency")) < 0)
		return rc;
	if (strcmp(device, cs->device) == 0)
		return wk_error_set(WK_EINVALID, "changeset: a dependency on its own device");
	dl = strlen(device);
	for (i = 0; i < cs->ndepends; i++)
		if (strncmp(cs->depends[i], device, dl) == 0 && cs->depends[i][dl] == ':')
			return wk_error_set(WK_EINVALID, "changeset: device %s is a dependency already", device);
	return list_insert(cs, &cs->depends, &cs->ndepends, &cs->cap_depends_, WK_CHANGESET_MAX_DEPENDS,
	                   dep, "dependencies");
}

/* A copy of s (NULL stays NULL) into *dst; 0 or -1 when memory ran out. */
static int copy_opt(wk_changeset *cs, const char **dst, const char *s)
{
	*dst = NULL;
	if (!s)
		return 0;
	*dst = mem_copy(cs, s, strlen(s));
	return *dst ? 0 : -1;
}

int wk_changeset_add_op(wk_changeset *cs, const wk_op *op)
{
	caps c = { WK_CHANGESET_MAX_VALUE, WK_CHANGESET_MAX_NAME, WK_EINVALID };
	wk_op o;
	size_t size;
	int rc;

	if (!cs || !op)
		return wk_error_set(WK_EUSAGE, "no changeset or operation given");
	if ((rc = op_check(cs, op, cs->nops ? &cs->ops[cs->nops - 1] : NULL, cs->nops, &c)) < 0)
		return rc;
	size = op_size(op);
	if (cs->nops > 0 && (cs->nops >= WK_CHANGESET_MAX_OPS ||
	                     cs->size_ + size > WK_CHANGESET_MAX_BYTES))
		return wk_error_set(WK_ELIMIT, "changeset: it is full; seal it and start the next one");
	if (cs->nops == cs->cap_ops_) {
		size_t ncap = cs->cap_ops_ ? cs->cap_ops_ * 2 : 16;
		wk_op *p = realloc(cs->ops, ncap * sizeof(*p));

		if (!p)
			return wk_error_set(WK_ELIMIT, "out of memory adding to a changeset");
		cs->ops = p;
		cs->cap_ops_ = ncap;
	}
	o.seq = op->seq;
	o.hlc = op->hlc;
	o.device = cs->device;
	o.kind = kind_of(op->kind) == KIND_CREATE ? "create" : "set";
	if (copy_opt(cs, &o.person, op->person) < 0 || copy_opt(cs, &o.entity, op->entity) < 0 ||
	    copy_opt(cs, &o.entity_id, op->entity_id) < 0 || copy_opt(cs, &o.field, op->field) < 0 ||
	    copy_opt(cs, &o.old_value, op->old_value) < 0 || copy_opt(cs, &o.new_value, op->new_value) < 0 ||
	    copy_opt(cs, &o.parents, op->parents) < 0)
		return wk_error_set(WK_ELIMIT, "out of memory adding to a changeset");
	if (cs->nops == 0)
		cs->hlc_min = o.hlc;
	cs->hlc_max = o.hlc;
	cs->ops[cs->nops++] = o;
	cs->size_ += size;
	return 0;
}

/* ---- encoding -------------------------------------------------------------- */

static void put_str(wk_buf *b, const char *s)
{
	size_t len = strlen(s);

	wk_buf_put_be(b, (uint32_t)len, 4);
	wk_buf_put(b, s, len);
}

static void put_opt(wk_buf *b, const char *s)
{
	wk_buf_putc(b, s ? 1 : 0);
	if (s)
		put_str(b, s);
}

int wk_changeset_encode(wk_buf *out, const wk_changeset *cs)
{
	size_t i, size;
	int rc;

	if (!out)
		return wk_error_set(WK_EUSAGE, "wk_changeset_encode: no output buffer given");
	wk_buf_clear(out);
	if ((rc = wk_changeset_check(cs)) < 0)
		return rc;
	size = total_size(cs);
	if (wk_buf_grow(out, size) < 0) {
		rc = wk_buf_check(out, "changeset");
		goto out;
	}
	wk_buf_put(out, magic, sizeof(magic));
	wk_buf_put_be(out, cs->format, 4);
	put_str(out, cs->site);
	put_str(out, cs->device);
	wk_buf_put_be(out, cs->seq, 8);
	wk_buf_put(out, cs->prev, WK_CHANGESET_HASH_BYTES);
	wk_buf_put_be(out, cs->schema_version, 4);
	wk_buf_put_be(out, (uint32_t)cs->ncatalogue, 4);
	for (i = 0; i < cs->ncatalogue; i++)
		put_str(out, cs->catalogue[i]);
	wk_buf_put_be(out, (uint32_t)cs->ndepends, 4);
	for (i = 0; i < cs->ndepends; i++)
		put_str(out, cs->depends[i]);
	wk_buf_put_be(out, (uint64_t)cs->hlc_min, 8);
	wk_buf_put_be(out, (uint64_t)cs->hlc_max, 8);
	wk_buf_put_be(out, (uint32_t)cs->nops, 4);
	for (i = 0; i < cs->nops; i++) {
		const wk_op *op = &cs->ops[i];

		wk_buf_put_be(out, (uint64_t)op->seq, 8);
		wk_buf_put_be(out, (uint64_t)op->hlc, 8);
		wk_buf_putc(out, (char)kind_of(op->kind));
		put_str(out, op->person);
		put_str(out, op->entity);
		put_str(out, op->entity_id);
		put_opt(out, op->field);
		put_opt(out, op->old_value);
		put_opt(out, op->new_value);
		put_opt(out, op->parents);
	}
	if ((rc = wk_buf_check(out, "changeset")) < 0)
		goto out;
	if (out->len != size)
		rc = wk_error_set(WK_ERROR, "changeset encoding is %zu bytes, not the %zu expected (a bug)",
		                  out->len, size);
out:
	if (rc < 0)
		wk_buf_clear(out);
	return rc;
}

/* ---- decoding -------------------------------------------------------------- */

typedef struct {
	const unsigned char *p;
	size_t n, off;
	caps caps;
} reader;

static int need(reader *r, size_t k, const char *what)
{
	if (r->n - r->off < k)
		return wk_error_set(WK_EINVALID, "changeset is truncated: %s at byte %zu needs %zu bytes, "
		                    "%zu remain", what, r->off, k, r->n - r->off);
	return 0;
}

static int get_u8(reader *r, unsigned *v, const char *what)
{
	int rc = need(r, 1, what);

	if (rc == 0)
		*v = r->p[r->off++];
	return rc;
}

static int get_u32(reader *r, uint32_t *v, const char *what)
{
	const unsigned char *q;
	int rc = need(r, 4, what);

	if (rc < 0)
		return rc;
	q = r->p + r->off;
	*v = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
	r->off += 4;
	return 0;
}

static int get_u64(reader *r, uint64_t *v, const char *what)
{
	uint32_t hi, lo;
	int rc;

	if ((rc = get_u32(r, &hi, what)) < 0 || (rc = get_u32(r, &lo, what)) < 0)
		return rc;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

/* A u64 that must fit an int64 (op seq, clocks). */
static int get_i64(reader *r, int64_t *v, const char *what)
{
	size_t at = r->off;
	uint64_t u;
	int rc;

	if ((rc = get_u64(r, &u, what)) < 0)
		return rc;
	if (u > (uint64_t)INT64_MAX)
		return wk_error_set(WK_EINVALID, "changeset: %s at byte %zu is out of range", what, at);
	*v = (int64_t)u;
	return 0;
}

/* A string of class k into the changeset's memory; checked on the raw bytes. */
static int get_str(reader *r, wk_changeset *cs, str_class k, const char **out, const char *what)
{
	char where[48];
	uint32_t len;
	size_t at = r->off;
	int rc;

	if ((rc = get_u32(r, &len, what)) < 0)
		return rc;
	snprintf(where, sizeof(where), "changeset: at byte %zu: ", at);
	if (k == CLASS_CODE && (len < CODE_MIN || len > CODE_MAX))
		return wk_error_set(WK_EINVALID, "%s%s must be %d to %d characters", where, what,
		                    CODE_MIN, CODE_MAX);
	/*
	 * The caps are for names, text and values; a dependency or a parents list
	 * has its own longest form (up to 64 entries), which class_check applies
	 * once the bytes are known to be there.
	 */
	if ((k == CLASS_NAME || k == CLASS_TEXT || k == CLASS_VALUE) &&
	    len > (k == CLASS_VALUE ? r->caps.max_value : r->caps.max_name))
		return wk_error_set(WK_ELIMIT, "%s%s is %lu bytes; the limit is %zu", where, what,
		                    (unsigned long)len, k == CLASS_VALUE ? r->caps.max_value : r->caps.max_name);
	if ((rc = need(r, len, what)) < 0 ||
	    (rc = class_check(k, (const char *)r->p + r->off, len, &r->caps, where, what)) < 0)
		return rc;
	if (!(*out = mem_copy(cs, r->p + r->off, len)))
		return wk_error_set(WK_ELIMIT, "out of memory reading a changeset");
	r->off += len;
	return 0;
}

/* An optional string: tag 0 (absent) or 1 (present) then the string. */
static int get_opt(reader *r, wk_changeset *cs, str_class k, const char **out, const char *what)
{
	size_t at = r->off;
	unsigned tag = 0;
	int rc;

	*out = NULL;
	if ((rc = get_u8(r, &tag, what)) < 0)
		return rc;
	if (tag == 0)
		return 0;
	if (tag != 1)
		return wk_error_set(WK_EINVALID, "changeset: at byte %zu: %s has presence tag %u; "
		                    "only 0 and 1 exist", at, what, tag);
	return get_str(r, cs, k, out, what);
}

/* A count that is within cap and for which the remaining bytes have room (each at least min). */
static int get_count(reader *r, size_t *out, size_t cap, size_t min, const char *what)
{
	size_t at = r->off;
	uint32_t v;
	int rc;

	if ((rc = get_u32(r, &v, what)) < 0)
		return rc;
	if (v > cap)
		return wk_error_set(WK_ELIMIT, "changeset: at byte %zu: %lu %s; the limit is %zu",
		                    at, (unsigned long)v, what, cap);
	if ((size_t)v > (r->n - r->off) / min)
		return wk_error_set(WK_EINVALID, "changeset is truncated: %lu %s claimed at byte %zu "
		                    "cannot fit in the %zu bytes that remain", (unsigned long)v, what, at,
		                    r->n - r->off);
	*out = v;
	return 0;
}

static int get_op(reader *r, wk_changeset *cs, wk_op *op)
{
	size_t at = r->off;
	unsigned kind = 0;
	int rc;

	op->device = cs->device;
	if ((rc = get_i64(r, &op->seq, "op sequence number")) < 0 ||
	    (rc = get_i64(r, &op->hlc, "op clock")) < 0 ||
	    (rc = get_u8(r, &kind, "op kind")) < 0)
		return rc;
	if (kind != KIND_CREATE && kind != KIND_SET)
		return wk_error_set(WK_EINVALID, "changeset: op at byte %zu has kind %u; only 1 (create) "
		                    "and 2 (set) exist", at, kind);
	op->kind = kind == KIND_CREATE ? "create" : "set";
	if ((rc = get_str(r, cs, CLASS_TEXT, &op->person, "person")) < 0 ||
	    (rc = get_str(r, cs, CLASS_NAME, &op->entity, "record type")) < 0 ||
	    (rc = get_str(r, cs, CLASS_TEXT, &op->entity_id, "record id")) < 0 ||
	    (rc = get_opt(r, cs, CLASS_NAME, &op->field, "field")) < 0 ||
	    (rc = get_opt(r, cs, CLASS_VALUE, &op->old_value, "old value")) < 0 ||
	    (rc = get_opt(r, cs, CLASS_VALUE, &op->new_value, "new value")) < 0 ||
	    (rc = get_opt(r, cs, CLASS_PARENTS, &op->parents, "parents")) < 0)
		return rc;
	return 0;
}

static size_t cap_of(size_t want, size_t cap)
{
	return want && want < cap ? want : cap;
}

static int get_head(reader *r, wk_changeset *cs, size_t max_catalogue)
{
	const char *site, *device, *id;
	uint32_t format;
	size_t i;
	int rc;

	if ((rc = need(r, sizeof(magic), "magic")) < 0)
		return rc;
	if (memcmp(r->p, magic, sizeof(magic)) != 0)
		return wk_error_set(WK_EINVALID, "not a changeset (its first 4 bytes are not \"WKCS\")");
	r->off += sizeof(magic);
	if ((rc = get_u32(r, &format, "format version")) < 0)
		return rc;
	if (format > WK_CHANGESET_FORMAT)
		return wk_error_set(WK_EVERSION, "changeset format %lu is newer than this wicket "
		                    "understands (%d); upgrade wicket", (unsigned long)format,
		                    WK_CHANGESET_FORMAT);
	if (format == 1)
		return wk_error_set(WK_EVERSION, "changeset format 1 was written by a development build of wicket "
		                    "before field-level merge; it is no longer read: seal the work again with this wicket");
	if (format != WK_CHANGESET_FORMAT)
		return wk_error_set(WK_EINVALID, "changeset format %lu does not exist", (unsigned long)format);
	cs->format = format;
	if ((rc = get_str(r, cs, CLASS_CODE, &site, "site code")) < 0 ||
	    (rc = get_str(r, cs, CLASS_CODE, &device, "device code")) < 0 ||
	    (rc = get_u64(r, &cs->seq, "sequence number")) < 0 ||
	    (rc = need(r, WK_CHANGESET_HASH_BYTES, "previous hash")) < 0)
		return rc;
	cs->site = (char *)site;
	cs->device = (char *)device;
	memcpy(cs->prev, r->p + r->off, WK_CHANGESET_HASH_BYTES);
	r->off += WK_CHANGESET_HASH_BYTES;
	if ((rc = get_u32(r, &cs->schema_version, "schema version")) < 0 ||
	    (rc = get_count(r, &cs->ncatalogue, max_catalogue, MIN_CATALOGUE, "catalogue ids")) < 0)
		return rc;
	if (cs->ncatalogue && !(cs->catalogue = calloc(cs->ncatalogue, sizeof(char *))))
		return wk_error_set(WK_ELIMIT, "out of memory reading a changeset");
	for (i = 0; i < cs->ncatalogue; i++) {
		if ((rc = get_str(r, cs, CLASS_TEXT, &id, "catalogue id")) < 0)
			return rc;
		cs->catalogue[i] = (char *)id;
	}
	if ((rc = get_count(r, &cs->ndepends, WK_CHANGESET_MAX_DEPENDS, MIN_DEPEND, "dependencies")) < 0)
		return rc;
	if (cs->ndepends && !(cs->depends = calloc(cs->ndepends, sizeof(char *))))
		return wk_error_set(WK_ELIMIT, "out of memory reading a changeset");
	for (i = 0; i < cs->ndepends; i++) {
		if ((rc = get_str(r, cs, CLASS_DEPEND, &id, "dependency")) < 0)
			return rc;
		cs->depends[i] = (char *)id;
	}
	if ((rc = get_i64(r, &cs->hlc_min, "first clock")) < 0 ||
	    (rc = get_i64(r, &cs->hlc_max, "last clock")) < 0)
		return rc;
	return 0;
}

int wk_changeset_decode(wk_changeset **out, const unsigned char *p, size_t n,
                        const wk_changeset_limits *lim)
{
	wk_changeset_limits l = WK_CHANGESET_LIMITS_INIT;
	reader r = { p, n, 0, { 0, 0, WK_ELIMIT } };
	wk_changeset *cs = NULL;
	size_t i, max_bytes, max_ops;
	int rc;

	if (!out)
		return wk_error_set(WK_EUSAGE, "wk_changeset_decode: no output given");
	*out = NULL;
	if (!p && n)
		return wk_error_set(WK_EUSAGE, "wk_changeset_decode: no input given");
	if (lim)
		l = *lim;
	max_bytes = cap_of(l.max_bytes, WK_CHANGESET_MAX_BYTES);
	max_ops = cap_of(l.max_ops, WK_CHANGESET_MAX_OPS);
	r.caps.max_value = cap_of(l.max_value, WK_CHANGESET_MAX_VALUE);
	r.caps.max_name = cap_of(l.max_name, WK_CHANGESET_MAX_NAME);
	if (n > max_bytes)
		return wk_error_set(WK_ELIMIT, "changeset is %zu bytes; the limit is %zu", n, max_bytes);
	if (!(cs = calloc(1, sizeof(*cs))))
		return wk_error_set(WK_ELIMIT, "out of memory reading a changeset");
	if ((rc = get_head(&r, cs, cap_of(l.max_catalogue, WK_CHANGESET_MAX_CATALOGUE))) < 0)
		goto out;
	if ((rc = get_count(&r, &cs->nops, max_ops, MIN_OP, "operations")) < 0)
		goto out;
	if (cs->nops == 0) {
		rc = wk_error_set(WK_EINVALID, "changeset: it holds no operations");
		goto out;
	}
	if (!(cs->ops = calloc(cs->nops, sizeof(wk_op)))) {
		rc = wk_error_set(WK_ELIMIT, "out of memory reading a changeset");
		goto out;
	}
	cs->cap_ops_ = cs->nops;
	cs->cap_catalogue_ = cs->ncatalogue;
	cs->cap_depends_ = cs->ndepends;
	for (i = 0; i < cs->nops; i++)
		if ((rc = get_op(&r, cs, &cs->ops[i])) < 0)
			goto out;
	if (r.off != n) {
		rc = wk_error_set(WK_EINVALID, "changeset has %zu bytes after its end (at byte %zu)",
		                  n - r.off, r.off);
		goto out;
	}
	if ((rc = wk_changeset_check(cs)) < 0)
		goto out;
	cs->size_ = n;
	*out = cs;
	cs = NULL;
out:
	wk_changeset_free(cs);
	return rc;
}

/* ---- hash ------------------------------------------------------------------ */

void wk_changeset_hash(unsigned char out[WK_CHANGESET_HASH_BYTES], const unsigned char *encoded,
                       size_t n)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, WK_CHANGESET_HASH_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)hash_prefix, sizeof(hash_prefix));
	crypto_generichash_update(&st, encoded, n);
	crypto_generichash_final(&st, out, WK_CHANGESET_HASH_BYTES);
	sodium_memzero(&st, sizeof(st));
}
