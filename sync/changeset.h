/*
 * changeset.h - the changeset: one device's operations since its previous
 * changeset, sealed with the device's place in its chain, and its canonical
 * byte encoding (docs/format/changeset.md).
 *
 * A changeset carries the format version, the site and device codes, a
 * per-device sequence number (1, 2, ... with no gaps), the hash of the
 * device's previous changeset (all zero for sequence 1), the store's schema
 * version, the national documents the operations were written against (the
 * catalogue, e.g. "edm:OMU@1"), what the sealer held of the site's other
 * devices' chains (depends: the receiver applies it only after those), the
 * clock range of its operations and the operations themselves, oldest
 * first; each set names the writes of its field it overwrites (parents),
 * which is how a receiver tells a later write from a concurrent one.
 *
 * The encoding is canonical: one changeset has exactly one byte string, and
 * wk_changeset_decode() accepts exactly the byte strings that
 * wk_changeset_encode() produces (decode(encode(x)) == x and
 * encode(decode(b)) == b). The encoder refuses a changeset that breaks an
 * invariant; the decoder treats its input as hostile: it checks every length
 * against the bytes that remain and against caps before it allocates, never
 * reads past n, and refuses trailing bytes.
 *
 * Every operation of a changeset was made on the changeset's device: an
 * operation's device is not encoded, it is the changeset's (the changeset is
 * signed by that device's key, so it may speak only for that device;
 * operations the device received from others travel in their own device's
 * changesets). The person and the clock are per operation.
 *
 * This module does not sign, encrypt, choose which operations are pending or
 * touch the store: it is a value type and its codec. It never prints.
 */
#ifndef WK_CHANGESET_H
#define WK_CHANGESET_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "entity.h"

/* The format version this program writes and reads. */
#define WK_CHANGESET_FORMAT 2

/* Bytes of a changeset hash (BLAKE2b-256). */
#define WK_CHANGESET_HASH_BYTES 32

/*
 * The format's caps. The encoder refuses to exceed them, so every changeset
 * this program writes is accepted by every reader using the defaults; a
 * reader may tighten them (wk_changeset_limits) but never loosen them.
 *   - 16 MiB per changeset: what a reader holds in memory at once (a decoded
 *     changeset takes under 3 times its encoding); the store integration
 *     starts a new changeset when one is full (wk_changeset_add_op returns
 *     WK_ELIMIT).
 *   - 4 MiB per value: the largest value the store writes is a national
 *     document (WK_CATALOGUE_MAX_DOC, 4 MiB); a smaller cap would leave
 *     operations that could never be synced. One operation with both values
 *     at the cap still fits in one changeset.
 *   - 1,000,000 operations: more than a site makes in years of work.
 *   - 256 bytes per name, person, record id or catalogue id (the store
 *     holds persons up to 255 bytes, ids under 100); codes are 2-16 bytes.
 *   - 1,024 catalogue documents (a site holds a few dozen).
 */
#define WK_CHANGESET_MAX_BYTES ((size_t)16 << 20)
#define WK_CHANGESET_MAX_VALUE ((size_t)4 << 20)
#define WK_CHANGESET_MAX_OPS ((size_t)1000000)
#define WK_CHANGESET_MAX_NAME ((size_t)256)
#define WK_CHANGESET_MAX_CATALOGUE ((size_t)1024)
/* Chains of other devices a changeset depends on; parents of one set. */
#define WK_CHANGESET_MAX_DEPENDS ((size_t)4096)
#define WK_CHANGESET_MAX_PARENTS 64

struct wk_changeset_mem;

/*
 * A changeset. Build it with wk_changeset_new(), wk_changeset_add_catalogue(),
 * wk_changeset_add_depend() and wk_changeset_add_op(), or get it from wk_changeset_decode(); read its
 * fields freely. Every string and array belongs to the changeset and lives
 * until wk_changeset_free(). Each op's device points to the changeset's
 * device; each op's kind is the static string "create" or "set".
 */
typedef struct {
	uint32_t format;              /* WK_CHANGESET_FORMAT */
	char *site, *device;          /* codes: 2-16 of A-Z a-z 0-9 - */
	uint64_t seq;                 /* 1, 2, ... per device, no gaps */
	unsigned char prev[WK_CHANGESET_HASH_BYTES]; /* hash of the previous; zero iff seq 1 */
	uint32_t schema_version;      /* the store's schema version, >= 1 */
	char **catalogue;             /* national document ids, sorted (bytewise), unique */
	size_t ncatalogue;
	/*
	 * What the sealing store held of the site's other chains: "<device>:<seq>"
	 * for each, sorted (bytewise), one per device, never this changeset's
	 * own device. A receiver applies the changeset only after those.
	 */
	char **depends;
	size_t ndepends;
	int64_t hlc_min, hlc_max;     /* the first and last op's clock */
	wk_op *ops;                   /* oldest first: seq and hlc strictly increasing */
	size_t nops;

	/* Private: the memory behind the strings and arrays, and the encoded size. */
	struct wk_changeset_mem *mem_;
	size_t size_, cap_ops_, cap_catalogue_, cap_depends_;
} wk_changeset;

/*
 * What a reader accepts; 0 in a field means the format's cap, and a value
 * above the cap is lowered to it. Initialise with WK_CHANGESET_LIMITS_INIT.
 */
typedef struct {
	size_t max_bytes;     /* the whole encoding */
	size_t max_ops;
	size_t max_value;     /* bytes per old or new value */
	size_t max_name;      /* bytes per person, record id, entity, field, catalogue id */
	size_t max_catalogue; /* catalogue documents */
} wk_changeset_limits;

#define WK_CHANGESET_LIMITS_INIT { 0, 0, 0, 0, 0 }

/*
 * A new changeset with no operations and no catalogue. site and device are
 * copied; prev is WK_CHANGESET_HASH_BYTES bytes, or NULL for all zero.
 * Refuses bad codes, seq 0, schema_version 0, and a prev that is zero for
 * seq > 1 or not zero for seq 1 (WK_EINVALID). *out belongs to the caller:
 * release it with wk_changeset_free().
 */
int wk_changeset_new(wk_changeset **out, const char *site, const char *device, uint64_t seq,
                     const unsigned char *prev, uint32_t schema_version);

/* Release a changeset and everything it holds. Accepts NULL. */
void wk_changeset_free(wk_changeset *cs);

/*
 * Add a national document id (e.g. "edm:OMU@1") to the catalogue, copied, in
 * sorted place. Adding one already there does nothing. WK_EINVALID for a
 * bad id, WK_ELIMIT when the catalogue or the changeset is full.
 */
int wk_changeset_add_catalogue(wk_changeset *cs, const char *id);

/*
 * Record that the changeset follows device's chain up to seq (>= 1): the
 * receiver holds it back until it holds that much. device is not the
 * changeset's own and appears once. WK_EINVALID, or WK_ELIMIT when full.
 */
int wk_changeset_add_depend(wk_changeset *cs, const char *device, uint64_t seq);

/*
 * Append a copy of op (its strings are copied; op is not kept) and widen the
 * clock range. The op must be one the encoder accepts: device equal to the
 * changeset's, seq and hlc greater than the last op's, kind "create" (field,
 * values and parents NULL) or "set" (field given; parents NULL or a valid
 * list), valid names and UTF-8 text within
 * the caps: otherwise WK_EINVALID and the changeset is unchanged. Such an op
 * always fits in an empty changeset. WK_ELIMIT when adding it would make the
 * changeset exceed WK_CHANGESET_MAX_BYTES or WK_CHANGESET_MAX_OPS: the
 * changeset is unchanged; seal it and add the op to the next one.
 */
int wk_changeset_add_op(wk_changeset *cs, const wk_op *op);

/*
 * The length of the encoding of cs as built so far by these functions (or
 * decoded), even with no ops yet; 0 for NULL.
 */
size_t wk_changeset_size(const wk_changeset *cs);

/*
 * Check every invariant the encoder relies on (listed in
 * docs/format/changeset.md): WK_EINVALID (or WK_ELIMIT for a cap) with a
 * message naming the field and the op, never its text.
 */
int wk_changeset_check(const wk_changeset *cs);

/*
 * The canonical encoding of cs into out, replacing out's content. Refuses,
 * and leaves out empty, a changeset that fails wk_changeset_check() (with no
 * operations, for example), or one larger than out's own cap (WK_ELIMIT).
 */
int wk_changeset_encode(wk_buf *out, const wk_changeset *cs);

/*
 * Decode the n bytes at p strictly (lim NULL: the format's caps). On success
 * *out is a changeset that belongs to the caller (wk_changeset_free()); on
 * failure *out is NULL and the code is WK_EVERSION for a format version this
 * program does not read (newer, or format 1 from before field-level merge), WK_ELIMIT for a cap exceeded, or
 * WK_EINVALID for anything else that is not the encoding of a valid
 * changeset (truncated, trailing bytes, bad tags, text, order or range). The
 * message gives the byte offset, never the input's text.
 */
int wk_changeset_decode(wk_changeset **out, const unsigned char *p, size_t n,
                        const wk_changeset_limits *lim);

/*
 * The changeset's hash: BLAKE2b-256 (crypto_generichash, no key) of a
 * 20-byte domain prefix (the 19 characters "wicket.changeset.v1" and a 0x00
 * byte) followed by the n bytes of the encoding. The next changeset of the
 * device carries it as prev.
 */
void wk_changeset_hash(unsigned char out[WK_CHANGESET_HASH_BYTES], const unsigned char *encoded,
                       size_t n);

#endif
