/*
 * policy.h - the Lua policy host: the only code that touches Lua.
 *
 * Runs national and establishment Lua in a fresh sandboxed state per
 * evaluation, with instruction, memory, time and size budgets. Data goes in
 * and comes out as JSON text, so no other module needs the Lua headers.
 * It must not read files, the clock or the environment on a script's behalf:
 * the caller passes everything in, including today's date.
 */
#ifndef WK_POLICY_H
#define WK_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef struct {
	uint64_t max_instructions; /* VM instructions per evaluation */
	size_t max_memory;         /* bytes the Lua allocator may hold */
	unsigned max_millis;       /* wall-clock deadline per evaluation */
	size_t max_source;         /* bytes per chunk */
	size_t max_output;         /* bytes of JSON produced */
} wk_policy_limits;

#define WK_POLICY_LIMITS_INIT { 20000000u, (size_t)64 << 20, 5000u, (size_t)1 << 20, (size_t)16 << 20 }

/*
 * Run a Lua data chunk (text only, sandboxed, no functions called) and give
 * back the value it returns as canonical JSON in out: object keys sorted,
 * tables with keys 1..n as arrays. limits may be NULL for the defaults.
 * Returns 0 or a negative wk_code with the message naming chunkname and line.
 */
int wk_policy_data_json(wk_buf *out, const char *chunkname, const char *src,
                        size_t len, const wk_policy_limits *limits);

#endif
