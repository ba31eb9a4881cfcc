/*
 * policy_json.c - Lua values to canonical JSON text, and JSON (jansson) to
 * Lua tables, for the policy host.
 *
 * Canonical JSON, the only form the host ever produces:
 *   - objects have their keys sorted bytewise (memcmp, shorter first on a tie);
 *   - a table whose keys are exactly the integers 1..n is an array, in order;
 *   - an empty table is [] unless it carries the object mark (set on every
 *     empty JSON object decoded here, and by wicket.object()), then {};
 *   - integers print as integers; floats with %.17g; NaN and infinities are
 *     refused;
 *   - strings must be valid UTF-8 (no overlong forms, no surrogates) with no
 *     NUL character (no reader of ours, jansson or SQLite's text, takes one);
 *     '"', '\\' and control characters are escaped, everything else is literal;
 *   - no whitespace anywhere.
 * Refused with an error naming the path inside the value: functions,
 * userdata, threads, cycles, keys that are neither strings nor the integers
 * of an array, mixed string and integer keys, nesting deeper than
 * WK_JSON_MAX_DEPTH, and output over the caller's cap.
 *
 * Both directions run as lua_CFunctions under a protected call, so memory
 * errors and the budgets stop them like any script.
 */
#include "policy_int.h"
#include "error.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char wk_object_key = 'o'; /* registry key: the object-mark metatable */

typedef struct {
	const char *key;       /* object key, or NULL for an array index */
	size_t keylen;
	lua_Integer index;
} path_seg;

typedef struct {
	wk_buf *out;
	int depth;
	const void *tables[WK_JSON_MAX_DEPTH + 1];
	path_seg path[WK_JSON_MAX_DEPTH + 1];
} jctx;

typedef struct {
	const char *s;
	size_t len;
} keyref;

/* Raise with the path of the value in error ("at areas[1].baselines"). */
static int jfail(lua_State *L, jctx *c, const char *what)
{
	luaL_Buffer b;
	char num[32];
	int i;

	luaL_buffinit(L, &b);
	luaL_addstring(&b, what);
	if (c->depth > 0) {
		luaL_addstring(&b, " at ");
		for (i = 0; i < c->depth; i++) {
			if (c->path[i].key) {
				if (i > 0)
					luaL_addchar(&b, '.');
				luaL_addlstring(&b, c->path[i].key,
				                c->path[i].keylen > 64 ? 64 : c->path[i].keylen);
			} else {
				snprintf(num, sizeof(num), "[%lld]", (long long)c->path[i].index);
				luaL_addstring(&b, num);
			}
		}
	}
	luaL_pushresult(&b);
	return lua_error(L);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void emit_string(lua_State *L, jctx *c, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run, n;

	wk_buf_putc(c->out, '"');
	while (i < len) {
		run = i;
		while (run < len && s[run] >= 0x20 && s[run] != '"' && s[run] != '\\') {
			n = utf8_seq(s + run, len - run);
			if (n == 0)
				jfail(L, c, "string is not valid UTF-8");
			run += n;
		}
		wk_buf_put(c->out, s + i, run - i);
		if (run >= len)
			break;
		if (s[run] == '\0')
			jfail(L, c, "string holds a NUL character");
		switch (s[run]) {
		case '"': wk_buf_puts(c->out, "\\\""); break;
		case '\\': wk_buf_puts(c->out, "\\\\"); break;
		case '\n': wk_buf_puts(c->out, "\\n"); break;
		case '\r': wk_buf_puts(c->out, "\\r"); break;
		case '\t': wk_buf_puts(c->out, "\\t"); break;
		default: wk_buf_printf(c->out, "\\u%04x", s[run]); break;
		}
		i = run + 1;
	}
	wk_buf_putc(c->out, '"');
	if (c->out->failed)
		jfail(L, c, "output is over the size cap");
}

static int keycmp(const void *a, const void *b)
{
	const keyref *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int r = memcmp(x->s, y->s, n);

	if (r)
		return r;
	return x->len < y->len ? -1 : x->len > y->len;
}

static void emit_value(lua_State *L, jctx *c, int idx);

static int has_object_mark(lua_State *L, int idx)
{
	int marked;

	if (!lua_getmetatable(L, idx))
		return 0;
	lua_rawgetp(L, LUA_REGISTRYINDEX, &wk_object_key);
	marked = lua_rawequal(L, -1, -2);
	lua_pop(L, 2);
	return marked;
}

static void emit_array(lua_State *L, jctx *c, int idx, lua_Integer n)
{
	lua_Integer i;

	wk_buf_putc(c->out, '[');
	for (i = 1; i <= n; i++) {
		if (i > 1)
			wk_buf_putc(c->out, ',');
		c->path[c->depth - 1].key = NULL;
		c->path[c->depth - 1].index = i;
		lua_rawgeti(L, idx, i);
		emit_value(L, c, lua_gettop(L));
		lua_pop(L, 1);
	}
	wk_buf_putc(c->out, ']');
}

static void emit_object(lua_State *L, jctx *c, int idx, size_t n)
{
	keyref *keys;
	size_t i = 0;

	/* Userdata so that the collector frees it if an error unwinds past here. */
	keys = lua_newuserdatauv(L, n * sizeof(*keys), 0);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		keys[i].s = lua_tolstring(L, -2, &keys[i].len); /* keys are strings here */
		i++;
		lua_pop(L, 1);
	}
	qsort(keys, n, sizeof(*keys), keycmp);
	wk_buf_putc(c->out, '{');
	for (i = 0; i < n; i++) {
		if (i > 0)
			wk_buf_putc(c->out, ',');
		c->path[c->depth - 1].key = keys[i].s;
		c->path[c->depth - 1].keylen = keys[i].len;
		emit_string(L, c, keys[i].s, keys[i].len);
		wk_buf_putc(c->out, ':');
		lua_pushlstring(L, keys[i].s, keys[i].len);
		lua_rawget(L, idx);
		emit_value(L, c, lua_gettop(L));
		lua_pop(L, 1);
	}
	wk_buf_putc(c->out, '}');
	lua_pop(L, 1);
}

static void emit_table(lua_State *L, jctx *c, int idx)
{
	const void *p = lua_topointer(L, idx);
	size_t nstr = 0, nint = 0;
	lua_Integer maxint = 0;
	int i;

	for (i = 0; i < c->depth; i++)
		if (c->tables[i] == p)
			jfail(L, c, "table refers to itself (a cycle)");
	if (c->depth >= WK_JSON_MAX_DEPTH)
		jfail(L, c, "tables nest too deeply");
	luaL_checkstack(L, 8, "json");
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		if (lua_type(L, -2) == LUA_TSTRING) {
			nstr++;
		} else if (lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1) {
			nint++;
			if (lua_tointeger(L, -2) > maxint)
				maxint = lua_tointeger(L, -2);
		} else {
			const char *kind = lua_type(L, -2) != LUA_TNUMBER ? lua_typename(L, lua_type(L, -2))
			                   : lua_isinteger(L, -2) ? "non-positive integer" : "fractional number";

			lua_pop(L, 2);
			jfail(L, c, lua_pushfstring(L, "table has a %s key; only string keys and "
			                            "array indices 1..n are allowed", kind));
		}
		lua_pop(L, 1);
	}
	if (nstr && nint)
		jfail(L, c, "table mixes string keys and array indices");
	c->tables[c->depth] = p;
	c->depth++;
	if (nint) {
		if ((size_t)maxint != nint)
			jfail(L, c, "array has holes (keys are not exactly 1..n)");
		emit_array(L, c, idx, maxint);
	} else if (nstr) {
		emit_object(L, c, idx, nstr);
	} else {
		wk_buf_puts(c->out, has_object_mark(L, idx) ? "{}" : "[]");
	}
	c->depth--;
}

static void emit_value(lua_State *L, jctx *c, int idx)
{
	size_t len;
	const char *s;
	lua_Number d;

	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		wk_buf_puts(c->out, "null");
		break;
	case LUA_TBOOLEAN:
		wk_buf_puts(c->out, lua_toboolean(L, idx) ? "true" : "false");
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			wk_buf_printf(c->out, "%lld", (long long)lua_tointeger(L, idx));
		} else {
			d = lua_tonumber(L, idx);
			if (isnan(d) || isinf(d))
				jfail(L, c, "number is NaN or infinite");
			wk_buf_printf(c->out, "%.17g", (double)d);
		}
		break;
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		emit_string(L, c, s, len);
		break;
	case LUA_TTABLE:
		emit_table(L, c, idx);
		break;
	default:
		jfail(L, c, lua_pushfstring(L, "a %s value cannot be converted to JSON",
		                            lua_typename(L, lua_type(L, idx))));
	}
	if (c->out->failed)
		jfail(L, c, "output is over the size cap");
}

/* lua_CFunction: (value, lightuserdata wk_buf) -> (); the buffer receives the JSON. */
int wk_json_from_lua(lua_State *L)
{
	jctx *c;

	c = lua_newuserdatauv(L, sizeof(*c), 0);
	memset(c, 0, sizeof(*c));
	c->out = lua_touserdata(L, 2);
	emit_value(L, c, 1);
	return 0;
}

void wk_json_object_mark(lua_State *L, int idx)
{
	idx = lua_absindex(L, idx);
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &wk_object_key) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushliteral(L, "object");
		lua_setfield(L, -2, "__metatable");
		lua_pushvalue(L, -1);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &wk_object_key);
	}
	lua_setmetatable(L, idx);
}

static void push_json(lua_State *L, json_t *v, int depth)
{
	size_t i;
	const char *key;
	json_t *item;

	if (depth > WK_JSON_MAX_DEPTH)
		luaL_error(L, "input JSON nests deeper than %d levels", WK_JSON_MAX_DEPTH);
	luaL_checkstack(L, 4, "json");
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		lua_createtable(L, 0, (int)(json_object_size(v) > 1024 ? 1024 : json_object_size(v)));
		json_object_foreach(v, key, item) {
			if (json_is_null(item))
				continue; /* a null field is an absent field */
			push_json(L, item, depth + 1);
			lua_setfield(L, -2, key);
		}
		if (json_object_size(v) == 0)
			wk_json_object_mark(L, -1);
		break;
	case JSON_ARRAY:
		lua_createtable(L, (int)(json_array_size(v) > 1024 ? 1024 : json_array_size(v)), 0);
		json_array_foreach(v, i, item) {
			if (json_is_null(item))
				luaL_error(L, "input JSON has a null inside an array, which lua cannot hold");
			push_json(L, item, depth + 1);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		break;
	case JSON_STRING:
		lua_pushlstring(L, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		lua_pushinteger(L, (lua_Integer)json_integer_value(v));
		break;
	case JSON_REAL:
		lua_pushnumber(L, (lua_Number)json_real_value(v));
		break;
	case JSON_TRUE:
		lua_pushboolean(L, 1);
		break;
	case JSON_FALSE:
		lua_pushboolean(L, 0);
		break;
	case JSON_NULL:
		lua_pushnil(L);
		break;
	}
}

void wk_json_push(lua_State *L, void *json)
{
	push_json(L, json, 0);
}
