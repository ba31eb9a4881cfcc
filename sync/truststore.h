/*
 * truststore.h - the trust files a store has accepted, in its trust_file
 * table. The first is pinned by the region's root public key, given by the
 * operator (out of band: the region prints it at 'wicket region init'); each
 * later one must be opened against the one before (wk_trust_open: a newer
 * version, signed by the root, a new root signed by the old). Loading replays
 * that chain from the pinned first file, so a row altered on disk is caught.
 */
#ifndef WK_TRUSTSTORE_H
#define WK_TRUSTSTORE_H

#include "store.h"
#include "trust.h"

/* The trust in force, or WK_ENOTFOUND with a message saying how to get one. *out: wk_trust_free. */
int wk_truststore_load(wk_store *st, wk_trust **out);

/*
 * Accept the trust file bytes: the first needs root_pin (32 bytes; NULL
 * otherwise accepted only when a trust is already held). Refused: a rollback,
 * another region, a bad signature. *version (may be NULL) gets its version;
 * importing the version already held is a no-op (0 in *version).
 */
int wk_truststore_import(wk_store *st, const unsigned char *p, size_t n, const unsigned char *root_pin,
                         unsigned long long *version);

/* The newest trust file's bytes (*out malloc'd) for export. */
int wk_truststore_export(wk_store *st, unsigned char **out, size_t *n);

#endif
