/*
 * audit.h - checking a store's whole history, from every device's first
 * changeset: each chain starts at 1 with no gap, each changeset names the
 * hash of the one before it (no fork, nothing rewritten), each envelope's
 * signature holds, its signer was trusted for that site at that sequence,
 * and, where this device can open them, each changeset hashes to what the
 * chain says, stays inside its signer's site, and matches the operations the
 * store applied from it. Every problem is reported with its evidence; the
 * audit never stops at the first one and never changes the store.
 */
#ifndef WK_AUDIT_H
#define WK_AUDIT_H

#include "ledger.h"
#include "store.h"
#include "trust.h"

typedef struct {
	char site[17], device[17];
	long long seq;
	char check[16];      /* gap, chain, header, signature, trust, open, hash, scope, log */
	char message[512];
} wk_audit_problem;

typedef struct {
	size_t chains, changesets, operations, opened;
	wk_audit_problem *problems;
	size_t nproblems;
} wk_audit_report;

#define WK_AUDIT_REPORT_INIT { 0, 0, 0, 0, NULL, 0 }

/* Audit st against trust. k (may be NULL) opens payloads; without it the payload checks are skipped. */
int wk_audit_verify(wk_store *st, const wk_trust *trust, const wk_ledger_keys *k, wk_audit_report *r);
void wk_audit_report_free(wk_audit_report *r);

#endif
