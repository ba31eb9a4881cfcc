/*
 * world.h - the fixed world every fuzz harness runs in: keys from fixed
 * seeds, a region's trust built from them, an establishment store to import
 * into, and the national policy scripts, all made once per process.
 *
 * The region YORKS (the bundle golden vector's) has its root (tag 1), an
 * officer (tag 2, device code r1) and two devices of LEI: d1 (tag 4) and d2
 * (tag 5). The store is LEI's second device d2: a replica holding the
 * national catalogue and rules only, with synchronous=OFF (fuzzing needs no
 * durability), reset from a template after any input that applied a
 * changeset, so that every input meets the same chains. The seed generator
 * (make_seeds.c) uses the same world, so its envelopes and bundles pass
 * every signature check of the harnesses.
 *
 * Everything lives in one temporary directory under $TMPDIR (or /tmp),
 * removed at exit. Nothing here prints except on a set-up failure, which
 * aborts: a harness with a broken world would fuzz nothing.
 */
#ifndef WK_FUZZ_WORLD_H
#define WK_FUZZ_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ledger.h"
#include "parties.h"
#include "policy.h"
#include "store.h"
#include "trust.h"

#define FZ_REGION "YORKS"
#define FZ_SITE "LEI"

extern party fz_root, fz_officer, fz_d1, fz_d2;

/* The keys, trust and temporary directory; idempotent. */
void fz_world_init(void);
/* The region's trust (version 2: root, officer, d1, d2) and its file's bytes. */
const wk_trust *fz_trust(void);
const wk_buf *fz_trust_file(void);
/* The temporary directory of this process. */
const char *fz_tmpdir(void);
/* d2's keys over the region's trust: what the store imports with. */
const wk_ledger_keys *fz_keys(void);
/* The recipients of a changeset of LEI (officer, d1, d2), for sealing. */
const unsigned char (*fz_recipients(size_t *n))[32];

/*
 * The trust golden vectors' region NW (tests/trust/vectors, docs/format/
 * trust.md): keys from seeds 1 (root), 2 (second root), 3 (officer), 4, 5
 * (devices d01, d02), the X25519 seed with its first byte xor 0x80; version 1
 * (the root only) and version 2 (an officer and two devices, d02 revoked
 * from 5), both byte for byte the vectors.
 */
typedef struct {
	unsigned char sign_pk[32], sign_sk[64], box_pk[32], box_sk[32];
} fz_golden_key;
extern fz_golden_key fz_nw_root, fz_nw_root2;
const wk_buf *fz_nw_file(int version);   /* 1 or 2 */
const wk_trust *fz_nw_trust(int version);

/* LEI's d2 store (made on first use). */
wk_store *fz_store(void);
/*
 * After an input: put the store back as the template was when the input
 * applied something (applied non-zero), or once the refusals it quarantined
 * since the last reset pass a few thousand rows (a refusal changes nothing
 * a later input depends on, and copying the store after every one would
 * cost more than the input).
 */
void fz_store_after(int applied);

/* The policy directory: $WICKET_POLICY_DIR, else the source tree's policies/. */
const char *fz_policy_dir(void);
/* A file under the policy directory, read whole (abort if missing); the caller frees. */
char *fz_policy_file(const char *rel, size_t *len);
/*
 * The national scripts (national/rules.lua) as the host loads them, and the
 * EDM catalogue (national/edm/omu.lua) as JSON, both made once.
 */
const wk_policy_script *fz_national(size_t *n);
const char *fz_edm_json(void);

/* Tighter budgets for fuzzing: a runaway input costs milliseconds, not seconds. */
wk_policy_limits fz_policy_limits(void);

/*
 * With FZ_VERBOSE set in the environment, print what happened to an input
 * (rc and the library's message): to see how deep the seeds reach. Returns rc.
 */
int fz_note(const char *what, int rc);

/* Abort with a message: a set-up failure, or a property a harness checks that does not hold. */
void fz_die(const char *what) __attribute__((noreturn));

/*
 * One hostile action plan in format ("json" or "csv") through the parse and
 * every check that runs before anything is written, as `wicket actionplan
 * import` does; an accepted plan must have the documented shape (an
 * inspection object and a list of recommendations), and a refused one must
 * leave nothing behind. The two action plan harnesses.
 */
int fz_actionplan(const unsigned char *data, size_t size, const char *format);

#endif
