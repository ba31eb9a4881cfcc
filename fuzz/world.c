/*
 * world.c - the fixed world of the fuzz harnesses. See world.h.
 */
#define _XOPEN_SOURCE 700
#include "world.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalogue.h"
#include "entity.h"
#include "error.h"
#include "inspection.h"
#include "rules.h"

#ifndef FZ_SOURCE_DIR
#define FZ_SOURCE_DIR "."
#endif

party fz_root, fz_officer, fz_d1, fz_d2;

static int ready;
static char tmpdir[512], store_path[600], template_path[600];
static wk_trust *trust;
static wk_buf trust_file = WK_BUF_INIT;
static wk_ledger_keys keys;
static unsigned char recipients[8][32];
static size_t nrecipients;
static wk_store *store;
static long long store_base;   /* sqlite3_total_changes at the last reset */
static char policy_dir[512];
static wk_policy_script national[4];
static size_t nnational;
static wk_buf edm_json = WK_BUF_INIT;

void fz_die(const char *what)
{
	fprintf(stderr, "fuzz world: %s: %s\n", what, wk_error_msg());
	abort();
}

int fz_note(const char *what, int rc)
{
	static int verbose = -1;

	if (verbose < 0)
		verbose = getenv("FZ_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "%s: %d%s%s\n", what, rc, rc < 0 ? " " : "", rc < 0 ? wk_error_msg() : "");
	return rc;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	if (store) {
		wk_store_close(store);
		store = NULL;
	}
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tmpdir[0] = '\0';
}

static void add_entry(party *p, int role, const char *site, const char *device, const char *person)
{
	wk_trust_entry e = WK_TRUST_ENTRY_INIT;

	memcpy(e.sign_pk, p->sign_pk, 32);
	memcpy(e.box_pk, p->box_pk, 32);
	e.role = role;
	snprintf(e.site, sizeof(e.site), "%s", site);
	snprintf(e.device, sizeof(e.device), "%s", device);
	snprintf(e.person, sizeof(e.person), "%s", person);
	if (wk_trust_add(trust, &e) < 0)
		fz_die("cannot enrol a key");
}

void fz_world_init(void)
{
	const char *base = getenv("TMPDIR");
	wk_buf v1 = WK_BUF_INIT;

	if (ready)
		return;
	ready = 1;
	if (sodium_init() < 0)
		fz_die("cannot start libsodium");
	snprintf(tmpdir, sizeof(tmpdir), "%s/wk-fuzz-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		tmpdir[0] = '\0';
		fz_die("cannot make a temporary directory");
	}
	atexit(cleanup);
	make_party(&fz_root, 1);
	make_party(&fz_officer, 2);
	make_party(&fz_d1, 4);
	make_party(&fz_d2, 5);
	if (wk_trust_new(&trust, FZ_REGION, fz_root.sign_pk, fz_root.box_pk, "Regional Root") < 0 ||
	    wk_trust_sign(&v1, trust, fz_root.sign_sk, NULL) < 0)
		fz_die("cannot make the trust");
	add_entry(&fz_officer, WK_TRUST_OFFICER, WK_TRUST_ANY_SITE, "r1", "Regional Officer");
	add_entry(&fz_d1, WK_TRUST_DEVICE, FZ_SITE, "d1", "Pat Jones");
	add_entry(&fz_d2, WK_TRUST_DEVICE, FZ_SITE, "d2", "Sam Patel");
	if (wk_trust_sign(&trust_file, trust, fz_root.sign_sk, NULL) < 0)
		fz_die("cannot sign the trust");
	wk_buf_free(&v1);
	keys = keys_of(&fz_d2, trust);
	if (wk_trust_recipients(trust, FZ_SITE, recipients, 8, &nrecipients) < 0)
		fz_die("no recipients");
}

const wk_trust *fz_trust(void)
{
	fz_world_init();
	return trust;
}

const wk_buf *fz_trust_file(void)
{
	fz_world_init();
	return &trust_file;
}

const char *fz_tmpdir(void)
{
	fz_world_init();
	return tmpdir;
}

const wk_ledger_keys *fz_keys(void)
{
	fz_world_init();
	return &keys;
}

const unsigned char (*fz_recipients(size_t *n))[32]
{
	fz_world_init();
	*n = nrecipients;
	return (const unsigned char (*)[32])recipients;
}

/* ---- the trust golden vectors' region ------------------------------------ */

fz_golden_key fz_nw_root, fz_nw_root2;
static fz_golden_key nw_officer, nw_dev1, nw_dev2;
static wk_buf nw_file[2] = { WK_BUF_INIT, WK_BUF_INIT };
static wk_trust *nw_trust[2];

static void golden_key(fz_golden_key *k, unsigned char seed)
{
	unsigned char s[32];

	memset(s, seed, sizeof(s));
	crypto_sign_seed_keypair(k->sign_pk, k->sign_sk, s);
	s[0] ^= 0x80;
	crypto_box_seed_keypair(k->box_pk, k->box_sk, s);
}

static void golden_entry(wk_trust *t, const fz_golden_key *k, int role, const char *site, const char *device,
                         const char *person)
{
	wk_trust_entry e = WK_TRUST_ENTRY_INIT;

	memcpy(e.sign_pk, k->sign_pk, 32);
	memcpy(e.box_pk, k->box_pk, 32);
	e.role = role;
	snprintf(e.site, sizeof(e.site), "%s", site);
	snprintf(e.device, sizeof(e.device), "%s", device);
	snprintf(e.person, sizeof(e.person), "%s", person);
	if (wk_trust_add(t, &e) < 0)
		fz_die("cannot enrol a golden key");
}

static void nw_init(void)
{
	wk_trust *t = NULL;

	fz_world_init();
	if (nw_trust[0])
		return;
	golden_key(&fz_nw_root, 1);
	golden_key(&fz_nw_root2, 2);
	golden_key(&nw_officer, 3);
	golden_key(&nw_dev1, 4);
	golden_key(&nw_dev2, 5);
	if (wk_trust_new(&t, "NW", fz_nw_root.sign_pk, fz_nw_root.box_pk, "PGD North West") < 0 ||
	    wk_trust_sign(&nw_file[0], t, fz_nw_root.sign_sk, NULL) < 0)
		fz_die("cannot make the golden trust");
	golden_entry(t, &nw_officer, WK_TRUST_OFFICER, "*", "", "Ann Officer");
	golden_entry(t, &nw_dev1, WK_TRUST_DEVICE, "LEI", "d01", "Jo Bloggs");
	golden_entry(t, &nw_dev2, WK_TRUST_DEVICE, "LEI", "d02", "Al Smith");
	if (wk_trust_revoke(t, nw_dev2.sign_pk, 5) < 0 || wk_trust_sign(&nw_file[1], t, fz_nw_root.sign_sk, NULL) < 0)
		fz_die("cannot make the golden trust");
	wk_trust_free(t);
	if (wk_trust_open(&nw_trust[0], (unsigned char *)nw_file[0].ptr, nw_file[0].len, NULL, fz_nw_root.sign_pk) < 0 ||
	    wk_trust_open(&nw_trust[1], (unsigned char *)nw_file[1].ptr, nw_file[1].len, nw_trust[0], NULL) < 0)
		fz_die("cannot open the golden trust");
}

const wk_buf *fz_nw_file(int version)
{
	nw_init();
	return &nw_file[version == 1 ? 0 : 1];
}

const wk_trust *fz_nw_trust(int version)
{
	nw_init();
	return nw_trust[version == 1 ? 0 : 1];
}

/* ---- the store ---------------------------------------------------------- */

static void copy_file(const char *from, const char *to)
{
	char buf[1 << 16];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t k;

	if (in < 0 || out < 0)
		fz_die("cannot copy the template store");
	while ((k = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)k) != k)
			fz_die("cannot copy the template store");
	close(in);
	close(out);
}

static void open_work_store(void)
{
	char side[640];

	snprintf(side, sizeof(side), "%s-wal", store_path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", store_path);
	unlink(side);
	copy_file(template_path, store_path);
	if (wk_store_open(&store, store_path) < 0 ||
	    wk_store_exec(store, "PRAGMA synchronous=OFF", "fuzz store") < 0)
		fz_die("cannot open the fuzz store");
	store_base = sqlite3_total_changes(wk_store_db(store));
}

static void make_template(void)
{
	wk_store *st = NULL;
	const char *pol = fz_policy_dir();

	snprintf(template_path, sizeof(template_path), "%s/template.db", tmpdir);
	snprintf(store_path, sizeof(store_path), "%s/store.db", tmpdir);
	if (wk_store_create(&st, template_path) < 0 || wk_store_meta_set(st, "site", FZ_SITE) < 0 ||
	    wk_store_meta_set(st, "device", "d2") < 0 || wk_entity_set_actor(st, "Sam Patel", "d2") < 0 ||
	    wk_store_begin(st) < 0 || wk_catalogue_load(st, pol, NULL) < 0 ||
	    wk_rules_load_national(st, pol, NULL) < 0 || wk_store_commit(st) < 0)
		fz_die("cannot make the template store");
	wk_store_close(st);
}

wk_store *fz_store(void)
{
	fz_world_init();
	if (!store) {
		make_template();
		open_work_store();
	}
	return store;
}

void fz_store_after(int applied)
{
	if (!store || (!applied && sqlite3_total_changes(wk_store_db(store)) - store_base < 4096))
		return;
	wk_store_close(store);
	store = NULL;
	open_work_store();
}

/* ---- policies ----------------------------------------------------------- */

const char *fz_policy_dir(void)
{
	const char *env = getenv("WICKET_POLICY_DIR");

	if (!policy_dir[0])
		snprintf(policy_dir, sizeof(policy_dir), "%s", env && *env ? env : FZ_SOURCE_DIR "/policies");
	return policy_dir;
}

char *fz_policy_file(const char *rel, size_t *len)
{
	wk_buf b = WK_BUF_INIT;
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", fz_policy_dir(), rel);
	if (wk_buf_read_file(&b, path, (size_t)1 << 20, "policy file") < 0)
		fz_die("cannot read a policy file");
	*len = b.len;
	return wk_buf_detach(&b);
}

const wk_policy_script *fz_national(size_t *n)
{
	if (!nnational) {
		national[0].name = "national/rules.lua";
		national[0].src = fz_policy_file("national/rules.lua", &national[0].len);
		nnational = 1;
	}
	*n = nnational;
	return national;
}

const char *fz_edm_json(void)
{
	if (!edm_json.len) {
		size_t len;
		char *src = fz_policy_file("national/edm/omu.lua", &len);

		if (wk_policy_data_json(&edm_json, "national/edm/omu.lua", src, len, NULL) < 0)
			fz_die("cannot read the EDM");
		free(src);
	}
	return edm_json.ptr;
}

wk_policy_limits fz_policy_limits(void)
{
	wk_policy_limits l = WK_POLICY_LIMITS_INIT;

	l.max_instructions = 1000000u;
	l.max_memory = (size_t)8 << 20;
	l.max_millis = 1000u;
	return l;
}

int fz_actionplan(const unsigned char *data, size_t size, const char *format)
{
	wk_import_options o = WK_IMPORT_OPTIONS_INIT;
	json_t *plan = NULL;

	o.format = format;
	o.inspection_id = "omic-pre-release-2022";
	o.title = "OMiC pre-release thematic";
	o.inspectorate = "HMI Prisons";
	o.published = "2022-11-01";
	o.submitted = "2023-01-20";
	if (fz_note("parse", wk_actionplan_parse((const char *)data, size, &o, &plan)) == 0) {
		if (!json_is_object(plan) || !json_is_object(json_object_get(plan, "inspection")) ||
		    !json_is_array(json_object_get(plan, "recommendations")))
			fz_die("an accepted action plan does not have the documented shape");
	} else if (plan) {
		fz_die("a refused action plan left *plan set");
	}
	json_decref(plan);
	return 0;
}
