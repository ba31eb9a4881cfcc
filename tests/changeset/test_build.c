/*
 * Building a changeset: what the constructor, wk_changeset_add_catalogue(),
 * wk_changeset_add_depend() and wk_changeset_add_op() accept and refuse, that a refused op leaves the
 * changeset as it was, that a full changeset says so (WK_ELIMIT) while an op
 * that can never be sealed is invalid, and that the encoder refuses a
 * changeset whose fields were broken by hand.
 */
#include "test.h"
#include "changeset.h"
#include "error.h"

#define DEV "d4f3a21"

static int ok(int rc)
{
	if (rc < 0)
		fprintf(stderr, "  error: %s\n", wk_error_msg());
	return rc == 0;
}

static wk_op set_op(int64_t seq, int64_t hlc, const char *field, const char *oldv, const char *newv)
{
	wk_op op = { seq, hlc, DEV, "A. Khan", "assessment", "omu/1.1", "set", field, oldv, newv, NULL };

	return op;
}

/* Bytes of an op's encoding. */
static size_t op_len(const wk_op *op)
{
	size_t n = 8 + 8 + 1 + 4 + strlen(op->person) + 4 + strlen(op->entity) + 4 + strlen(op->entity_id);
	const char *opt[4] = { op->field, op->old_value, op->new_value, op->parents };
	int i;

	for (i = 0; i < 4; i++)
		n += opt[i] ? 1 + 4 + strlen(opt[i]) : 1;
	return n;
}

static void check_new(void)
{
	unsigned char prev[32] = { 1 }, zero[32] = { 0 };
	wk_changeset *cs = (wk_changeset *)&cs;

	wk_changeset_free(NULL);
	CHECK_EQ_INT(wk_changeset_new(&cs, "LEI", DEV, 1, NULL, 2), 0);
	CHECK(cs && cs->format == 2 && strcmp(cs->site, "LEI") == 0 && cs->seq == 1 && cs->nops == 0);
	CHECK(cs && cs->ndepends == 0 && cs->depends == NULL);
	/* magic format site device seq prev schema ncatalogue ndepends hlc_min hlc_max nops */
	CHECK(cs && wk_changeset_size(cs) == 4 + 4 + 4 + 3 + 4 + 7 + 8 + 32 + 4 + 4 + 4 + 8 + 8 + 4);
	wk_changeset_free(cs);
	CHECK_EQ_INT(wk_changeset_new(&cs, "LEI", DEV, 7, prev, 2), 0);
	CHECK(cs && cs->prev[0] == 1);
	wk_changeset_free(cs);

	CHECK_EQ_INT(wk_changeset_new(&cs, "L", DEV, 1, NULL, 2), WK_EINVALID);
	CHECK(cs == NULL);
	CHECK_EQ_INT(wk_changeset_new(&cs, NULL, DEV, 1, NULL, 2), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_new(&cs, "LEI", "d 1", 1, NULL, 2), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_new(&cs, "LEI", "abcdefghijklmnopq", 1, NULL, 2), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_new(&cs, "LEI", DEV, 0, NULL, 2), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_new(&cs, "LEI", DEV, 1, NULL, 0), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_new(&cs, "LEI", DEV, 1, prev, 2), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "all zero");
	CHECK_EQ_INT(wk_changeset_new(&cs, "LEI", DEV, 2, NULL, 2), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "previous changeset's hash");
	CHECK_EQ_INT(wk_changeset_new(&cs, "LEI", DEV, 2, zero, 2), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_new(NULL, "LEI", DEV, 1, NULL, 2), WK_EUSAGE);
	CHECK(cs == NULL);
}

static void check_catalogue(void)
{
	wk_changeset *cs = NULL;
	size_t before;

	CHECK(ok(wk_changeset_new(&cs, "LEI", DEV, 1, NULL, 2)));
	if (!cs)
		return;
	CHECK(ok(wk_changeset_add_catalogue(cs, "stages@1")));
	CHECK(ok(wk_changeset_add_catalogue(cs, "edm:OMU@2")));
	CHECK(ok(wk_changeset_add_catalogue(cs, "edm:OMU@1")));
	before = wk_changeset_size(cs);
	CHECK(ok(wk_changeset_add_catalogue(cs, "edm:OMU@2"))); /* already there: nothing */
	CHECK_EQ_INT(wk_changeset_size(cs), before);
	CHECK_EQ_INT(cs->ncatalogue, 3);
	CHECK_EQ_STR(cs->catalogue[0], "edm:OMU@1");
	CHECK_EQ_STR(cs->catalogue[1], "edm:OMU@2");
	CHECK_EQ_STR(cs->catalogue[2], "stages@1");
	CHECK_EQ_INT(wk_changeset_add_catalogue(cs, ""), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_add_catalogue(cs, NULL), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_add_catalogue(cs, "edm:\xff"), WK_EINVALID);
	CHECK_EQ_INT(cs->ncatalogue, 3);
	wk_changeset_free(cs);
}

static void check_depends(void)
{
	enum { MAX = 4096 };
	wk_changeset *cs = NULL;
	wk_buf out = WK_BUF_INIT;
	wk_op op = set_op(1, 10, "status", NULL, "met");
	char dev[32];
	size_t before, i;

	CHECK(ok(wk_changeset_new(&cs, "LEI", DEV, 1, NULL, 2)));
	if (!cs)
		return;
	before = wk_changeset_size(cs);
	CHECK(ok(wk_changeset_add_depend(cs, "b19e4f0", 2)));
	CHECK(ok(wk_changeset_add_depend(cs, "a7c90e2", 9223372036854775807ULL)));
	CHECK(ok(wk_changeset_add_depend(cs, "a7c90e2-2", 10)));
	CHECK(ok(wk_changeset_add_depend(cs, "A7C90E2", 1))); /* another device: codes are case-sensitive */
	CHECK_EQ_INT(cs->ndepends, 4);
	CHECK_EQ_STR(cs->depends[0], "A7C90E2:1");
	CHECK_EQ_STR(cs->depends[1], "a7c90e2-2:10"); /* '-' sorts before ':' */
	CHECK_EQ_STR(cs->depends[2], "a7c90e2:9223372036854775807");
	CHECK_EQ_STR(cs->depends[3], "b19e4f0:2");
	CHECK_EQ_INT(wk_changeset_size(cs), before + 4 + 9 + 4 + 12 + 4 + 27 + 4 + 9);

	/* Refusals change nothing. */
	before = wk_changeset_size(cs);
	CHECK_EQ_INT(wk_changeset_add_depend(cs, DEV, 3), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "own device");
	CHECK_EQ_INT(wk_changeset_add_depend(cs, "b19e4f0", 2), WK_EINVALID); /* once per device */
	CHECK_CONTAINS(wk_error_msg(), "already");
	CHECK_EQ_INT(wk_changeset_add_depend(cs, "b19e4f0", 3), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_add_depend(cs, "c1", 0), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_add_depend(cs, "c1", 9223372036854775808ULL), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_add_depend(cs, "c1", UINT64_MAX), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_add_depend(cs, "c", 1), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_add_depend(cs, "", 1), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_add_depend(cs, "c_1", 1), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_add_depend(cs, "c1:5", 1), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_add_depend(cs, "c1@5", 1), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_add_depend(cs, "ABCDEFGHIJKLMNOPQ", 1), WK_EINVALID); /* 17 */
	CHECK_EQ_INT(wk_changeset_add_depend(cs, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 1), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_add_depend(cs, DEV "-2\xff", 1), WK_EINVALID);
	CHECK_EQ_INT(wk_changeset_add_depend(cs, NULL, 1), WK_EUSAGE);
	CHECK_EQ_INT(wk_changeset_add_depend(NULL, "c1", 1), WK_EUSAGE);
	CHECK_EQ_INT(cs->ndepends, 4);
	CHECK_EQ_INT(wk_changeset_size(cs), before);
	CHECK(ok(wk_changeset_add_depend(cs, "ABCDEFGHIJKLMNOP", 1))); /* 16: the longest code */

	/* Built, encoded, decoded: the same dependencies. */
	CHECK(ok(wk_changeset_add_op(cs, &op)));
	CHECK(ok(wk_changeset_encode(&out, cs)));
	CHECK_EQ_INT(out.len, wk_changeset_size(cs));
	{
		wk_changeset *back = NULL;

		CHECK(ok(wk_changeset_decode(&back, (const unsigned char *)out.ptr, out.len, NULL)));
		CHECK(back && back->ndepends == 5 && strcmp(back->depends[4], "b19e4f0:2") == 0);
		wk_changeset_free(back);
	}
	wk_changeset_free(cs);
	cs = NULL;

	/* At most 4,096: the next is a limit, and the changeset is still sealed. */
	CHECK(ok(wk_changeset_new(&cs, "LEI", DEV, 1, NULL, 2)));
	for (i = 0; cs && i < MAX; i++) {
		snprintf(dev, sizeof(dev), "dev%zu", MAX - i);
		if (!ok(wk_changeset_add_depend(cs, dev, i + 1)))
			break;
	}
	CHECK_EQ_INT(i, MAX);
	before = wk_changeset_size(cs);
	CHECK_EQ_INT(wk_changeset_add_depend(cs, "dev0", 1), WK_ELIMIT);
	CHECK_CONTAINS(wk_error_msg(), "dependencies");
	CHECK_EQ_INT(cs->ndepends, MAX);
	CHECK_EQ_INT(wk_changeset_size(cs), before);
	for (i = 1; cs && i < MAX; i++)
		if (strcmp(cs->depends[i - 1], cs->depends[i]) >= 0)
			break;
	CHECK_EQ_INT(i, MAX);
	CHECK(ok(wk_changeset_add_op(cs, &op)));
	CHECK(ok(wk_changeset_encode(&out, cs)));
	CHECK_EQ_INT(out.len, wk_changeset_size(cs));
	wk_buf_free(&out);
	wk_changeset_free(cs);
}

static void check_add_op(void)
{
	wk_changeset *cs = NULL;
	wk_buf out = WK_BUF_INIT;
	wk_op op, create = { 5, 100, DEV, "A. Khan", "plan", "omu", "create", NULL, NULL, NULL, NULL };
	char *big;
	size_t size;

	CHECK(ok(wk_changeset_new(&cs, "LEI", DEV, 1, NULL, 2)));
	if (!cs)
		return;
	/* No ops: nothing to encode. */
	CHECK_EQ_INT(wk_changeset_encode(&out, cs), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "no operations");
	CHECK_EQ_INT(out.len, 0);

	CHECK(ok(wk_changeset_add_op(cs, &create)));
	op = set_op(6, 101, "status", NULL, "met");
	CHECK(ok(wk_changeset_add_op(cs, &op)));
	CHECK_EQ_INT(cs->hlc_min, 100);
	CHECK_EQ_INT(cs->hlc_max, 101);
	CHECK(cs->ops[0].device == cs->device && cs->ops[1].device == cs->device);
	CHECK(cs->ops[1].new_value != op.new_value); /* copied */
	size = wk_changeset_size(cs);
	CHECK(ok(wk_changeset_encode(&out, cs)));
	CHECK_EQ_INT(out.len, size);

	/* Refusals leave the changeset as it was. */
	op = set_op(7, 102, "status", NULL, "met");
	op.device = "d999999";
	CHECK_EQ_INT(wk_changeset_add_op(cs, &op), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "device");
	op.device = NULL;
	CHECK_EQ_INT(wk_changeset_add_op(cs, &op), WK_EINVALID);
	op = set_op(6, 102, "status", NULL, "met"); /* seq not after */
	CHECK_EQ_INT(wk_changeset_add_op(cs, &op), WK_EINVALID);
	op = set_op(7, 101, "status", NULL, "met"); /* clock not after */
	CHECK_EQ_INT(wk_changeset_add_op(cs, &op), WK_EINVALID);
	op = set_op(7, -1, "status", NULL, "met");
	CHECK_EQ_INT(wk_changeset_add_op(cs, &op), WK_EINVALID);
	op = set_op(7, 102, "status", NULL, "met");
	op.kind = "delete";
	CHECK_EQ_INT(wk_changeset_add_op(cs, &op), WK_EINVALID);
	op.kind = "create"; /* with a field */
	CHECK_EQ_INT(wk_changeset_add_op(cs, &op), WK_EINVALID);
	op = set_op(7, 102, NULL, NULL, "met"); /* a set with no field */
	CHECK_EQ_INT(wk_changeset_add_op(cs, &op), WK_EINVALID);
	op = set_op(7, 102, "Status", NULL, "met");
	CHECK_EQ_INT(wk_changeset_add_op(cs, &op), WK_EINVALID);
	op = set_op(7, 102, "status", "\xe2\x28\xa1", "met");
	CHECK_EQ_INT(wk_changeset_add_op(cs, &op), WK_EINVALID);
	op = set_op(7, 102, "status", NULL, "met");
	op.person = "";
	CHECK_EQ_INT(wk_changeset_add_op(cs, &op), WK_EINVALID);
	op.person = NULL;
	CHECK_EQ_INT(wk_changeset_add_op(cs, &op), WK_EINVALID);
	/* A value over 4 MiB can never be sealed: invalid, not "full". */
	big = malloc(WK_CHANGESET_MAX_VALUE + 2);
	memset(big, 'x', WK_CHANGESET_MAX_VALUE + 1);
	big[WK_CHANGESET_MAX_VALUE + 1] = '\0';
	op = set_op(7, 102, "evidence", NULL, big);
	CHECK_EQ_INT(wk_changeset_add_op(cs, &op), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "limit");
	CHECK_EQ_INT(cs->nops, 2);
	CHECK_EQ_INT(cs->hlc_max, 101);
	CHECK_EQ_INT(wk_changeset_size(cs), size);
	/* Parents: on a set only, and well formed; refusals change nothing. */
	op = set_op(7, 102, "status", "met", "not_met");
	op.parents = "a7c90e2@100,b19e4f0@99";
	size = wk_changeset_size(cs);
	CHECK(ok(wk_changeset_add_op(cs, &op)));
	CHECK_EQ_INT(wk_changeset_size(cs), size + op_len(&op));
	CHECK(cs->ops[2].parents && cs->ops[2].parents != op.parents &&
	      strcmp(cs->ops[2].parents, "a7c90e2@100,b19e4f0@99") == 0);
	size = wk_changeset_size(cs);
	{
		static const char *const bad[] = {
			"", "b19e4f0@99,a7c90e2@100", "a7c90e2@100,a7c90e2@100", "a7c90e2@100,", ",a7c90e2@100",
			"a7c90e2@0100", "a7c90e2@9223372036854775808", "a7c90e2", "a@1", "a_1@1", "a7c90e2:100",
		};
		size_t k;

		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			op = set_op(8, 103, "status", NULL, "met");
			op.parents = bad[k];
			if (wk_changeset_add_op(cs, &op) != WK_EINVALID) {
				fprintf(stderr, "  parents \"%s\" accepted\n", bad[k]);
				CHECK(0);
			}
		}
	}
	op = create;
	op.seq = 8;
	op.hlc = 103;
	op.parents = "a7c90e2@100";
	CHECK_EQ_INT(wk_changeset_add_op(cs, &op), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "parents");
	CHECK_EQ_INT(cs->nops, 3);
	CHECK_EQ_INT(wk_changeset_size(cs), size);
	CHECK(ok(wk_changeset_add_op(cs, &(wk_op){ 9, 200, DEV, "B", "plan", "omu", "set", "title", "", "", NULL })));
	CHECK_EQ_INT(wk_changeset_add_op(cs, NULL), WK_EUSAGE);
	CHECK_EQ_INT(wk_changeset_add_op(NULL, &op), WK_EUSAGE);

	/* An output buffer whose own cap is too small: refused, left empty. */
	{
		wk_buf small = WK_BUF_INIT;

		small.max = 16;
		CHECK_EQ_INT(wk_changeset_encode(&small, cs), WK_ELIMIT);
		CHECK_EQ_INT(small.len, 0);
		wk_buf_free(&small);
	}
	free(big);
	wk_buf_free(&out);
	wk_changeset_free(cs);
}

/* Fill a changeset with ops carrying a value at the cap until it is full. */
static void check_full(void)
{
	wk_changeset *cs = NULL, *next = NULL, *back = NULL;
	wk_buf out = WK_BUF_INIT;
	char *big = malloc(WK_CHANGESET_MAX_VALUE + 1);
	unsigned char h[32];
	wk_op op;
	int64_t i;
	int rc = 0;

	memset(big, 'y', WK_CHANGESET_MAX_VALUE);
	big[WK_CHANGESET_MAX_VALUE] = '\0';
	CHECK(ok(wk_changeset_new(&cs, "LEI", DEV, 1, NULL, 2)));
	for (i = 1; cs && i < 10; i++) {
		op = set_op(i, i, "doc", NULL, big);
		if ((rc = wk_changeset_add_op(cs, &op)) < 0)
			break;
	}
	CHECK_EQ_INT(rc, WK_ELIMIT);
	CHECK_CONTAINS(wk_error_msg(), "full");
	CHECK(cs && cs->nops == 3);
	CHECK(cs && wk_changeset_size(cs) <= WK_CHANGESET_MAX_BYTES);
	CHECK(ok(wk_changeset_encode(&out, cs)));
	CHECK(cs && out.len == wk_changeset_size(cs));
	CHECK(ok(wk_changeset_decode(&back, (const unsigned char *)out.ptr, out.len, NULL)));
	CHECK(back && back->nops == 3 && strlen(back->ops[2].new_value) == WK_CHANGESET_MAX_VALUE);
	/* The op that did not fit goes into the next changeset, which chains to this one. */
	wk_changeset_hash(h, (const unsigned char *)out.ptr, out.len);
	CHECK(ok(wk_changeset_new(&next, "LEI", DEV, 2, h, 2)));
	op = set_op(4, 4, "doc", big, big); /* both values at the cap: still fits an empty one */
	CHECK(next && ok(wk_changeset_add_op(next, &op)));
	CHECK(ok(wk_changeset_encode(&out, next)));
	wk_changeset_free(back);
	wk_changeset_free(next);
	wk_changeset_free(cs);
	wk_buf_free(&out);
	free(big);
}

/* Fields broken by hand after building: the encoder re-checks everything. */
static void check_encoder_refuses(void)
{
	wk_changeset *cs = NULL;
	wk_buf out = WK_BUF_INIT;
	wk_op a = set_op(1, 10, "status", NULL, "met"), b = set_op(2, 11, "owner", NULL, "x");
	char *tmp;

	CHECK(ok(wk_changeset_new(&cs, "LEI", DEV, 1, NULL, 2)));
	CHECK(cs && ok(wk_changeset_add_catalogue(cs, "a")) && ok(wk_changeset_add_catalogue(cs, "b")));
	CHECK(cs && ok(wk_changeset_add_op(cs, &a)) && ok(wk_changeset_add_op(cs, &b)));
	if (!cs)
		return;
	CHECK(ok(wk_changeset_encode(&out, cs)));

	cs->hlc_max = 12;
	CHECK_EQ_INT(wk_changeset_encode(&out, cs), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "clock range");
	CHECK_EQ_INT(out.len, 0);
	cs->hlc_max = 11;
	tmp = cs->catalogue[0]; cs->catalogue[0] = cs->catalogue[1]; cs->catalogue[1] = tmp;
	CHECK_EQ_INT(wk_changeset_encode(&out, cs), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "sorted");
	cs->catalogue[1] = cs->catalogue[0]; /* a duplicate */
	CHECK_EQ_INT(wk_changeset_encode(&out, cs), WK_EINVALID);
	cs->catalogue[1] = tmp;
	tmp = cs->catalogue[0]; cs->catalogue[0] = cs->catalogue[1]; cs->catalogue[1] = tmp;
	CHECK(ok(wk_changeset_encode(&out, cs)));
	cs->format = 3;
	CHECK_EQ_INT(wk_changeset_encode(&out, cs), WK_EINVALID);
	cs->format = 1; /* this wicket writes format 2 only */
	CHECK_EQ_INT(wk_changeset_encode(&out, cs), WK_EINVALID);
	cs->format = 2;
	cs->ops[1].hlc = 10;
	CHECK_EQ_INT(wk_changeset_encode(&out, cs), WK_EINVALID);
	cs->ops[1].hlc = 11;
	cs->ops[1].device = "other";
	CHECK_EQ_INT(wk_changeset_encode(&out, cs), WK_EINVALID);
	cs->ops[1].device = cs->device;
	cs->seq = 2;
	CHECK_EQ_INT(wk_changeset_encode(&out, cs), WK_EINVALID);
	cs->seq = 1;
	CHECK(ok(wk_changeset_encode(&out, cs)));

	/* Dependencies and parents broken by hand. */
	CHECK(ok(wk_changeset_add_depend(cs, "a1", 3)) && ok(wk_changeset_add_depend(cs, "b1", 4)));
	CHECK(ok(wk_changeset_encode(&out, cs)));
	tmp = cs->depends[0]; cs->depends[0] = cs->depends[1]; cs->depends[1] = tmp;
	CHECK_EQ_INT(wk_changeset_encode(&out, cs), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "sorted");
	CHECK_EQ_INT(out.len, 0);
	tmp = cs->depends[0]; cs->depends[0] = cs->depends[1]; cs->depends[1] = tmp;
	tmp = cs->depends[1];
	cs->depends[1] = "a1:4"; /* a device twice */
	CHECK_EQ_INT(wk_changeset_encode(&out, cs), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "twice");
	cs->depends[1] = DEV ":1";
	CHECK_EQ_INT(wk_changeset_encode(&out, cs), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "own device");
	cs->depends[1] = "b1:04";
	CHECK_EQ_INT(wk_changeset_encode(&out, cs), WK_EINVALID);
	cs->depends[1] = tmp;
	CHECK(ok(wk_changeset_encode(&out, cs)));
	cs->ops[1].parents = "b1@2,a1@1";
	CHECK_EQ_INT(wk_changeset_encode(&out, cs), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "parents");
	cs->ops[1].parents = "a1@1,b1@2";
	CHECK(ok(wk_changeset_encode(&out, cs)));
	cs->ops[1].parents = NULL;
	CHECK(ok(wk_changeset_encode(&out, cs)));
	CHECK_EQ_INT(out.len, wk_changeset_size(cs));
	CHECK_EQ_INT(wk_changeset_encode(NULL, cs), WK_EUSAGE);
	CHECK_EQ_INT(wk_changeset_encode(&out, NULL), WK_EUSAGE);
	wk_buf_free(&out);
	wk_changeset_free(cs);
}

int main(void)
{
	check_new();
	check_catalogue();
	check_depends();
	check_add_op();
	check_full();
	check_encoder_refuses();
	return test_summary();
}
