/*
 * audit.c - the history audit. See audit.h.
 */
#include "audit.h"
#include "changeset.h"
#include "envelope.h"
#include "error.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add(wk_audit_report *r, const char *site, const char *device, long long seq, const char *check,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void add(wk_audit_report *r, const char *site, const char *device, long long seq, const char *check,
                const char *fmt, ...)
{
	wk_audit_problem *p, *grown;
	va_list ap;

	grown = realloc(r->problems, (r->nproblems + 1) * sizeof(*r->problems));
	if (!grown)
		return;
	r->problems = grown;
	p = &r->problems[r->nproblems++];
	snprintf(p->site, sizeof(p->site), "%s", site);
	snprintf(p->device, sizeof(p->device), "%s", device);
	p->seq = seq;
	snprintf(p->check, sizeof(p->check), "%s", check);
	va_start(ap, fmt);
	vsnprintf(p->message, sizeof(p->message), fmt, ap);
	va_end(ap);
}

void wk_audit_report_free(wk_audit_report *r)
{
	if (!r)
		return;
	free(r->problems);
	r->problems = NULL;
	r->nproblems = 0;
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The operations the store applied from this changeset equal the ones signed in it. */
static int check_log(wk_store *st, const wk_changeset *cs, wk_audit_report *r)
{
	sqlite3_stmt *s = NULL;
	size_t i = 0;
	int rc;

	if ((rc = wk_store_prepare(st, &s, "SELECT hlc, person, entity, entity_id, kind, field, old_value, new_value,"
	                               " parents FROM op WHERE device = ? AND changeset = ? ORDER BY seq")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, cs->device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (long long)cs->seq);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const wk_op *o = i < cs->nops ? &cs->ops[i] : NULL;

		if (!o || o->hlc != sqlite3_column_int64(s, 0) ||
		    !same(o->person, (const char *)sqlite3_column_text(s, 1)) ||
		    !same(o->entity, (const char *)sqlite3_column_text(s, 2)) ||
		    !same(o->entity_id, (const char *)sqlite3_column_text(s, 3)) ||
		    !same(o->kind, (const char *)sqlite3_column_text(s, 4)) ||
		    !same(o->field, (const char *)sqlite3_column_text(s, 5)) ||
		    !same(o->old_value, (const char *)sqlite3_column_text(s, 6)) ||
		    !same(o->new_value, (const char *)sqlite3_column_text(s, 7)) ||
		    !same(o->parents, (const char *)sqlite3_column_text(s, 8))) {
			add(r, cs->site, cs->device, (long long)cs->seq, "log",
			    "the store's operation %zu of this changeset differs from the one signed (%s %s.%s)", i + 1,
			    (const char *)sqlite3_column_text(s, 2), (const char *)sqlite3_column_text(s, 3),
			    sqlite3_column_text(s, 5) ? (const char *)sqlite3_column_text(s, 5) : "");
			break;
		}
		i++;
		r->operations++;
	}
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot read the log");
	sqlite3_finalize(s);
	if (rc == 0 && i != cs->nops && (r->nproblems == 0 || strcmp(r->problems[r->nproblems - 1].check, "log") != 0))
		add(r, cs->site, cs->device, (long long)cs->seq, "log",
		    "the store holds %zu operations of this changeset; %zu were signed", i, cs->nops);
	return rc;
}

static void check_payload(wk_store *st, const wk_envelope_info *info, const wk_ledger_keys *k, int role,
                          const unsigned char hash[32], wk_audit_report *r)
{
	wk_buf plain = WK_BUF_INIT;
	wk_changeset *cs = NULL;
	unsigned char h[32];
	size_t i;

	if (wk_envelope_decrypt(&plain, info, k->box_pk, k->open_sealed, k->open_ctx, NULL) < 0) {
		if (wk_error_code() != WK_ENOTFOUND) /* not addressed to this device: nothing to open */
			add(r, info->site, info->device, (long long)info->seq, "open", "%s", wk_error_msg());
		goto out;
	}
	r->opened++;
	wk_changeset_hash(h, (const unsigned char *)plain.ptr, plain.len);
	if (sodium_memcmp(h, hash, 32) != 0) {
		add(r, info->site, info->device, (long long)info->seq, "hash",
		    "the changeset does not hash to the value its successor and the ledger name");
		goto out;
	}
	if (wk_changeset_decode(&cs, (const unsigned char *)plain.ptr, plain.len, NULL) < 0) {
		add(r, info->site, info->device, (long long)info->seq, "open", "%s", wk_error_msg());
		goto out;
	}
	for (i = 0; i < cs->nops; i++)
		if (wk_ledger_op_in_scope(cs->site, role, &cs->ops[i]) < 0) {
			add(r, info->site, info->device, (long long)info->seq, "scope", "%s", wk_error_msg());
			break;
		}
	check_log(st, cs, r);
out:
	wk_changeset_free(cs);
	if (plain.ptr)
		sodium_memzero(plain.ptr, plain.cap);
	wk_buf_free(&plain);
}

int wk_audit_verify(wk_store *st, const wk_trust *trust, const wk_ledger_keys *k, wk_audit_report *r)
{
	sqlite3_stmt *s = NULL;
	char site[17] = "", device[17] = "";
	unsigned char last_hash[32] = { 0 };
	long long last = 0;
	int rc;

	if ((rc = wk_store_prepare(st, &s, "SELECT site, device, seq, hash, prev, envelope FROM changeset"
	                               " ORDER BY site, device, seq")) < 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *cs_site = (const char *)sqlite3_column_text(s, 0), *cs_dev = (const char *)sqlite3_column_text(s, 1);
		long long seq = sqlite3_column_int64(s, 2);
		const unsigned char *hash = sqlite3_column_blob(s, 3), *prev = sqlite3_column_blob(s, 4);
		const unsigned char *env = sqlite3_column_blob(s, 5);
		size_t n = (size_t)sqlite3_column_bytes(s, 5);
		wk_envelope_info info;

		if (strcmp(cs_site, site) != 0 || strcmp(cs_dev, device) != 0) {
			snprintf(site, sizeof(site), "%s", cs_site);
			snprintf(device, sizeof(device), "%s", cs_dev);
			last = 0;
			memset(last_hash, 0, 32);
			r->chains++;
		}
		r->changesets++;
		if (sqlite3_column_bytes(s, 3) != 32 || sqlite3_column_bytes(s, 4) != 32) {
			add(r, site, device, seq, "chain", "the ledger's hashes for this changeset are damaged");
			continue;
		}
		if (seq != last + 1)
			add(r, site, device, seq, "gap", "#%lld follows #%lld: changesets #%lld to #%lld are missing", seq, last,
			    last + 1, seq - 1);
		else if (memcmp(prev, last_hash, 32) != 0)
			add(r, site, device, seq, "chain", "it names a previous hash that is not #%lld's: a fork or a rewritten history",
			    last);
		last = seq;
		memcpy(last_hash, hash, 32);
		if (wk_envelope_parse(&info, env, n, NULL) < 0) {
			add(r, site, device, seq, "header", "%s", wk_error_msg());
			continue;
		}
		if (strcmp(info.site, site) != 0 || strcmp(info.device, device) != 0 || (long long)info.seq != seq ||
		    memcmp(info.prev, prev, 32) != 0) {
			add(r, site, device, seq, "header", "the envelope's header (%s/%s #%llu) is not where the ledger holds it",
			    info.site, info.device, (unsigned long long)info.seq);
			continue;
		}
		if (wk_envelope_verify(&info) < 0) {
			add(r, site, device, seq, "signature", "%s", wk_error_msg());
			continue;
		}
		if (wk_trust_check_signer(trust, info.signer, info.site, info.seq, WK_TRUST_DEVICE | WK_TRUST_OFFICER) < 0) {
			add(r, site, device, seq, "trust", "%s", wk_error_msg());
			continue;
		}
		if (k) {
			const wk_trust_entry *who = NULL;
			int role = wk_trust_lookup(trust, info.signer, &who) == 0 && who ? who->role : WK_TRUST_DEVICE;
			check_payload(st, &info, k, role, hash, r);
		}
	}
	rc = rc == SQLITE_DONE ? 0 : wk_store_fail(st, rc, "cannot read the ledger");
	sqlite3_finalize(s);
	return rc;
}
