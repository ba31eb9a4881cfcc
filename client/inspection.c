/*
 * inspection.c - importing, answering and reporting inspection action plans.
 * See inspection.h; the file formats are written out in docs/import-format.md.
 *
 * Both formats become one document of the JSON shape first (CSV rows carry
 * their line number in a "_line" member), then one checker validates it and
 * one writer stores it, so the two formats cannot drift apart.
 */
#include "inspection.h"
#include "action.h"
#include "buf.h"
#include "csv.h"
#include "entity.h"
#include "error.h"
#include "field.h"
#include "query.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- where an error is ------------------------------------------------- */

static const char *const csv_header[] = { "rec_number", "addressee", "recommendation",
	"text_missing", "response", "reason_category", "part_implemented", "response_text",
	"note", "action", "owner", "target" };
#define CSV_COLUMNS 12

/* The CSV column a document member comes from, for messages. */
static const char *csv_column(const char *member, int is_action)
{
	if (strcmp(member, "number") == 0) return "rec_number";
	if (strcmp(member, "text") == 0) return is_action ? "action" : "recommendation";
	return member;
}

/* Set an error at a recommendation (ri >= 0) or action (ai >= 0) member. */
static int bad(json_t *obj, size_t ri, const char *number, long ai, const char *member,
               int code, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static int bad(json_t *obj, size_t ri, const char *number, long ai, const char *member,
               int code, const char *fmt, ...)
{
	char where[256], what[512];
	json_t *line = json_object_get(obj, "_line");
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(where, sizeof(where), "line %lld, column %s", (long long)json_integer_value(line),
		         csv_column(member, ai >= 0));
	else if (ai >= 0)
		snprintf(where, sizeof(where), "recommendations[%zu].actions[%ld].%s (recommendation \"%s\")",
		         ri, ai, member, number ? number : "?");
	else if (number)
		snprintf(where, sizeof(where), "recommendations[%zu].%s (recommendation \"%s\")", ri, member, number);
	else
		snprintf(where, sizeof(where), "recommendations[%zu].%s", ri, member);
	return wk_error_set(code, "%s: %s", where, what);
}

/* ---- checking the document --------------------------------------------- */

static int only_members(json_t *obj, const char *path, const char *const *allowed)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_object_get(obj, "_line"))
		return 0; /* built from CSV: members are ours */
	json_object_foreach(obj, key, v) {
		for (i = 0; allowed[i]; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (!allowed[i])
			return wk_error_set(WK_EINVALID, "%s: unknown member \"%s\"", path, key);
	}
	return 0;
}

/* An optional string member: absent, null or "" give NULL; other types fail. */
static int get_str(json_t *obj, const char *member, const char **out, int *wrong_type)
{
	json_t *v = json_object_get(obj, member);

	*out = NULL;
	*wrong_type = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		*wrong_type = 1;
		return 0;
	}
	if (json_string_length(v) > 0)
		*out = json_string_value(v);
	return 0;
}

static int id_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 64 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		      (s[i] == '-' && s[i + 1] != '-')))
			return 0;
	return 1;
}

static int number_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 16 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    !((s[i] == '.' || s[i] == '-') && isalnum((unsigned char)s[i + 1])))
			return 0;
	return 1;
}

/* A target as the plan writes it: a date, a month, or one of the "completed" forms. */
static int target_kind(const char *t, char *date, size_t size)
{
	char norm[64];
	size_t n = 0;

	/* Letter case, outer spaces and runs of spaces do not matter. */
	while (*t == ' ')
		t++;
	for (; *t && n < sizeof(norm) - 1; t++)
		if (*t != ' ' || (t[1] != ' ' && t[1] != '\0'))
			norm[n++] = *t;
	norm[n] = '\0';
	if (strcasecmp(norm, "Completed") == 0 || strcasecmp(norm, "Completed and ongoing") == 0) {
		date[0] = '\0';
		return 1;
	}
	return wk_field_target("target", norm, date, size) == 0 ? 0 : -1;
}

static int check_text(json_t *obj, size_t ri, const char *number, long ai, const char *member,
                      const char **out, int required)
{
	int wrong;

	get_str(obj, member, out, &wrong);
	if (wrong)
		return bad(obj, ri, number, ai, member, WK_EINVALID, "must be a string");
	if (!*out)
		return required ? bad(obj, ri, number, ai, member, WK_EINVALID, "is required") : 0;
	if (strlen(*out) > WK_FIELD_TEXT_MAX)
		return bad(obj, ri, number, ai, member, WK_EINVALID, "is longer than %zu bytes",
		           WK_FIELD_TEXT_MAX);
	if (wk_field_text(member, *out, 0, 0) < 0)
		return bad(obj, ri, number, ai, member, WK_EINVALID,
		           "holds a control character (only tab and line feed are allowed in text)");
	return 0;
}

static int check_action(json_t *a, size_t ri, const char *number, long ai)
{
	static const char *const members[] = { "text", "owner", "target", NULL };
	const char *text, *owner, *target;
	char path[96], date[16];
	int rc;

	snprintf(path, sizeof(path), "recommendations[%zu].actions[%ld]", ri, ai);
	if (!json_is_object(a))
		return wk_error_set(WK_EINVALID, "%s: must be an object", path);
	if ((rc = only_members(a, path, members)) < 0 ||
	    (rc = check_text(a, ri, number, ai, "text", &text, 1)) < 0 ||
	    (rc = check_text(a, ri, number, ai, "owner", &owner, 1)) < 0 ||
	    (rc = check_text(a, ri, number, ai, "target", &target, 1)) < 0)
		return rc;
	if (target_kind(target, date, sizeof(date)) < 0)
		return bad(a, ri, number, ai, "target", WK_EINVALID,
			"\"%s\" is not a target date (expected YYYY-MM-DD, YYYY-MM, a month and year such as "
			"\"June 2023\", \"Completed\" or \"Completed and ongoing\")", target);
	return 0;
}

static int check_rec(json_t *r, size_t ri, json_t *seen)
{
	static const char *const members[] = { "number", "addressee", "text", "text_missing",
		"response", "reason_category", "part_implemented", "response_text", "note", "actions", NULL };
	const char *number = NULL, *s, *response, *reason, *part;
	json_t *tm, *actions;
	char path[64];
	size_t ai;
	int rc, missing;

	snprintf(path, sizeof(path), "recommendations[%zu]", ri);
	if (!json_is_object(r))
		return wk_error_set(WK_EINVALID, "%s: must be an object", path);
	if ((rc = only_members(r, path, members)) < 0 ||
	    (rc = check_text(r, ri, NULL, -1, "number", &number, 1)) < 0)
		return rc;
	if (!number_ok(number))
		return bad(r, ri, NULL, -1, "number", WK_EINVALID,
		           "\"%s\" is not a recommendation number (letters and digits, groups joined by '.' or '-')", number);
	if (json_object_get(seen, number))
		return bad(r, ri, number, -1, "number", WK_EINVALID, "recommendation \"%s\" appears twice", number);
	json_object_set_new(seen, number, json_true());
	tm = json_object_get(r, "text_missing");
	if (tm && !json_is_boolean(tm) && !json_is_null(tm))
		return bad(r, ri, number, -1, "text_missing", WK_EINVALID, "must be true or false");
	missing = json_is_true(tm);
	if ((rc = check_text(r, ri, number, -1, "addressee", &s, 1)) < 0 ||
	    (rc = check_text(r, ri, number, -1, "text", &s, !missing)) < 0 ||
	    (rc = check_text(r, ri, number, -1, "response", &response, 1)) < 0 ||
	    (rc = check_text(r, ri, number, -1, "reason_category", &reason, 0)) < 0 ||
	    (rc = check_text(r, ri, number, -1, "part_implemented", &part, 0)) < 0 ||
	    (rc = check_text(r, ri, number, -1, "response_text", &s, 0)) < 0 ||
	    (rc = check_text(r, ri, number, -1, "note", &s, 0)) < 0)
		return rc;
	if (wk_field_enum("response", response, wk_responses) < 0)
		return bad(r, ri, number, -1, "response", WK_EINVALID,
		           "\"%s\" is not one of agreed, partly_agreed, not_agreed", response);
	if (reason && wk_field_enum("reason", reason, wk_reason_categories) < 0)
		return bad(r, ri, number, -1, "reason_category", WK_EINVALID,
		           "\"%s\" is not one of commissioning, policy, operational, affordability", reason);
	if (strcmp(response, "agreed") == 0 && reason)
		return bad(r, ri, number, -1, "reason_category", WK_EINVALID, "must be empty for an agreed recommendation");
	if (strcmp(response, "agreed") != 0 && !reason)
		return bad(r, ri, number, -1, "reason_category", WK_EINVALID,
		           "is required when the response is %s (commissioning, policy, operational or affordability)", response);
	if (strcmp(response, "partly_agreed") == 0 && !part)
		return bad(r, ri, number, -1, "part_implemented", WK_EINVALID, "is required when the response is partly_agreed");
	if (strcmp(response, "partly_agreed") != 0 && part)
		return bad(r, ri, number, -1, "part_implemented", WK_EINVALID, "must be empty unless the response is partly_agreed");
	actions = json_object_get(r, "actions");
	if (!json_is_array(actions))
		return bad(r, ri, number, -1, "actions", WK_EINVALID, "must be an array");
	if (json_array_size(actions) > WK_IMPORT_MAX_ACTIONS)
		return bad(r, ri, number, -1, "actions", WK_ELIMIT, "more than %d actions", WK_IMPORT_MAX_ACTIONS);
	for (ai = 0; ai < json_array_size(actions); ai++)
		if ((rc = check_action(json_array_get(actions, ai), ri, number, (long)ai)) < 0)
			return rc;
	return 0;
}

static int check_inspection(json_t *in)
{
	static const char *const members[] = { "id", "title", "inspectorate", "report_published",
		"plan_submitted", NULL };
	const char *id, *title, *s;
	int wrong, rc;

	if (!json_is_object(in))
		return wk_error_set(WK_EINVALID, "inspection: is required and must be an object");
	if ((rc = only_members(in, "inspection", members)) < 0)
		return rc;
	get_str(in, "id", &id, &wrong);
	if (wrong || !id || !id_ok(id))
		return wk_error_set(WK_EINVALID, "inspection.id: \"%s\" is not an inspection id "
			"(1-64 of a-z, 0-9 and single hyphens, e.g. omic-pre-release-2022)", id ? id : "");
	get_str(in, "title", &title, &wrong);
	if (wrong || !title)
		return wk_error_set(WK_EINVALID, "inspection.title: is required");
	if ((rc = wk_field_text("inspection.title", title, 1000, 1)) < 0)
		return rc;
	get_str(in, "inspectorate", &s, &wrong);
	if (wrong || (s && wk_field_text("inspection.inspectorate", s, 1000, 0) < 0))
		return wk_error_set(WK_EINVALID, "inspection.inspectorate: must be a short string");
	get_str(in, "report_published", &s, &wrong);
	if (wrong || (s && wk_field_date("inspection.report_published", s) < 0))
		return wrong ? wk_error_set(WK_EINVALID, "inspection.report_published: must be a string") : WK_EINVALID;
	get_str(in, "plan_submitted", &s, &wrong);
	if (wrong || (s && wk_field_date("inspection.plan_submitted", s) < 0))
		return wrong ? wk_error_set(WK_EINVALID, "inspection.plan_submitted: must be a string") : WK_EINVALID;
	return 0;
}

static int check_plan(json_t *plan)
{
	static const char *const members[] = { "format", "format_version", "inspection",
		"recommendations", NULL };
	json_t *recs, *seen;
	size_t i;
	int rc = 0;

	if (!json_is_object(plan))
		return wk_error_set(WK_EINVALID, "the file must hold one JSON object");
	if (!json_object_get(plan, "_csv") && (rc = only_members(plan, "top level", members)) < 0)
		return rc;
	if (!json_is_string(json_object_get(plan, "format")) ||
	    strcmp(json_string_value(json_object_get(plan, "format")), "wicket-actionplan") != 0)
		return wk_error_set(WK_EINVALID, "format: must be \"wicket-actionplan\"");
	if (!json_is_integer(json_object_get(plan, "format_version")))
		return wk_error_set(WK_EINVALID, "format_version: must be the integer 1");
	if (json_integer_value(json_object_get(plan, "format_version")) != 1)
		return wk_error_set(WK_EVERSION, "format_version: %lld is not supported (this wicket reads version 1)",
		                    (long long)json_integer_value(json_object_get(plan, "format_version")));
	if ((rc = check_inspection(json_object_get(plan, "inspection"))) < 0)
		return rc;
	recs = json_object_get(plan, "recommendations");
	if (!json_is_array(recs))
		return wk_error_set(WK_EINVALID, "recommendations: must be an array");
	if (json_array_size(recs) > WK_IMPORT_MAX_RECS)
		return wk_error_set(WK_ELIMIT, "recommendations: more than %d", WK_IMPORT_MAX_RECS);
	seen = json_object();
	for (i = 0; i < json_array_size(recs) && rc == 0; i++)
		rc = check_rec(json_array_get(recs, i), i, seen);
	json_decref(seen);
	return rc;
}

/* ---- reading the formats ----------------------------------------------- */

static int parse_json(const char *data, size_t len, json_t **out)
{
	json_error_t jerr;

	*out = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*out)
		return wk_error_set(WK_EINVALID, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
	return 0;
}

static json_t *csv_str(const char *s)
{
	return *s ? json_string(s) : json_null();
}

static int csv_row_empty(const wk_csv *c, int from, int to)
{
	int i;

	for (i = from; i < to; i++)
		if (*wk_csv_field(c, i))
			return 0;
	return 1;
}

static int parse_csv(const char *data, size_t len, const wk_import_options *o, json_t **out)
{
	wk_csv c;
	json_t *plan = NULL, *recs, *rec = NULL, *ins;
	int rc, i, no_more = 0;

	*out = NULL;
	wk_csv_init(&c, data, len);
	rc = wk_csv_next(&c);
	if (rc <= 0) {
		if (rc == 0)
			rc = wk_error_set(WK_EINVALID, "line 1: the file is empty; it needs the header row");
		goto out;
	}
	for (i = 0; i < CSV_COLUMNS; i++)
		if (c.nfields != CSV_COLUMNS || strcmp(wk_csv_field(&c, i), csv_header[i]) != 0) {
			rc = wk_error_set(WK_EINVALID,
				"line 1: the header must be exactly: rec_number,addressee,recommendation,text_missing,"
				"response,reason_category,part_implemented,response_text,note,action,owner,target");
			goto out;
		}
	plan = json_object();
	recs = json_array();
	ins = json_object();
	json_object_set_new(plan, "format", json_string("wicket-actionplan"));
	json_object_set_new(plan, "format_version", json_integer(1));
	json_object_set_new(plan, "_csv", json_true());
	json_object_set_new(ins, "id", o->inspection_id ? json_string(o->inspection_id) : json_null());
	json_object_set_new(ins, "title", o->title ? json_string(o->title) : json_null());
	json_object_set_new(ins, "inspectorate", o->inspectorate ? json_string(o->inspectorate) : json_null());
	json_object_set_new(ins, "report_published", o->published ? json_string(o->published) : json_null());
	json_object_set_new(ins, "plan_submitted", o->submitted ? json_string(o->submitted) : json_null());
	json_object_set_new(plan, "inspection", ins);
	json_object_set_new(plan, "recommendations", recs);
	if (!o->inspection_id || !o->title) {
		rc = wk_error_set(WK_EUSAGE, "a CSV import needs --inspection ID and --title TITLE");
		goto out;
	}
	while ((rc = wk_csv_next(&c)) == 1) {
		json_t *action;
		int has_action;

		if (c.nfields != CSV_COLUMNS) {
			rc = wk_error_set(WK_EINVALID, "line %d: %d fields; every row has exactly %d",
			                  c.row_line, c.nfields, CSV_COLUMNS);
			goto out;
		}
		has_action = !csv_row_empty(&c, 9, 12);
		if (has_action && (!*wk_csv_field(&c, 9) || !*wk_csv_field(&c, 10) || !*wk_csv_field(&c, 11))) {
			rc = wk_error_set(WK_EINVALID, "line %d, column %s: an action needs action, owner and target",
			                  c.row_line, !*wk_csv_field(&c, 9) ? "action" : !*wk_csv_field(&c, 10) ? "owner" : "target");
			goto out;
		}
		if (*wk_csv_field(&c, 0)) {
			const char *tm = wk_csv_field(&c, 3);

			if (*tm && strcmp(tm, "yes") != 0) {
				rc = wk_error_set(WK_EINVALID, "line %d, column text_missing: \"%s\" must be yes or empty",
				                  c.row_line, tm);
				goto out;
			}
			rec = json_object();
			json_object_set_new(rec, "_line", json_integer(c.row_line));
			json_object_set_new(rec, "number", json_string(wk_csv_field(&c, 0)));
			json_object_set_new(rec, "addressee", csv_str(wk_csv_field(&c, 1)));
			json_object_set_new(rec, "text", csv_str(wk_csv_field(&c, 2)));
			json_object_set_new(rec, "text_missing", json_boolean(*tm));
			json_object_set_new(rec, "response", csv_str(wk_csv_field(&c, 4)));
			json_object_set_new(rec, "reason_category", csv_str(wk_csv_field(&c, 5)));
			json_object_set_new(rec, "part_implemented", csv_str(wk_csv_field(&c, 6)));
			json_object_set_new(rec, "response_text", csv_str(wk_csv_field(&c, 7)));
			json_object_set_new(rec, "note", csv_str(wk_csv_field(&c, 8)));
			json_object_set_new(rec, "actions", json_array());
			json_array_append_new(recs, rec);
			no_more = !has_action;
		} else {
			if (!rec) {
				rc = wk_error_set(WK_EINVALID, "line %d, column rec_number: the first row must start a recommendation",
				                  c.row_line);
				goto out;
			}
			if (!csv_row_empty(&c, 1, 9)) {
				rc = wk_error_set(WK_EINVALID, "line %d: a continuation row must leave the recommendation columns empty",
				                  c.row_line);
				goto out;
			}
			if (!has_action || no_more) {
				rc = wk_error_set(WK_EINVALID, "line %d, column action: %s", c.row_line, no_more ?
					"this recommendation's first row has no action, so no action may follow it" :
					"a continuation row needs action, owner and target");
				goto out;
			}
		}
		if (has_action) {
			action = json_object();
			json_object_set_new(action, "_line", json_integer(c.row_line));
			json_object_set_new(action, "text", json_string(wk_csv_field(&c, 9)));
			json_object_set_new(action, "owner", json_string(wk_csv_field(&c, 10)));
			json_object_set_new(action, "target", json_string(wk_csv_field(&c, 11)));
			json_array_append_new(json_object_get(rec, "actions"), action);
		}
	}
	if (rc == 0) {
		*out = plan;
		plan = NULL;
	}
out:
	json_decref(plan);
	wk_csv_free(&c);
	return rc;
}

int wk_actionplan_parse(const char *data, size_t len, const wk_import_options *o, json_t **plan)
{
	int rc, csv;

	*plan = NULL;
	if (len > WK_IMPORT_MAX_BYTES)
		return wk_error_set(WK_ELIMIT, "the file is %zu bytes; the limit is %zu", len, WK_IMPORT_MAX_BYTES);
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		return wk_error_set(WK_EINVALID, "line 1: the file starts with a byte order mark; save it as UTF-8 without BOM");
	if (!wk_field_utf8_ok(data, len)) {
		size_t i;
		int line = 1;
		/* Name the first line that is not valid UTF-8. */
		for (i = 0; i < len; i++) {
			size_t j = i;
			while (j < len && data[j] != '\n')
				j++;
			if (!wk_field_utf8_ok(data + i, j - i))
				break;
			line++;
			i = j;
		}
		return wk_error_set(WK_EINVALID, "line %d: not valid UTF-8 text (or a NUL or control character)", line);
	}
	csv = o->format && strcmp(o->format, "csv") == 0;
	if (o->format && !csv && strcmp(o->format, "json") != 0)
		return wk_error_set(WK_EUSAGE, "format '%s' is not json or csv", o->format);
	rc = csv ? parse_csv(data, len, o, plan) : parse_json(data, len, plan);
	if (rc == 0 && (rc = check_plan(*plan)) < 0) {
		json_decref(*plan);
		*plan = NULL;
	}
	return rc;
}

/* ---- writing ------------------------------------------------------------ */

static int set_str(wk_store *st, const char *entity, const char *id, const char *field,
                   json_t *obj, const char *member)
{
	json_t *v = json_object_get(obj, member);
	const char *s = json_is_string(v) && json_string_length(v) ? json_string_value(v) : NULL;

	return wk_entity_set(st, entity, id, field, s);
}

/*
 * An imported action. Its target and status come from the file when it is
 * first imported; later, only a change of the target in the file (against
 * the target the file gave last time, not the current one, which local work
 * may have revised) moves it, as a revision like any other. Local progress is
 * never undone by importing the same plan again.
 */
static int write_action(wk_store *st, const char *rec_id, size_t pos, json_t *a)
{
	char id[160], date[16], *was = NULL;
	const char *target = json_string_value(json_object_get(a, "target"));
	int rc, created = 0, completed;

	snprintf(id, sizeof(id), "%s#%zu", rec_id, pos);
	if ((rc = wk_entity_exists(st, "action", id)) < 0)
		return rc;
	if (rc == 0) {
		if ((rc = wk_entity_create(st, "action", id)) < 0)
			return rc;
		created = 1;
	} else if ((rc = wk_entity_get(st, "action", id, "source_target", &was)) < 0) {
		return rc;
	}
	completed = target_kind(target, date, sizeof(date)) == 1;
	if ((rc = wk_entity_set(st, "action", id, "recommendation", rec_id)) < 0 ||
	    (rc = wk_entity_set_int(st, "action", id, "position", (long long)pos)) < 0 ||
	    (rc = set_str(st, "action", id, "text", a, "text")) < 0 ||
	    (rc = set_str(st, "action", id, "owner", a, "owner")) < 0)
		goto out;
	if (created) {
		if ((rc = wk_entity_set(st, "action", id, "target_text", target)) < 0 ||
		    (rc = wk_entity_set(st, "action", id, "target_date", completed ? NULL : date)) < 0 ||
		    (rc = wk_entity_set(st, "action", id, "status", completed ? "completed" : "open")) < 0)
			goto out;
	} else if (was && strcmp(was, target) != 0) {
		if (completed) {
			if ((rc = wk_entity_set(st, "action", id, "status", "completed")) < 0 ||
			    (rc = wk_entity_set(st, "action", id, "target_text", target)) < 0)
				goto out;
		} else if ((rc = wk_action_revise(st, id, date, "target changed in the imported action plan")) < 0 ||
		           (rc = wk_entity_set(st, "action", id, "target_text", target)) < 0) {
			goto out;
		}
	}
	rc = wk_entity_set(st, "action", id, "source_target", target);
out:
	free(was);
	return rc;
}

static int write_rec(wk_store *st, const char *ins, size_t pos, json_t *r)
{
	char id[128];
	json_t *actions = json_object_get(r, "actions");
	size_t i;
	int rc;

	snprintf(id, sizeof(id), "%s/%s", ins, json_string_value(json_object_get(r, "number")));
	if ((rc = wk_entity_exists(st, "recommendation", id)) < 0)
		return rc;
	if (rc == 0 && (rc = wk_entity_create(st, "recommendation", id)) < 0)
		return rc;
	if ((rc = wk_entity_set(st, "recommendation", id, "inspection", ins)) < 0 ||
	    (rc = set_str(st, "recommendation", id, "number", r, "number")) < 0 ||
	    (rc = wk_entity_set_int(st, "recommendation", id, "position", (long long)pos)) < 0 ||
	    (rc = set_str(st, "recommendation", id, "addressee", r, "addressee")) < 0 ||
	    (rc = set_str(st, "recommendation", id, "text", r, "text")) < 0 ||
	    (rc = wk_entity_set(st, "recommendation", id, "text_missing",
	                        json_is_true(json_object_get(r, "text_missing")) ? "1" : "0")) < 0 ||
	    (rc = set_str(st, "recommendation", id, "response", r, "response")) < 0 ||
	    (rc = set_str(st, "recommendation", id, "reason_category", r, "reason_category")) < 0 ||
	    (rc = set_str(st, "recommendation", id, "part_implemented", r, "part_implemented")) < 0 ||
	    (rc = set_str(st, "recommendation", id, "response_text", r, "response_text")) < 0 ||
	    (rc = set_str(st, "recommendation", id, "note", r, "note")) < 0)
		return rc;
	for (i = 0; i < json_array_size(actions); i++)
		if ((rc = write_action(st, id, i + 1, json_array_get(actions, i))) < 0)
			return rc;
	return 0;
}

static int write_plan(wk_store *st, json_t *plan)
{
	json_t *in = json_object_get(plan, "inspection"), *recs = json_object_get(plan, "recommendations");
	const char *id = json_string_value(json_object_get(in, "id"));
	size_t i;
	int rc;

	if ((rc = wk_entity_exists(st, "inspection", id)) < 0)
		return rc;
	if (rc == 0 && (rc = wk_entity_create(st, "inspection", id)) < 0)
		return rc;
	if ((rc = set_str(st, "inspection", id, "title", in, "title")) < 0 ||
	    (rc = set_str(st, "inspection", id, "inspectorate", in, "inspectorate")) < 0 ||
	    (rc = set_str(st, "inspection", id, "report_published", in, "report_published")) < 0 ||
	    (rc = set_str(st, "inspection", id, "plan_submitted", in, "plan_submitted")) < 0)
		return rc;
	for (i = 0; i < json_array_size(recs); i++)
		if ((rc = write_rec(st, id, i + 1, json_array_get(recs, i))) < 0)
			return rc;
	return 0;
}

static int import_report(wk_store *st, json_t *plan, long long changes, json_t **report)
{
	json_t *in = json_object_get(plan, "inspection"), *recs = json_object_get(plan, "recommendations");
	const char *id = json_string_value(json_object_get(in, "id"));
	json_t *missing = NULL, *numbers;
	char *list;
	size_t i, nactions = 0;
	int rc;

	for (i = 0; i < json_array_size(recs); i++)
		nactions += json_array_size(json_object_get(json_array_get(recs, i), "actions"));
	/* Records the file no longer has are kept, and listed. */
	numbers = json_array();
	for (i = 0; i < json_array_size(recs); i++) {
		json_t *r = json_array_get(recs, i);
		char aid[160];
		size_t j;

		json_array_append(numbers, json_object_get(r, "number"));
		for (j = 0; j < json_array_size(json_object_get(r, "actions")); j++) {
			snprintf(aid, sizeof(aid), "%s/%s#%zu", id, json_string_value(json_object_get(r, "number")), j + 1);
			json_array_append_new(numbers, json_string(aid));
		}
	}
	list = json_dumps(numbers, JSON_COMPACT);
	json_decref(numbers);
	if (!list)
		return wk_error_set(WK_ELIMIT, "out of memory");
	rc = wk_query_json(st, (const char *[]){ id, list }, 2,
		"SELECT json_group_array(w) FROM ("
		" SELECT 'recommendation ' || number AS w FROM recommendation WHERE inspection = ?1"
		"  AND number NOT IN (SELECT value FROM json_each(?2))"
		" UNION ALL SELECT 'action ' || a.id FROM action a JOIN recommendation r ON r.id = a.recommendation"
		"  WHERE r.inspection = ?1 AND a.source_target IS NOT NULL"
		"  AND a.id NOT IN (SELECT value FROM json_each(?2)))", &missing);
	free(list);
	if (rc < 0)
		return rc;
	*report = json_pack("{s:s, s:I, s:I, s:I, s:o}", "inspection", id,
	                    "recommendations", (json_int_t)json_array_size(recs),
	                    "actions", (json_int_t)nactions, "changes", (json_int_t)changes,
	                    "missing", missing);
	return *report ? 0 : wk_error_set(WK_ELIMIT, "out of memory");
}

int wk_actionplan_import(wk_store *st, const char *path, const wk_import_options *o,
                         json_t **report)
{
	wk_buf data = WK_BUF_INIT;
	wk_import_options opts = *o;
	json_t *plan = NULL;
	long long before = 0, after = 0;
	size_t n = strlen(path);
	int rc;

	if (report)
		*report = NULL;
	if (!opts.format)
		opts.format = n > 4 && strcasecmp(path + n - 4, ".csv") == 0 ? "csv" : "json";
	data.max = WK_IMPORT_MAX_BYTES;
	if ((rc = wk_buf_read_file(&data, path, WK_IMPORT_MAX_BYTES, "import file")) < 0)
		goto out;
	if ((rc = wk_actionplan_parse(data.ptr, data.len, &opts, &plan)) < 0) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", wk_error_msg());
		rc = wk_error_set(rc, "cannot import '%s': %s (nothing was imported)", path, msg);
		goto out;
	}
	if ((rc = wk_query_int(st, NULL, 0, "SELECT coalesce(max(seq), 0) FROM op", &before)) < 0 ||
	    (rc = write_plan(st, plan)) < 0 ||
	    (rc = wk_query_int(st, NULL, 0, "SELECT coalesce(max(seq), 0) FROM op", &after)) < 0)
		goto out;
	if (report)
		rc = import_report(st, plan, after - before, report);
out:
	json_decref(plan);
	wk_buf_free(&data);
	return rc;
}

/* ---- answering and reading ------------------------------------------------ */

int wk_inspection_resolve(wk_store *st, const char *arg, char **id)
{
	long long n = 0;
	json_t *j = NULL;
	int rc;

	*id = NULL;
	if (arg) {
		if ((rc = wk_entity_exists(st, "inspection", arg)) < 0)
			return rc;
		if (rc == 0)
			return wk_error_set(WK_ENOTFOUND, "no inspection '%s'", arg);
		return (*id = strdup(arg)) ? 0 : wk_error_set(WK_ELIMIT, "out of memory");
	}
	if ((rc = wk_query_int(st, NULL, 0, "SELECT count(*) FROM inspection", &n)) < 0)
		return rc;
	if (n != 1)
		return wk_error_set(n == 0 ? WK_ENOTFOUND : WK_EUSAGE, n == 0 ?
			"there is no inspection action plan yet; import one with 'wicket actionplan import FILE'" :
			"there are several inspections; name one with --inspection ID");
	if ((rc = wk_query_json(st, NULL, 0, "SELECT json_quote(id) FROM inspection", &j)) < 0)
		return rc;
	*id = strdup(json_string_value(j));
	json_decref(j);
	return *id ? 0 : wk_error_set(WK_ELIMIT, "out of memory");
}

int wk_rec_resolve(wk_store *st, const char *arg, char **id)
{
	char *ins = NULL, buf[160];
	int rc;

	*id = NULL;
	if (!strchr(arg, '/')) {
		if ((rc = wk_inspection_resolve(st, NULL, &ins)) < 0)
			return rc;
		snprintf(buf, sizeof(buf), "%s/%s", ins, arg);
		free(ins);
	} else {
		snprintf(buf, sizeof(buf), "%s", arg);
	}
	if ((rc = wk_entity_exists(st, "recommendation", buf)) < 0)
		return rc;
	if (rc == 0)
		return wk_error_set(WK_ENOTFOUND, "no recommendation '%s'; 'wicket actionplan show' lists them", arg);
	return (*id = strdup(buf)) ? 0 : wk_error_set(WK_ELIMIT, "out of memory");
}

int wk_rec_respond(wk_store *st, const char *rec, const wk_rec_response *r)
{
	int rc, agreed, partly;

	if ((rc = wk_field_enum("response", r->response, wk_responses)) < 0)
		return rc;
	agreed = strcmp(r->response, "agreed") == 0;
	partly = strcmp(r->response, "partly_agreed") == 0;
	if (r->reason_category && (rc = wk_field_enum("reason category", r->reason_category,
	                                              wk_reason_categories)) < 0)
		return rc;
	if (!agreed && !r->reason_category)
		return wk_error_set(WK_EINVALID, "a %s response needs --reason (commissioning, policy, operational or affordability)",
		                    r->response);
	if (agreed && r->reason_category)
		return wk_error_set(WK_EINVALID, "an agreed response takes no --reason");
	if (partly && (!r->part_implemented || !*r->part_implemented))
		return wk_error_set(WK_EINVALID, "a partly_agreed response needs --part TEXT: which part will be implemented");
	if (!partly && r->part_implemented)
		return wk_error_set(WK_EINVALID, "--part is only for a partly_agreed response");
	if (strcmp(r->response, "not_agreed") == 0 && (!r->response_text || !*r->response_text))
		return wk_error_set(WK_EINVALID, "a not_agreed response needs --text: the rationale");
	if ((rc = wk_field_text("part implemented", r->part_implemented, 0, 0)) < 0 ||
	    (rc = wk_field_text("response text", r->response_text, 0, 0)) < 0)
		return rc;
#define NONEMPTY(s) ((s) && *(s) ? (s) : NULL)
	if ((rc = wk_entity_set(st, "recommendation", rec, "response", r->response)) < 0 ||
	    (rc = wk_entity_set(st, "recommendation", rec, "reason_category", r->reason_category)) < 0 ||
	    (rc = wk_entity_set(st, "recommendation", rec, "part_implemented", NONEMPTY(r->part_implemented))) < 0)
		return rc;
	if (r->response_text)
		rc = wk_entity_set(st, "recommendation", rec, "response_text", NONEMPTY(r->response_text));
#undef NONEMPTY
	return rc;
}

int wk_actionplan_show(wk_store *st, const char *inspection, json_t **out)
{
	return wk_query_json(st, (const char *[]){ inspection }, 1,
		"SELECT json_object('id', i.id, 'title', i.title, 'inspectorate', i.inspectorate,"
		" 'report_published', i.report_published, 'plan_submitted', i.plan_submitted,"
		" 'recommendations', (SELECT json_group_array(json_object('id', r.id, 'number', r.number,"
		"   'addressee', r.addressee, 'text', r.text,"
		"   'text_missing', json(CASE WHEN r.text_missing THEN 'true' ELSE 'false' END),"
		"   'response', r.response, 'reason_category', r.reason_category,"
		"   'part_implemented', r.part_implemented, 'response_text', r.response_text, 'note', r.note,"
		"   'actions', (SELECT json_group_array(json_object('id', a.id, 'text', a.text, 'owner', a.owner,"
		"     'target_date', a.target_date, 'target_text', a.target_text, 'status', a.status,"
		"     'completion_date', a.completion_date))"
		"     FROM (SELECT * FROM action WHERE recommendation = r.id ORDER BY position IS NULL, position, id) a)))"
		"   FROM (SELECT * FROM recommendation WHERE inspection = i.id ORDER BY position) r))"
		" FROM inspection i WHERE i.id = ?1", out);
}

int wk_actionplan_summary(wk_store *st, const char *inspection, json_t **out)
{
	return wk_query_json(st, (const char *[]){ inspection }, 1,
		"SELECT json_object('inspection', ?1,"
		" 'agreed', (SELECT count(*) FROM recommendation WHERE inspection = ?1 AND response = 'agreed'),"
		" 'partly_agreed', (SELECT count(*) FROM recommendation WHERE inspection = ?1 AND response = 'partly_agreed'),"
		" 'not_agreed', (SELECT count(*) FROM recommendation WHERE inspection = ?1 AND response = 'not_agreed'),"
		" 'total', (SELECT count(*) FROM recommendation WHERE inspection = ?1),"
		" 'text_missing', (SELECT count(*) FROM recommendation WHERE inspection = ?1 AND text_missing),"
		" 'actions', (SELECT json_object('total', count(*),"
		"    'open', coalesce(sum(a.status IN ('open', 'in_progress')), 0),"
		"    'completed', coalesce(sum(a.status = 'completed'), 0))"
		"   FROM action a JOIN recommendation r ON r.id = a.recommendation WHERE r.inspection = ?1))", out);
}
