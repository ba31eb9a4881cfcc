/*
 * test_pattern.c - the sandbox's string.find, match, gmatch and gsub
 * (client/policy_pattern.c) give what Lua 5.4's own give.
 *
 * The sandbox replaces Lua's pattern functions with a matcher that charges
 * its steps to the budget (Lua's own backtracks in C, where no hook runs).
 * policy_pattern.c promises Lua 5.4's semantics; this test holds it to them:
 * one driver, below, generates a few thousand calls from a fixed seed -
 * patterns built from every kind of item (classes, sets, frontiers, %b,
 * captures, position captures, back references, anchors, the four
 * quantifiers, and malformed ones), ASCII subjects, every init and
 * replacement form - and writes down what each returned, or that it raised.
 * It runs once in a plain Lua state with Lua's string library, and once as a
 * site script in the sandbox; the two transcripts must be equal, call for
 * call. Error messages are not compared (only that both raised).
 */
#include "test.h"
#include "buf.h"
#include "error.h"
#include "policy.h"

#include <jansson.h>
#include <lauxlib.h>
#include <lualib.h>

#define CASES 20000
#define PER_CHUNK 50

/* run(find, match, gmatch, gsub, cases, per_chunk) -> { transcript of calls 1..per_chunk, ... } */
static const char driver[] =
	"local function run(find, match, gmatch, gsub, cases, per)\n"
	"  local seed = 20261123\n"
	"  local function rnd(k) seed = (seed * 1103515245 + 12345) % 2147483648; return (seed >> 8) % k end\n"
	"  local atoms = { '.', '%a', '%d', '%w', '%s', '%u', '%l', '%p', '%x', '%c', '%g', '%A', '%D', '%W', '%S',\n"
	"    '[abc]', '[^a-c]', '[%d_]', '[a-]', '[]]', '[^]]', '[%a%-]', '[-a]', 'a', 'b', '1', '%-', '%%', '%(', '%]',\n"
	"    '%f[%w]', '%f[%W]', '%f[%a]', '%f[%s]', '%b()', '%bab', '%bxx', '(', ')', '()', '%1', '%2', 'x', '%.', ' ',\n"
	"    '$', '^', '[', '%', '%f', '%b', '[^' }\n"
	"  local quants = { '', '', '', '', '*', '+', '-', '?' }\n"
	"  local chars = { 'a', 'b', 'c', 'a', 'b', '1', '2', ' ', '_', '(', ')', '-', 'A', 'B', 'x', '.', '%', ']', '\\n',\n"
	"    '\\0', '\\t' }\n"
	"  local function pattern()\n"
	"    local t = {}\n"
	"    if rnd(6) == 0 then t[1] = '^' end\n"
	"    for _ = 1, rnd(5) + 1 do\n"
	"      local a = atoms[rnd(#atoms) + 1]\n"
	"      t[#t + 1] = a\n"
	"      if a ~= '(' and a ~= ')' and a ~= '()' then t[#t + 1] = quants[rnd(#quants) + 1] end\n"
	"    end\n"
	"    if rnd(6) == 0 then t[#t + 1] = '$' end\n"
	"    return table.concat(t)\n"
	"  end\n"
	"  local function subject()\n"
	"    local t = {}\n"
	"    for i = 1, rnd(14) do t[i] = chars[rnd(#chars) + 1] end\n"
	"    return table.concat(t)\n"
	"  end\n"
	"  local function show(ok, ...)\n"
	"    if not ok then return 'E' end\n"
	"    local t = table.pack(...)\n"
	"    for i = 1, t.n do\n"
	"      local v = t[i]\n"
	"      t[i] = type(v) == 'string' and string.format('%q', v) or math.type(v) or tostring(v)\n"
	"      if math.type(v) then t[i] = t[i] .. ':' .. tostring(v) end\n"
	"    end\n"
	"    return table.concat(t, ',', 1, t.n)\n"
	"  end\n"
	"  local repl_table = { a = 'A', b = false, ['1'] = 7, [1] = 'one', [3] = 'three', x = {} }\n"
	"  local function repl_fn(...)\n"
	"    local n, v = select('#', ...), ...\n"
	"    if v == 'b' then return false end\n"
	"    if v == 'x' then return {} end\n"
	"    return '[' .. n .. ':' .. tostring(v) .. ']'\n"
	"  end\n"
	"  local repls = { '<%0>', '%1', '%2', '%%', '%', '%x', '-', repl_table, repl_fn }\n"
	"  local chunks, lines = {}, {}\n"
	"  for c = 1, cases do\n"
	"    local s, p, op = subject(), pattern(), rnd(8)\n"
	"    local r\n"
	"    if op == 0 then r = show(pcall(find, s, p))\n"
	"    elseif op == 1 then r = show(pcall(find, s, p, rnd(#s + 6) - 3 - (rnd(4) == 0 and 20 or 0)))\n"
	"    elseif op == 2 then r = show(pcall(find, s, s:sub(rnd(#s + 1) + 1, rnd(#s + 1)) .. p:sub(1, rnd(2)), rnd(3) - 1, true))\n"
	"    elseif op == 3 then r = show(pcall(match, s, p))\n"
	"    elseif op == 4 then r = show(pcall(match, s, p, rnd(#s + 4) - 2))\n"
	"    elseif op == 5 then\n"
	"      local ok, it = pcall(gmatch, s, p, rnd(3) == 0 and rnd(#s + 3) - 1 or nil)\n"
	"      local t = { show(ok) }\n"
	"      if ok then\n"
	"        for _ = 1, 30 do\n"
	"          local got = { pcall(it) }\n"
	"          t[#t + 1] = show(table.unpack(got))\n"
	"          if not got[1] or got[2] == nil then break end\n"
	"        end\n"
	"      end\n"
	"      r = table.concat(t, ';')\n"
	"    else\n"
	"      r = show(pcall(gsub, s, p, repls[rnd(#repls) + 1], rnd(3) == 0 and rnd(4) - 1 or nil))\n"
	"    end\n"
	"    lines[#lines + 1] = c .. ' ' .. op .. ' ' .. string.format('%q', s) .. ' ' .. string.format('%q', p) .. ' -> ' .. r\n"
	"    if #lines == per then chunks[#chunks + 1] = table.concat(lines, '\\n'); lines = {} end\n"
	"  end\n"
	"  if #lines > 0 then chunks[#chunks + 1] = table.concat(lines, '\\n') end\n"
	"  return chunks\n"
	"end\n";

/* The sandbox side: the driver as a site script whose findings are the transcript's chunks. */
static const char site_tail[] =
	"wicket.on('validate', function()\n"
	"  local out = {}\n"
	"  for i, c in ipairs(run(string.find, string.match, string.gmatch, string.gsub, %d, %d)) do\n"
	"    out[i] = { where = tostring(i), message = c, severity = 'warning' }\n"
	"  end\n"
	"  return out\n"
	"end)\n";

/* Lua's own: the same driver in a plain state. Chunks appended to *v (malloc'd), their count. */
static int reference(char ***v)
{
	lua_State *L = luaL_newstate();
	wk_buf src = WK_BUF_INIT;
	int n = 0, i;

	luaL_openlibs(L);
	wk_buf_puts(&src, driver);
	wk_buf_printf(&src, "return run(string.find, string.match, string.gmatch, string.gsub, %d, %d)\n", CASES,
	              PER_CHUNK);
	if (luaL_loadbuffer(L, src.ptr, src.len, "=reference") != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
		fprintf(stderr, "reference: %s\n", lua_tostring(L, -1));
		lua_close(L);
		wk_buf_free(&src);
		return -1;
	}
	n = (int)luaL_len(L, -1);
	*v = calloc((size_t)n, sizeof(**v));
	for (i = 0; i < n; i++) {
		lua_geti(L, -1, i + 1);
		(*v)[i] = strdup(lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	lua_close(L);
	wk_buf_free(&src);
	return n;
}

/* The first line where a and b differ, both versions, on stderr. */
static void show_difference(const char *a, const char *b)
{
	while (*a && *b) {
		const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
		size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);

		if (la != lb || memcmp(a, b, la) != 0) {
			fprintf(stderr, "  Lua:     %.*s\n  sandbox: %.*s\n", (int)la, a, (int)lb, b);
			return;
		}
		a += la + (ea ? 1 : 0);
		b += lb + (eb ? 1 : 0);
	}
}

int main(void)
{
	wk_policy_limits lim = WK_POLICY_LIMITS_INIT;
	wk_buf src = WK_BUF_INIT, out = WK_BUF_INIT;
	char **ref = NULL;
	int n = reference(&ref), i, same = 0;
	json_t *doc, *warnings;

	CHECK(n == (CASES + PER_CHUNK - 1) / PER_CHUNK);
	wk_buf_puts(&src, driver);
	wk_buf_printf(&src, site_tail, CASES, PER_CHUNK);
	lim.max_instructions = 2000000000u;
	lim.max_millis = 60000;
	CHECK_EQ_INT(wk_policy_eval(&out, &(wk_policy_script){ "sites/HMP-X/patterns.lua", src.ptr, src.len }, 1,
	                            "validate", "{}", "2026-11-23", &lim), 0);
	if (test_failed) {
		fprintf(stderr, "%s\n", wk_error_msg());
		return test_summary();
	}
	doc = json_loads(out.ptr, 0, NULL);
	warnings = json_object_get(doc, "warnings");
	CHECK_EQ_INT(json_array_size(warnings), n);
	for (i = 0; i < n && i < (int)json_array_size(warnings); i++) {
		const char *got = json_string_value(json_object_get(json_array_get(warnings, (size_t)i), "message"));

		if (got && strcmp(got, ref[i]) == 0) {
			same++;
			continue;
		}
		fprintf(stderr, "chunk %d of the transcript differs:\n", i + 1);
		show_difference(ref[i], got ? got : "");
	}
	CHECK_EQ_INT(same, n);
	/* The transcript exercised what it should: each operation, matches, failures and errors. */
	{
		long ops[8] = { 0 }, raised = 0, failed = 0, found = 0;

		for (i = 0; i < n; i++) {
			const char *line = ref[i];

			while (line && *line) {
				const char *arrow = strstr(line, " -> "), *sp = strchr(line, ' ');

				int op = sp && sp[1] >= '0' && sp[1] <= '7' ? sp[1] - '0' : 0;

				ops[op]++;
				if (arrow) {
					raised += arrow[4] == 'E';
					failed += strncmp(arrow + 4, "nil", 3) == 0;
					/* find's positions, match's captures (gmatch and gsub always give something) */
					found += op <= 4 && (strncmp(arrow + 4, "integer:", 8) == 0 || arrow[4] == '"');
				}
				line = strchr(line, '\n');
				line = line ? line + 1 : NULL;
			}
			free(ref[i]);
		}
		for (i = 0; i < 8; i++)
			CHECK(ops[i] > CASES / 16);
		CHECK(raised > CASES / 50);
		CHECK(failed > CASES / 10);
		CHECK(found > CASES / 10);
		printf("%d calls: %ld raised, %ld found nothing, %ld finds and matches found something\n", CASES, raised, failed, found);
	}
	free(ref);
	json_decref(doc);
	wk_buf_free(&src);
	wk_buf_free(&out);
	return test_summary();
}
