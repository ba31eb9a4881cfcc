/*
 * report.c - cross-establishment reports. See report.h.
 */
#include "report.h"
#include "error.h"
#include "plan.h"
#include "query.h"
#include "rules.h"

#include <stdlib.h>
#include <string.h>

const char *const wk_report_names[] = { "readiness", "precursors", "actions", "responses", "sync", NULL };

static int add_rows(json_t *rows, json_t *got)
{
	size_t i;
	json_t *r;

	json_array_foreach(got, i, r)
		json_array_append(rows, r);
	json_decref(got);
	return 0;
}

static int readiness(json_t *rows, wk_store *st, const char *site)
{
	json_t *plans = NULL, *p;
	size_t i;
	int rc;

	if ((rc = wk_plan_list(st, &plans)) < 0)
		return rc == WK_ENOTFOUND ? 0 : rc;
	json_array_foreach(plans, i, p) {
		const char *id = json_string_value(json_object_get(p, "id"));
		int stage = (int)json_integer_value(json_object_get(p, "target_stage"));
		json_t *res = NULL, *b;
		size_t red = 0, amber = 0, k;

		if ((rc = wk_rules_readiness(st, id, stage, &res)) < 0) {
			json_array_append_new(rows, json_pack("{s:s, s:s, s:i, s:s, s:i, s:i, s:s}", "site", site, "plan", id,
			                                      "target_stage", stage, "result", "error", "red", 0, "amber", 0,
			                                      "note", wk_error_msg()));
			continue;
		}
		json_array_foreach(json_object_get(res, "blockers"), k, b) {
			const char *sev = json_string_value(json_object_get(b, "severity"));
			if (sev && strcmp(sev, "red") == 0)
				red++;
			else
				amber++;
		}
		json_array_append_new(rows, json_pack("{s:s, s:s, s:i, s:s, s:I, s:I, s:s}", "site", site, "plan", id,
		                                      "target_stage", stage, "result",
		                                      json_string_value(json_object_get(res, "result")), "red", (json_int_t)red,
		                                      "amber", (json_int_t)amber, "note", ""));
		json_decref(res);
	}
	json_decref(plans);
	return 0;
}

static int sql_rows(json_t *rows, wk_store *st, const char *const *args, int n, const char *sql)
{
	json_t *got = NULL;
	int rc = wk_query_json(st, args, n, sql, &got);

	if (rc == WK_ENOTFOUND)
		return 0;
	return rc < 0 ? rc : add_rows(rows, got);
}

/* The day a target falls due: the day itself, or the last day of its month. */
#define DUE(X) "(CASE WHEN length(" X ") = 7 THEN date(" X " || '-01', '+1 month', '-1 day') ELSE " X " END)"

int wk_report_rows(json_t *rows, const char *name, wk_store *st, const char *site, const wk_report_options *o)
{
	char stale[24];
	const char *args[3] = { site, o->today, stale };

	snprintf(stale, sizeof(stale), "-%d days", o->stale_days > 0 ? o->stale_days : 14);

	if (strcmp(name, "readiness") == 0)
		return readiness(rows, st, site);
	if (strcmp(name, "precursors") == 0)
		return sql_rows(rows, st, args, 2,
			"SELECT json_group_array(json_object('site', ?1, 'plan', a.plan, 'baseline', a.baseline,"
			" 'status', a.status, 'owner', a.owner, 'target_date', a.target_date))"
			" FROM assessment a JOIN plan p ON p.id = a.plan"
			" JOIN edm_baseline b ON b.edm_id = p.edm AND b.baseline = a.baseline"
			" WHERE b.mandatory AND b.weighting = 3 AND a.status NOT IN ('met', 'not_applicable')"
			" ORDER BY a.plan, b.position");
	if (strcmp(name, "actions") == 0)
		return sql_rows(rows, st, args, 2,
			"SELECT json_group_array(json_object('site', ?1, 'action', x.id, 'owner', x.owner,"
			" 'target', x.target_text, 'due', " DUE("x.target_date") ", 'status', x.status,"
			" 'overdue', json(CASE WHEN x.status IN ('open', 'in_progress') AND " DUE("x.target_date") " < ?2"
			"   THEN 'true' ELSE 'false' END),"
			" 'revisions', (SELECT count(*) FROM action_revision r WHERE r.action = x.id)))"
			" FROM (SELECT * FROM action ORDER BY id) x"
			" WHERE (x.status IN ('open', 'in_progress') AND x.target_date IS NOT NULL AND " DUE("x.target_date") " < ?2)"
			"    OR EXISTS (SELECT 1 FROM action_revision r WHERE r.action = x.id)");
	if (strcmp(name, "responses") == 0)
		return sql_rows(rows, st, args, 2,
			"SELECT json_group_array(json_object('site', ?1, 'inspection', inspection, 'agreed', a, 'partly_agreed', p,"
			" 'not_agreed', n, 'total', a + p + n, 'commissioning', rc, 'policy', rp, 'operational', ro,"
			" 'affordability', ra)) FROM (SELECT inspection,"
			" sum(response = 'agreed') AS a, sum(response = 'partly_agreed') AS p, sum(response = 'not_agreed') AS n,"
			" sum(reason_category = 'commissioning') AS rc, sum(reason_category = 'policy') AS rp,"
			" sum(reason_category = 'operational') AS ro, sum(reason_category = 'affordability') AS ra"
			" FROM recommendation GROUP BY inspection ORDER BY inspection)");
	if (strcmp(name, "sync") == 0)
		return sql_rows(rows, st, args, 3,
			"SELECT json_group_array(json_object('site', ?1, 'last_changeset', last, 'changesets', n,"
			" 'devices', d, 'stale', json(CASE WHEN last IS NULL OR last < date(?2, ?3) THEN 'true' ELSE 'false' END)))"
			" FROM (SELECT max(recorded_at) AS last, count(*) AS n, count(DISTINCT device) AS d FROM changeset)");
	return wk_error_set(WK_EUSAGE, "no report '%s'; the reports are readiness, precursors, actions, responses, sync", name);
}

/* ---- rendering ------------------------------------------------------------ */

static const char *cell(json_t *v, char *buf, size_t size)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_true(v))
		snprintf(buf, size, "yes");
	else if (json_is_false(v))
		snprintf(buf, size, "no");
	else
		snprintf(buf, size, "-");
	return buf;
}

static void csv_cell(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void html_text(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
}

/* What each report charts: a bar per establishment of a count of its rows (or a column's sum). */
static void chart(FILE *f, const char *name, json_t *rows)
{
	json_t *sums = json_object(), *r, *v;
	const char *key, *what = "rows";
	size_t i, n = 0;
	long long max = 1;
	int y = 0;

	if (strcmp(name, "readiness") == 0)
		what = "red blockers";
	else if (strcmp(name, "precursors") == 0)
		what = "precursors not met";
	else if (strcmp(name, "actions") == 0)
		what = "overdue actions";
	else if (strcmp(name, "responses") == 0)
		what = "recommendations";
	else if (strcmp(name, "sync") == 0)
		what = "changesets received";
	json_array_foreach(rows, i, r) {
		const char *site = json_string_value(json_object_get(r, "site"));
		long long add = 1;

		if (strcmp(name, "readiness") == 0)
			add = json_integer_value(json_object_get(r, "red"));
		else if (strcmp(name, "actions") == 0)
			add = json_is_true(json_object_get(r, "overdue"));
		else if (strcmp(name, "responses") == 0)
			add = json_integer_value(json_object_get(r, "total"));
		else if (strcmp(name, "sync") == 0)
			add = json_integer_value(json_object_get(r, "changesets"));
		v = json_object_get(sums, site ? site : "?");
		json_object_set_new(sums, site ? site : "?", json_integer((v ? json_integer_value(v) : 0) + add));
	}
	json_object_foreach(sums, key, v) {
		if (json_integer_value(v) > max)
			max = json_integer_value(v);
		n++;
	}
	fprintf(f, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"%zu\" role=\"img\""
	        " aria-label=\"%s by establishment\">\n", n * 28 + 10, what);
	json_object_foreach(sums, key, v) {
		long long val = json_integer_value(v);
		int w = (int)(val * 440 / max);

		fprintf(f, "<text x=\"0\" y=\"%d\" font-size=\"13\">", y + 18);
		html_text(f, key);
		fprintf(f, "</text><rect x=\"120\" y=\"%d\" width=\"%d\" height=\"20\" fill=\"%s\"/>"
		        "<text x=\"%d\" y=\"%d\" font-size=\"13\">%lld</text>\n", y + 4, w > 0 ? w : 1,
		        strcmp(name, "precursors") == 0 || strcmp(name, "readiness") == 0 ? "#b3261e" : "#1d5fa7",
		        126 + w, y + 18, val);
		y += 28;
	}
	fprintf(f, "</svg><figcaption>%s by establishment</figcaption></figure>\n", what);
	json_decref(sums);
}

int wk_report_render(FILE *f, const char *name, const char *title, json_t *rows, const char *format)
{
	json_t *first = json_array_get(rows, 0), *r, *v;
	const char *key;
	char buf[64];
	size_t i;

	if (strcmp(format, "json") == 0) {
		char *s = json_dumps(rows, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (!s)
			return wk_error_set(WK_ELIMIT, "out of memory");
		fprintf(f, "%s\n", s);
		free(s);
		return 0;
	}
	if (strcmp(format, "csv") == 0) {
		i = 0;
		json_object_foreach(first, key, v)
			fprintf(f, "%s%s", i++ ? "," : "", key);
		if (first)
			fputc('\n', f);
		json_array_foreach(rows, i, r) {
			size_t c = 0;
			json_object_foreach(r, key, v) {
				if (c++)
					fputc(',', f);
				csv_cell(f, cell(v, buf, sizeof(buf)));
			}
			fputc('\n', f);
		}
		return 0;
	}
	if (strcmp(format, "table") == 0) {
		fprintf(f, "%s\n", title);
		if (!first) {
			fprintf(f, "(nothing to report)\n");
			return 0;
		}
		json_object_foreach(first, key, v)
			fprintf(f, "%-16.16s ", key);
		fputc('\n', f);
		json_array_foreach(rows, i, r) {
			json_object_foreach(r, key, v)
				fprintf(f, "%-16.16s ", cell(v, buf, sizeof(buf)));
			fputc('\n', f);
		}
		return 0;
	}
	if (strcmp(format, "html") != 0)
		return wk_error_set(WK_EUSAGE, "--format must be table, csv, json or html");
	/* One self-contained page: no scripts, no external files; prints on A4. */
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
	html_text(f, title);
	fprintf(f, "</title>\n<style>body{font-family:sans-serif;margin:2em;color:#111}table{border-collapse:collapse;"
	        "width:100%%;font-size:13px}th,td{border:1px solid #999;padding:3px 6px;text-align:left}th{background:#eee}"
	        "tr.flag td{background:#fde7e5}figure{margin:1em 0}@media print{body{margin:1cm}a{color:#000}"
	        "tr{page-break-inside:avoid}}</style></head><body>\n<h1>");
	html_text(f, title);
	fprintf(f, "</h1>\n");
	if (first)
		chart(f, name, rows);
	fprintf(f, "<table><thead><tr>");
	json_object_foreach(first, key, v) {
		fprintf(f, "<th>");
		html_text(f, key);
		fprintf(f, "</th>");
	}
	fprintf(f, "</tr></thead><tbody>\n");
	json_array_foreach(rows, i, r) {
		int flag = json_is_true(json_object_get(r, "stale")) || json_is_true(json_object_get(r, "overdue")) ||
		           (json_is_string(json_object_get(r, "result")) &&
		            strcmp(json_string_value(json_object_get(r, "result")), "red") == 0);

		fprintf(f, "<tr%s>", flag ? " class=\"flag\"" : "");
		json_object_foreach(r, key, v) {
			fprintf(f, "<td>");
			html_text(f, cell(v, buf, sizeof(buf)));
			fprintf(f, "</td>");
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</tbody></table>\n%s</body></html>\n", first ? "" : "<p>Nothing to report.</p>");
	return 0;
}
