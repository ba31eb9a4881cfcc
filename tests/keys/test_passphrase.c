/*
 * The passphrase comes from an environment variable, a file or the terminal.
 * The terminal is a real pseudo-terminal: what is typed is not echoed, two
 * different answers are refused, echo comes back even when the prompt is
 * interrupted, and with no terminal the error says what to do instead.
 */
#include "test.h"
#include "error.h"
#include "keys.h"
#include "keys_util.h"
#include "passphrase.h"

#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stddef.h>
#include <sys/wait.h>
#include <termios.h>

static void test_env(void)
{
	wk_passphrase_source src = WK_PASSPHRASE_SOURCE_INIT;
	char *p = NULL, big[WK_PASSPHRASE_MAX + 2];
	size_t n = 0;

	src.env = "WK_TEST_PASSPHRASE";
	setenv("WK_TEST_PASSPHRASE", "open sesame", 1);
	CHECK_EQ_INT(wk_passphrase_read(&p, &n, &src), 0);
	CHECK_EQ_STR(p, "open sesame");
	CHECK_EQ_INT(n, 11);
	wk_passphrase_free(p, n);

	setenv("WK_TEST_PASSPHRASE", "", 1);
	CHECK_EQ_INT(wk_passphrase_read(&p, &n, &src), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "environment variable WK_TEST_PASSPHRASE is empty");
	CHECK(p == NULL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	setenv("WK_TEST_PASSPHRASE", big, 1);
	CHECK_EQ_INT(wk_passphrase_read(&p, &n, &src), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "longer than 1024 bytes");
	big[WK_PASSPHRASE_MAX] = '\0';
	setenv("WK_TEST_PASSPHRASE", big, 1);
	CHECK_EQ_INT(wk_passphrase_read(&p, &n, &src), 0);
	CHECK_EQ_INT(n, WK_PASSPHRASE_MAX);
	wk_passphrase_free(p, n);

	unsetenv("WK_TEST_PASSPHRASE");
	CHECK_EQ_INT(wk_passphrase_read(&p, &n, &src), WK_EUSAGE);
	CHECK_CONTAINS(wk_error_msg(), "WK_TEST_PASSPHRASE is not set");
	src.env = NULL;
	CHECK_EQ_INT(wk_passphrase_read(&p, &n, &src), WK_EUSAGE);
	wk_passphrase_free(NULL, 0);
}

static int read_file_source(const char *path, char **p, size_t *n)
{
	wk_passphrase_source src = WK_PASSPHRASE_SOURCE_INIT;

	src.file = path;
	src.env = "WK_TEST_PASSPHRASE"; /* set: the file still comes first */
	return wk_passphrase_read(p, n, &src);
}

static void test_file(void)
{
	char *p = NULL, big[2048];
	size_t n = 0;

	setenv("WK_TEST_PASSPHRASE", "from the environment", 1);
	CHECK_EQ_INT(put_file(scratch("pass"), "file secret\nsecond line\n", 24, 0600), 0);
	CHECK_EQ_INT(read_file_source(scratch("pass"), &p, &n), 0);
	CHECK_EQ_STR(p, "file secret");
	wk_passphrase_free(p, n);
	CHECK_EQ_INT(put_file(scratch("pass"), "dos secret\r\n", 12, 0400), 0);
	CHECK_EQ_INT(read_file_source(scratch("pass"), &p, &n), 0);
	CHECK_EQ_STR(p, "dos secret");
	CHECK_EQ_INT(n, 10);
	wk_passphrase_free(p, n);
	CHECK_EQ_INT(put_file(scratch("pass"), "no newline", 10, 0600), 0);
	CHECK_EQ_INT(read_file_source(scratch("pass"), &p, &n), 0);
	CHECK_EQ_STR(p, "no newline");
	wk_passphrase_free(p, n);

	CHECK_EQ_INT(read_file_source(scratch("missing"), &p, &n), WK_ENOTFOUND);
	CHECK_CONTAINS(wk_error_msg(), "missing");
	CHECK(p == NULL);
	CHECK_EQ_INT(read_file_source(scratch_dir, &p, &n), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "not a regular file");
	memset(big, 'y', sizeof(big));
	CHECK_EQ_INT(put_file(scratch("pass"), big, sizeof(big), 0600), 0);
	CHECK_EQ_INT(read_file_source(scratch("pass"), &p, &n), WK_ELIMIT);
	CHECK_CONTAINS(wk_error_msg(), "is 2048 bytes; the limit is 1026 bytes");
	/* A first line of 1025 bytes in a file that is small enough. */
	big[WK_PASSPHRASE_MAX + 1] = '\n';
	CHECK_EQ_INT(put_file(scratch("pass"), big, WK_PASSPHRASE_MAX + 2, 0600), 0);
	CHECK_EQ_INT(read_file_source(scratch("pass"), &p, &n), WK_EINVALID);
	CHECK_EQ_INT(put_file(scratch("pass"), "\nsecret on line two\n", 20, 0600), 0);
	CHECK_EQ_INT(read_file_source(scratch("pass"), &p, &n), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "is empty");
	CHECK_EQ_INT(put_file(scratch("pass"), "", 0, 0600), 0);
	CHECK_EQ_INT(read_file_source(scratch("pass"), &p, &n), WK_EINVALID);
	CHECK_EQ_INT(put_file(scratch("pass"), "shared\n", 7, 0644), 0);
	CHECK_EQ_INT(read_file_source(scratch("pass"), &p, &n), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "chmod 600");
	CHECK(p == NULL);
	unsetenv("WK_TEST_PASSPHRASE");
}

/* ---- the terminal, through a pseudo-terminal ---- */

/* Read what the terminal shows into buf (appending) until it holds want or ms pass. */
static int expect(int master, char *buf, size_t size, size_t *len, const char *want, int ms)
{
	struct pollfd pfd = { master, POLLIN, 0 };
	ssize_t r;

	while (!strstr(buf, want)) {
		if (poll(&pfd, 1, ms) <= 0)
			return -1;
		r = read(master, buf + *len, size - 1 - *len);
		if (r <= 0)
			return -1;
		*len += (size_t)r;
		buf[*len] = '\0';
	}
	return 0;
}

typedef struct {
	int rc;           /* what wk_passphrase_read returned in the child */
	char got[64];     /* the passphrase it read */
	char screen[1024]; /* everything the terminal showed */
	int status;       /* the child's wait status */
	int echo_after;   /* ECHO set on the terminal once the child is gone */
} prompt_run;

/*
 * Run wk_passphrase_read(prompt) in a child whose controlling terminal is a
 * new pseudo-terminal, and type each answer after each prompt. With
 * interrupt 1, send SIGINT at the first prompt instead of answering; with 2,
 * send it to a child that ignores SIGINT, and answer all the same.
 */
static void run_prompt(prompt_run *run, int confirm, const char *const *answers, size_t nanswers,
                       int interrupt)
{
	wk_passphrase_source src = WK_PASSPHRASE_SOURCE_INIT;
	struct termios t;
	size_t len = 0, i;
	int fds[2], master;
	char *p = NULL;
	size_t n = 0;
	pid_t pid;

	memset(run, 0, sizeof(*run));
	run->rc = 1;
	if (pipe(fds) != 0)
		return;
	pid = forkpty(&master, NULL, NULL, NULL);
	if (pid == 0) {
		close(fds[0]);
		signal(SIGINT, interrupt == 2 ? SIG_IGN : SIG_DFL); /* a background shell may ignore it */
		src.prompt = 1;
		src.confirm = confirm;
		src.prompt_text = "key passphrase: ";
		run->rc = wk_passphrase_read(&p, &n, &src);
		if (p)
			snprintf(run->got, sizeof(run->got), "%s", p);
		if (write(fds[1], run, sizeof(*run)) != (ssize_t)sizeof(*run))
			_exit(3);
		_exit(0);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return;
	}
	for (i = 0; i < nanswers || (interrupt == 1 && i == 0); i++) {
		if (expect(master, run->screen, sizeof(run->screen), &len, i ? "repeat passphrase: " :
		           "key passphrase: ", 10000) != 0)
			break;
		if (interrupt) {
			kill(pid, SIGINT);
			if (interrupt == 1)
				break;
		}
		if (write(master, answers[i], strlen(answers[i])) < 0)
			break;
	}
	/* Drain what is left of the screen, so the child never blocks writing to it. */
	expect(master, run->screen, sizeof(run->screen), &len, "\001never\001", 300);
	waitpid(pid, &run->status, 0);
	if (interrupt != 1 && read(fds[0], run, offsetof(prompt_run, screen)) != offsetof(prompt_run, screen))
		run->rc = 1;
	if (tcgetattr(master, &t) == 0)
		run->echo_after = (t.c_lflag & ECHO) != 0;
	close(fds[0]);
	close(master);
}

static void test_prompt(void)
{
	const char *same[] = { "tty secret\n", "tty secret\n" };
	const char *differ[] = { "tty secret\n", "tty secreT\n" };
	const char *empty[] = { "\n" };
	prompt_run run;

	run_prompt(&run, 0, same, 1, 0);
	CHECK_EQ_INT(run.rc, 0);
	CHECK_EQ_STR(run.got, "tty secret");
	CHECK_CONTAINS(run.screen, "key passphrase: ");
	CHECK(strstr(run.screen, "tty secret") == NULL); /* not echoed */
	CHECK(strstr(run.screen, "repeat") == NULL);
	CHECK(run.echo_after);

	run_prompt(&run, 1, same, 2, 0);
	CHECK_EQ_INT(run.rc, 0);
	CHECK_EQ_STR(run.got, "tty secret");
	CHECK_CONTAINS(run.screen, "repeat passphrase: ");
	CHECK(strstr(run.screen, "secret") == NULL);

	run_prompt(&run, 1, differ, 2, 0);
	CHECK_EQ_INT(run.rc, WK_EINVALID);
	CHECK_EQ_STR(run.got, "");

	run_prompt(&run, 1, empty, 1, 0);
	CHECK_EQ_INT(run.rc, WK_EINVALID);
	CHECK(strstr(run.screen, "repeat") == NULL); /* refused before asking again */

	/* Ctrl-C while echo is off: the process dies of SIGINT, and echo is back on. */
	run_prompt(&run, 0, NULL, 0, 1);
	CHECK(WIFSIGNALED(run.status) && WTERMSIG(run.status) == SIGINT);
	CHECK(run.echo_after);
	/* A process that ignores SIGINT keeps ignoring it while it asks. */
	run_prompt(&run, 0, same, 1, 2);
	CHECK_EQ_INT(run.rc, 0);
	CHECK_EQ_STR(run.got, "tty secret");
}

static void test_no_terminal(void)
{
	wk_passphrase_source src = WK_PASSPHRASE_SOURCE_INIT;
	char *p = NULL, msg[512] = "";
	int fds[2], status = 0;
	size_t n = 0;
	pid_t pid;

	if (pipe(fds) != 0)
		return;
	pid = fork();
	if (pid == 0) {
		setsid(); /* no controlling terminal */
		src.prompt = 1;
		src.env = "WK_TEST_PASSPHRASE_UNSET";
		if (wk_passphrase_read(&p, &n, &src) != WK_EUSAGE)
			_exit(1);
		if (write(fds[1], wk_error_msg(), strlen(wk_error_msg())) < 0)
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], msg, sizeof(msg) - 1) < 0)
		msg[0] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_CONTAINS(msg, "no terminal");
	CHECK_CONTAINS(msg, "in a file or an environment variable");
}

int main(void)
{
	scratch_init();
	test_env();
	test_file();
	test_prompt();
	test_no_terminal();
	scratch_cleanup();
	return test_summary();
}
