/*
 * Building a changeset: what the constructor, wk_changeset_add_catalogue()
 * and wk_changeset_add_op() accept and refuse, that a refused op leaves the
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
	wk_op op = { seq, hlc, DEV, "A. Khan", "assessment", "omu/1.1", "set", field, oldv, newv };

	return op;
}

static void check_new(void)
{
	unsigned char prev[32] = { 1 }, zero[32] = { 0 };
	wk_changeset *cs = (wk_changeset *)&cs;

	wk_changeset_free(NULL);
	CHECK_EQ_INT(wk_changeset_new(&cs, "LEI", DEV, 1, NULL, 2), 0);
	CHECK(cs && cs->format == 1 && strcmp(cs->site, "LEI") == 0 && cs->seq == 1 && cs->nops == 0);
	CHECK(cs && wk_changeset_size(cs) == 4 + 4 + 4 + 3 + 4 + 7 + 8 + 32 + 4 + 4 + 8 + 8 + 4);
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

static void check_add_op(void)
{
	wk_changeset *cs = NULL;
	wk_buf out = WK_BUF_INIT;
	wk_op op, create = { 5, 100, DEV, "A. Khan", "plan", "omu", "create", NULL, NULL, NULL };
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
	CHECK(ok(wk_changeset_add_op(cs, &(wk_op){ 9, 200, DEV, "B", "plan", "omu", "set", "title", "", "" })));
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
	cs->format = 2;
	CHECK_EQ_INT(wk_changeset_encode(&out, cs), WK_EINVALID);
	cs->format = 1;
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
	CHECK_EQ_INT(wk_changeset_encode(NULL, cs), WK_EUSAGE);
	CHECK_EQ_INT(wk_changeset_encode(&out, NULL), WK_EUSAGE);
	wk_buf_free(&out);
	wk_changeset_free(cs);
}

int main(void)
{
	check_new();
	check_catalogue();
	check_add_op();
	check_full();
	check_encoder_refuses();
	return test_summary();
}
