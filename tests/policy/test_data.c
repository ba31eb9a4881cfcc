/*
 * test_data.c - wk_policy_data_json: Lua data chunks to canonical JSON.
 */
#include "test.h"
#include "policy.h"
#include "error.h"

static int data(wk_buf *out, const char *name, const char *src)
{
	wk_error_clear();
	return wk_policy_data_json(out, name, src, strlen(src), NULL);
}

#define EXPECT_JSON(src, json) do { \
	wk_buf o_ = WK_BUF_INIT; \
	int rc_ = data(&o_, "data.lua", src); \
	CHECK_EQ_INT(rc_, 0); \
	if (rc_ < 0) fprintf(stderr, "  %s\n", wk_error_msg()); \
	CHECK_EQ_STR(o_.ptr, json); \
	wk_buf_free(&o_); \
} while (0)

#define EXPECT_FAIL(src, code, text) do { \
	wk_buf o_ = WK_BUF_INIT; \
	CHECK_EQ_INT(data(&o_, "sites/HMP-X/data.lua", src), code); \
	CHECK_CONTAINS(wk_error_msg(), text); \
	wk_buf_free(&o_); \
} while (0)

static void test_canonical(void)
{
	EXPECT_JSON("return { b = 1, a = 2, ab = 3, B = 4 }", "{\"B\":4,\"a\":2,\"ab\":3,\"b\":1}");
	EXPECT_JSON("return { 'x', 'y', { z = true } }", "[\"x\",\"y\",{\"z\":true}]");
	EXPECT_JSON("return {}", "[]");
	EXPECT_JSON("return { list = {}, n = 0 }", "{\"list\":[],\"n\":0}");
	EXPECT_JSON("return { i = 3, f = 0.5, g = 3.0, neg = -7, big = 1e300 }",
	            "{\"big\":1.0000000000000001e+300,\"f\":0.5,\"g\":3,\"i\":3,\"neg\":-7}");
	EXPECT_JSON("return { s = 'a\"b\\\\c\\n\\t\\1' }", "{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001\"}");
	EXPECT_JSON("return { s = 'caf\\u{e9} \\u{2013} \\u{1F600}' }",
	            "{\"s\":\"caf\xc3\xa9 \xe2\x80\x93 \xf0\x9f\x98\x80\"}");
	EXPECT_JSON("return 'plain'", "\"plain\"");
	EXPECT_JSON("return 42", "42");
	EXPECT_JSON("local t = {} for i = 1, 5 do t[i] = i * i end return t", "[1,4,9,16,25]");
	EXPECT_JSON("local s = {} local x = { s, s } return x", "[[],[]]"); /* shared, not a cycle */
}

static void test_refused(void)
{
	EXPECT_FAIL("return { f = function() end }", WK_EINVALID, "function value cannot be converted");
	EXPECT_FAIL("return { f = function() end }", WK_EINVALID, "at f");
	EXPECT_FAIL("local t = {} t.self = t return t", WK_EINVALID, "cycle");
	EXPECT_FAIL("return { [1] = 'a', [3] = 'c' }", WK_EINVALID, "holes");
	EXPECT_FAIL("return { 'a', b = 1 }", WK_EINVALID, "mixes string keys");
	EXPECT_FAIL("return { [true] = 1 }", WK_EINVALID, "boolean key");
	EXPECT_FAIL("return { [1.5] = 1 }", WK_EINVALID, "fractional number key");
	EXPECT_FAIL("return { [0] = 1 }", WK_EINVALID, "non-positive integer key");
	EXPECT_FAIL("return { x = 0/0 }", WK_EINVALID, "NaN or infinite");
	EXPECT_FAIL("return { x = { y = 1/0 } }", WK_EINVALID, "at x.y");
	EXPECT_FAIL("return { 'ok', '\\xff' }", WK_EINVALID, "not valid UTF-8 at [2]");
	EXPECT_FAIL("return '\\xed\\xa0\\x80'", WK_EINVALID, "not valid UTF-8");  /* surrogate */
	EXPECT_FAIL("return '\\xc0\\xaf'", WK_EINVALID, "not valid UTF-8");      /* overlong */
	/* NUL: valid JSON as \u0000, but neither jansson nor SQLite's text reads it back (found by fuzzing). */
	EXPECT_FAIL("return { note = 'a\\0b' }", WK_EINVALID, "NUL character at note");
	EXPECT_FAIL("return { ['a\\0'] = 1 }", WK_EINVALID, "NUL character");
	EXPECT_FAIL("local t = {} local c = t for i = 1, 100 do c.x = {} c = c.x end return t",
	            WK_EINVALID, "nest too deeply");
	EXPECT_FAIL("return coroutine.create(function() end)", WK_EINVALID, "thread value");
	EXPECT_FAIL("", WK_EINVALID, "returned nothing");
	EXPECT_FAIL("return {\n  a = 1,\n  b = = 2,\n}", WK_EINVALID,
	            "policy 'sites/HMP-X/data.lua' line 3:");
	EXPECT_FAIL("local x = 1\nlocal y = nil\nreturn y.z", WK_EINVALID,
	            "policy 'sites/HMP-X/data.lua' line 3: attempt to index");
}

static void test_output_cap(void)
{
	wk_policy_limits lim = WK_POLICY_LIMITS_INIT;
	wk_buf out = WK_BUF_INIT;
	const char *src = "local t = {} for i = 1, 1000 do t[i] = 'xxxxxxxxxx' end return t";

	lim.max_output = 1000;
	CHECK_EQ_INT(wk_policy_data_json(&out, "big.lua", src, strlen(src), &lim), WK_ELIMIT);
	CHECK_CONTAINS(wk_error_msg(), "output cap");
	wk_buf_free(&out);
}

static void test_catalogue(void)
{
	wk_buf src = WK_BUF_INIT, out = WK_BUF_INIT;
	int rc;

	if (wk_buf_read_file(&src, test_src("policies/national/edm/omu.lua"), 1 << 20, "edm") < 0) {
		fprintf(stderr, "skip: %s\n", wk_error_msg());
		return;
	}
	rc = wk_policy_data_json(&out, "national/edm/omu.lua", src.ptr, src.len, NULL);
	CHECK_EQ_INT(rc, 0);
	if (rc < 0)
		fprintf(stderr, "  %s\n", wk_error_msg());
	else
		CHECK(strncmp(out.ptr, "{\"applies_to\":", 14) == 0 || strstr(out.ptr, "\"code\":\"OMU\""));
	wk_buf_free(&src);
	wk_buf_free(&out);
}

int main(void)
{
	test_canonical();
	test_refused();
	test_output_cap();
	test_catalogue();
	return test_summary();
}
