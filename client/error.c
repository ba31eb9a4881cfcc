/*
 * error.c - the thread-local error message behind wk_error_set().
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char wk_errmsg[1024];
static _Thread_local int wk_errcode;

int wk_error_set(int code, const char *fmt, ...)
{
	char msg[sizeof(wk_errmsg)];
	va_list ap;

	/*
	 * Format into a copy first: callers may pass wk_error_msg() itself as an
	 * argument, to wrap the current message with more context.
	 */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(wk_errmsg, msg, sizeof(msg));
	wk_errcode = code;
	return code;
}

const char *wk_error_msg(void)
{
	return wk_errmsg;
}

int wk_error_code(void)
{
	return wk_errcode;
}

void wk_error_clear(void)
{
	wk_errmsg[0] = '\0';
	wk_errcode = WK_OK;
}

const char *wk_error_name(int code)
{
	switch (code) {
	case WK_OK: return "ok";
	case WK_ENOTFOUND: return "not found";
	case WK_EEXISTS: return "already exists";
	case WK_EINVALID: return "invalid input";
	case WK_EUSAGE: return "usage";
	case WK_ELIMIT: return "limit exceeded";
	case WK_ECONFLICT: return "conflict";
	case WK_EBADSIG: return "bad signature";
	case WK_ELOCKED: return "locked";
	case WK_ECORRUPT: return "corrupt";
	case WK_EVERSION: return "version";
	case WK_EPOLICY: return "policy";
	case WK_EIO: return "i/o error";
	case WK_ENOSPACE: return "disk full";
	case WK_EREADONLY: return "read-only";
	case WK_ENOTSTORE: return "not a store";
	default: return "error";
	}
}
