/*
 * schema.c - the forward migrations of the store. See schema.h.
 *
 * Columns are nullable except ids: required fields are enforced by the
 * domain layer and the policies, so that a replay of field-level operations
 * (create, then one set per field) passes through valid intermediate states.
 * Every domain row is written through the entity layer, which records an
 * operation in `op` in the same transaction.
 */
#include "schema.h"

static const char migration1[] =
	/* Settings of this store: site, device, default person, clock, counters. */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;\n"

	/* The operation log: every field-level change, in this device's order. */
	"CREATE TABLE op (\n"
	"  seq INTEGER PRIMARY KEY,\n"       /* this store's order, from 1, no gaps */
	"  hlc INTEGER NOT NULL,\n"          /* hybrid logical clock */
	"  device TEXT NOT NULL,\n"
	"  person TEXT NOT NULL,\n"
	"  entity TEXT NOT NULL,\n"
	"  entity_id TEXT NOT NULL,\n"
	"  kind TEXT NOT NULL CHECK (kind IN ('create','set')),\n"
	"  field TEXT,\n"
	"  old_value TEXT,\n"
	"  new_value TEXT,\n"
	"  changeset INTEGER\n"              /* sealed into; NULL: pending */
	");\n"
	"CREATE INDEX op_entity ON op(entity, entity_id);\n"
	"CREATE INDEX op_hlc ON op(hlc);\n"

	/* National documents (EDMs, stages), loaded from policies/national. */
	"CREATE TABLE national_doc (\n"
	"  id TEXT PRIMARY KEY,\n"           /* e.g. 'edm:OMU@1', 'stages@1' */
	"  kind TEXT, code TEXT, version INTEGER, title TEXT, sha256 TEXT, doc TEXT\n"
	");\n"
	/* Derived from national_doc.doc by the triggers below; never written directly. */
	"CREATE TABLE edm_baseline (\n"
	"  edm_id TEXT NOT NULL REFERENCES national_doc(id) ON DELETE CASCADE,\n"
	"  baseline TEXT NOT NULL, position INTEGER NOT NULL,\n"
	"  area_number INTEGER, area_title TEXT, text TEXT,\n"
	"  weighting INTEGER, autonomy TEXT, mandatory INTEGER, sources TEXT,\n"
	"  PRIMARY KEY (edm_id, baseline)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE stage (\n"
	"  number INTEGER PRIMARY KEY, name TEXT NOT NULL, colour TEXT, doc_id TEXT\n"
	");\n"
	"CREATE TRIGGER national_doc_index AFTER UPDATE OF doc ON national_doc\n"
	"WHEN NEW.kind = 'edm' AND NEW.doc IS NOT NULL BEGIN\n"
	"  DELETE FROM edm_baseline WHERE edm_id = NEW.id;\n"
	"  INSERT INTO edm_baseline(edm_id, baseline, position, area_number, area_title, text,\n"
	"                           weighting, autonomy, mandatory, sources)\n"
	"  SELECT NEW.id, json_extract(b.value, '$.id'), a.key * 1000 + b.key,\n"
	"         json_extract(a.value, '$.number'), json_extract(a.value, '$.title'),\n"
	"         json_extract(b.value, '$.text'), json_extract(b.value, '$.weighting'),\n"
	"         json_extract(b.value, '$.autonomy'), json_extract(b.value, '$.mandatory'),\n"
	"         json_extract(b.value, '$.sources')\n"
	"  FROM json_each(NEW.doc, '$.areas') AS a, json_each(a.value, '$.baselines') AS b;\n"
	"END;\n"
	"CREATE TRIGGER national_doc_stages AFTER UPDATE OF doc ON national_doc\n"
	"WHEN NEW.kind = 'stages' AND NEW.doc IS NOT NULL BEGIN\n"
	"  DELETE FROM stage;\n"
	"  INSERT INTO stage(number, name, colour, doc_id)\n"
	"  SELECT json_extract(s.value, '$.number'), json_extract(s.value, '$.name'),\n"
	"         json_extract(s.value, '$.colour'), NEW.id\n"
	"  FROM json_each(NEW.doc, '$.stages') AS s;\n"
	"END;\n"

	"CREATE TABLE establishment (\n"
	"  id TEXT PRIMARY KEY,\n"           /* the site code */
	"  name TEXT, category TEXT, function TEXT, current_stage INTEGER\n"
	");\n"
	"CREATE TABLE plan (\n"
	"  id TEXT PRIMARY KEY,\n"
	"  establishment TEXT REFERENCES establishment(id),\n"
	"  edm TEXT REFERENCES national_doc(id),\n"
	"  title TEXT, current_stage INTEGER, target_stage INTEGER, status TEXT\n"
	");\n"
	"CREATE TABLE assessment (\n"
	"  id TEXT PRIMARY KEY,\n"           /* '<plan>/<baseline>' */
	"  plan TEXT REFERENCES plan(id), baseline TEXT,\n"
	"  status TEXT, local_arrangement TEXT, owner TEXT, target_date TEXT,\n"
	"  evidence TEXT, rationale TEXT\n"
	");\n"
	"CREATE INDEX assessment_plan ON assessment(plan);\n"
	"CREATE TABLE inspection (\n"
	"  id TEXT PRIMARY KEY,\n"
	"  title TEXT, inspectorate TEXT, report_published TEXT, plan_submitted TEXT\n"
	");\n"
	"CREATE TABLE recommendation (\n"
	"  id TEXT PRIMARY KEY,\n"           /* '<inspection>/<number>' */
	"  inspection TEXT REFERENCES inspection(id), number TEXT, position INTEGER,\n"
	"  addressee TEXT, text TEXT, text_missing INTEGER, response TEXT,\n"
	"  reason_category TEXT, part_implemented TEXT, response_text TEXT, note TEXT\n"
	");\n"
	"CREATE INDEX recommendation_inspection ON recommendation(inspection);\n"
	"CREATE TABLE action (\n"
	"  id TEXT PRIMARY KEY,\n"
	"  recommendation TEXT REFERENCES recommendation(id),\n"
	"  assessment TEXT REFERENCES assessment(id),\n"
	"  position INTEGER, text TEXT, owner TEXT,\n"
	"  target_date TEXT, target_text TEXT, status TEXT, completion_date TEXT\n"
	");\n"
	"CREATE INDEX action_recommendation ON action(recommendation);\n"
	"CREATE INDEX action_assessment ON action(assessment);\n"
	/* Append-only children: revised target dates, progress updates, decisions. */
	"CREATE TABLE action_revision (\n"
	"  id TEXT PRIMARY KEY, action TEXT REFERENCES action(id),\n"
	"  previous_date TEXT, target_date TEXT, reason TEXT, recorded_at TEXT\n"
	");\n"
	"CREATE INDEX action_revision_action ON action_revision(action);\n"
	"CREATE TABLE progress (\n"
	"  id TEXT PRIMARY KEY, action TEXT REFERENCES action(id),\n"
	"  recorded_at TEXT, text TEXT, person TEXT\n"
	");\n"
	"CREATE INDEX progress_action ON progress(action);\n"
	"CREATE TABLE decision (\n"
	"  id TEXT PRIMARY KEY, plan TEXT REFERENCES plan(id),\n"
	"  decided_on TEXT, recorded_at TEXT, decision TEXT, rationale TEXT, who TEXT\n"
	");\n";

/*
 * Migration 2: policy scripts as store content. National rules and each
 * establishment's scripts are versioned records, so installing or changing
 * one is an operation like any other (it syncs and is audited), and every
 * policy result can name the exact script versions that produced it.
 */
static const char migration2[] =
	"CREATE TABLE policy_script (\n"
	"  id TEXT PRIMARY KEY,\n"          /* 'national/rules.lua', 'sites/LEI/rules.lua' */
	"  kind TEXT,\n"                    /* 'national' or 'site' */
	"  version INTEGER,\n"              /* 1, 2, ...: goes up with each change */
	"  sha256 TEXT, source TEXT, installed_at TEXT\n"
	");\n"
	/* The target an imported action plan gave, so a re-import can tell its changes from local ones. */
	"ALTER TABLE action ADD COLUMN source_target TEXT;\n"
	/* The stage table follows the newest stages document, whatever the order of loading. */
	"DROP TRIGGER national_doc_stages;\n"
	"CREATE TRIGGER national_doc_stages AFTER UPDATE OF doc ON national_doc\n"
	"WHEN NEW.kind = 'stages' AND NEW.doc IS NOT NULL AND NEW.version >=\n"
	"  (SELECT max(version) FROM national_doc WHERE kind = 'stages') BEGIN\n"
	"  DELETE FROM stage;\n"
	"  INSERT INTO stage(number, name, colour, doc_id)\n"
	"  SELECT json_extract(s.value, '$.number'), json_extract(s.value, '$.name'),\n"
	"         json_extract(s.value, '$.colour'), NEW.id\n"
	"  FROM json_each(NEW.doc, '$.stages') AS s;\n"
	"END;\n";

/*
 * Migration 3: the ledger of changesets. Every changeset this store holds,
 * its own and those received, with its envelope as sent; what was refused,
 * with the reason; and the trust files, newest last.
 */
static const char migration3[] =
	"CREATE TABLE changeset (\n"
	"  site TEXT NOT NULL, device TEXT NOT NULL, seq INTEGER NOT NULL,\n"
	"  hash BLOB NOT NULL, prev BLOB NOT NULL, envelope BLOB NOT NULL,\n"
	"  ops INTEGER NOT NULL, recorded_at TEXT NOT NULL,\n"
	"  PRIMARY KEY (site, device, seq)\n"
	");\n"
	"CREATE TABLE quarantine (\n"
	"  id INTEGER PRIMARY KEY, recorded_at TEXT NOT NULL, source TEXT,\n"
	"  site TEXT, device TEXT, seq INTEGER, reason TEXT NOT NULL, envelope BLOB\n"
	");\n"
	"CREATE TABLE trust_file (\n"
	"  version INTEGER PRIMARY KEY, region TEXT NOT NULL, bytes BLOB NOT NULL, installed_at TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX op_pending ON op(device, changeset);\n";

/*
 * Migration 4: the regional repository. Each changeset's commit in the local
 * mirror, and whether the remote confirmed it (a change is delivered only then).
 */
static const char migration4[] =
	"ALTER TABLE changeset ADD COLUMN git_oid TEXT;\n"
	"ALTER TABLE changeset ADD COLUMN pushed INTEGER NOT NULL DEFAULT 0;\n";

/*
 * Migration 5: sign-off. Each decision of a regional role on a plan, with the
 * hash of the plan's content it was made on: a later material change to the
 * plan makes the sign-off stale, visibly, until it is signed again.
 */
static const char migration5[] =
	"CREATE TABLE signoff (\n"
	"  id TEXT PRIMARY KEY, plan TEXT REFERENCES plan(id),\n"
	"  role TEXT, decision TEXT, reason TEXT, content_hash TEXT, person TEXT, signed_at TEXT\n"
	");\n"
	"CREATE INDEX signoff_plan ON signoff(plan);\n";

/*
 * Migration 6: field-level merge. Each set records the writes of that field
 * its writer had seen (parents); field_head holds the writes of each field
 * that no later write held here has seen: one per field in a line of
 * history, several when writers worked concurrently (a conflict, until the
 * region resolves it). Changesets that arrive before the ones they depend
 * on wait in `waiting`. Existing history is taken as a line: its newest
 * write of each field is the head.
 */
static const char migration6[] =
	"ALTER TABLE op ADD COLUMN parents TEXT;\n"
	"CREATE TABLE field_head (\n"
	"  entity TEXT NOT NULL, entity_id TEXT NOT NULL, field TEXT NOT NULL,\n"
	"  hlc INTEGER NOT NULL, device TEXT NOT NULL, op INTEGER NOT NULL,\n"
	"  PRIMARY KEY (entity, entity_id, field, hlc, device)\n"
	") WITHOUT ROWID;\n"
	"INSERT INTO field_head(entity, entity_id, field, hlc, device, op)\n"
	"  SELECT entity, entity_id, field, hlc, device, seq FROM (\n"
	"    SELECT *, row_number() OVER (PARTITION BY entity, entity_id, field ORDER BY hlc DESC, device DESC) AS n\n"
	"    FROM op WHERE kind = 'set') WHERE n = 1;\n"
	"CREATE TABLE waiting (\n"
	"  site TEXT NOT NULL, device TEXT NOT NULL, seq INTEGER NOT NULL,\n"
	"  source TEXT, reason TEXT NOT NULL, envelope BLOB NOT NULL,\n"
	"  PRIMARY KEY (site, device, seq)\n"
	");\n";

const char *const wk_schema_migrations[] = { migration1, migration2, migration3, migration4, migration5, migration6 };
const int wk_schema_count = (int)(sizeof(wk_schema_migrations) / sizeof(wk_schema_migrations[0]));
