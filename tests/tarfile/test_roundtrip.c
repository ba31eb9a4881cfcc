/*
 * test_roundtrip.c - what the tar layer writes, it reads back: the same names,
 * bytes and order; the same input gives the same bytes (a golden archive is
 * pinned by its SHA-256); files are replaced atomically; bad input to the
 * writer is refused with a message naming the entry.
 */
#include "test.h"
#include "tarfile.h"
#include "buf.h"
#include "error.h"

#include <dirent.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXGOT 64
#define GOLDEN_SHA256 "83de972d6cc8ef97dea56013b4cc32b3669354bf63745774550dcd29c7c75bc7"

typedef struct {
	size_t n;
	char *name[MAXGOT];
	unsigned char *data[MAXGOT];
	size_t len[MAXGOT];
	int nul_ok;
} got;

static int collect(const char *name, const unsigned char *data, size_t len, void *arg)
{
	got *g = arg;

	if (g->n >= MAXGOT)
		return wk_error_set(WK_ELIMIT, "test: too many entries");
	g->name[g->n] = strdup(name);
	g->data[g->n] = malloc(len + 1);
	memcpy(g->data[g->n], data, len);
	g->len[g->n] = len;
	g->nul_ok += data[len] == '\0';
	g->n++;
	return 0;
}

static void got_free(got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->name[i]);
		free(g->data[i]);
	}
	memset(g, 0, sizeof(*g));
}

static void hex(char *out, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void sha256_hex(char out[65], const void *p, size_t n)
{
	unsigned char h[32];

	crypto_hash_sha256(h, p, n);
	hex(out, h, 32);
}

static size_t dir_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return (size_t)-1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* A mixed set: empty, binary with NULs, several chunks, nested names. */
static unsigned char big[(1 << 20) + 123];
static const unsigned char binary[] = { 0, 1, 2, 0, 255, 0 };

static void roundtrip(int gzip)
{
	wk_tarfile_entry e[] = {
		{ "MANIFEST", (const unsigned char *)"wicket bundle\n", 14 },
		{ "envelopes/LEI/d1/0000000001.env", binary, sizeof(binary) },
		{ "empty", NULL, 0 },
		{ "envelopes/LEI/d1/0000000002.env", big, sizeof(big) },
		{ "a-b_c.d/Z9", (const unsigned char *)"x", 1 },
	};
	size_t n = sizeof(e) / sizeof(e[0]), i;
	wk_buf out = WK_BUF_INIT;
	got g;

	memset(&g, 0, sizeof(g));
	CHECK_EQ_INT(wk_tarfile_write_mem(&out, e, n, gzip), 0);
	CHECK(out.len > 0);
	if (!gzip)
		CHECK_EQ_INT(out.len % 10240, 0);
	else
		CHECK(out.len > 2 && (unsigned char)out.ptr[0] == 0x1f && (unsigned char)out.ptr[1] == 0x8b);
	CHECK_EQ_INT(wk_tarfile_read_mem((const unsigned char *)out.ptr, out.len, NULL, NULL, NULL), 0);
	CHECK_EQ_INT(wk_tarfile_read_mem((const unsigned char *)out.ptr, out.len, NULL, collect, &g), 0);
	CHECK_EQ_INT(g.n, n);
	for (i = 0; i < n && i < g.n; i++) {
		CHECK_EQ_STR(g.name[i], e[i].name);
		CHECK_EQ_INT(g.len[i], e[i].len);
		CHECK(e[i].len == 0 || memcmp(g.data[i], e[i].data, e[i].len) == 0);
	}
	CHECK_EQ_INT(g.nul_ok, n);
	got_free(&g);
	wk_buf_free(&out);
}

/* Same input, same bytes; a different order gives different bytes. */
static void deterministic(int gzip)
{
	wk_tarfile_entry e[] = {
		{ "b", (const unsigned char *)"bee", 3 },
		{ "a/c", (const unsigned char *)"sea", 3 },
	};
	wk_tarfile_entry r[] = { e[1], e[0] };
	wk_buf x = WK_BUF_INIT, y = WK_BUF_INIT, z = WK_BUF_INIT;

	CHECK_EQ_INT(wk_tarfile_write_mem(&x, e, 2, gzip), 0);
	sleep(1); /* a timestamp anywhere would now differ */
	CHECK_EQ_INT(wk_tarfile_write_mem(&y, e, 2, gzip), 0);
	CHECK_EQ_INT(wk_tarfile_write_mem(&z, r, 2, gzip), 0);
	CHECK(x.len == y.len && memcmp(x.ptr, y.ptr, x.len) == 0);
	CHECK(x.len != z.len || memcmp(x.ptr, z.ptr, x.len) != 0);
	wk_buf_free(&x);
	wk_buf_free(&y);
	wk_buf_free(&z);
}

/* The golden archive of docs/format/bundle-archive.md. */
static void golden(void)
{
	wk_tarfile_entry e[] = {
		{ "MANIFEST", (const unsigned char *)"wicket bundle\n", 14 },
		{ "envelopes/LEI/d1/0000000001.env", (const unsigned char *)"ciphertext", 10 },
	};
	wk_buf out = WK_BUF_INIT;
	char h[65], field[200];
	const unsigned char *p;

	CHECK_EQ_INT(wk_tarfile_write_mem(&out, e, 2, 0), 0);
	CHECK_EQ_INT(out.len, 10240);
	p = (const unsigned char *)out.ptr;
	/* The first header, field by field. */
	CHECK(memcmp(p, "MANIFEST\0", 9) == 0);
	CHECK(memcmp(p + 100, "000644 \0", 8) == 0);
	CHECK(memcmp(p + 108, "000000 \0", 8) == 0);
	CHECK(memcmp(p + 116, "000000 \0", 8) == 0);
	CHECK(memcmp(p + 124, "00000000016 ", 12) == 0);
	CHECK(memcmp(p + 136, "00000000000 ", 12) == 0);
	CHECK_EQ_INT(p[156], '0');
	CHECK(memcmp(p + 257, "ustar\0" "00", 8) == 0);
	CHECK_EQ_INT(p[265], 0);  /* uname empty */
	CHECK_EQ_INT(p[297], 0);  /* gname empty */
	CHECK(memcmp(p + 512, "wicket bundle\n", 14) == 0);
	CHECK(memcmp(p + 1024, "envelopes/LEI/d1/0000000001.env\0", 32) == 0);
	hex(field, p + 148, 8);
	printf("golden: header 1 checksum field %s\n", field);
	sha256_hex(h, out.ptr, out.len);
	printf("golden: sha256 %s\n", h);
	CHECK_EQ_STR(h, GOLDEN_SHA256);
	wk_buf_free(&out);
}

static void nested_and_long_names(void)
{
	char longname[256], comp[102];
	wk_tarfile_entry e[2];
	wk_buf out = WK_BUF_INIT;
	got g;

	memset(&g, 0, sizeof(g));
	/* 255 bytes: 154 + '/' + 100, split into prefix and name. */
	memset(longname, 'p', 154);
	longname[154] = '/';
	memset(longname + 155, 'n', 100);
	longname[255] = '\0';
	CHECK(wk_tarfile_name_ok(longname));
	CHECK(wk_tarfile_name_ok("envelopes/LEI/d1/0000000001.env"));
	e[0].name = "envelopes/LEI/d1/0000000001.env";
	e[0].data = (const unsigned char *)"sealed";
	e[0].len = 6;
	e[1].name = longname;
	e[1].data = (const unsigned char *)"long";
	e[1].len = 4;
	CHECK_EQ_INT(wk_tarfile_write_mem(&out, e, 2, 0), 0);
	CHECK_EQ_INT(wk_tarfile_read_mem((const unsigned char *)out.ptr, out.len, NULL, collect, &g), 0);
	CHECK_EQ_INT(g.n, 2);
	if (g.n == 2) {
		CHECK_EQ_STR(g.name[0], "envelopes/LEI/d1/0000000001.env");
		CHECK_EQ_STR(g.name[1], longname);
	}
	got_free(&g);
	/* A component of 101 bytes cannot be stored in ustar. */
	memset(comp, 'c', 101);
	comp[101] = '\0';
	CHECK(!wk_tarfile_name_ok(comp));
	wk_buf_free(&out);
}

static void writer_refuses(void)
{
	static const char *const bad[] = { "", "/abs", "../x", "a/../../x", "./a", "a/.", "a//b", "a/",
		"a b", "a\\b", "caf\xc3\xa9", "tab\tx", NULL };
	wk_tarfile_entry e[2] = { { "ok", (const unsigned char *)"1", 1 }, { NULL, NULL, 0 } };
	wk_buf out = WK_BUF_INIT;
	wk_tarfile_entry *many;
	unsigned char *zeros;
	char names[20001][12];
	size_t i;

	for (i = 0; bad[i]; i++) {
		e[1].name = bad[i];
		wk_error_clear();
		CHECK_EQ_INT(wk_tarfile_write_mem(&out, e, 2, 0), WK_EINVALID);
		CHECK_CONTAINS(wk_error_msg(), "cannot write archive entry");
		CHECK_EQ_INT(out.len, 0);
	}
	CHECK_CONTAINS(wk_error_msg(), "tab\\x09x");
	e[1].name = "ok";
	CHECK_EQ_INT(wk_tarfile_write_mem(&out, e, 2, 0), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "entry 'ok' is given twice");

	many = calloc(20001, sizeof(*many));
	for (i = 0; i < 20001; i++) {
		snprintf(names[i], sizeof(names[i]), "e%06zu", i);
		many[i].name = names[i];
	}
	CHECK_EQ_INT(wk_tarfile_write_mem(&out, many, 20001, 0), WK_ELIMIT);
	CHECK_CONTAINS(wk_error_msg(), "20001 entries; the limit is 20000");
	free(many);

	/* 10 MiB of zeros compresses 1000 times: a reader would call it a bomb. */
	zeros = calloc(1, (size_t)10 << 20);
	e[1].name = "zeros";
	e[1].data = zeros;
	e[1].len = (size_t)10 << 20;
	CHECK_EQ_INT(wk_tarfile_write_mem(&out, e, 2, 1), WK_ELIMIT);
	CHECK_CONTAINS(wk_error_msg(), "write it without compression");
	CHECK_EQ_INT(wk_tarfile_write_mem(&out, e, 2, 0), 0);
	free(zeros);
	wk_buf_free(&out);
}

static void files(void)
{
	char dir[] = "/tmp/wk-archive-XXXXXX", path[256], sub[256];
	wk_tarfile_entry e[] = { { "one", (const unsigned char *)"1", 1 } };
	wk_tarfile_entry two[] = { { "two", (const unsigned char *)"22", 2 } };
	wk_tarfile_entry bad[] = { { "../evil", (const unsigned char *)"x", 1 } };
	wk_tarfile_limits lim = WK_TARFILE_LIMITS_INIT;
	wk_buf mem = WK_BUF_INIT, disk = WK_BUF_INIT;
	got g;

	memset(&g, 0, sizeof(g));
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/out.tar", dir);
	CHECK_EQ_INT(wk_tarfile_write_file(path, e, 1, 0), 0);
	CHECK_EQ_INT(wk_tarfile_write_mem(&mem, e, 1, 0), 0);
	CHECK_EQ_INT(wk_buf_read_file(&disk, path, 1 << 20, "test"), 0);
	CHECK(mem.len == disk.len && memcmp(mem.ptr, disk.ptr, mem.len) == 0);
	CHECK_EQ_INT(dir_count(dir), 1); /* no temporary file left */

	/* Replaced atomically; a refused write leaves the old file. */
	CHECK_EQ_INT(wk_tarfile_write_file(path, two, 1, 1), 0);
	CHECK_EQ_INT(wk_tarfile_read_file(path, NULL, collect, &g), 0);
	CHECK(g.n == 1 && strcmp(g.name[0], "two") == 0);
	got_free(&g);
	CHECK_EQ_INT(wk_tarfile_write_file(path, bad, 1, 0), WK_EINVALID);
	CHECK_EQ_INT(wk_tarfile_read_file(path, NULL, collect, &g), 0);
	CHECK(g.n == 1 && strcmp(g.name[0], "two") == 0);
	got_free(&g);
	CHECK_EQ_INT(dir_count(dir), 1);

	/* Into a missing directory: refused, nothing made. */
	snprintf(sub, sizeof(sub), "%s/missing/out.tar", dir);
	CHECK(wk_tarfile_write_file(sub, e, 1, 0) < 0);
	CHECK_CONTAINS(wk_error_msg(), "cannot create a temporary file next to");
	CHECK_EQ_INT(dir_count(dir), 1);

	/* The reader's own file checks: the size cap before reading, a directory, a missing file. */
	lim.max_bytes = 50;
	CHECK_EQ_INT(wk_tarfile_read_file(path, &lim, NULL, NULL), WK_ELIMIT);
	CHECK_CONTAINS(wk_error_msg(), "the limit is 50 bytes");
	CHECK_EQ_INT(wk_tarfile_read_file(dir, NULL, NULL, NULL), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "not a regular file");
	CHECK_EQ_INT(wk_tarfile_read_file(sub, NULL, NULL, NULL), WK_ENOTFOUND);

	unlink(path);
	rmdir(dir);
	wk_buf_free(&mem);
	wk_buf_free(&disk);
}

/* A callback's refusal stops the read and comes back unchanged. */
static int stop_at_second(const char *name, const unsigned char *data, size_t len, void *arg)
{
	int *calls = arg;

	if (++*calls == 2)
		return wk_error_set(WK_ECONFLICT, "test: stop at '%s'", name);
	return 0;
}

static void callback_stops(void)
{
	wk_tarfile_entry e[] = { { "a", (const unsigned char *)"1", 1 }, { "b", NULL, 0 },
		{ "c", NULL, 0 } };
	wk_buf out = WK_BUF_INIT;
	int calls = 0;

	CHECK_EQ_INT(wk_tarfile_write_mem(&out, e, 3, 0), 0);
	CHECK_EQ_INT(wk_tarfile_read_mem((const unsigned char *)out.ptr, out.len, NULL, stop_at_second,
	                                 &calls), WK_ECONFLICT);
	CHECK_EQ_INT(calls, 2);
	CHECK_EQ_STR(wk_error_msg(), "test: stop at 'b'");
	wk_buf_free(&out);
}

/* Past wk_buf's default 64 MiB: a max of 0 takes the archive cap (256 MiB). */
static void large(void)
{
	size_t len = (size_t)40 << 20, i;
	unsigned char *p = malloc(len);
	wk_tarfile_entry e[] = { { "one", p, len }, { "two", p, len } };
	wk_buf out = WK_BUF_INIT;
	got g;

	memset(&g, 0, sizeof(g));
	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(i ^ (i >> 11));
	CHECK_EQ_INT(wk_tarfile_write_mem(&out, e, 2, 0), 0);
	CHECK_EQ_INT(out.max, (size_t)256 << 20);
	CHECK_EQ_INT(out.len, (2 * (512 + len) + 1024 + 10239) / 10240 * 10240);
	CHECK_EQ_INT(wk_tarfile_read_mem((const unsigned char *)out.ptr, out.len, NULL, collect, &g), 0);
	CHECK(g.n == 2 && g.len[1] == len && memcmp(g.data[1], p, len) == 0);
	got_free(&g);
	/* A smaller max set by the caller is kept. */
	out.max = (size_t)50 << 20;
	CHECK_EQ_INT(wk_tarfile_write_mem(&out, e, 2, 0), WK_ELIMIT);
	CHECK_EQ_INT(out.len, 0);
	wk_buf_free(&out);
	free(p);
}

/* An archive with no entries is valid (and the bundle layer decides). */
static void empty_archive(void)
{
	wk_buf out = WK_BUF_INIT;
	got g;

	memset(&g, 0, sizeof(g));
	CHECK_EQ_INT(wk_tarfile_write_mem(&out, NULL, 0, 0), 0);
	CHECK_EQ_INT(out.len, 10240);
	CHECK_EQ_INT(wk_tarfile_read_mem((const unsigned char *)out.ptr, out.len, NULL, collect, &g), 0);
	CHECK_EQ_INT(g.n, 0);
	CHECK_EQ_INT(wk_tarfile_write_mem(&out, NULL, 0, 1), 0);
	CHECK_EQ_INT(wk_tarfile_read_mem((const unsigned char *)out.ptr, out.len, NULL, collect, &g), 0);
	CHECK_EQ_INT(g.n, 0);
	wk_buf_free(&out);
}

int main(void)
{
	size_t i;

	if (sodium_init() < 0)
		return 1;
	for (i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7 + (i >> 9));
	roundtrip(0);
	roundtrip(1);
	deterministic(0);
	deterministic(1);
	golden();
	nested_and_long_names();
	writer_refuses();
	files();
	callback_stops();
	empty_archive();
	large();
	return test_summary();
}
