/*
 * packs.c - merging a repository's smallest packs. See packs.h.
 */
#include "packs.h"
#include "durable.h"
#include "error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A pack's weight in the progression: its objects, an empty pack counting as one. */
static size_t weight(size_t objects)
{
	return objects ? objects : 1;
}

size_t wk_packs_plan(const size_t *objects, size_t n, size_t cap)
{
	size_t split, i, k, total = 0;

	if (n < 2)
		return 0;
	/* The largest pack that is not at least twice the one before it breaks the progression. */
	for (i = n - 1; i > 0; i--)
		if (weight(objects[i]) < 2 * weight(objects[i - 1]))
			break;
	if (i == 0)
		return 0;
	split = i + 1;
	for (i = 0; i < split; i++)
		total += weight(objects[i]);
	/* The merged pack may break it with the next ones: they are taken in too. */
	while (split < n && weight(objects[split]) < 2 * total)
		total += weight(objects[split++]);
	/* At most cap objects in one merge: the smallest packs, as many as fit. */
	for (k = 0, total = 0; k < split && total + weight(objects[k]) <= cap; k++)
		total += weight(objects[k]);
	/*
	 * Cut short by cap, the largest pack taken may dwarf the others: it
	 * would be rewritten for a small gain, at every sync. It is left out
	 * while it is at least twice the others together (a progression
	 * already), so that each object rewritten comes with at least half as
	 * many new ones.
	 */
	while (k >= 2 && weight(objects[k - 1]) >= 2 * (total - weight(objects[k - 1]))) {
		total -= weight(objects[k - 1]);
		k--;
	}
	return k >= 2 ? k : 0;
}

typedef struct {
	char name[64]; /* "pack-<hex>", without the extension */
	size_t objects;
} pack;

/*
 * The number of objects a pack index lists: the last entry of its fan-out
 * table. Its version (1 or 2), or -1 when it is neither.
 */
static int idx_objects(const char *path, size_t *out)
{
	unsigned char h[8 + 256 * 4];
	const unsigned char *fan;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC), version;

	if (fd < 0)
		return -1;
	got = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (got >= (ssize_t)sizeof(h) && memcmp(h, "\377tOc", 4) == 0 && h[4] == 0 && h[5] == 0 && h[6] == 0 && h[7] == 2)
		fan = h + 8, version = 2;
	else if (got >= 256 * 4)
		fan = h, version = 1;
	else
		return -1;
	fan += 255 * 4;
	*out = (size_t)fan[0] << 24 | (size_t)fan[1] << 16 | (size_t)fan[2] << 8 | fan[3];
	return version;
}

static int by_objects(const void *a, const void *b)
{
	const pack *x = a, *y = b;

	if (x->objects != y->objects)
		return x->objects < y->objects ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * The packs in dir that may be merged in one tier: those with an index (of
 * version 2, which git and libgit2 have written since 2007) and a pack file,
 * no .keep file (git's mark for a pack to leave alone) and at least lo but
 * fewer than hi objects, in ascending order of objects. *all:
 * every pack index found. *mode: the permissions of one of their pack files.
 */
static int list_packs(const char *dir, size_t lo, size_t hi, pack **out, size_t *n, size_t *all, unsigned *mode)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	pack *v = NULL;
	size_t have = 0;

	*out = NULL;
	*n = *all = 0;
	if (!d)
		return errno == ENOENT ? 0 : wk_error_set(WK_EIO, "cannot read the folder '%s': %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name), objects;
		char path[4400];
		struct stat st;

		if (len < 10 || len - 4 >= sizeof(v->name) || strncmp(e->d_name, "pack-", 5) != 0 ||
		    strcmp(e->d_name + len - 4, ".idx") != 0)
			continue;
		++*all;
		snprintf(path, sizeof(path), "%s/%.*s.keep", dir, (int)(len - 4), e->d_name);
		if (lstat(path, &st) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%.*s.pack", dir, (int)(len - 4), e->d_name);
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (!*n)
			*mode = (unsigned)st.st_mode & 0777;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (idx_objects(path, &objects) != 2 || objects < lo || objects >= hi)
			continue;
		if (*n == have) {
			pack *bigger = realloc(v, (have ? have * 2 : 16) * sizeof(*v));
			if (!bigger) {
				closedir(d);
				free(v);
				return wk_error_set(WK_ELIMIT, "out of memory");
			}
			v = bigger;
			have = have ? have * 2 : 16;
		}
		snprintf(v[*n].name, sizeof(v[*n].name), "%.*s", (int)(len - 4), e->d_name);
		v[(*n)++].objects = objects;
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), by_objects);
	*out = v;
	return 0;
}

/* An object database of the one pack dir/NAME.idx. */
static int one_pack(git_odb **out, const char *dir, const char *name)
{
	git_odb_backend *be = NULL;
	char path[4400];

	*out = NULL;
	snprintf(path, sizeof(path), "%s/%s.idx", dir, name);
	if (git_odb_backend_one_pack(&be, path) < 0)
		return -1;
	if (git_odb_new(out) < 0 || git_odb_add_backend(*out, be, 1) < 0) {
		be->free(be); /* the odb owns a backend only once it is added */
		git_odb_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

typedef struct {
	git_odb *merged;
	size_t missing;
} check;

static int present(const git_oid *id, void *payload)
{
	check *c = payload;

	if (!git_odb_exists(c->merged, id))
		c->missing++;
	return 0;
}

/* Delete the pack dir/NAME: its index first, so that no reader finds an index without its pack. */
static int delete_pack(const char *dir, const char *name)
{
	static const char *const ext[] = { ".idx", ".pack", ".rev", ".bitmap", ".mtimes", ".promisor" };
	char path[4400];

	for (size_t i = 0; i < sizeof(ext) / sizeof(*ext); i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext[i]);
		if (lstat(path, &st) == 0 && unlink(path) != 0 && errno != ENOENT)
			return wk_error_set(errno == ENOSPC ? WK_ENOSPACE : errno == EROFS || errno == EACCES ||
			                    errno == EPERM ? WK_EREADONLY : WK_EIO,
			                    "cannot delete '%s' after merging it into a new pack: %s", path, strerror(errno));
	}
	return 0;
}

static int git_failed(const char *gitdir, const char *doing)
{
	const git_error *e = git_error_last();
	const char *m = e && e->message ? e->message : "libgit2 failed";
	int code = strstr(m, "No space left") ? WK_ENOSPACE :
	           strstr(m, "Read-only") || strstr(m, "Permission denied") ? WK_EREADONLY : WK_EIO;

	return wk_error_set(code, "cannot merge the packs of '%s' (%s): %s", gitdir, doing, m);
}

/* ---- the merge: the packs' entries copied into one new pack ---------------------
 *
 * An entry is copied as it is stored, compressed: nothing is inflated and
 * deflated again (libgit2's pack builder does that, and took 15.6 s and
 * 145 MB for 178,500 objects; this, 2.0 s and 44 MB). The stream goes
 * to libgit2's indexer, which checks every object (it inflates each to
 * name it) and writes the pack and its index as a fetch does, fsynced. Only
 * an entry that names its base by a distance (an offset delta) is changed:
 * the distance, to where its base now is. An object held by several of the
 * packs (a merge that stopped after writing, two devices merging at once)
 * is copied once.
 */

typedef struct {
	const unsigned char *oid; /* in its pack's index, loaded */
	uint64_t offset;          /* where its entry starts in its pack */
	uint64_t moved;           /* where it starts in the merged pack */
	uint32_t pack;            /* which of the packs merged */
	uint32_t kept;            /* the object copied for it (itself, unless a duplicate) */
} object;

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int by_place(const void *a, const void *b)
{
	const object *x = a, *y = b;

	if (x->pack != y->pack)
		return x->pack < y->pack ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static const object *sorted_objects; /* qsort has no context argument in C99 */

static int by_oid(const void *a, const void *b)
{
	const object *x = &sorted_objects[*(const uint32_t *)a], *y = &sorted_objects[*(const uint32_t *)b];
	int c = memcmp(x->oid, y->oid, GIT_OID_RAWSZ);

	return c ? c : by_place(x, y);
}

static int damaged(const char *dir, const char *name, const char *what)
{
	return wk_error_set(WK_ECORRUPT, "cannot merge the packs in '%s': %s.pack does not match its index (%s); "
	                    "nothing was merged ('git index-pack' may repair it)", dir, name, what);
}

/* Is sum the SHA-1 of data[0..len)? */
static int sha1_matches(const unsigned char *data, size_t len, const unsigned char *sum)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	return EVP_Digest(data, len, md, &n, EVP_sha1(), NULL) == 1 && n == GIT_OID_RAWSZ &&
	       memcmp(md, sum, GIT_OID_RAWSZ) == 0;
}

/* Read dir/name.idx (version 2) into *buf and add its objects to *all (*n of *cap) as pack p. */
static int load_index(const char *dir, const char *name, uint32_t p, unsigned char **buf, object **all, size_t *n,
                      size_t *cap)
{
	char path[4400];
	struct stat st;
	const unsigned char *off32, *off64;
	size_t count, nlarge, i, need;
	ssize_t got = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s.idx", dir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return wk_error_set(WK_EIO, "cannot read '%s': %s", path, strerror(errno));
	}
	if (st.st_size < 8 + 1024 + 40) {
		close(fd);
		return damaged(dir, name, "a short index");
	}
	if (!(*buf = malloc((size_t)st.st_size))) {
		close(fd);
		return wk_error_set(WK_ELIMIT, "out of memory");
	}
	got = pread(fd, *buf, (size_t)st.st_size, 0);
	close(fd);
	if (got != st.st_size)
		return damaged(dir, name, "a short index");
	/*
	 * The index's own checksum: a damaged object id could otherwise pass for
	 * a duplicate of another pack's object, and its entry be dropped.
	 */
	if (!sha1_matches(*buf, (size_t)st.st_size - 20, *buf + st.st_size - 20))
		return damaged(dir, name, "the index's checksum does not match it");
	count = be32(*buf + 8 + 255 * 4);
	need = 8 + 1024 + count * 28 + 40;
	if (memcmp(*buf, "\377tOc\0\0\0\2", 8) != 0 || count > ((size_t)st.st_size - 1072) / 28 || need > (size_t)st.st_size)
		return damaged(dir, name, "not an index of version 2");
	off32 = *buf + 8 + 1024 + count * 24;
	off64 = off32 + count * 4;
	nlarge = ((size_t)st.st_size - need) / 8;
	if (*n + count > *cap) {
		size_t grown = *cap ? *cap : 1024;
		object *bigger;

		while (grown < *n + count)
			grown *= 2;
		if (!(bigger = realloc(*all, grown * sizeof(**all))))
			return wk_error_set(WK_ELIMIT, "out of memory");
		*all = bigger;
		*cap = grown;
	}
	for (i = 0; i < count; i++) {
		object *o = &(*all)[(*n)++];
		uint32_t v = be32(off32 + i * 4);

		o->oid = *buf + 8 + 1024 + i * GIT_OID_RAWSZ;
		o->pack = p;
		if (v & 0x80000000u) {
			v &= 0x7fffffffu;
			if (v >= nlarge)
				return damaged(dir, name, "a large offset out of range");
			o->offset = (uint64_t)be32(off64 + v * 8) << 32 | be32(off64 + v * 8 + 4);
		} else {
			o->offset = v;
		}
	}
	return 0;
}

/* The indexer is given the stream a megabyte at a time: a call per entry made it map and unmap at every one. */
#define SINK_BUFFER (1 << 20)

typedef struct {
	const char *gitdir, *dir;
	const pack *v;      /* the packs merged, in the order they are copied */
	const size_t *ends; /* ends[p]: the objects of packs 0..p copied (not counting duplicates) */
	size_t k;
	git_indexer *ix;
	git_indexer_progress progress;
	EVP_MD_CTX *sha1;   /* the pack's trailer: SHA-1 of all that comes before it */
	uint64_t written;   /* bytes of the stream so far, buffered or not */
	unsigned char *buf; /* SINK_BUFFER bytes not yet given to the indexer */
	size_t used;
} sink;

/*
 * The indexer refused the stream. A full or read-only disk is that; else
 * an entry is damaged: the indexer had taken `received_objects` whole ones
 * before it, which names the pack it came from, unless it failed only
 * when resolving the deltas at the end.
 */
static int refused(const sink *o)
{
	const git_error *e = git_error_last();
	const char *m = e && e->message ? e->message : "libgit2 failed";
	size_t at = o->progress.received_objects, p;

	if (strstr(m, "No space left") || strstr(m, "Read-only") || strstr(m, "Permission denied") ||
	    strstr(m, "out of memory"))
		return git_failed(o->gitdir, "writing the merged pack");
	for (p = 0; p < o->k; p++)
		if (at < o->ends[p])
			return damaged(o->dir, o->v[p].name, m);
	return wk_error_set(WK_ECORRUPT, "cannot merge the packs in '%s': one of them holds a damaged entry (%s); "
	                    "nothing was merged ('git fsck' names it)", o->dir, m);
}

static int flush(sink *o)
{
	if (o->used && EVP_DigestUpdate(o->sha1, o->buf, o->used) != 1)
		return wk_error_set(WK_EIO, "cannot checksum the merged pack");
	if (o->used && git_indexer_append(o->ix, o->buf, o->used, &o->progress) < 0)
		return refused(o);
	o->used = 0;
	return 0;
}

static int put(sink *o, const void *p, size_t n)
{
	while (n) {
		size_t room = SINK_BUFFER - o->used, take = n < room ? n : room;
		int rc;

		memcpy(o->buf + o->used, p, take);
		o->used += take;
		o->written += take;
		p = (const unsigned char *)p + take;
		n -= take;
		if (o->used == SINK_BUFFER && (rc = flush(o)) < 0)
			return rc;
	}
	return 0;
}

/* Copy bytes [from, to) of fd to o, through buf. */
static int copy_range(sink *o, int fd, uint64_t from, uint64_t to, unsigned char *buf, size_t size,
                      const char *dir, const char *name)
{
	while (from < to) {
		size_t want = to - from < size ? (size_t)(to - from) : size;
		ssize_t got = pread(fd, buf, want, (off_t)from);
		int rc;

		if (got <= 0)
			return got < 0 ? wk_error_set(WK_EIO, "cannot read %s/%s.pack: %s", dir, name, strerror(errno))
			               : damaged(dir, name, "it ends early");
		if ((rc = put(o, buf, (size_t)got)) < 0)
			return rc;
		from += (uint64_t)got;
	}
	return 0;
}

/*
 * Copy pack p's objects, all[first..last) in the order of their offsets, to
 * o. Objects copied before (earlier packs, earlier entries) have their
 * place in the merged pack in .moved; so does each object here, as it goes.
 */
static int copy_pack(sink *o, const char *dir, const char *name, object *all, size_t first, size_t last,
                     unsigned char *buf, size_t size)
{
	char path[4400];
	unsigned char h[64], dist[16];
	struct stat st;
	uint64_t end_data;
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/%s.pack", dir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		rc = wk_error_set(WK_EIO, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if (st.st_size < 12 + 20 || pread(fd, h, 12, 0) != 12 || memcmp(h, "PACK", 4) != 0 ||
	    (be32(h + 4) != 2 && be32(h + 4) != 3) || be32(h + 8) != last - first) {
		rc = damaged(dir, name, "its header");
		goto out;
	}
	end_data = (uint64_t)st.st_size - 20;
	for (size_t i = first; i < last && rc == 0; i++) {
		object *ob = &all[i];
		uint64_t start = ob->offset, end = i + 1 < last ? all[i + 1].offset : end_data, ofs;
		size_t pos = 1, got, len = 0, sized;
		unsigned char c;
		int type;

		if (start < 12 || end <= start || end > end_data) {
			rc = damaged(dir, name, "an entry out of range");
			break;
		}
		if (ob->kept != i) { /* held by an earlier pack: copied there */
			ob->moved = all[ob->kept].moved;
			continue;
		}
		got = end - start < sizeof(h) ? (size_t)(end - start) : sizeof(h);
		if (pread(fd, h, got, (off_t)start) != (ssize_t)got) {
			rc = damaged(dir, name, "it ends early");
			break;
		}
		ob->moved = o->written;
		type = (h[0] >> 4) & 7;
		for (c = h[0]; (c & 0x80) && pos < got; pos++)
			c = h[pos];
		if ((c & 0x80) || type == 0 || type == 5 || pos >= got) {
			rc = damaged(dir, name, "an entry's header");
			break;
		}
		if (type != 6) { /* a whole object, or a delta naming its base by id: as it is */
			rc = copy_range(o, fd, start, end, buf, size, dir, name);
			continue;
		}
		/* An offset delta: its base is in this pack, that far before it. */
		sized = pos; /* the type and size, kept as they are */
		c = h[pos++];
		ofs = c & 127;
		while ((c & 0x80) && pos < got && ofs < ((uint64_t)1 << 56)) {
			c = h[pos++];
			ofs = ((ofs + 1) << 7) | (c & 127);
		}
		if ((c & 0x80) || ofs == 0 || ofs > start) {
			rc = damaged(dir, name, "a delta's base offset");
			break;
		}
		{
			object key = { NULL, start - ofs, 0, ob->pack, 0 };
			const object *base = bsearch(&key, all + first, i - first, sizeof(*all), by_place);
			size_t hdr = pos;

			if (!base) {
				rc = damaged(dir, name, "a delta's base is not an entry");
				break;
			}
			ofs = o->written - base->moved; /* the new distance, in git's encoding */
			dist[sizeof(dist) - 1] = ofs & 127;
			len = 1;
			while (ofs >>= 7)
				dist[sizeof(dist) - ++len] = 0x80 | (--ofs & 127);
			if ((rc = put(o, h, sized)) < 0 || (rc = put(o, dist + sizeof(dist) - len, len)) < 0)
				break;
			rc = copy_range(o, fd, start + hdr, end, buf, size, dir, name);
		}
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * Write one pack holding every object of the packs v[0..k) of dir, with the
 * permissions mode, through repo's indexer; its name ("pack-<hex>") into
 * merged, its objects into *objects.
 */
static int concatenate(git_repository *repo, const char *gitdir, const char *dir, const pack *v, size_t k,
                       unsigned mode, char *merged, size_t merged_size, size_t *objects)
{
	git_indexer_options opts;
	sink o = { gitdir, dir, v, NULL, k, NULL, { 0 }, NULL, 0, NULL, 0 };
	unsigned char **idx = calloc(k, sizeof(*idx)), head[12], trailer[EVP_MAX_MD_SIZE], *buf = NULL;
	size_t n = 0, cap = 0, unique = 0, *start = calloc(k + 1, sizeof(*start)), *ends = calloc(k, sizeof(*ends)), i;
	uint32_t *order = NULL;
	object *all = NULL;
	git_odb *odb = NULL;
	unsigned tlen = 0;
	int rc = 0;

	git_indexer_options_init(&opts, GIT_INDEXER_OPTIONS_VERSION);
	if (!idx || !start || !ends || !(buf = malloc(1 << 16)) || !(o.buf = malloc(SINK_BUFFER))) {
		rc = wk_error_set(WK_ELIMIT, "out of memory");
		goto out;
	}
	for (i = 0; i < k && rc == 0; i++) {
		start[i] = n;
		rc = load_index(dir, v[i].name, (uint32_t)i, &idx[i], &all, &n, &cap);
	}
	start[k] = n;
	if (rc < 0)
		goto out;
	if (n > UINT32_MAX || !(order = malloc((n ? n : 1) * sizeof(*order)))) {
		rc = wk_error_set(WK_ELIMIT, "too many objects to merge at once");
		goto out;
	}
	/* In the order they are copied: by pack, then by offset. Then each copy after the first of an id points to it. */
	qsort(all, n, sizeof(*all), by_place);
	for (i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	sorted_objects = all;
	qsort(order, n, sizeof(*order), by_oid);
	for (i = 0; i < n; i++) {
		int dup = i > 0 && memcmp(all[order[i]].oid, all[order[i - 1]].oid, GIT_OID_RAWSZ) == 0;

		all[order[i]].kept = dup ? all[order[i - 1]].kept : order[i];
		unique += !dup;
	}
	free(order);
	order = NULL;
	for (i = 0; i < k; i++) {
		ends[i] = i ? ends[i - 1] : 0;
		for (size_t j = start[i]; j < start[i + 1]; j++)
			ends[i] += all[j].kept == j;
	}
	o.ends = ends;

	if (git_repository_odb(&odb, repo) < 0 || git_indexer_new(&o.ix, dir, mode, odb, &opts) < 0) {
		rc = git_failed(gitdir, "starting a pack");
		goto out;
	}
	if (!(o.sha1 = EVP_MD_CTX_new()) || EVP_DigestInit_ex(o.sha1, EVP_sha1(), NULL) != 1) {
		rc = wk_error_set(WK_EIO, "cannot checksum the merged pack (OpenSSL's SHA-1 is not available)");
		goto out;
	}
	memcpy(head, "PACK\0\0\0\2", 8);
	head[8] = (unsigned char)(unique >> 24);
	head[9] = (unsigned char)(unique >> 16);
	head[10] = (unsigned char)(unique >> 8);
	head[11] = (unsigned char)unique;
	if ((rc = put(&o, head, sizeof(head))) < 0)
		goto out;
	for (i = 0; i < k; i++)
		if ((rc = copy_pack(&o, dir, v[i].name, all, start[i], start[i + 1], buf, 1 << 16)) < 0)
			goto out;
	if ((rc = flush(&o)) < 0)
		goto out;
	if (EVP_DigestFinal_ex(o.sha1, trailer, &tlen) != 1 || tlen != GIT_OID_RAWSZ) {
		rc = wk_error_set(WK_EIO, "cannot checksum the merged pack");
		goto out;
	}
	if (git_indexer_append(o.ix, trailer, tlen, &o.progress) < 0 || git_indexer_commit(o.ix, &o.progress) < 0) {
		rc = refused(&o);
		goto out;
	}
	snprintf(merged, merged_size, "pack-%s", git_indexer_name(o.ix));
	*objects = o.progress.indexed_objects;
out:
	git_indexer_free(o.ix);
	EVP_MD_CTX_free(o.sha1);
	git_odb_free(odb);
	for (i = 0; idx && i < k; i++)
		free(idx[i]);
	free(idx);
	free(start);
	free(ends);
	free(order);
	free(all);
	free(buf);
	free(o.buf);
	return rc;
}

int wk_packs_merge(const char *gitdir, size_t cap, size_t least, wk_packs_result *out)
{
	char dir[4300], merged[64], path[4400];
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	pack *v = NULL;
	size_t n, k = 0, *counts = NULL;
	check c = { NULL, 0 };
	unsigned mode = 0444;
	struct stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (cap > (size_t)1 << 32) /* a batch size from the environment: no overflow in the tiers below */
		cap = (size_t)1 << 32;
	if (snprintf(dir, sizeof(dir), "%s/objects/pack", gitdir) >= (int)sizeof(dir))
		return wk_error_set(WK_ELIMIT, "the path '%s' is too long", gitdir);
	/* The small packs first; the large ones only when the small ones have nothing to merge. */
	for (int tier = 0; tier < 2; tier++) {
		size_t lo = tier ? cap / 2 + cap % 2 : 0, hi = tier ? WK_PACKS_TIER * lo : cap / 2 + cap % 2;
		size_t tier_cap = tier ? WK_PACKS_TIER * cap : cap;

		free(v);
		free(counts);
		counts = NULL;
		if ((rc = list_packs(dir, lo, hi, &v, &n, &out->before, &mode)) < 0)
			return rc;
		if (!(counts = calloc(n ? n : 1, sizeof(*counts)))) {
			free(v);
			return wk_error_set(WK_ELIMIT, "out of memory");
		}
		for (size_t i = 0; i < n; i++)
			counts[i] = v[i].objects;
		if (n >= least && (k = wk_packs_plan(counts, n, tier_cap)) >= 2)
			break;
		k = 0;
	}
	if (k < 2)
		goto out;
	git_error_clear();
	if (git_repository_open_bare(&repo, gitdir) < 0) {
		rc = git_failed(gitdir, "opening it");
		goto out;
	}
	/* As readable by others as the packs it replaces (0444 less the umask otherwise). */
	if ((rc = concatenate(repo, gitdir, dir, v, k, mode, merged, sizeof(merged), &out->objects)) < 0)
		goto out;
	/* Every object of the packs to delete must be in the one written (fsynced by libgit2) before any goes. */
	if (one_pack(&c.merged, dir, merged) < 0) {
		snprintf(path, sizeof(path), "%s/%s.idx", dir, merged);
		if (lstat(path, &st) != 0 && errno == ENOENT)
			rc = wk_error_set(WK_ECONFLICT, "the packs of '%s' were merged by another command at the same time; "
			                  "nothing was deleted here", gitdir);
		else
			rc = git_failed(gitdir, "reading the merged pack");
		goto out;
	}
	for (size_t i = 0; i < k; i++) {
		if (one_pack(&odb, dir, v[i].name) < 0 || git_odb_foreach(odb, present, &c) < 0) {
			rc = git_failed(gitdir, "checking the merged pack");
			goto out;
		}
		git_odb_free(odb);
		odb = NULL;
	}
	if (c.missing) {
		rc = wk_error_set(WK_ECORRUPT, "cannot merge the packs of '%s': the merged pack lacks %zu of their objects; "
		                  "nothing was deleted", gitdir, c.missing);
		goto out;
	}
	for (size_t i = 0; i < k; i++)
		if (strcmp(v[i].name, merged) != 0 && (rc = delete_pack(dir, v[i].name)) < 0)
			goto out;
	if (wk_fsync_dir(dir) != 0) {
		rc = wk_error_set(WK_EIO, "cannot make the deletion of merged packs in '%s' durable: %s", dir, strerror(errno));
		goto out;
	}
	out->merged = k;
out:
	git_odb_free(c.merged);
	git_odb_free(odb);
	git_repository_free(repo);
	free(counts);
	free(v);
	return rc;
}

/*
 * The packs wicket writes hold no deltas. Their blobs are sealed changesets,
 * which are random to a delta search, and that search (with zlib) was a
 * third of a large pull's time. libgit2 1.5 has no switch for it, but
 * leaves out of the search every object bigger than its big-file threshold,
 * which it reads from the configuration key pack.deltaCacheSize (sic;
 * core.bigFileThreshold is git's name for it, set too in case a later
 * libgit2 reads that). So REPO is given a configuration of its own setting
 * both to 1 byte, from the file at path, rewritten each time.
 */
void wk_packs_no_deltas(git_repository *repo, const char *path)
{
	static const char text[] = "# wicket: packs it writes have no deltas (sync/packs.c)\n"
	                           "[pack]\n\tdeltaCacheSize = 1\n[core]\n\tbigFileThreshold = 1\n";
	char tmp[4300];
	git_config *cfg = NULL;
	FILE *f;
	int ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "w")))
		return;
	ok = fputs(text, f) >= 0;
	if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return;
	}
	if (git_config_new(&cfg) == 0 && git_config_add_file_ondisk(cfg, path, GIT_CONFIG_LEVEL_APP, repo, 1) == 0)
		git_repository_set_config(repo, cfg);
	git_config_free(cfg);
	git_error_clear();
}
