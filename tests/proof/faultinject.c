/*
 * faultinject - an LD_PRELOAD library that counts the calls by which a
 * program changes files, and stops it (SIGKILL) or fails the call (EIO,
 * ENOSPC) at a chosen one: the crash and storage proofs (tests/proof/).
 *
 *   LD_PRELOAD=.../libfaultinject.so WK_FAULT_MODE=MODE [WK_FAULT_AT=N] wicket ...
 *
 * A point is one call of write, pwrite, pwrite64, writev, pwritev, fwrite,
 * fsync, fdatasync, ftruncate, ftruncate64 on a regular file (fsync also on a
 * directory), or of rename, renameat, renameat2, link, linkat, unlink,
 * unlinkat. Writes to descriptors 0-2 and to pipes, sockets and terminals are
 * not points: they change no file. The calls SQLite (pwrite64, fdatasync,
 * ftruncate64, unlink), libgit2 (write, pwrite, fsync, link, rename, unlink)
 * and the client itself (write, fwrite, fsync, rename, link) make are all
 * among them; strace -f of a sync shows no other call that changes a file
 * (SQLite's -shm is a shared mapping, which is lost with the process anyway).
 *
 * Points are numbered from 1 across the process and every process it forks
 * (a sync runs libgit2 in a forked child): the counter lives in a shared
 * mapping made when the library loads.
 *
 * WK_FAULT_MODE
 *   count   count only; with WK_FAULT_LOG each point is logged
 *   kill    at point N, SIGKILL the process that loaded the library and, if
 *           the call is in a forked child, that child too: the whole client
 *           stops at that instant
 *   eio     point N fails with EIO (and every later point, unless
 *   enospc  WK_FAULT_ONCE=1); enospc the same with ENOSPC
 *   vanish  no points: the first open (across the process and its
 *           children) of a git pack file (*.pack) whose path contains
 *           WK_FAULT_ONLY deletes it and its index just before, as another
 *           process merging the repository's packs at that instant would
 *           (sync/packs.h); logged as "vanish 1 PID open PATH". The files
 *           of the folder WK_FAULT_VANISH_FROM, if set, are moved into the
 *           pack's folder first: the merged pack, written since the
 *           program listed the packs.
 * WK_FAULT_AT    N, from 1 (kill, eio, enospc)
 * WK_FAULT_WHEN  before (default) or after: kill before the call is made, or
 *                right after it returned
 * WK_FAULT_ONCE  1: fail point N only
 * WK_FAULT_ONLY  a substring: only calls on a path containing it are points
 * WK_FAULT_LOG   a file: one line per point counted, "N PID CALL PATH", and
 *                "fault N PID CALL PATH" for the point that was hit
 *
 * What it must not do: change anything about a call that is not the chosen
 * point; allocate in the intercepted calls (fwrite may be called anywhere);
 * be loaded into anything but the program under test (the scripts set
 * LD_PRELOAD on the one command). It is built without sanitizers, so that it
 * loads the same way into a plain and an ASan+UBSan build of wicket (the ASan
 * runtime then needs ASAN_OPTIONS=verify_asan_link_order=0).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum { M_OFF, M_COUNT, M_KILL, M_EIO, M_ENOSPC, M_VANISH };

static int mode = M_OFF;
static long long fault_at;
static int after, once;
static const char *only;
static const char *logpath;
static pid_t root;
static long long *counter; /* shared with forked children */
static long long private_counter;

/* Each real function, looked up once. */
#define REAL(name, ret, ...)                                                     \
	static ret (*real_##name)(__VA_ARGS__);                                  \
	static ret (*get_##name(void))(__VA_ARGS__)                              \
	{                                                                        \
		if (!real_##name)                                                \
			*(void **)&real_##name = dlsym(RTLD_NEXT, #name);        \
		return real_##name;                                              \
	}

REAL(write, ssize_t, int, const void *, size_t)
REAL(pwrite, ssize_t, int, const void *, size_t, off_t)
REAL(pwrite64, ssize_t, int, const void *, size_t, off64_t)
REAL(writev, ssize_t, int, const struct iovec *, int)
REAL(pwritev, ssize_t, int, const struct iovec *, int, off_t)
REAL(fwrite, size_t, const void *, size_t, size_t, FILE *)
REAL(fsync, int, int)
REAL(fdatasync, int, int)
REAL(ftruncate, int, int, off_t)
REAL(ftruncate64, int, int, off64_t)
REAL(rename, int, const char *, const char *)
REAL(renameat, int, int, const char *, int, const char *)
REAL(renameat2, int, int, const char *, int, const char *, unsigned int)
REAL(link, int, const char *, const char *)
REAL(linkat, int, int, const char *, int, const char *, int)
REAL(unlink, int, const char *)
REAL(unlinkat, int, int, const char *, int)
REAL(open, int, const char *, int, ...)
REAL(open64, int, const char *, int, ...)
REAL(openat, int, int, const char *, int, ...)
REAL(openat64, int, int, const char *, int, ...)

__attribute__((constructor)) static void faultinject_init(void)
{
	const char *m = getenv("WK_FAULT_MODE"), *v;

	if (!m || !*m)
		return;
	if (strcmp(m, "count") == 0)
		mode = M_COUNT;
	else if (strcmp(m, "kill") == 0)
		mode = M_KILL;
	else if (strcmp(m, "eio") == 0)
		mode = M_EIO;
	else if (strcmp(m, "enospc") == 0)
		mode = M_ENOSPC;
	else if (strcmp(m, "vanish") == 0)
		mode = M_VANISH;
	else {
		static const char msg[] = "faultinject: WK_FAULT_MODE must be count, kill, eio, enospc or vanish\n";
		(void)!get_write()(2, msg, sizeof(msg) - 1);
		_exit(125);
	}
	if ((v = getenv("WK_FAULT_AT")) != NULL)
		fault_at = atoll(v);
	if (mode != M_COUNT && mode != M_VANISH && fault_at < 1) {
		static const char msg[] = "faultinject: WK_FAULT_AT must be a point number from 1\n";
		(void)!get_write()(2, msg, sizeof(msg) - 1);
		_exit(125);
	}
	after = (v = getenv("WK_FAULT_WHEN")) != NULL && strcmp(v, "after") == 0;
	once = (v = getenv("WK_FAULT_ONCE")) != NULL && strcmp(v, "1") == 0;
	only = getenv("WK_FAULT_ONLY");
	if (only && !*only)
		only = NULL;
	logpath = getenv("WK_FAULT_LOG");
	if (logpath && !*logpath)
		logpath = NULL;
	root = getpid();
	counter = mmap(NULL, sizeof(*counter), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counter == MAP_FAILED)
		counter = &private_counter;
	*counter = 0;
}

/* The path a descriptor names, for the log and WK_FAULT_ONLY. */
static void fd_path(int fd, char *out, size_t n)
{
	char proc[64];
	ssize_t got;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	got = readlink(proc, out, n - 1);
	out[got > 0 ? got : 0] = '\0';
}

static int is_point_fd(int fd, int dirs_too)
{
	struct stat st;

	if (fd <= 2 || fstat(fd, &st) != 0)
		return 0;
	return S_ISREG(st.st_mode) || (dirs_too && S_ISDIR(st.st_mode));
}

static void log_line(const char *tag, long long n, const char *call, const char *path)
{
	char line[4352];
	int len, fd;

	if (!logpath)
		return;
	len = snprintf(line, sizeof(line), "%s%lld %d %s %s\n", tag, n, (int)getpid(), call, path);
	if (len < 0)
		return;
	if (len >= (int)sizeof(line))
		len = (int)sizeof(line) - 1;
	fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		(void)!get_write()(fd, line, (size_t)len);
		close(fd);
	}
}

static void stop_now(void)
{
	if (getpid() != root)
		kill(root, SIGKILL);
	raise(SIGKILL);
	_exit(137); /* not reached */
}

/*
 * Is this call a point, and what happens to it: 0 go on, 1 kill after the
 * call, or -1 fail it with errno set.
 */
static int point(const char *call, int fd, const char *path, int dirs_too)
{
	char buf[4096];
	long long n;
	int hit;

	if (mode == M_OFF || mode == M_VANISH)
		return 0;
	if (path) {
		snprintf(buf, sizeof(buf), "%s", path);
	} else {
		if (!is_point_fd(fd, dirs_too))
			return 0;
		buf[0] = '\0';
		if (only || logpath)
			fd_path(fd, buf, sizeof(buf));
	}
	if (only && !strstr(buf, only))
		return 0;
	n = __atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST);
	if (mode == M_COUNT) {
		log_line("", n, call, buf);
		return 0;
	}
	hit = once ? n == fault_at : n >= fault_at;
	if (!hit)
		return 0;
	if (n == fault_at)
		log_line("fault ", n, call, buf);
	if (mode == M_KILL) {
		if (n != fault_at)
			return 0;
		if (after)
			return 1;
		stop_now();
	}
	errno = mode == M_EIO ? EIO : ENOSPC;
	return -1;
}

/* Run the real call unless the point fails it; kill after it when asked. */
#define POINT(call, fd, path, dirs, failed, expr)          \
	do {                                               \
		int p_ = point(call, fd, path, dirs);      \
		if (p_ < 0)                                \
			return failed;                     \
		__typeof__(expr) r_ = expr;                \
		if (p_ > 0)                                \
			stop_now();                        \
		return r_;                                 \
	} while (0)

ssize_t write(int fd, const void *b, size_t n)
{
	POINT("write", fd, NULL, 0, -1, get_write()(fd, b, n));
}

ssize_t pwrite(int fd, const void *b, size_t n, off_t off)
{
	POINT("pwrite", fd, NULL, 0, -1, get_pwrite()(fd, b, n, off));
}

ssize_t pwrite64(int fd, const void *b, size_t n, off64_t off)
{
	POINT("pwrite64", fd, NULL, 0, -1, get_pwrite64()(fd, b, n, off));
}

ssize_t writev(int fd, const struct iovec *v, int n)
{
	POINT("writev", fd, NULL, 0, -1, get_writev()(fd, v, n));
}

ssize_t pwritev(int fd, const struct iovec *v, int n, off_t off)
{
	POINT("pwritev", fd, NULL, 0, -1, get_pwritev()(fd, v, n, off));
}

size_t fwrite(const void *b, size_t size, size_t n, FILE *f)
{
	POINT("fwrite", fileno(f), NULL, 0, 0, get_fwrite()(b, size, n, f));
}

int fsync(int fd)
{
	POINT("fsync", fd, NULL, 1, -1, get_fsync()(fd));
}

int fdatasync(int fd)
{
	POINT("fdatasync", fd, NULL, 1, -1, get_fdatasync()(fd));
}

int ftruncate(int fd, off_t len)
{
	POINT("ftruncate", fd, NULL, 0, -1, get_ftruncate()(fd, len));
}

int ftruncate64(int fd, off64_t len)
{
	POINT("ftruncate64", fd, NULL, 0, -1, get_ftruncate64()(fd, len));
}

int rename(const char *from, const char *to)
{
	POINT("rename", -1, to, 0, -1, get_rename()(from, to));
}

int renameat(int fromdir, const char *from, int todir, const char *to)
{
	POINT("renameat", -1, to, 0, -1, get_renameat()(fromdir, from, todir, to));
}

int renameat2(int fromdir, const char *from, int todir, const char *to, unsigned int flags)
{
	POINT("renameat2", -1, to, 0, -1, get_renameat2()(fromdir, from, todir, to, flags));
}

int link(const char *from, const char *to)
{
	POINT("link", -1, to, 0, -1, get_link()(from, to));
}

int linkat(int fromdir, const char *from, int todir, const char *to, int flags)
{
	POINT("linkat", -1, to, 0, -1, get_linkat()(fromdir, from, todir, to, flags));
}

int unlink(const char *path)
{
	POINT("unlink", -1, path, 0, -1, get_unlink()(path));
}

int unlinkat(int dir, const char *path, int flags)
{
	POINT("unlinkat", -1, path, 0, -1, get_unlinkat()(dir, path, flags));
}

/* vanish: move every file of WK_FAULT_VANISH_FROM into the folder of path (the merged pack arrives). */
static void arrive(const char *path)
{
	const char *from = getenv("WK_FAULT_VANISH_FROM");
	const char *slash = strrchr(path, '/');
	char src[4096], dst[4096];
	struct dirent *e;
	DIR *d;

	if (!from || !*from || !slash || !(d = opendir(from)))
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(src, sizeof(src), "%s/%s", from, e->d_name);
		snprintf(dst, sizeof(dst), "%.*s/%s", (int)(slash - path), path, e->d_name);
		get_rename()(src, dst);
	}
	closedir(d);
}

/* vanish: delete the pack at path, and its index, if this is the first pack opened. */
static void vanish(const char *path)
{
	char idx[4096];
	size_t len;

	if (mode != M_VANISH || !path || (only && !strstr(path, only)) || (len = strlen(path)) < 5 ||
	    len >= sizeof(idx) || strcmp(path + len - 5, ".pack") != 0)
		return;
	if (__atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST) != 1)
		return;
	arrive(path);
	memcpy(idx, path, len - 4);
	memcpy(idx + len - 4, "idx", 4);
	get_unlink()(idx);
	get_unlink()(path);
	log_line("vanish ", 1, "open", path);
}

/* The mode argument of an open that creates a file; 0 otherwise. */
#define OPEN_MODE(flags, m)                                   \
	do {                                                  \
		if ((flags) & (O_CREAT | O_TMPFILE)) {        \
			va_list ap_;                          \
			va_start(ap_, flags);                 \
			m = va_arg(ap_, mode_t);              \
			va_end(ap_);                          \
		}                                             \
	} while (0)

int open(const char *path, int flags, ...)
{
	mode_t m = 0;

	OPEN_MODE(flags, m);
	vanish(path);
	return get_open()(path, flags, m);
}

int open64(const char *path, int flags, ...)
{
	mode_t m = 0;

	OPEN_MODE(flags, m);
	vanish(path);
	return get_open64()(path, flags, m);
}

int openat(int dir, const char *path, int flags, ...)
{
	mode_t m = 0;

	OPEN_MODE(flags, m);
	vanish(path);
	return get_openat()(dir, path, flags, m);
}

int openat64(int dir, const char *path, int flags, ...)
{
	mode_t m = 0;

	OPEN_MODE(flags, m);
	vanish(path);
	return get_openat64()(dir, path, flags, m);
}
