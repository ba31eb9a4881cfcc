/*
 * fixture.h - a fresh establishment store for C tests, and a dump of its
 * domain state to compare two stores.
 */
#ifndef WK_TEST_FIXTURE_H
#define WK_TEST_FIXTURE_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "entity.h"
#include "error.h"
#include "site.h"
#include "store.h"

/* A new store for site in a new temporary directory; path gets the file's path. */
static inline wk_store *fixture_site(const char *site, const char *device, char *path, size_t size)
{
	wk_site_options o = WK_SITE_OPTIONS_INIT;
	wk_store *st = NULL;
	char dir[] = "/tmp/wk-test-XXXXXX";
	const char *pol = getenv("WICKET_POLICY_DIR");

	if (!mkdtemp(dir))
		return NULL;
	snprintf(path, size, "%s/store.db", dir);
	o.site = site;
	o.name = "HMP Test";
	o.category = "B";
	o.function = "reception";
	o.person = "Test Person";
	o.device = device;
	o.policy_dir = pol && *pol ? pol : "policies";
	if (wk_site_init(&st, path, &o) < 0) {
		fprintf(stderr, "fixture: %s\n", wk_error_msg());
		return NULL;
	}
	return st;
}

/* Every domain table, in a fixed order, as text: equal dumps mean equal state. */
static inline char *fixture_dump(wk_store *st)
{
	static const char *const tables[] = { "national_doc", "edm_baseline", "stage", "establishment",
		"plan", "assessment", "inspection", "recommendation", "action", "action_revision",
		"progress", "decision", "policy_script", NULL };
	wk_buf out = WK_BUF_INIT;
	sqlite3_stmt *s;
	char sql[128];
	int i, c;

	for (i = 0; tables[i]; i++) {
		snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY 1, 2", tables[i]);
		wk_buf_printf(&out, "== %s\n", tables[i]);
		if (sqlite3_prepare_v2(wk_store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
			return NULL;
		while (sqlite3_step(s) == SQLITE_ROW) {
			for (c = 0; c < sqlite3_column_count(s); c++) {
				const char *v = (const char *)sqlite3_column_text(s, c);
				wk_buf_printf(&out, "%s%s", c ? "|" : "", v ? v : "<null>");
			}
			wk_buf_putc(&out, '\n');
		}
		sqlite3_finalize(s);
	}
	return wk_buf_detach(&out);
}

#endif
