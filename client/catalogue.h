/*
 * catalogue.h - the national catalogue: the regime stages and the EDMs, read
 * from policies/national as Lua data and kept in the store.
 *
 * Each document has a code and an integer version. Loading is idempotent: a
 * document already held with the same content is skipped. A newer version is
 * added beside the older one and never touches an establishment's plans or
 * assessments (plans name the EDM version they were built from). A document
 * whose version is already held with other content is refused: a changed
 * catalogue must carry a new version number.
 */
#ifndef WK_CATALOGUE_H
#define WK_CATALOGUE_H

#include <jansson.h>

#include "store.h"

/* Largest national document accepted, in bytes. */
#define WK_CATALOGUE_MAX_DOC ((size_t)4 << 20)

/*
 * Load stages.lua and every edm/ *.lua under policy_dir/national into the
 * store, inside the caller's transaction. *added (may be NULL) counts the
 * documents that were new.
 */
int wk_catalogue_load(wk_store *st, const char *policy_dir, int *added);

/* Load one document from Lua source (name is used in messages). */
int wk_catalogue_load_source(wk_store *st, const char *name, const char *src, size_t len,
                             int *added);

/* The EDMs held: [{code, version, title, baselines}], newest version of each first. */
int wk_catalogue_list(wk_store *st, json_t **out);

/* One EDM, "CODE" (newest) or "CODE@VERSION": its document with its id. */
int wk_catalogue_show(wk_store *st, const char *code, json_t **out);

/* The national_doc id of the newest version of EDM code ("edm:OMU@1"). */
int wk_catalogue_resolve(wk_store *st, const char *code, char **id);

/* The stages: [{number, name, colour}], 4 to 1. */
int wk_catalogue_stages(wk_store *st, json_t **out);

#endif
