/*
 * buf.c - capped growable buffers. See buf.h.
 */
#include "buf.h"
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

void wk_buf_free(wk_buf *b)
{
	if (!b)
		return;
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

void wk_buf_clear(wk_buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

int wk_buf_grow(wk_buf *b, size_t extra)
{
	size_t max = b->max ? b->max : WK_BUF_DEFAULT_MAX;
	size_t want, ncap;
	char *p;

	if (b->failed)
		return WK_ELIMIT;
	if (extra > max || b->len > max - extra) {
		b->failed = 1;
		return WK_ELIMIT;
	}
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
	p = realloc(b->ptr, ncap);
	if (!p) {
		b->failed = 1;
		return WK_ELIMIT;
	}
	b->ptr = p;
	b->cap = ncap;
	return 0;
}

void wk_buf_put(wk_buf *b, const void *data, size_t len)
{
	if (wk_buf_grow(b, len) < 0)
		return;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
}

void wk_buf_put_be(wk_buf *b, uint64_t v, unsigned bytes)
{
	unsigned char x[8];
	unsigned i;

	for (i = 0; i < bytes && i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
	wk_buf_put(b, x, i);
}

void wk_buf_puts(wk_buf *b, const char *s)
{
	wk_buf_put(b, s, strlen(s));
}

void wk_buf_putc(wk_buf *b, char c)
{
	wk_buf_put(b, &c, 1);
}

void wk_buf_printf(wk_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || wk_buf_grow(b, (size_t)n) < 0) {
		b->failed = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void wk_buf_json_str(wk_buf *b, const char *s)
{
	const unsigned char *p;

	if (!s) {
		wk_buf_puts(b, "null");
		return;
	}
	wk_buf_putc(b, '"');
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': wk_buf_puts(b, "\\\""); break;
		case '\\': wk_buf_puts(b, "\\\\"); break;
		case '\n': wk_buf_puts(b, "\\n"); break;
		case '\r': wk_buf_puts(b, "\\r"); break;
		case '\t': wk_buf_puts(b, "\\t"); break;
		default:
			if (*p < 0x20)
				wk_buf_printf(b, "\\u%04x", *p);
			else
				wk_buf_putc(b, (char)*p);
		}
	}
	wk_buf_putc(b, '"');
}

int wk_buf_check(const wk_buf *b, const char *what)
{
	if (!b->failed)
		return 0;
	return wk_error_set(WK_ELIMIT, "%s is too large (over %zu bytes) or memory ran out",
	                    what, b->max ? b->max : WK_BUF_DEFAULT_MAX);
}

char *wk_buf_detach(wk_buf *b)
{
	char *p = b->ptr;

	if (!p)
		p = calloc(1, 1);
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}

int wk_buf_read_file(wk_buf *b, const char *path, size_t max, const char *what)
{
	FILE *f;
	struct stat st;
	char chunk[65536];
	size_t n;
	int rc = 0, fd;

	/* O_NONBLOCK: a FIFO or a device with no writer must not hang us; it is refused below. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return wk_error_set(errno == ENOENT ? WK_ENOTFOUND : WK_EIO,
		                    "cannot open %s '%s': %s", what, path, strerror(errno));
	f = fdopen(fd, "rb");
	if (!f) {
		close(fd);
		return wk_error_set(WK_ELIMIT, "out of memory");
	}
	if (fstat(fileno(f), &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			fclose(f);
			return wk_error_set(WK_EINVALID, "%s '%s' is not a regular file", what, path);
		}
		if ((uint64_t)st.st_size > max) {
			fclose(f);
			return wk_error_set(WK_ELIMIT, "%s '%s' is %lld bytes; the limit is %zu bytes",
			                    what, path, (long long)st.st_size, max);
		}
	}
	wk_buf_clear(b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b->len + n > max) {
			rc = wk_error_set(WK_ELIMIT, "%s '%s' is larger than the limit of %zu bytes",
			                  what, path, max);
			goto out;
		}
		wk_buf_put(b, chunk, n);
	}
	if (ferror(f)) {
		rc = wk_error_set(WK_EIO, "cannot read %s '%s': %s", what, path, strerror(errno));
		goto out;
	}
	if (!b->ptr)
		wk_buf_put(b, "", 0);
	rc = wk_buf_check(b, what);
out:
	fclose(f);
	return rc;
}
