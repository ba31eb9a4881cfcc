/*
 * field.c - value checks shared by commands and importers. See field.h.
 */
#include "field.h"
#include "error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const char *const wk_assessment_statuses[] = {
	"not_assessed", "in_progress", "met", "partly_met", "not_met", "not_applicable", NULL };
const char *const wk_plan_statuses[] = {
	"draft", "submitted", "returned", "approved", "superseded", NULL };
const char *const wk_action_statuses[] = {
	"open", "in_progress", "completed", "cancelled", NULL };
const char *const wk_responses[] = { "agreed", "partly_agreed", "not_agreed", NULL };
const char *const wk_reason_categories[] = {
	"commissioning", "policy", "operational", "affordability", NULL };

int wk_field_utf8_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned c = *p;
		size_t n, i;
		unsigned cp;

		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
				return 0;
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) { n = 1; cp = c & 0x1f; }
		else if (c >= 0xe0 && c <= 0xef) { n = 2; cp = c & 0x0f; }
		else if (c >= 0xf0 && c <= 0xf4) { n = 3; cp = c & 0x07; }
		else return 0;
		if ((size_t)(end - p) <= n)
			return 0;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += n + 1;
	}
	return 1;
}

int wk_field_text(const char *field, const char *value, size_t max, int required)
{
	size_t len;

	if (!max)
		max = WK_FIELD_TEXT_MAX;
	if (!value || !*value)
		return required ? wk_error_set(WK_EINVALID, "%s is required", field) : 0;
	len = strlen(value);
	if (len > max)
		return wk_error_set(WK_EINVALID, "%s is too long (%zu bytes; at most %zu)", field, len, max);
	if (!wk_field_utf8_ok(value, len) || memchr(value, '\r', len))
		return wk_error_set(WK_EINVALID, "%s is not valid UTF-8 text (or holds control characters)", field);
	return 0;
}

int wk_field_is_code_n(const char *s, size_t len)
{
	size_t i;

	if (!s || len < WK_FIELD_CODE_MIN || len > WK_FIELD_CODE_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

int wk_field_is_code(const char *s)
{
	return s && wk_field_is_code_n(s, strlen(s));
}

static int days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

static int parse_digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* 2 for YYYY-MM-DD, 1 for YYYY-MM, 0 otherwise. */
static int iso_kind(const char *v)
{
	size_t len = strlen(v);
	int y, m, d;

	if ((len != 7 && len != 10) || v[4] != '-')
		return 0;
	y = parse_digits(v, 4);
	m = parse_digits(v + 5, 2);
	if (y < 1900 || y > 2999 || m < 1 || m > 12)
		return 0;
	if (len == 7)
		return 1;
	if (v[7] != '-' || (d = parse_digits(v + 8, 2)) < 1 || d > days_in_month(y, m))
		return 0;
	return 2;
}

int wk_field_date(const char *field, const char *value)
{
	if (!value || iso_kind(value) != 2)
		return wk_error_set(WK_EINVALID, "%s '%s' is not a date; use YYYY-MM-DD",
		                    field, value ? value : "");
	return 0;
}

int wk_field_target(const char *field, const char *value, char *out, size_t size)
{
	static const char *const months[] = { "january", "february", "march", "april", "may",
		"june", "july", "august", "september", "october", "november", "december" };
	char word[16];
	int kind, year, m, used = 0;

	if (!value || !*value)
		return wk_error_set(WK_EINVALID, "%s is required", field);
	if ((kind = iso_kind(value)) != 0) {
		snprintf(out, size, "%s", value);
		return 0;
	}
	if (sscanf(value, "%15[A-Za-z] %4d%n", word, &year, &used) == 2 &&
	    value[used] == '\0' && year >= 1900 && year <= 2999) {
		for (m = 0; m < 12; m++)
			if (strcasecmp(word, months[m]) == 0) {
				snprintf(out, size, "%04d-%02d", year, m + 1);
				return 0;
			}
	}
	return wk_error_set(WK_EINVALID,
		"%s '%s' is not a date; use YYYY-MM-DD, YYYY-MM or a month such as 'June 2023'",
		field, value);
}

int wk_field_date_cmp(const char *a, const char *b)
{
	return strncmp(a, b, strlen(a) < strlen(b) ? strlen(a) : strlen(b));
}

int wk_field_stage(const char *field, const char *value, int *out)
{
	if (!value || strlen(value) != 1 || value[0] < '1' || value[0] > '4')
		return wk_error_set(WK_EINVALID,
			"%s '%s' is not a stage; use 4 (Lockdown), 3 (Restrict), 2 (Reduce) or 1 (Prepare)",
			field, value ? value : "");
	*out = value[0] - '0';
	return 0;
}

int wk_field_enum(const char *field, const char *value, const char *const *allowed)
{
	char list[256] = "";
	size_t i;

	for (i = 0; value && allowed[i]; i++)
		if (strcmp(value, allowed[i]) == 0)
			return 0;
	for (i = 0; allowed[i]; i++) {
		strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
		strncat(list, allowed[i], sizeof(list) - strlen(list) - 1);
	}
	return wk_error_set(WK_EINVALID, "%s '%s' is not valid; use one of: %s",
	                    field, value ? value : "", list);
}

void wk_field_today(char out[11])
{
	const char *env = getenv("WICKET_TODAY");
	time_t now;
	struct tm tm;

	if (env && iso_kind(env) == 2) {
		memcpy(out, env, 10);
		out[10] = '\0';
		return;
	}
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}
