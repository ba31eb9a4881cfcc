/*
 * policy_host.c - the sandboxed Lua state: budgets, safe libraries, loading
 * and protected calls, and the translation of Lua failures into wk_error.
 *
 * Budgets. The allocator refuses to hold more than max_memory bytes; a count
 * hook charges every WK_HOOK_PERIOD instructions against max_instructions and
 * checks the wall-clock deadline; C functions that loop without running VM
 * instructions (pattern matching, table.move, string.rep) charge the same
 * budget or are capped. A tripped budget is sticky: the hook is re-armed with
 * a count of 1 so every later instruction, in any coroutine, raises again,
 * and no pcall, xpcall, coroutine.resume or __close handler can swallow it.
 *
 * Finalizers. Lua runs __gc metamethods with hooks disabled, during
 * collection and during lua_close, so a loop in one could never be stopped.
 * setmetatable therefore refuses any metatable that has a __gc field; since an
 * object is marked for finalization only when its metatable has __gc at the
 * time setmetatable is called (manual 2.5.3), no object is ever finalized and
 * lua_close always finishes. __close handlers run with the hook armed.
 *
 * Libraries. base without load, loadfile, dofile, require, collectgarbage,
 * print and warn; string without dump; table; math without random and
 * randomseed (determinism); utf8; coroutine (hooks are inherited by new
 * threads, and the budgets are shared). No os, io, debug or package. Each
 * script runs with its own environment holding its own copies of the library
 * tables, so a site script that assigns string.find or table.insert changes
 * only its own copy, never the functions a national rule calls. The string
 * metatable is protected (__metatable = false).
 *
 * This file must not read files, the clock (beyond the deadline) or the
 * environment for a script.
 */
#include "policy_int.h"
#include "error.h"

#include <lualib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char wk_host_key = 'h'; /* registry key: the host pointer */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

wk_policy_host *wk_host_of(lua_State *L)
{
	void *ud = NULL;

	lua_getallocf(L, &ud);
	return ud;
}

/*
 * The allocator. Lua retries a refused growth once after an emergency
 * collection; only a second refusal of the same request means the live data
 * really is over the cap, so only then does the budget trip.
 */
static void *host_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	wk_policy_host *h = ud;
	size_t old = ptr ? osize : 0;
	void *p;

	if (nsize == 0) {
		free(ptr);
		h->mem_used -= old;
		return NULL;
	}
	if (nsize > old && nsize - old > h->lim.max_memory - h->mem_used) {
		if (h->refused && h->refused_ptr == ptr && h->refused_size == nsize && !h->tripped) {
			h->tripped = WK_TRIP_MEMORY;
			snprintf(h->trip_msg, sizeof(h->trip_msg),
			         "policy '%s': memory limit of %zu bytes reached",
			         h->cur_script ? h->cur_script : "?", h->lim.max_memory);
		}
		h->refused = 1;
		h->mem_refusals++;
		h->refused_ptr = ptr;
		h->refused_size = nsize;
		return NULL;
	}
	p = realloc(ptr, nsize);
	if (!p)
		return NULL;
	if (nsize > old)
		h->refused = 0;
	h->mem_used = h->mem_used - old + nsize;
	return p;
}

/* Compose "policy 'name' line N" for the innermost Lua function. */
static void where_lua(lua_State *L, char *out, size_t size, const char *fallback)
{
	lua_Debug ar;
	int level;

	for (level = 0; lua_getstack(L, level, &ar); level++) {
		if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
			snprintf(out, size, "policy '%s' line %d", ar.short_src, ar.currentline);
			return;
		}
	}
	snprintf(out, size, "policy '%s'", fallback ? fallback : "?");
}

static void count_hook(lua_State *L, lua_Debug *ar);

/* Raise the sticky budget error; re-arm the hook so it fires on every instruction. */
static int raise_trip(lua_State *L, wk_policy_host *h)
{
	if (!h->trip_msg[0]) {
		char where[128];

		where_lua(L, where, sizeof(where), h->cur_script);
		if (h->tripped == WK_TRIP_INSTRUCTIONS)
			snprintf(h->trip_msg, sizeof(h->trip_msg),
			         "%s: instruction budget of %llu exhausted (an endless loop?)",
			         where, (unsigned long long)h->lim.max_instructions);
		else
			snprintf(h->trip_msg, sizeof(h->trip_msg),
			         "%s: time limit of %u ms exceeded", where, h->lim.max_millis);
	}
	lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
	lua_pushstring(L, h->trip_msg);
	return lua_error(L);
}

static void check_budgets(wk_policy_host *h)
{
	if (h->tripped)
		return;
	if (h->instr_used > h->lim.max_instructions)
		h->tripped = WK_TRIP_INSTRUCTIONS;
	else if (now_ns() > h->deadline_ns)
		h->tripped = WK_TRIP_DEADLINE;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
	wk_policy_host *h = wk_host_of(L);

	(void)ar;
	if (!h->tripped) {
		h->instr_used += WK_HOOK_PERIOD;
		check_budgets(h);
	}
	if (h->tripped)
		raise_trip(L, h);
}

int wk_host_charge(lua_State *L, uint64_t steps)
{
	wk_policy_host *h = wk_host_of(L);

	if (!h->tripped) {
		h->instr_used += steps;
		check_budgets(h);
	}
	if (h->tripped)
		return raise_trip(L, h);
	return 0;
}

int wk_host_cap(lua_State *L, const char *fmt, ...)
{
	va_list ap;

	wk_host_of(L)->cap_hit = 1;
	va_start(ap, fmt);
	luaL_where(L, 1);
	lua_pushvfstring(L, fmt, ap);
	va_end(ap);
	lua_concat(L, 2);
	return lua_error(L);
}

/* setmetatable that refuses finalizers (see the top of this file). */
static int safe_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "__gc metamethods are not allowed in policy scripts");
		lua_pop(L, 1);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* string.rep with the result capped at WK_STRING_RESULT_MAX bytes. */
static int safe_rep(lua_State *L)
{
	size_t l, lsep = 0, total;
	const char *s = luaL_checklstring(L, 1, &l);
	lua_Integer n = luaL_checkinteger(L, 2);
	const char *sep = luaL_optlstring(L, 3, "", &lsep);
	luaL_Buffer b;
	lua_Integer i;

	if (n <= 0 || (l == 0 && lsep == 0)) {
		lua_pushliteral(L, "");
		return 1;
	}
	if ((uint64_t)n > WK_STRING_RESULT_MAX || l + lsep > WK_STRING_RESULT_MAX / (size_t)n)
		return wk_host_cap(L, "string.rep result is over the %d-byte cap", (int)WK_STRING_RESULT_MAX);
	total = (size_t)n * l + (size_t)(n - 1) * lsep;
	luaL_buffinitsize(L, &b, total);
	for (i = 0; i < n; i++) {
		luaL_addlstring(&b, s, l);
		if (i + 1 < n)
			luaL_addlstring(&b, sep, lsep);
	}
	luaL_pushresult(&b);
	return 1;
}

/* table.move charges one step per element: it loops in C without the hook. */
static int safe_move(lua_State *L)
{
	lua_Integer f = luaL_checkinteger(L, 2);
	lua_Integer e = luaL_checkinteger(L, 3);

	if (e >= f)
		wk_host_charge(L, e - f >= (lua_Integer)INT32_MAX ? (uint64_t)INT32_MAX * 1024
		                                                  : (uint64_t)(e - f) + 1);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

static void wrap_field(lua_State *L, int t, const char *name, lua_CFunction fn)
{
	lua_getfield(L, t, name);
	lua_pushcclosure(L, fn, 1);
	lua_setfield(L, t, name);
}

static void drop_fields(lua_State *L, int t, const char *const *names)
{
	for (; *names; names++) {
		lua_pushnil(L);
		lua_setfield(L, t, *names);
	}
}

/* Build the template global table (run under lua_pcall). */
static int host_setup(lua_State *L)
{
	static const char *const base_drop[] = {
		"load", "loadfile", "dofile", "require", "collectgarbage", "print", "warn", NULL
	};
	static const char *const string_drop[] = { "dump", NULL };
	static const char *const math_drop[] = { "random", "randomseed", NULL };
	int g, s;

	luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
	luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
	luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
	luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
	luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
	luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
	lua_settop(L, 0);

	lua_pushglobaltable(L);
	g = lua_gettop(L);
	drop_fields(L, g, base_drop);
	wrap_field(L, g, "setmetatable", safe_setmetatable);
	/* The libraries opened into the registry's loaded table are unreachable: drop them. */
	lua_pushnil(L);
	lua_setfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);

	lua_getfield(L, g, LUA_STRLIBNAME);
	s = lua_gettop(L);
	drop_fields(L, s, string_drop);
	lua_pushcfunction(L, safe_rep);
	lua_setfield(L, s, "rep");
	wk_pattern_install(L, s);
	/* Protect the string metatable (shared by every string in the state). */
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 3);

	lua_getfield(L, g, LUA_MATHLIBNAME);
	drop_fields(L, lua_gettop(L), math_drop);
	lua_pop(L, 1);
	lua_getfield(L, g, LUA_TABLIBNAME);
	wrap_field(L, lua_gettop(L), "move", safe_move);
	lua_pop(L, 1);
	return 0;
}

int wk_host_check_name(const char *name)
{
	const char *p;
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > WK_SCRIPT_NAME_MAX)
		return wk_error_set(WK_EINVALID, "policy script name '%s' must be 1 to %d characters",
		                    name ? name : "", WK_SCRIPT_NAME_MAX);
	for (p = name; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-' || *p == '/'))
			return wk_error_set(WK_EINVALID, "policy script name '%s' may hold only letters, "
			                    "digits, '.', '_', '-' and '/'", name);
	}
	return 0;
}

int wk_host_open(wk_policy_host *h, const wk_policy_limits *limits)
{
	static const wk_policy_limits defaults = WK_POLICY_LIMITS_INIT;
	int status;

	memset(h, 0, sizeof(*h));
	h->lim = limits ? *limits : defaults;
	if (!h->lim.max_instructions || !h->lim.max_memory || !h->lim.max_millis ||
	    !h->lim.max_source || !h->lim.max_output)
		return wk_error_set(WK_EUSAGE, "policy limits must all be above zero");
	h->deadline_ns = now_ns() + (uint64_t)h->lim.max_millis * 1000000u;
	h->L = lua_newstate(host_alloc, h);
	if (!h->L)
		return wk_error_set(WK_ELIMIT, "cannot create a lua state within %zu bytes",
		                    h->lim.max_memory);
	lua_sethook(h->L, count_hook, LUA_MASKCOUNT,
	            h->lim.max_instructions < WK_HOOK_PERIOD ? (int)h->lim.max_instructions
	                                                     : WK_HOOK_PERIOD);
	lua_pushlightuserdata(h->L, h);
	lua_rawsetp(h->L, LUA_REGISTRYINDEX, &wk_host_key);
	lua_pushcfunction(h->L, host_setup);
	status = lua_pcall(h->L, 0, 0, 0);
	if (status != LUA_OK)
		return wk_host_fail(h, status, "setting up the policy sandbox");
	return 0;
}

void wk_host_close(wk_policy_host *h)
{
	if (!h || !h->L)
		return;
	/* The hook stays armed: a __close handler run here still meets the budgets. */
	lua_close(h->L);
	h->L = NULL;
}

static void copy_table(lua_State *L, int src)
{
	lua_newtable(L);
	lua_pushnil(L);
	while (lua_next(L, src)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, -4);
	}
}

/*
 * Push a fresh environment: the template's functions, fresh copies of its
 * library tables, _G pointing at itself and, with_api, the `wicket` table
 * bound to script_index. Raises on memory errors: call it protected.
 */
void wk_host_new_env(lua_State *L, int with_api, int script_index)
{
	int env, g;

	lua_newtable(L);
	env = lua_gettop(L);
	lua_pushglobaltable(L);
	g = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, g)) {
		if (lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), LUA_GNAME) == 0) {
			lua_pop(L, 1);
			continue;
		}
		if (lua_type(L, -1) == LUA_TTABLE) {
			copy_table(L, lua_gettop(L));
			lua_remove(L, -2);
		}
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, env);
	}
	lua_pop(L, 1);
	lua_pushvalue(L, env);
	lua_setfield(L, env, LUA_GNAME);
	if (with_api) {
		wk_api_push(L, script_index);
		lua_setfield(L, env, "wicket");
	}
}

typedef struct {
	int with_api;
	int script_index;
} env_args;

static int push_env_protected(lua_State *L)
{
	env_args *a = lua_touserdata(L, 1);

	wk_host_new_env(L, a->with_api, a->script_index);
	return 1;
}

/* Turn "name:12: msg" into "policy 'name' line 12: msg"; push the result. */
static void push_located(lua_State *L, const char *msg, const char *fallback_where)
{
	const char *colon = strchr(msg, ':');
	const char *p;
	char name[WK_SCRIPT_NAME_MAX + 8], line[16];

	if (colon && colon > msg && (size_t)(colon - msg) < sizeof(name) &&
	    colon[1] >= '0' && colon[1] <= '9') {
		for (p = colon + 1; *p >= '0' && *p <= '9'; p++)
			;
		if (p[0] == ':' && p[1] == ' ' && (size_t)(p - colon - 1) < sizeof(line)) {
			memcpy(name, msg, (size_t)(colon - msg));
			name[colon - msg] = '\0';
			memcpy(line, colon + 1, (size_t)(p - colon - 1));
			line[p - colon - 1] = '\0';
			if (!strchr(name, ' ')) {
				lua_pushfstring(L, "policy '%s' line %s: %s", name, line, p + 2);
				return;
			}
		}
	}
	lua_pushfstring(L, "%s: %s", fallback_where, msg);
}

/* Message handler: a string naming the script and line, whatever was raised. */
static int host_msgh(lua_State *L)
{
	wk_policy_host *h = wk_host_of(L);
	char where[128];
	const char *msg;

	if (h->tripped && h->trip_msg[0]) {
		lua_pushstring(L, h->trip_msg);
		return 1;
	}
	where_lua(L, where, sizeof(where), h->cur_script);
	switch (lua_type(L, 1)) {
	case LUA_TSTRING:
		msg = lua_tostring(L, 1);
		break;
	case LUA_TNUMBER:
		msg = lua_pushfstring(L, "error %s", luaL_tolstring(L, 1, NULL));
		break;
	default:
		/* Never call __tostring here: it would run script code in the handler. */
		msg = lua_pushfstring(L, "error raised with a %s value instead of a message",
		                      lua_typename(L, lua_type(L, 1)));
		break;
	}
	if (strncmp(msg, "policy '", 8) == 0)
		lua_pushstring(L, msg); /* already located by the host */
	else
		push_located(L, msg, where);
	return 1;
}

int wk_host_pcall(wk_policy_host *h, int nargs, int nresults)
{
	lua_State *L = h->L;
	int base = lua_gettop(L) - nargs;
	int status;

	lua_pushcfunction(L, host_msgh);
	lua_insert(L, base);
	status = lua_pcall(L, nargs, nresults, base);
	lua_remove(L, base);
	return status;
}

int wk_host_fail(wk_policy_host *h, int status, const char *what)
{
	lua_State *L = h->L;
	const char *msg = L && lua_gettop(L) > 0 && lua_type(L, -1) == LUA_TSTRING
	                  ? lua_tostring(L, -1) : NULL;
	int rc;

	if (h->violation[0])
		rc = wk_error_set(WK_EPOLICY, "%s", h->violation);
	else if (h->tripped)
		rc = wk_error_set(WK_ELIMIT, "%s", h->trip_msg);
	else if (h->mem_refusals &&
	         (status == LUA_ERRMEM || (msg && strstr(msg, "not enough memory"))))
		rc = wk_error_set(WK_ELIMIT, "policy '%s': memory limit of %zu bytes reached",
		                  h->cur_script ? h->cur_script : "?", h->lim.max_memory);
	else if (status == LUA_ERRMEM)
		rc = wk_error_set(WK_ELIMIT, "policy '%s': out of memory while %s",
		                  h->cur_script ? h->cur_script : "?", what);
	else if (msg)
		rc = wk_error_set(h->cap_hit ? WK_ELIMIT : WK_EINVALID, "%s", msg);
	else
		rc = wk_error_set(WK_ERROR, "policy '%s': lua failed while %s",
		                  h->cur_script ? h->cur_script : "?", what);
	if (L && lua_gettop(L) > 0)
		lua_pop(L, 1);
	return rc;
}

/*
 * Compile a script as text and give it a fresh environment; on success the
 * chunk is on the stack. with_api is taken from the script index in
 * h: index < 0 means a data chunk with no `wicket` table.
 */
static int load_chunk(wk_policy_host *h, const char *name, const char *src, size_t len,
                      int with_api, int script_index)
{
	lua_State *L = h->L;
	char chunkname[WK_SCRIPT_NAME_MAX + 2];
	env_args a;
	int status, rc;

	if ((rc = wk_host_check_name(name)) < 0)
		return rc;
	if (len > h->lim.max_source)
		return wk_error_set(WK_ELIMIT, "policy '%s' is %zu bytes; the limit is %zu bytes",
		                    name, len, h->lim.max_source);
	if (len > 0 && src[0] == LUA_SIGNATURE[0])
		return wk_error_set(WK_EINVALID, "policy '%s' is a compiled (bytecode) chunk; "
		                    "only lua source text is accepted", name);
	h->cur_script = name;
	snprintf(chunkname, sizeof(chunkname), "=%s", name);
	status = wk_policy_load(L, src, len, chunkname, NULL);
	if (status != LUA_OK) {
		if (status == LUA_ERRSYNTAX && lua_type(L, -1) == LUA_TSTRING) {
			char where[96];

			snprintf(where, sizeof(where), "policy '%s'", name);
			push_located(L, lua_tostring(L, -1), where);
			lua_remove(L, -2);
		}
		return wk_host_fail(h, status, "loading the script");
	}
	a.with_api = with_api;
	a.script_index = script_index;
	lua_pushcfunction(L, push_env_protected);
	lua_pushlightuserdata(L, &a);
	status = wk_host_pcall(h, 1, 1);
	if (status != LUA_OK) {
		rc = wk_host_fail(h, status, "preparing the script's environment");
		lua_pop(L, 1);
		return rc;
	}
	lua_setupvalue(L, -2, 1); /* the chunk's only upvalue is _ENV */
	return 0;
}

int wk_host_load(wk_policy_host *h, const char *name, const char *src, size_t len)
{
	return load_chunk(h, name, src, len, 0, -1);
}

int wk_host_load_script(wk_policy_host *h, const char *name, const char *src, size_t len,
                        int script_index)
{
	return load_chunk(h, name, src, len, 1, script_index);
}
