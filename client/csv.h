/*
 * csv.h - a strict RFC 4180 reader over a buffer in memory.
 *
 * Comma separated; CRLF or LF line ends; double-quoted fields with "" for a
 * quote; a CRLF inside quotes reads as LF. Nothing is trimmed. Errors name
 * the line on which the row starts. The input is not modified; fields are
 * copied into a capped buffer owned by the reader.
 */
#ifndef WK_CSV_H
#define WK_CSV_H

#include <stddef.h>

#include "buf.h"

#define WK_CSV_MAX_FIELDS 64

typedef struct {
	const char *p, *end;
	int line;                     /* the line the next row starts on */
	int row_line;                 /* the line the current row started on */
	wk_buf text;                  /* the current row's fields, NUL-separated */
	size_t off[WK_CSV_MAX_FIELDS];
	int nfields;
} wk_csv;

void wk_csv_init(wk_csv *c, const char *data, size_t len);
void wk_csv_free(wk_csv *c);

/*
 * Read the next row. Returns 1 with a row, 0 at the end, or a negative
 * wk code with a message "line N: ...".
 */
int wk_csv_next(wk_csv *c);

/* Field i of the current row (NUL-terminated, borrowed until the next row). */
const char *wk_csv_field(const wk_csv *c, int i);

#endif
