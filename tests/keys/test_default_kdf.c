/*
 * The default Argon2id setting (libsodium's MODERATE: 3 passes, 256 MiB)
 * works end to end and is what the file says. The other key tests use the
 * minimum to stay fast; this one shows the real cost of opening a key file.
 */
#include "test.h"
#include "error.h"
#include "keys.h"
#include "keys_util.h"

#include <sys/time.h>

static double now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(void)
{
	const char *pass = "a passphrase for a real device";
	unsigned char *file;
	wk_keys *k = NULL, *back = NULL;
	size_t n = 0;
	double t;

	scratch_init();
	CHECK_EQ_INT(wk_keys_generate(&k), 0);
	t = now();
	CHECK_EQ_INT(wk_keys_save(k, scratch("default.key"), pass, strlen(pass), NULL), 0);
	printf("save with the default Argon2id setting: %.2f s\n", now() - t);
	file = get_file(scratch("default.key"), &n, 4096);
	CHECK_EQ_INT(n, 207);
	if (file && n == 207) {
		/* byte 70: Argon2id; 71..78: opslimit 3; 79..86: memlimit 2^28, both big-endian */
		CHECK_EQ_INT(file[70], crypto_pwhash_ALG_ARGON2ID13);
		CHECK_EQ_INT(file[78], 3);
		CHECK_EQ_INT(file[83], 0x10);
		CHECK(sodium_is_zero(file + 71, 7) && sodium_is_zero(file + 79, 4) && sodium_is_zero(file + 84, 3));
	}
	free(file);
	t = now();
	CHECK_EQ_INT(wk_keys_load(&back, scratch("default.key"), pass, strlen(pass)), 0);
	printf("load with the default Argon2id setting: %.2f s\n", now() - t);
	CHECK(back && memcmp(wk_keys_sign_pk(back), wk_keys_sign_pk(k), 32) == 0);
	wk_keys_free(back);
	CHECK_EQ_INT(wk_keys_load(&back, scratch("default.key"), "not it", 6), WK_EBADSIG);
	wk_keys_free(back);
	wk_keys_free(k);
	scratch_cleanup();
	return test_summary();
}
