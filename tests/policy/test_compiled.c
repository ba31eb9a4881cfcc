/*
 * test_compiled.c - wicket's own Lua, compiled at build time (policy_load.c,
 * tools/lua_embed.c): the national rules and the host's prelude load from
 * their bytecode, with their line information; any other text, even one byte
 * different, is compiled from the text; and the rules give the same findings,
 * with the same line numbers in errors, either way.
 */
#include "test.h"
#include "buf.h"
#include "error.h"
#include "policy.h"
#include "policy_int.h"

#include <jansson.h>

extern const char wk_prelude_lua[];
extern const size_t wk_prelude_lua_len;

static wk_buf rules = WK_BUF_INIT;

/* Load text as chunk in a fresh state; *compiled says how; the number of lines the main chunk holds code on. */
static int load(const char *text, size_t len, const char *chunk, int *compiled, int *lines)
{
	lua_State *L = luaL_newstate();
	lua_Debug ar;
	int rc;

	*lines = 0;
	rc = wk_policy_load(L, text, len, chunk, compiled);
	if (rc == LUA_OK) {
		lua_getinfo(L, ">SL", &ar); /* pops the function, pushes its active lines */
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			(*lines)++;
			lua_pop(L, 1);
		}
		CHECK_EQ_STR(ar.short_src, chunk + 1); /* the name errors give */
	}
	lua_close(L);
	return rc;
}

/* The findings of entry over input, without the scripts' hashes (which name the text). */
static json_t *findings(const char *text, size_t len, const char *entry, const char *input)
{
	wk_policy_script s = { "national/rules.lua", text, len };
	wk_buf out = WK_BUF_INIT;
	json_t *j = NULL;

	wk_error_clear();
	if (wk_policy_eval(&out, &s, 1, entry, input, "2023-01-15", NULL) == 0) {
		j = json_loadb(out.ptr, out.len, 0, NULL);
		json_object_del(j, "scripts");
	} else {
		fprintf(stderr, "  %s\n", wk_error_msg());
	}
	wk_buf_free(&out);
	return j;
}

int main(void)
{
	FILE *f = fopen(test_src("policies/national/rules.lua"), "rb");
	char buf[4096], *changed;
	size_t n;
	int compiled = -1, lines = 0, lines_text = 0;
	static const char *const inputs[][2] = {
		{ "validate", "{\"recommendations\":[{\"number\":\"1\",\"text\":\"t\",\"response\":\"agreed\",\"actions\":[]}]}" },
		{ "validate", "{\"free_text\":[{\"where\":\"decision 1\",\"text\":\"prisoner A1234BC moved\"}]}" },
		{ "validate", "{\"recommendations\":[{\"number\":\"1\",\"text\":\"t\",\"response\":\"nonsense\"}]}" },
	};

	CHECK(f != NULL);
	while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		wk_buf_put(&rules, buf, n);
	if (f)
		fclose(f);

	/* The rules as installed, and the prelude, load from bytecode, with their line information. */
	CHECK_EQ_INT(load(rules.ptr, rules.len, "=national/rules.lua", &compiled, &lines), LUA_OK);
	CHECK_EQ_INT(compiled, 1);
	CHECK(lines > 100);
	CHECK_EQ_INT(load(wk_prelude_lua, wk_prelude_lua_len, "=wicket/host", &compiled, &lines), LUA_OK);
	CHECK_EQ_INT(compiled, 1);
	CHECK(lines > 10);
	CHECK_EQ_INT(load(wk_prelude_lua, wk_prelude_lua_len, "=wicket/hosts", &compiled, &lines_text), LUA_OK);
	CHECK_EQ_INT(compiled, 0);
	CHECK_EQ_INT(lines, lines_text);

	/* The same text under another name, and the text changed by one byte, are compiled from the text. */
	CHECK_EQ_INT(load(rules.ptr, rules.len, "=site/rules.lua", &compiled, &lines), LUA_OK);
	CHECK_EQ_INT(compiled, 0);
	changed = malloc(rules.len + 1);
	memcpy(changed, rules.ptr, rules.len);
	changed[rules.len] = '\0';
	changed[rules.len - 1] = changed[rules.len - 1] == '\n' ? ' ' : '\n';
	CHECK_EQ_INT(load(changed, rules.len, "=national/rules.lua", &compiled, &lines_text), LUA_OK);
	CHECK_EQ_INT(compiled, 0);
	CHECK_EQ_INT(load(rules.ptr, rules.len, "=national/rules.lua", &compiled, &lines), LUA_OK);
	CHECK_EQ_INT(lines, lines_text); /* the same lines hold code either way */

	/* A bad text is still refused as before, with Lua's message. */
	CHECK(load("return (", 8, "=national/rules.lua", &compiled, &lines) == LUA_ERRSYNTAX);
	CHECK_EQ_INT(compiled, 0);

	/* The same findings from the compiled rules as from the text. */
	for (n = 0; n < sizeof(inputs) / sizeof(inputs[0]); n++) {
		json_t *a = findings(rules.ptr, rules.len, inputs[n][0], inputs[n][1]);
		json_t *b = findings(changed, rules.len, inputs[n][0], inputs[n][1]);

		CHECK(a != NULL && b != NULL);
		CHECK(json_array_size(json_object_get(a, "errors")) + json_array_size(json_object_get(a, "warnings")) > 0);
		CHECK(json_equal(a, b));
		json_decref(a);
		json_decref(b);
	}
	free(changed);
	wk_buf_free(&rules);
	return test_summary();
}
