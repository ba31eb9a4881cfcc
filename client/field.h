/*
 * field.h - checks and normal forms for the values users type and files carry.
 *
 * One place decides what a valid date, stage, status or text is, so that the
 * commands and the importer accept and refuse the same things. Each check
 * sets an error naming the field ("target date '31/02/2023' is not a date;
 * use YYYY-MM-DD") and returns WK_EINVALID.
 */
#ifndef WK_FIELD_H
#define WK_FIELD_H

#include <stddef.h>

/* Longest free-text value accepted, in bytes. */
#define WK_FIELD_TEXT_MAX ((size_t)64 * 1024)

/* Is s (len bytes) valid UTF-8 with no NUL and no control characters but tab, CR and LF? (a file) */
int wk_field_utf8_ok(const char *s, size_t len);

/* Text: valid UTF-8 with no control characters but tab and LF, at most max bytes (0: WK_FIELD_TEXT_MAX); required: not empty. */
int wk_field_text(const char *field, const char *value, size_t max, int required);

/*
 * A site, region or device code: 2 to 16 of A-Z a-z 0-9 and '-', in ASCII
 * whatever the locale (codes travel in formats and ref names). 1 or 0; no
 * message, so the caller names what was wrong. wk_field_is_code_n for bytes
 * that are not NUL-terminated.
 */
#define WK_FIELD_CODE_MIN 2
#define WK_FIELD_CODE_MAX 16
int wk_field_is_code_n(const char *s, size_t len);
int wk_field_is_code(const char *s);

/* A calendar date YYYY-MM-DD. */
int wk_field_date(const char *field, const char *value);

/*
 * A target: YYYY-MM-DD (day), YYYY-MM or "June 2023" (month). The normal form
 * (YYYY-MM-DD or YYYY-MM) is written to out (at least 11 bytes).
 */
int wk_field_target(const char *field, const char *value, char *out, size_t size);

/* Compare two dates or months as the first one ends: < 0, 0, > 0 (prefix order). */
int wk_field_date_cmp(const char *a, const char *b);

/* A stage number 1..4 into *out. */
int wk_field_stage(const char *field, const char *value, int *out);

/* value must be one of the NULL-terminated allowed list. */
int wk_field_enum(const char *field, const char *value, const char *const *allowed);

/* The allowed values of the domain's enumerations. */
extern const char *const wk_assessment_statuses[];
extern const char *const wk_plan_statuses[];
extern const char *const wk_action_statuses[];
extern const char *const wk_responses[];
extern const char *const wk_reason_categories[];

/* Today's date, YYYY-MM-DD (WICKET_TODAY overrides it, for tests and demos). */
void wk_field_today(char out[11]);

#endif
