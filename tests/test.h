/*
 * test.h - the tiny harness every C test uses.
 *
 * CHECK* macros count passes and failures and print file:line with the values
 * on failure; test_summary() prints "N passed, N failed" and returns the exit
 * status. Tests run from the source root (ctest's working directory).
 */
#ifndef WK_TEST_H
#define WK_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_passed, test_failed;

#define CHECK(cond) do { \
	if (cond) test_passed++; \
	else { test_failed++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_EQ_INT(a, b) do { \
	long long va_ = (long long)(a), vb_ = (long long)(b); \
	if (va_ == vb_) test_passed++; \
	else { test_failed++; fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
	                              __FILE__, __LINE__, #a, #b, va_, vb_); } \
} while (0)

#define CHECK_EQ_STR(a, b) do { \
	const char *sa_ = (a), *sb_ = (b); \
	if (sa_ && sb_ && strcmp(sa_, sb_) == 0) test_passed++; \
	else { test_failed++; fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", \
	                              __FILE__, __LINE__, #a, #b, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)"); } \
} while (0)

#define CHECK_CONTAINS(hay, needle) do { \
	const char *h_ = (hay), *n_ = (needle); \
	if (h_ && n_ && strstr(h_, n_)) test_passed++; \
	else { test_failed++; fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", \
	                              __FILE__, __LINE__, h_ ? h_ : "(null)", n_ ? n_ : "(null)"); } \
} while (0)

static inline int test_summary(void)
{
	printf("%d passed, %d failed\n", test_passed, test_failed);
	return test_failed ? 1 : 0;
}

/* A path inside the source tree, honouring WICKET_SOURCE_DIR. Static buffer. */
static inline const char *test_src(const char *rel)
{
	static char path[4096];
	const char *root = getenv("WICKET_SOURCE_DIR");

	snprintf(path, sizeof(path), "%s/%s", root && *root ? root : ".", rel);
	return path;
}

#endif
