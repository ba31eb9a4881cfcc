/*
 * The encoding is one-to-one, on many generated changesets: decode(encode(x))
 * gives x back field for field, encode(decode(b)) gives b back byte for
 * byte, and so does every damaged copy of b that the decoder accepts (a
 * changed letter in a value is still a valid changeset, but it must then be
 * the only encoding of what it decodes to). The changesets carry random
 * dependencies (up to a few hundred other devices) and sets over random
 * parents (none, or 1 to 64 entries, up to the longest list there can be).
 * Deterministic: a fixed seed.
 */
#include "test.h"
#include "cs_util.h"
#include "changeset.h"
#include "error.h"

#include <stdint.h>

#define CHANGESETS 1500
#define MUTATIONS 40

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t below(size_t n)
{
	return n ? (size_t)(next() % n) : 0;
}

/* Pieces of text: ASCII, controls the store allows, 2-, 3- and 4-byte UTF-8. */
static const char *const pieces[] = {
	"a", "Z", " ", "0", "-", "/", "@", "\t", "\n", "\r", "\xc3\xa1", "\xe2\x80\x93", "\xe2\x80\x99",
	"\xf0\x9f\x93\x8b", "\xef\xbf\xbd", "\xdf\xbf", "\xe0\xa0\x80", "\xf4\x8f\xbf\xbf", "\x7f",
};

/* Random text of up to max bytes into a buffer the caller frees; empty allowed when min == 0. */
static char *text(size_t min, size_t max)
{
	size_t want = min + below(max - min + 1), len = 0;
	char *s = malloc(max + 1);

	while (len < want) {
		const char *p = pieces[below(sizeof(pieces) / sizeof(pieces[0]))];
		size_t k = strlen(p);

		if (len + k > max)
			break;
		memcpy(s + len, p, k);
		len += k;
	}
	if (len < min) /* only 1-byte pieces fill the rest */
		while (len < min)
			s[len++] = 'x';
	s[len] = '\0';
	return s;
}

static char *word(const char *alphabet, size_t min, size_t max)
{
	size_t n = min + below(max - min + 1), i, k = strlen(alphabet);
	char *s = malloc(n + 1);

	for (i = 0; i < n; i++)
		s[i] = alphabet[below(k)];
	s[n] = '\0';
	return s;
}

static char *maybe_value(void)
{
	switch (below(8)) {
	case 0: return NULL;
	case 1: return calloc(1, 1);
	case 2: return below(20) ? text(0, 3000) : text(20000, 70000); /* big: its own block */
	default: return text(0, 40);
	}
}

/* A decimal number below 2^63: small, or any size up to 19 digits. */
static uint64_t number(uint64_t min)
{
	unsigned shift;

	switch (below(4)) {
	case 0: return min + below(10);
	case 1: return (uint64_t)INT64_MAX - below(3);
	default: /* one call after the other: the same numbers whatever the compiler */
		shift = 1 + (unsigned)below(63);
		return min + (next() >> shift);
	}
}

static int by_bytes(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A parents list: n random "<device>@<clock>" entries, sorted, repeats dropped. */
static char *parents(const char *codes)
{
	size_t n = 1 + below(below(4) ? 4 : 64), i, k = 0, len = 0;
	char *e[64], *out;

	for (i = 0; i < n; i++) {
		/* Few devices, so that one device now and then has two entries. */
		char *code = below(3) ? word("abc", 2, 3) : word(codes, 2, 16);

		e[i] = malloc(17 + 1 + 20 + 1);
		snprintf(e[i], 17 + 1 + 20 + 1, "%s@%llu", code, (unsigned long long)number(0));
		free(code);
	}
	qsort(e, n, sizeof(e[0]), by_bytes);
	out = malloc(n * 38 + 1);
	for (i = 0; i < n; i++) {
		if (k && strcmp(e[k - 1], e[i]) == 0) {
			free(e[i]);
			continue;
		}
		e[k++] = e[i];
	}
	for (i = 0; i < k; i++) {
		len += (size_t)sprintf(out + len, "%s%s", i ? "," : "", e[i]);
		free(e[i]);
	}
	return out;
}

static wk_changeset *generate(void)
{
	static const char codes[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-";
	static const char names[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
	unsigned char prev[32];
	wk_changeset *cs = NULL;
	char *site = word(codes, 2, 16), *device = word(codes, 2, 16);
	uint64_t seq = below(3) ? 1 + below(1000) : 1 + (next() >> 1);
	int64_t oseq = 1 + (int64_t)below(1000), hlc = (int64_t)(next() >> 2);
	size_t i, n;

	for (i = 0; i < 32; i++)
		prev[i] = (unsigned char)next();
	prev[0] |= 1;
	if (wk_changeset_new(&cs, site, device, seq, seq == 1 ? NULL : prev, 1 + (uint32_t)below(9)) < 0)
		fprintf(stderr, "generate: %s\n", wk_error_msg());
	n = below(6);
	for (i = 0; cs && i < n; i++) {
		char *id = below(2) ? text(1, 30) : word(names, 1, 12);

		if (wk_changeset_add_catalogue(cs, id) < 0) {
			fprintf(stderr, "generate: %s\n", wk_error_msg());
			CHECK(0);
		}
		free(id);
	}
	/* Dependencies: added in any order; a code already there or the changeset's own is refused. */
	n = below(3) ? below(5) : below(300);
	for (i = 0; cs && i < n; i++) {
		char *dev = word(codes, 2, below(4) ? 4 : 16);
		int rc = wk_changeset_add_depend(cs, dev, number(1));
		size_t k, had = 0;

		for (k = 0; k < cs->ndepends; k++)
			if (strncmp(cs->depends[k], dev, strlen(dev)) == 0 && cs->depends[k][strlen(dev)] == ':')
				had = 1;
		if (rc < 0 && !(rc == WK_EINVALID && (had || strcmp(dev, device) == 0))) {
			fprintf(stderr, "generate: %s\n", wk_error_msg());
			CHECK(0);
		}
		free(dev);
	}
	n = 1 + below(below(10) ? 12 : 200);
	for (i = 0; cs && i < n; i++) {
		wk_op op = { 0 };
		char *person = text(1, 60), *entity = word(names, 1, 20), *id = text(1, 80);
		char *field = NULL, *oldv = NULL, *newv = NULL, *par = NULL;
		int create = below(4) == 0;

		if (!create) {
			field = word(names, 1, 24);
			oldv = maybe_value();
			newv = maybe_value();
			if (below(2))
				par = parents(codes);
		}
		oseq += 1 + (int64_t)below(below(2) ? 3 : 100000);
		hlc += 1 + (int64_t)below(below(2) ? 2 : ((int64_t)1 << 40));
		op.seq = oseq;
		op.hlc = hlc;
		op.device = device;
		op.person = person;
		op.entity = entity;
		op.entity_id = id;
		op.kind = create ? "create" : "set";
		op.field = field;
		op.old_value = oldv;
		op.new_value = newv;
		op.parents = par;
		if (wk_changeset_add_op(cs, &op) < 0) {
			fprintf(stderr, "generate: %s\n", wk_error_msg());
			CHECK(0);
		}
		free(person); free(entity); free(id); free(field); free(oldv); free(newv); free(par);
	}
	free(site);
	free(device);
	return cs;
}


/* Damage a copy of p in one of several ways; returns its new length. */
static size_t mutate(unsigned char *q, const unsigned char *p, size_t n)
{
	size_t at = below(n), k;

	memcpy(q, p, n);
	switch (below(6)) {
	case 0: q[at] ^= (unsigned char)(1u << below(8)); return n;
	case 1: q[at] = (unsigned char)next(); return n;
	case 2: q[at] = (unsigned char)(q[at] + 1); return n;
	case 3: /* delete a byte */
		memmove(q + at, q + at + 1, n - at - 1);
		return n - 1;
	case 4: /* insert a byte */
		memmove(q + at + 1, q + at, n - at);
		q[at] = (unsigned char)next();
		return n + 1;
	default: /* swap two bytes */
		k = below(n);
		q[at] ^= q[k]; q[k] ^= q[at]; q[at] ^= q[k];
		return n;
	}
}

int main(void)
{
	wk_buf a = WK_BUF_INIT, b = WK_BUF_INIT;
	unsigned char h1[32], h2[32], *q = NULL;
	size_t i, j, m, accepted = 0, refused = 0, qcap = 0;
	size_t depends = 0, with_parents = 0, parents_over_name = 0, most_parents = 0;
	int bad_rt = 0, bad_mut = 0;

	for (i = 0; i < CHANGESETS; i++) {
		wk_changeset *cs = generate(), *back = NULL, *again = NULL;

		if (!cs) {
			CHECK(0);
			continue;
		}
		depends += cs->ndepends;
		for (j = 0; j < cs->nops; j++) {
			const char *p = cs->ops[j].parents;
			size_t entries = 1;

			if (!p)
				continue;
			with_parents++;
			parents_over_name += strlen(p) > WK_CHANGESET_MAX_NAME;
			while ((p = strchr(p, ',')) != NULL) {
				p++;
				entries++;
			}
			if (entries > most_parents)
				most_parents = entries;
		}
		if (wk_changeset_encode(&a, cs) < 0 || a.len != wk_changeset_size(cs) ||
		    wk_changeset_decode(&back, (const unsigned char *)a.ptr, a.len, NULL) < 0 ||
		    !same(cs, back) || wk_changeset_encode(&b, back) < 0 || b.len != a.len ||
		    memcmp(a.ptr, b.ptr, a.len) != 0) {
			if (!bad_rt++)
				fprintf(stderr, "changeset %zu does not round-trip: %s\n", i, wk_error_msg());
		}
		wk_changeset_hash(h1, (const unsigned char *)a.ptr, a.len);
		wk_changeset_hash(h2, (const unsigned char *)b.ptr, b.len);
		CHECK(memcmp(h1, h2, 32) == 0 || bad_rt);

		if (qcap < a.len + 1) {
			free(q);
			qcap = a.len + 1;
			q = malloc(qcap);
		}
		for (j = 0; j < MUTATIONS; j++) {
			unsigned char *exact;

			m = mutate(q, (const unsigned char *)a.ptr, a.len);
			exact = malloc(m);
			memcpy(exact, q, m);
			if (wk_changeset_decode(&again, exact, m, NULL) == 0) {
				accepted++;
				if (wk_changeset_encode(&b, again) < 0 || b.len != m || memcmp(b.ptr, exact, m) != 0) {
					if (!bad_mut++)
						fprintf(stderr, "a damaged changeset decoded but did not encode back\n");
				}
				wk_changeset_free(again);
			} else {
				refused++;
				CHECK(again == NULL);
			}
			again = NULL;
			free(exact);
		}
		wk_changeset_free(back);
		wk_changeset_free(cs);
	}
	CHECK_EQ_INT(bad_rt, 0);
	CHECK_EQ_INT(bad_mut, 0);
	CHECK(accepted > 0 && refused > accepted);
	CHECK_EQ_INT(accepted + refused, (size_t)CHANGESETS * MUTATIONS);
	/* The new fields were exercised, up to lists longer than any name. */
	CHECK(depends > CHANGESETS && with_parents > CHANGESETS && parents_over_name > 0);
	CHECK(most_parents > 32);
	printf("%d changesets round-trip (%zu dependencies; %zu sets with parents, %zu of them over %zu bytes, "
	       "up to %zu entries); %zu damaged copies refused, %zu accepted and canonical\n",
	       CHANGESETS, depends, with_parents, parents_over_name, WK_CHANGESET_MAX_NAME, most_parents,
	       refused, accepted);
	free(q);
	wk_buf_free(&a);
	wk_buf_free(&b);
	return test_summary();
}
