/*
 * buf.h - growable byte buffers with a hard maximum.
 *
 * Every buffer filled from outside has a cap: `max` (0 means the default of
 * 64 MiB). Once an append fails (allocation or cap), the buffer is marked
 * failed and every later append is a no-op, so a writer can append freely and
 * check once at the end with wk_buf_check(). The content is always
 * NUL-terminated when ptr is not NULL. A wk_buf owns its memory: release it
 * with wk_buf_free(). Not for secrets (see keys, which use sodium_malloc).
 */
#ifndef WK_BUF_H
#define WK_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	char *ptr;
	size_t len;
	size_t cap;
	size_t max;   /* hard cap on len; 0: WK_BUF_DEFAULT_MAX */
	int failed;   /* sticky: set by the first failed append */
} wk_buf;

#define WK_BUF_INIT { NULL, 0, 0, 0, 0 }
#define WK_BUF_DEFAULT_MAX ((size_t)64 << 20)

void wk_buf_free(wk_buf *b);
void wk_buf_clear(wk_buf *b);             /* len = 0, failed = 0; keeps memory */
int wk_buf_grow(wk_buf *b, size_t extra); /* 0 or WK_ELIMIT; sets failed */
void wk_buf_put(wk_buf *b, const void *data, size_t len);
void wk_buf_puts(wk_buf *b, const char *s);
void wk_buf_putc(wk_buf *b, char c);
void wk_buf_printf(wk_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append the low `bytes` bytes of v, most significant first (the formats' integers). */
void wk_buf_put_be(wk_buf *b, uint64_t v, unsigned bytes);
/* Append s as a JSON string literal, quotes included; NULL appends null. */
void wk_buf_json_str(wk_buf *b, const char *s);
/* 0, or WK_ELIMIT with a message naming what (e.g. "report") when failed. */
int wk_buf_check(const wk_buf *b, const char *what);

/* Hand the content to the caller (free() it); the buffer is left empty. */
char *wk_buf_detach(wk_buf *b);

/*
 * Read a whole file into b, refusing one larger than max bytes before
 * reading it all. what names the file in messages ("import file").
 */
int wk_buf_read_file(wk_buf *b, const char *path, size_t max, const char *what);

#endif
