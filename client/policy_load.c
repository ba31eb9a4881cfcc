/*
 * policy_load.c - loading Lua text, from bytecode when it is wicket's own.
 *
 * Compiling the host's prelude and the national rules is about 1.2 ms of every
 * command that evaluates the rules (each command is a new process). Both are
 * compiled at build time (tools/lua_embed.c, with their debug information, so
 * errors name the same lines); the entry keeps the text it was compiled from,
 * and its bytecode is used only for text identical byte for byte. Any other
 * text, a site script or a new version of the national rules from the
 * catalogue, is compiled as before. Bytecode never comes from the store or the
 * network: only from this table, built with the binary.
 */
#include "policy_int.h"

#include <string.h>

int wk_policy_load(lua_State *L, const char *text, size_t len, const char *chunkname, int *compiled)
{
	const wk_policy_compiled *c;

	if (compiled)
		*compiled = 0;
	for (c = wk_policy_compiled_chunks; c->chunkname; c++) {
		if (c->text_len != len || strcmp(c->chunkname, chunkname) != 0 || memcmp(c->text, text, len) != 0)
			continue;
		if (luaL_loadbufferx(L, (const char *)c->code, c->code_len, chunkname, "b") == LUA_OK) {
			if (compiled)
				*compiled = 1;
			return LUA_OK;
		}
		lua_pop(L, 1); /* a Lua that reads other bytecode: compile the text */
		break;
	}
	return luaL_loadbufferx(L, text, len, chunkname, "t");
}
