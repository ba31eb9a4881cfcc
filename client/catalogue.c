/*
 * catalogue.c - national documents from Lua data into the store. See
 * catalogue.h. The Lua runs in the policy host's sandbox; what comes back is
 * canonical JSON, which is stored as the document and indexed by the
 * store's triggers (edm_baseline, stage).
 */
#include "catalogue.h"
#include "buf.h"
#include "entity.h"
#include "error.h"
#include "policy.h"
#include "query.h"

#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int doc_check(const char *name, json_t *doc, const char **kind, const char **code,
                     json_int_t *version)
{
	json_t *k = json_object_get(doc, "kind"), *v = json_object_get(doc, "version");

	*kind = json_string_value(k);
	if (!*kind || (strcmp(*kind, "edm") != 0 && strcmp(*kind, "stages") != 0))
		return wk_error_set(WK_EINVALID, "national document '%s' has no kind \"edm\" or \"stages\"", name);
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return wk_error_set(WK_EINVALID, "national document '%s' needs an integer version of 1 or more", name);
	*version = json_integer_value(v);
	*code = strcmp(*kind, "stages") == 0 ? "stages" : json_string_value(json_object_get(doc, "code"));
	if (!*code || !**code || strlen(*code) > 32)
		return wk_error_set(WK_EINVALID, "national document '%s' has no code", name);
	if (strcmp(*kind, "edm") == 0 && !json_is_array(json_object_get(doc, "areas")))
		return wk_error_set(WK_EINVALID, "EDM '%s' has no areas", name);
	if (strcmp(*kind, "stages") == 0 && !json_is_array(json_object_get(doc, "stages")))
		return wk_error_set(WK_EINVALID, "stages document '%s' has no stages", name);
	return 0;
}

int wk_catalogue_load_source(wk_store *st, const char *name, const char *src, size_t len,
                             int *added)
{
	wk_buf js = WK_BUF_INIT;
	json_t *doc = NULL;
	json_error_t jerr;
	const char *kind = NULL, *code = NULL;
	json_int_t version = 0;
	unsigned char hash[crypto_hash_sha256_BYTES];
	char hex[crypto_hash_sha256_BYTES * 2 + 1], id[64], *held = NULL;
	int rc;

	js.max = WK_CATALOGUE_MAX_DOC;
	if ((rc = wk_policy_data_json(&js, name, src, len, NULL)) < 0)
		goto out;
	doc = json_loadb(js.ptr, js.len, 0, &jerr);
	if (!doc) {
		rc = wk_error_set(WK_EINVALID, "national document '%s' gave unreadable data: %s", name, jerr.text);
		goto out;
	}
	if ((rc = doc_check(name, doc, &kind, &code, &version)) < 0)
		goto out;
	crypto_hash_sha256(hash, (const unsigned char *)js.ptr, js.len);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	if (strcmp(kind, "stages") == 0)
		snprintf(id, sizeof(id), "stages@%lld", (long long)version);
	else
		snprintf(id, sizeof(id), "edm:%s@%lld", code, (long long)version);

	rc = wk_entity_exists(st, "national_doc", id);
	if (rc < 0)
		goto out;
	if (rc == 1) {
		if ((rc = wk_entity_get(st, "national_doc", id, "sha256", &held)) < 0)
			goto out;
		if (!held || strcmp(held, hex) != 0) {
			rc = wk_error_set(WK_ECONFLICT,
				"national document '%s' (%s version %lld) differs from the one already loaded; "
				"a changed catalogue needs a new version number", name, code, (long long)version);
			goto out;
		}
		rc = 0; /* the same document: nothing to do */
		goto out;
	}
	if ((rc = wk_entity_create(st, "national_doc", id)) < 0 ||
	    (rc = wk_entity_set(st, "national_doc", id, "kind", kind)) < 0 ||
	    (rc = wk_entity_set(st, "national_doc", id, "code", code)) < 0 ||
	    (rc = wk_entity_set_int(st, "national_doc", id, "version", version)) < 0 ||
	    (rc = wk_entity_set(st, "national_doc", id, "title",
	                        json_string_value(json_object_get(doc, "title")))) < 0 ||
	    (rc = wk_entity_set(st, "national_doc", id, "sha256", hex)) < 0 ||
	    (rc = wk_entity_set(st, "national_doc", id, "doc", js.ptr)) < 0)
		goto out;
	if (added)
		(*added)++;
out:
	free(held);
	json_decref(doc);
	wk_buf_free(&js);
	return rc;
}

static int load_file(wk_store *st, const char *dir, const char *rel, int *added)
{
	wk_buf src = WK_BUF_INIT;
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if ((rc = wk_buf_read_file(&src, path, WK_CATALOGUE_MAX_DOC, "national document")) == 0)
		rc = wk_catalogue_load_source(st, rel, src.ptr, src.len, added);
	wk_buf_free(&src);
	return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int lua_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 4 && strcmp(d->d_name + n - 4, ".lua") == 0;
}

int wk_catalogue_load(wk_store *st, const char *policy_dir, int *added)
{
	struct dirent **list = NULL;
	char dir[4096], rel[4200];
	int n, i, rc;

	snprintf(dir, sizeof(dir), "%s/national", policy_dir);
	if ((rc = load_file(st, dir, "stages.lua", added)) < 0)
		return rc;
	snprintf(rel, sizeof(rel), "%s/edm", dir);
	n = scandir(rel, &list, lua_file, by_name);
	if (n < 0)
		return wk_error_set(WK_ENOTFOUND, "cannot read the national EDMs in '%s'; "
		                    "check the installation or set WICKET_POLICY_DIR", rel);
	for (i = 0, rc = 0; i < n; i++) {
		if (rc == 0) {
			snprintf(rel, sizeof(rel), "edm/%s", list[i]->d_name);
			rc = load_file(st, dir, rel, added);
		}
		free(list[i]);
	}
	free(list);
	return rc;
}

int wk_catalogue_list(wk_store *st, json_t **out)
{
	int rc = wk_query_json(st, NULL, 0,
		"SELECT json_group_array(json_object('code', code, 'version', version, 'title', title,"
		" 'id', id, 'baselines', (SELECT count(*) FROM edm_baseline b WHERE b.edm_id = d.id)))"
		" FROM (SELECT * FROM national_doc WHERE kind = 'edm' ORDER BY code, version DESC) AS d",
		out);
	return rc == WK_ENOTFOUND ? wk_error_set(rc, "the catalogue is empty") : rc;
}

int wk_catalogue_resolve(wk_store *st, const char *code, char **id)
{
	sqlite3_stmt *s = NULL;
	const char *at = strchr(code, '@');
	int rc;

	*id = NULL;
	rc = wk_store_prepare(st, &s,
		"SELECT id FROM national_doc WHERE kind = 'edm' AND (upper(code) = upper(?1) OR upper(id) = upper('edm:' || ?1))"
		" ORDER BY version DESC LIMIT 1");
	if (rc < 0)
		return rc;
	sqlite3_bind_text(s, 1, code, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = strdup((const char *)sqlite3_column_text(s, 0));
		rc = *id ? 0 : wk_error_set(WK_ELIMIT, "out of memory");
	} else if (rc == SQLITE_DONE) {
		rc = wk_error_set(WK_ENOTFOUND, "no EDM '%s' in the catalogue%s; 'wicket edm list' shows what there is",
		                  code, at ? " at that version" : "");
	} else {
		rc = wk_store_fail(st, rc, "cannot read the catalogue");
	}
	sqlite3_finalize(s);
	return rc;
}

int wk_catalogue_show(wk_store *st, const char *code, json_t **out)
{
	char *id = NULL;
	int rc;

	if ((rc = wk_catalogue_resolve(st, code, &id)) < 0)
		return rc;
	rc = wk_query_json(st, (const char *[]){ id }, 1,
	                   "SELECT json_set(doc, '$.id', id) FROM national_doc WHERE id = ?1", out);
	free(id);
	return rc;
}

int wk_catalogue_stages(wk_store *st, json_t **out)
{
	int rc = wk_query_json(st, NULL, 0,
		"SELECT json_group_array(json_object('number', number, 'name', name, 'colour', colour))"
		" FROM (SELECT * FROM stage ORDER BY number DESC)", out);
	return rc == WK_ENOTFOUND ? wk_error_set(rc, "no stages are loaded") : rc;
}
