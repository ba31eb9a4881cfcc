/*
 * rules.h - the store's side of the policies: scripts as store content, the
 * inputs the rules see built from the store, and the guard that validates
 * every write before it commits.
 *
 * National rule scripts (policies/national/rules.lua and rules/ *.lua) and
 * each establishment's scripts live in the policy_script table, versioned;
 * installing or changing one is recorded as operations. Evaluations load the
 * national scripts first, then the site's, in name order, and every result
 * names the scripts and their sha256. Only policy.c touches Lua.
 */
#ifndef WK_RULES_H
#define WK_RULES_H

#include <jansson.h>

#include "store.h"

/* Load the national rule scripts under policy_dir/national into the store (idempotent). */
int wk_rules_load_national(wk_store *st, const char *policy_dir, int *added);

/*
 * Check a site script against the national rules and the EDMs held (autonomy,
 * syntax, budgets) as if installed under name; *describe (may be NULL) gets
 * what the scripts register. Nothing is written.
 */
int wk_rules_check(wk_store *st, const char *name, const char *src, size_t len, json_t **describe);

/* Check, then install or update the script; *version gets its new version (0: unchanged). */
int wk_rules_install(wk_store *st, const char *name, const char *src, size_t len, int *version);

/* The default name of a site script file: "sites/<SITE>/<basename>". */
int wk_rules_site_name(wk_store *st, const char *path, char *out, size_t size);

int wk_rules_list(wk_store *st, json_t **out);
int wk_rules_show(wk_store *st, const char *name, json_t **out);

/* Readiness of plan for a move to stage (1..4). */
int wk_rules_readiness(wk_store *st, const char *plan, int stage, json_t **out);

/* Validation of everything the store holds: {ok, errors, warnings, scripts}. */
int wk_rules_validate(wk_store *st, json_t **out);

/* The work order of a plan's baselines. */
int wk_rules_sequence(wk_store *st, const char *plan, json_t **out);

/* Run the test cases in a test file against the installed scripts plus a candidate. */
int wk_rules_test(wk_store *st, const char *name, const char *src, size_t len,
                  const char *test_name, const char *test_src, size_t test_len, json_t **report);

/*
 * The write guard: run change(st, arg) so that it commits only if the rules
 * find no new error. The change runs inside a savepoint of the caller's
 * transaction and the store is validated once after it. Only when that finds
 * errors is the change undone, the errors of the state before it collected,
 * and the change made again; a change that adds an error is then refused with
 * WK_EPOLICY naming the rule, the record and the script. Errors that were
 * already there (say, after a new national rule) do not block unrelated work.
 * change must be repeatable: it is called at most twice.
 */
int wk_rules_guard(wk_store *st, int (*change)(wk_store *st, void *arg), void *arg);

#endif
