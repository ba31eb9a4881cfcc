/*
 * sync.h - one sync with the regional repository, as an establishment's
 * device or as the region.
 *
 * A device: fetch its site's refs and the region's; refuse any ref the
 * remote rewound (a rollback); accept newer trust files; open the changesets
 * of the site's other devices through the ledger; seal pending operations;
 * commit each new changeset to its own ref; push; and count a change as
 * delivered only once the remote confirmed the ref update. After any failure
 * the next sync reconciles with what the remote holds: nothing is sent twice,
 * nothing is lost.
 *
 * The region (pull): fetch every device's ref and open each new changeset
 * into its establishment's replica (region.h), quarantining the refused.
 * Publish: put the newest trust file on refs/heads/region/trust.
 */
#ifndef WK_SYNC_H
#define WK_SYNC_H

#include "ledger.h"
#include "remote.h"
#include "store.h"

typedef struct {
	int offline;                   /* the remote could not be reached: a normal state */
	size_t applied, duplicate, refused, waiting, sealed, committed, pushed, trust_updates;
	char problem[512];             /* a refusal that did not stop the sync (e.g. a rollback), or "" */
} wk_sync_report;

/*
 * One device's sync. st: the device's store; k: its keys. *trust is the trust
 * in force; a newer one fetched replaces it (the old one is freed) and k->trust
 * follows. Returns 0, WK_EIO with rep->offline set when the remote cannot be
 * reached (the work is sealed and committed locally all the same), or another
 * negative code.
 */
int wk_sync_device(wk_store *st, wk_repo *repo, wk_ledger_keys *k, wk_trust **trust, const wk_remote_options *o,
                   wk_sync_report *rep);

/* The region's pull: every device of every site, into dir's replicas. */
int wk_sync_region_pull(wk_store *region, const char *dir, wk_repo *repo, wk_ledger_keys *k,
                        const wk_remote_options *o, wk_sync_report *rep);

/*
 * The region's publication of its newest trust file on refs/heads/region/trust:
 * sealed (it names people) to every key it lists, signed by the officer k.
 */
int wk_sync_region_publish(wk_store *region, wk_repo *repo, const wk_ledger_keys *k, const wk_remote_options *o,
                           wk_sync_report *rep);

/*
 * The region's decisions for each establishment (sign-offs: signoff.h),
 * written in its replica of that establishment, sealed on the officer's own
 * chain for the site (refs/heads/sites/<SITE>/<officer device>) and pushed:
 * the establishment's devices receive them at their next sync, verified
 * like any changeset.
 */
int wk_sync_region_push(wk_store *region, const char *dir, wk_repo *repo, wk_ledger_keys *k,
                        const wk_remote_options *o, wk_sync_report *rep);

#endif
