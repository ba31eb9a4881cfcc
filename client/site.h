/*
 * site.h - creating an establishment's store: its code, its device, the
 * person who works on it by default, its establishment record and the
 * national catalogue.
 */
#ifndef WK_SITE_H
#define WK_SITE_H

#include "store.h"

typedef struct {
	const char *site;      /* establishment code, e.g. "LEI" */
	const char *name;      /* "HMP Leeds" */
	const char *category;  /* "A", "B", "C", "D", "YOI", "female" ... */
	const char *function;  /* "reception", "training", "resettlement", "high security" ... */
	int stage;             /* current regime stage, 1..4 */
	const char *person;    /* who works on this device by default */
	const char *device;    /* device code; NULL: generated */
	const char *policy_dir;
	int join;              /* a further device of an existing establishment: its records arrive by sync */
} wk_site_options;

#define WK_SITE_OPTIONS_INIT { NULL, NULL, NULL, NULL, 3, NULL, NULL, NULL, 0 }

/*
 * Create the store at path (its directory must exist) for one establishment.
 * The first device creates the establishment record; a device that joins an
 * existing establishment (join) starts with the national catalogue only and
 * receives the establishment's records from its other devices, so that two
 * devices never both create them. On failure nothing is left behind. *out
 * belongs to the caller.
 */
int wk_site_init(wk_store **out, const char *path, const wk_site_options *opts);

/* Check a site or device code: 2-16 of A-Z, a-z, 0-9 and '-'. */
int wk_site_code_ok(const char *what, const char *code);

#endif
