/*
 * bench_ingest - P4: the region's ingest of every establishment's
 * changesets, against the raw signature checks and inserts of the same
 * changesets, side by side in one run.
 *
 *   wicket: `wicket -C REGION region pull` in a child process, on a fresh copy
 *           (untimed) of REGION0, a region whose regional repository holds
 *           the changesets that bench/p4_ingest.sh made: it fetches every
 *           device's ref, and for each new commit checks trust, signature,
 *           chain, decrypts, decodes, checks scope and merges the changeset
 *           into that establishment's replica, one durable transaction each.
 *           Its wall time, and its peak resident set from wait4().
 *   raw:    in this process, for the same envelopes (read, with their
 *           operations, from each establishment's own store, untimed):
 *           libsodium's Ed25519 verify of each envelope's header and BLAKE2b
 *           of its payload (what the signature covers), then raw SQLite
 *           inserts of its operations and of the envelope into one database
 *           per establishment (an operation log and a changeset table like
 *           the store's, with the same indexes), one transaction per
 *           changeset, WAL with synchronous=FULL, as the region commits.
 *
 * No decryption, decoding, trust, chain, scope or merge on the raw side:
 * the ratio is what all of those, and git, cost on top of the floor.
 * Rounds alternate raw and wicket; medians are reported.
 * Usage: bench_ingest WICKET REGION0 SITES_DIR NSITES ROUNDS WORKDIR
 *   (SITES_DIR/S001 .. S<NSITES>: the establishments' folders)
 */
#include "bench.h"
#include "envelope.h"
#include "error.h"

#include <sodium.h>

typedef struct {
	long long seq;
	unsigned char *env;
	size_t n;
	wk_envelope_info info;
} cs_rec;

typedef struct {
	long long changeset, hlc;
	char *col[8]; /* device, person, entity, entity_id, kind, field, old_value, new_value */
} op_rec;

typedef struct {
	cs_rec *cs;
	size_t ncs;
	op_rec *ops;
	size_t nops;
} site_data;

static const char raw_schema[] =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE op (seq INTEGER PRIMARY KEY, hlc INTEGER NOT NULL, device TEXT NOT NULL,"
	" person TEXT NOT NULL, entity TEXT NOT NULL, entity_id TEXT NOT NULL, kind TEXT NOT NULL,"
	" field TEXT, old_value TEXT, new_value TEXT, changeset INTEGER);"
	"CREATE INDEX op_entity ON op(entity, entity_id);"
	"CREATE INDEX op_hlc ON op(hlc);"
	"CREATE INDEX op_pending ON op(device, changeset);"
	"CREATE TABLE changeset (site TEXT NOT NULL, device TEXT NOT NULL, seq INTEGER NOT NULL,"
	" hash BLOB NOT NULL, prev BLOB NOT NULL, envelope BLOB NOT NULL, ops INTEGER NOT NULL,"
	" recorded_at TEXT NOT NULL, PRIMARY KEY (site, device, seq));";

static void site_free(site_data *s)
{
	size_t i;
	int k;

	for (i = 0; i < s->ncs; i++)
		free(s->cs[i].env);
	for (i = 0; i < s->nops; i++)
		for (k = 0; k < 8; k++)
			free(s->ops[i].col[k]);
	free(s->cs);
	free(s->ops);
	memset(s, 0, sizeof(*s));
}

/* The changesets the establishment's device sealed, and their operations, from its store. */
static int site_load(site_data *s, const char *dir)
{
	char path[4200];
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	size_t cap;
	int rc = -1, k;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/.wicket/store.db", dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(db, "SELECT seq, envelope FROM changeset WHERE device = (SELECT value FROM meta WHERE"
	                       " key = 'device') ORDER BY seq", -1, &q, NULL) != SQLITE_OK)
		goto out;
	for (cap = 0; sqlite3_step(q) == SQLITE_ROW; s->ncs++) {
		cs_rec *c;
		if (s->ncs == cap && !(s->cs = realloc(s->cs, (cap = cap ? cap * 2 : 1024) * sizeof(*s->cs))))
			goto out;
		c = &s->cs[s->ncs];
		c->seq = sqlite3_column_int64(q, 0);
		c->n = (size_t)sqlite3_column_bytes(q, 1);
		if (!(c->env = malloc(c->n)))
			goto out;
		memcpy(c->env, sqlite3_column_blob(q, 1), c->n);
		if (wk_envelope_parse(&c->info, c->env, c->n, NULL) < 0) {
			free(c->env);
			goto out;
		}
	}
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(db, "SELECT changeset, hlc, device, person, entity, entity_id, kind, field, old_value,"
	                       " new_value FROM op WHERE changeset > 0 ORDER BY seq", -1, &q, NULL) != SQLITE_OK)
		goto out;
	for (cap = 0; sqlite3_step(q) == SQLITE_ROW; s->nops++) {
		op_rec *o;
		if (s->nops == cap && !(s->ops = realloc(s->ops, (cap = cap ? cap * 2 : 4096) * sizeof(*s->ops))))
			goto out;
		o = &s->ops[s->nops];
		o->changeset = sqlite3_column_int64(q, 0);
		o->hlc = sqlite3_column_int64(q, 1);
		for (k = 0; k < 8; k++) {
			const char *t = (const char *)sqlite3_column_text(q, k + 2);
			o->col[k] = t ? strdup(t) : NULL;
		}
	}
	rc = s->ncs > 0 ? 0 : -1;
out:
	sqlite3_finalize(q);
	sqlite3_close(db);
	return rc;
}

/* Verify and insert every changeset of s into a new database at path; seconds, or -1. */
static double raw_ingest(const site_data *s, const char *path, const char *site)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL, *cs = NULL;
	unsigned char hash[32];
	size_t i, o = 0;
	double t0 = 0, t = -1;
	int k, ok = 1;

	if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, raw_schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO op(hlc, device, person, entity, entity_id, kind, field, old_value,"
	                       " new_value, changeset) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", -1, &ins,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO changeset VALUES (?1, 'd1', ?2, ?3, ?4, ?5, ?6,"
	                       " strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))", -1, &cs, NULL) != SQLITE_OK)
		goto out;
	t0 = bench_now();
	for (i = 0; i < s->ncs && ok; i++) {
		const cs_rec *c = &s->cs[i];
		size_t first = o;

		crypto_generichash(hash, 32, c->info.payload, (size_t)c->info.payload_len, NULL, 0);
		if (crypto_sign_verify_detached(c->info.signature, c->env, c->info.header_len, c->info.signer) != 0 ||
		    sodium_memcmp(hash, c->info.payload_hash, 32) != 0) {
			fprintf(stderr, "bench_ingest: %s #%lld does not verify\n", site, c->seq);
			ok = 0;
			break;
		}
		ok = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
		for (; ok && o < s->nops && s->ops[o].changeset == c->seq; o++) {
			sqlite3_bind_int64(ins, 1, s->ops[o].hlc);
			for (k = 0; k < 8; k++)
				sqlite3_bind_text(ins, k + 2, s->ops[o].col[k], -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 10, c->seq);
			ok = sqlite3_step(ins) == SQLITE_DONE;
			sqlite3_reset(ins);
		}
		sqlite3_bind_text(cs, 1, site, -1, SQLITE_STATIC);
		sqlite3_bind_int64(cs, 2, c->seq);
		sqlite3_bind_blob(cs, 3, hash, 32, SQLITE_STATIC);
		sqlite3_bind_blob(cs, 4, c->info.prev, 32, SQLITE_STATIC);
		sqlite3_bind_blob(cs, 5, c->env, (int)c->n, SQLITE_STATIC);
		sqlite3_bind_int64(cs, 6, (long long)(o - first));
		ok = ok && sqlite3_step(cs) == SQLITE_DONE;
		sqlite3_reset(cs);
		ok = ok && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
	}
	if (ok)
		t = bench_now() - t0;
	else
		fprintf(stderr, "bench_ingest: raw insert failed: %s\n", sqlite3_errmsg(db));
out:
	if (t0 == 0)
		fprintf(stderr, "bench_ingest: cannot create %s: %s\n", path, db ? sqlite3_errmsg(db) : "no memory");
	sqlite3_finalize(ins);
	sqlite3_finalize(cs);
	sqlite3_close(db);
	return t;
}

static int sh(const char *a, const char *b, const char *c, const char *d)
{
	char *argv[] = { (char *)a, (char *)b, (char *)c, (char *)d, NULL };
	double t;

	return bench_run(argv, NULL, &t, NULL);
}

/* Changesets held by the region's replicas in dir (every establishment's, from its own device). */
static long long replica_changesets(const char *dir, int nsites)
{
	long long total = 0;
	int i;

	for (i = 1; i <= nsites; i++) {
		char path[4200];
		sqlite3 *db = NULL;
		sqlite3_stmt *q = NULL;

		snprintf(path, sizeof(path), "%s/.wicket/sites/S%03d.db", dir, i);
		if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
		    sqlite3_prepare_v2(db, "SELECT count(*) FROM changeset WHERE device = 'd1'", -1, &q, NULL) == SQLITE_OK &&
		    sqlite3_step(q) == SQLITE_ROW)
			total += sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
	return total;
}

int main(int argc, char **argv)
{
	const char *wicket, *region0, *sites, *work;
	int nsites, rounds, r, i;
	double *tw, *tr, *mem, tpull;
	long long expect = 0, nops = 0;
	char dir[4200], path[4300], log[4300];

	if (argc < 7 || sodium_init() < 0) {
		fprintf(stderr, "usage: bench_ingest WICKET REGION0 SITES_DIR NSITES ROUNDS WORKDIR\n");
		return 2;
	}
	wicket = argv[1];
	region0 = argv[2];
	sites = argv[3];
	nsites = atoi(argv[4]);
	rounds = atoi(argv[5]);
	work = argv[6];
	if (nsites < 1 || nsites > 999 || rounds < 1)
		return 2;
	tw = calloc((size_t)rounds, sizeof(double));
	tr = calloc((size_t)rounds, sizeof(double));
	mem = calloc((size_t)rounds, sizeof(double));
	for (r = 0; r < rounds; r++) {
		/* raw */
		snprintf(dir, sizeof(dir), "%s/raw", work);
		sh("/bin/rm", "-rf", dir, NULL);
		if (mkdir(dir, 0700) != 0)
			return 1;
		expect = nops = 0;
		for (i = 1; i <= nsites; i++) {
			site_data s;
			char code[8];
			double t;

			snprintf(code, sizeof(code), "S%03d", i);
			snprintf(path, sizeof(path), "%s/%s", sites, code);
			if (site_load(&s, path) < 0) {
				fprintf(stderr, "bench_ingest: cannot read the changesets of %s\n", path);
				return 1;
			}
			snprintf(path, sizeof(path), "%s/%s.db", dir, code);
			t = raw_ingest(&s, path, code);
			expect += (long long)s.ncs;
			nops += (long long)s.nops;
			site_free(&s);
			if (t < 0)
				return 1;
			tr[r] += t;
		}
		sh("/bin/rm", "-rf", dir, NULL);
		/* wicket */
		snprintf(dir, sizeof(dir), "%s/region", work);
		snprintf(log, sizeof(log), "%s/pull.log", work);
		sh("/bin/rm", "-rf", dir, NULL);
		if (sh("/bin/cp", "-a", region0, dir) != 0)
			return 1;
		{
			char *pull[] = { (char *)wicket, "-C", dir, "region", "pull", NULL };
			long kb = 0;

			if (bench_run(pull, log, &tpull, &kb) != 0) {
				fprintf(stderr, "bench_ingest: region pull failed (see %s)\n", log);
				return 1;
			}
			tw[r] = tpull;
			mem[r] = (double)kb;
		}
		if (replica_changesets(dir, nsites) != expect) {
			fprintf(stderr, "bench_ingest: the region holds %lld changesets, not %lld\n",
			        replica_changesets(dir, nsites), expect);
			return 1;
		}
		sh("/bin/rm", "-rf", dir, NULL);
		fprintf(stderr, "bench_ingest: round %d: raw %.2f s, wicket %.2f s, %.1f MB\n", r + 1, tr[r], tw[r],
		        mem[r] / 1024);
	}
	{
		double w = bench_median(tw, rounds), raw = bench_median(tr, rounds), m = bench_median(mem, rounds) / 1024;
		int ok_t = w / raw <= 2, ok_m = m <= 64;

		printf("| measure (%d establishments, %lld changesets, %lld operations; median of %d rounds) | wicket region "
		       "pull | raw verify + insert | wicket / raw | target | |\n", nsites, expect, nops, rounds);
		printf("| --- | --- | --- | --- | --- | --- |\n");
		printf("| time (s) | %.2f | %.2f | %.2fx | <= 2x | %s |\n", w, raw, w / raw, ok_t ? "met" : "missed");
		printf("| changesets/s | %.0f | %.0f | | | |\n", expect / w, expect / raw);
		printf("| peak memory of the pull (MB) | %.1f | | | <= 64 MB | %s |\n", m, ok_m ? "met" : "missed");
		printf("{\"sites\":%d,\"changesets\":%lld,\"operations\":%lld,\"rounds\":%d,\"wicket_s\":%.3f,\"raw_s\":%.3f,"
		       "\"ratio\":%.3f,\"peak_mb\":%.1f,\"met\":{\"time_2x\":%s,\"memory_64mb\":%s}}\n",
		       nsites, expect, nops, rounds, w, raw, w / raw, m, ok_t ? "true" : "false", ok_m ? "true" : "false");
	}
	free(tw);
	free(tr);
	free(mem);
	return 0;
}
