/*
 * inspection.h - inspections, their recommendations and responses: the
 * inspection action plan. Import from the documented JSON and CSV formats
 * (docs/import-format.md), respond to a recommendation, show and count.
 *
 * An import is all or nothing: the file is read (size first), parsed and
 * checked completely, then written inside the caller's transaction. It is
 * idempotent: records are keyed by inspection id and recommendation number,
 * actions by their position, and a field already equal is not written again.
 */
#ifndef WK_INSPECTION_H
#define WK_INSPECTION_H

#include <jansson.h>

#include "store.h"

/* Largest import file, checked before parsing. */
#define WK_IMPORT_MAX_BYTES ((size_t)8 << 20)
#define WK_IMPORT_MAX_RECS 1000
#define WK_IMPORT_MAX_ACTIONS 100

typedef struct {
	const char *format;        /* "json", "csv" or NULL: by the file's name */
	/* For CSV, the inspection the file belongs to. */
	const char *inspection_id, *title, *inspectorate, *published, *submitted;
} wk_import_options;

#define WK_IMPORT_OPTIONS_INIT { NULL, NULL, NULL, NULL, NULL, NULL }

/*
 * Import the action plan in path. *report (may be NULL) gets
 * {inspection, recommendations, actions, changes, missing: [...]}, the
 * caller's. Nothing is written on failure (the caller rolls back).
 */
int wk_actionplan_import(wk_store *st, const char *path, const wk_import_options *o,
                         json_t **report);

/* Parse and check an import from memory into the plan document (JSON shape). */
int wk_actionplan_parse(const char *data, size_t len, const wk_import_options *o, json_t **plan);

/* Resolve a recommendation argument: "INSPECTION/NUMBER", or "NUMBER" when one inspection. */
int wk_rec_resolve(wk_store *st, const char *arg, char **id);

typedef struct {
	const char *response, *reason_category, *part_implemented, *response_text;
} wk_rec_response;

int wk_rec_respond(wk_store *st, const char *rec, const wk_rec_response *r);

/* Resolve an inspection argument: NULL means the only one. */
int wk_inspection_resolve(wk_store *st, const char *arg, char **id);

/* The whole action plan of an inspection. */
int wk_actionplan_show(wk_store *st, const char *inspection, json_t **out);

/* Counts by response: {agreed, partly_agreed, not_agreed, total, actions: {...}}. */
int wk_actionplan_summary(wk_store *st, const char *inspection, json_t **out);

#endif
