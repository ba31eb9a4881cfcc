/*
 * region.c - the region's trust operations. See region.h.
 */
#include "region.h"
#include "durable.h"
#include "catalogue.h"
#include "entity.h"
#include "error.h"
#include "rules.h"
#include "site.h"
#include "truststore.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void path_of(char *out, size_t size, const char *dir, const char *name)
{
	snprintf(out, size, "%s/.wicket/%s", dir, name);
}

/* Sign t with the root key in dir and record the new version in st. */
static int sign_and_record(wk_store *st, const char *dir, wk_trust *t, const wk_device_options *o)
{
	wk_keys *root = NULL;
	wk_buf signed_bytes = WK_BUF_INIT;
	char path[4200];
	int rc;

	path_of(path, sizeof(path), dir, "root.key");
	if ((rc = wk_device_load_key(&root, path, o)) < 0)
		return rc;
	if (memcmp(wk_keys_sign_pk(root), wk_trust_root_pk(t), 32) != 0)
		rc = wk_error_set(WK_EBADSIG, "the root key in '%s' is not the root of this region's trust file", path);
	if (rc == 0)
		rc = wk_trust_sign_with(&signed_bytes, t, wk_device_sign, root, NULL, NULL);
	if (rc == 0)
		rc = wk_truststore_import(st, (const unsigned char *)signed_bytes.ptr, signed_bytes.len, NULL, NULL);
	wk_keys_free(root);
	wk_buf_free(&signed_bytes);
	return rc;
}

int wk_region_init(const char *dir, const wk_region_options *o, char root_hex[65])
{
	unsigned char root_sign[32], root_box[32], off_sign[32], off_box[32];
	char wdir[4200], path[4200], keypath[4200], devcode[24];
	wk_trust *t = NULL;
	wk_trust_entry e = WK_TRUST_ENTRY_INIT;
	wk_store *st = NULL;
	wk_keys *root = NULL;
	wk_buf bytes = WK_BUF_INIT;
	int rc;

	if (!o->region || !o->person)
		return wk_error_set(WK_EUSAGE, "a region needs a code (--region) and the officer's name (--person)");
	snprintf(wdir, sizeof(wdir), "%s/.wicket", dir);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return wk_error_set(WK_EIO, "cannot create directory '%s': %s", dir, strerror(errno));
	if (mkdir(wdir, 0700) != 0)
		return wk_error_set(errno == EEXIST ? WK_EEXISTS : WK_EIO, "cannot create '%s': %s", wdir,
		                    errno == EEXIST ? "a wicket folder is already there" : strerror(errno));
	path_of(keypath, sizeof(keypath), dir, "root.key");
	if ((rc = wk_device_create_key(keypath, &o->keys, root_sign, root_box)) < 0)
		goto fail;
	path_of(keypath, sizeof(keypath), dir, "device.key");
	if ((rc = wk_device_create_key(keypath, &o->keys, off_sign, off_box)) < 0)
		goto fail;
	path_of(path, sizeof(path), dir, "store.db");
	snprintf(devcode, sizeof(devcode), "rgn-%02x%02x", off_sign[0], off_sign[1]);
	if ((rc = wk_store_create(&st, path)) < 0 || (rc = wk_store_begin(st)) < 0 ||
	    (rc = wk_store_meta_set(st, "site", o->region)) < 0 || (rc = wk_store_meta_set(st, "device", devcode)) < 0 ||
	    (rc = wk_store_meta_set(st, "person", o->person)) < 0 || (rc = wk_store_meta_set(st, "role", "region")) < 0 ||
	    (rc = wk_store_meta_set(st, "policy_dir", o->policy_dir)) < 0 ||
	    (rc = wk_entity_set_actor(st, o->person, devcode)) < 0 ||
	    (rc = wk_catalogue_load(st, o->policy_dir, NULL)) < 0 ||
	    (rc = wk_rules_load_national(st, o->policy_dir, NULL)) < 0 || (rc = wk_store_commit(st)) < 0)
		goto fail;
	/* Trust version 1: the root and this officer. */
	if ((rc = wk_trust_new(&t, o->region, root_sign, root_box, o->person)) < 0)
		goto fail;
	memcpy(e.sign_pk, off_sign, 32);
	memcpy(e.box_pk, off_box, 32);
	e.role = WK_TRUST_OFFICER;
	snprintf(e.site, sizeof(e.site), "%s", WK_TRUST_ANY_SITE);
	snprintf(e.person, sizeof(e.person), "%s", o->person);
	e.valid_from = 1;
	if ((rc = wk_trust_add(t, &e)) < 0)
		goto fail;
	path_of(keypath, sizeof(keypath), dir, "root.key");
	if ((rc = wk_device_load_key(&root, keypath, &o->keys)) < 0 ||
	    (rc = wk_trust_sign_with(&bytes, t, wk_device_sign, root, NULL, NULL)) < 0 ||
	    (rc = wk_truststore_import(st, (const unsigned char *)bytes.ptr, bytes.len, root_sign, NULL)) < 0)
		goto fail;
	wk_device_hex(root_hex, root_sign);
	goto out;
fail:
	wk_store_close(st);
	st = NULL;
	{
		const char *names[] = { "store.db", "store.db-wal", "store.db-shm", "root.key", "device.key" };
		size_t i;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			path_of(path, sizeof(path), dir, names[i]);
			unlink(path);
		}
		rmdir(wdir);
	}
out:
	wk_store_close(st);
	wk_keys_free(root);
	wk_trust_free(t);
	wk_buf_free(&bytes);
	return rc;
}

int wk_region_open(wk_store **out, const char *dir)
{
	char path[4200], *role = NULL;
	int rc;

	path_of(path, sizeof(path), dir, "store.db");
	if ((rc = wk_store_open(out, path)) < 0)
		return rc;
	if ((rc = wk_store_meta_get(*out, "role", &role)) == 0 && (!role || strcmp(role, "region") != 0))
		rc = wk_error_set(WK_EUSAGE, "'%s' is an establishment's store, not a region's; run region commands in "
		                  "the folder made by 'wicket region init'", dir);
	free(role);
	if (rc < 0) {
		wk_store_close(*out);
		*out = NULL;
	}
	return rc;
}

/* Remove a store file and its journal files; missing ones are fine. */
static void unlink_store(const char *path)
{
	char p[4300];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-journal", path);
	unlink(p);
}

/*
 * Make a site's replica whole, then put it in place: it is built under a
 * temporary name and renamed to path only once its catalogue, rules and
 * settings are committed and it is closed, so a crash or a full disk never
 * leaves a replica that looks ready and is not.
 */
static int replica_create(wk_store *region, const char *dir, const char *site, const char *path)
{
	char tmp[4300], sites[4200], *device = NULL, *person = NULL, *pdir = NULL;
	const char *pol = getenv("WICKET_POLICY_DIR");
	wk_store *st = NULL;
	int rc;

	snprintf(sites, sizeof(sites), "%s/.wicket/sites", dir);
	if (mkdir(sites, 0700) != 0 && errno != EEXIST)
		return wk_error_set(WK_EIO, "cannot create '%s': %s", sites, strerror(errno));
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	unlink_store(tmp); /* what a crash left of an earlier attempt */
	if ((rc = wk_store_meta_get(region, "device", &device)) < 0 ||
	    (rc = wk_store_meta_get(region, "person", &person)) < 0 ||
	    (rc = wk_store_meta_get(region, "policy_dir", &pdir)) < 0)
		goto out;
	if (!pol)
		pol = pdir ? pdir : WICKET_POLICY_DIR;
	if ((rc = wk_store_create(&st, tmp)) < 0 || (rc = wk_store_begin(st)) < 0)
		goto out;
	if ((rc = wk_store_meta_set(st, "site", site)) < 0 || (rc = wk_store_meta_set(st, "device", device)) < 0 ||
	    (rc = wk_store_meta_set(st, "person", person)) < 0 || (rc = wk_entity_set_actor(st, person, device)) < 0 ||
	    (rc = wk_catalogue_load(st, pol, NULL)) < 0 || (rc = wk_rules_load_national(st, pol, NULL)) < 0 ||
	    /*
	     * The national rules are every store's own copy, never sent. The
	     * catalogue is sent at the first 'region push': a site holds the same
	     * documents already (they merge, equal), or learns the versions the
	     * region had published before this replica was made.
	     */
	    (rc = wk_store_exec(st, "UPDATE op SET changeset = 0 WHERE changeset IS NULL AND entity = 'policy_script'",
	                        "cannot set up the replica")) < 0 ||
	    /* Last: the mark of a whole replica. */
	    (rc = wk_store_meta_set(st, "role", "region-replica")) < 0 || (rc = wk_store_commit(st)) < 0)
		goto out;
	/* Everything into the main file before it is renamed alone: a WAL left behind would be lost. */
	{
		int logged = -1, moved = -1;
		if (sqlite3_wal_checkpoint_v2(wk_store_db(st), NULL, SQLITE_CHECKPOINT_TRUNCATE, &logged, &moved) !=
		        SQLITE_OK) {
			rc = wk_store_fail(st, sqlite3_errcode(wk_store_db(st)), "cannot finish the replica");
			goto out;
		}
	}
	wk_store_close(st);
	st = NULL;
	{
		char wal[4400];
		struct stat sb;
		snprintf(wal, sizeof(wal), "%s-wal", tmp);
		if (stat(wal, &sb) == 0 && sb.st_size > 0) {
			rc = wk_error_set(WK_EIO, "cannot finish the replica of site %s: its journal could not be written back "
			                  "(check the disk and its free space, then pull again)", site);
			goto out;
		}
	}
	if (rename(tmp, path) != 0) {
		rc = wk_error_set(WK_EIO, "cannot put the replica of site %s in place at '%s': %s; free some space or "
		                  "check the disk, then pull again", site, path, strerror(errno));
		goto out;
	}
	if (wk_fsync_dir(sites) != 0)
		rc = wk_error_set(errno == ENOSPC ? WK_ENOSPACE : WK_EIO, "cannot make the replica of site %s durable: "
		                  "%s; check the disk and its free space, then pull again", site, strerror(errno));
out:
	if (rc < 0) {
		wk_store_rollback(st);
		wk_store_close(st);
		unlink_store(tmp);
	}
	free(device);
	free(person);
	free(pdir);
	return rc;
}

int wk_region_site_store(wk_store **out, wk_store *region, const char *dir, const char *site, int create)
{
	char path[4200], *device = NULL, *person = NULL, *role = NULL;
	int rc;

	*out = NULL;
	if ((rc = wk_site_code_ok("site code", site)) < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/.wicket/sites/%s.db", dir, site);
	if (access(path, F_OK) != 0) {
		if (!create)
			return wk_error_set(WK_ENOTFOUND, "the region holds nothing of site %s yet", site);
		if ((rc = replica_create(region, dir, site, path)) < 0)
			return rc;
	}
	if ((rc = wk_store_open(out, path)) < 0 || (rc = wk_store_meta_get(*out, "role", &role)) < 0)
		goto out;
	if (!role || strcmp(role, "region-replica") != 0) {
		rc = wk_error_set(WK_ECORRUPT, "'%s' is not a whole replica of site %s (it was left half made by an older "
		                  "wicket); move it aside and pull again", path, site);
		goto out;
	}
	if ((rc = wk_store_meta_get(*out, "device", &device)) < 0 || (rc = wk_store_meta_get(*out, "person", &person)) < 0)
		goto out;
	rc = wk_entity_set_actor(*out, person, device);
out:
	if (rc < 0) {
		wk_store_close(*out);
		*out = NULL;
	}
	free(device);
	free(person);
	free(role);
	return rc;
}

int wk_region_rotate_root(wk_store *st, const char *dir, const wk_device_options *o, char root_hex[65])
{
	unsigned char spk[32], bpk[32];
	char oldp[4200], newp[4200], keepp[4200];
	wk_keys *oldk = NULL, *newk = NULL;
	wk_trust *t = NULL;
	wk_buf bytes = WK_BUF_INIT;
	int rc;

	path_of(oldp, sizeof(oldp), dir, "root.key");
	path_of(newp, sizeof(newp), dir, "root.key.new");
	path_of(keepp, sizeof(keepp), dir, "root.key.old");
	unlink(newp); /* a rotation interrupted before it was recorded left it: it signed nothing */
	if ((rc = wk_truststore_load(st, &t)) < 0 || (rc = wk_device_load_key(&oldk, oldp, o)) < 0)
		goto out;
	if (memcmp(wk_keys_sign_pk(oldk), wk_trust_root_pk(t), 32) != 0) {
		rc = wk_error_set(WK_EBADSIG, "the root key in '%s' is not the root of this region's trust file", oldp);
		goto out;
	}
	if ((rc = wk_device_create_key(newp, o, spk, bpk)) < 0 || (rc = wk_device_load_key(&newk, newp, o)) < 0 ||
	    (rc = wk_trust_rotate_root(t, spk, bpk, NULL)) < 0 ||
	    (rc = wk_trust_sign_with(&bytes, t, wk_device_sign, newk, wk_device_sign, oldk)) < 0 ||
	    (rc = wk_truststore_import(st, (const unsigned char *)bytes.ptr, bytes.len, NULL, NULL)) < 0)
		goto out;
	/* Recorded: the new key becomes the root key file. */
	if (rename(oldp, keepp) != 0 || rename(newp, oldp) != 0) {
		rc = wk_error_set(WK_EIO, "the new root is in the trust file, but moving '%s' into place failed: %s; "
		                  "move it to '%s' by hand", newp, strerror(errno), oldp);
		goto out;
	}
	wk_device_hex(root_hex, spk);
out:
	if (rc < 0 && access(newp, F_OK) == 0 && access(oldp, F_OK) == 0)
		unlink(newp);
	wk_keys_free(oldk);
	wk_keys_free(newk);
	wk_trust_free(t);
	wk_buf_free(&bytes);
	return rc;
}

int wk_region_enrol(wk_store *st, const char *dir, const unsigned char *req, size_t n, unsigned long long valid_from,
                    const wk_device_options *o, char keyid[17])
{
	wk_trust_request r;
	wk_trust *t = NULL;
	int rc;

	if ((rc = wk_trust_request_open(&r, req, n)) < 0 || (rc = wk_truststore_load(st, &t)) < 0)
		goto out;
	if (strcmp(r.region, wk_trust_region(t)) != 0) {
		rc = wk_error_set(WK_EINVALID, "the request is for region %s, not %s", r.region, wk_trust_region(t));
		goto out;
	}
	if ((rc = wk_trust_add_request(t, &r, valid_from ? valid_from : 1)) < 0 ||
	    (rc = sign_and_record(st, dir, t, o)) < 0)
		goto out;
	wk_trust_key_id(keyid, r.entry.sign_pk);
out:
	wk_trust_free(t);
	return rc;
}

static int find_key(const wk_trust *t, const char *keyid, const wk_trust_entry **out)
{
	size_t i, n = keyid ? strlen(keyid) : 0, found = 0;
	char id[17];

	*out = NULL;
	if (n < 8 || n > 16)
		return wk_error_set(WK_EINVALID, "give at least 8 hex digits of the key id ('wicket trust show' lists them)");
	for (i = 0; i < wk_trust_count(t); i++) {
		wk_trust_key_id(id, wk_trust_entry_at(t, i)->sign_pk);
		if (strncmp(id, keyid, n) == 0) {
			*out = wk_trust_entry_at(t, i);
			found++;
		}
	}
	if (found == 1)
		return 0;
	*out = NULL;
	return wk_error_set(found ? WK_EUSAGE : WK_ENOTFOUND, found ? "key id '%s' matches several keys; give more digits" :
	                    "no key '%s' in the trust file", keyid);
}

int wk_region_revoke(wk_store *st, const char *dir, const char *keyid, unsigned long long from,
                     const wk_device_options *o)
{
	const wk_trust_entry *e;
	wk_trust *t = NULL;
	unsigned char pk[32];
	int rc;

	if ((rc = wk_truststore_load(st, &t)) < 0 || (rc = find_key(t, keyid, &e)) < 0)
		goto out;
	memcpy(pk, e->sign_pk, 32);
	if ((rc = wk_trust_revoke(t, pk, from)) == 0)
		rc = sign_and_record(st, dir, t, o);
out:
	wk_trust_free(t);
	return rc;
}

int wk_region_rotate(wk_store *st, const char *dir, const char *keyid, const unsigned char *req, size_t n,
                     unsigned long long from, const wk_device_options *o, char newid[17])
{
	const wk_trust_entry *e;
	wk_trust_request r;
	wk_trust *t = NULL;
	unsigned char pk[32];
	int rc;

	if ((rc = wk_trust_request_open(&r, req, n)) < 0 || (rc = wk_truststore_load(st, &t)) < 0 ||
	    (rc = find_key(t, keyid, &e)) < 0)
		goto out;
	memcpy(pk, e->sign_pk, 32);
	r.entry.valid_from = from ? from : 1;
	if ((rc = wk_trust_rotate(t, pk, &r.entry)) == 0)
		rc = sign_and_record(st, dir, t, o);
	if (rc == 0)
		wk_trust_key_id(newid, r.entry.sign_pk);
out:
	wk_trust_free(t);
	return rc;
}
