/*
 * schema.h - the store's schema as a list of forward migrations.
 *
 * Migration N takes a store from user_version N-1 to N. Migrations are never
 * edited once released: a change is a new migration. The data model is
 * described in docs/data-model.md.
 */
#ifndef WK_SCHEMA_H
#define WK_SCHEMA_H

/* The SQL of each migration; wk_schema_migrations[0] is migration 1. */
extern const char *const wk_schema_migrations[];
extern const int wk_schema_count;

#endif
