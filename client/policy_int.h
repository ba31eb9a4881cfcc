/*
 * policy_int.h - private to the policy host (client/policy*.c).
 *
 * The only header besides the policy_*.c files that names Lua types. Nothing
 * outside client/policy*.c may include it: the rest of wicket sees the policy
 * host through policy.h only, as JSON text in and out.
 *
 * One evaluation owns one wk_policy_host: a fresh lua_State whose allocator,
 * count hook and pattern matcher all charge the same budgets kept here. Once a
 * budget trips it stays tripped (`tripped` is sticky), and every further VM
 * instruction raises the same error, so no pcall, coroutine or __close handler
 * can swallow it.
 */
#ifndef WK_POLICY_INT_H
#define WK_POLICY_INT_H

#include <lua.h>
#include <lauxlib.h>
#include <stdint.h>

#include "buf.h"
#include "policy.h"

enum {
	WK_TRIP_NONE = 0,
	WK_TRIP_INSTRUCTIONS,
	WK_TRIP_DEADLINE,
	WK_TRIP_MEMORY
};

/*
 * The count hook runs every WK_HOOK_PERIOD VM instructions. 1000 keeps the
 * overhead of the hook (a counter and a vDSO clock read) well under 1% while
 * stopping a runaway script within microseconds of its budget.
 */
#define WK_HOOK_PERIOD 1000

/*
 * Depth cap for tables converted to or from JSON. EDM catalogues, plans and
 * results nest fewer than 10 levels; 64 leaves room for local data while
 * bounding the C recursion of the converters to a few kilobytes of stack.
 */
#define WK_JSON_MAX_DEPTH 64

/*
 * Longest string string.rep or string.gsub may build: 1 MiB. Rules build
 * messages of a few hundred bytes; anything near a megabyte is a bomb, and
 * refusing it here gives a clearer message than the memory cap would.
 */
#define WK_STRING_RESULT_MAX ((size_t)1 << 20)

/* Longest script name: Lua keeps LUA_IDSIZE (60) bytes of a chunk's name. */
#define WK_SCRIPT_NAME_MAX 56

typedef struct wk_policy_host {
	lua_State *L;
	wk_policy_limits lim;
	size_t mem_used;
	void *refused_ptr;       /* the allocator's last refused growth */
	size_t refused_size;
	int refused;
	unsigned mem_refusals;   /* growths the allocator refused */
	uint64_t instr_used;     /* VM instructions plus pattern-matcher steps */
	uint64_t deadline_ns;    /* CLOCK_MONOTONIC */
	int tripped;             /* WK_TRIP_*, sticky */
	int cap_hit;             /* a size cap (string.rep, gsub, pattern) refused */
	char trip_msg[256];      /* "policy 'x' line 3: instruction budget ..." */
	char violation[512];     /* sticky autonomy violation, "" when none */
	const char *cur_script;  /* name of the script whose code runs now */
	const char *today;       /* "YYYY-MM-DD" or NULL */
	const wk_policy_script *scripts; /* the scripts of this evaluation */
	size_t nscripts;
} wk_policy_host;

/* policy_host.c */
int wk_host_open(wk_policy_host *h, const wk_policy_limits *limits);
void wk_host_close(wk_policy_host *h);
wk_policy_host *wk_host_of(lua_State *L);
int wk_host_charge(lua_State *L, uint64_t steps); /* raises when over budget */
int wk_host_cap(lua_State *L, const char *fmt, ...); /* raises a size-cap error */
void wk_host_new_env(lua_State *L, int with_api, int script_index);
int wk_host_load(wk_policy_host *h, const char *name, const char *src, size_t len);
int wk_host_load_script(wk_policy_host *h, const char *name, const char *src, size_t len,
                        int script_index);
int wk_host_pcall(wk_policy_host *h, int nargs, int nresults);
int wk_host_fail(wk_policy_host *h, int status, const char *what);
int wk_host_check_name(const char *name);

/* policy_pattern.c: budgeted string.find/match/gmatch/gsub. */
void wk_pattern_install(lua_State *L, int string_table);

/* policy_json.c */
int wk_json_from_lua(lua_State *L);   /* lua_CFunction: (value, wk_buf*) -> () */
void wk_json_push(lua_State *L, void *json); /* a json_t; raises on caps */
void wk_json_object_mark(lua_State *L, int idx);

/* policy_api.c */
void wk_api_push(lua_State *L, int script_index);
void wk_api_prelude(lua_State *L, const char *name);
int wk_api_init(lua_State *L);         /* lua_CFunction */

/* policy_load.c: wicket's own Lua, compiled at build time (tools/lua_embed.c). */
typedef struct {
	const char *chunkname; /* "=wicket/host", "=national/rules.lua"; NULL ends the table */
	const char *text;      /* the text it was compiled from */
	size_t text_len;
	const unsigned char *code;
	size_t code_len;
} wk_policy_compiled;
extern const wk_policy_compiled wk_policy_compiled_chunks[];
/*
 * Load text as the chunk chunkname ("=name"), like luaL_loadbufferx(..., "t"):
 * from its bytecode when it is, byte for byte, text compiled into wicket, and
 * the running Lua accepts that bytecode; else from the text. *compiled (if
 * not NULL) says which. Returns Lua's status.
 */
int wk_policy_load(lua_State *L, const char *text, size_t len, const char *chunkname, int *compiled);

#endif
