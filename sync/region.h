/*
 * region.h - the region's side of trust: its root key, its officer key, its
 * store, and the signed trust file they keep (trust.h). Every change to who
 * is trusted is a new trust version, signed by the root key and recorded in
 * the region store's trust_file table (truststore.h); establishments import
 * it from there, on a bundle or over the regional repository.
 *
 * Layout of a region's folder: .wicket/store.db (the regional store),
 * .wicket/root.key (the root key: keep it offline where possible),
 * .wicket/device.key (the officer key this store signs and opens with).
 */
#ifndef WK_REGION_H
#define WK_REGION_H

#include "device.h"
#include "store.h"

typedef struct {
	const char *region;      /* the region's code, e.g. YORKS */
	const char *person;      /* the officer who holds these keys */
	const char *policy_dir;  /* the national catalogue and rules */
	wk_device_options keys;  /* how the keys are protected */
} wk_region_options;

/* Create a region in dir (its .wicket must not exist). root_hex gets the root public key to pin. */
int wk_region_init(const char *dir, const wk_region_options *o, char root_hex[65]);

/* Open the region store in dir; *out: wk_store_close. Refuses an establishment's store. */
int wk_region_open(wk_store **out, const char *dir);

/*
 * The region's replica of one establishment: .wicket/sites/<SITE>.db, an
 * ordinary store holding that site's records only, created on first use with
 * the national catalogue and rules. Its device and person are the region
 * store's. *out: wk_store_close.
 */
int wk_region_site_store(wk_store **out, wk_store *region, const char *dir, const char *site, int create);

/* Sign an enrolment request into a new trust version, valid from valid_from. keyid gets the new key's id. */
int wk_region_enrol(wk_store *st, const char *dir, const unsigned char *req, size_t n, unsigned long long valid_from,
                    const wk_device_options *o, char keyid[17]);

/* Revoke the key whose id starts with keyid (8+ hex digits) from sequence from. */
int wk_region_revoke(wk_store *st, const char *dir, const char *keyid, unsigned long long from,
                     const wk_device_options *o);

/* Replace the key keyid by the one in an enrolment request (the old one revoked from the new one's start). */
int wk_region_rotate(wk_store *st, const char *dir, const char *keyid, const unsigned char *req, size_t n,
                     unsigned long long from, const wk_device_options *o, char newid[17]);

/*
 * Hand the root over to a new root key: made in root.key.new, the trust file
 * signed by both the old and the new root, then root.key replaced (the old
 * one kept as root.key.old until the operator destroys it). root_hex gets the
 * new root public key. Establishments follow by importing the new trust file
 * (their pin stays the first root: the handover is verified along the chain).
 */
int wk_region_rotate_root(wk_store *st, const char *dir, const wk_device_options *o, char root_hex[65]);

#endif
