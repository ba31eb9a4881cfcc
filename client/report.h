/*
 * report.h - reports across establishments, for regional staff: each report
 * is built as rows (JSON objects with the same keys) from one store per
 * establishment, then rendered as a table, CSV, JSON or one self-contained
 * HTML page with SVG charts that prints well.
 *
 * Reports: readiness (each plan's result for its target stage, with the
 * count of blockers, by the national and the establishment's own rules);
 * precursors (mandatory weight-3 baselines not met); actions (overdue and
 * slipped actions); responses (recommendations by response and reason, per
 * establishment and inspection); sync (when each establishment's last
 * changeset was recorded here, stale ones flagged).
 */
#ifndef WK_REPORT_H
#define WK_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "store.h"

typedef struct {
	const char *today;     /* YYYY-MM-DD */
	int stale_days;        /* sync: flag establishments silent longer than this (default 14) */
} wk_report_options;

/* The report names, NULL-terminated. */
extern const char *const wk_report_names[];

/* Append the rows of report name for site's store st to rows (a JSON array). */
int wk_report_rows(json_t *rows, const char *name, wk_store *st, const char *site, const wk_report_options *o);

/* Render rows as format (table, csv, json, html) on f. title names the report. */
int wk_report_render(FILE *f, const char *name, const char *title, json_t *rows, const char *format);

#endif
