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

/* The number of objects a pack index (version 1 or 2) lists: the last entry of its fan-out table. */
static int idx_objects(const char *path, size_t *out)
{
	unsigned char h[8 + 256 * 4];
	const unsigned char *fan;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	got = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (got >= (ssize_t)sizeof(h) && memcmp(h, "\377tOc", 4) == 0 && h[4] == 0 && h[5] == 0 && h[6] == 0 && h[7] == 2)
		fan = h + 8;
	else if (got >= 256 * 4)
		fan = h;
	else
		return -1;
	fan += 255 * 4;
	*out = (size_t)fan[0] << 24 | (size_t)fan[1] << 16 | (size_t)fan[2] << 8 | fan[3];
	return 0;
}

static int by_objects(const void *a, const void *b)
{
	const pack *x = a, *y = b;

	if (x->objects != y->objects)
		return x->objects < y->objects ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * The packs in dir that may be merged: those with an index and a pack file,
 * no .keep file (git's mark for a pack to leave alone) and less than half
 * of cap objects (two bigger ones could never be merged under cap: were
 * they counted, a repository holding many would merge at every sync), in
 * ascending order of objects. *all: every pack index found. *mode: the
 * permissions of one of their pack files.
 */
static int list_packs(const char *dir, size_t cap, pack **out, size_t *n, size_t *all, unsigned *mode)
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
		if (idx_objects(path, &objects) < 0 || objects >= cap / 2 + cap % 2)
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
	git_packbuilder *pb;
	git_oid first;
	int any;
} inserting;

static int insert(const git_oid *id, void *payload)
{
	inserting *in = payload;

	if (!in->any) {
		in->first = *id;
		in->any = 1;
	}
	return git_packbuilder_insert(in->pb, id, NULL);
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

int wk_packs_merge(const char *gitdir, const char *config, size_t cap, size_t least, wk_packs_result *out)
{
	char dir[4300], merged[64], path[4400];
	git_repository *repo = NULL;
	git_packbuilder *pb = NULL;
	git_odb *odb = NULL;
	pack *v = NULL;
	size_t n, k, *counts = NULL;
	check c = { NULL, 0 };
	unsigned mode = 0444;
	struct stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (snprintf(dir, sizeof(dir), "%s/objects/pack", gitdir) >= (int)sizeof(dir))
		return wk_error_set(WK_ELIMIT, "the path '%s' is too long", gitdir);
	if ((rc = list_packs(dir, cap, &v, &n, &out->before, &mode)) < 0)
		return rc;
	if (!(counts = calloc(n ? n : 1, sizeof(*counts)))) {
		free(v);
		return wk_error_set(WK_ELIMIT, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		counts[i] = v[i].objects;
	if (n < least || (k = wk_packs_plan(counts, n, cap)) < 2)
		goto out;
	git_error_clear();
	if (git_repository_open_bare(&repo, gitdir) < 0) {
		rc = git_failed(gitdir, "opening it");
		goto out;
	}
	if (config)
		wk_packs_no_deltas(repo, config);
	if (git_packbuilder_new(&pb, repo) < 0) {
		rc = git_failed(gitdir, "starting a pack");
		goto out;
	}
	git_packbuilder_set_threads(pb, 1);
	for (size_t i = 0; i < k; i++) {
		inserting in = { pb, { { 0 } }, 0 };
		size_t len;
		git_object_t type;

		if (one_pack(&odb, dir, v[i].name) < 0 || git_odb_foreach(odb, insert, &in) < 0) {
			rc = git_failed(gitdir, "reading a pack");
			goto out;
		}
		/* Reading from the pack checks it against its index: a damaged one is left for git to repair. */
		if (in.any && git_odb_read_header(&len, &type, odb, &in.first) < 0) {
			rc = wk_error_set(WK_ECORRUPT, "cannot merge the packs of '%s': %s.pack does not match its index (%s); "
			                  "nothing was merged ('git index-pack' may repair it)", gitdir, v[i].name,
			                  git_error_last() && git_error_last()->message ? git_error_last()->message : "?");
			goto out;
		}
		git_odb_free(odb);
		odb = NULL;
	}
	/* As readable by others as the packs it replaces (0444 less the umask otherwise). */
	if (git_packbuilder_write(pb, dir, mode, NULL, NULL) < 0) {
		rc = git_failed(gitdir, "writing the merged pack");
		goto out;
	}
	snprintf(merged, sizeof(merged), "pack-%s", git_packbuilder_name(pb));
	out->objects = git_packbuilder_object_count(pb);
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
	git_packbuilder_free(pb);
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
