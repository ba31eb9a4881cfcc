/*
 * bundle.h - envelopes carried on removable media (sneakernet): a tar of
 * envelopes with a manifest signed by the exporting key, for sites with no
 * network at all. The byte layout is docs/format/bundle.md.
 *
 * A bundle is a tar (sync/tarfile.h, plain or gzip) holding MANIFEST (the
 * region, the exporting site or region code, the exporting key, the chains
 * the exporter held, and the name, size and BLAKE2b-256 hash of every other
 * entry), MANIFEST.sig (Ed25519 over the exact MANIFEST bytes), optionally
 * the newest trust file as trust/<version>.trust, and the envelopes as
 * envelopes/<SITE>/<DEVICE>/<SEQ, 10 digits>.env. The same input always
 * gives the same bytes.
 *
 * Import checks, in this order, and nothing later runs before everything
 * earlier passed: the archive as a whole (caps on its size, entries, each
 * entry, the total and the compression ratio; regular files, safe names:
 * tarfile.h) -> MANIFEST and MANIFEST.sig present, the manifest decoded
 * strictly with caps -> the signature under the key the manifest names ->
 * every entry listed with the right size and hash, none unlisted, none
 * missing, in manifest order; every envelope's header names what its entry
 * name says -> the manifest is for this trust's region and its signer is a
 * key the trust in force lists, in scope, with no revocation stated. Any
 * failure refuses the bundle whole, before a single envelope is applied.
 * Then each envelope, in (site, device, sequence) order, goes through
 * wk_ledger_accept into the store the caller names for its site, which does
 * every per-envelope check and quarantines what it refuses; a refusal never
 * stops the rest. Importing a bundle again applies nothing.
 *
 * This module never installs a trust file (it offers the one it carries),
 * never writes anything but through the ledger and the tar writer, never
 * extracts to disk, and never prints.
 */
#ifndef WK_BUNDLE_H
#define WK_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "envelope.h"
#include "ledger.h"
#include "store.h"
#include "tarfile.h"
#include "trust.h"

#define WK_BUNDLE_FORMAT 1
#define WK_BUNDLE_MANIFEST_MAX ((size_t)8 << 20) /* MANIFEST, checked before it is decoded */
#define WK_BUNDLE_MAX_HELD 20000                 /* chain lines ("held") in one manifest */

/* A per-device watermark: the chain (site, device) up to and including seq. */
typedef struct {
	char site[WK_TRUST_CODE_MAX + 1];
	char device[WK_TRUST_CODE_MAX + 1];
	uint64_t seq;
} wk_bundle_mark;

/*
 * Parse "SITE/DEVICE:SEQ" (e.g. "LEI/d1:12", the --since form) into *out.
 * WK_EINVALID with a message saying the expected form.
 */
int wk_bundle_mark_parse(wk_bundle_mark *out, const char *s);

typedef struct {
	const wk_trust *trust;          /* required: the region code; the signer is checked against it */
	const unsigned char *sign_pk;   /* required: the exporting key (Ed25519, 32 bytes) */
	wk_envelope_signer sign;        /* required: signs with sign_pk's secret key (sync/keys.h) */
	void *sign_ctx;
	const char *from;      /* the exporting site code, or the region code for an officer or the root;
	                          NULL: the store's site code (wk_bundle_write: required) */
	const char *for_site;  /* only this site's envelopes and chains; NULL: every site held ("*") */
	/*
	 * --since: only envelopes above these per-device watermarks; chains not
	 * listed are exported whole. Typically the held marks of the last bundle
	 * sent (wk_bundle_inspect, report.held) or marks typed by the user.
	 */
	const wk_bundle_mark *since;
	size_t nsince;
	const unsigned char *trust_file; /* optional: a trust file of this region to carry */
	size_t trust_file_len;
	int gzip;                        /* compress the tar (envelopes do not shrink; headers do) */
} wk_bundle_export_options;

#define WK_BUNDLE_EXPORT_OPTIONS_INIT { NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, 0, 0 }

/*
 * Export the envelopes st holds (its own and those it received), filtered by
 * o->for_site and o->since, as a bundle signed by o->sign. The signer must be
 * one import would accept (WK_EBADSIG otherwise, before anything is written);
 * the signature is verified before it is used; the included trust file must
 * open as a trust file of o->trust's region (signed by its root).
 * *count (may be NULL) receives the number of envelopes written. A bundle
 * with no envelopes is allowed (it still carries the trust file and the
 * held marks).
 *
 * wk_bundle_export replaces out's content (out->max 0: the tar cap, 256 MiB;
 * on failure out is empty; out belongs to the caller). wk_bundle_export_file
 * writes path atomically (tarfile.h): path is either untouched or the whole
 * new bundle.
 */
int wk_bundle_export(wk_buf *out, wk_store *st, const wk_bundle_export_options *o, size_t *count);
int wk_bundle_export_file(const char *path, wk_store *st, const wk_bundle_export_options *o, size_t *count);

/*
 * The same from explicit envelopes (borrowed for the call) instead of a
 * store: each is parsed (wk_envelope_parse: layout only) to name it; they are
 * put in canonical order; the same (site, device, seq) twice is refused.
 * o->from is required; for_site and since filter as above; held marks are
 * the highest sequence given per chain. For a region combining several
 * stores, and for tests.
 */
typedef struct {
	const unsigned char *env;
	size_t len;
} wk_bundle_envelope;

int wk_bundle_write(wk_buf *out, const wk_bundle_envelope *envs, size_t n, const wk_bundle_export_options *o);

/* What happened to one envelope of the bundle. */
typedef enum {
	WK_BUNDLE_LISTED = 0,      /* wk_bundle_inspect: listed, not applied */
	WK_BUNDLE_APPLIED = 1,     /* accepted and applied */
	WK_BUNDLE_DUPLICATE = 2,   /* already held, byte for byte: nothing to do */
	WK_BUNDLE_NOT_FOR_US = 3,  /* no store here for its site: skipped, not quarantined */
	WK_BUNDLE_BLOCKED = 4,     /* an earlier changeset of its device was refused: skipped, not quarantined */
	WK_BUNDLE_REFUSED = 5,     /* refused by the ledger: quarantined with the reason */
	WK_BUNDLE_WAITING = 6      /* verified, kept until what it depends on arrives (ledger.h) */
} wk_bundle_outcome;

typedef struct {
	char site[WK_TRUST_CODE_MAX + 1];
	char device[WK_TRUST_CODE_MAX + 1];
	uint64_t seq;
	size_t size;             /* bytes of the envelope */
	int outcome;             /* wk_bundle_outcome */
	int code;                /* REFUSED: the wk code; else 0 */
	char *reason;            /* NOT_FOR_US, BLOCKED, REFUSED, WAITING: why; else NULL. Owned by the report */
} wk_bundle_item;

typedef struct {
	/* The manifest, once decoded (empty strings before). */
	char region[WK_TRUST_CODE_MAX + 1];
	char from[WK_TRUST_CODE_MAX + 1];
	char for_site[WK_TRUST_CODE_MAX + 1];      /* a site code or "*" */
	unsigned char signer[32];
	char signer_id[WK_TRUST_ID_CHARS + 1];     /* wk_trust_key_id of signer */
	int signer_role;                           /* wk_trust_role, once the signer is trusted; else 0 */
	wk_bundle_mark *held;                      /* the chains the exporter held, canonical order */
	size_t nheld;
	/* Every envelope listed, in canonical order, with its outcome. */
	wk_bundle_item *items;
	size_t nitems;
	size_t applied, duplicate, not_for_us, blocked, refused, waiting;
	/*
	 * The trust file carried, offered (never installed): its bytes (NULL if
	 * none), its version as named, and whether it opened (wk_trust_open
	 * against the trust in force) as a valid newer version of it; if not,
	 * trust_note says why. Offered whenever the manifest's signature and the
	 * entry's hash check out, even if the signer is not (yet) trusted: a
	 * trust file proves itself by its root's signature, so a site whose trust
	 * is too old to know the exporter installs it and imports again.
	 */
	unsigned char *trust_file;
	size_t trust_file_len;
	uint64_t trust_version;
	int trust_newer;
	char *trust_note;
} wk_bundle_report;

#define WK_BUNDLE_REPORT_INIT { "", "", "", { 0 }, "", 0, NULL, 0, NULL, 0, 0, 0, 0, 0, 0, 0, NULL, 0, 0, 0, NULL }

/* Free what the report owns and reset it to WK_BUNDLE_REPORT_INIT; accepts NULL. */
void wk_bundle_report_free(wk_bundle_report *r);

typedef struct {
	const wk_trust *trust;   /* the trust in force; NULL: keys->trust */
	const wk_ledger_keys *keys; /* this device's keys for wk_ledger_accept (import only) */
	/*
	 * The store for a site's envelopes, borrowed: a site's own store returns
	 * itself for its site and NULL for any other; a region returns that
	 * site's store (or NULL). NULL: skipped as not for this store.
	 */
	wk_store *(*store_for_site)(void *ctx, const char *site);
	void *store_ctx;
	const char *source;      /* where the bundle came from, for the quarantine ("bundle" if NULL) */
	const wk_tarfile_limits *limits; /* NULL: the defaults (tarfile.h) */
} wk_bundle_import_options;

#define WK_BUNDLE_IMPORT_OPTIONS_INIT { NULL, NULL, NULL, NULL, NULL, NULL }

/*
 * Import the bundle of n bytes at p (or the regular file at path, read into
 * memory once, refused by its size first). report is reset, then filled as
 * far as the import got; free it with wk_bundle_report_free in every case.
 *
 * Returns 0 when the bundle was accepted: every envelope then has its
 * outcome in the report, refusals included. A negative code refuses the
 * bundle whole, with nothing applied (the message says why and says that
 * nothing was applied): the tar layer's code (WK_EINVALID, WK_ECORRUPT,
 * WK_ELIMIT), WK_EINVALID (no or bad manifest, an unlisted, missing,
 * misplaced or misnamed entry), WK_EVERSION (a newer bundle format),
 * WK_EBADSIG (bad signature, a size or hash mismatch, an untrusted, out of
 * scope or revoked signer), WK_ECONFLICT (another region). A store failure
 * while applying (locked, read-only, disk full, I/O) stops the import and is
 * returned; what was applied before it stays applied and is in the report,
 * and importing again later completes it.
 */
int wk_bundle_import(const unsigned char *p, size_t n, const wk_bundle_import_options *o,
                     wk_bundle_report *report);
int wk_bundle_import_file(const char *path, const wk_bundle_import_options *o, wk_bundle_report *report);

/*
 * Every check of wk_bundle_import up to and including the signer's trust,
 * applying nothing (o->keys and store_for_site are not used): the report
 * holds the manifest, the held marks, the trust file offered, and every
 * envelope as WK_BUNDLE_LISTED. For `wicket bundle show` and for --since a
 * previous bundle (report.held).
 */
int wk_bundle_inspect(const unsigned char *p, size_t n, const wk_bundle_import_options *o,
                      wk_bundle_report *report);
int wk_bundle_inspect_file(const char *path, const wk_bundle_import_options *o, wk_bundle_report *report);

/* "listed", "applied", "duplicate", "not for this store", "blocked", "refused". Static. */
const char *wk_bundle_outcome_name(int outcome);

/*
 * The report as JSON, appended to out: {region, from, for, signer, signer_role,
 * applied, duplicate, not_for_us, blocked, refused, held: [{site, device, seq}],
 * trust: null | {version, newer, note}, items: [{site, device, seq, size,
 * outcome, reason}]}.
 */
int wk_bundle_report_json(wk_buf *out, const wk_bundle_report *r);

#endif
