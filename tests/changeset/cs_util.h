/*
 * cs_util.h - what the changeset tests share: reading a golden vector's hex
 * file, and comparing two changesets field by field.
 */
#ifndef WK_TEST_CS_UTIL_H
#define WK_TEST_CS_UTIL_H

#include "changeset.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read a hex file (whitespace ignored) into a malloc'd buffer. */
static inline unsigned char *read_hex(const char *rel, size_t *n)
{
	FILE *f = fopen(test_src(rel), "r");
	unsigned char *out = NULL;
	char text[65536];
	size_t len, i, k = 0;
	int hi = -1, c;

	if (!f) {
		fprintf(stderr, "cannot open %s\n", rel);
		return NULL;
	}
	len = fread(text, 1, sizeof(text), f);
	fclose(f);
	if (len == sizeof(text) || !(out = malloc(len / 2 + 1)))
		return NULL;
	for (i = 0; i < len; i++) {
		c = text[i];
		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c >= '0' && c <= '9') c -= '0';
		else if (c >= 'a' && c <= 'f') c = c - 'a' + 10;
		else { free(out); return NULL; }
		if (hi < 0) {
			hi = c;
		} else {
			out[k++] = (unsigned char)(hi << 4 | c);
			hi = -1;
		}
	}
	*n = k;
	return out;
}

static inline int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static inline int same(const wk_changeset *a, const wk_changeset *b)
{
	size_t i;

	if (a->format != b->format || strcmp(a->site, b->site) || strcmp(a->device, b->device) ||
	    a->seq != b->seq || memcmp(a->prev, b->prev, 32) || a->schema_version != b->schema_version ||
	    a->ncatalogue != b->ncatalogue || a->ndepends != b->ndepends || a->hlc_min != b->hlc_min ||
	    a->hlc_max != b->hlc_max || a->nops != b->nops)
		return 0;
	for (i = 0; i < a->ncatalogue; i++)
		if (strcmp(a->catalogue[i], b->catalogue[i]))
			return 0;
	for (i = 0; i < a->ndepends; i++)
		if (strcmp(a->depends[i], b->depends[i]))
			return 0;
	for (i = 0; i < a->nops; i++) {
		const wk_op *x = &a->ops[i], *y = &b->ops[i];

		if (x->seq != y->seq || x->hlc != y->hlc || !str_eq(x->device, y->device) ||
		    !str_eq(x->person, y->person) || !str_eq(x->entity, y->entity) ||
		    !str_eq(x->entity_id, y->entity_id) || !str_eq(x->kind, y->kind) ||
		    !str_eq(x->field, y->field) || !str_eq(x->old_value, y->old_value) ||
		    !str_eq(x->new_value, y->new_value) || !str_eq(x->parents, y->parents))
			return 0;
	}
	return 1;
}

#endif
