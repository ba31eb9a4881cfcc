/*
 * test_edm_source.c - the national OMU EDM catalogue matches its source.
 *
 * Parses the source document (docs/reference/000_cb2c8140e1f61681.txt, the
 * HMPPS Exceptional Delivery Model for the Offender Management Unit)
 * independently of the Lua data, and checks that the data the library loads
 * from policies/national/edm/omu.lua agrees with it: the 22 mandatory
 * baselines (ids, order, weighting, autonomy, first paragraph of the text),
 * the 5 areas, the priority cohorts, and that every text paragraph is a
 * verbatim piece of the source with no conversion artefacts ("[bookmark: ...]").
 * Also checks policies/national/stages.lua.
 *
 * Source rule for the baseline table (a Word table converted to text, cells
 * split across lines): after the "Mandatory actions" row, a line whose trimmed
 * text starts with "<digit>.<digit>" followed by a space opens a baseline (2.8
 * sits on its own line after an empty cell line, 3.1 has a leading space); the
 * next line that is only a digit 1-3 is its weighting, and the line after that
 * which is only Total, Partial or Limited is its autonomy (3.1 has blank lines
 * in between). A line whose trimmed text is "<digit>. <title>" opens an area.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "error.h"
#include "policy.h"
#include "test.h"

#define SOURCE_DOC "docs/reference/000_cb2c8140e1f61681.txt"
#define EDM_FILE "policies/national/edm/omu.lua"
#define STAGES_FILE "policies/national/stages.lua"
#define MAX_FILE ((size_t)1 << 20)

#define NBASELINES 22
#define NAREAS 5

static const char *const expected_ids[NBASELINES] = {
	"1.1", "1.2", "1.3",
	"2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9",
	"3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7",
	"4.1",
	"5.1", "5.2",
};

static const char *const expected_areas[NAREAS] = {
	"Start of sentence",
	"Throughout the sentence",
	"Resettlement",
	"Tasks that support case management delivery",
	"Exceptional OMU tasks",
};

/* ---- the source document, parsed without the Lua data ---------------- */

typedef struct {
	char id[8];
	int weighting;      /* 0 until seen */
	char autonomy[16];  /* "" until seen; lower-case */
	char first[2048];   /* the rest of the id line, trimmed */
} src_baseline;

typedef struct {
	int number;
	char title[256];
} src_area;

static src_baseline src_b[64];
static int src_nb;
static src_area src_a[16];
static int src_na;
static int src_unexpected; /* weighting/autonomy lines that fit no baseline */

/* Copy line [s, e) into out, trimmed of ASCII whitespace. */
static void trim_copy(char *out, size_t outsz, const char *s, const char *e)
{
	size_t n;

	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	n = (size_t)(e - s);
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

static const char *autonomy_word(const char *t)
{
	if (strcmp(t, "Total") == 0)
		return "total";
	if (strcmp(t, "Partial") == 0)
		return "partial";
	if (strcmp(t, "Limited") == 0)
		return "limited";
	return NULL;
}

static void parse_source(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int in_table = 0;
	char t[4096];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *aw;

		trim_copy(t, sizeof(t), p, le);
		p = nl ? nl + 1 : end;

		if (!in_table) {
			if (strcmp(t, "Mandatory actions") == 0)
				in_table = 1;
			continue;
		}
		if (isdigit((unsigned char)t[0]) && t[1] == '.' &&
		    isdigit((unsigned char)t[2]) && (t[3] == ' ' || t[3] == '\0')) {
			src_baseline *b;

			if (src_nb >= (int)(sizeof(src_b) / sizeof(src_b[0])))
				break;
			b = &src_b[src_nb++];
			memset(b, 0, sizeof(*b));
			memcpy(b->id, t, 3);
			trim_copy(b->first, sizeof(b->first), t + 3, t + strlen(t));
		} else if (isdigit((unsigned char)t[0]) && t[1] == '.' && t[2] == ' ') {
			if (src_na < (int)(sizeof(src_a) / sizeof(src_a[0]))) {
				src_a[src_na].number = t[0] - '0';
				trim_copy(src_a[src_na].title, sizeof(src_a[src_na].title),
				          t + 3, t + strlen(t));
				src_na++;
			}
		} else if (t[0] >= '1' && t[0] <= '3' && t[1] == '\0') {
			if (src_nb > 0 && src_b[src_nb - 1].weighting == 0)
				src_b[src_nb - 1].weighting = t[0] - '0';
			else
				src_unexpected++;
		} else if ((aw = autonomy_word(t)) != NULL) {
			if (src_nb > 0 && src_b[src_nb - 1].weighting != 0 &&
			    src_b[src_nb - 1].autonomy[0] == '\0')
				strcpy(src_b[src_nb - 1].autonomy, aw);
			else
				src_unexpected++;
		}
	}
}

/* The source with every "[bookmark: ...]" removed (caller frees). */
static char *strip_bookmarks(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	while (*s) {
		if (strncmp(s, "[bookmark: ", 11) == 0) {
			const char *close = strchr(s, ']');

			if (close) {
				s = close + 1;
				continue;
			}
		}
		*o++ = *s++;
	}
	*o = '\0';
	return out;
}

/* ---- loading the data through the library ---------------------------- */

static json_t *load_data(const char *rel)
{
	wk_buf src = WK_BUF_INIT, out = WK_BUF_INIT;
	json_t *root = NULL;
	json_error_t jerr;
	int rc;

	rc = wk_buf_read_file(&src, test_src(rel), MAX_FILE, "policy data");
	CHECK_EQ_INT(rc, 0);
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", rel, wk_error_msg());
		goto done;
	}
	rc = wk_policy_data_json(&out, rel, src.ptr, src.len, NULL);
	CHECK_EQ_INT(rc, 0);
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", rel, wk_error_msg());
		goto done;
	}
	root = json_loadb(out.ptr, out.len, 0, &jerr);
	CHECK(root != NULL);
	if (!root)
		fprintf(stderr, "%s: bad json at %d: %s\n", rel, jerr.position, jerr.text);
done:
	wk_buf_free(&src);
	wk_buf_free(&out);
	return root;
}

static const char *jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* An integer field; JSON numbers with an integral value only, else -1000. */
static long long jint(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		return (long long)json_integer_value(v);
	if (json_is_real(v) && json_real_value(v) > -1e6 && json_real_value(v) < 1e6 &&
	    json_real_value(v) == (double)(long long)json_real_value(v))
		return (long long)json_real_value(v);
	return -1000;
}

/* An empty Lua table may come out as [] or {}. */
static size_t jcount(const json_t *v)
{
	if (json_is_array(v))
		return json_array_size(v);
	if (json_is_object(v))
		return json_object_size(v);
	return (size_t)-1;
}

/* ---- every text paragraph is a verbatim piece of the source ------------ */

static int artefacts, paragraphs, not_found;

static int skip_key(const char *key)
{
	/* Codes and enumerations chosen for the data, not text from the source. */
	static const char *const keys[] = {
		"kind", "code", "autonomy", "value", "signoff", "sex", "security", "id", NULL
	};
	for (int i = 0; key && keys[i]; i++)
		if (strcmp(key, keys[i]) == 0)
			return 1;
	return 0;
}

static void check_text(const char *s, const char *clean_source, const char *where)
{
	char para[8192];

	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		const char *q = s;

		if (n >= 3 && strncmp(q, "\xc2\xb7 ", 3) == 0) { /* "· " bullet */
			q += 3;
			n -= 3;
		}
		if (n > 0) {
			if (n >= sizeof(para))
				n = sizeof(para) - 1;
			memcpy(para, q, n);
			para[n] = '\0';
			paragraphs++;
			if (isspace((unsigned char)para[0]) || isspace((unsigned char)para[n - 1]) ||
			    !strstr(clean_source, para)) {
				not_found++;
				fprintf(stderr, "%s: not verbatim in the source: \"%s\"\n", where, para);
			}
		}
		s = nl ? nl + 1 : s + strlen(s);
	}
}

static void walk_texts(const json_t *v, const char *key, const char *clean_source)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *x;

		json_object_foreach((json_t *)v, k, x)
			walk_texts(x, k, clean_source);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;

		json_array_foreach(v, i, x)
			walk_texts(x, key, clean_source);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);

		if (strstr(s, "[bookmark")) {
			artefacts++;
			fprintf(stderr, "%s: conversion artefact in \"%s\"\n", key ? key : "?", s);
		}
		if (!skip_key(key))
			check_text(s, clean_source, key ? key : "?");
	}
}

/* ---- the checks -------------------------------------------------------- */

static void check_source_parse(void)
{
	CHECK_EQ_INT(src_nb, NBASELINES);
	CHECK_EQ_INT(src_na, NAREAS);
	CHECK_EQ_INT(src_unexpected, 0);
	for (int i = 0; i < src_nb && i < NBASELINES; i++) {
		CHECK_EQ_STR(src_b[i].id, expected_ids[i]);
		CHECK(src_b[i].weighting >= 1 && src_b[i].weighting <= 3);
		CHECK(src_b[i].autonomy[0] != '\0');
		CHECK(src_b[i].first[0] != '\0');
	}
	for (int i = 0; i < src_na && i < NAREAS; i++) {
		CHECK_EQ_INT(src_a[i].number, i + 1);
		CHECK_EQ_STR(src_a[i].title, expected_areas[i]);
	}
}

static void check_baselines(const json_t *edm)
{
	const json_t *areas = json_object_get(edm, "areas");
	const json_t *area;
	size_t ai;
	int k = 0;

	CHECK(json_is_array(areas));
	CHECK_EQ_INT(json_array_size(areas), NAREAS);
	json_array_foreach(areas, ai, area) {
		const json_t *bls = json_object_get(area, "baselines");
		const json_t *b;
		size_t bi;

		CHECK_EQ_INT(jint(area, "number"), (long long)ai + 1);
		if (ai < NAREAS)
			CHECK_EQ_STR(jstr(area, "title"), expected_areas[ai]);
		if ((int)ai < src_na)
			CHECK_EQ_STR(jstr(area, "title"), src_a[ai].title);
		CHECK(json_is_array(bls));
		json_array_foreach(bls, bi, b) {
			const char *id = jstr(b, "id");
			const char *text = jstr(b, "text");
			const json_t *sources = json_object_get(b, "sources");

			printf("%s weighting %lld autonomy %s\n", id ? id : "(null)",
			       jint(b, "weighting"), jstr(b, "autonomy") ? jstr(b, "autonomy") : "(null)");
			CHECK(id && (long long)(id[0] - '0') == jint(area, "number"));
			CHECK(json_is_true(json_object_get(b, "mandatory")));
			CHECK(sources != NULL && jcount(sources) != (size_t)-1);
			if (k < NBASELINES)
				CHECK_EQ_STR(id, expected_ids[k]);
			if (k < src_nb) {
				const src_baseline *s = &src_b[k];
				size_t fl = strlen(s->first);

				CHECK_EQ_STR(id, s->id);
				CHECK_EQ_INT(jint(b, "weighting"), s->weighting);
				CHECK_EQ_STR(jstr(b, "autonomy"), s->autonomy);
				/* the text starts with the rest of the id line, then ends or
				 * goes on with a new paragraph */
				CHECK(text && strncmp(text, s->first, fl) == 0 &&
				      (text[fl] == '\0' || text[fl] == '\n'));
				if (!(text && strncmp(text, s->first, fl) == 0))
					fprintf(stderr, "%s: text does not start with \"%s\"\n", s->id, s->first);
			}
			if (id && strcmp(id, "2.8") == 0)
				CHECK_EQ_INT(jcount(sources), 0);
			else
				CHECK(json_is_array(sources) && json_array_size(sources) > 0);
			k++;
		}
	}
	CHECK_EQ_INT(k, NBASELINES);
}

static void check_edm(const json_t *edm, const char *clean_source)
{
	const json_t *sd = json_object_get(edm, "stage_descriptors");
	const json_t *pc = json_object_get(edm, "priority_cohorts");
	const json_t *wg = json_object_get(edm, "weighting_guide");
	const json_t *ag = json_object_get(edm, "autonomy_guide");
	const json_t *x;
	size_t i;

	CHECK_EQ_STR(jstr(edm, "kind"), "edm");
	CHECK_EQ_STR(jstr(edm, "code"), "OMU");
	CHECK(jint(edm, "version") >= 1);
	CHECK_EQ_INT(jint(edm, "from_stage"), 3);
	CHECK_EQ_INT(jint(edm, "towards_stage"), 2);
	CHECK_EQ_STR(jstr(json_object_get(edm, "applies_to"), "sex"), "male");
	CHECK_EQ_STR(jstr(json_object_get(edm, "applies_to"), "security"), "closed");

	CHECK(json_is_array(sd));
	CHECK_EQ_INT(json_array_size(sd), 4);
	json_array_foreach(sd, i, x) {
		const json_t *items = json_object_get(x, "items");

		CHECK_EQ_INT(jint(x, "stage"), 4 - (long long)i);
		CHECK(jstr(x, "heading") != NULL);
		CHECK(json_is_array(items) && json_array_size(items) > 0);
	}
	/* stage 4 lists 11 tasks under 3 group headings; stages 3, 2, 1: 6, 5, 3 */
	CHECK_EQ_INT(json_array_size(json_object_get(json_array_get(sd, 0), "items")), 11);
	CHECK_EQ_INT(json_array_size(json_object_get(json_array_get(sd, 1), "items")), 6);
	CHECK_EQ_INT(json_array_size(json_object_get(json_array_get(sd, 2), "items")), 5);
	CHECK_EQ_INT(json_array_size(json_object_get(json_array_get(sd, 3), "items")), 3);

	CHECK(json_is_array(pc));
	CHECK_EQ_INT(json_array_size(pc), 7);
	CHECK_EQ_STR(json_string_value(json_array_get(pc, 0)), "Newly sentenced indeterminate prisoners");

	CHECK_EQ_INT(json_array_size(wg), 3);
	json_array_foreach(wg, i, x)
		CHECK_EQ_INT(jint(x, "value"), 3 - (long long)i);
	CHECK_EQ_INT(json_array_size(ag), 3);
	CHECK_EQ_STR(jstr(json_array_get(ag, 0), "value"), "total");
	CHECK_EQ_STR(jstr(json_array_get(ag, 1), "value"), "partial");
	CHECK_EQ_STR(jstr(json_array_get(ag, 2), "value"), "limited");

	check_baselines(edm);

	walk_texts(edm, NULL, clean_source);
	CHECK_EQ_INT(artefacts, 0);
	CHECK_EQ_INT(not_found, 0);
	CHECK(paragraphs > 100);
}

static void check_stages(const json_t *st)
{
	static const char *const names[4] = { "Lockdown", "Restrict", "Reduce", "Prepare" };
	const json_t *stages = json_object_get(st, "stages");
	const json_t *x;
	size_t i;

	CHECK_EQ_STR(jstr(st, "kind"), "stages");
	CHECK(jint(st, "version") >= 1);
	CHECK(json_is_array(stages));
	CHECK_EQ_INT(json_array_size(stages), 4);
	json_array_foreach(stages, i, x) {
		if (i >= 4)
			break;
		CHECK_EQ_INT(jint(x, "number"), 4 - (long long)i);
		CHECK_EQ_STR(jstr(x, "name"), names[i]);
		if (i == 0)
			CHECK_EQ_STR(jstr(x, "colour"), "Red");
		else
			CHECK(json_object_get(x, "colour") == NULL);
	}
}

int main(void)
{
	wk_buf doc = WK_BUF_INIT;
	char *clean = NULL;
	json_t *edm, *stages;
	int rc;

	rc = wk_buf_read_file(&doc, test_src(SOURCE_DOC), MAX_FILE, "source document");
	CHECK_EQ_INT(rc, 0);
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", SOURCE_DOC, wk_error_msg());
		return test_summary();
	}
	/* the source does carry the artefacts the data must not */
	CHECK(strstr(doc.ptr, "[bookmark: ") != NULL);
	CHECK(strstr(doc.ptr, "Red Regime (Stage 4) Lockdown") != NULL);
	parse_source(doc.ptr, doc.len);
	check_source_parse();
	clean = strip_bookmarks(doc.ptr);
	CHECK(clean != NULL);

	edm = load_data(EDM_FILE);
	if (edm && clean)
		check_edm(edm, clean);
	stages = load_data(STAGES_FILE);
	if (stages)
		check_stages(stages);

	json_decref(edm);
	json_decref(stages);
	free(clean);
	wk_buf_free(&doc);
	return test_summary();
}
