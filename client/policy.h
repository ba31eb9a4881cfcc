/*
 * policy.h - the Lua policy host: the only code that touches Lua.
 *
 * Runs national and establishment Lua in a fresh sandboxed state per
 * evaluation, with instruction, memory, time and size budgets. Data goes in
 * and comes out as JSON text, so no other module needs the Lua headers.
 * It must not read files, the clock or the environment on a script's behalf:
 * the caller passes everything in, including today's date.
 *
 * Invariants, for every function here:
 *   - Each call builds one new lua_State and closes it before returning;
 *     nothing a script does survives the call.
 *   - Chunks are loaded as text only; a bytecode chunk is refused.
 *   - Scripts see base (without load, loadfile, dofile, require,
 *     collectgarbage, print, warn), string (without dump), table, math
 *     (without random), utf8 and coroutine. No os, io, debug or package.
 *   - A budget that trips stays tripped for the rest of the call: pcall,
 *     coroutines and __close handlers cannot swallow it.
 *   - On failure the message names the script and, where there is one, the
 *     line: "policy 'sites/HMP-A/rules.lua' line 12: ...". Codes: WK_ELIMIT
 *     for a budget or size cap, WK_EPOLICY for an autonomy violation (a site
 *     script trying to weaken national rules), WK_EINVALID for a broken
 *     script or input, WK_EUSAGE for a wrong call.
 *   - JSON produced is canonical (see wk_policy_data_json), so equal results
 *     are equal bytes.
 * The Lua API scripts see and the input and output shapes of each entry are
 * documented in docs/policies.md.
 */
#ifndef WK_POLICY_H
#define WK_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * Budgets of one call. The defaults: 20 million VM instructions (the national
 * rules over a full EDM and a 16-recommendation plan use well under a
 * million; 20 million is about 0.2 s of pure Lua, so a loop fails fast);
 * 64 MiB of Lua memory (catalogues and plans are kilobytes to a few
 * megabytes once decoded); 5000 ms wall clock (a backstop for what the
 * instruction count cannot see); 1 MiB per script (a hand-written rule file is
 * tens of kilobytes); 16 MiB of JSON out and 16 MiB of JSON in (a region's
 * largest plan export is far below that).
 */
typedef struct {
	uint64_t max_instructions; /* VM instructions (and pattern steps) per call */
	size_t max_memory;         /* bytes the Lua allocator may hold */
	unsigned max_millis;       /* wall-clock deadline per call */
	size_t max_source;         /* bytes per chunk */
	size_t max_output;         /* bytes of JSON produced */
	size_t max_input;          /* bytes of JSON accepted */
} wk_policy_limits;

#define WK_POLICY_LIMITS_INIT { 20000000u, (size_t)64 << 20, 5000u, (size_t)1 << 20, \
                                (size_t)16 << 20, (size_t)16 << 20 }

/* Most scripts in one evaluation: the national files plus one site's. */
#define WK_POLICY_MAX_SCRIPTS 64

/*
 * One script to load. name is how messages and results refer to it:
 * "national/<file>.lua" for national rules (these may define national rules)
 * or "sites/<SITE>/<file>.lua" for an establishment's; letters, digits, '.',
 * '_', '-' and '/' only, at most 56 bytes. src need not be NUL-terminated.
 * All borrowed for the duration of the call.
 */
typedef struct {
	const char *name;
	const char *src;
	size_t len;
} wk_policy_script;

/*
 * Run a Lua data chunk (text only, sandboxed, no `wicket` API, no functions
 * called) and give back the value it returns as canonical JSON in out
 * (cleared first; out keeps its own cap): object keys sorted bytewise, a table
 * whose keys are exactly 1..n as an array, an empty table as [] (data chunks
 * have no way to ask for {}), integers as integers, floats with %.17g.
 * Functions, userdata, threads, cycles, other keys, mixed keys, holes, NaN,
 * infinities, invalid UTF-8 and nesting deeper than 64 are refused with the
 * path of the offending value. limits may be NULL for the defaults.
 * Returns 0 or a negative wk_code with the message naming chunkname and line.
 */
int wk_policy_data_json(wk_buf *out, const char *chunkname, const char *src,
                        size_t len, const wk_policy_limits *limits);

/*
 * Load scripts[0..n) in order into one fresh sandbox (every script whose name
 * starts with "national/" must come before the others), then run entry on
 * input_json (a NUL-terminated JSON object) and write the result as
 * canonical JSON into out (cleared first).
 *
 * entry is "readiness", "validate", "sequence", "applicability", or
 * "describe" (what the scripts register, after the autonomy checks: for
 * `wicket policy check` and `show`). Every result object carries
 * "scripts": [{"name": ..., "sha256": <hex of the exact source bytes>}] in
 * load order. Autonomy is checked against the EDM given in the input ("edm"
 * or "edms"); an input without one skips the baseline checks.
 *
 * today is "YYYY-MM-DD" (required: scripts never read the clock).
 * limits may be NULL for the defaults; the budgets cover the whole call.
 */
int wk_policy_eval(wk_buf *out, const wk_policy_script *scripts, size_t n,
                   const char *entry, const char *input_json, const char *today,
                   const wk_policy_limits *limits);

/*
 * Run the test cases in test (a Lua data chunk, e.g. sites/HMP-A/rules_test.lua,
 * format in docs/policies.md) against scripts[0..n), each case in its own
 * fresh sandbox via wk_policy_eval. fixtures_json (NULL for none) is a JSON
 * object the test chunk sees as the global `fixtures` (the CLI passes
 * {"edm": <the EDM catalogue>}). Writes a JSON report into out:
 *   {"ok": bool, "passed": n, "failed": n,
 *    "cases": [{"name": ..., "ok": bool, "message": <why, when not ok>}],
 *    "test": <test->name>}
 * Returns 0 when every case passed, WK_EPOLICY when some failed (the report
 * says which), or another negative wk_code when the test file itself could
 * not be run (no report then).
 */
int wk_policy_test(wk_buf *out, const wk_policy_script *scripts, size_t n,
                   const wk_policy_script *test, const char *fixtures_json,
                   const char *today, const wk_policy_limits *limits);

#endif
