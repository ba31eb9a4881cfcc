/*
 * csv.c - the strict CSV reader. See csv.h.
 */
#include "csv.h"
#include "error.h"

#include <string.h>

void wk_csv_init(wk_csv *c, const char *data, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->p = data;
	c->end = data + len;
	c->line = 1;
	c->text.max = (size_t)16 << 20;
}

void wk_csv_free(wk_csv *c)
{
	wk_buf_free(&c->text);
}

const char *wk_csv_field(const wk_csv *c, int i)
{
	return i < c->nfields ? c->text.ptr + c->off[i] : "";
}

static int end_field(wk_csv *c)
{
	if (c->nfields >= WK_CSV_MAX_FIELDS)
		return wk_error_set(WK_EINVALID, "line %d: more than %d fields", c->row_line, WK_CSV_MAX_FIELDS);
	wk_buf_putc(&c->text, '\0');
	c->nfields++;
	if (c->nfields < WK_CSV_MAX_FIELDS)
		c->off[c->nfields] = c->text.len;
	return 0;
}

int wk_csv_next(wk_csv *c)
{
	int rc;

	if (c->p >= c->end)
		return 0;
	wk_buf_clear(&c->text);
	wk_buf_put(&c->text, "", 0);
	c->nfields = 0;
	c->off[0] = 0;
	c->row_line = c->line;
	if (*c->p == '\n' || (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n'))
		return wk_error_set(WK_EINVALID, "line %d: empty line", c->line);
	for (;;) {
		if (c->p < c->end && *c->p == '"') {
			c->p++;
			for (;;) {
				if (c->p >= c->end)
					return wk_error_set(WK_EINVALID, "line %d: a quoted field is not closed", c->row_line);
				if (*c->p == '"') {
					if (c->p + 1 < c->end && c->p[1] == '"') {
						wk_buf_putc(&c->text, '"');
						c->p += 2;
						continue;
					}
					c->p++;
					break;
				}
				if (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n') {
					c->p++;
					continue;
				}
				if (*c->p == '\n')
					c->line++;
				wk_buf_putc(&c->text, *c->p++);
			}
			if (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r')
				return wk_error_set(WK_EINVALID, "line %d: text after a closing quote", c->line);
		} else {
			while (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
				if (*c->p == '"')
					return wk_error_set(WK_EINVALID,
						"line %d: a double quote inside an unquoted field; quote the field and double the quote",
						c->line);
				wk_buf_putc(&c->text, *c->p++);
			}
		}
		if ((rc = end_field(c)) < 0)
			return rc;
		if (c->p >= c->end)
			break;
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (*c->p == '\r') {
			if (c->p + 1 >= c->end || c->p[1] != '\n')
				return wk_error_set(WK_EINVALID, "line %d: a carriage return without a line feed", c->line);
			c->p++;
		}
		c->p++; /* '\n' */
		c->line++;
		break;
	}
	if ((rc = wk_buf_check(&c->text, "CSV row")) < 0)
		return rc;
	return 1;
}
