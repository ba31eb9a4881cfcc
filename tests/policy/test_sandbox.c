/*
 * test_sandbox.c - the hostile corpus: every script is stopped within its
 * budget with a clear error naming it, and the host still works afterwards.
 */
#include "test.h"
#include "policy.h"
#include "error.h"

#include <time.h>

/* Tight budgets so the corpus runs in a second or two. */
static wk_policy_limits limits(void)
{
	wk_policy_limits lim = WK_POLICY_LIMITS_INIT;

	lim.max_instructions = 2000000;
	lim.max_memory = (size_t)16 << 20;
	lim.max_millis = 3000;
	return lim;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Run src as the one site script of a validate evaluation. */
static int run_src(const char *name, const char *src, size_t len, const wk_policy_limits *lim)
{
	wk_policy_script s = { name, src, len };
	wk_buf out = WK_BUF_INIT;
	int rc;

	wk_error_clear();
	rc = wk_policy_eval(&out, &s, 1, "validate", "{}", "2023-01-15", lim);
	wk_buf_free(&out);
	return rc;
}

/* The host still works: a good script evaluates. */
static void check_alive(void)
{
	static const char good[] =
		"wicket.on('validate', function(input, ctx)\n"
		"  return { { where = 'x', message = ('ok'):upper() .. ctx.today, severity = 'warning' } }\n"
		"end)\n";
	wk_policy_script s = { "sites/HMP-X/good.lua", good, sizeof(good) - 1 };
	wk_buf out = WK_BUF_INIT;
	wk_policy_limits lim = limits();

	CHECK_EQ_INT(wk_policy_eval(&out, &s, 1, "validate", "{}", "2023-01-15", &lim), 0);
	CHECK_CONTAINS(out.ptr, "OK2023-01-15");
	wk_buf_free(&out);
}

static void hostile(const char *file, int code, const char *text, const char *text2)
{
	char rel[256], name[96];
	wk_buf src = WK_BUF_INIT;
	wk_policy_limits lim = limits();
	double t0;
	int rc;

	snprintf(rel, sizeof(rel), "tests/policy/hostile/%s", file);
	snprintf(name, sizeof(name), "sites/HMP-X/%s", file);
	if (wk_buf_read_file(&src, test_src(rel), 1 << 20, "hostile script") < 0) {
		fprintf(stderr, "%s\n", wk_error_msg());
		CHECK(0);
		return;
	}
	t0 = now_ms();
	rc = run_src(name, src.ptr, src.len, &lim);
	if (rc != code || (text && !strstr(wk_error_msg(), text)) || (text2 && !strstr(wk_error_msg(), text2)))
		fprintf(stderr, "%s: rc=%d %s\n", file, rc, wk_error_msg());
	CHECK_EQ_INT(rc, code);
	if (text)
		CHECK_CONTAINS(wk_error_msg(), text);
	if (text2)
		CHECK_CONTAINS(wk_error_msg(), text2);
	CHECK(now_ms() - t0 < 4000); /* contained well within the deadline's backstop */
	printf("ok %s (%.0f ms): %s\n", file, now_ms() - t0, rc ? wk_error_msg() : "no error");
	wk_buf_free(&src);
	check_alive();
}

static void test_corpus(void)
{
	hostile("infinite_loop.lua", WK_ELIMIT, "policy 'sites/HMP-X/infinite_loop.lua' line 3",
	        "instruction budget");
	hostile("pcall_loop.lua", WK_ELIMIT, "instruction budget", "pcall_loop.lua");
	hostile("coroutine_loop.lua", WK_ELIMIT, "instruction budget", "coroutine_loop.lua");
	hostile("gc_loop.lua", WK_EINVALID, "policy 'sites/HMP-X/gc_loop.lua' line 2",
	        "__gc metamethods are not allowed");
	hostile("gc_late.lua", 0, NULL, NULL);
	hostile("close_loop.lua", WK_ELIMIT, "instruction budget", "close_loop.lua");
	/* Lua's own stack overflow or the memory cap, whichever comes first. */
	hostile("deep_recursion.lua", WK_ELIMIT, "policy 'sites/HMP-X/deep_recursion.lua'", "memory limit");
	hostile("memory_bomb.lua", WK_ELIMIT, "policy 'sites/HMP-X/memory_bomb.lua'", "memory limit");
	hostile("rep_bomb.lua", WK_ELIMIT, "policy 'sites/HMP-X/rep_bomb.lua' line 2",
	        "string.rep result is over the 1048576-byte cap");
	hostile("rep_empty.lua", 0, NULL, NULL);
	hostile("pathological_pattern.lua", WK_ELIMIT, "policy 'sites/HMP-X/pathological_pattern.lua' line 2",
	        "instruction budget");
	hostile("gsub_bomb.lua", WK_ELIMIT, "gsub_bomb.lua' line 2", "string.gsub result is over");
	hostile("table_move.lua", WK_ELIMIT, "table_move.lua' line 2", "instruction budget");
	hostile("string_metatable.lua", WK_EINVALID, "string_metatable.lua' line 2",
	        "attempt to index a boolean value");
	hostile("error_table.lua", WK_EINVALID, "error_table.lua' line 2",
	        "error raised with a table value instead of a message");
	hostile("hook_wrong_type.lua", WK_EINVALID, "policy 'sites/HMP-X/hook_wrong_type.lua' line 2",
	        "validate hook returned a number; expected a list of findings or nil");
	hostile("hook_wrong_item.lua", WK_EINVALID, "policy 'sites/HMP-X/hook_wrong_item.lua' line 2",
	        "validate hook returned a string as finding 1");
}

/* A hook returning a number from a real readiness evaluation names script, line and hook. */
static void test_hook_wrong_type_readiness(void)
{
	static const char src[] =
		"-- a readiness hook that returns a string\n"
		"wicket.on('readiness', function(input, ctx)\n"
		"  return 'all fine'\n"
		"end)\n";
	wk_buf out = WK_BUF_INIT;
	wk_policy_script s = { "sites/HMP-X/hook.lua", src, sizeof(src) - 1 };
	wk_policy_limits lim = limits();

	CHECK_EQ_INT(wk_policy_eval(&out, &s, 1, "readiness", "{\"stage\":2}", "2023-01-15", &lim),
	             WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "policy 'sites/HMP-X/hook.lua' line 2: readiness hook returned a string");
	wk_buf_free(&out);
	check_alive();
}

static void test_deadline(void)
{
	static const char src[] = "while true do end\n";
	wk_policy_limits lim = limits();
	double t0 = now_ms();

	lim.max_instructions = (uint64_t)1 << 50;
	lim.max_millis = 200;
	CHECK_EQ_INT(run_src("sites/HMP-X/slow.lua", src, sizeof(src) - 1, &lim), WK_ELIMIT);
	CHECK_CONTAINS(wk_error_msg(), "policy 'sites/HMP-X/slow.lua' line 1: time limit of 200 ms exceeded");
	CHECK(now_ms() - t0 < 1000);
	check_alive();
}

static void test_forbidden(void)
{
	static const struct { const char *src; const char *msg; } cases[] = {
		{ "os.exit(1)", "attempt to index a nil value (global 'os')" },
		{ "io.open('/etc/passwd')", "attempt to index a nil value (global 'io')" },
		{ "debug.sethook()", "attempt to index a nil value (global 'debug')" },
		{ "package.loaded.os.exit()", "attempt to index a nil value (global 'package')" },
		{ "require('os')", "attempt to call a nil value (global 'require')" },
		{ "load('return 1')()", "attempt to call a nil value (global 'load')" },
		{ "loadfile('/etc/passwd')", "attempt to call a nil value (global 'loadfile')" },
		{ "dofile('/etc/passwd')", "attempt to call a nil value (global 'dofile')" },
		{ "string.dump(function() end)", "attempt to call a nil value (field 'dump')" },
		{ "collectgarbage('stop')", "attempt to call a nil value (global 'collectgarbage')" },
		{ "print('x')", "attempt to call a nil value (global 'print')" },
		{ "math.randomseed(1)", "attempt to call a nil value (field 'randomseed')" },
		{ "(''):dump()", "attempt to call a nil value (method 'dump')" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		wk_policy_limits lim = limits();

		CHECK_EQ_INT(run_src("sites/HMP-X/reach.lua", cases[i].src, strlen(cases[i].src), &lim),
		             WK_EINVALID);
		CHECK_CONTAINS(wk_error_msg(), "policy 'sites/HMP-X/reach.lua' line 1: ");
		CHECK_CONTAINS(wk_error_msg(), cases[i].msg);
	}
	check_alive();
}

static void test_bytecode(void)
{
	static const char chunk[] = "\x1bLua\x54\x00\x19\x93\r\n\x1a\n\x04\x08\x08";
	wk_policy_limits lim = limits();
	wk_buf out = WK_BUF_INIT;

	CHECK_EQ_INT(run_src("sites/HMP-X/compiled.luac", chunk, sizeof(chunk) - 1, &lim), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "policy 'sites/HMP-X/compiled.luac' is a compiled (bytecode) chunk");
	CHECK_EQ_INT(wk_policy_data_json(&out, "data.luac", chunk, sizeof(chunk) - 1, &lim), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "bytecode");
	wk_buf_free(&out);
	check_alive();
}

static void test_big_script(void)
{
	size_t len = (size_t)10 << 20, i;
	char *src = malloc(len);
	wk_policy_limits lim = limits();

	CHECK(src != NULL);
	if (!src)
		return;
	for (i = 0; i < len; i++)
		src[i] = (i % 64 == 63) ? '\n' : '-';
	CHECK_EQ_INT(run_src("sites/HMP-X/huge.lua", src, len, &lim), WK_ELIMIT);
	CHECK_CONTAINS(wk_error_msg(), "policy 'sites/HMP-X/huge.lua' is 10485760 bytes; the limit is 1048576 bytes");
	free(src);
	check_alive();
}

/* A site cannot change what national code sees through shared libraries. */
static void test_isolation(void)
{
	static const char national[] =
		"wicket.rule{ id = 'national.probe', entry = 'validate', check = function(input)\n"
		"  return { { where = 'probe', severity = 'warning',\n"
		"             message = tostring(('A1234BC'):match('%u%d+')) .. ' ' .. tostring(string.find('abc', 'b')) } }\n"
		"end }\n";
	static const char site[] =
		"string.find = function() return 99 end\n"
		"string.match = function() return 'pwned' end\n"
		"table.insert = nil\n"
		"pcall(function() getmetatable('').__index.match = function() return 'pwned' end end)\n";
	wk_policy_script s[2] = {
		{ "national/probe.lua", national, sizeof(national) - 1 },
		{ "sites/HMP-X/tamper.lua", site, sizeof(site) - 1 },
	};
	wk_buf out = WK_BUF_INIT;
	wk_policy_limits lim = limits();

	CHECK_EQ_INT(wk_policy_eval(&out, s, 2, "validate", "{}", "2023-01-15", &lim), 0);
	CHECK_CONTAINS(out.ptr, "\"message\":\"A1234 2\"");
	wk_buf_free(&out);
}

int main(void)
{
	test_corpus();
	test_hook_wrong_type_readiness();
	test_deadline();
	test_forbidden();
	test_bytecode();
	test_big_script();
	test_isolation();
	return test_summary();
}
