/*
 * ledger.h - a store's changesets: sealing this device's pending operations
 * into chained envelopes, and opening received envelopes into the store.
 *
 * Sealing takes every operation of this device not yet sealed, in order,
 * into the next changesets (sequence last + 1, previous hash the last one's),
 * seals each into an envelope for the recipients the trust file names, and
 * marks the operations sealed, all in one transaction.
 *
 * Accepting runs the checks in the order DESIGN.md promises, and nothing
 * later runs before everything earlier passed: size caps; trust (known key,
 * role, scope, not revoked at this sequence); signature; chain position (the
 * next sequence of that device, its previous hash); decryption; decoding with
 * caps; the header and the changeset agree; every operation inside the
 * signer's scope. A changeset already held is a duplicate and changes
 * nothing. Anything refused is quarantined with its reason, in its own
 * transaction, and the store is otherwise unchanged; an accepted changeset is
 * applied in one transaction.
 */
#ifndef WK_LEDGER_H
#define WK_LEDGER_H

#include <stddef.h>

#include "entity.h"
#include "envelope.h"
#include "store.h"
#include "trust.h"

/* This device's keys, as callbacks (the secrets stay in sync/keys.c), and the trust in force. */
typedef struct {
	const unsigned char *sign_pk;  /* 32 bytes */
	wk_envelope_signer sign;
	void *sign_ctx;
	const unsigned char *box_pk;   /* 32 bytes */
	int (*open_sealed)(void *ctx, unsigned char key[32], const unsigned char *sealed, size_t len);
	void *open_ctx;
	const wk_trust *trust;
} wk_ledger_keys;

/* Seal this device's pending operations; *sealed (may be NULL) counts the changesets made. */
int wk_ledger_seal(wk_store *st, const wk_ledger_keys *k, size_t *sealed);

enum { WK_LEDGER_APPLIED = 1, WK_LEDGER_DUPLICATE = 2, WK_LEDGER_WAITING = 3 };

/*
 * Open one envelope and apply it. Returns WK_LEDGER_APPLIED, WK_LEDGER_DUPLICATE,
 * WK_LEDGER_WAITING, or a negative wk code (the envelope then sits in
 * quarantine with that message as its reason). source names where it came
 * from, for the report.
 *
 * Waiting: a changeset depends on what its sealer held of the site's other
 * chains (changeset.h, depends); one that arrives before those, or behind a
 * waiting one of its own chain, is kept in the `waiting` table, verified but
 * not applied, and nothing else changes (wk_error_msg() says what it waits
 * for). After every changeset applied, the waiting ones are tried again in
 * order: whatever order changesets come in, each is applied after what its
 * writer had seen.
 */
int wk_ledger_accept(wk_store *st, const wk_ledger_keys *k, const unsigned char *env, size_t n,
                     const char *source);
/* wk_ledger_accept, and *drained: how many waiting changesets it let through (applied after it). */
int wk_ledger_accept_drain(wk_store *st, const wk_ledger_keys *k, const unsigned char *env, size_t n,
                           const char *source, size_t *drained);

/* Call cb with every envelope held, in (site, device, seq) order; a negative return stops it. */
int wk_ledger_each(wk_store *st, int (*cb)(const char *site, const char *device, long long seq,
                                           const unsigned char *env, size_t n, void *arg),
                   void *arg);

/*
 * Does an operation stay inside its signer's authority (promise 6)? A device
 * (role WK_TRUST_DEVICE) writes only its own site's records: not another
 * establishment, not a plan of another, not a national document, not another
 * site's policy scripts, and never a sign-off or a plan's approval or
 * return. A regional officer writes, for a site, only sign-offs and the
 * approval or return of a plan. 0 or WK_EPOLICY.
 */
int wk_ledger_op_in_scope(const char *site, int role, const wk_op *op);

/* 1 if the store holds changeset (site, device, seq), 0 if not, or a negative code. */
int wk_ledger_holds(wk_store *st, const char *site, const char *device, long long seq);

/* Counts: {pending_ops, changesets, quarantined}. */
int wk_ledger_counts(wk_store *st, long long *pending_ops, long long *changesets, long long *quarantined);

#endif
