/*
 * remote.c - the regional repository through libgit2. See remote.h. The only
 * file that includes libgit2's headers: its codes are translated here.
 */
#include "remote.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <git2.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct wk_repo {
	git_repository *repo;
	char *path;
};

static int git_fail(int code, const char *doing)
{
	const git_error *e = git_error_last();

	return wk_error_set(code, "%s: %s", doing, e && e->message ? e->message : "libgit2 failed");
}

static int init_once(void)
{
	static int done;

	if (!done) {
		if (git_libgit2_init() < 0)
			return wk_error_set(WK_ERROR, "cannot start libgit2");
		done = 1;
	}
	return 0;
}

int wk_repo_open(wk_repo **out, const char *path)
{
	wk_repo *r;
	int rc;

	*out = NULL;
	if ((rc = init_once()) < 0)
		return rc;
	if (!(r = calloc(1, sizeof(*r))) || !(r->path = strdup(path))) {
		free(r);
		return wk_error_set(WK_ELIMIT, "out of memory");
	}
	if (git_repository_open_bare(&r->repo, path) < 0 && git_repository_init(&r->repo, path, 1) < 0) {
		rc = git_fail(WK_EIO, "cannot open the local mirror of the regional repository");
		wk_repo_free(r);
		return rc;
	}
	*out = r;
	return 0;
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
		rc = git_fail(WK_EIO, "cannot create the regional repository");
	git_config_free(cfg);
	git_repository_free(repo);
	return rc;
}

void wk_repo_free(wk_repo *r)
{
	if (!r)
		return;
	git_repository_free(r->repo);
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
		return git_fail(WK_EIO, "cannot read a ref of the local mirror");
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

int wk_repo_set_ref(wk_repo *r, const char *ref, const char *oid)
{
	git_reference *out = NULL;
	git_oid id;
	int rc;

	if (!oid || !*oid) {
		rc = git_reference_remove(r->repo, ref);
		return rc == 0 || rc == GIT_ENOTFOUND ? 0 : git_fail(WK_EIO, "cannot remove a ref of the local mirror");
	}
	if (git_oid_fromstr(&id, oid) < 0)
		return wk_error_set(WK_EINVALID, "'%s' is not a git object id", oid);
	rc = git_reference_create(&out, r->repo, ref, &id, 1, "wicket");
	git_reference_free(out);
	return rc < 0 ? git_fail(WK_EIO, "cannot set a ref of the local mirror") : 0;
}

int wk_repo_append(wk_repo *r, const char *ref, const char *name, const unsigned char *blob, size_t n,
                   const char *message, const char *author, char oid[41])
{
	git_oid blob_id, tree_id, commit_id, parent_id;
	git_treebuilder *tb = NULL;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_signature *sig = NULL;
	const git_commit *parents[1];
	char email[96];
	int rc, np = 0;

	snprintf(email, sizeof(email), "%s", author);
	if (git_blob_create_from_buffer(&blob_id, r->repo, blob, n) < 0 ||
	    git_treebuilder_new(&tb, r->repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, tb, name, &blob_id, GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(&tree_id, tb) < 0 || git_tree_lookup(&tree, r->repo, &tree_id) < 0) {
		rc = git_fail(WK_EIO, "cannot write to the local mirror");
		goto out;
	}
	/* Neutral metadata only: the device's code, and no clock. */
	if (git_signature_new(&sig, "wicket", email, 0, 0) < 0) {
		rc = git_fail(WK_EIO, "cannot write to the local mirror");
		goto out;
	}
	if (git_reference_name_to_id(&parent_id, r->repo, ref) == 0) {
		if (git_commit_lookup(&parent, r->repo, &parent_id) < 0) {
			rc = git_fail(WK_EIO, "cannot read the local mirror");
			goto out;
		}
		parents[0] = parent;
		np = 1;
	}
	if (git_commit_create(&commit_id, r->repo, ref, sig, sig, NULL, message, tree, (size_t)np, parents) < 0) {
		rc = git_fail(WK_EIO, "cannot write to the local mirror");
		goto out;
	}
	git_oid_tostr(oid, 41, &commit_id);
	rc = 0;
out:
	git_signature_free(sig);
	git_commit_free(parent);
	git_tree_free(tree);
	git_treebuilder_free(tb);
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
		rc = git_fail(WK_EIO, "cannot read the local mirror");
		goto out;
	}
	if (after && *after && (git_oid_fromstr(&hide, after) < 0 || git_revwalk_hide(w, &hide) < 0)) {
		rc = git_fail(WK_ECONFLICT, "the regional repository no longer holds a commit seen before");
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
			rc = git_fail(WK_ECORRUPT, "cannot read a commit of the regional repository");
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
	rc = rc == GIT_ITEROVER ? 0 : git_fail(WK_EIO, "cannot walk the local mirror");
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
		return git_fail(WK_EIO, "cannot list the refs of the local mirror");
	while ((rc = git_reference_next_name(&name, it)) == 0)
		if ((rc = cb(name, arg)) < 0)
			break;
	git_reference_iterator_free(it);
	return rc == GIT_ITEROVER ? 0 : rc;
}

/* ---- the transfer, in a child process ------------------------------------ */

typedef struct {
	int fd;                  /* the pipe to the parent */
	const wk_remote_options *o;
	int attempts;
	char host[256];
	int port;
} child_ctx;

static void say(child_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(child_ctx *c, const char *fmt, ...)
{
	char line[1100];
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

static int on_fetch_progress(const git_indexer_progress *p, void *payload)
{
	say(payload, "P fetch %u %u %zu", p->received_objects, p->total_objects, p->received_bytes);
	return 0;
}

static int on_push_progress(unsigned int current, unsigned int total, size_t bytes, void *payload)
{
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

/* In the child: classify libgit2's failure for the parent. */
static void report_failure(child_ctx *c, int rc, const char *doing)
{
	const git_error *e = git_error_last();
	int klass = e ? e->klass : 0;
	const char *msg = e && e->message ? e->message : "failed";

	if (rc == GIT_ECERTIFICATE || rc == GIT_EUSER)
		return; /* the callback said why */
	if (klass == GIT_ERROR_NET || klass == GIT_ERROR_SSH || klass == GIT_ERROR_HTTP || klass == GIT_ERROR_OS ||
	    klass == GIT_ERROR_SSL)
		say(c, "E %d cannot reach the regional repository (%s: %s)", WK_EIO, doing, msg);
	else
		say(c, "E %d %s failed: %s", WK_ERROR, doing, msg);
}

static void child_run(wk_repo *r, const wk_remote_options *o, int fd, const char *const *prefixes, size_t n,
                      const char *push_ref)
{
	git_remote *remote = NULL;
	git_remote_callbacks cb;
	char **specs = calloc(n ? n : 1, sizeof(char *));
	git_strarray arr;
	child_ctx c;
	size_t i;
	int rc;

	memset(&c, 0, sizeof(c));
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
			report_failure(&c, rc, "push");
			_exit(1);
		}
	} else {
		git_fetch_options fo;

		git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
		for (i = 0; i < n; i++) {
			const char *p = prefixes[i];
			const char *tail = strncmp(p, "refs/heads/", 11) == 0 ? p + 11 : p;
			size_t len = strlen(p);
			specs[i] = malloc(2 * len + 64);
			if (len && p[len - 1] == '/')
				sprintf(specs[i], "+%s*:refs/remotes/region/%s*", p, tail);
			else
				sprintf(specs[i], "+%s:refs/remotes/region/%s", p, tail);
		}
		arr.strings = specs;
		arr.count = n;
		fo.callbacks = cb;
		fo.prune = GIT_FETCH_NO_PRUNE;
		fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
		rc = git_remote_fetch(remote, &arr, &fo, NULL);
		if (rc < 0) {
			report_failure(&c, rc, "fetch");
			_exit(1);
		}
	}
	say(&c, "D");
	_exit(0);
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
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/io", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	{
		const char *r = strstr(buf, "rchar: "), *w = strstr(buf, "wchar: ");
		if (r)
			rchar = atoll(r + 7);
		if (w)
			wchar = atoll(w + 7);
	}
	return rchar < 0 || wchar < 0 ? -1 : rchar + wchar;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Run the transfer in a child; watch it; kill it when no bytes move for the stall limit. */
static int transfer(wk_repo *r, const wk_remote_options *o, const char *const *prefixes, size_t n,
                    const char *push_ref, int *accepted)
{
	unsigned stall = o->stall_seconds ? o->stall_seconds : 60;
	char buf[4096], line[1200], msg[1100] = "";
	size_t used = 0;
	int fds[2], status = 0, rc = 0, done = 0, err = 0, saw_ref = 0, answered = 0;
	long long last_move, moved = -1;
	pid_t pid;

	if (accepted)
		*accepted = 0;
	if (!o->url || !*o->url)
		return wk_error_set(WK_EUSAGE, "no regional repository is set; give it with 'wicket remote set URL'");
	if (pipe(fds) != 0)
		return wk_error_set(WK_EIO, "cannot start the transfer: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return wk_error_set(WK_EIO, "cannot start the transfer: %s", strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		child_run(r, o, fds[1], prefixes, n, push_ref);
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
			} else if (line[0] == 'D') {
				done = 1;
			}
		}
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (rc < 0)
		return rc;
	if (err)
		return wk_error_set(err, "%s", msg);
	if (!done || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return wk_error_set(WK_EIO, "cannot reach the regional repository (the transfer ended early)");
	if (push_ref && accepted && !*accepted)
		return wk_error_set(WK_ECONFLICT, saw_ref ? "the regional repository refused the update of %s: %s" :
		                    "the regional repository did not confirm the update of %s%s", push_ref, msg);
	return 0;
}

int wk_repo_fetch(wk_repo *r, const wk_remote_options *o, const char *const *prefixes, size_t n)
{
	return transfer(r, o, prefixes, n, NULL, NULL);
}

int wk_repo_push(wk_repo *r, const wk_remote_options *o, const char *ref, int *accepted)
{
	return transfer(r, o, NULL, 0, ref, accepted);
}
