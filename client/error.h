/*
 * error.h - the one error type of the wicket library.
 *
 * Every library function returns 0 (WK_OK) or a negative wk_code. The function
 * that finds a failure sets the message once with wk_error_set(); callers pass
 * the code up unchanged and never overwrite the message. Only the command line
 * prints it. Foreign codes (SQLITE_*, GIT_E*, libarchive, Lua) are translated
 * in the module that wraps that library and never leak past it.
 *
 * Messages are lower-case, say what failed and on what, and say what to do
 * where there is something to do. They never hold key material or plan text
 * beyond what the user typed.
 */
#ifndef WK_ERROR_H
#define WK_ERROR_H

typedef enum {
	WK_OK = 0,
	WK_ERROR = -1,      /* a failure with no more precise code */
	WK_ENOTFOUND = -2,  /* a named thing does not exist */
	WK_EEXISTS = -3,    /* a thing to be created already exists */
	WK_EINVALID = -4,   /* bad input: a field, a value, a file */
	WK_EUSAGE = -5,     /* the caller used the interface wrongly */
	WK_ELIMIT = -6,     /* a size, count, time or memory cap was reached */
	WK_ECONFLICT = -7,  /* the state does not allow this change */
	WK_EBADSIG = -8,    /* a signature or authenticity check failed */
	WK_ELOCKED = -9,    /* another process holds the store */
	WK_ECORRUPT = -10,  /* a store or file is damaged */
	WK_EVERSION = -11,  /* a format or schema is newer than this program */
	WK_EPOLICY = -12,   /* a policy rule refused the change */
	WK_EIO = -13,       /* an operating-system input/output failure */
	WK_ENOSPACE = -14,  /* the disk is full */
	WK_EREADONLY = -15, /* the store or file cannot be written */
	WK_ENOTSTORE = -16  /* the file is not a wicket store */
} wk_code;

/*
 * Set the message for the current failure and return code, so that callers
 * write `return wk_error_set(WK_EINVALID, "...")`. The message is kept per
 * thread until the next wk_error_set() or wk_error_clear(). wk_error_msg()
 * may be among the arguments, to add context to the current message.
 */
int wk_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The last message set on this thread; "" when none. Borrowed. */
const char *wk_error_msg(void);

/* The code given to the last wk_error_set() on this thread; WK_OK when none. */
int wk_error_code(void);

/* Forget the last failure. */
void wk_error_clear(void);

/* A short name for a code ("not found", "limit exceeded", ...). Static. */
const char *wk_error_name(int code);

#endif
