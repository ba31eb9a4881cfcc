/*
 * remote.h - the regional repository: a plain git remote (file://, ssh://,
 * http(s)://, git://) that carries envelopes, one commit per changeset.
 *
 * Layout (DESIGN.md, "Git layout"): refs/heads/sites/<SITE>/<DEVICE> holds
 * one device's changesets, fast-forward only; refs/heads/region/publications
 * and refs/heads/region/trust hold the region's. A commit's tree has a single
 * blob named "envelope" (or "trust"); its message is "<SITE>/<DEVICE> #<SEQ>"
 * and its author and committer are "wicket <DEVICE@SITE>" at time 0: no plan
 * content, no personal names, no clock (promise 5).
 *
 * The device keeps a local bare mirror (.wicket/git). Fetch and push run in
 * a child process that reports progress over a pipe; when no bytes move for
 * the stall limit the child is killed and the transfer is abandoned (libgit2
 * 1.5 has no timeouts of its own); git writes objects and refs atomically, so
 * the next attempt resumes from whatever arrived. A push counts only when the
 * remote confirmed the ref update (push_update_reference, the only place
 * libgit2 1.5 reports a rejected ref).
 */
#ifndef WK_REMOTE_H
#define WK_REMOTE_H

#include <stddef.h>

#include "buf.h"

typedef struct wk_repo wk_repo;

typedef struct {
	const char *url;
	const char *ssh_key;      /* ssh: the private key file (its .pub beside it); NULL: ~/.ssh/id_ed25519 */
	const char *known_hosts;  /* ssh: the known_hosts file; NULL: ~/.ssh/known_hosts */
	unsigned stall_seconds;   /* abandon a transfer when no bytes move this long; 0: 60 */
	/* Progress: called in the parent for each event ("fetch"/"push", objects, total, bytes). */
	void (*progress)(void *ctx, const char *phase, unsigned objects, unsigned total, size_t bytes);
	void *progress_ctx;
	/*
	 * Fetch: called in the parent, while the transfer goes on, with each
	 * mirror ref ("refs/remotes/region/...") as soon as all of its new
	 * objects are in the mirror, so that they can be read while the rest
	 * arrives. NULL: not called. The refs are all in place when the fetch
	 * returns, whether or not this was called for them.
	 */
	void (*ref_ready)(void *ctx, const char *ref);
	void *ref_ready_ctx;
} wk_remote_options;

#define WK_REMOTE_OPTIONS_INIT { NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL }

/*
 * Create the regional repository itself: a bare repository at path (refused
 * if one exists) that refuses non-fast-forward pushes and deletions, so that
 * no device's history can be rewritten through it.
 */
int wk_repo_create_regional(const char *path);

/*
 * The mirror at path (a bare repository), created if missing. *out:
 * wk_repo_free. The handle holds an exclusive lock (flock) on "sync.lock"
 * beside the mirror until it is freed, so that one wicket command at a time
 * uses the mirror (another one waiting up to 10 s, then WK_ELOCKED); holding
 * it, the libgit2 lock files ("*.lock" in the mirror's top folder and refs/)
 * and the packs being written or deleted (objects/pack/pack_git2_*, an
 * index without its pack or a pack without its index) left by a command
 * that was killed or failed are removed.
 */
int wk_repo_open(wk_repo **out, const char *path);
void wk_repo_free(wk_repo *r);

/*
 * Fetch refs matching the patterns (e.g. "refs/heads/sites/LEI/" prefix, or
 * an exact ref) from the remote into this mirror's remote-tracking refs
 * (refs/remotes/region/...). A remote that cannot be reached (a network
 * failure or a stall) comes back as WK_EIO with wk_repo_unreachable() set;
 * an unknown or changed ssh host key as WK_EBADSIG. A disk failure (of the
 * mirror, or of a file:// regional repository) is not "unreachable": it
 * comes back as WK_ENOSPACE, WK_EREADONLY, WK_EIO or WK_ELOCKED (a lock file
 * in the way), its message naming the disk and what to do.
 */
int wk_repo_fetch(wk_repo *r, const wk_remote_options *o, const char *const *prefixes, size_t n);

/*
 * Push the local ref to the same name on the remote, fast-forward only.
 * *accepted: the remote confirmed it. Failures as for wk_repo_fetch. Over
 * file:// a stale lock of the ref in the regional repository is removed
 * first when an earlier push from this mirror left it (it holds one of this
 * mirror's commits of the ref, or the push note "wicket-push" kept in the
 * mirror says it appeared during a push that never finished), or when it is
 * older than the stall limit; wk_repo_warning() then names it. After an
 * accepted push to a file:// regional repository, its smallest packs are
 * merged (packs.h); a failure there is a warning, not the push's.
 */
int wk_repo_push(wk_repo *r, const wk_remote_options *o, const char *ref, int *accepted);

/*
 * Merge the mirror's smallest packs (packs.h), when no batch is open. A
 * failure to merge loses nothing and becomes wk_repo_warning(); < 0 only
 * when the mirror cannot be opened again afterwards.
 */
int wk_repo_tidy(wk_repo *r);

/* 1 when the last fetch or push failed because the remote could not be reached (offline), else 0. */
int wk_repo_unreachable(const wk_repo *r);

/* A note for the user left by the handle (a stale lock removed, packs not merged), or "". Borrowed. */
const char *wk_repo_warning(const wk_repo *r);

/*
 * Append one commit holding blob (named name) on the local ref; *oid gets
 * its hex id (41 bytes). message as above; author identifies site and device.
 */
int wk_repo_append(wk_repo *r, const char *ref, const char *name, const unsigned char *blob, size_t n,
                   const char *message, const char *author, char oid[41]);

/*
 * A batch of appends to ref: after wk_repo_batch_begin, wk_repo_append (on
 * that ref only) keeps the new objects in memory and gives each commit its
 * id; wk_repo_batch_end writes them all as one pack and moves the ref once,
 * to the last (only if the ref is still where the batch began). Until then
 * nothing of the batch is in the mirror: a batch never ended (an error, a
 * crash, wk_repo_free) leaves the ref as it was. Commits are deterministic
 * (no clock), so making them again gives the same ids.
 */
int wk_repo_batch_begin(wk_repo *r, const char *ref);
int wk_repo_batch_end(wk_repo *r);
/* Drop an open batch (if any): nothing of it reaches the mirror. */
void wk_repo_batch_abort(wk_repo *r);

/* The hex id of ref's tip (local or remote-tracking), or "" if it does not exist. */
int wk_repo_tip(wk_repo *r, const char *ref, char oid[41]);

/* Is ancestor an ancestor of (or equal to) tip? 1 yes, 0 no. */
int wk_repo_descends(wk_repo *r, const char *tip, const char *ancestor);

/*
 * Call cb for each commit reachable from tip and not from hide ("" for
 * none), newest first, with its hex id: one walk of the history between them.
 */
int wk_repo_ancestry(wk_repo *r, const char *tip, const char *hide, int (*cb)(const char *oid, void *arg), void *arg);

/* Set (or with oid "" delete) a ref of the mirror. */
int wk_repo_set_ref(wk_repo *r, const char *ref, const char *oid);

/*
 * Call cb, oldest first, for each commit on ref after the commit `after`
 * ("" for all), with the named blob's bytes. A commit whose tree is not the
 * single expected blob, or larger than max, is an error (nothing parsed).
 */
int wk_repo_walk(wk_repo *r, const char *ref, const char *after, const char *name, size_t max,
                 int (*cb)(const char *oid, const unsigned char *blob, size_t n, void *arg), void *arg);

/* The remote-tracking refs whose names start with prefix, e.g. "refs/remotes/region/sites/LEI/". */
int wk_repo_refs(wk_repo *r, const char *prefix, int (*cb)(const char *ref, void *arg), void *arg);

#endif
