/*
 * remote.c - the regional repository through libgit2. See remote.h. With
 * packs.c, the only file that includes libgit2's headers: its codes are
 * translated here.
 */
#include "remote.h"
#include "durable.h"
#include "error.h"
#include "packs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <git2.h>
#include <git2/sys/repository.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long wk_repo_open waits for another wicket command to release the mirror. */
#define WK_REPO_LOCK_WAIT_MS 10000

struct wk_repo {
	git_repository *repo;
	char *path;
	int lock_fd;          /* the flock on sync.lock beside the mirror, held until wk_repo_free */
	int unreachable;      /* the last transfer failed on the network (offline), not on a disk */
	char warning[700];    /* a note for the user (a stale lock removed), or "" */
	/* A batch of appends (wk_repo_batch_begin): a second handle whose new objects stay in memory. */
	git_repository *batch;
	git_odb_backend *batch_mem;
	char batch_ref[300];
	git_oid batch_tip, batch_start;
	int batch_has_tip, batch_had_start;
	size_t batch_count;
};

/*
 * What a libgit2 or system message says of a disk: 'f' full, 'r' read-only
 * or not writable, 'i' an I/O error, 'l' a lock file in the way, 0 none of
 * these. libgit2 ends its OS errors with strerror(errno).
 */
static int disk_fault(const char *msg)
{
	if (!msg)
		return 0;
	if (strstr(msg, strerror(ENOSPC)) || strstr(msg, strerror(EDQUOT)))
		return 'f';
	if (strstr(msg, strerror(EROFS)) || strstr(msg, strerror(EACCES)) || strstr(msg, strerror(EPERM)))
		return 'r';
	if (strstr(msg, strerror(EIO)))
		return 'i';
	if (strstr(msg, "failed to lock file"))
		return 'l';
	return 0;
}

/* The first quoted path in a libgit2 message ("failed to lock file '/x/y.lock' for writing"), or def. */
static void quoted_path(const char *msg, const char *def, char *out, size_t size)
{
	const char *a = strchr(msg, '\''), *b = a ? strchr(a + 1, '\'') : NULL;

	if (a && b)
		snprintf(out, size, "%.*s", (int)(b - a - 1), a + 1);
	else
		snprintf(out, size, "%s", def);
}

/*
 * A disk failure of the local mirror (regional = 0) or of a file:// regional
 * repository (regional = 1), as a message that says which disk and what to
 * do. Returns the wk code; the caller sets the message (out).
 */
static int disk_message(int fault, int regional, const char *where, const char *doing, const char *detail,
                        char *out, size_t size)
{
	const char *what = regional ? "the regional repository" : "the local mirror of the regional repository";
	const char *then = regional ? "then sync again (the changes wait safely here)" :
	                              "then run the command again (nothing is lost)";
	char lock[4200];

	switch (fault) {
	case 'f':
		snprintf(out, size, "%s: the disk holding %s ('%s') is full (%s); free some space there, %s", doing, what,
		         where, detail, then);
		return WK_ENOSPACE;
	case 'r':
		snprintf(out, size, "%s: %s ('%s') cannot be written (%s); check that its disk is not read-only and that "
		         "its folder may be written, %s", doing, what, where, detail, then);
		return WK_EREADONLY;
	case 'i':
		snprintf(out, size, "%s: a disk I/O error in %s ('%s'): %s; check that disk (the system log, fsck), %s",
		         doing, what, where, detail, then);
		return WK_EIO;
	default:
		quoted_path(detail, where, lock, sizeof(lock));
		if (regional)
			snprintf(out, size, "%s: the lock file '%s' of the regional repository is in the way (left by a "
			         "command that stopped?); a sync removes it once it is older than the stall limit, or delete it "
			         "if no other command is writing to the regional repository, %s", doing, lock, then);
		else
			snprintf(out, size, "%s: the lock file '%s' is in the way (left by a command that stopped); if no "
			         "other wicket or git command is using '%s', delete it, %s", doing, lock, where, then);
		return WK_ELOCKED;
	}
}

/*
 * libgit2's message for its last failure. Some of its file operations (the
 * indexer's final link and unlink) fail without one: then errno, as saved
 * right after the failing call, when it names a disk failure.
 */
static const char *git_detail(int saved_errno)
{
	const git_error *e = git_error_last();

	if (e && e->message && *e->message)
		return e->message;
	if (disk_fault(strerror(saved_errno)))
		return strerror(saved_errno);
	return "libgit2 failed";
}

/* A failure of libgit2 on the local mirror: a disk failure named as such, else code with libgit2's message. */
static int git_fail_at(const char *path, int code, const char *doing)
{
	const char *detail = git_detail(errno);
	char msg[1400];
	int fault = disk_fault(detail);

	if (!fault)
		return wk_error_set(code, "%s: %s", doing, detail);
	code = disk_message(fault, 0, path ? path : "?", doing, detail, msg, sizeof(msg));
	return wk_error_set(code, "%s", msg);
}

/*
 * The folders above a ref that a push or commit may have just made: libgit2
 * fsyncs the folder holding the ref, not the ones it created above it (the
 * first ref of a site makes refs/heads/sites/<SITE>/), so their entries are
 * made durable here, up to and including <repo>/refs.
 */
static int sync_ref_folders(const char *repo, const char *ref, int regional)
{
	char dir[4400], *slash;
	size_t top;

	if (snprintf(dir, sizeof(dir), "%s/%s", repo, ref) >= (int)sizeof(dir))
		return wk_error_set(WK_ELIMIT, "the path of %s in '%s' is too long", ref, repo);
	top = strlen(repo) + strlen("/refs");
	while ((slash = strrchr(dir, '/')) && (size_t)(slash - dir) >= top) {
		*slash = '\0';
		if (wk_fsync_dir(dir) != 0) {
			int err = errno;
			char text[2400], doing[600];
			snprintf(doing, sizeof(doing), "cannot make the update of %s durable", ref);
			return wk_error_set(disk_message(err == ENOSPC ? 'f' : err == EROFS || err == EACCES || err == EPERM ?
			                                 'r' : 'i', regional, repo, doing, strerror(err), text, sizeof(text)),
			                    "%s", text);
		}
	}
	return 0;
}

static void batch_free(wk_repo *r);

static int init_once(void)
{
	static int done;

	if (!done) {
		if (git_libgit2_init() < 0)
			return wk_error_set(WK_ERROR, "cannot start libgit2");
		/*
		 * Promise 1: a changeset's commit, and a pulled pack, are on the
		 * disk before the ref that names them and before the store
		 * records them. libgit2 1.5 writes without fsync by default.
		 */
		if (git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1) < 0)
			return wk_error_set(WK_ERROR, "cannot make libgit2's writes durable");
		/*
		 * Memory stays flat however long the history (P4: 120,000
		 * changesets in one pull). libgit2's defaults grow with it:
		 * every commit and tree walked stays parsed in its object cache
		 * (about 0.7 KB each; the cache's limit counts raw bytes, a
		 * tenth of that), and its pack windows are 1 GB, mapped up to
		 * 8 GB, their pages the process's own once read. Each object is
		 * read once here, and packs front to back.
		 */
		if (git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0) < 0 ||
		    git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)(4 << 20)) < 0 ||
		    git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)(16 << 20)) < 0)
			return wk_error_set(WK_ERROR, "cannot set libgit2's memory limits");
		done = 1;
	}
	return 0;
}

/*
 * Take the mirror's lock: an exclusive flock on sync.lock beside the mirror
 * (.wicket/sync.lock), held until wk_repo_free. Every wicket command that
 * touches the mirror takes it first, and the transfer child inherits it and
 * dies with its parent, so while it is held no other wicket process writes
 * the mirror. *since: when it was taken.
 */
static int take_lock(wk_repo *r, struct timespec *since)
{
	char lock[4200];
	const char *slash = strrchr(r->path, '/');
	int fd, waited = 0;

	if (slash)
		snprintf(lock, sizeof(lock), "%.*s/sync.lock", (int)(slash - r->path), r->path);
	else
		snprintf(lock, sizeof(lock), "sync.lock");
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		char msg[1400], detail[300];
		int fault = disk_fault(strerror(errno));

		snprintf(detail, sizeof(detail), "%s", strerror(errno));
		if (!fault)
			return wk_error_set(WK_EIO, "cannot open the sync lock '%s': %s", lock, detail);
		return wk_error_set(disk_message(fault, 0, lock, "cannot open the sync lock", detail, msg, sizeof(msg)),
		                    "%s", msg);
	}
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = errno;
			close(fd);
			return wk_error_set(WK_EIO, "cannot lock '%s': %s", lock, strerror(e));
		}
		if (waited >= WK_REPO_LOCK_WAIT_MS) {
			close(fd);
			return wk_error_set(WK_ELOCKED, "another wicket command is using the regional repository from this "
			                    "folder (it holds '%s'); wait for it to finish and try again", lock);
		}
		poll(NULL, 0, 100);
		waited += 100;
	}
	clock_gettime(CLOCK_REALTIME, since);
	r->lock_fd = fd;
	return 0;
}

static int older(const struct stat *st, const struct timespec *t)
{
	return st->st_mtim.tv_sec < t->tv_sec || (st->st_mtim.tv_sec == t->tv_sec && st->st_mtim.tv_nsec < t->tv_nsec);
}

/* A lock file of libgit2's: "*.lock". */
static int is_lock(const char *dir, const char *name)
{
	size_t len = strlen(name);

	(void)dir;
	return len > 5 && strcmp(name + len - 5, ".lock") == 0;
}

/*
 * What a command killed while writing or merging packs leaves in dir: a pack
 * or index being written, by libgit2 ("pack_git2_*") or git ("tmp_pack_*",
 * "tmp_idx_*"), or half a pack (libgit2 names the index before the pack; a
 * merge deletes the index before the pack): an index without its pack is
 * not read, and a pack without its index cannot be.
 */
static int is_pack_leftover(const char *dir, const char *name)
{
	size_t len = strlen(name);
	char other[4400];
	struct stat st;

	if (strncmp(name, "pack_git2_", 10) == 0 || strncmp(name, "tmp_pack_", 9) == 0 ||
	    strncmp(name, "tmp_idx_", 8) == 0)
		return 1;
	if (strncmp(name, "pack-", 5) != 0 || len < 10)
		return 0;
	if (strcmp(name + len - 5, ".pack") == 0)
		snprintf(other, sizeof(other), "%s/%.*s.idx", dir, (int)(len - 5), name);
	else if (strcmp(name + len - 4, ".idx") == 0)
		snprintf(other, sizeof(other), "%s/%.*s.pack", dir, (int)(len - 4), name);
	else
		return 0;
	return lstat(other, &st) != 0 && errno == ENOENT;
}

/* Remove the files in dir (and, when deep, its subfolders) named as is() says, last changed before t. */
static void remove_stale(const char *dir, const struct timespec *t, int (*is)(const char *, const char *), int deep,
                         int depth)
{
	DIR *d;
	struct dirent *e;
	char path[4200];
	struct stat st;

	if (depth > 16 || !(d = opendir(dir)))
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || (size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path) ||
		    lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode) && deep)
			remove_stale(path, t, is, deep, depth + 1);
		else if (S_ISREG(st.st_mode) && is(dir, e->d_name) && older(&st, t))
			unlink(path); /* if this fails, the write that needs it says which file and what to do */
	}
	closedir(d);
}

int wk_repo_open(wk_repo **out, const char *path)
{
	struct timespec since;
	char refs[4200];
	wk_repo *r;
	int rc;

	*out = NULL;
	if ((rc = init_once()) < 0)
		return rc;
	if (!(r = calloc(1, sizeof(*r))) || !(r->path = strdup(path))) {
		free(r);
		return wk_error_set(WK_ELIMIT, "out of memory");
	}
	r->lock_fd = -1;
	if ((rc = take_lock(r, &since)) < 0) {
		wk_repo_free(r);
		return rc;
	}
	/*
	 * Holding the lock, no wicket process is writing the mirror: a lock file
	 * of libgit2's (a ref's, packed-refs', FETCH_HEAD's) that was there before
	 * it was taken is stale, left by a command that was killed or failed to
	 * clean up, and would block every later sync. The mirror is wicket's own
	 * (.wicket/git): no other program is expected to write it.
	 */
	remove_stale(path, &since, is_lock, 0, 0);
	snprintf(refs, sizeof(refs), "%s/refs", path);
	remove_stale(refs, &since, is_lock, 1, 0);
	/* So is what a killed command left of a pack it was writing or deleting: it would stay for ever. */
	snprintf(refs, sizeof(refs), "%s/objects/pack", path);
	remove_stale(refs, &since, is_pack_leftover, 0, 0);
	if (git_repository_open_bare(&r->repo, path) < 0 && git_repository_init(&r->repo, path, 1) < 0) {
		rc = git_fail_at(r->path, WK_EIO, "cannot open the local mirror of the regional repository");
		wk_repo_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int wk_repo_unreachable(const wk_repo *r)
{
	return r->unreachable;
}

const char *wk_repo_warning(const wk_repo *r)
{
	return r->warning;
}

int wk_repo_create_regional(const char *path)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	int rc;

	if ((rc = init_once()) < 0)
		return rc;
	if (git_repository_open_bare(&repo, path) == 0) {
		git_repository_free(repo);
		return wk_error_set(WK_EEXISTS, "a repository already exists at '%s'", path);
	}
	if (git_repository_init(&repo, path, 1) < 0 || git_repository_config(&cfg, repo) < 0 ||
	    git_config_set_bool(cfg, "receive.denyNonFastForwards", 1) < 0 ||
	    git_config_set_bool(cfg, "receive.denyDeletes", 1) < 0)
		rc = wk_error_set(WK_EIO, "cannot create the regional repository at '%s': %s", path,
		                  git_error_last() && git_error_last()->message ? git_error_last()->message : "libgit2 failed");
	git_config_free(cfg);
	git_repository_free(repo);
	return rc;
}

void wk_repo_free(wk_repo *r)
{
	if (!r)
		return;
	batch_free(r);
	git_repository_free(r->repo);
	if (r->lock_fd >= 0)
		close(r->lock_fd); /* releases the flock */
	free(r->path);
	free(r);
}

int wk_repo_tip(wk_repo *r, const char *ref, char oid[41])
{
	git_oid id;
	int rc = git_reference_name_to_id(&id, r->repo, ref);

	oid[0] = '\0';
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return git_fail_at(r->path, WK_EIO, "cannot read a ref of the local mirror");
	git_oid_tostr(oid, 41, &id);
	return 0;
}

int wk_repo_descends(wk_repo *r, const char *tip, const char *ancestor)
{
	git_oid a, b;

	if (git_oid_fromstr(&a, tip) < 0 || git_oid_fromstr(&b, ancestor) < 0)
		return 0;
	if (git_oid_equal(&a, &b))
		return 1;
	return git_graph_descendant_of(r->repo, &a, &b) == 1;
}

int wk_repo_ancestry(wk_repo *r, const char *tip, const char *hide, int (*cb)(const char *oid, void *arg), void *arg)
{
	git_revwalk *w = NULL;
	git_oid id;
	char hex[41];
	int rc;

	if (git_oid_fromstr(&id, tip) < 0)
		return wk_error_set(WK_EINVALID, "'%s' is not a git object id", tip);
	if (git_revwalk_new(&w, r->repo) < 0 || git_revwalk_push(w, &id) < 0 ||
	    (hide && *hide && (git_oid_fromstr(&id, hide) < 0 || git_revwalk_hide(w, &id) < 0))) {
		rc = git_fail_at(r->path, WK_EIO, "cannot read the local mirror");
		goto out;
	}
	while ((rc = git_revwalk_next(&id, w)) == 0) {
		git_oid_tostr(hex, sizeof(hex), &id);
		if ((rc = cb(hex, arg)) < 0)
			goto out;
	}
	rc = rc == GIT_ITEROVER ? 0 : git_fail_at(r->path, WK_EIO, "cannot walk the local mirror");
out:
	git_revwalk_free(w);
	return rc;
}

int wk_repo_set_ref(wk_repo *r, const char *ref, const char *oid)
{
	git_reference *out = NULL;
	git_oid id;
	int rc;

	if (!oid || !*oid) {
		rc = git_reference_remove(r->repo, ref);
		return rc == 0 || rc == GIT_ENOTFOUND ? 0 :
		       git_fail_at(r->path, WK_EIO, "cannot remove a ref of the local mirror");
	}
	if (git_oid_fromstr(&id, oid) < 0)
		return wk_error_set(WK_EINVALID, "'%s' is not a git object id", oid);
	rc = git_reference_create(&out, r->repo, ref, &id, 1, "wicket");
	git_reference_free(out);
	return rc < 0 ? git_fail_at(r->path, WK_EIO, "cannot set a ref of the local mirror") : 0;
}

/*
 * One commit holding blob (named name) on parent (NULL: a root commit), made
 * in repo (the mirror, or a batch's handle); update_ref: the ref to move to
 * it, or NULL. Its id in *id.
 */
static int make_commit(wk_repo *r, git_repository *repo, const char *update_ref, const git_oid *parent_id,
                       const char *name, const unsigned char *blob, size_t n, const char *message, const char *author,
                       git_oid *id)
{
	git_oid blob_id, tree_id;
	git_treebuilder *tb = NULL;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_signature *sig = NULL;
	const git_commit *parents[1];
	int rc;

	git_error_clear(); /* what fails below without a message must not be reported with an older one */
	if (git_blob_create_from_buffer(&blob_id, repo, blob, n) < 0 || git_treebuilder_new(&tb, repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, tb, name, &blob_id, GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(&tree_id, tb) < 0 || git_tree_lookup(&tree, repo, &tree_id) < 0 ||
	    /* Neutral metadata only: the device's code, and no clock. */
	    git_signature_new(&sig, "wicket", author, 0, 0) < 0) {
		rc = git_fail_at(r->path, WK_EIO, "cannot write to the local mirror");
		goto out;
	}
	if (parent_id && git_commit_lookup(&parent, repo, parent_id) < 0) {
		rc = git_fail_at(r->path, WK_EIO, "cannot read the local mirror");
		goto out;
	}
	parents[0] = parent;
	if (git_commit_create(id, repo, update_ref, sig, sig, NULL, message, tree, parent ? 1 : 0, parents) < 0) {
		rc = git_fail_at(r->path, WK_EIO, "cannot write to the local mirror");
		goto out;
	}
	rc = 0;
out:
	git_signature_free(sig);
	git_commit_free(parent);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	return rc;
}

int wk_repo_append(wk_repo *r, const char *ref, const char *name, const unsigned char *blob, size_t n,
                   const char *message, const char *author, char oid[41])
{
	git_oid parent_id, id;
	int rc;

	if (r->batch) {
		if (strcmp(ref, r->batch_ref) != 0)
			return wk_error_set(WK_EUSAGE, "an append to %s inside a batch of %s", ref, r->batch_ref);
		if ((rc = make_commit(r, r->batch, NULL, r->batch_has_tip ? &r->batch_tip : NULL, name, blob, n, message,
		                      author, &id)) < 0)
			return rc;
		r->batch_tip = id;
		r->batch_has_tip = 1;
		r->batch_count++;
	} else {
		int has_parent = git_reference_name_to_id(&parent_id, r->repo, ref) == 0;
		if ((rc = make_commit(r, r->repo, ref, has_parent ? &parent_id : NULL, name, blob, n, message, author, &id)) < 0)
			return rc;
	}
	git_oid_tostr(oid, 41, &id);
	return 0;
}

static void batch_free(wk_repo *r)
{
	git_repository_free(r->batch); /* its odb frees the in-memory backend */
	r->batch = NULL;
	r->batch_mem = NULL;
	r->batch_count = 0;
	r->batch_has_tip = 0;
}

void wk_repo_batch_abort(wk_repo *r)
{
	batch_free(r);
}

int wk_repo_batch_begin(wk_repo *r, const char *ref)
{
	git_odb_backend *mem = NULL;
	git_odb *odb = NULL;
	int rc = 0;

	if (r->batch)
		return wk_error_set(WK_EUSAGE, "a batch of appends is already open");
	snprintf(r->batch_ref, sizeof(r->batch_ref), "%s", ref);
	r->batch_has_tip = git_reference_name_to_id(&r->batch_tip, r->repo, ref) == 0;
	r->batch_start = r->batch_tip;
	r->batch_had_start = r->batch_has_tip;
	/* A second handle on the mirror whose new objects stay in memory (git_mempack) until the end. */
	if (git_repository_open_bare(&r->batch, r->path) < 0 || git_repository_odb(&odb, r->batch) < 0 ||
	    git_mempack_new(&mem) < 0) {
		rc = git_fail_at(r->path, WK_EIO, "cannot open the local mirror");
	} else if (git_odb_add_backend(odb, mem, 1000) < 0) {
		mem->free(mem);
		rc = git_fail_at(r->path, WK_EIO, "cannot open the local mirror");
	} else {
		r->batch_mem = mem; /* owned by the odb from here */
	}
	git_odb_free(odb);
	if (rc < 0)
		batch_free(r);
	return rc;
}

int wk_repo_batch_end(wk_repo *r)
{
	git_buf pack = GIT_BUF_INIT;
	git_odb *odb = NULL;
	git_odb_writepack *wp = NULL;
	git_indexer_progress stats;
	git_reference *out = NULL;
	int rc = 0;

	if (!r->batch)
		return 0;
	if (r->batch_count) {
		git_error_clear(); /* what fails below without a message must not be reported with an older one */
		memset(&stats, 0, sizeof(stats));
		if (git_mempack_dump(&pack, r->batch, r->batch_mem) < 0 || git_repository_odb(&odb, r->repo) < 0 ||
		    git_odb_write_pack(&wp, odb, NULL, NULL) < 0 || wp->append(wp, pack.ptr, pack.size, &stats) < 0 ||
		    wp->commit(wp, &stats) < 0) {
			rc = git_fail_at(r->path, WK_EIO, "cannot write to the local mirror");
		} else if ((r->batch_had_start ?
		            git_reference_create_matching(&out, r->repo, r->batch_ref, &r->batch_tip, 1, &r->batch_start, "wicket") :
		            git_reference_create(&out, r->repo, r->batch_ref, &r->batch_tip, 0, "wicket")) < 0) {
			rc = git_fail_at(r->path, WK_EIO, "cannot set a ref of the local mirror");
		} else {
			rc = sync_ref_folders(r->path, r->batch_ref, 0);
		}
	}
	git_reference_free(out);
	if (wp)
		wp->free(wp);
	git_odb_free(odb);
	git_buf_dispose(&pack);
	batch_free(r);
	return rc;
}

int wk_repo_walk(wk_repo *r, const char *ref, const char *after, const char *name, size_t max,
                 int (*cb)(const char *oid, const unsigned char *blob, size_t n, void *arg), void *arg)
{
	git_revwalk *w = NULL;
	git_oid id, hide;
	int rc;

	if (git_reference_name_to_id(&id, r->repo, ref) < 0)
		return 0; /* no such ref: nothing to walk */
	if (git_revwalk_new(&w, r->repo) < 0 || git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_push(w, &id) < 0) {
		rc = git_fail_at(r->path, WK_EIO, "cannot read the local mirror");
		goto out;
	}
	if (after && *after && (git_oid_fromstr(&hide, after) < 0 || git_revwalk_hide(w, &hide) < 0)) {
		rc = git_fail_at(r->path, WK_ECONFLICT, "the regional repository no longer holds a commit seen before");
		goto out;
	}
	while ((rc = git_revwalk_next(&id, w)) == 0) {
		git_commit *c = NULL;
		git_tree *t = NULL;
		git_blob *b = NULL;
		const git_tree_entry *e;
		char hex[41];

		git_oid_tostr(hex, sizeof(hex), &id);
		if (git_commit_lookup(&c, r->repo, &id) < 0 || git_commit_tree(&t, c) < 0) {
			git_commit_free(c);
			rc = git_fail_at(r->path, WK_ECORRUPT, "cannot read a commit of the regional repository");
			goto out;
		}
		e = git_tree_entrycount(t) == 1 ? git_tree_entry_byname(t, name) : NULL;
		if (!e || git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
		    git_blob_lookup(&b, r->repo, git_tree_entry_id(e)) < 0) {
			rc = wk_error_set(WK_EINVALID, "commit %.12s on %s is not a wicket commit (one blob named '%s')",
			                  hex, ref, name);
		} else if ((size_t)git_blob_rawsize(b) > max) {
			rc = wk_error_set(WK_ELIMIT, "commit %.12s on %s carries %lld bytes; the limit is %zu", hex, ref,
			                  (long long)git_blob_rawsize(b), max);
		} else {
			rc = cb(hex, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), arg);
		}
		git_blob_free(b);
		git_tree_free(t);
		git_commit_free(c);
		if (rc < 0)
			goto out;
	}
	rc = rc == GIT_ITEROVER ? 0 : git_fail_at(r->path, WK_EIO, "cannot walk the local mirror");
out:
	git_revwalk_free(w);
	return rc;
}

int wk_repo_refs(wk_repo *r, const char *prefix, int (*cb)(const char *ref, void *arg), void *arg)
{
	git_reference_iterator *it = NULL;
	const char *name;
	char glob[300];
	int rc;

	snprintf(glob, sizeof(glob), "%s*", prefix);
	if (git_reference_iterator_glob_new(&it, r->repo, glob) < 0)
		return git_fail_at(r->path, WK_EIO, "cannot list the refs of the local mirror");
	while ((rc = git_reference_next_name(&name, it)) == 0)
		if ((rc = cb(name, arg)) < 0)
			break;
	git_reference_iterator_free(it);
	return rc == GIT_ITEROVER ? 0 : rc;
}

/* ---- the transfer, in a child process ------------------------------------ */

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

typedef struct {
	int fd;                  /* the pipe to the parent */
	const wk_remote_options *o;
	int attempts;
	char host[256];
	int port;
	long long said; /* when the last progress line went (now_ms) */
} child_ctx;

static void say(child_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(child_ctx *c, const char *fmt, ...)
{
	char line[2000];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(c->fd, line, (size_t)n) < 0) {
		/* the parent is gone: nothing to tell */
	}
}

/*
 * libgit2 reports progress for every object: a line to the parent for each
 * was 5% of a large pull's time. Ten a second, the first and the last are
 * enough for a person watching (the stall timer counts bytes, not lines).
 */
static int progress_due(child_ctx *c, int last)
{
	long long t = now_ms();

	if (!last && c->said && t - c->said < 100)
		return 0;
	c->said = t;
	return 1;
}

static int on_fetch_progress(const git_indexer_progress *p, void *payload)
{
	if (progress_due(payload, p->received_objects == p->total_objects))
		say(payload, "P fetch %u %u %zu", p->received_objects, p->total_objects, p->received_bytes);
	return 0;
}

static int on_push_progress(unsigned int current, unsigned int total, size_t bytes, void *payload)
{
	if (progress_due(payload, current == total))
		say(payload, "P push %u %u %zu", current, total, bytes);
	return 0;
}

static int on_sideband(const char *str, int len, void *payload)
{
	(void)str;
	(void)len;
	say(payload, "K");
	return 0;
}

static int on_update_ref(const char *refname, const char *status, void *payload)
{
	say(payload, "R %s %s", status ? "rejected" : "ok", refname);
	if (status)
		say(payload, "M %s", status);
	return 0;
}

/* The host as known_hosts names it: "host", or "[host]:port" off port 22. */
static void host_pattern(const child_ctx *c, char *out, size_t size)
{
	if (c->port && c->port != 22)
		snprintf(out, size, "[%s]:%d", c->host, c->port);
	else
		snprintf(out, size, "%s", c->host);
}

static int on_certificate(git_cert *cert, int valid, const char *host, void *payload)
{
	child_ctx *c = payload;
	git_cert_hostkey *hk = (git_cert_hostkey *)cert;
	char path[4096], line[16384], want[300];
	const char *kh = c->o->known_hosts;
	int known = 0, match = 0;
	FILE *f;

	(void)host;
	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return valid ? 0 : GIT_PASSTHROUGH; /* https: the system's certificate checks */
	if (!(hk->type & GIT_CERT_SSH_RAW)) {
		say(c, "E %d the ssh host key of %s cannot be checked (no raw key)", WK_EBADSIG, c->host);
		return GIT_ECERTIFICATE;
	}
	if (!kh) {
		snprintf(path, sizeof(path), "%s/.ssh/known_hosts", getenv("HOME") ? getenv("HOME") : "");
		kh = path;
	}
	host_pattern(c, want, sizeof(want));
	if ((f = fopen(kh, "r")) != NULL) {
		while (fgets(line, sizeof(line), f)) {
			char *hosts, *type, *b64, *save = NULL, *h, *hsave = NULL;
			unsigned char key[4096];
			size_t klen = 0;

			if (line[0] == '#' || line[0] == '|' || line[0] == '@')
				continue; /* hashed and marked entries are not supported */
			if (!(hosts = strtok_r(line, " \t\r\n", &save)) || !(type = strtok_r(NULL, " \t\r\n", &save)) ||
			    !(b64 = strtok_r(NULL, " \t\r\n", &save)))
				continue;
			for (h = strtok_r(hosts, ",", &hsave); h; h = strtok_r(NULL, ",", &hsave)) {
				if (strcmp(h, want) != 0)
					continue;
				known = 1;
				if (sodium_base642bin(key, sizeof(key), b64, strlen(b64), NULL, &klen, NULL,
				                      sodium_base64_VARIANT_ORIGINAL) == 0 &&
				    klen == hk->hostkey_len && memcmp(key, hk->hostkey, klen) == 0)
					match = 1;
			}
		}
		fclose(f);
	}
	if (match)
		return 0;
	if (known)
		say(c, "E %d the ssh host key of %s has CHANGED since it was recorded in %s: refused. If the regional "
		    "repository's server was really replaced, check the new key with its administrator and update known_hosts",
		    WK_EBADSIG, want, kh);
	else
		say(c, "E %d the ssh host key of %s is not in %s: refused. Check the key with the regional repository's "
		    "administrator and add it (for example with ssh-keyscan)", WK_EBADSIG, want, kh);
	return GIT_ECERTIFICATE;
}

static int on_credentials(git_credential **out, const char *url, const char *user, unsigned int allowed, void *payload)
{
	child_ctx *c = payload;
	char priv[4096], pub[4200];

	(void)url;
	if (!(allowed & GIT_CREDENTIAL_SSH_KEY) || c->attempts++ > 0) {
		say(c, "E %d the regional repository refused this device's ssh key", WK_EBADSIG);
		return GIT_EUSER;
	}
	if (c->o->ssh_key)
		snprintf(priv, sizeof(priv), "%s", c->o->ssh_key);
	else
		snprintf(priv, sizeof(priv), "%s/.ssh/id_ed25519", getenv("HOME") ? getenv("HOME") : "");
	snprintf(pub, sizeof(pub), "%s.pub", priv);
	return git_credential_ssh_key_new(out, user ? user : "git", access(pub, R_OK) == 0 ? pub : NULL, priv, NULL);
}

static void parse_host(child_ctx *c, const char *url)
{
	const char *p = strstr(url, "://"), *at, *end;
	size_t n;

	c->host[0] = '\0';
	c->port = 0;
	if (!p)
		return;
	p += 3;
	end = p + strcspn(p, "/");
	at = memchr(p, '@', (size_t)(end - p));
	if (at)
		p = at + 1;
	if (*p == '[') { /* [::1]:port */
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (close) {
			n = (size_t)(close - p - 1);
			snprintf(c->host, sizeof(c->host), "%.*s", (int)n, p + 1);
			if (close[1] == ':')
				c->port = atoi(close + 2);
			return;
		}
	}
	n = strcspn(p, ":/");
	snprintf(c->host, sizeof(c->host), "%.*s", (int)n, p);
	if (p[n] == ':')
		c->port = atoi(p + n + 1);
}

/* The folder of a file:// regional repository, or NULL for a network address. */
static const char *file_url_path(const char *url)
{
	return url && strncmp(url, "file://", 7) == 0 ? url + 7 : NULL;
}

/*
 * In the child: classify libgit2's failure for the parent. A network failure
 * is sent with an "N" line first: the sync is then offline (exit 3). A disk
 * failure is not: it is named with the disk it is on (the local mirror, or a
 * file:// regional repository) and what to do.
 */
static void report_failure(child_ctx *c, wk_repo *r, int rc, const char *doing, int pushing)
{
	int saved = errno;
	const git_error *e = git_error_last();
	int klass = e ? e->klass : 0, fault, code;
	const char *msg = git_detail(saved), *remote = file_url_path(c->o->url);
	char text[1400], what[64];

	if (rc == GIT_ECERTIFICATE || rc == GIT_EUSER)
		return; /* the callback said why */
	fault = klass == GIT_ERROR_NET || klass == GIT_ERROR_SSH || klass == GIT_ERROR_HTTP || klass == GIT_ERROR_SSL ?
	        0 : disk_fault(msg);
	if (fault) {
		/* Where: the path in the message, else what the transfer writes (a fetch the mirror, a push the remote). */
		int regional = remote && (strstr(msg, remote) || (pushing && !strstr(msg, r->path)));
		snprintf(what, sizeof(what), "cannot %s", doing);
		code = disk_message(fault, regional, regional ? remote : r->path, what, msg, text, sizeof(text));
		say(c, "E %d %s", code, text);
	} else if (klass == GIT_ERROR_NET || klass == GIT_ERROR_SSH || klass == GIT_ERROR_HTTP || klass == GIT_ERROR_OS ||
	           klass == GIT_ERROR_SSL) {
		say(c, "N");
		say(c, "E %d cannot reach the regional repository (%s: %s)", WK_EIO, doing, msg);
	} else {
		say(c, "E %d %s failed: %s", WK_ERROR, doing, msg);
	}
}

/*
 * The objects one pack written by a fetch holds, at most, so that libgit2's
 * pack building and indexing stay near 25 MB in the child however much is
 * new (the region's first pull of 120 establishments x 1,000 changesets is
 * 360,000 objects). Over a network the regional server builds the packs:
 * the refs are asked for in batches of about this many objects. From a
 * file:// regional repository libgit2's local transport would build one
 * pack of everything new in this process, so the child copies the new
 * commits itself, in packs of at most this many objects.
 */
#define FETCH_BATCH_OBJECTS 20000u

/* FETCH_BATCH_OBJECTS, or WICKET_FETCH_BATCH_OBJECTS when it is a number (tests make it small). */
static size_t fetch_budget(void)
{
	const char *env = getenv("WICKET_FETCH_BATCH_OBJECTS");
	char *end = NULL;
	unsigned long v = env && *env ? strtoul(env, &end, 10) : 0;

	return v > 0 && end && !*end ? (size_t)v : FETCH_BATCH_OBJECTS;
}

typedef struct {
	git_oid tip;     /* the regional repository's */
	const char *dst; /* the mirror's name for it: the end of its refspec, "+NAME:DST" */
} fetch_ref;

/* The mirror's name for REF when a prefix asks for it ("" when none does). */
static void mirror_name(const char *ref, const char *const *prefixes, size_t n, char *out, size_t cap)
{
	*out = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *p = prefixes[i];
		const char *tail = strncmp(p, "refs/heads/", 11) == 0 ? p + 11 : p;
		size_t len = strlen(p);

		if (len && p[len - 1] == '/' && strncmp(ref, p, len) == 0 && ref[len]) {
			snprintf(out, cap, "refs/remotes/region/%s%s", tail, ref + len);
			return;
		}
		if (strcmp(ref, p) == 0) {
			snprintf(out, cap, "refs/remotes/region/%s", tail);
			return;
		}
	}
}

typedef struct {
	git_odb_writepack *wp;
	git_indexer_progress st;
} pack_sink;

static int pack_append(void *buf, size_t size, void *payload)
{
	pack_sink *k = payload;
	return k->wp->append(k->wp, buf, size, &k->st);
}

/* Write PB's objects into the mirror as one pack, indexed as a fetch indexes them. */
static int pack_to_mirror(git_packbuilder *pb, git_odb *odb, const git_remote_callbacks *cb)
{
	pack_sink k;
	int rc;

	memset(&k, 0, sizeof(k));
	if ((rc = git_odb_write_pack(&k.wp, odb, cb->transfer_progress, cb->payload)) < 0)
		return rc;
	if ((rc = git_packbuilder_foreach(pb, pack_append, &k)) == 0)
		rc = k.wp->commit(k.wp, &k.st);
	k.wp->free(k.wp);
	return rc;
}

/* Tell the parent that the mirror's refs REFS[from..to) are in place: it may read them now. */
static void say_ready(child_ctx *c, const fetch_ref *refs, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		say(c, "F %s", refs[i].dst);
}

/* Point the mirror's names of REFS[from..to) at their new tips (their objects are all in the mirror). */
static int set_refs(wk_repo *r, child_ctx *c, const fetch_ref *refs, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		git_reference *out = NULL;
		int rc = git_reference_create(&out, r->repo, refs[i].dst, &refs[i].tip, 1, "fetch");

		git_reference_free(out);
		if (rc < 0)
			return rc;
	}
	say_ready(c, refs, from, to);
	return 0;
}

/* The configuration file that turns the delta search off (wk_packs_no_deltas), kept in the mirror. */
static void no_deltas_file(const wk_repo *r, char *out, size_t size)
{
	snprintf(out, size, "%swicket-copy.config", git_repository_path(r->repo));
}

/*
 * From the file:// regional repository at PATH: copy the commits of REFS
 * the mirror lacks (each ref walked from its new tip down to the mirror's
 * old one), with their trees and blobs, in packs of at most about
 * FETCH_BATCH_OBJECTS objects, then set the refs. A ref is set only once the
 * packs holding all of its new objects are written.
 */
static int copy_local(wk_repo *r, const char *path, const fetch_ref *refs, size_t n, const git_remote_callbacks *cb)
{
	size_t budget = fetch_budget();
	char config[4300];
	git_repository *src = NULL;
	git_odb *odb = NULL, *srcodb = NULL;
	git_packbuilder *pb = NULL;
	git_revwalk *w = NULL;
	size_t first = 0, i;
	int rc;

	if ((rc = git_repository_open_bare(&src, path)) < 0 || (rc = git_repository_odb(&srcodb, src)) < 0 ||
	    (rc = git_repository_odb(&odb, r->repo)) < 0)
		goto out;
	no_deltas_file(r, config, sizeof(config));
	wk_packs_no_deltas(src, config); /* the copy's packs hold no deltas: packs.c says why */
	for (i = 0; i < n; i++) {
		git_oid have, id;

		if ((rc = git_revwalk_new(&w, src)) < 0 || (rc = git_revwalk_push(w, &refs[i].tip)) < 0)
			goto out;
		if (git_reference_name_to_id(&have, r->repo, refs[i].dst) == 0 && git_odb_exists(srcodb, &have) &&
		    (rc = git_revwalk_hide(w, &have)) < 0)
			goto out;
		while ((rc = git_revwalk_next(&id, w)) == 0) {
			/* Should deltas be searched for after all (wk_packs_no_deltas), every core searches. */
			if (!pb && ((rc = git_packbuilder_new(&pb, src)) < 0 || (git_packbuilder_set_threads(pb, 0), 0)))
				goto out;
			if ((rc = git_packbuilder_insert_commit(pb, &id)) < 0)
				goto out;
			if (git_packbuilder_object_count(pb) < budget)
				continue;
			if ((rc = pack_to_mirror(pb, odb, cb)) < 0 || (rc = set_refs(r, cb->payload, refs, first, i)) < 0)
				goto out;
			git_packbuilder_free(pb);
			pb = NULL;
			first = i;
		}
		if (rc != GIT_ITEROVER)
			goto out;
		git_revwalk_free(w);
		w = NULL;
	}
	rc = pb ? pack_to_mirror(pb, odb, cb) : 0;
	if (rc == 0)
		rc = set_refs(r, cb->payload, refs, first, n);
out:
	git_revwalk_free(w);
	git_packbuilder_free(pb);
	git_odb_free(odb);
	git_odb_free(srcodb);
	git_repository_free(src);
	return rc;
}

/*
 * In the child: fetch the refs under PREFIXES whose tips the mirror does not
 * hold yet, into refs/remotes/region/. One connection lists them (and, over
 * a network, serves the first fetch); see FETCH_BATCH_OBJECTS for how a
 * large fetch is split. Returns libgit2's code.
 */
static int fetch_batched(wk_repo *r, git_remote *remote, const git_remote_callbacks *cb, const char *url,
                         const char *const *prefixes, size_t n)
{
	const git_remote_head **heads = NULL;
	fetch_ref *refs = NULL;
	/* The first fetch asks for 8 refs (by default): what it brings sizes the next. */
	size_t budget = fetch_budget(), nheads = 0, nrefs = 0, done = 0, batch = budget / 2500 ? budget / 2500 : 1;
	char **specs = NULL;
	int rc;

	if ((rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, cb, NULL, NULL)) < 0 ||
	    (rc = git_remote_ls(&heads, &nheads, remote)) < 0)
		return rc;
	if (!(refs = calloc(nheads ? nheads : 1, sizeof(*refs))) || !(specs = calloc(nheads ? nheads : 1, sizeof(*specs)))) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < nheads; i++) {
		char dest[600];
		git_oid have;

		mirror_name(heads[i]->name, prefixes, n, dest, sizeof(dest));
		if (!*dest || (git_reference_name_to_id(&have, r->repo, dest) == 0 && git_oid_equal(&have, &heads[i]->oid)))
			continue;
		if (!(specs[nrefs] = malloc(strlen(heads[i]->name) + strlen(dest) + 3))) {
			rc = -1;
			goto out;
		}
		sprintf(specs[nrefs], "+%s:%s", heads[i]->name, dest);
		refs[nrefs].tip = heads[i]->oid;
		refs[nrefs].dst = specs[nrefs] + 2 + strlen(heads[i]->name);
		nrefs++;
	}
	if (file_url_path(url)) {
		git_remote_disconnect(remote);
		rc = copy_local(r, file_url_path(url), refs, nrefs, cb);
		goto out;
	}
	while (done < nrefs) {
		git_fetch_options fo;
		git_strarray arr;
		const git_indexer_progress *st;
		size_t per_ref;

		git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
		fo.callbacks = *cb;
		fo.prune = GIT_FETCH_NO_PRUNE;
		fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
		arr.strings = specs + done;
		arr.count = batch < nrefs - done ? batch : nrefs - done;
		if ((rc = git_remote_fetch(remote, &arr, &fo, NULL)) < 0)
			goto out;
		say_ready(cb->payload, refs, done, done + arr.count);
		done += arr.count;
		st = git_remote_stats(remote);
		per_ref = st ? st->total_objects / arr.count : 0;
		batch = budget / (per_ref ? per_ref : 1);
		if (batch < 1)
			batch = 1;
	}
	rc = 0;
out:
	if (git_remote_connected(remote))
		git_remote_disconnect(remote);
	for (size_t i = 0; specs && i < nrefs; i++)
		free(specs[i]);
	free(refs);
	free(specs);
	return rc;
}

static void child_run(wk_repo *r, const wk_remote_options *o, int fd, const char *const *prefixes, size_t n,
                      const char *push_ref, pid_t parent)
{
	git_remote *remote = NULL;
	git_remote_callbacks cb;
	git_strarray arr;
	child_ctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	git_error_clear(); /* the parent's last error is not this transfer's */
	/* A transfer nobody watches stops: it holds the mirror's lock, and the next sync resumes it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(1);
	git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
	c.fd = fd;
	c.o = o;
	parse_host(&c, o->url);
	cb.transfer_progress = on_fetch_progress;
	cb.push_transfer_progress = on_push_progress;
	cb.sideband_progress = on_sideband;
	cb.push_update_reference = on_update_ref;
	cb.certificate_check = on_certificate;
	cb.credentials = on_credentials;
	cb.payload = &c;
	if (git_remote_create_anonymous(&remote, r->repo, o->url) < 0) {
		const git_error *e = git_error_last();
		say(&c, "E %d the regional repository's address '%s' is not valid: %s", WK_EINVALID, o->url,
		    e && e->message ? e->message : "?");
		_exit(1);
	}
	if (push_ref) {
		git_push_options po;
		char spec[600];
		char *one[1] = { spec };

		git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
		snprintf(spec, sizeof(spec), "%s:%s", push_ref, push_ref); /* no '+': fast-forward only */
		arr.strings = one;
		arr.count = 1;
		po.callbacks = cb;
		rc = git_remote_push(remote, &arr, &po);
		if (rc < 0) {
			report_failure(&c, r, rc, "push", 1);
			_exit(1);
		}
	} else {
		rc = fetch_batched(r, remote, &cb, o->url, prefixes, n);
		if (rc < 0) {
			report_failure(&c, r, rc, "fetch", 0);
			_exit(1);
		}
	}
	say(&c, "D");
	_exit(0);
}

/* The start of a small file as a string (at most cap - 1 bytes): its length, or -1 when it cannot be read. */
static ssize_t read_text(const char *path, char *buf, size_t cap)
{
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/*
 * Bytes the child has read and written so far (its sockets and files), from
 * /proc/<pid>/io; -1 where the kernel does not keep them. libgit2 reports
 * progress per object (fetch) or per pack write (push), so on a slow link
 * bytes keep moving for long stretches with no progress call: the stall
 * watch counts the bytes themselves.
 */
static long long child_bytes(pid_t pid)
{
	char path[64], buf[512];
	long long rchar = -1, wchar = -1;

	snprintf(path, sizeof(path), "/proc/%ld/io", (long)pid);
	if (read_text(path, buf, sizeof(buf)) <= 0)
		return -1;
	{
		const char *r = strstr(buf, "rchar: "), *w = strstr(buf, "wchar: ");
		if (r)
			rchar = atoll(r + 7);
		if (w)
			wchar = atoll(w + 7);
	}
	return rchar < 0 || wchar < 0 ? -1 : rchar + wchar;
}

/* Run the transfer in a child; watch it; kill it when no bytes move for the stall limit. */
static int transfer(wk_repo *r, const wk_remote_options *o, const char *const *prefixes, size_t n,
                    const char *push_ref, int *accepted)
{
	unsigned stall = o->stall_seconds ? o->stall_seconds : 60;
	char buf[4096], line[2100], msg[2000] = "";
	size_t used = 0;
	int fds[2], status = 0, rc = 0, done = 0, err = 0, saw_ref = 0, answered = 0, network = 0;
	long long last_move, moved = -1;
	pid_t pid, parent;

	if (accepted)
		*accepted = 0;
	r->unreachable = 0;
	if (!o->url || !*o->url)
		return wk_error_set(WK_EUSAGE, "no regional repository is set; give it with 'wicket remote set URL'");
	if (pipe(fds) != 0)
		return wk_error_set(WK_EIO, "cannot start the transfer: %s", strerror(errno));
	fflush(NULL);
	parent = getpid();
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return wk_error_set(WK_EIO, "cannot start the transfer: %s", strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		child_run(r, o, fds[1], prefixes, n, push_ref, parent);
		_exit(1);
	}
	close(fds[1]);
	last_move = now_ms();
	for (;;) {
		struct pollfd p = { fds[0], POLLIN, 0 };
		ssize_t got;
		int pr = poll(&p, 1, 250);

		if (pr == 0) {
			long long b = child_bytes(pid);

			if (b >= 0 && b != moved) {
				moved = b;
				last_move = now_ms();
				continue;
			}
			if (now_ms() - last_move < (long long)stall * 1000)
				continue;
			kill(pid, SIGKILL);
			/* A link that goes silent is a link that is down: the sync reports offline (exit 3). */
			network = 1;
			rc = wk_error_set(WK_EIO, answered ?
			                  "the link to the regional repository stalled: no bytes moved for %u s; the transfer "
			                  "was abandoned and the next sync resumes it" :
			                  "cannot reach the regional repository: no answer for %u s (stalled); the next sync "
			                  "tries again", stall);
			break;
		}
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			kill(pid, SIGKILL);
			rc = wk_error_set(WK_EIO, "cannot watch the transfer: %s", strerror(errno));
			break;
		}
		got = read(fds[0], buf, sizeof(buf));
		if (got <= 0)
			break;
		last_move = now_ms();
		for (ssize_t i = 0; i < got; i++) {
			char ch = buf[i];
			if (ch != '\n') {
				if (used < sizeof(line) - 1)
					line[used++] = ch;
				continue;
			}
			line[used] = '\0';
			used = 0;
			if (line[0] == 'P')
				answered = 1;
			if (line[0] == 'P' && o->progress) {
				char phase[8];
				unsigned a = 0, b = 0;
				size_t bytes = 0;
				if (sscanf(line, "P %7s %u %u %zu", phase, &a, &b, &bytes) == 4)
					o->progress(o->progress_ctx, phase, a, b, bytes);
			} else if (line[0] == 'R') {
				saw_ref = 1;
				if (accepted && strncmp(line, "R ok ", 5) == 0)
					*accepted = 1;
			} else if (line[0] == 'M') {
				snprintf(msg, sizeof(msg), "%s", line + 2);
			} else if (line[0] == 'E') {
				int code = WK_ERROR, off = 0;
				if (sscanf(line, "E %d %n", &code, &off) >= 1 && !err) {
					err = code;
					snprintf(msg, sizeof(msg), "%s", line + off);
				}
			} else if (line[0] == 'F' && line[1] == ' ' && o->ref_ready) {
				o->ref_ready(o->ref_ready_ctx, line + 2);
				last_move = now_ms(); /* the time spent reading it was not the link's */
			} else if (line[0] == 'N') {
				network = 1;
			} else if (line[0] == 'D') {
				done = 1;
			}
		}
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	r->unreachable = network;
	if (rc < 0)
		return rc;
	if (err)
		return wk_error_set(err, "%s", msg);
	if (!done || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		r->unreachable = 1;
		return wk_error_set(WK_EIO, "cannot reach the regional repository (the transfer ended early)");
	}
	if (push_ref && accepted && !*accepted) {
		/* Over file:// the "refusal" is the regional repository's own disk failing the ref update. */
		int fault = file_url_path(o->url) ? disk_fault(msg) : 0;
		if (fault) {
			char text[2400], what[400];
			snprintf(what, sizeof(what), "cannot update %s in the regional repository", push_ref);
			return wk_error_set(disk_message(fault, 1, file_url_path(o->url), what, msg, text, sizeof(text)), "%s",
			                    text);
		}
		return wk_error_set(WK_ECONFLICT, saw_ref ? "the regional repository refused the update of %s: %s" :
		                    "the regional repository did not confirm the update of %s%s", push_ref, msg);
	}
	return 0;
}

int wk_repo_fetch(wk_repo *r, const wk_remote_options *o, const char *const *prefixes, size_t n)
{
	return transfer(r, o, prefixes, n, NULL, NULL);
}

/*
 * The note a push over file:// leaves in the mirror while it runs, "URL REF":
 * written only when the ref had no lock in the regional repository as the
 * push began, and removed once no lock of the ref is left there. A note found
 * beside a lock of the same ref says that lock appeared during a push of this
 * device that never finished (it was killed, or failed and could not clean up).
 */
#define PUSH_NOTE "wicket-push"

static int note_names(const char *note, const char *url, const char *ref)
{
	char text[1200], want[1200];

	if (read_text(note, text, sizeof(text)) <= 0)
		return 0;
	snprintf(want, sizeof(want), "%s %s\n", url, ref);
	return strcmp(text, want) == 0;
}

static void note_write(const char *note, const char *url, const char *ref)
{
	char text[1200];
	int fd, n = snprintf(text, sizeof(text), "%s %s\n", url, ref);

	if (n <= 0 || (size_t)n >= sizeof(text) || (fd = open(note, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return;
	if (write(fd, text, (size_t)n) != n) {
		close(fd);
		unlink(note); /* a partial note proves nothing */
		return;
	}
	close(fd);
}

/* Is the commit named by a ref lock's content (its new value) one of this mirror's, on ref? */
static int lock_names_own_commit(wk_repo *r, const char *lock, const char *ref)
{
	char text[64], tip[41];
	git_oid id, tipid;

	if (read_text(lock, text, sizeof(text)) < 40)
		return 0;
	text[40] = '\0';
	if (git_oid_fromstr(&id, text) < 0 || wk_repo_tip(r, ref, tip) < 0 || !tip[0] || git_oid_fromstr(&tipid, tip) < 0)
		return 0;
	return git_oid_equal(&id, &tipid) || git_graph_descendant_of(r->repo, &tipid, &id) == 1;
}

/*
 * A file:// regional repository: libgit2 writes the pushed ref itself, under
 * <ref>.lock, and a push killed or failed mid-way leaves that lock behind,
 * refusing every later push of the ref. This device's ref is pushed by this
 * device only, and while it holds the mirror's lock no other push of it runs
 * (wk_repo_open). So its lock is removed when it was left by an earlier push
 * of this device (it holds one of this device's commits of the ref, or this
 * device's push note says it appeared during a push that never finished), or
 * when it is older than the stall limit (whatever made it was abandoned by
 * then); otherwise it is left alone and the push's failure names it.
 */
static void clear_regional_lock(wk_repo *r, const wk_remote_options *o, const char *lock, const char *ref,
                                const char *note)
{
	unsigned stall = o->stall_seconds ? o->stall_seconds : 60;
	struct stat st;
	time_t now = time(NULL);
	int own;

	if (lstat(lock, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	own = lock_names_own_commit(r, lock, ref) || note_names(note, o->url, ref);
	if (!own && now - st.st_mtime < (time_t)stall)
		return;
	if (unlink(lock) == 0)
		snprintf(r->warning, sizeof(r->warning), "removed the stale lock file '%s' from the regional repository "
		         "(%s)", lock, own ? "left by an earlier sync of this device that stopped" :
		         "older than the stall limit: the transfer that made it was abandoned");
}

/* Packs are merged once this many may be (packs.h): every 8 to 16 syncs that send something. */
#define MERGE_LEAST 16

/*
 * Merge the smallest packs of the repository at gitdir (packs.h). A failure
 * loses nothing and stops nothing: it becomes the warning, when there is
 * none yet. 1 when packs were merged.
 */
static int merge_packs(wk_repo *r, const char *gitdir, const char *what)
{
	wk_packs_result res;

	if (wk_packs_merge(gitdir, fetch_budget(), MERGE_LEAST, &res) < 0) {
		if (!r->warning[0])
			snprintf(r->warning, sizeof(r->warning), "the packs of %s could not be merged (nothing was lost; the "
			         "next sync tries again): %s", what, wk_error_msg());
		return 0;
	}
	return res.merged > 0;
}

/*
 * What a killed merge or push left in the pack folder of a shared regional
 * repository at gitdir: another device may be writing it now, so only what
 * is a day old goes (the mirror's go at wk_repo_open).
 */
static void remove_regional_leftovers(const char *gitdir)
{
	struct timespec day_ago;
	char dir[4300];

	clock_gettime(CLOCK_REALTIME, &day_ago);
	day_ago.tv_sec -= 24 * 60 * 60;
	snprintf(dir, sizeof(dir), "%s/objects/pack", gitdir);
	remove_stale(dir, &day_ago, is_pack_leftover, 0, 0);
}

int wk_repo_tidy(wk_repo *r)
{
	git_repository *fresh = NULL;

	if (r->batch || !merge_packs(r, r->path, "the local mirror"))
		return 0;
	/* The handle still lists the packs just deleted: a new one lists the merged pack instead. */
	if (git_repository_open_bare(&fresh, r->path) < 0)
		return git_fail_at(r->path, WK_EIO, "cannot open the local mirror again after merging its packs");
	git_repository_free(r->repo);
	r->repo = fresh;
	return 0;
}

int wk_repo_push(wk_repo *r, const wk_remote_options *o, const char *ref, int *accepted)
{
	const char *remote = file_url_path(o->url);
	char lock[4400], note[4200];
	struct stat before, after;
	int rc, had;

	if (!remote)
		return transfer(r, o, NULL, 0, ref, accepted);
	snprintf(lock, sizeof(lock), "%s/%s.lock", remote, ref);
	snprintf(note, sizeof(note), "%s/" PUSH_NOTE, r->path);
	clear_regional_lock(r, o, lock, ref, note);
	had = lstat(lock, &before) == 0;
	if (had)
		unlink(note);
	else
		note_write(note, o->url, ref);
	rc = transfer(r, o, NULL, 0, ref, accepted);
	if (rc == 0 && accepted && *accepted && (rc = sync_ref_folders(remote, ref, 1)) < 0)
		*accepted = 0;
	if (rc == 0 && accepted && *accepted) {
		remove_regional_leftovers(remote);
		merge_packs(r, remote, "the regional repository");
	}
	/*
	 * A lock that appeared during a push that failed other than on the lock
	 * itself is the push's own (its child has exited): nothing else can hold it.
	 */
	if (rc < 0 && rc != WK_ELOCKED && lstat(lock, &after) == 0 && (!had || after.st_ino != before.st_ino))
		unlink(lock);
	if (lstat(lock, &after) != 0 || rc == WK_ELOCKED)
		unlink(note);
	return rc;
}
