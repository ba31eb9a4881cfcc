/*
 * tarfile.c - the tar layer under bundles. See tarfile.h and
 * docs/format/bundle-archive.md. The only file that includes libarchive's
 * headers: its codes and messages are translated here.
 *
 * Reading runs up to three passes over the bytes in memory, each streaming
 * with bounded memory:
 *   1. the tar pass, validating only: formats, entry types, names, duplicates,
 *      sizes counted as they arrive, every cap, the end-of-archive marker;
 *   2. the tail pass: bytes after the end-of-archive marker must be zero
 *      padding; for gzip, the whole stream is decompressed again (format
 *      "raw") to see the padding, the gzip trailer's CRC-32 and length, and
 *      that the gzip data ends where the archive ends;
 *   3. only if a callback was given and 1 and 2 passed: the tar pass again,
 *      holding one entry at a time and handing it to the callback.
 */
/* libarchive (this module is the only user of its headers in the library). */
#include <archive.h>
#include <archive_entry.h>
#include "tarfile.h"
#include "durable.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h> /* the temporary file counter */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bytes read from libarchive at a time. */
#define CHUNK ((size_t)64 << 10)
/* Decompressed tar stream allowed per entry beyond its content (headers,
 * pax records, padding): caps the stream together with max_total. */
#define STREAM_PER_ENTRY ((size_t)4 << 10)
#define BLOCK 512
#define EOF_MARKER (2 * BLOCK)

/* ---- names ---------------------------------------------------------- */

static int name_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* NULL if name is acceptable (ignoring the ustar split), else why not. */
static const char *name_problem(const char *name)
{
	size_t len = strlen(name), i, start = 0;

	if (len == 0)
		return "has an empty name";
	if (name[0] == '/')
		return "has an absolute path";
	for (i = 0; i <= len; i++) {
		if (i < len && name[i] != '/') {
			if (!name_char_ok((unsigned char)name[i]))
				return "has a name with characters other than A-Z a-z 0-9 . _ - and /";
			continue;
		}
		if (i - start == 2 && name[start] == '.' && name[start + 1] == '.')
			return "has a '..' component (path traversal)";
		if (i - start == 1 && name[start] == '.')
			return "has a '.' component";
		if (i == start)
			return "has an empty path component (a trailing or doubled '/')";
		start = i + 1;
	}
	if (len > WK_TARFILE_NAME_MAX)
		return "has a name longer than 255 bytes";
	return NULL;
}

/* Where libarchive's ustar writer splits a long name (see the format doc):
 * the first '/' at or after len - 101 that is not the first byte. */
static int ustar_fits(const char *name)
{
	size_t len = strlen(name);
	const char *p;

	if (len <= 100)
		return 1;
	p = strchr(name + len - 101, '/');
	if (p == name)
		p = strchr(p + 1, '/');
	return p && p[1] != '\0' && (size_t)(p - name) <= 155;
}

int wk_tarfile_name_ok(const char *name)
{
	return name && !name_problem(name) && ustar_fits(name);
}

/* A name as shown in messages: printable ASCII kept, other bytes as \xHH,
 * long names cut. out has size bytes. */
static const char *shown(char *out, size_t size, const char *name)
{
	size_t o = 0, i;

	for (i = 0; name[i] && o + 8 < size; i++) {
		unsigned char c = (unsigned char)name[i];

		if (i >= 120) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\')
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

#define SHOWN_MAX 512

/* ---- a set of names, to refuse duplicates --------------------------- */

typedef struct {
	char **slot;
	size_t cap, n;
} nameset;

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void nameset_free(nameset *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	s->slot = NULL;
	s->cap = s->n = 0;
}

static void nameset_put(char **slot, size_t cap, char *name)
{
	size_t i = (size_t)name_hash(name) & (cap - 1);

	while (slot[i])
		i = (i + 1) & (cap - 1);
	slot[i] = name;
}

/* 1 added, 0 already there, WK_ERROR out of memory (message set). */
static int nameset_add(nameset *s, const char *name)
{
	size_t i;

	if (s->cap) {
		for (i = (size_t)name_hash(name) & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
			if (strcmp(s->slot[i], name) == 0)
				return 0;
	}
	if ((s->n + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		char **ns = calloc(ncap, sizeof(*ns));

		if (!ns)
			return wk_error_set(WK_ERROR, "out of memory checking archive entry names");
		for (i = 0; i < s->cap; i++)
			if (s->slot[i])
				nameset_put(ns, ncap, s->slot[i]);
		free(s->slot);
		s->slot = ns;
		s->cap = ncap;
	}
	{
		char *copy = strdup(name);

		if (!copy)
			return wk_error_set(WK_ERROR, "out of memory checking archive entry names");
		nameset_put(s->slot, s->cap, copy);
	}
	s->n++;
	return 1;
}

/* ---- limits --------------------------------------------------------- */

static wk_tarfile_limits resolve(const wk_tarfile_limits *lim)
{
	wk_tarfile_limits d = WK_TARFILE_LIMITS_INIT, r = d;

	if (lim) {
		r = *lim;
		if (!r.max_bytes)
			r.max_bytes = d.max_bytes;
		if (!r.max_entries)
			r.max_entries = d.max_entries;
		if (!r.max_entry)
			r.max_entry = d.max_entry;
		if (!r.max_total)
			r.max_total = d.max_total;
		if (!r.max_ratio)
			r.max_ratio = d.max_ratio;
	}
	return r;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* The most decompressed tar stream an archive may produce. */
static uint64_t stream_cap(const wk_tarfile_limits *L)
{
	return sat_add(sat_add(L->max_total, sat_mul(sat_add(L->max_entries, 2), STREAM_PER_ENTRY)),
	               WK_TARFILE_RATIO_SLACK);
}

/* ---- reading -------------------------------------------------------- */

typedef struct {
	const unsigned char *p;
	size_t n;
	wk_tarfile_limits L;
	const char *what;       /* "archive" or "archive '<path>'" */
	char last[SHOWN_MAX];   /* the last entry read, shown; "" before the first */
	uint64_t tar_end;       /* decompressed offset after the end-of-archive marker */
	int gzip;               /* the tar stream was gzip-compressed */
	int tail;               /* in the tail pass */
} reader;

/* What the bytes look like when they are not a tar, for the message. */
static const char *sniff(const unsigned char *p, size_t n)
{
	static const struct { size_t off; const char *magic; size_t len; const char *what; } m[] = {
		{ 0, "PK\x03\x04", 4, "a zip archive" },
		{ 0, "PK\x05\x06", 4, "an empty zip archive" },
		{ 0, "070707", 6, "a cpio archive" },
		{ 0, "070701", 6, "a cpio archive" },
		{ 0, "070702", 6, "a cpio archive" },
		{ 0, "\xc7\x71", 2, "a binary cpio archive" },
		{ 0, "\x71\xc7", 2, "a binary cpio archive" },
		{ 0, "7z\xbc\xaf\x27\x1c", 6, "a 7z archive" },
		{ 0, "Rar!\x1a\x07", 6, "a rar archive" },
		{ 0, "!<arch>\n", 8, "an ar archive" },
		{ 0, "xar!", 4, "a xar archive" },
		{ 0, "MSCF", 4, "a cab archive" },
		{ 0, "\x1f\x8b", 2, "gzip-compressed data that is not a tar archive" },
		{ 0, "BZh", 3, "bzip2-compressed data" },
		{ 0, "\xfd" "7zXZ", 5, "xz-compressed data" },
		{ 0, "\x28\xb5\x2f\xfd", 4, "zstd-compressed data" },
		{ 0, "\x04\x22\x4d\x18", 4, "lz4-compressed data" },
		{ 0, "\x1f\x9d", 2, "compress (.Z) data" },
		{ 32769, "CD001", 5, "an iso9660 image" },
		{ 257, "ustar", 5, "a tar archive whose first header is damaged" },
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (n >= m[i].off + m[i].len && memcmp(p + m[i].off, m[i].magic, m[i].len) == 0)
			return m[i].what;
	return "neither tar nor a format wicket knows";
}

/* Translate libarchive's failure on r's archive into a wk error. */
static int lib_fail(reader *r, struct archive *a, const char *where)
{
	const char *detail = archive_error_string(a);
	char d[256];

	if (archive_errno(a) == ENOMEM)
		return wk_error_set(WK_ERROR, "out of memory reading %s", r->what);
	/* libarchive's gzip reader says nothing when the gzip trailer is cut. */
	if (!detail || !*detail)
		return wk_error_set(WK_ECORRUPT, "%s is truncated or damaged %s (its data ends early); "
		                    "get a fresh copy of it", r->what, where);
	snprintf(d, sizeof(d), "%s", detail);
	if (d[0] >= 'A' && d[0] <= 'Z')
		d[0] = (char)(d[0] - 'A' + 'a');
	return wk_error_set(WK_ECORRUPT, "%s is %s %s (%s); get a fresh copy of it", r->what,
	                    strstr(d, "runcated") || strstr(d, "remature end") ? "truncated" : "damaged",
	                    where, d);
}

static int header_fail(reader *r, struct archive *a)
{
	char where[SHOWN_MAX + 64];

	if (r->last[0])
		snprintf(where, sizeof(where), "after entry '%s'", r->last);
	else
		snprintf(where, sizeof(where), "at its first entry");
	return lib_fail(r, a, where);
}

/* Where the reader is, for messages. */
static const char *place(const reader *r, char *out, size_t size)
{
	if (r->tail)
		snprintf(out, size, "after the end-of-archive marker");
	else if (r->last[0])
		snprintf(out, size, "at entry '%s'", r->last);
	else
		snprintf(out, size, "before the first entry");
	return out;
}

/* The decompressed stream so far against the compressed bytes used so far. */
static int check_ratio(reader *r, struct archive *a)
{
	int64_t out = archive_filter_bytes(a, 0), in = archive_filter_bytes(a, -1);
	uint64_t o = out < 0 ? 0 : (uint64_t)out, i = in < 0 ? 0 : (uint64_t)in;
	char where[SHOWN_MAX + 64];

	if (o > stream_cap(&r->L))
		return wk_error_set(WK_ELIMIT, "%s expands to more than %llu bytes (%s); "
		                    "the limit follows from the entry and total caps",
		                    r->what, (unsigned long long)stream_cap(&r->L),
		                    place(r, where, sizeof(where)));
	if (o > sat_add(sat_mul(i, r->L.max_ratio), WK_TARFILE_RATIO_SLACK))
		return wk_error_set(WK_ELIMIT, "%s expands more than %u times (%llu bytes from %llu "
		                    "compressed bytes, %s): refused as a compression bomb",
		                    r->what, r->L.max_ratio, (unsigned long long)o,
		                    (unsigned long long)i, place(r, where, sizeof(where)));
	return 0;
}

static struct archive *open_reader(reader *r, int raw)
{
	struct archive *a = archive_read_new();

	if (!a) {
		wk_error_set(WK_ERROR, "out of memory reading %s", r->what);
		return NULL;
	}
	/* gzip must be built in (ARCHIVE_WARN means an external program). */
	if (archive_read_support_filter_none(a) != ARCHIVE_OK ||
	    archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
	    (raw ? archive_read_support_format_raw(a) : archive_read_support_format_tar(a)) != ARCHIVE_OK) {
		wk_error_set(WK_ERROR, "libarchive lacks built-in tar or gzip support; "
		             "install the distribution's libarchive");
		archive_read_free(a);
		return NULL;
	}
	if (archive_read_open_memory(a, r->p, r->n) != ARCHIVE_OK) {
		const char *e = archive_error_string(a);

		if (!raw && e && strstr(e, "Unrecognized archive format"))
			wk_error_set(WK_EINVALID, "%s is not a tar archive (it looks like %s); "
			             "a bundle is a tar or gzip-compressed tar written by wicket",
			             r->what, sniff(r->p, r->n));
		else
			lib_fail(r, a, "at its start");
		archive_read_free(a);
		return NULL;
	}
	return a;
}

static const char *type_name(mode_t t)
{
	switch (t) {
	case AE_IFLNK: return "a symbolic link";
	case AE_IFDIR: return "a directory";
	case AE_IFCHR: return "a character device";
	case AE_IFBLK: return "a block device";
	case AE_IFIFO: return "a fifo";
	case AE_IFSOCK: return "a socket";
	default: return "not a regular file";
	}
}

/* Every check on one header; sets r->last. */
static int check_header(reader *r, struct archive *a, struct archive_entry *ent, nameset *seen)
{
	const char *name = archive_entry_pathname(ent);
	const char *why;
	char s[SHOWN_MAX];
	int fmt = archive_format(a), rc;
	int64_t size;

	if (!name)
		return wk_error_set(WK_EINVALID, "%s has an entry whose name cannot be read (after entry '%s')",
		                    r->what, r->last);
	shown(r->last, sizeof(r->last), name);
	if (fmt != ARCHIVE_FORMAT_TAR_USTAR && fmt != ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE &&
	    fmt != ARCHIVE_FORMAT_TAR_PAX_RESTRICTED && fmt != ARCHIVE_FORMAT_TAR_GNUTAR)
		return wk_error_set(WK_EINVALID, "%s: entry '%s' has an old-style (v7) tar header; "
		                    "only ustar, pax and GNU tar are accepted", r->what, r->last);
	if (archive_entry_hardlink(ent))
		return wk_error_set(WK_EINVALID, "%s: entry '%s' is a hard link (to '%s'); "
		                    "only regular files are accepted", r->what, r->last,
		                    shown(s, sizeof(s), archive_entry_hardlink(ent)));
	if (archive_entry_filetype(ent) != AE_IFREG || archive_entry_symlink(ent))
		return wk_error_set(WK_EINVALID, "%s: entry '%s' is %s; only regular files are accepted",
		                    r->what, r->last, type_name(archive_entry_filetype(ent)));
	if ((why = name_problem(name)) != NULL)
		return wk_error_set(WK_EINVALID, "%s: entry '%s' %s; refused", r->what, r->last, why);
	if (archive_entry_sparse_count(ent) > 0)
		return wk_error_set(WK_EINVALID, "%s: entry '%s' is a sparse file; "
		                    "only plain regular files are accepted", r->what, r->last);
	if (!archive_entry_size_is_set(ent) || (size = archive_entry_size(ent)) < 0)
		return wk_error_set(WK_ECORRUPT, "%s: entry '%s' has no valid size", r->what, r->last);
	if ((uint64_t)size > r->L.max_entry)
		return wk_error_set(WK_ELIMIT, "%s: entry '%s' is %lld bytes; the limit is %zu bytes",
		                    r->what, r->last, (long long)size, r->L.max_entry);
	rc = nameset_add(seen, name);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return wk_error_set(WK_EINVALID, "%s: entry '%s' appears more than once", r->what, r->last);
	return 0;
}

/*
 * Read the entry's content in bounded chunks, counting it, against the caps;
 * kept in keep (capped at the header's size) when keep is not NULL.
 */
static int read_content(reader *r, struct archive *a, struct archive_entry *ent, uint64_t *total,
                        unsigned char *chunk, wk_buf *keep)
{
	uint64_t want = (uint64_t)archive_entry_size(ent), got = 0;
	la_ssize_t k;
	int rc;

	for (;;) {
		k = archive_read_data(a, chunk, CHUNK);
		if (k < 0) {
			char where[SHOWN_MAX + 32];

			snprintf(where, sizeof(where), "in entry '%s'", r->last);
			return lib_fail(r, a, where);
		}
		if (k == 0)
			break;
		got += (uint64_t)k;
		*total += (uint64_t)k;
		if (got > want || got > r->L.max_entry)
			return wk_error_set(WK_ECORRUPT, "%s: entry '%s' holds more than the %llu bytes "
			                    "its header says", r->what, r->last, (unsigned long long)want);
		if (*total > r->L.max_total)
			return wk_error_set(WK_ELIMIT, "%s: the entries hold more than %zu bytes in total "
			                    "(at entry '%s')", r->what, r->L.max_total, r->last);
		if (keep) {
			wk_buf_put(keep, chunk, (size_t)k);
			if ((rc = wk_buf_check(keep, "archive entry")) < 0)
				return rc;
		}
		if ((rc = check_ratio(r, a)) < 0)
			return rc;
	}
	if (got != want)
		return wk_error_set(WK_ECORRUPT, "%s: entry '%s' holds %llu bytes but its header says %llu",
		                    r->what, r->last, (unsigned long long)got, (unsigned long long)want);
	return 0;
}

/* Pass 1 (cb NULL: validate) or 3 (deliver to cb). */
static int tar_pass(reader *r, wk_tarfile_cb cb, void *arg)
{
	struct archive *a;
	struct archive_entry *ent;
	nameset seen = { NULL, 0, 0 };
	wk_buf keep = WK_BUF_INIT;
	unsigned char *chunk = NULL;
	uint64_t total = 0;
	size_t count = 0;
	int64_t before;
	int rc = 0, lr;

	r->last[0] = '\0';
	r->tail = 0;
	if (!(a = open_reader(r, 0)))
		return wk_error_code();
	if (!(chunk = malloc(CHUNK))) {
		rc = wk_error_set(WK_ERROR, "out of memory reading %s", r->what);
		goto out;
	}
	r->gzip = archive_filter_code(a, 0) == ARCHIVE_FILTER_GZIP;
	for (;;) {
		before = archive_filter_bytes(a, 0);
		lr = archive_read_next_header(a, &ent);
		if (lr == ARCHIVE_EOF)
			break;
		if (lr != ARCHIVE_OK) {
			rc = header_fail(r, a);
			goto out;
		}
		if (++count > r->L.max_entries) {
			rc = wk_error_set(WK_ELIMIT, "%s has more than %zu entries; refused before reading "
			                  "the rest", r->what, r->L.max_entries);
			goto out;
		}
		if ((rc = check_header(r, a, ent, &seen)) < 0 || (rc = check_ratio(r, a)) < 0)
			goto out;
		wk_buf_clear(&keep);
		keep.max = (size_t)archive_entry_size(ent);
		if ((rc = read_content(r, a, ent, &total, chunk, cb ? &keep : NULL)) < 0)
			goto out;
		if (cb) {
			if (!keep.ptr)
				wk_buf_put(&keep, "", 0);
			if ((rc = wk_buf_check(&keep, "archive entry")) < 0 ||
			    (rc = cb(archive_entry_pathname(ent), (const unsigned char *)keep.ptr,
			             keep.len, arg)) < 0)
				goto out;
			rc = 0;
		}
	}
	/* libarchive also ends at a block boundary with no marker (a cut archive). */
	if (archive_filter_bytes(a, 0) - before != EOF_MARKER) {
		rc = wk_error_set(WK_ECORRUPT, "%s is truncated: its end-of-archive marker is missing%s%s%s; "
		                  "get a fresh copy of it", r->what, r->last[0] ? " after entry '" : "",
		                  r->last, r->last[0] ? "'" : "");
		goto out;
	}
	r->tar_end = (uint64_t)archive_filter_bytes(a, 0);
out:
	nameset_free(&seen);
	wk_buf_free(&keep);
	free(chunk);
	archive_read_free(a);
	return rc;
}

/* CRC-32 (ISO-HDLC, as in gzip), with a table the caller fills once. */
static void crc32_table(uint32_t table[256])
{
	uint32_t c, k, j;

	for (k = 0; k < 256; k++) {
		for (c = k, j = 0; j < 8; j++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		table[k] = c;
	}
}

static uint32_t crc32_update(const uint32_t table[256], uint32_t crc, const unsigned char *p, size_t n)
{
	size_t i;

	crc = ~crc;
	for (i = 0; i < n; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static int trailing_fail(reader *r)
{
	/* Data behind an empty tar (zero blocks at the start): another format. */
	if (!r->last[0])
		return wk_error_set(WK_EINVALID, "%s is not a tar archive (it looks like %s); "
		                    "a bundle is a tar or gzip-compressed tar written by wicket",
		                    r->what, sniff(r->p, r->n));
	return wk_error_set(WK_EINVALID, "%s has data after its end-of-archive marker (after entry '%s'); "
	                    "refused", r->what, r->last);
}

/* Pass 2 for gzip: the whole decompressed stream, and the gzip trailer. */
static int gzip_tail_pass(reader *r)
{
	struct archive *a;
	struct archive_entry *ent;
	unsigned char *chunk = NULL;
	uint64_t off = 0, i;
	uint32_t crc = 0, want_crc, want_len, table[256];
	la_ssize_t k;
	int rc = 0;

	if (r->n < 18)
		return wk_error_set(WK_ECORRUPT, "%s is truncated: its gzip data is too short", r->what);
	if (!(a = open_reader(r, 1)))
		return wk_error_code();
	if (!(chunk = malloc(CHUNK))) {
		rc = wk_error_set(WK_ERROR, "out of memory reading %s", r->what);
		goto out;
	}
	r->tail = 1;
	crc32_table(table);
	if (archive_read_next_header(a, &ent) != ARCHIVE_OK) {
		rc = lib_fail(r, a, "in its gzip stream");
		goto out;
	}
	for (;;) {
		k = archive_read_data(a, chunk, CHUNK);
		if (k < 0) {
			rc = lib_fail(r, a, "in its gzip stream");
			goto out;
		}
		if (k == 0)
			break;
		for (i = 0; i < (uint64_t)k; i++)
			if (off + i >= r->tar_end && chunk[i]) {
				rc = trailing_fail(r);
				goto out;
			}
		crc = crc32_update(table, crc, chunk, (size_t)k);
		off += (uint64_t)k;
		if ((rc = check_ratio(r, a)) < 0)
			goto out;
	}
	if (archive_filter_bytes(a, -1) != (int64_t)r->n) {
		rc = wk_error_set(WK_EINVALID, "%s has %lld bytes after the end of its gzip data; refused",
		                  r->what, (long long)r->n - (long long)archive_filter_bytes(a, -1));
		goto out;
	}
	/* One gzip member: its trailer is the last 8 bytes (libarchive does not check it). */
	want_crc = (uint32_t)r->p[r->n - 8] | (uint32_t)r->p[r->n - 7] << 8 |
	           (uint32_t)r->p[r->n - 6] << 16 | (uint32_t)r->p[r->n - 5] << 24;
	want_len = (uint32_t)r->p[r->n - 4] | (uint32_t)r->p[r->n - 3] << 8 |
	           (uint32_t)r->p[r->n - 2] << 16 | (uint32_t)r->p[r->n - 1] << 24;
	if (crc != want_crc || (uint32_t)off != want_len)
		rc = wk_error_set(WK_ECORRUPT, "%s is damaged: its gzip checksum does not match "
		                  "(or it holds more than one gzip member); get a fresh copy of it", r->what);
out:
	free(chunk);
	archive_read_free(a);
	return rc;
}

/* Pass 2 for plain tar: only zero padding may follow the marker. */
static int plain_tail(reader *r)
{
	size_t i;

	for (i = (size_t)r->tar_end; i < r->n; i++)
		if (r->p[i])
			return trailing_fail(r);
	return 0;
}

static int read_mem_as(const unsigned char *p, size_t n, const wk_tarfile_limits *lim,
                       wk_tarfile_cb cb, void *arg, const char *what)
{
	reader r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.p = p;
	r.n = n;
	r.L = resolve(lim);
	r.what = what;
	if (!p && n)
		return wk_error_set(WK_EUSAGE, "no archive bytes given");
	if (n == 0)
		return wk_error_set(WK_EINVALID, "%s is empty (0 bytes); it is not a bundle", what);
	if (n > r.L.max_bytes)
		return wk_error_set(WK_ELIMIT, "%s is %zu bytes; the limit is %zu bytes", what, n,
		                    r.L.max_bytes);
	if ((rc = tar_pass(&r, NULL, NULL)) < 0)
		return rc;
	if ((rc = r.gzip ? gzip_tail_pass(&r) : plain_tail(&r)) < 0)
		return rc;
	if (!cb)
		return 0;
	return tar_pass(&r, cb, arg);
}

int wk_tarfile_read_mem(const unsigned char *p, size_t n, const wk_tarfile_limits *lim,
                        wk_tarfile_cb cb, void *arg)
{
	return read_mem_as(p, n, lim, cb, arg, "archive");
}

int wk_tarfile_read_file(const char *path, const wk_tarfile_limits *lim, wk_tarfile_cb cb, void *arg)
{
	wk_tarfile_limits L = resolve(lim);
	wk_buf b = WK_BUF_INIT;
	char what[4200];
	int rc;

	b.max = L.max_bytes;
	if ((rc = wk_buf_read_file(&b, path, L.max_bytes, "archive")) < 0)
		goto out;
	snprintf(what, sizeof(what), "archive '%s'", path);
	rc = read_mem_as((const unsigned char *)b.ptr, b.len, &L, cb, arg, what);
out:
	wk_buf_free(&b);
	return rc;
}

/* ---- writing -------------------------------------------------------- */

typedef struct {
	wk_buf *out;
	size_t max;
	int over;
} sink;

static la_ssize_t sink_write(struct archive *a, void *arg, const void *p, size_t n)
{
	sink *s = arg;

	if (n > s->max || s->out->len > s->max - n) {
		s->over = 1;
		archive_set_error(a, EFBIG, "archive too large");
		return -1;
	}
	wk_buf_put(s->out, p, n);
	if (s->out->failed) {
		s->over = 1;
		archive_set_error(a, ENOMEM, "out of memory");
		return -1;
	}
	return (la_ssize_t)n;
}

/* The writer's own checks: names, duplicates, the default caps. */
static int check_input(const wk_tarfile_entry *e, size_t n)
{
	wk_tarfile_limits d = WK_TARFILE_LIMITS_INIT;
	nameset seen = { NULL, 0, 0 };
	uint64_t total = 0;
	char s[SHOWN_MAX];
	size_t i;
	int rc = 0;

	if (n && !e)
		return wk_error_set(WK_EUSAGE, "no archive entries given");
	if (n > d.max_entries)
		return wk_error_set(WK_ELIMIT, "cannot write an archive of %zu entries; the limit is %zu "
		                    "(split it into several bundles)", n, d.max_entries);
	for (i = 0; i < n; i++) {
		if (!e[i].name || !wk_tarfile_name_ok(e[i].name)) {
			rc = wk_error_set(WK_EINVALID, "cannot write archive entry '%s': a name is 1..255 "
			                  "bytes of A-Z a-z 0-9 . _ - components joined by '/', with no "
			                  "'.' or '..' component, each component at most 100 bytes",
			                  e[i].name ? shown(s, sizeof(s), e[i].name) : "(null)");
			goto out;
		}
		if (e[i].len && !e[i].data) {
			rc = wk_error_set(WK_EUSAGE, "archive entry '%s' has a length but no data", e[i].name);
			goto out;
		}
		if (e[i].len > d.max_entry) {
			rc = wk_error_set(WK_ELIMIT, "cannot write archive entry '%s' of %zu bytes; the "
			                  "limit is %zu bytes", e[i].name, e[i].len, d.max_entry);
			goto out;
		}
		total += e[i].len;
		if (total > d.max_total) {
			rc = wk_error_set(WK_ELIMIT, "cannot write an archive holding more than %zu bytes "
			                  "(split it into several bundles)", d.max_total);
			goto out;
		}
		if ((rc = nameset_add(&seen, e[i].name)) < 0)
			goto out;
		if (rc == 0) {
			rc = wk_error_set(WK_EINVALID, "cannot write archive: entry '%s' is given twice",
			                  e[i].name);
			goto out;
		}
		rc = 0;
	}
out:
	nameset_free(&seen);
	return rc;
}

static int write_fail(struct archive *a, const sink *s)
{
	wk_tarfile_limits d = WK_TARFILE_LIMITS_INIT;
	const char *e = archive_error_string(a);

	if (s->over && s->out->failed)
		return wk_error_set(WK_ELIMIT, "cannot write archive: out of memory or over the "
		                    "buffer's limit of %zu bytes", s->max);
	if (s->over)
		return wk_error_set(WK_ELIMIT, "cannot write archive: it would be larger than %zu bytes "
		                    "(split it into several bundles)", d.max_bytes);
	return wk_error_set(WK_ERROR, "cannot write archive: %s", e && *e ? e : "unknown error");
}

static int write_entries(struct archive *a, const wk_tarfile_entry *e, size_t n)
{
	struct archive_entry *ent = archive_entry_new();
	size_t i, done;
	la_ssize_t k;
	int rc = 0;

	if (!ent)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		archive_entry_clear(ent);
		archive_entry_set_pathname(ent, e[i].name);
		archive_entry_set_filetype(ent, AE_IFREG);
		archive_entry_set_perm(ent, 0644);
		archive_entry_set_size(ent, (la_int64_t)e[i].len);
		archive_entry_set_mtime(ent, 0, 0);
		archive_entry_set_uid(ent, 0);
		archive_entry_set_gid(ent, 0);
		if (archive_write_header(a, ent) != ARCHIVE_OK) {
			rc = -1;
			break;
		}
		for (done = 0; done < e[i].len; done += (size_t)k) {
			k = archive_write_data(a, e[i].data + done, e[i].len - done);
			if (k <= 0) {
				rc = -1;
				break;
			}
		}
	}
	archive_entry_free(ent);
	return rc;
}

int wk_tarfile_write_mem(wk_buf *out, const wk_tarfile_entry *e, size_t n, int gzip)
{
	wk_tarfile_limits d = WK_TARFILE_LIMITS_INIT;
	struct archive *a = NULL;
	sink s;
	int rc;

	if (!out)
		return wk_error_set(WK_EUSAGE, "no output buffer for the archive");
	wk_buf_clear(out);
	if ((rc = check_input(e, n)) < 0)
		return rc;
	if (!out->max)
		out->max = d.max_bytes;
	s.out = out;
	s.max = out->max < d.max_bytes ? out->max : d.max_bytes;
	s.over = 0;
	if (!(a = archive_write_new()))
		return wk_error_set(WK_ERROR, "out of memory writing archive");
	if (archive_write_set_format_ustar(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 10240) != ARCHIVE_OK ||
	    (gzip && (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	              archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
	              archive_write_set_filter_option(a, "gzip", "compression-level", "6") != ARCHIVE_OK ||
	              archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK))) {
		rc = wk_error_set(WK_ERROR, "libarchive cannot write a %s archive here: %s",
		                  gzip ? "gzip-compressed ustar" : "ustar", archive_error_string(a));
		goto out;
	}
	if (archive_write_open(a, &s, NULL, sink_write, NULL) != ARCHIVE_OK ||
	    write_entries(a, e, n) < 0 || archive_write_close(a) != ARCHIVE_OK) {
		rc = write_fail(a, &s);
		goto out;
	}
	/* Every archive written is one a reader with the default limits accepts
	 * (this also catches contents that compress too well for the ratio cap). */
	if (wk_tarfile_read_mem((const unsigned char *)out->ptr, out->len, NULL, NULL, NULL) < 0) {
		char why[1024];

		snprintf(why, sizeof(why), "%s", wk_error_msg());
		rc = wk_error_set(WK_ELIMIT, "cannot write archive: a reader would refuse it (%s)%s",
		                  why, gzip ? "; write it without compression" : "");
		goto out;
	}
out:
	archive_write_free(a);
	if (rc < 0)
		wk_buf_clear(out);
	return rc;
}

static int errno_fail(const char *doing, const char *path, int err)
{
	if (err == ENOSPC || err == EDQUOT)
		return wk_error_set(WK_ENOSPACE, "%s '%s': the disk is full; free some space and try again "
		                    "(nothing was changed)", doing, path);
	if (err == EROFS || err == EACCES || err == EPERM)
		return wk_error_set(WK_EREADONLY, "%s '%s': %s (nothing was changed)", doing, path,
		                    strerror(err));
	return wk_error_set(WK_EIO, "%s '%s': %s", doing, path, strerror(err));
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int wk_tarfile_write_file(const char *path, const wk_tarfile_entry *e, size_t n, int gzip)
{
	static atomic_uint counter;
	wk_buf buf = WK_BUF_INIT;
	char tmp[4096];
	int fd = -1, rc, made = 0, i;

	if (!path || !*path)
		return wk_error_set(WK_EUSAGE, "no archive file name given");
	if (strlen(path) + 40 >= sizeof(tmp))
		return wk_error_set(WK_EINVALID, "archive path '%s' is too long", path);
	if ((rc = wk_tarfile_write_mem(&buf, e, n, gzip)) < 0)
		goto out;
	for (i = 0; i < 100 && fd < 0; i++) {
		snprintf(tmp, sizeof(tmp), "%s.tmp-%ld-%u", path, (long)getpid(),
		         atomic_fetch_add(&counter, 1u));
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0 && errno != EEXIST) {
			rc = errno_fail("cannot create a temporary file next to", path, errno);
			goto out;
		}
	}
	if (fd < 0) {
		rc = wk_error_set(WK_EIO, "cannot create a temporary file next to '%s'", path);
		goto out;
	}
	made = 1;
	if (write_all(fd, buf.ptr, buf.len) != 0 || fsync(fd) != 0) {
		rc = errno_fail("cannot write archive", path, errno);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = errno_fail("cannot write archive", path, errno);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		rc = errno_fail("cannot replace archive", path, errno);
		goto out;
	}
	made = 0;
	rc = wk_fsync_parent(path) == 0 ? 0 : errno_fail("cannot sync the directory of", path, errno);
out:
	if (fd >= 0)
		close(fd);
	if (made)
		unlink(tmp);
	wk_buf_free(&buf);
	return rc;
}
