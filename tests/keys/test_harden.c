/*
 * Core dumps are off while keys are loaded: after wk_keys_harden_process, and
 * after any call that brings a secret into memory, the process has a core
 * size limit of 0 and is not dumpable. Each case runs in a child of its own,
 * so that each starts from an ordinary, dumpable process.
 */
#include "test.h"
#include "error.h"
#include "keys.h"
#include "keys_util.h"
#include "passphrase.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* 0 when core dumps are off in this process, else a number saying what is still on. */
static int dumps_off(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0 || rl.rlim_max != 0)
		return 10;
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return 11;
	return 0;
}

/* In a child: make sure dumps start on, run what, and report dumps_off() (or 20 + what failed). */
static int in_child(int (*what)(void))
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	int status = 0, rc;
	pid_t pid = fork();

	if (pid == 0) {
		if (setrlimit(RLIMIT_CORE, &rl) != 0) {
			rl.rlim_cur = rl.rlim_max = 1 << 20; /* not root: as much as allowed */
			setrlimit(RLIMIT_CORE, &rl);
		}
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		if (!dumps_off())
			_exit(30); /* the test would prove nothing */
		rc = what();
		_exit(rc ? 20 : dumps_off());
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int harden(void)
{
	return wk_keys_harden_process() != 0 || wk_keys_harden_process() != 0; /* idempotent */
}

static int generate(void)
{
	wk_keys *k = NULL;
	int rc = wk_keys_generate(&k);

	wk_keys_free(k);
	return rc;
}

static int load(void)
{
	wk_keys *k = NULL;
	int rc = wk_keys_load(&k, scratch("harden.key"), NULL, 0);

	wk_keys_free(k);
	return rc;
}

static int passphrase(void)
{
	wk_passphrase_source src = WK_PASSPHRASE_SOURCE_INIT;
	char *p = NULL;
	size_t n = 0;
	int rc;

	setenv("WK_TEST_PASSPHRASE", "dump me not", 1);
	src.env = "WK_TEST_PASSPHRASE";
	rc = wk_passphrase_read(&p, &n, &src);
	wk_passphrase_free(p, n);
	return rc;
}

int main(void)
{
	wk_keys_save_options o = MIN_KDF;
	wk_keys *k = NULL;
	pid_t pid;
	int status = 0;

	scratch_init();
	/* The key file is written by a child, so that this process stays dumpable. */
	pid = fork();
	if (pid == 0) {
		o.protection = WK_KEYS_UNATTENDED;
		_exit(wk_keys_generate(&k) != 0 || wk_keys_save(k, scratch("harden.key"), NULL, 0, &o) != 0);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);

	CHECK_EQ_INT(in_child(harden), 0);
	CHECK_EQ_INT(in_child(generate), 0);
	CHECK_EQ_INT(in_child(load), 0);
	CHECK_EQ_INT(in_child(passphrase), 0);
	scratch_cleanup();
	return test_summary();
}
