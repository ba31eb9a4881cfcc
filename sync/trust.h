/*
 * trust.h - the region's trust file: which keys may sign what, for which
 * site, from which sequence and until which.
 *
 * A trust file lists every key the region has ever enrolled: its Ed25519
 * signing key, its X25519 encryption key, its role (device, regional officer,
 * root), its site scope, the person it belongs to, the device code (for a
 * device), the sequence it is valid from and the sequence it is revoked from.
 * The region's root key signs the whole document; its version only goes up;
 * a document whose root differs from the trusted one must also carry the
 * previous root's signature; an old or equal version is refused even when
 * validly signed (a rollback). Keys are never removed and a revocation is
 * never withdrawn or postponed: each new version keeps every entry of the
 * last one and may only add entries or set a revocation earlier. The byte
 * layout is docs/format/trust.md.
 *
 * What "sequence" means depends on the role: for a device key, the sequence
 * numbers of its own changeset chain (the envelope's seq); for an officer
 * key, the sequence numbers of the chain it signs on; for a root key, trust
 * file versions. Revocation therefore takes effect from a stated sequence,
 * never from a time the signer chose.
 *
 * This module decides whom to trust; it does not hold secret keys (signing
 * functions take either a raw 64-byte libsodium Ed25519 secret key the
 * caller keeps in sodium_malloc memory, never copied, or a signer callback
 * for keys kept elsewhere), read files, or print. Every buffer it parses is
 * capped before it is read and decoded strictly before any signature work. Messages name keys by a short id (wk_trust_key_id),
 * never by key material.
 *
 * Sign and open in this order: wk_trust_new or wk_trust_open (a draft of the
 * next version) -> wk_trust_add / wk_trust_revoke / wk_trust_rotate /
 * wk_trust_rotate_root -> wk_trust_sign (bumps the version by one). Checking
 * a signer: wk_trust_check_signer. Not thread-safe for one wk_trust; distinct
 * objects may be used from distinct threads. sodium_init() must have run.
 */
#ifndef WK_TRUST_H
#define WK_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Roles: also the role byte of the format, and bits of a role mask. */
typedef enum {
	WK_TRUST_DEVICE = 1,   /* a site's device: signs its site's changesets */
	WK_TRUST_OFFICER = 2,  /* a regional officer: signs off and publishes for any site */
	WK_TRUST_ROOT = 4      /* the region's root: signs trust files */
} wk_trust_role;

#define WK_TRUST_CODE_MAX 16        /* region, site and device codes: 2-16 of A-Z a-z 0-9 '-' */
#define WK_TRUST_PERSON_MAX 128     /* bytes of UTF-8; no control characters */
#define WK_TRUST_MAX_ENTRIES 16384  /* keys ever enrolled in one region, revoked ones included */
#define WK_TRUST_MAX_BYTES ((size_t)8 << 20)  /* a whole trust file, checked first */
#define WK_TRUST_REQUEST_MAX 1024   /* a whole enrolment request, checked first */
#define WK_TRUST_NOT_REVOKED UINT64_MAX
#define WK_TRUST_ANY_SITE "*"       /* the scope of officers and root */
#define WK_TRUST_ID_CHARS 16        /* wk_trust_key_id(): 16 hex digits */

typedef struct {
	unsigned char sign_pk[32];           /* Ed25519: the key's identity */
	unsigned char box_pk[32];            /* X25519: what payloads are sealed to */
	int role;                            /* one wk_trust_role */
	char site[WK_TRUST_CODE_MAX + 1];    /* device: its site code; officer, root: "*" */
	char device[WK_TRUST_CODE_MAX + 1];  /* device: its code; officer: "" or a code; root: "" */
	char person[WK_TRUST_PERSON_MAX + 1];/* who it belongs to: a display name, required */
	uint64_t valid_from;                 /* first sequence it may sign */
	uint64_t revoked_from;               /* first sequence it may not; WK_TRUST_NOT_REVOKED */
} wk_trust_entry;

#define WK_TRUST_ENTRY_INIT { { 0 }, { 0 }, 0, "", "", "", 1, WK_TRUST_NOT_REVOKED }

typedef struct wk_trust wk_trust;

/*
 * A new region's first draft: region code, the root's keys and the person or
 * office that holds it. The root entry is valid from version 1; signing the
 * draft makes version 1. *out belongs to the caller (wk_trust_free).
 */
int wk_trust_new(wk_trust **out, const char *region, const unsigned char root_sign_pk[32],
                 const unsigned char root_box_pk[32], const char *person);

/* Free; accepts NULL. */
void wk_trust_free(wk_trust *t);

/*
 * Open a trust file of n bytes. Checks, in this order, each failing with its
 * own code and message and *out left NULL:
 *   size cap (WK_ELIMIT); strict decoding with caps, no trailing bytes
 *   (WK_EINVALID; WK_EVERSION for a newer format); the signature by the
 *   document's own root, and the previous root's signature if it carries one
 *   (WK_EBADSIG); then against current: the same region (WK_ECONFLICT), a
 *   version greater than current's (WK_ECONFLICT: an old or equal version is
 *   a rollback, however well signed), a root that is current's root or was
 *   handed over by it (WK_EBADSIG), every key of current kept unchanged but
 *   for an earlier revocation (WK_ECONFLICT).
 * Exactly one of current and root_pk_expected is given: current, a trusted
 * document (usually the last one opened); or, for a first trust file with
 * nothing before it, root_pk_expected, the root key given out of band, which
 * must be the document's root or the root that handed over to it.
 *
 * The result is also a draft of the next version. *out belongs to the
 * caller (wk_trust_free); current is only read.
 */
int wk_trust_open(wk_trust **out, const unsigned char *p, size_t n, const wk_trust *current,
                  const unsigned char root_pk_expected[32]);

/*
 * Enrol a device or officer key: the entry is checked (role, scope, codes,
 * person, keys usable, revocation not before valid_from), must not reuse a
 * signing or encryption key already listed, and a device must not overlap
 * another key of the same site and device code in sequence. Root entries are
 * refused: use wk_trust_new and wk_trust_rotate_root. The entry is copied.
 */
int wk_trust_add(wk_trust *t, const wk_trust_entry *e);

/*
 * Revoke a device or officer key from sequence from_seq on (it still signs
 * valid_from .. from_seq - 1). from_seq must not be below its valid_from,
 * and a key already revoked may only be revoked earlier. The root key is
 * rotated, never revoked.
 */
int wk_trust_revoke(wk_trust *t, const unsigned char sign_pk[32], uint64_t from_seq);

/*
 * Replace a device or officer key by next: the old key is revoked from
 * next->valid_from and next is enrolled from it. next must keep the old
 * key's role, site and device code. Nothing changes on failure.
 */
int wk_trust_rotate(wk_trust *t, const unsigned char old_sign_pk[32], const wk_trust_entry *next);

/*
 * Hand the root over to a new key: the current root entry is revoked from
 * the next version and a root entry for the new key (person NULL: the old
 * root's person) is valid from it. The next wk_trust_sign needs both the new
 * root's and the old root's secret keys. One rotation per version.
 */
int wk_trust_rotate_root(wk_trust *t, const unsigned char new_sign_pk[32],
                         const unsigned char new_box_pk[32], const char *person);

/*
 * Sign the draft as the next version (the version goes up by one only on
 * success). root_sk is the 64-byte Ed25519 secret key of the document's root;
 * old_root_sk is the previous root's, required after wk_trust_rotate_root
 * and refused otherwise (NULL). The whole document is checked first. out is
 * cleared and receives the trust file; the caller owns it (wk_buf_free).
 */
int wk_trust_sign(wk_buf *out, wk_trust *t, const unsigned char root_sk[64],
                  const unsigned char *old_root_sk);

/*
 * A signer for keys kept elsewhere (sync/keys.h keeps its secret keys to
 * itself): write the 64-byte Ed25519 signature of m[0..n) to sig and return
 * 0, or a negative wk_code (with its message set). For wk_keys, a three-line
 * wrapper around wk_keys_sign. Every signature is verified under the key it
 * must be from before it is used, so a signer holding the wrong key signs
 * nothing (WK_EUSAGE).
 */
typedef int (*wk_trust_signer)(void *ctx, unsigned char sig[64], const unsigned char *m, size_t n);

/* wk_trust_sign with signers: old_sign (and old_ctx) only after wk_trust_rotate_root, else NULL. */
int wk_trust_sign_with(wk_buf *out, wk_trust *t, wk_trust_signer sign, void *ctx, wk_trust_signer old_sign,
                       void *old_ctx);

/* The region code, the last signed version (0 for a new draft) and the root's signing key; borrowed. */
const char *wk_trust_region(const wk_trust *t);
uint64_t wk_trust_version(const wk_trust *t);
const unsigned char *wk_trust_root_pk(const wk_trust *t);

/* The entries, sorted by sign_pk; *out is borrowed from t until it is changed or freed. */
size_t wk_trust_count(const wk_trust *t);
const wk_trust_entry *wk_trust_entry_at(const wk_trust *t, size_t i);

/* The entry of sign_pk (borrowed from t as above), or WK_ENOTFOUND with a message. */
int wk_trust_lookup(const wk_trust *t, const unsigned char sign_pk[32], const wk_trust_entry **out);

/*
 * May sign_pk sign for site at sequence seq in one of the roles of role_mask
 * (WK_TRUST_DEVICE | ...)? Checks, in this order: the key is listed
 * (WK_ENOTFOUND), its role is in role_mask, its scope covers site (a device
 * only its own site; officers and root any site; site NULL: no site, which
 * no device covers), valid_from <= seq, seq < revoked_from (each WK_EBADSIG).
 * The message names the check that failed and the key by its id. 0: allowed.
 */
int wk_trust_check_signer(const wk_trust *t, const unsigned char sign_pk[32], const char *site,
                          uint64_t seq, int role_mask);

/*
 * The X25519 keys a changeset of site is sealed to: every regional officer
 * and every device of site with no revocation stated (a key revoked from any
 * sequence is never sealed to again; one not yet valid already is), in entry
 * order (by sign_pk), so that every replica computes the same list. site
 * NULL: the officers only. The root is never a recipient. Up to max keys are
 * written to out (which may be NULL when max is 0); *count receives the
 * number of recipients. WK_ELIMIT when more than max; WK_ENOTFOUND when
 * there are none.
 */
int wk_trust_recipients(const wk_trust *t, const char *site, unsigned char (*out)[32], size_t max,
                        size_t *count);

/* A short printable id of a signing key, as sync/keys.h's wk_keys_id: 16 hex digits of BLAKE2b(pk). */
void wk_trust_key_id(char out[WK_TRUST_ID_CHARS + 1], const unsigned char sign_pk[32]);

/* "device", "officer", "root" (or "unknown"). Static. */
const char *wk_trust_role_name(int role);

/*
 * The document as JSON, appended to out: {region, version, root, entries:
 * [{id, sign_pk, box_pk, role, site, device, person, valid_from,
 * revoked_from (null when not revoked)}]} with keys in hex.
 */
int wk_trust_json(wk_buf *out, const wk_trust *t);

/*
 * Enrolment requests. A device (or an officer) writes one with its own
 * signing key, so that the region knows the requester holds the key; the
 * region opens it, checks it and enrols it with wk_trust_add_request.
 */
typedef struct {
	char region[WK_TRUST_CODE_MAX + 1];
	wk_trust_entry entry;   /* valid_from 1 and not revoked: the region decides */
} wk_trust_request;

/*
 * Write a request for region to enrol e (role device or officer; sign_pk,
 * box_pk, site, device, person; valid_from and revoked_from are not part of
 * it), signed by sk, the 64-byte secret key of e->sign_pk. out is cleared
 * and receives the request; the caller owns it.
 */
int wk_trust_request_write(wk_buf *out, const char *region, const wk_trust_entry *e,
                           const unsigned char sk[64]);

/* wk_trust_request_write with a signer (see wk_trust_signer) holding e->sign_pk's secret key. */
int wk_trust_request_write_with(wk_buf *out, const char *region, const wk_trust_entry *e,
                                wk_trust_signer sign, void *ctx);

/*
 * Open a request of n bytes: size cap, strict decoding, fields checked as
 * wk_trust_add does, then the self-signature (WK_EBADSIG). out is filled
 * only on success.
 */
int wk_trust_request_open(wk_trust_request *out, const unsigned char *p, size_t n);

/* Enrol an opened request into t, valid from valid_from: the request must be for t's region. */
int wk_trust_add_request(wk_trust *t, const wk_trust_request *r, uint64_t valid_from);

#endif
