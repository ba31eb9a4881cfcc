/*
 * policy_pattern.c - string.find, string.match, string.gmatch and string.gsub
 * for the sandbox, with Lua 5.4 pattern semantics and a step budget.
 *
 * Lua's own matcher backtracks in C, where the count hook never runs: a
 * pattern such as ("a*"):rep(20) .. "b" against a run of a's takes longer than
 * the age of the universe and cannot be interrupted. This matcher is written
 * for the host and charges every step (each attempt to match a pattern item
 * at a position, each character a repetition scans) to the evaluation's
 * instruction budget, WK_PATTERN_CHARGE steps at a time, so a pathological
 * pattern fails with the same "instruction budget exhausted" error as an
 * endless loop, and the deadline is checked as it goes. Besides the budget:
 *   - patterns are capped at WK_PATTERN_MAX bytes;
 *   - recursion (one level per pattern item and capture) at WK_PATTERN_DEPTH;
 *   - gsub's result at WK_STRING_RESULT_MAX bytes.
 * Everything else (classes, sets, %b, %f, back references, position
 * captures, anchors, gmatch's init and empty-match rule, gsub's replacement
 * forms) behaves as the Lua 5.4 manual, section 6.4.1, describes.
 */
#include "policy_int.h"

#include <ctype.h>
#include <string.h>

/*
 * 4 KiB: rule patterns are tens of bytes (a date, a prisoner-number shape);
 * the cap keeps a pattern from being a bomb in itself.
 */
#define WK_PATTERN_MAX 4096
/* As Lua's MAXCCALLS: 200 nested items is far beyond any real pattern. */
#define WK_PATTERN_DEPTH 200
/* Steps are charged in batches to keep the clock read off the hot path. */
#define WK_PATTERN_CHARGE 1024
#define WK_MAX_CAPTURES 32

#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)

typedef struct {
	lua_State *L;
	const char *src_init, *src_end, *p_end;
	int level, depth;
	unsigned steps;
	struct {
		const char *init;
		ptrdiff_t len;
	} capture[WK_MAX_CAPTURES];
} mstate;

static void step(mstate *ms)
{
	if (++ms->steps >= WK_PATTERN_CHARGE) {
		ms->steps = 0;
		wk_host_charge(ms->L, WK_PATTERN_CHARGE);
	}
}

static const char *class_end(mstate *ms, const char *p)
{
	const char *e = ms->p_end;
	char c = *p++;

	if (c == '%') {
		if (p >= e)
			luaL_error(ms->L, "malformed pattern (ends with '%%')");
		return p + 1;
	}
	if (c != '[')
		return p;
	if (p < e && *p == '^')
		p++;
	/* The first character of a set is never its end, so "[]]" holds ']'. */
	for (;;) {
		if (p >= e)
			luaL_error(ms->L, "malformed pattern (missing ']')");
		if (*p == '%' && ++p >= e)
			luaL_error(ms->L, "malformed pattern (missing ']')");
		p++;
		if (p >= e)
			luaL_error(ms->L, "malformed pattern (missing ']')");
		if (*p == ']')
			return p + 1;
	}
}

static int match_class(int c, int cl)
{
	int r;

	switch (tolower(cl)) {
	case 'a': r = isalpha(c); break;
	case 'c': r = iscntrl(c); break;
	case 'd': r = isdigit(c); break;
	case 'g': r = isgraph(c); break;
	case 'l': r = islower(c); break;
	case 'p': r = ispunct(c); break;
	case 's': r = isspace(c); break;
	case 'u': r = isupper(c); break;
	case 'w': r = isalnum(c); break;
	case 'x': r = isxdigit(c); break;
	default: return cl == c;
	}
	if (isupper(cl))
		r = !r;
	return r != 0;
}

/* p points at '[', ec at the closing ']'. */
static int match_set(int c, const char *p, const char *ec)
{
	int neg = 0;

	p++;
	if (*p == '^') {
		neg = 1;
		p++;
	}
	while (p < ec) {
		if (*p == '%') {
			p++;
			if (match_class(c, (unsigned char)*p))
				return !neg;
			p++;
		} else if (p + 2 < ec && p[1] == '-') {
			if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2])
				return !neg;
			p += 3;
		} else {
			if ((unsigned char)*p == c)
				return !neg;
			p++;
		}
	}
	return neg;
}

static int single_match(mstate *ms, const char *s, const char *p, const char *ep)
{
	int c;

	if (s >= ms->src_end)
		return 0;
	c = (unsigned char)*s;
	switch (*p) {
	case '.': return 1;
	case '%': return match_class(c, (unsigned char)p[1]);
	case '[': return match_set(c, p, ep - 1);
	default: return (unsigned char)*p == c;
	}
}

static const char *do_match(mstate *ms, const char *s, const char *p);

static const char *max_expand(mstate *ms, const char *s, const char *p, const char *ep)
{
	ptrdiff_t i = 0;
	const char *r;

	while (single_match(ms, s + i, p, ep)) {
		step(ms);
		i++;
	}
	for (; i >= 0; i--) {
		if ((r = do_match(ms, s + i, ep + 1)) != NULL)
			return r;
	}
	return NULL;
}

static const char *min_expand(mstate *ms, const char *s, const char *p, const char *ep)
{
	const char *r;

	for (;;) {
		if ((r = do_match(ms, s, ep + 1)) != NULL)
			return r;
		if (!single_match(ms, s, p, ep))
			return NULL;
		s++;
	}
}

static const char *start_capture(mstate *ms, const char *s, const char *p, ptrdiff_t what)
{
	const char *r;

	if (ms->level >= WK_MAX_CAPTURES)
		luaL_error(ms->L, "pattern has too many captures (the limit is %d)", WK_MAX_CAPTURES);
	ms->capture[ms->level].init = s;
	ms->capture[ms->level].len = what;
	ms->level++;
	if ((r = do_match(ms, s, p)) == NULL)
		ms->level--;
	return r;
}

static const char *end_capture(mstate *ms, const char *s, const char *p)
{
	int l;
	const char *r;

	for (l = ms->level - 1; l >= 0; l--)
		if (ms->capture[l].len == CAP_UNFINISHED)
			break;
	if (l < 0)
		luaL_error(ms->L, "invalid pattern capture (a ')' with no '(')");
	ms->capture[l].len = s - ms->capture[l].init;
	if ((r = do_match(ms, s, p)) == NULL)
		ms->capture[l].len = CAP_UNFINISHED;
	return r;
}

static const char *match_balance(mstate *ms, const char *s, const char *p)
{
	int open, close, depth = 1;

	if (p + 1 >= ms->p_end)
		luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
	if (s >= ms->src_end || *s != *p)
		return NULL;
	open = *p;
	close = p[1];
	while (++s < ms->src_end) {
		step(ms);
		if (*s == close) {
			if (--depth == 0)
				return s + 1;
		} else if (*s == open) {
			depth++;
		}
	}
	return NULL;
}

static const char *match_backref(mstate *ms, const char *s, int digit)
{
	int l = digit - '1';
	size_t len;

	if (l < 0 || l >= ms->level || ms->capture[l].len == CAP_UNFINISHED)
		luaL_error(ms->L, "invalid capture index %%%d", l + 1);
	/* A position capture holds no text: as in Lua, a reference to it never matches. */
	if (ms->capture[l].len == CAP_POSITION)
		return NULL;
	len = (size_t)ms->capture[l].len;
	if ((size_t)(ms->src_end - s) >= len && memcmp(ms->capture[l].init, s, len) == 0)
		return s + len;
	return NULL;
}

static const char *do_match(mstate *ms, const char *s, const char *p)
{
	const char *r = NULL, *ep;
	int m;

	step(ms);
	if (++ms->depth > WK_PATTERN_DEPTH)
		wk_host_cap(ms->L, "pattern too complex (over %d nested items)", WK_PATTERN_DEPTH);
	while (p < ms->p_end) {
		if (*p == '(') {
			if (p + 1 < ms->p_end && p[1] == ')')
				r = start_capture(ms, s, p + 2, CAP_POSITION);
			else
				r = start_capture(ms, s, p + 1, CAP_UNFINISHED);
			goto done;
		}
		if (*p == ')') {
			r = end_capture(ms, s, p + 1);
			goto done;
		}
		if (*p == '$' && p + 1 == ms->p_end) {
			r = s == ms->src_end ? s : NULL;
			goto done;
		}
		if (*p == '%' && p + 1 < ms->p_end && p[1] == 'b') {
			if ((s = match_balance(ms, s, p + 2)) == NULL)
				goto done;
			p += 4;
			continue;
		}
		if (*p == '%' && p + 1 < ms->p_end && p[1] == 'f') {
			int prev, cur;

			p += 2;
			if (p >= ms->p_end || *p != '[')
				luaL_error(ms->L, "missing '[' after '%%f' in pattern");
			ep = class_end(ms, p);
			prev = s == ms->src_init ? 0 : (unsigned char)s[-1];
			cur = s < ms->src_end ? (unsigned char)*s : 0;
			if (match_set(prev, p, ep - 1) || !match_set(cur, p, ep - 1))
				goto done;
			p = ep;
			continue;
		}
		if (*p == '%' && p + 1 < ms->p_end && isdigit((unsigned char)p[1])) {
			if ((s = match_backref(ms, s, p[1])) == NULL)
				goto done;
			p += 2;
			continue;
		}
		ep = class_end(ms, p);
		m = single_match(ms, s, p, ep);
		if (ep < ms->p_end && *ep == '?') {
			if (m && (r = do_match(ms, s + 1, ep + 1)) != NULL)
				goto done;
			p = ep + 1;
			continue;
		}
		if (ep < ms->p_end && *ep == '+') {
			r = m ? max_expand(ms, s + 1, p, ep) : NULL;
			goto done;
		}
		if (ep < ms->p_end && *ep == '*') {
			r = max_expand(ms, s, p, ep);
			goto done;
		}
		if (ep < ms->p_end && *ep == '-') {
			r = min_expand(ms, s, p, ep);
			goto done;
		}
		if (!m)
			goto done;
		s++;
		p = ep;
	}
	r = s;
done:
	ms->depth--;
	return r;
}

static void push_capture(mstate *ms, int i, const char *s, const char *e)
{
	if (i >= ms->level) {
		if (i != 0)
			luaL_error(ms->L, "invalid capture index %%%d", i + 1);
		lua_pushlstring(ms->L, s, (size_t)(e - s));
		return;
	}
	if (ms->capture[i].len == CAP_UNFINISHED)
		luaL_error(ms->L, "unfinished capture");
	if (ms->capture[i].len == CAP_POSITION)
		lua_pushinteger(ms->L, (ms->capture[i].init - ms->src_init) + 1);
	else
		lua_pushlstring(ms->L, ms->capture[i].init, (size_t)ms->capture[i].len);
}

/* Push the captures, or the whole match (s..e) when there are none and s is set. */
static int push_captures(mstate *ms, const char *s, const char *e)
{
	int i, n = (ms->level == 0 && s) ? 1 : ms->level;

	luaL_checkstack(ms->L, n, "too many captures");
	for (i = 0; i < n; i++)
		push_capture(ms, i, s, e);
	return n;
}

static void prepare(mstate *ms, lua_State *L, const char *s, size_t ls, const char *p, size_t lp)
{
	if (lp > WK_PATTERN_MAX)
		wk_host_cap(L, "pattern is %d bytes; the cap is %d bytes", (int)lp, WK_PATTERN_MAX);
	ms->L = L;
	ms->src_init = s;
	ms->src_end = s + ls;
	ms->p_end = p + lp;
	ms->steps = 0;
}

static void reset(mstate *ms)
{
	ms->level = 0;
	ms->depth = 0;
}

/* Lua 5.4's reading of a start position: negative counts from the end. */
static size_t start_pos(lua_Integer pos, size_t len)
{
	if (pos > 0)
		return (size_t)pos;
	if (pos == 0 || pos < -(lua_Integer)len)
		return 1;
	return len + (size_t)pos + 1;
}

static int has_specials(const char *p, size_t lp)
{
	size_t i;

	for (i = 0; i < lp; i++)
		if (strchr("^$*+?.([%-", p[i]) && p[i] != '\0')
			return 1;
	return 0;
}

/* Plain substring search; one step per candidate position. */
static const char *plain_find(lua_State *L, const char *s, size_t ls, const char *p, size_t lp)
{
	const char *end = s + ls, *c;
	unsigned n = 0;

	if (lp == 0)
		return s;
	if (lp > ls)
		return NULL;
	for (c = s; c + lp <= end; c++) {
		if (++n == WK_PATTERN_CHARGE) {
			n = 0;
			wk_host_charge(L, WK_PATTERN_CHARGE);
		}
		if (*c == *p && memcmp(c, p, lp) == 0)
			return c;
	}
	return NULL;
}

static int find_aux(lua_State *L, int find)
{
	size_t ls, lp, init;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	const char *s1, *e;
	mstate ms;
	int anchor;

	init = start_pos(luaL_optinteger(L, 3, 1), ls) - 1;
	if (init > ls) {
		luaL_pushfail(L);
		return 1;
	}
	if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
		const char *hit = plain_find(L, s + init, ls - init, p, lp);

		if (hit) {
			lua_pushinteger(L, (hit - s) + 1);
			lua_pushinteger(L, (lua_Integer)((hit - s) + lp));
			return 2;
		}
		luaL_pushfail(L);
		return 1;
	}
	prepare(&ms, L, s, ls, p, lp);
	anchor = lp > 0 && *p == '^';
	if (anchor)
		p++;
	s1 = s + init;
	do {
		reset(&ms);
		if ((e = do_match(&ms, s1, p)) != NULL) {
			if (find) {
				lua_pushinteger(L, (s1 - s) + 1);
				lua_pushinteger(L, e - s);
				return push_captures(&ms, NULL, NULL) + 2;
			}
			return push_captures(&ms, s1, e);
		}
	} while (s1++ < ms.src_end && !anchor);
	luaL_pushfail(L);
	return 1;
}

static int str_find(lua_State *L)
{
	return find_aux(L, 1);
}

static int str_match(lua_State *L)
{
	return find_aux(L, 0);
}

typedef struct {
	size_t pos;        /* where the next search starts */
	const char *last;  /* end of the last match, NULL before the first */
	mstate ms;
} gmatch_state;

static int gmatch_next(lua_State *L)
{
	size_t ls, lp;
	const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
	const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
	gmatch_state *gm = lua_touserdata(L, lua_upvalueindex(3));
	const char *src, *e;

	prepare(&gm->ms, L, s, ls, p, lp);
	for (src = s + gm->pos; src <= gm->ms.src_end; src++) {
		reset(&gm->ms);
		if ((e = do_match(&gm->ms, src, p)) != NULL && e != gm->last) {
			gm->pos = (size_t)(e - s);
			gm->last = e;
			return push_captures(&gm->ms, src, e);
		}
	}
	gm->pos = ls + 1;
	return 0;
}

static int str_gmatch(lua_State *L)
{
	size_t ls, lp, init;
	gmatch_state *gm;

	luaL_checklstring(L, 1, &ls);
	luaL_checklstring(L, 2, &lp);
	if (lp > WK_PATTERN_MAX)
		return wk_host_cap(L, "pattern is %d bytes; the cap is %d bytes", (int)lp, WK_PATTERN_MAX);
	init = start_pos(luaL_optinteger(L, 3, 1), ls) - 1;
	lua_settop(L, 2);
	gm = lua_newuserdatauv(L, sizeof(*gm), 0);
	memset(gm, 0, sizeof(*gm));
	gm->pos = init > ls ? ls + 1 : init;
	lua_pushcclosure(L, gmatch_next, 3);
	return 1;
}

static void add_template(mstate *ms, luaL_Buffer *b, const char *s, const char *e)
{
	size_t l, i;
	const char *t = lua_tolstring(ms->L, 3, &l);

	for (i = 0; i < l; i++) {
		if (t[i] != '%') {
			luaL_addchar(b, t[i]);
			continue;
		}
		if (++i >= l)
			luaL_error(ms->L, "invalid use of '%%' in replacement string");
		if (t[i] == '%') {
			luaL_addchar(b, '%');
		} else if (t[i] == '0') {
			luaL_addlstring(b, s, (size_t)(e - s));
		} else if (isdigit((unsigned char)t[i])) {
			push_capture(ms, t[i] - '1', s, e);
			luaL_tolstring(ms->L, -1, NULL);
			lua_remove(ms->L, -2);
			luaL_addvalue(b);
		} else {
			luaL_error(ms->L, "invalid use of '%%' in replacement string");
		}
	}
}

static void add_replacement(mstate *ms, luaL_Buffer *b, const char *s, const char *e, int tr)
{
	lua_State *L = ms->L;

	if (tr == LUA_TSTRING || tr == LUA_TNUMBER) {
		add_template(ms, b, s, e);
		return;
	}
	if (tr == LUA_TFUNCTION) {
		int n;

		lua_pushvalue(L, 3);
		n = push_captures(ms, s, e);
		lua_call(L, n, 1);
	} else {
		push_capture(ms, 0, s, e);
		lua_gettable(L, 3);
	}
	if (!lua_toboolean(L, -1)) {
		lua_pop(L, 1);
		luaL_addlstring(b, s, (size_t)(e - s));
	} else if (!lua_isstring(L, -1)) {
		luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
	} else {
		luaL_addvalue(b);
	}
}

static int str_gsub(lua_State *L)
{
	size_t ls, lp;
	const char *src = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	int tr = lua_type(L, 3);
	lua_Integer max_n = luaL_optinteger(L, 4, (lua_Integer)ls + 1), n = 0;
	const char *last = NULL, *e;
	int anchor = lp > 0 && *p == '^';
	luaL_Buffer b;
	mstate ms;

	luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION ||
	                 tr == LUA_TTABLE, 3, "string/function/table");
	prepare(&ms, L, src, ls, p, lp);
	if (anchor)
		p++;
	luaL_buffinit(L, &b);
	while (n < max_n) {
		reset(&ms);
		if ((e = do_match(&ms, src, p)) != NULL && e != last) {
			n++;
			add_replacement(&ms, &b, src, e, tr);
			src = last = e;
		} else if (src < ms.src_end) {
			luaL_addchar(&b, *src++);
		} else {
			break;
		}
		if (luaL_bufflen(&b) > WK_STRING_RESULT_MAX)
			return wk_host_cap(L, "string.gsub result is over the %d-byte cap",
			                  (int)WK_STRING_RESULT_MAX);
		if (anchor)
			break;
	}
	luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
	if (luaL_bufflen(&b) > WK_STRING_RESULT_MAX)
		return wk_host_cap(L, "string.gsub result is over the %d-byte cap",
		                  (int)WK_STRING_RESULT_MAX);
	luaL_pushresult(&b);
	lua_pushinteger(L, n);
	return 2;
}

void wk_pattern_install(lua_State *L, int string_table)
{
	static const luaL_Reg fns[] = {
		{ "find", str_find },
		{ "match", str_match },
		{ "gmatch", str_gmatch },
		{ "gsub", str_gsub },
		{ NULL, NULL }
	};
	const luaL_Reg *f;

	for (f = fns; f->name; f++) {
		lua_pushcfunction(L, f->func);
		lua_setfield(L, string_table, f->name);
	}
}
