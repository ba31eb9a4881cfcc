/*
 * policy.c - the public entry points of the policy host (see policy.h).
 *
 * Each call builds one fresh sandbox (policy_host.c), runs Lua in it only
 * through protected calls, converts what comes back to canonical JSON
 * (policy_json.c) and closes the state, whatever happened. Nothing survives
 * from one call to the next.
 */
#include "policy_int.h"
#include "error.h"

#include <string.h>

/* Convert the value on top of h's stack to JSON into out (cleared first); pops it. */
static int value_to_json(wk_policy_host *h, wk_buf *out, const char *what)
{
	wk_buf tmp = WK_BUF_INIT;
	int status, rc = 0;

	tmp.max = h->lim.max_output;
	lua_pushcfunction(h->L, wk_json_from_lua);
	lua_insert(h->L, -2);
	lua_pushlightuserdata(h->L, &tmp);
	status = wk_host_pcall(h, 2, 0);
	if (status != LUA_OK) {
		if (tmp.failed)
			rc = wk_error_set(WK_ELIMIT, "policy '%s': %s is over the %zu-byte output cap",
			                  h->cur_script ? h->cur_script : "?", what, h->lim.max_output);
		else
			rc = wk_host_fail(h, status, "converting the result to JSON");
		goto cleanup;
	}
	wk_buf_clear(out);
	wk_buf_put(out, tmp.ptr ? tmp.ptr : "", tmp.len);
	rc = wk_buf_check(out, what);
cleanup:
	wk_buf_free(&tmp);
	return rc;
}

int wk_policy_data_json(wk_buf *out, const char *chunkname, const char *src,
                        size_t len, const wk_policy_limits *limits)
{
	wk_policy_host h;
	int rc, status;

	if (!out || !chunkname || (!src && len))
		return wk_error_set(WK_EUSAGE, "wk_policy_data_json: out, chunkname and src are required");
	if ((rc = wk_host_open(&h, limits)) < 0)
		goto cleanup;
	if ((rc = wk_host_load(&h, chunkname, src ? src : "", len)) < 0)
		goto cleanup;
	status = wk_host_pcall(&h, 0, 1);
	if (status != LUA_OK) {
		rc = wk_host_fail(&h, status, "running the data chunk");
		goto cleanup;
	}
	if (lua_isnil(h.L, -1)) {
		rc = wk_error_set(WK_EINVALID, "policy '%s': the chunk returned nothing; "
		                  "a data chunk must end with `return { ... }`", chunkname);
		goto cleanup;
	}
	rc = value_to_json(&h, out, "data");
cleanup:
	wk_host_close(&h);
	return rc;
}
