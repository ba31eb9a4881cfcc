/*
 * tarfile.h - the tar layer under bundles: write a tar of named byte strings,
 * and read one back from memory, treating it as hostile.
 *
 * A bundle (sneakernet: envelopes and a signed manifest on removable media) is
 * a tar archive. This module knows nothing of envelopes or manifests: it moves
 * (name, bytes) pairs in and out of a tar, with libarchive 3.6, and is the only
 * library code that includes libarchive's headers (its codes and messages are
 * translated here and never leak past it).
 * The byte layout is docs/format/bundle-archive.md.
 *
 * Writing: POSIX ustar, uncompressed or gzip-compressed, deterministic (the
 * same entries in the same order give the same bytes), written to a file
 * atomically or into a wk_buf. Entries are written in the order given.
 *
 * Reading: only tar (ustar, pax, GNU tar), only uncompressed or gzip; never
 * "all formats". Every entry must be a regular file with a valid, unique name
 * (see wk_tarfile_name_ok); the archive, the entry count, each entry, the sum
 * of entries and the compression ratio are capped and checked as the bytes
 * arrive, before anything is allocated for them. The whole archive is
 * validated before the first callback, so a refused archive is never
 * half-delivered. Nothing is ever extracted or written to disk by the reader;
 * it never runs an external program.
 *
 * This module must not decide what the entries mean (the bundle layer does)
 * and never prints.
 */
#ifndef WK_TARFILE_H
#define WK_TARFILE_H

#include <stddef.h>

#include "buf.h"

/* One entry to write: name (see wk_tarfile_name_ok) and len bytes at data
 * (data may be NULL when len is 0). Borrowed for the duration of the call. */
typedef struct {
	const char *name;
	const unsigned char *data;
	size_t len;
} wk_tarfile_entry;

/*
 * Caps for reading. A field left 0 takes its default; a NULL limits pointer
 * takes every default. The writer refuses to exceed the defaults, so every
 * archive this program writes is accepted by a reader using the defaults.
 */
typedef struct {
	size_t max_bytes;   /* the archive itself (compressed), checked before reading */
	size_t max_entries; /* entries in the archive */
	size_t max_entry;   /* one entry's content */
	size_t max_total;   /* the sum of all entries' contents */
	unsigned max_ratio; /* decompressed tar stream / compressed bytes read so far */
} wk_tarfile_limits;

/*
 * 256 MiB archives, 20,000 entries, 64 MiB per entry (the largest envelope,
 * envelope.h), 512 MiB in total, expansion at most 100 times. The ratio is
 * checked as the stream is decompressed, with WK_TARFILE_RATIO_SLACK bytes of
 * allowance so that small archives (mostly tar padding) are not refused.
 */
#define WK_TARFILE_LIMITS_INIT \
	{ (size_t)256 << 20, 20000, (size_t)64 << 20, (size_t)512 << 20, 100u }
#define WK_TARFILE_RATIO_SLACK ((size_t)1 << 20)

/* Longest entry name, in bytes (the ustar name and prefix fields). */
#define WK_TARFILE_NAME_MAX 255

/*
 * 1 if name is a valid entry name, else 0: 1..255 bytes; components of
 * [A-Za-z0-9._-] joined by single '/'; no empty, "." or ".." component (so no
 * leading or trailing '/'); and storable in a ustar header: at most 100 bytes,
 * or split at a '/' into a prefix of at most 155 bytes and a rest of at most
 * 100 bytes (docs/format/bundle-archive.md gives the exact rule). The reader
 * applies the same rule except the ustar split (pax and GNU names may be
 * stored differently).
 */
int wk_tarfile_name_ok(const char *name);

/*
 * Write the n entries, in the given order, as a ustar archive, gzip-compressed
 * when gzip is non-zero. Refused (WK_EINVALID) if a name is invalid or
 * repeated; refused (WK_ELIMIT) if the archive would break a default limit.
 *
 * wk_tarfile_write_file writes path atomically: a temporary file in the same
 * directory, fsync, rename over path (replacing it), fsync of the directory.
 * On failure path is untouched and the temporary file removed.
 * wk_tarfile_write_mem replaces out's content with the archive; out->max
 * still applies, and a max of 0 is set to the default archive cap (256 MiB).
 * On failure out is left empty. out and its memory belong to the caller.
 */
int wk_tarfile_write_file(const char *path, const wk_tarfile_entry *e, size_t n, int gzip);
int wk_tarfile_write_mem(wk_buf *out, const wk_tarfile_entry *e, size_t n, int gzip);

/*
 * Called once per entry, in archive order. name and data are borrowed and
 * valid only during the call (data is NUL-terminated after len bytes for
 * convenience; it may hold NULs). Return 0 to go on; a negative wk code stops
 * the read and is returned as is (set its message with wk_error_set()).
 */
typedef int (*wk_tarfile_cb)(const char *name, const unsigned char *data, size_t len, void *arg);

/*
 * Read the archive of n bytes at p. First the whole archive is validated
 * (every check above, reading every byte, holding no entry in memory); only
 * if it passes is cb called for each entry (a second pass holding one entry
 * at a time, at most max_entry bytes). With cb NULL only the validation runs.
 * Returns 0, a refusal (WK_EINVALID: not a tar, a bad entry type or name, a
 * duplicate, trailing data; WK_ECORRUPT: truncated or damaged; WK_ELIMIT: a
 * cap; the message names the entry where there is one), or cb's code.
 *
 * wk_tarfile_read_file reads the file at path into memory first, refusing
 * it before reading if it is not a regular file or is larger than max_bytes.
 */
int wk_tarfile_read_mem(const unsigned char *p, size_t n, const wk_tarfile_limits *lim,
                        wk_tarfile_cb cb, void *arg);
int wk_tarfile_read_file(const char *path, const wk_tarfile_limits *lim,
                         wk_tarfile_cb cb, void *arg);

#endif
