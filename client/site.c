/*
 * site.c - wk_site_init: a new establishment store. See site.h.
 */
#include "site.h"
#include "catalogue.h"
#include "entity.h"
#include "error.h"
#include "field.h"
#include "rules.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int wk_site_code_ok(const char *what, const char *code)
{
	size_t n = code ? strlen(code) : 0;

	if (n < WK_FIELD_CODE_MIN || n > WK_FIELD_CODE_MAX)
		return wk_error_set(WK_EINVALID, "%s '%s' must be 2 to 16 characters", what, code ? code : "");
	if (!wk_field_is_code(code))
		return wk_error_set(WK_EINVALID, "%s '%s' may hold only letters, digits and '-'", what, code);
	return 0;
}

static int fill(wk_store *st, const wk_site_options *o, const char *device)
{
	char stage[4];
	int rc;

	snprintf(stage, sizeof(stage), "%d", o->stage);
	if ((rc = wk_store_meta_set(st, "site", o->site)) < 0 ||
	    (rc = wk_store_meta_set(st, "device", device)) < 0 ||
	    (rc = wk_store_meta_set(st, "person", o->person)) < 0 ||
	    (rc = wk_entity_set_actor(st, o->person, device)) < 0)
		return rc;
	if (!o->join && (
	    (rc = wk_entity_create(st, "establishment", o->site)) < 0 ||
	    (rc = wk_entity_set(st, "establishment", o->site, "name", o->name)) < 0 ||
	    (rc = wk_entity_set(st, "establishment", o->site, "category", o->category)) < 0 ||
	    (rc = wk_entity_set(st, "establishment", o->site, "function", o->function)) < 0 ||
	    (rc = wk_entity_set(st, "establishment", o->site, "current_stage", stage)) < 0))
		return rc;
	if ((rc = wk_catalogue_load(st, o->policy_dir, NULL)) < 0)
		return rc;
	return wk_rules_load_national(st, o->policy_dir, NULL);
}

int wk_site_init(wk_store **out, const char *path, const wk_site_options *o)
{
	wk_store *st = NULL;
	char device[24];
	unsigned char rnd[3];
	int rc;

	*out = NULL;
	if (sodium_init() < 0)
		return wk_error_set(WK_ERROR, "cannot start the crypto library");
	if ((rc = wk_site_code_ok("establishment code", o->site)) < 0 ||
	    (rc = wk_field_text("establishment name", o->name, 200, !o->join)) < 0 ||
	    (rc = wk_field_text("category", o->category, 40, !o->join)) < 0 ||
	    (rc = wk_field_text("function", o->function, 80, !o->join)) < 0 ||
	    (rc = wk_field_text("person", o->person, 200, 1)) < 0)
		return rc;
	if (o->stage < 1 || o->stage > 4)
		return wk_error_set(WK_EINVALID, "stage %d is not a stage; use 4, 3, 2 or 1", o->stage);
	if (o->device) {
		if ((rc = wk_site_code_ok("device code", o->device)) < 0)
			return rc;
		snprintf(device, sizeof(device), "%s", o->device);
	} else {
		randombytes_buf(rnd, sizeof(rnd));
		snprintf(device, sizeof(device), "d%02x%02x%02x", rnd[0], rnd[1], rnd[2]);
	}
	if ((rc = wk_store_create(&st, path)) < 0)
		return rc;
	if ((rc = wk_store_begin(st)) == 0) {
		rc = fill(st, o, device);
		if (rc == 0)
			rc = wk_store_commit(st);
	}
	if (rc < 0) {
		char wal[4200];
		wk_store_close(st);
		unlink(path);
		snprintf(wal, sizeof(wal), "%s-wal", path);
		unlink(wal);
		snprintf(wal, sizeof(wal), "%s-shm", path);
		unlink(wal);
		return rc;
	}
	*out = st;
	return 0;
}
