/*
 * test_hostile.c - the hostile archive corpus, generated here at run time:
 * path traversal, absolute paths, links, devices, 100,000 entries, compression
 * bombs, sizes that lie, truncation at every offset, trailing data, zip, cpio
 * and other formats, random bytes, an empty file. Each is refused with a clear
 * message naming the problem (and the entry where there is one), in bounded
 * time and memory; the callback is never called; and nothing is written: the
 * reader runs with its working directory and TMPDIR in fresh empty
 * directories, which must stay empty.
 */
#include <archive.h>
#include <archive_entry.h>
#include "tarfile.h"

#include "test.h"
#include "buf.h"
#include "error.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ANY_ERROR 1 /* expect_refused: any negative code */

static char corpus_dir[] = "/tmp/wk-archive-corpus-XXXXXX";
static size_t cases;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
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

/* ---- the sandbox: fresh empty cwd and TMPDIR that must stay empty ---- */

typedef struct {
	char cwd[64], tmp[64];
	int home;
	char *old_tmpdir;
} sandbox;

static void enter(sandbox *s)
{
	snprintf(s->cwd, sizeof(s->cwd), "/tmp/wk-archive-cwd-XXXXXX");
	snprintf(s->tmp, sizeof(s->tmp), "/tmp/wk-archive-tmp-XXXXXX");
	if (!mkdtemp(s->cwd) || !mkdtemp(s->tmp)) {
		perror("mkdtemp");
		exit(2);
	}
	s->home = open(".", O_RDONLY | O_DIRECTORY);
	if (s->home < 0 || chdir(s->cwd) != 0) {
		perror("chdir");
		exit(2);
	}
	s->old_tmpdir = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
	setenv("TMPDIR", s->tmp, 1);
}

static void leave(sandbox *s, const char *label)
{
	size_t a = dir_count(s->cwd), b = dir_count(s->tmp);

	if (a || b)
		fprintf(stderr, "%s: the reader wrote files (%zu in cwd, %zu in TMPDIR)\n", label, a, b);
	CHECK_EQ_INT(a, 0);
	CHECK_EQ_INT(b, 0);
	if (fchdir(s->home) != 0)
		exit(2);
	close(s->home);
	if (s->old_tmpdir)
		setenv("TMPDIR", s->old_tmpdir, 1);
	else
		unsetenv("TMPDIR");
	free(s->old_tmpdir);
	rmdir(s->cwd);
	rmdir(s->tmp);
}

static int count_calls(const char *name, const unsigned char *data, size_t len, void *arg)
{
	++*(int *)arg;
	return 0;
}

/*
 * The archive must be refused with code (ANY_ERROR: any), a message holding
 * want and want2 (when not NULL), from memory, validating and delivering, and
 * from a file; the callback never runs; nothing is written.
 */
static int refused(const char *label, const unsigned char *p, size_t n, const wk_tarfile_limits *lim,
                   int code, const char *want, const char *want2, int quiet)
{
	char path[256];
	sandbox sb;
	int calls = 0, rc, ok = 1, fd;

	snprintf(path, sizeof(path), "%s/case.bin", corpus_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n) || close(fd) != 0) {
		perror(path);
		exit(2);
	}
	enter(&sb);
	wk_error_clear();
	rc = wk_tarfile_read_mem(p, n, lim, NULL, NULL);
	ok &= code == ANY_ERROR ? rc < 0 : rc == code;
	ok &= rc < 0 && (!want || strstr(wk_error_msg(), want)) && (!want2 || strstr(wk_error_msg(), want2));
	if (!ok || !quiet)
		printf("%-26s %s: %s\n", label, rc < 0 ? wk_error_name(rc) : "ACCEPTED", wk_error_msg());
	if (!ok)
		fprintf(stderr, "%s: expected %d with \"%s\" \"%s\", got %d\n", label, code,
		        want ? want : "", want2 ? want2 : "", rc);
	rc = wk_tarfile_read_mem(p, n, lim, count_calls, &calls);
	ok &= (code == ANY_ERROR ? rc < 0 : rc == code) && calls == 0;
	rc = wk_tarfile_read_file(path, lim, count_calls, &calls);
	ok &= (code == ANY_ERROR ? rc < 0 : rc == code) && calls == 0;
	if (!ok)
		fprintf(stderr, "%s: refused differently through the callback or the file (calls %d)\n",
		        label, calls);
	CHECK(ok);
	leave(&sb, label);
	unlink(path);
	cases++;
	return ok;
}

static int accepted(const char *label, const unsigned char *p, size_t n, int entries)
{
	sandbox sb;
	int calls = 0, rc;

	enter(&sb);
	rc = wk_tarfile_read_mem(p, n, NULL, count_calls, &calls);
	if (rc != 0 || calls != entries)
		fprintf(stderr, "%s: expected acceptance of %d entries, got %d (%s), %d calls\n", label,
		        entries, rc, wk_error_msg(), calls);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(calls, entries);
	leave(&sb, label);
	return rc == 0;
}

/* ---- crafting archives ---------------------------------------------- */

/* A ustar header written by hand, with its checksum. */
static void fix_checksum(unsigned char *h)
{
	unsigned sum = 0;
	int i;

	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

static void ustar_header(unsigned char *h, const char *name, uint64_t size, char type)
{
	memset(h, 0, 512);
	memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
	memcpy(h + 100, "000644 ", 8);
	memcpy(h + 108, "000000 ", 8);
	memcpy(h + 116, "000000 ", 8);
	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)(size & 077777777777ull));
	h[135] = ' ';
	memcpy(h + 136, "00000000000 ", 12);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar\0" "00", 8);
	fix_checksum(h);
}

/* Size field in base-256 (GNU): v as a signed 95-bit big-endian number. */
static void size_base256(unsigned char *h, int64_t v)
{
	int i;

	memset(h + 124, v < 0 ? 0xff : 0, 12);
	h[124] = v < 0 ? 0xff : 0x80;
	for (i = 0; i < 8; i++)
		h[135 - i] = (unsigned char)((uint64_t)v >> (8 * i));
	fix_checksum(h);
}

static void put_zeros(wk_buf *b, size_t n)
{
	static const unsigned char z[4096];

	while (n) {
		size_t k = n < sizeof(z) ? n : sizeof(z);

		wk_buf_put(b, z, k);
		n -= k;
	}
}

static void put_entry(wk_buf *b, const char *name, const void *data, size_t len)
{
	unsigned char h[512];

	ustar_header(h, name, len, '0');
	wk_buf_put(b, h, 512);
	wk_buf_put(b, data, len);
	put_zeros(b, (512 - len % 512) % 512);
}

static la_ssize_t to_buf(struct archive *a, void *arg, const void *p, size_t n)
{
	wk_buf *b = arg;

	wk_buf_put(b, p, n);
	return b->failed ? -1 : (la_ssize_t)n;
}

/* One gzip member holding n bytes (libarchive's raw writer). */
static void gz_member(wk_buf *out, const void *p, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	archive_write_set_format_raw(a);
	archive_write_add_filter_gzip(a);
	archive_write_set_filter_option(a, "gzip", "compression-level", "9");
	archive_write_set_filter_option(a, "gzip", "timestamp", NULL);
	archive_write_set_bytes_in_last_block(a, 1);
	archive_write_open(a, out, NULL, to_buf, NULL);
	archive_entry_set_pathname(e, "raw");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)n);
	archive_write_header(a, e);
	if (n)
		archive_write_data(a, p, n);
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
}

/* Entries of any type, in any libarchive format. */
typedef struct {
	const char *name;
	unsigned type;       /* AE_IF* */
	const char *data;
	const char *link;    /* symlink target */
	const char *hard;    /* hard link target */
} spec;

static void craft(wk_buf *out, int (*format)(struct archive *), int gzip, const spec *s, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t i, len;

	wk_buf_clear(out);
	if (format(a) != ARCHIVE_OK)
		fprintf(stderr, "craft: %s\n", archive_error_string(a));
	if (gzip) {
		archive_write_add_filter_gzip(a);
		archive_write_set_bytes_in_last_block(a, 1);
	}
	archive_write_open(a, out, NULL, to_buf, NULL);
	for (i = 0; i < n; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, s[i].name);
		archive_entry_set_filetype(e, s[i].type ? s[i].type : AE_IFREG);
		archive_entry_set_perm(e, 0644);
		if (s[i].type == AE_IFCHR || s[i].type == AE_IFBLK)
			archive_entry_set_rdev(e, makedev(1, 3));
		if (s[i].link)
			archive_entry_set_symlink(e, s[i].link);
		if (s[i].hard)
			archive_entry_set_hardlink(e, s[i].hard);
		len = s[i].data ? strlen(s[i].data) : 0;
		archive_entry_set_size(e, (la_int64_t)len);
		if (archive_write_header(a, e) < ARCHIVE_WARN)
			fprintf(stderr, "craft '%s': %s\n", s[i].name, archive_error_string(a));
		if (len)
			archive_write_data(a, s[i].data, len);
	}
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
}

#define U(b) ((const unsigned char *)(b).ptr)

/* ---- the corpus ------------------------------------------------------- */

static void bad_names(void)
{
	wk_buf b = WK_BUF_INIT;
	char longname[301];
	spec s[2] = { { "ok", 0, "fine", NULL, NULL }, { NULL, 0, "x", NULL, NULL } };
	static const struct { const char *name; const char *want; } c[] = {
		{ "../x", "has a '..' component (path traversal)" },
		{ "a/../../x", "has a '..' component (path traversal)" },
		{ "envelopes/..", "has a '..' component" },
		{ "/etc/passwd", "has an absolute path" },
		{ "./a", "has a '.' component" },
		{ "a//b", "empty path component" },
		{ "a b", "characters other than" },
		{ "evil\n\x1b[31mred", "characters other than" },
		{ "caf\xc3\xa9", "characters other than" },
		{ "C:\\evil", "characters other than" },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char label[64];

		s[1].name = c[i].name;
		craft(&b, archive_write_set_format_pax_restricted, 0, s, 2);
		snprintf(label, sizeof(label), "name #%zu", i);
		refused(label, U(b), b.len, NULL, WK_EINVALID, c[i].want, "entry '", 0);
	}
	/* The entry is named, with control characters escaped. */
	s[1].name = "evil\n\x1b[31mred";
	craft(&b, archive_write_set_format_ustar, 0, s, 2);
	refused("name escaped", U(b), b.len, NULL, WK_EINVALID, "entry 'evil\\x0a\\x1b[31mred'", NULL, 1);
	s[1].name = "../x";
	craft(&b, archive_write_set_format_ustar, 1, s, 2);
	refused("traversal, gzip", U(b), b.len, NULL, WK_EINVALID, "entry '../x'", "path traversal", 0);
	/* Too long (pax path record), and traversal hidden in a GNU long name. */
	memset(longname, 'a', 300);
	longname[300] = '\0';
	s[1].name = longname;
	craft(&b, archive_write_set_format_pax_restricted, 0, s, 2);
	refused("name of 300 bytes", U(b), b.len, NULL, WK_EINVALID, "longer than 255 bytes", NULL, 0);
	memcpy(longname + 150, "/../../../etc/x", 16);
	craft(&b, archive_write_set_format_gnutar, 0, s, 2);
	refused("GNU long name traversal", U(b), b.len, NULL, WK_EINVALID, "path traversal", NULL, 0);
	wk_buf_free(&b);
}

static void bad_types(void)
{
	wk_buf b = WK_BUF_INIT;
	spec sym[] = { { "ok", 0, "fine", NULL, NULL }, { "link", AE_IFLNK, NULL, "/etc/passwd", NULL } };
	spec hard[] = { { "a", 0, "fine", NULL, NULL }, { "b", 0, NULL, NULL, "a" } };
	spec hard2[] = { { "b", 0, NULL, NULL, "../../etc/shadow" } };
	spec chr[] = { { "tty", AE_IFCHR, NULL, NULL, NULL } };
	spec blk[] = { { "sda", AE_IFBLK, NULL, NULL, NULL } };
	spec fifo[] = { { "pipe", AE_IFIFO, NULL, NULL, NULL } };
	spec dir[] = { { "envelopes", AE_IFDIR, NULL, NULL, NULL } };
	spec dup[] = { { "a", 0, "one", NULL, NULL }, { "b", 0, "", NULL, NULL }, { "a", 0, "two", NULL, NULL } };

	craft(&b, archive_write_set_format_ustar, 0, sym, 2);
	refused("symlink", U(b), b.len, NULL, WK_EINVALID, "entry 'link' is a symbolic link", NULL, 0);
	craft(&b, archive_write_set_format_ustar, 0, hard, 2);
	refused("hardlink", U(b), b.len, NULL, WK_EINVALID, "entry 'b' is a hard link (to 'a')", NULL, 0);
	craft(&b, archive_write_set_format_pax_restricted, 0, hard2, 1);
	refused("hardlink out", U(b), b.len, NULL, WK_EINVALID, "is a hard link", NULL, 0);
	craft(&b, archive_write_set_format_ustar, 0, chr, 1);
	refused("char device", U(b), b.len, NULL, WK_EINVALID, "entry 'tty' is a character device", NULL, 0);
	craft(&b, archive_write_set_format_ustar, 0, blk, 1);
	refused("block device", U(b), b.len, NULL, WK_EINVALID, "entry 'sda' is a block device", NULL, 0);
	craft(&b, archive_write_set_format_ustar, 0, fifo, 1);
	refused("fifo", U(b), b.len, NULL, WK_EINVALID, "entry 'pipe' is a fifo", NULL, 0);
	craft(&b, archive_write_set_format_ustar, 0, dir, 1);
	refused("directory", U(b), b.len, NULL, WK_EINVALID, "is a directory", NULL, 0);
	craft(&b, archive_write_set_format_ustar, 0, dup, 3);
	refused("duplicate", U(b), b.len, NULL, WK_EINVALID, "entry 'a' appears more than once", NULL, 0);
	craft(&b, archive_write_set_format_v7tar, 0, dup, 1);
	refused("v7 tar", U(b), b.len, NULL, WK_EINVALID, "old-style (v7) tar header", NULL, 0);
	wk_buf_free(&b);
}

static void sparse(void)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	wk_buf b = WK_BUF_INIT;

	archive_write_set_format_pax(a);
	archive_write_open(a, &b, NULL, to_buf, NULL);
	archive_entry_set_pathname(e, "holes");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 1 << 20);
	archive_entry_sparse_add_entry(e, 0, 512);
	archive_write_header(a, e);
	archive_write_data(a, "data", 4);
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
	refused("sparse", U(b), b.len, NULL, WK_EINVALID, "entry 'holes' is a sparse file", NULL, 0);
	wk_buf_free(&b);
}

static void caps(void)
{
	wk_tarfile_limits lim = WK_TARFILE_LIMITS_INIT;
	wk_buf b = WK_BUF_INIT;
	unsigned char h[512];
	char hundred[101], name[16];
	double t;
	long rss;
	size_t i;

	/* 100,000 empty entries (51 MB): refused at entry 20,001 by the default cap. */
	b.max = (size_t)64 << 20;
	for (i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "e/%06zu", i);
		ustar_header(h, name, 0, '0');
		wk_buf_put(&b, h, 512);
	}
	put_zeros(&b, 1024);
	CHECK(!b.failed);
	t = now_s();
	rss = maxrss_kib();
	refused("100000 entries", U(b), b.len, NULL, WK_ELIMIT, "more than 20000 entries", NULL, 0);
	t = now_s() - t;
	printf("100000 entries: refused (3 reads) in %.2f s, max RSS grew %ld KiB\n", t, maxrss_kib() - rss);
	CHECK(t < 20);

	memset(hundred, 'h', 100);
	hundred[100] = '\0';
	wk_buf_clear(&b);
	put_entry(&b, "a", hundred, 100);
	put_entry(&b, "b", hundred, 100);
	put_entry(&b, "c", hundred, 100);
	put_entry(&b, "d", hundred, 100);
	put_zeros(&b, 1024);
	lim.max_entries = 3;
	refused("entry cap 3", U(b), b.len, &lim, WK_ELIMIT, "more than 3 entries", NULL, 0);
	lim = (wk_tarfile_limits)WK_TARFILE_LIMITS_INIT;
	lim.max_entry = 99;
	refused("entry size cap", U(b), b.len, &lim, WK_ELIMIT, "entry 'a' is 100 bytes; the limit is 99", NULL, 0);
	lim = (wk_tarfile_limits)WK_TARFILE_LIMITS_INIT;
	lim.max_total = 250;
	refused("total cap", U(b), b.len, &lim, WK_ELIMIT, "more than 250 bytes in total", "entry 'c'", 0);
	lim = (wk_tarfile_limits)WK_TARFILE_LIMITS_INIT;
	lim.max_bytes = 2000;
	refused("archive size cap", U(b), b.len, &lim, WK_ELIMIT, "the limit is 2000 bytes", NULL, 0);
	wk_buf_free(&b);
}

/* gzip members of zeros, concatenated: 1 GiB costs a megabyte and no time. */
static void put_gz_zeros(wk_buf *b, const wk_buf *mib_member, size_t mib)
{
	size_t i;

	for (i = 0; i < mib; i++)
		wk_buf_put(b, mib_member->ptr, mib_member->len);
}

static void bomb_check(const char *label, const wk_buf *b, const wk_tarfile_limits *lim, int code,
                       const char *want, const char *want2)
{
	double t = now_s();
	long rss = maxrss_kib(), grew;

	refused(label, U(*b), b->len, lim, code, want, want2, 0);
	t = now_s() - t;
	grew = maxrss_kib() - rss;
	printf("%s: %zu bytes refused (3 reads) in %.2f s, max RSS grew %ld KiB\n", label, b->len, t, grew);
	CHECK(t < 20);
	CHECK(grew < 96 * 1024); /* nowhere near the gigabyte it expands to */
}

static void bombs(void)
{
	wk_tarfile_limits lim = WK_TARFILE_LIMITS_INIT;
	wk_buf z = WK_BUF_INIT, b = WK_BUF_INIT, ok = WK_BUF_INIT;
	wk_tarfile_entry e[] = { { "fine", (const unsigned char *)"fine", 4 } };
	unsigned char h[512], *mib = calloc(1, 1 << 20);
	char name[16];
	size_t i;

	gz_member(&z, mib, 1 << 20);
	printf("one MiB of zeros gzips to %zu bytes\n", z.len);
	b.max = (size_t)64 << 20;

	/* 1 GiB of zeros in one entry, 1 MB gzipped: the header alone is refused. */
	ustar_header(h, "bomb", (uint64_t)1 << 30, '0');
	gz_member(&b, h, 512);
	put_gz_zeros(&b, &z, 1024);
	gz_member(&b, mib, 1024);
	bomb_check("bomb, default caps", &b, NULL, WK_ELIMIT,
	           "entry 'bomb' is 1073741824 bytes; the limit is 67108864 bytes", NULL);
	/* The same with the entry and total caps raised: the ratio stops it as it goes. */
	lim.max_entry = lim.max_total = (size_t)4 << 30;
	bomb_check("bomb, ratio", &b, &lim, WK_ELIMIT, "expands more than 100 times", "compression bomb");

	/* 128 entries of 8 MiB of zeros, each under the entry cap. */
	wk_buf_clear(&b);
	for (i = 0; i < 128; i++) {
		snprintf(name, sizeof(name), "z/%03zu", i);
		ustar_header(h, name, (uint64_t)8 << 20, '0');
		gz_member(&b, h, 512);
		put_gz_zeros(&b, &z, 8);
	}
	gz_member(&b, mib, 1024);
	bomb_check("bomb, spread", &b, NULL, WK_ELIMIT, "expands more than 100 times", "entry 'z/");

	/* A valid archive, then 1 GiB of zeros after its end-of-archive marker. */
	CHECK_EQ_INT(wk_tarfile_write_mem(&ok, e, 1, 1), 0);
	wk_buf_clear(&b);
	wk_buf_put(&b, ok.ptr, ok.len);
	put_gz_zeros(&b, &z, 1024);
	bomb_check("bomb, after the marker", &b, NULL, WK_ELIMIT, "expands more than 100 times", NULL);

	free(mib);
	wk_buf_free(&z);
	wk_buf_free(&b);
	wk_buf_free(&ok);
}

static void lying_sizes(void)
{
	wk_buf b = WK_BUF_INIT;
	unsigned char *h;
	char six[601];

	memset(six, 'x', 600);
	six[600] = '\0';
	/* a claims 600 bytes but holds 5: b's header is swallowed, its data read as a header. */
	put_entry(&b, "a", "hello", 5);
	put_entry(&b, "b", "world", 5);
	put_zeros(&b, 1024);
	h = (unsigned char *)b.ptr;
	snprintf((char *)h + 124, 12, "%011o", 600);
	fix_checksum(h);
	refused("size claims more", U(b), b.len, NULL, WK_ECORRUPT, "damaged after entry 'a'", NULL, 0);

	/* a claims 5 bytes but holds 600: its second block is read as a header. */
	wk_buf_clear(&b);
	put_entry(&b, "a", six, 600);
	put_entry(&b, "b", "world", 5);
	put_zeros(&b, 1024);
	h = (unsigned char *)b.ptr;
	snprintf((char *)h + 124, 12, "%011o", 5);
	fix_checksum(h);
	refused("size claims less", U(b), b.len, NULL, WK_ECORRUPT, "damaged after entry 'a'", NULL, 0);
	snprintf((char *)h + 124, 12, "%011o", 0);
	fix_checksum(h);
	refused("size claims zero", U(b), b.len, NULL, WK_ECORRUPT, "damaged after entry 'a'", NULL, 0);

	/* a claims less and the rest is zero: the rest reads as the end marker, then trailing data. */
	wk_buf_clear(&b);
	put_entry(&b, "a", "hello", 5);
	put_zeros(&b, 1024);
	put_entry(&b, "b", "world", 5);
	put_zeros(&b, 1024);
	refused("entries after the marker", U(b), b.len, NULL, WK_EINVALID,
	        "data after its end-of-archive marker", "entry 'a'", 0);

	/* a claims more than the archive holds. */
	wk_buf_clear(&b);
	put_entry(&b, "a", "hello", 5);
	put_zeros(&b, 1024);
	h = (unsigned char *)b.ptr;
	snprintf((char *)h + 124, 12, "%011o", 4000);
	fix_checksum(h);
	refused("size past the end", U(b), b.len, NULL, WK_ECORRUPT, "truncated", "entry 'a'", 0);

	/* Base-256 sizes: a petabyte (no allocation, the cap refuses it), and negative. */
	h = (unsigned char *)b.ptr;
	size_base256(h, (int64_t)1 << 50);
	refused("size of a petabyte", U(b), b.len, NULL, WK_ELIMIT,
	        "entry 'a' is 1125899906842624 bytes; the limit is", NULL, 0);
	size_base256(h, -1);
	refused("negative size", U(b), b.len, NULL, ANY_ERROR, "entry", NULL, 0);
	/* Garbage in the size field. */
	memcpy(h + 124, "zzzzzzzzzzz ", 12);
	fix_checksum(h);
	refused("garbage size", U(b), b.len, NULL, ANY_ERROR, NULL, NULL, 0);
	wk_buf_free(&b);
}

static void truncated(void)
{
	wk_tarfile_entry e[] = {
		{ "MANIFEST", (const unsigned char *)"wicket bundle\n", 14 },
		{ "envelopes/LEI/d1/0000000001.env", (const unsigned char *)"ciphertext", 10 },
	};
	wk_buf b = WK_BUF_INIT, g = WK_BUF_INIT;
	size_t end = 4 * 512 + 1024, cut, bad = 0, good = 0;
	char label[64];

	/* Plain: every cut before the end of the end-of-archive marker is refused. */
	CHECK_EQ_INT(wk_tarfile_write_mem(&b, e, 2, 0), 0);
	for (cut = 0; cut < end; cut++) {
		snprintf(label, sizeof(label), "plain cut at %zu", cut);
		bad += refused(label, U(b), cut, NULL, ANY_ERROR, NULL, NULL, 1);
	}
	CHECK_EQ_INT(bad, end);
	/* ... and the zero padding after the marker is optional. */
	for (cut = end; cut <= b.len; cut += 512)
		good += accepted("plain, padding cut", U(b), cut, 2);
	CHECK_EQ_INT(good, (b.len - end) / 512 + 1);
	printf("truncated plain archive: %zu cuts refused, %zu padding cuts accepted\n", bad, good);
	refused("cut at 1536", U(b), 1536, NULL, WK_ECORRUPT, "truncated", "entry 'envelopes/LEI/d1/0000000001.env'", 0);
	refused("cut in a header", U(b), 1100, NULL, WK_ECORRUPT, "truncated", "after entry 'MANIFEST'", 0);
	refused("cut at the marker", U(b), 2048, NULL, WK_ECORRUPT, "end-of-archive marker is missing", NULL, 0);
	refused("half a marker", U(b), 2560, NULL, WK_ECORRUPT, "end-of-archive marker is missing", NULL, 0);

	/* gzip: every cut is refused. */
	CHECK_EQ_INT(wk_tarfile_write_mem(&g, e, 2, 1), 0);
	bad = 0;
	for (cut = 0; cut < g.len; cut++) {
		snprintf(label, sizeof(label), "gzip cut at %zu", cut);
		bad += refused(label, U(g), cut, NULL, ANY_ERROR, NULL, NULL, 1);
	}
	CHECK_EQ_INT(bad, g.len);
	printf("truncated gzip archive: all %zu cuts refused\n", bad);
	refused("gzip cut in the trailer", U(g), g.len - 3, NULL, ANY_ERROR, "truncated", NULL, 0);
	CHECK(accepted("gzip whole", U(g), g.len, 2));
	wk_buf_free(&b);
	wk_buf_free(&g);
}

static void trailing(void)
{
	wk_tarfile_entry e[] = { { "a", (const unsigned char *)"one", 3 } };
	wk_buf b = WK_BUF_INIT, g = WK_BUF_INIT, t = WK_BUF_INIT;

	CHECK_EQ_INT(wk_tarfile_write_mem(&b, e, 1, 0), 0);
	b.ptr[5000] = 'X';
	refused("garbage in the padding", U(b), b.len, NULL, WK_EINVALID,
	        "data after its end-of-archive marker", "entry 'a'", 0);
	b.ptr[5000] = 0;
	wk_buf_puts(&b, "trailing garbage");
	refused("garbage after the padding", U(b), b.len, NULL, WK_EINVALID,
	        "data after its end-of-archive marker", NULL, 0);

	CHECK_EQ_INT(wk_tarfile_write_mem(&g, e, 1, 1), 0);
	wk_buf_put(&t, g.ptr, g.len);
	wk_buf_puts(&t, "trailing garbage");
	refused("gzip, garbage after", U(t), t.len, NULL, WK_EINVALID, "16 bytes after the end of its gzip data", NULL, 0);
	/* A second member after the tar: its bytes decompress after the marker. */
	wk_buf_clear(&t);
	wk_buf_put(&t, g.ptr, g.len);
	gz_member(&t, "more", 4);
	refused("gzip, second member", U(t), t.len, NULL, WK_EINVALID, "data after its end-of-archive marker", NULL, 0);
	/* Garbage after the marker inside the one gzip stream. */
	wk_buf_clear(&b);
	put_entry(&b, "a", "one", 3);
	put_zeros(&b, 1024);
	wk_buf_puts(&b, "hidden");
	wk_buf_clear(&t);
	gz_member(&t, b.ptr, b.len);
	refused("gzip, hidden after marker", U(t), t.len, NULL, WK_EINVALID, "data after its end-of-archive marker", NULL, 0);
	/* A flipped CRC byte: libarchive does not look, the tail pass does. */
	wk_buf_clear(&t);
	wk_buf_put(&t, g.ptr, g.len);
	t.ptr[t.len - 6] ^= 0x01;
	refused("gzip, bad crc", U(t), t.len, NULL, WK_ECORRUPT, "gzip checksum does not match", NULL, 0);
	wk_buf_free(&b);
	wk_buf_free(&g);
	wk_buf_free(&t);
}

static void other_formats(void)
{
	spec one[] = { { "envelopes/LEI/d1/0000000001.env", 0, "sealed", NULL, NULL } };
	wk_buf b = WK_BUF_INIT;
	unsigned char *r = malloc(65536);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t i;

	craft(&b, archive_write_set_format_zip, 0, one, 1);
	refused("zip", U(b), b.len, NULL, WK_EINVALID, "not a tar archive", "zip archive", 0);
	craft(&b, archive_write_set_format_zip, 1, one, 1);
	refused("zip, gzipped", U(b), b.len, NULL, WK_EINVALID, "not a tar archive", "gzip-compressed", 0);
	craft(&b, archive_write_set_format_cpio, 0, one, 1);
	refused("cpio (odc)", U(b), b.len, NULL, WK_EINVALID, "not a tar archive", "cpio archive", 0);
	craft(&b, archive_write_set_format_cpio_newc, 0, one, 1);
	refused("cpio (newc)", U(b), b.len, NULL, WK_EINVALID, "not a tar archive", "cpio archive", 0);
	craft(&b, archive_write_set_format_ar_svr4, 0, one, 1);
	refused("ar", U(b), b.len, NULL, WK_EINVALID, "not a tar archive", "ar archive", 0);
	craft(&b, archive_write_set_format_shar, 0, one, 1);
	refused("shar", U(b), b.len, NULL, WK_EINVALID, "not a tar archive", NULL, 0);
	craft(&b, archive_write_set_format_mtree, 0, one, 1);
	refused("mtree", U(b), b.len, NULL, WK_EINVALID, "not a tar archive", NULL, 0);

	/* Headers of formats libarchive reads but we never enable. */
	wk_buf_clear(&b);
	wk_buf_put(&b, "7z\xbc\xaf\x27\x1c\x00\x04", 8);
	put_zeros(&b, 4096);
	refused("7z header", U(b), b.len, NULL, WK_EINVALID, "not a tar archive", "7z archive", 0);
	wk_buf_clear(&b);
	put_zeros(&b, 32768);
	wk_buf_put(&b, "\x01" "CD001\x01", 7);
	put_zeros(&b, 4096 - 7);
	refused("iso9660 header", U(b), b.len, NULL, WK_EINVALID, "not a tar archive", "iso9660 image", 0);
	wk_buf_clear(&b);
	wk_buf_put(&b, "BZh91AY&SY", 10);
	put_zeros(&b, 600);
	refused("bzip2", U(b), b.len, NULL, WK_EINVALID, "bzip2-compressed", NULL, 0);
	wk_buf_clear(&b);
	wk_buf_put(&b, "\xfd" "7zXZ\0", 6);
	put_zeros(&b, 600);
	refused("xz", U(b), b.len, NULL, WK_EINVALID, "xz-compressed", NULL, 0);
	wk_buf_clear(&b);
	wk_buf_put(&b, "Rar!\x1a\x07\x00", 7);
	put_zeros(&b, 600);
	refused("rar", U(b), b.len, NULL, WK_EINVALID, "rar archive", NULL, 0);

	for (i = 0; i < 65536; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r[i] = (unsigned char)x;
	}
	refused("random bytes", r, 65536, NULL, WK_EINVALID, "not a tar archive", NULL, 0);
	refused("random, 1 byte", r, 1, NULL, WK_EINVALID, "not a tar archive", NULL, 0);
	refused("text", (const unsigned char *)"just some text\n", 15, NULL, WK_EINVALID,
	        "not a tar archive", NULL, 0);
	refused("empty file", r, 0, NULL, WK_EINVALID, "empty (0 bytes)", NULL, 0);
	free(r);
	wk_buf_free(&b);
}

/* Tar from other writers (pax, GNU) with good names is accepted. */
static void other_writers(void)
{
	spec s[] = { { "MANIFEST", 0, "m", NULL, NULL },
		{ "envelopes/LEI/d1/0000000001.env", 0, "sealed", NULL, NULL },
		{ "envelopes/LEI/d1/"
		  "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		  "0000000000000000000000000000000000000000000000000000.env", 0, "long component", NULL, NULL } };
	wk_buf b = WK_BUF_INIT;

	craft(&b, archive_write_set_format_pax, 0, s, 3);
	CHECK(accepted("pax", U(b), b.len, 3));
	craft(&b, archive_write_set_format_gnutar, 0, s, 3);
	CHECK(accepted("gnutar", U(b), b.len, 3));
	craft(&b, archive_write_set_format_pax_restricted, 1, s, 3);
	CHECK(accepted("pax, gzip", U(b), b.len, 3));
	wk_buf_free(&b);
}

int main(void)
{
	if (!mkdtemp(corpus_dir)) {
		perror("mkdtemp");
		return 2;
	}
	bad_names();
	bad_types();
	bombs(); /* first, so that the memory high-water mark is still low */
	sparse();
	caps();
	lying_sizes();
	truncated();
	trailing();
	other_formats();
	other_writers();
	printf("%zu hostile archives refused\n", cases);
	rmdir(corpus_dir);
	return test_summary();
}
