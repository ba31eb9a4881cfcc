/*
 * sim.h - a seeded, reproducible simulation of establishments, their devices
 * and the region, writing concurrently and exchanging changesets over a
 * network that reorders, duplicates and partitions, checked against an
 * oracle written apart from the merge code.
 *
 * Every replica is a real store; every exchange is a real sealed, signed
 * envelope accepted by the ledger. Devices create actions and change their
 * fields (a small pool of values, so that equal concurrent values happen);
 * the region's replica of each site resolves conflicts it sees. Messages
 * are delivered in random order, some more than once, some replicas cut off
 * for a while; a changeset refused as a gap in its chain is offered again
 * later, as the regional repository would. At the end every envelope
 * reaches every replica of its site.
 *
 * The oracle keeps, for every write, which writes of that field its writer
 * held when it wrote (from the sim's own record of what was delivered, not
 * from the store's merge tables), and derives from that alone what a write
 * overwrites: the writes showing the value the writer saw (all of them, for
 * a resolution). At the end a field's heads are the writes nothing
 * overwrote; its value is the newest head's by (clock, device); a conflict
 * is a field whose heads hold different values. Every replica must hold
 * exactly that, and list exactly those conflicts. While running, every
 * write also checks that the store showed its writer the value the oracle
 * expects.
 */
#ifndef WK_TEST_SIM_H
#define WK_TEST_SIM_H

#include "parties.h"
#include "conflict.h"
#include "entity.h"
#include "ledger.h"
#include "query.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
	int sites, devices;   /* establishments, devices each (plus one region replica per site) */
	long ops;             /* writes to attempt in all */
	uint64_t seed;
	int dup_pct;          /* chance a delivered message stays queued (a duplicate later) */
	int cut_pct;          /* chance per step that a replica is cut off for a while */
	int resolve_pct;      /* chance per step that a region replica resolves a conflict */
	int verbose;
} sim_options;

typedef struct {
	long writes, creates, resolutions, changesets, deliveries, applied, duplicates, waiting, gaps, cuts;
	long conflicts, fields, mismatches;
	double seconds;
} sim_result;

/* ---- a small PRNG: splitmix64, so runs reproduce on every machine ---------- */

static uint64_t sim_rng;

static uint64_t sim_next(void)
{
	uint64_t z = (sim_rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static long sim_below(long n)
{
	return n > 0 ? (long)(sim_next() % (uint64_t)n) : 0;
}

/* ---- the oracle ------------------------------------------------------------ */

#define SIM_FIELDS 4
static const char *const sim_fields[SIM_FIELDS] = { "owner", "text", "target_text", "status" };
static const char *const sim_values[] = { "alpha", "bravo", "charlie", "delta", "echo" };

typedef struct {
	int replica;          /* who wrote it */
	int chain;            /* its chain (device) index */
	long seq;             /* changeset seq once sealed; 0 before */
	int64_t hlc;
	char device[24];
	int value;            /* index into sim_values */
	int rec, field;
	long *over;           /* the writes it overwrites */
	size_t nover;
	int overwritten;      /* by a later write (any) */
} sim_write;

typedef struct {
	char id[48];
	int site;
} sim_record;

typedef struct {
	wk_store *st;
	int site, chain;      /* chain: index of its device in the sim's chains */
	int region;           /* the region's replica of the site */
	party key;
	char device[24];
	long *held;           /* per chain: highest changeset seq held */
	long sealed_seq;      /* this replica's own chain */
	int cut;              /* steps left cut off */
} sim_replica;

typedef struct {
	unsigned char *env;
	size_t len;
	int to, chain;
	long seq;
} sim_msg;

typedef struct {
	sim_options o;
	sim_result r;
	wk_trust *trust;
	party root, officer;
	sim_replica *rep;
	int nrep;
	sim_write *w;
	long nw, capw;
	long *pending;        /* per replica: index of its first write not yet sealed */
	sim_record *recs;
	int nrecs, caprecs;
	long **field_writes;  /* per (record, field): the writes, as indexes */
	size_t *nfield_writes, *capfield_writes;
	sim_msg *q;
	long nq, capq;
} sim;

static int sim_fail(sim *s, const char *what)
{
	fprintf(stderr, "sim: %s: %s\n", what, wk_error_msg());
	s->r.mismatches++;
	return -1;
}

/* Does replica r hold write i (its own, or in a changeset it holds)? */
static int sim_knows(const sim *s, int r, long i)
{
	const sim_write *w = &s->w[i];

	if (w->replica == r)
		return 1;
	return w->seq > 0 && s->rep[r].held[w->chain] >= w->seq;
}

static long *sim_fw(sim *s, int rec, int field, size_t **n)
{
	size_t k = (size_t)rec * SIM_FIELDS + (size_t)field;

	*n = &s->nfield_writes[k];
	return s->field_writes[k];
}

/* The heads of a field among the writes replica r holds (r < 0: every write), into out; returns how many. */
static size_t sim_heads(const sim *s, int r, int rec, int field, long *out, size_t cap)
{
	size_t k = (size_t)rec * SIM_FIELDS + (size_t)field, n = s->nfield_writes[k], i, j, m, h = 0;
	const long *fw = s->field_writes[k];

	for (i = 0; i < n; i++) {
		int over = 0;

		if (r >= 0 && !sim_knows(s, r, fw[i]))
			continue;
		for (j = 0; j < n && !over; j++) {
			const sim_write *x = &s->w[fw[j]];

			if (j == i || (r >= 0 && !sim_knows(s, r, fw[j])))
				continue;
			for (m = 0; m < x->nover; m++)
				if (x->over[m] == fw[i]) {
					over = 1;
					break;
				}
		}
		if (!over && h < cap)
			out[h++] = fw[i];
	}
	return h;
}

/* The newest of the heads by (clock, device); -1 when none. */
static long sim_newest(const sim *s, const long *heads, size_t n)
{
	long best = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		const sim_write *a = &s->w[heads[i]];

		if (best < 0 || a->hlc > s->w[best].hlc ||
		    (a->hlc == s->w[best].hlc && strcmp(a->device, s->w[best].device) > 0))
			best = heads[i];
	}
	return best;
}

static int sim_grow(void **p, long *cap, long need, size_t size)
{
	if (need <= *cap)
		return 0;
	{
		long ncap = *cap ? *cap * 2 : 256;
		void *np;

		while (ncap < need)
			ncap *= 2;
		if (!(np = realloc(*p, (size_t)ncap * size)))
			return -1;
		*p = np;
		*cap = ncap;
	}
	return 0;
}

/* ---- writing ---------------------------------------------------------------- */

static int64_t sim_last_hlc(wk_store *st)
{
	long long h = 0;

	wk_query_int(st, NULL, 0, "SELECT hlc FROM op ORDER BY seq DESC LIMIT 1", &h);
	return h;
}

static int sim_record_write(sim *s, int r, int rec, int field, int value, const long *over, size_t nover)
{
	sim_write *w;
	size_t *n, k = (size_t)rec * SIM_FIELDS + (size_t)field;

	if (sim_grow((void **)&s->w, &s->capw, s->nw + 1, sizeof(sim_write)) < 0)
		return -1;
	w = &s->w[s->nw];
	memset(w, 0, sizeof(*w));
	w->replica = r;
	w->chain = s->rep[r].chain;
	w->hlc = sim_last_hlc(s->rep[r].st);
	snprintf(w->device, sizeof(w->device), "%s", s->rep[r].device);
	w->value = value;
	w->rec = rec;
	w->field = field;
	if (nover) {
		w->over = malloc(nover * sizeof(long));
		memcpy(w->over, over, nover * sizeof(long));
		w->nover = nover;
	}
	sim_fw(s, rec, field, &n);
	if (*n == s->capfield_writes[k]) {
		size_t ncap = *n ? *n * 2 : 8;
		s->field_writes[k] = realloc(s->field_writes[k], ncap * sizeof(long));
		s->capfield_writes[k] = ncap;
	}
	s->field_writes[k][(*n)++] = s->nw++;
	return 0;
}

static int sim_add_record(sim *s, const char *id, int site)
{
	long cap = s->caprecs, fcap = (long)s->caprecs * SIM_FIELDS;

	if (s->nrecs == s->caprecs) {
		if (sim_grow((void **)&s->recs, &cap, s->nrecs + 1, sizeof(sim_record)) < 0)
			return -1;
		s->field_writes = realloc(s->field_writes, (size_t)cap * SIM_FIELDS * sizeof(long *));
		s->nfield_writes = realloc(s->nfield_writes, (size_t)cap * SIM_FIELDS * sizeof(size_t));
		s->capfield_writes = realloc(s->capfield_writes, (size_t)cap * SIM_FIELDS * sizeof(size_t));
		memset(s->field_writes + fcap, 0, (size_t)(cap * SIM_FIELDS - fcap) * sizeof(long *));
		memset(s->nfield_writes + fcap, 0, (size_t)(cap * SIM_FIELDS - fcap) * sizeof(size_t));
		memset(s->capfield_writes + fcap, 0, (size_t)(cap * SIM_FIELDS - fcap) * sizeof(size_t));
		s->caprecs = (int)cap;
	}
	snprintf(s->recs[s->nrecs].id, sizeof(s->recs[0].id), "%s", id);
	s->recs[s->nrecs].site = site;
	s->nrecs++;
	return 0;
}

/*
 * One write by device replica r to field of rec: check the store shows the
 * value the oracle expects, write, and record what it overwrites.
 */
static int sim_set(sim *s, int r, int rec, int field, int value, int resolve)
{
	sim_replica *p = &s->rep[r];
	long heads[512], over[512];
	size_t nh = sim_heads(s, r, rec, field, heads, 512), no = 0, i;
	long newest = sim_newest(s, heads, nh);
	char *shown = NULL;
	int rc, changes;

	if (wk_entity_get(p->st, "action", s->recs[rec].id, sim_fields[field], &shown) < 0)
		return sim_fail(s, "read a field");
	if ((newest < 0 && shown) || (newest >= 0 && (!shown || strcmp(shown, sim_values[s->w[newest].value]) != 0))) {
		fprintf(stderr, "sim: replica %s shows %s.%s = %s; the oracle expects %s\n", p->device, s->recs[rec].id,
		        sim_fields[field], shown ? shown : "(none)", newest < 0 ? "(none)" : sim_values[s->w[newest].value]);
		s->r.mismatches++;
	}
	free(shown);
	for (i = 0; i < nh; i++)
		if (resolve || (newest >= 0 && s->w[heads[i]].value == s->w[newest].value))
			over[no++] = heads[i];
	changes = resolve ? nh >= 2 : (newest < 0 || s->w[newest].value != value);
	if (!changes)
		return 0;
	rc = resolve ? wk_entity_resolve(p->st, "action", s->recs[rec].id, sim_fields[field], sim_values[value])
	             : wk_entity_set(p->st, "action", s->recs[rec].id, sim_fields[field], sim_values[value]);
	if (rc < 0)
		return sim_fail(s, "write a field");
	for (i = 0; i < no; i++)
		s->w[over[i]].overwritten = 1;
	if (resolve)
		s->r.resolutions++;
	else
		s->r.writes++;
	return sim_record_write(s, r, rec, field, value, over, no);
}

/* A record of replica r's site that r holds, at random (a few tries); -1 for none found. */
static int sim_pick_record(sim *s, int r)
{
	int tries;

	for (tries = 0; tries < 12 && s->nrecs; tries++) {
		int i = (int)sim_below(s->nrecs);

		if (s->recs[i].site == s->rep[r].site && wk_entity_exists(s->rep[r].st, "action", s->recs[i].id) == 1)
			return i;
	}
	return -1;
}

/* A device's session: create an action now and then, change a few fields. */
static int sim_session(sim *s, int r, long budget)
{
	sim_replica *p = &s->rep[r];
	long k, n = 1 + sim_below(budget < 6 ? budget : 6);
	char id[64];

	if (wk_entity_set_actor(p->st, "Sim Person", p->device) < 0 || wk_store_begin(p->st) < 0)
		return sim_fail(s, "begin");
	for (k = 0; k < n; k++) {
		int rec = sim_pick_record(s, r);

		if (rec < 0 || sim_below(10) == 0) {
			if (wk_entity_new_id(p->st, 'a', id, sizeof(id)) < 0 || wk_entity_create(p->st, "action", id) < 0)
				return sim_fail(s, "create an action");
			if (sim_add_record(s, id, p->site) < 0)
				return -1;
			s->r.creates++;
			rec = s->nrecs - 1;
		}
		if (sim_set(s, r, rec, (int)sim_below(SIM_FIELDS), (int)sim_below(5), 0) < 0)
			return -1;
	}
	if (wk_store_commit(p->st) < 0)
		return sim_fail(s, "commit");
	return 0;
}

/* The region's replica resolves one conflict it sees, choosing one of the values at random. */
static int sim_resolve(sim *s, int r)
{
	sim_replica *p = &s->rep[r];
	int rec, field, tries;
	long heads[512];
	size_t nh;

	for (tries = 0; tries < 20; tries++) {
		rec = (int)sim_below(s->nrecs);
		field = (int)sim_below(SIM_FIELDS);
		if (s->recs[rec].site != p->site || wk_entity_exists(p->st, "action", s->recs[rec].id) != 1)
			continue;
		nh = sim_heads(s, r, rec, field, heads, 512);
		if (nh < 2)
			continue;
		if (wk_entity_set_actor(p->st, "Regional Officer", p->device) < 0 || wk_store_begin(p->st) < 0)
			return sim_fail(s, "begin");
		if (sim_set(s, r, rec, field, s->w[heads[sim_below((long)nh)]].value, 1) < 0)
			return -1;
		return wk_store_commit(p->st) < 0 ? sim_fail(s, "commit") : 0;
	}
	return 0;
}

/* ---- sealing and the network -------------------------------------------------- */

static int sim_enqueue(sim *s, const unsigned char *env, size_t len, int to, int chain, long seq)
{
	sim_msg *m;

	if (sim_grow((void **)&s->q, &s->capq, s->nq + 1, sizeof(sim_msg)) < 0)
		return -1;
	m = &s->q[s->nq++];
	m->env = malloc(len);
	memcpy(m->env, env, len);
	m->len = len;
	m->to = to;
	m->chain = chain;
	m->seq = seq;
	return 0;
}

typedef struct {
	sim *s;
	int from;
	long after;
} sim_grab_ctx;

static int sim_grab(const char *site, const char *device, long long seq, const unsigned char *env, size_t n, void *arg)
{
	sim_grab_ctx *g = arg;
	sim *s = g->s;
	int i;

	(void)site;
	if (strcmp(device, s->rep[g->from].device) != 0 || seq <= g->after)
		return 0;
	for (i = 0; i < s->nrep; i++)
		if (i != g->from && s->rep[i].site == s->rep[g->from].site &&
		    sim_enqueue(s, env, n, i, s->rep[g->from].chain, (long)seq) < 0)
			return -1;
	s->r.changesets++;
	return 0;
}

/* Seal replica r's pending writes and send the new changesets to every other replica of its site. */
static int sim_seal(sim *s, int r)
{
	sim_replica *p = &s->rep[r];
	wk_ledger_keys k = keys_of(&p->key, s->trust);
	sim_grab_ctx g = { s, r, p->sealed_seq };
	long long last = 0;
	const char *args[1] = { p->device };
	long i;

	if (wk_ledger_seal(p->st, &k, NULL) < 0)
		return sim_fail(s, "seal");
	if (wk_query_int(p->st, args, 1, "SELECT coalesce(max(seq), 0) FROM changeset WHERE device = ?1", &last) < 0)
		return sim_fail(s, "read the ledger");
	if (last == p->sealed_seq)
		return 0;
	/* Writes are sealed in order; a seal takes every pending one (the sim's changesets never fill up). */
	if (last != p->sealed_seq + 1) {
		fprintf(stderr, "sim: %s sealed %lld changesets at once; the sim expects one\n", p->device,
		        last - p->sealed_seq);
		s->r.mismatches++;
	}
	for (i = s->pending[r]; i < s->nw; i++)
		if (s->w[i].replica == r)
			s->w[i].seq = (long)last;
	s->pending[r] = s->nw;
	if (wk_ledger_each(p->st, sim_grab, &g) < 0)
		return sim_fail(s, "read the ledger");
	p->sealed_seq = (long)last;
	p->held[p->chain] = (long)last;
	return 0;
}

/* What replica r holds of each chain, from its ledger (waiting changesets may have gone in). */
static int sim_refresh_held(sim *s, int r)
{
	sim_replica *p = &s->rep[r];
	int c;

	for (c = 0; c < s->nrep; c++) {
		const char *args[2];
		long long last = 0;

		if (s->rep[c].site != p->site)
			continue;
		args[0] = s->rep[c].device;
		if (wk_query_int(p->st, args, 1, "SELECT coalesce(max(seq), 0) FROM changeset WHERE device = ?1", &last) < 0)
			return sim_fail(s, "read the ledger");
		p->held[s->rep[c].chain] = (long)last;
	}
	return 0;
}

/* Deliver message i (and drop it from the queue unless it is duplicated). */
static int sim_deliver(sim *s, long i, int allow_dup)
{
	sim_msg m = s->q[i];
	sim_replica *p = &s->rep[m.to];
	wk_ledger_keys k = keys_of(&p->key, s->trust);
	int rc, keep = allow_dup && sim_below(100) < s->o.dup_pct;

	if (!keep)
		s->q[i] = s->q[--s->nq];
	rc = wk_ledger_accept(p->st, &k, m.env, m.len, "sim");
	if (getenv("SIM_TRACE"))
		fprintf(stderr, "deliver %s #%ld to %s: %d %s\n", s->rep[m.chain].device, m.seq, p->device, rc,
		        rc == WK_LEDGER_APPLIED ? "" : wk_error_msg());
	s->r.deliveries++;
	if (rc == WK_LEDGER_APPLIED)
		s->r.applied++;
	else if (rc == WK_LEDGER_DUPLICATE)
		s->r.duplicates++;
	else if (rc == WK_LEDGER_WAITING)
		s->r.waiting++;
	else if (rc == WK_ECONFLICT && strstr(wk_error_msg(), "gap")) {
		/* Out of its chain's order: the repository offers it again later. */
		s->r.gaps++;
		if (!keep && sim_enqueue(s, m.env, m.len, m.to, m.chain, m.seq) < 0)
			rc = -1;
	} else {
		fprintf(stderr, "sim: %s refused %s #%ld: %s\n", p->device, s->rep[m.chain].device, m.seq, wk_error_msg());
		s->r.mismatches++;
	}
	if (!keep)
		free(m.env);
	return sim_refresh_held(s, m.to);
}

/* ---- the run -------------------------------------------------------------------- */

static int sim_setup(sim *s, const sim_options *o)
{
	int site, d, i = 0;
	char code[8], dev[24];

	memset(s, 0, sizeof(*s));
	s->o = *o;
	sim_rng = o->seed;
	make_party(&s->root, 1);
	make_party(&s->officer, 2);
	if (wk_trust_new(&s->trust, "YORKS", s->root.sign_pk, s->root.box_pk, "Regional Root") < 0)
		return sim_fail(s, "trust");
	enrol(s->trust, &s->officer, WK_TRUST_OFFICER, "*", NULL, "Regional Officer");
	s->nrep = o->sites * (o->devices + 1);
	s->rep = calloc((size_t)s->nrep, sizeof(sim_replica));
	s->pending = calloc((size_t)s->nrep, sizeof(long));
	for (site = 0; site < o->sites; site++) {
		snprintf(code, sizeof(code), "S%02d", site + 1);
		for (d = 0; d <= o->devices; d++, i++) {
			sim_replica *p = &s->rep[i];

			p->site = site;
			p->chain = i;
			p->region = d == o->devices;
			p->held = calloc((size_t)s->nrep, sizeof(long));
			if (p->region) {
				p->key = s->officer;
				snprintf(dev, sizeof(dev), "rg");
			} else {
				make_party(&p->key, (unsigned char)(10 + i));
				snprintf(dev, sizeof(dev), "s%dd%d", site + 1, d + 1);
				enrol(s->trust, &p->key, WK_TRUST_DEVICE, code, dev, "Sim device");
			}
			snprintf(p->device, sizeof(p->device), "%s", dev);
			if (!(p->st = replica(code, dev)))
				return sim_fail(s, "make a replica");
			/* Durability is not what this proves; every write is still a real transaction. */
			wk_store_exec(p->st, "PRAGMA synchronous=OFF", "sim");
		}
	}
	return 0;
}

typedef struct {
	sim *s;
	int to, from;
	long after;
} sim_offer_ctx;

static int sim_offer_one(const char *site, const char *device, long long seq, const unsigned char *env, size_t n,
                         void *arg)
{
	sim_offer_ctx *o = arg;
	sim_replica *p = &o->s->rep[o->to];
	wk_ledger_keys k = keys_of(&p->key, o->s->trust);
	int rc;

	(void)site;
	if (seq <= o->after || strcmp(device, o->s->rep[o->from].device) != 0)
		return 0;
	rc = wk_ledger_accept(p->st, &k, env, n, "sim");
	o->s->r.deliveries++;
	if (rc == WK_LEDGER_APPLIED)
		o->s->r.applied++;
	else if (rc == WK_LEDGER_WAITING)
		o->s->r.waiting++;
	else if (rc != WK_LEDGER_DUPLICATE) {
		fprintf(stderr, "sim: %s refused %s #%lld at the end: %s\n", p->device, device, seq, wk_error_msg());
		o->s->r.mismatches++;
	}
	return 0;
}

static int sim_msg_cmp(const void *x, const void *y)
{
	const sim_msg *a = x, *b = y;

	if (a->to != b->to)
		return a->to < b->to ? -1 : 1;
	if (a->chain != b->chain)
		return a->chain < b->chain ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Every queued message delivered; then each chain offered, in order, to every replica of its site still short of it. */
static int sim_settle(sim *s)
{
	int r, c, again = 1;

	for (r = 0; r < s->nrep; r++)
		s->rep[r].cut = 0;
	{
		/*
		 * What is still queued goes in order (to, chain, sequence): the run
		 * has had its random order; a queue of tens of thousands delivered at
		 * random would mostly be refused as gaps and offered again.
		 */
		sim_msg *all = s->q;
		long n = s->nq, i, budget;

		s->q = NULL;
		s->nq = s->capq = 0;
		qsort(all, (size_t)n, sizeof(sim_msg), sim_msg_cmp);
		for (i = 0; i < n; i++) {
			int rc = sim_enqueue(s, all[i].env, all[i].len, all[i].to, all[i].chain, all[i].seq);
			free(all[i].env);
			if (rc < 0 || sim_deliver(s, s->nq - 1, 0) < 0) {
				while (++i < n)
					free(all[i].env);
				free(all);
				return -1;
			}
		}
		free(all);
		/* What came out of order even so (a gap) waits in the queue: at random again until taken. */
		budget = 50 * s->nq + 10000;
		while (s->nq && budget-- > 0)
			if (sim_deliver(s, sim_below(s->nq), 0) < 0)
				return -1;
		if (s->nq) {
			sim_msg *m = &s->q[0];
			wk_ledger_keys k = keys_of(&s->rep[m->to].key, s->trust);
			fprintf(stderr, "sim: %ld messages can never be taken; the first, %s #%ld for %s: %d %s\n", s->nq,
			        s->rep[m->chain].device, m->seq, s->rep[m->to].device,
			        wk_ledger_accept(s->rep[m->to].st, &k, m->env, m->len, "sim"), wk_error_msg());
			s->r.mismatches++;
			return -1;
		}
	}
	while (again) {
		again = 0;
		for (r = 0; r < s->nrep; r++)
			for (c = 0; c < s->nrep; c++) {
				sim_offer_ctx o = { s, r, c, s->rep[r].held[s->rep[c].chain] };

				if (c == r || s->rep[c].site != s->rep[r].site || o.after >= s->rep[c].sealed_seq)
					continue;
				if (wk_ledger_each(s->rep[c].st, sim_offer_one, &o) < 0)
					return sim_fail(s, "read the ledger");
				if (sim_refresh_held(s, r) < 0)
					return -1;
				if (s->rep[r].held[s->rep[c].chain] > o.after)
					again = 1; /* progress: what waited may now go */
			}
	}
	return 0;
}

/* Compare every replica with the oracle and with each other. */
static int sim_check(sim *s)
{
	int r, rec, f;
	long heads[512];

	for (rec = 0; rec < s->nrecs; rec++)
		for (f = 0; f < SIM_FIELDS; f++) {
			size_t nh = sim_heads(s, -1, rec, f, heads, 512), i, j;
			long newest = sim_newest(s, heads, nh);
			int distinct = 0;

			if (nh == 0)
				continue;
			s->r.fields++;
			for (i = 0; i < nh; i++) {
				for (j = 0; j < i; j++)
					if (s->w[heads[j]].value == s->w[heads[i]].value)
						break;
				distinct += j == i;
			}
			if (distinct > 1)
				s->r.conflicts++;
			for (r = 0; r < s->nrep; r++) {
				char *v = NULL;

				if (s->rep[r].site != s->recs[rec].site)
					continue;
				if (wk_entity_get(s->rep[r].st, "action", s->recs[rec].id, sim_fields[f], &v) < 0 || !v ||
				    strcmp(v, sim_values[s->w[newest].value]) != 0) {
					fprintf(stderr, "sim: %s holds %s.%s = %s; the oracle says %s\n", s->rep[r].device,
					        s->recs[rec].id, sim_fields[f], v ? v : "(none)", sim_values[s->w[newest].value]);
					s->r.mismatches++;
				}
				free(v);
			}
		}
	/* Conflicts: every replica lists as many as the oracle counts for its site, and the same list. */
	for (r = 0; r < s->nrep; r++) {
		json_t *mine = json_array(), *first = json_array();
		long want = 0;
		int c;

		for (rec = 0; rec < s->nrecs; rec++)
			for (f = 0; f < SIM_FIELDS && s->recs[rec].site == s->rep[r].site; f++) {
				size_t nh = sim_heads(s, -1, rec, f, heads, 512), i, j;
				int distinct = 0;
				for (i = 0; i < nh; i++) {
					for (j = 0; j < i; j++)
						if (s->w[heads[j]].value == s->w[heads[i]].value)
							break;
					distinct += j == i;
				}
				want += distinct > 1;
			}
		for (c = 0; c < s->nrep && s->rep[c].site != s->rep[r].site; c++)
			;
		if (wk_conflict_list(s->rep[r].st, "S", mine) < 0 || wk_conflict_list(s->rep[c].st, "S", first) < 0)
			return sim_fail(s, "list conflicts");
		if ((long)json_array_size(mine) != want || !json_equal(mine, first)) {
			fprintf(stderr, "sim: %s lists %zu conflicts; the oracle counts %ld%s\n", s->rep[r].device,
			        json_array_size(mine), want, json_equal(mine, first) ? "" : " (and its list differs)");
			s->r.mismatches++;
		}
		json_decref(mine);
		json_decref(first);
	}
	return 0;
}

static void sim_free(sim *s)
{
	long i;
	int r;

	for (r = 0; r < s->nrep; r++) {
		char path[512] = "";
		const char *f = s->rep[r].st ? sqlite3_db_filename(wk_store_db(s->rep[r].st), "main") : NULL;

		if (f)
			snprintf(path, sizeof(path), "%s", f);
		wk_store_close(s->rep[r].st);
		free(s->rep[r].held);
		if (path[0]) {
			/* replica() made a directory of its own for the store: remove it. */
			char *slash = strrchr(path, '/'), extra[600];
			unlink(path);
			snprintf(extra, sizeof(extra), "%s-wal", path);
			unlink(extra);
			snprintf(extra, sizeof(extra), "%s-shm", path);
			unlink(extra);
			if (slash) {
				*slash = '\0';
				rmdir(path);
			}
		}
	}
	for (i = 0; i < s->nw; i++)
		free(s->w[i].over);
	for (i = 0; i < s->nq; i++)
		free(s->q[i].env);
	for (i = 0; i < (long)s->nrecs * SIM_FIELDS; i++)
		free(s->field_writes[i]);
	free(s->field_writes);
	free(s->nfield_writes);
	free(s->capfield_writes);
	free(s->recs);
	free(s->w);
	free(s->q);
	free(s->rep);
	free(s->pending);
	wk_trust_free(s->trust);
}

/* Run the whole simulation; 0 when every check held (res->mismatches == 0). */
static int sim_run(const sim_options *o, sim_result *res)
{
	sim s;
	struct timespec t0, t1;
	long step = 0;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (sim_setup(&s, o) < 0) {
		*res = s.r;
		sim_free(&s);
		return -1;
	}
	while (rc == 0 && s.r.writes + s.r.resolutions < o->ops) {
		int r = (int)sim_below(s.nrep);
		long roll = sim_below(100);

		step++;
		if (s.rep[r].cut > 0) {
			s.rep[r].cut--;
		} else if (sim_below(100) < o->cut_pct) {
			s.rep[r].cut = 5 + (int)sim_below(40);
			s.r.cuts++;
		} else if (!s.rep[r].region && roll < 45) {
			rc = sim_session(&s, r, o->ops - s.r.writes - s.r.resolutions);
		} else if (s.rep[r].region && roll < o->resolve_pct) {
			rc = sim_resolve(&s, r);
		} else if (roll < 70) {
			rc = sim_seal(&s, r);
		} else if (s.nq) {
			/* Deliver a few messages to replicas that are not cut off, in random order. */
			int k;
			for (k = 0; k < 4 && s.nq && rc == 0; k++) {
				long i = sim_below(s.nq);
				if (!s.rep[s.q[i].to].cut)
					rc = sim_deliver(&s, i, 1);
			}
		}
		if (o->verbose && step % 5000 == 0)
			fprintf(stderr, "sim: step %ld, %ld writes, %ld queued\n", step, s.r.writes, s.nq);
	}
	/* Everyone seals what is left; then everything is delivered. */
	if (rc == 0) {
		int r;
		for (r = 0; r < s.nrep && rc == 0; r++)
			rc = sim_seal(&s, r);
	}
	if (rc == 0)
		rc = sim_settle(&s);
	if (rc == 0)
		rc = sim_check(&s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s.r.seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	*res = s.r;
	sim_free(&s);
	return rc < 0 || res->mismatches ? -1 : 0;
}

static void sim_print(const sim_options *o, const sim_result *r)
{
	printf("seed %llu: %d sites x %d devices + region; %ld writes (%ld creates), %ld resolutions; "
	       "%ld changesets, %ld deliveries (%ld applied, %ld duplicates, %ld waited, %ld out of chain order), "
	       "%ld cut-offs; %ld fields, %ld conflicts at the end; %ld mismatches; %.1f s\n",
	       (unsigned long long)o->seed, o->sites, o->devices, r->writes, r->creates, r->resolutions, r->changesets,
	       r->deliveries, r->applied, r->duplicates, r->waiting, r->gaps, r->cuts, r->fields, r->conflicts,
	       r->mismatches, r->seconds);
}

#endif
