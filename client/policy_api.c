/*
 * policy_api.c - the C half of the `wicket` API that scripts see.
 *
 * The host's Lua prelude (policy_prelude.c) does the bookkeeping; this file
 * loads it and gives it the few things only C can do: find the script line
 * that called the api (scripts have no debug library), record an autonomy
 * violation so that no pcall can hide it, say which script runs now (for
 * memory messages) and mark tables as JSON objects. The prelude's functions
 * live in the registry, never in a script's environment.
 */
#include "policy_int.h"
#include "error.h"

#include <stdio.h>
#include <string.h>

extern const char wk_prelude_lua[];
extern const size_t wk_prelude_lua_len;

static const char wk_prelude_key = 'p'; /* registry key: the prelude's table */

#define HOST_CHUNK "wicket/host"

/* where() -> name, line of the innermost script frame (host frames skipped). */
static int api_where(lua_State *L)
{
	lua_Debug ar;
	int level;

	for (level = 1; lua_getstack(L, level, &ar); level++) {
		if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0)
			continue;
		if (strcmp(ar.source, "=" HOST_CHUNK) == 0)
			continue;
		lua_pushstring(L, ar.short_src);
		lua_pushinteger(L, ar.currentline);
		return 2;
	}
	lua_pushstring(L, wk_host_of(L)->cur_script ? wk_host_of(L)->cur_script : "?");
	lua_pushinteger(L, 0);
	return 2;
}

/* violation(msg): remember the first violation (sticky), then raise it. */
static int api_violation(lua_State *L)
{
	wk_policy_host *h = wk_host_of(L);
	const char *msg = luaL_checkstring(L, 1);

	if (!h->violation[0])
		snprintf(h->violation, sizeof(h->violation), "%s", msg);
	lua_settop(L, 1);
	return lua_error(L);
}

/* enter(i): script i (0-based) runs now; -1: the host. */
static int api_enter(lua_State *L)
{
	wk_policy_host *h = wk_host_of(L);
	lua_Integer i = luaL_checkinteger(L, 1);

	h->cur_script = i >= 0 && (size_t)i < h->nscripts ? h->scripts[i].name : HOST_CHUNK;
	return 0;
}

static int api_mark(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	wk_json_object_mark(L, 1);
	return 1;
}

/* lua_CFunction: load and run the prelude; keep its table in the registry. */
int wk_api_init(lua_State *L)
{
	wk_policy_host *h = wk_host_of(L);
	static const luaL_Reg fns[] = {
		{ "where", api_where },
		{ "violation", api_violation },
		{ "enter", api_enter },
		{ "mark", api_mark },
		{ NULL, NULL }
	};

	if (wk_policy_load(L, wk_prelude_lua, wk_prelude_lua_len, "=" HOST_CHUNK, NULL) != LUA_OK)
		return lua_error(L);
	wk_host_new_env(L, 0, -1);
	lua_setupvalue(L, -2, 1);
	luaL_newlib(L, fns);
	if (h->today) {
		lua_pushstring(L, h->today);
		lua_setfield(L, -2, "today");
	}
	lua_call(L, 1, 1);
	luaL_checktype(L, -1, LUA_TTABLE);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &wk_prelude_key);
	return 0;
}

/* Push the prelude's function `name`. */
void wk_api_prelude(lua_State *L, const char *name)
{
	lua_rawgetp(L, LUA_REGISTRYINDEX, &wk_prelude_key);
	lua_getfield(L, -1, name);
	lua_remove(L, -2);
}

/* Push a fresh `wicket` table for script script_index. Raises on failure. */
void wk_api_push(lua_State *L, int script_index)
{
	wk_policy_host *h = wk_host_of(L);
	const char *name = h->scripts[script_index].name;

	wk_api_prelude(L, "make_api");
	lua_pushinteger(L, script_index);
	lua_pushstring(L, name);
	lua_pushboolean(L, strncmp(name, "national/", 9) == 0);
	if (h->today)
		lua_pushstring(L, h->today);
	else
		lua_pushnil(L);
	lua_call(L, 4, 1);
}
