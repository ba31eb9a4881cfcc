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

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
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

static int sticky_failure(wk_policy_host *h)
{
	if (h->violation[0])
		return wk_error_set(WK_EPOLICY, "%s", h->violation);
	if (h->tripped)
		return wk_error_set(WK_ELIMIT, "%s", h->trip_msg);
	return 0;
}

/* Run the top of the stack protected; on failure translate. */
static int protected(wk_policy_host *h, int nargs, int nresults, const char *what)
{
	int status = wk_host_pcall(h, nargs, nresults);

	if (status != LUA_OK)
		return wk_host_fail(h, status, what);
	return sticky_failure(h);
}

static int check_today(const char *today)
{
	int i;

	if (!today || strlen(today) != 10)
		goto bad;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (today[i] != '-')
				goto bad;
		} else if (today[i] < '0' || today[i] > '9') {
			goto bad;
		}
	}
	return 0;
bad:
	return wk_error_set(WK_EUSAGE, "policy: today must be a date as YYYY-MM-DD, not '%s'",
	                    today ? today : "(null)");
}

static int check_scripts(const wk_policy_script *scripts, size_t n)
{
	size_t i;
	int rc, seen_site = 0;

	if (n > WK_POLICY_MAX_SCRIPTS)
		return wk_error_set(WK_ELIMIT, "policy: %zu scripts given; the limit is %d",
		                    n, WK_POLICY_MAX_SCRIPTS);
	for (i = 0; i < n; i++) {
		if (!scripts[i].src && scripts[i].len)
			return wk_error_set(WK_EUSAGE, "policy '%s' has no source", scripts[i].name);
		if ((rc = wk_host_check_name(scripts[i].name)) < 0)
			return rc;
		if (strncmp(scripts[i].name, "national/", 9) != 0)
			seen_site = 1;
		else if (seen_site)
			return wk_error_set(WK_EUSAGE, "policy '%s' is national but comes after a site "
			                    "script; load national scripts first", scripts[i].name);
	}
	return 0;
}

/* Parse a NUL-terminated JSON object of at most max bytes. */
static int parse_input(json_t **out, const char *text, size_t max, const char *what)
{
	json_error_t jerr;
	size_t len;

	*out = NULL;
	if (!text)
		return wk_error_set(WK_EUSAGE, "policy: no %s given", what);
	len = strnlen(text, max + 1);
	if (len > max)
		return wk_error_set(WK_ELIMIT, "policy %s is over the %zu-byte cap", what, max);
	*out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*out)
		return wk_error_set(WK_EINVALID, "policy %s is not valid JSON: %s (line %d)",
		                    what, jerr.text, jerr.line);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return wk_error_set(WK_EINVALID, "policy %s must be a JSON object", what);
	}
	return 0;
}

typedef struct {
	const char *entry;
	json_t *input;
	const wk_policy_script *scripts;
	char (*hex)[2 * crypto_hash_sha256_BYTES + 1];
	size_t n;
} run_args;

/* lua_CFunction: prelude.run(entry, input, scripts) -> result. */
static int run_entry(lua_State *L)
{
	run_args *a = lua_touserdata(L, 1);
	size_t i;

	wk_api_prelude(L, "run");
	lua_pushstring(L, a->entry);
	wk_json_push(L, a->input);
	lua_createtable(L, (int)a->n, 0);
	for (i = 0; i < a->n; i++) {
		lua_createtable(L, 0, 2);
		lua_pushstring(L, a->scripts[i].name);
		lua_setfield(L, -2, "name");
		lua_pushstring(L, a->hex[i]);
		lua_setfield(L, -2, "sha256");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_call(L, 3, 1);
	return 1;
}

static int api_init_protected(wk_policy_host *h)
{
	lua_pushcfunction(h->L, wk_api_init);
	return protected(h, 0, 0, "starting the policy host");
}

int wk_policy_eval(wk_buf *out, const wk_policy_script *scripts, size_t n,
                   const char *entry, const char *input_json, const char *today,
                   const wk_policy_limits *limits)
{
	static const wk_policy_limits defaults = WK_POLICY_LIMITS_INIT;
	const wk_policy_limits *lim = limits ? limits : &defaults;
	wk_policy_host h;
	run_args a;
	unsigned char digest[crypto_hash_sha256_BYTES];
	size_t i;
	int rc;

	memset(&h, 0, sizeof(h));
	memset(&a, 0, sizeof(a));
	if (!out || (!scripts && n) || !entry) {
		rc = wk_error_set(WK_EUSAGE, "wk_policy_eval: out, scripts and entry are required");
		goto cleanup;
	}
	if ((rc = check_today(today)) < 0 || (rc = check_scripts(scripts, n)) < 0)
		goto cleanup;
	if ((rc = parse_input(&a.input, input_json, lim->max_input, "input")) < 0)
		goto cleanup;
	a.entry = entry;
	a.scripts = scripts;
	a.n = n;
	a.hex = calloc(n ? n : 1, sizeof(*a.hex));
	if (!a.hex) {
		rc = wk_error_set(WK_ELIMIT, "policy: out of memory");
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		crypto_hash_sha256(digest, (const unsigned char *)(scripts[i].src ? scripts[i].src : ""),
		                   scripts[i].len);
		sodium_bin2hex(a.hex[i], sizeof(a.hex[i]), digest, sizeof(digest));
	}
	if ((rc = wk_host_open(&h, lim)) < 0)
		goto cleanup;
	h.scripts = scripts;
	h.nscripts = n;
	h.today = today;
	if ((rc = api_init_protected(&h)) < 0)
		goto cleanup;
	for (i = 0; i < n; i++) {
		rc = wk_host_load_script(&h, scripts[i].name, scripts[i].src ? scripts[i].src : "",
		                         scripts[i].len, (int)i);
		if (rc < 0 || (rc = protected(&h, 0, 0, "running the script")) < 0)
			goto cleanup;
	}
	h.cur_script = "wicket/host";
	lua_pushcfunction(h.L, run_entry);
	lua_pushlightuserdata(h.L, &a);
	if ((rc = protected(&h, 1, 1, entry)) < 0)
		goto cleanup;
	rc = value_to_json(&h, out, "policy result");
cleanup:
	wk_host_close(&h);
	json_decref(a.input);
	free(a.hex);
	return rc;
}

/* ---- wk_policy_test ------------------------------------------------------ */

/*
 * Does actual match expected? Objects: every expected key present and
 * matching. Arrays: [] means empty; otherwise every expected element matches
 * some actual element (order-free). Numbers compare by value.
 */
static int json_match(json_t *exp, json_t *act, wk_buf *why, const char *path)
{
	const char *key;
	json_t *v, *w;
	size_t i, j;
	char sub[256];

	if (json_is_number(exp) && json_is_number(act)) {
		if (json_number_value(exp) == json_number_value(act))
			return 1;
	} else if (json_is_object(exp) && json_is_object(act)) {
		json_object_foreach(exp, key, v) {
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
			if (!(w = json_object_get(act, key))) {
				wk_buf_printf(why, "%s is missing", sub);
				return 0;
			}
			if (!json_match(v, w, why, sub))
				return 0;
		}
		return 1;
	} else if (json_is_array(exp) && json_is_array(act)) {
		if (json_array_size(exp) == 0 && json_array_size(act) == 0)
			return 1;
		if (json_array_size(exp) > 0) {
			json_array_foreach(exp, i, v) {
				wk_buf scratch = WK_BUF_INIT;
				int found = 0;

				json_array_foreach(act, j, w) {
					wk_buf_clear(&scratch);
					if (json_match(v, w, &scratch, path)) {
						found = 1;
						break;
					}
				}
				wk_buf_free(&scratch);
				if (!found) {
					char *e = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);

					wk_buf_printf(why, "%s has no element matching %.200s", *path ? path : "result",
					              e ? e : "?");
					free(e);
					return 0;
				}
			}
			return 1;
		}
	} else if (json_equal(exp, act)) {
		return 1;
	}
	{
		char *e = json_dumps(exp, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		char *g = json_dumps(act, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

		wk_buf_printf(why, "%s: expected %.200s, got %.300s", *path ? path : "result",
		              e ? e : "?", g ? g : "?");
		free(e);
		free(g);
	}
	return 0;
}

/* lua_CFunction: give the chunk at 1 the global `fixtures` (json_t at 2). */
static int set_fixtures(lua_State *L)
{
	lua_getupvalue(L, 1, 1);
	if (lua_touserdata(L, 2))
		wk_json_push(L, lua_touserdata(L, 2));
	else
		lua_newtable(L);
	lua_setfield(L, -2, "fixtures");
	return 0;
}

/* Run the test chunk (a data chunk with `fixtures`) and give back its cases as JSON. */
static int load_cases(json_t **cases, const wk_policy_script *test, json_t *fixtures,
                      const wk_policy_limits *lim)
{
	wk_policy_host h;
	wk_buf text = WK_BUF_INIT;
	json_error_t jerr;
	int rc;

	*cases = NULL;
	memset(&h, 0, sizeof(h));
	if ((rc = wk_host_open(&h, lim)) < 0)
		goto cleanup;
	if ((rc = wk_host_load(&h, test->name, test->src ? test->src : "", test->len)) < 0)
		goto cleanup;
	lua_pushcfunction(h.L, set_fixtures);
	lua_pushvalue(h.L, -2);
	lua_pushlightuserdata(h.L, fixtures);
	if ((rc = protected(&h, 2, 0, "giving the tests their fixtures")) < 0)
		goto cleanup;
	if ((rc = protected(&h, 0, 1, "running the test file")) < 0)
		goto cleanup;
	if ((rc = value_to_json(&h, &text, "test cases")) < 0)
		goto cleanup;
	*cases = json_loadb(text.ptr, text.len, 0, &jerr);
	if (!*cases || !json_is_array(*cases)) {
		rc = wk_error_set(WK_EINVALID, "policy test '%s' must return a list of cases", test->name);
		goto cleanup;
	}
cleanup:
	if (rc < 0 && *cases) {
		json_decref(*cases);
		*cases = NULL;
	}
	wk_buf_free(&text);
	wk_host_close(&h);
	return rc;
}

/* Run one case; 1 when it passed, 0 when not (why says so). */
static int run_case(json_t *c, size_t idx, const wk_policy_script *scripts, size_t n,
                    const char *today, const wk_policy_limits *lim, wk_buf *why)
{
	const char *entry = json_string_value(json_object_get(c, "entry"));
	const char *want_error = json_string_value(json_object_get(c, "error"));
	const char *case_today = json_string_value(json_object_get(c, "today"));
	json_t *input = json_object_get(c, "input"), *expect = json_object_get(c, "expect");
	json_t *result = NULL, *empty = json_object();
	wk_buf out = WK_BUF_INIT;
	char *input_text = NULL;
	int ok = 0, rc;

	/* A Lua {} arrives as []: read an empty list as an empty object here. */
	if (json_is_array(input) && json_array_size(input) == 0)
		input = empty;
	if (json_is_array(expect) && json_array_size(expect) == 0)
		expect = empty;
	if (!entry || !json_is_object(input) || (!expect && !want_error) ||
	    (expect && !json_is_object(expect))) {
		wk_buf_printf(why, "case %zu needs entry (a string), input (an object) and expect "
		              "(an object) or error (a string)", idx + 1);
		goto cleanup;
	}
	input_text = json_dumps(input, JSON_COMPACT);
	rc = wk_policy_eval(&out, scripts, n, entry, input_text ? input_text : "{}",
	                    case_today ? case_today : today, lim);
	if (want_error) {
		if (rc >= 0)
			wk_buf_printf(why, "expected the error \"%s\" but the %s succeeded", want_error, entry);
		else if (!strstr(wk_error_msg(), want_error))
			wk_buf_printf(why, "expected an error containing \"%s\", got \"%s\"",
			              want_error, wk_error_msg());
		else
			ok = 1;
		goto cleanup;
	}
	if (rc < 0) {
		wk_buf_printf(why, "%s failed: %s", entry, wk_error_msg());
		goto cleanup;
	}
	result = json_loadb(out.ptr, out.len, 0, NULL);
	ok = result && json_match(expect, result, why, "");
cleanup:
	json_decref(result);
	json_decref(empty);
	free(input_text);
	wk_buf_free(&out);
	return ok;
}

int wk_policy_test(wk_buf *out, const wk_policy_script *scripts, size_t n,
                   const wk_policy_script *test, const char *fixtures_json,
                   const char *today, const wk_policy_limits *limits)
{
	static const wk_policy_limits defaults = WK_POLICY_LIMITS_INIT;
	const wk_policy_limits *lim = limits ? limits : &defaults;
	json_t *fixtures = NULL, *cases = NULL, *c;
	wk_buf rep = WK_BUF_INIT, why = WK_BUF_INIT;
	size_t i, passed = 0, failed = 0;
	int rc;

	if (!out || !test || !test->name) {
		rc = wk_error_set(WK_EUSAGE, "wk_policy_test: out and test are required");
		goto cleanup;
	}
	if ((rc = check_today(today)) < 0 || (rc = check_scripts(scripts, n)) < 0)
		goto cleanup;
	if (fixtures_json && (rc = parse_input(&fixtures, fixtures_json, lim->max_input, "fixtures")) < 0)
		goto cleanup;
	if ((rc = load_cases(&cases, test, fixtures, lim)) < 0)
		goto cleanup;
	rep.max = lim->max_output;
	wk_buf_puts(&rep, "{\"cases\":[");
	json_array_foreach(cases, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		int ok;

		wk_buf_clear(&why);
		ok = json_is_object(c) && run_case(c, i, scripts, n, today, lim, &why);
		if (!json_is_object(c))
			wk_buf_printf(&why, "case %zu is not a table", i + 1);
		ok ? passed++ : failed++;
		wk_buf_puts(&rep, i ? ",{" : "{");
		if (!ok) {
			wk_buf_puts(&rep, "\"message\":");
			wk_buf_json_str(&rep, why.ptr ? why.ptr : "");
			wk_buf_putc(&rep, ',');
		}
		wk_buf_puts(&rep, "\"name\":");
		if (name) {
			wk_buf_json_str(&rep, name);
		} else {
			wk_buf_printf(&rep, "\"case %zu\"", i + 1);
		}
		wk_buf_printf(&rep, ",\"ok\":%s}", ok ? "true" : "false");
	}
	wk_buf_printf(&rep, "],\"failed\":%zu,\"ok\":%s,\"passed\":%zu,\"test\":", failed,
	              failed ? "false" : "true", passed);
	wk_buf_json_str(&rep, test->name);
	wk_buf_putc(&rep, '}');
	if ((rc = wk_buf_check(&rep, "policy test report")) < 0)
		goto cleanup;
	wk_buf_clear(out);
	wk_buf_put(out, rep.ptr, rep.len);
	if ((rc = wk_buf_check(out, "policy test report")) < 0)
		goto cleanup;
	if (failed)
		rc = wk_error_set(WK_EPOLICY, "policy test '%s': %zu of %zu cases failed",
		                  test->name, failed, passed + failed);
cleanup:
	json_decref(fixtures);
	json_decref(cases);
	wk_buf_free(&rep);
	wk_buf_free(&why);
	return rc;
}
