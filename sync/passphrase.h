/*
 * passphrase.h - reading the passphrase that protects a key file: from an
 * environment variable, from a file, or from the terminal without echo.
 *
 * The passphrase ends up in sodium_malloc memory, NUL-terminated, and is
 * wiped by wk_passphrase_free(). It is 1 to WK_PASSPHRASE_MAX bytes; a
 * trailing "\n" or "\r\n" is not part of it. Only the terminal prompt writes
 * anything, and only to the terminal (/dev/tty), never to stdout.
 *
 * This module must not know what the passphrase protects (keys.h).
 */
#ifndef WK_PASSPHRASE_H
#define WK_PASSPHRASE_H

#include <stddef.h>

#define WK_PASSPHRASE_MAX 1024

typedef struct {
	const char *env;    /* name of an environment variable, e.g. "WICKET_PASSPHRASE" */
	const char *file;   /* a file whose first line is the passphrase */
	int prompt;         /* ask on the terminal */
	int confirm;        /* when asking, ask twice and require the same answer */
	const char *prompt_text; /* NULL: "passphrase: " */
} wk_passphrase_source;

#define WK_PASSPHRASE_SOURCE_INIT { NULL, NULL, 0, 0, NULL }

/*
 * Read a passphrase from the first source that applies, in this order:
 *
 *  - file, when set: its first line. The file must be a regular file of at
 *    most WK_PASSPHRASE_MAX + 2 bytes that group and others cannot read
 *    (chmod 600); a missing, oversized, unreadable or loose file is an
 *    error, never a fall-through to the next source.
 *  - env, when set and the variable is defined: its whole value.
 *  - the terminal, when prompt is set: /dev/tty, echo off (restored even if
 *    a signal arrives while asking; the signal is then delivered).
 *
 * An empty or over-long passphrase is refused (WK_EINVALID), as are two
 * answers that differ (WK_EINVALID). No source that applies: WK_EUSAGE, as
 * when prompt is set but there is no terminal. Core dumps are turned off
 * first (wk_keys_harden_process).
 *
 * *out belongs to the caller: wk_passphrase_free(*out, *len).
 */
int wk_passphrase_read(char **out, size_t *len, const wk_passphrase_source *src);

/* Wipe and free a passphrase from wk_passphrase_read; accepts NULL. */
void wk_passphrase_free(char *p, size_t len);

#endif
