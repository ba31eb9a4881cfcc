/*
 * passphrase.c - a passphrase from a file, an environment variable or the
 * terminal, into sodium_malloc memory.
 *
 * The terminal prompt turns echo off on /dev/tty and must give the terminal
 * back as it found it whatever happens: the signals that would end or stop
 * the process while echo is off are caught, echo is restored, and then the
 * signal is delivered as if nothing had intervened (what OpenBSD's
 * readpassphrase does).
 */
#include "passphrase.h"

#include "error.h"
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/* A line holds the passphrase, then "\r\n", then one byte that shows it was longer. */
#define LINE_CAP (WK_PASSPHRASE_MAX + 3)

static int usable(const unsigned char *p, size_t n, const char *from)
{
	if (n == 0)
		return wk_error_set(WK_EINVALID, "the passphrase from %s is empty", from);
	if (n > WK_PASSPHRASE_MAX)
		return wk_error_set(WK_EINVALID, "the passphrase from %s is longer than %d bytes", from,
		                    WK_PASSPHRASE_MAX);
	if (memchr(p, '\0', n))
		return wk_error_set(WK_EINVALID, "the passphrase from %s holds a NUL byte", from);
	return 0;
}

/* Copy p[0..n) into sodium_malloc memory as the result, if it is a usable passphrase. */
static int keep(char **out, size_t *len, const unsigned char *p, size_t n, const char *from)
{
	char *s;
	int rc;

	if ((rc = usable(p, n, from)) < 0)
		return rc;
	if (!(s = sodium_malloc(n + 1)))
		return wk_error_set(WK_ELIMIT, "cannot allocate protected memory for a passphrase");
	memcpy(s, p, n);
	s[n] = '\0';
	*out = s;
	*len = n;
	return 0;
}

/* The length of the first line of p[0..n), without its "\n" or "\r\n". */
static size_t first_line(const unsigned char *p, size_t n)
{
	const unsigned char *nl = memchr(p, '\n', n);
	size_t m = nl ? (size_t)(nl - p) : n;

	if (m > 0 && p[m - 1] == '\r')
		m--;
	return m;
}

static int from_file(char **out, size_t *len, const char *path)
{
	unsigned char *buf = NULL;
	char from[64 + 4096];
	struct stat st;
	size_t got = 0;
	int rc;

	snprintf(from, sizeof(from), "passphrase file '%s'", path);
	if ((rc = wk_keys_read_secret_file(&buf, &got, &st, path, LINE_CAP - 1, "passphrase file")) < 0)
		return rc;
	if (st.st_mode & 077)
		rc = wk_error_set(WK_EINVALID, "%s is accessible by others (mode %04o); run 'chmod 600 %s'", from,
		                  (unsigned)(st.st_mode & 07777), path);
	else
		rc = keep(out, len, buf, first_line(buf, got), from);
	sodium_free(buf);
	return rc;
}

static int from_env(char **out, size_t *len, const char *name, const char *value)
{
	char from[128];

	snprintf(from, sizeof(from), "environment variable %s", name);
	return keep(out, len, (const unsigned char *)value, strlen(value), from);
}

/* ---- the terminal ---- */

static const int tty_signals[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGTSTP, SIGTTIN, SIGTTOU };
#define NSIGS (sizeof(tty_signals) / sizeof(tty_signals[0]))
static volatile sig_atomic_t tty_caught;

static void on_signal(int sig)
{
	tty_caught = sig;
}

/*
 * Ask once: prompt on fd with echo off, read one line into buf (LINE_CAP
 * bytes). *n is its length without the newline (LINE_CAP when it was too
 * long). Returns 0, minus errno on an I/O error, or the number of a signal
 * caught while asking (echo and the handlers are restored by then; the
 * caller delivers it).
 */
static int tty_ask(int fd, const char *prompt, unsigned char *buf, size_t *n)
{
	struct sigaction sa, old[NSIGS];
	struct termios saved, quiet;
	int echo_off = 0, result = 0;
	size_t i, got = 0;
	unsigned char c;
	ssize_t r;

	tty_caught = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a signal ends the read() */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NSIGS; i++) {
		sigaction(tty_signals[i], NULL, &old[i]);
		if (old[i].sa_handler != SIG_IGN) /* an ignored signal stays ignored */
			sigaction(tty_signals[i], &sa, NULL);
	}
	if (tcgetattr(fd, &saved) == 0) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
		quiet.c_lflag |= ECHONL;
		echo_off = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	if (!tty_caught && write(fd, prompt, strlen(prompt)) < 0)
		result = -errno;
	while (!result && !tty_caught) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			result = -errno;
		if (r <= 0 || c == '\n')
			break;
		if (got < LINE_CAP)
			buf[got++] = c;
	}
	sodium_memzero(&c, sizeof(c));
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &saved);
	for (i = 0; i < NSIGS; i++)
		sigaction(tty_signals[i], &old[i], NULL);
	if (got < LINE_CAP && got > 0 && buf[got - 1] == '\r')
		got--;
	*n = got;
	return tty_caught ? (int)tty_caught : result;
}

/* Ask until answered: a stop signal stops the process, and when it is continued it asks again. */
static int tty_read(int fd, const char *prompt, unsigned char *buf, size_t *n)
{
	int sig;

	for (;;) {
		sig = tty_ask(fd, prompt, buf, n);
		if (sig <= 0)
			return sig == 0 ? 0 : wk_error_set(WK_EIO, "cannot read a passphrase from the terminal: %s",
			                                   strerror(-sig));
		kill(getpid(), sig);
		if (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU)
			return wk_error_set(WK_ERROR, "asking for the passphrase was interrupted");
	}
}

static int from_tty(char **out, size_t *len, const wk_passphrase_source *src)
{
	const char *prompt = src->prompt_text ? src->prompt_text : "passphrase: ";
	unsigned char *a = NULL, *b = NULL;
	size_t na, nb;
	int fd, rc;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0)
		return wk_error_set(WK_EUSAGE, "cannot ask for a passphrase: no terminal (%s); give it in a file "
		                    "or an environment variable", strerror(errno));
	if (!(a = sodium_malloc(LINE_CAP)) || !(b = sodium_malloc(LINE_CAP))) {
		rc = wk_error_set(WK_ELIMIT, "cannot allocate protected memory for a passphrase");
		goto out;
	}
	if ((rc = tty_read(fd, prompt, a, &na)) < 0 || (rc = usable(a, na, "the terminal")) < 0)
		goto out;
	if (src->confirm) {
		if ((rc = tty_read(fd, "repeat passphrase: ", b, &nb)) < 0)
			goto out;
		if (na != nb || sodium_memcmp(a, b, na) != 0) {
			rc = wk_error_set(WK_EINVALID, "the two passphrases typed differ");
			goto out;
		}
	}
	rc = keep(out, len, a, na, "the terminal");
out:
	sodium_free(a);
	sodium_free(b);
	close(fd);
	return rc;
}

int wk_passphrase_read(char **out, size_t *len, const wk_passphrase_source *src)
{
	const char *value = src->env ? getenv(src->env) : NULL;
	int rc;

	*out = NULL;
	*len = 0;
	if (sodium_init() < 0)
		return wk_error_set(WK_ERROR, "cannot start the crypto library");
	if ((rc = wk_keys_harden_process()) < 0)
		return rc;
	if (src->file)
		return from_file(out, len, src->file);
	if (value)
		return from_env(out, len, src->env, value);
	if (src->prompt)
		return from_tty(out, len, src);
	if (src->env)
		return wk_error_set(WK_EUSAGE, "no passphrase: the environment variable %s is not set", src->env);
	return wk_error_set(WK_EUSAGE, "no passphrase: no file, environment variable or terminal was given");
}

void wk_passphrase_free(char *p, size_t len)
{
	(void)len; /* sodium_free knows the size, and zeroes it all */
	sodium_free(p);
}
