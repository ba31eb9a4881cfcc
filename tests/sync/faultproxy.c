/*
 * faultproxy - a loopback TCP proxy that breaks connections on purpose, for the
 * sync tests (promise 8: a transfer can be cut at any byte and retried, and a
 * dead link never hangs the client).
 *
 *   faultproxy [options] MODE N TARGET_PORT
 *
 * It listens on 127.0.0.1 at a port the kernel picks, prints that port on
 * stdout (one line, flushed) and forwards each accepted connection to
 * 127.0.0.1:TARGET_PORT. MODE says what happens to a faulty connection:
 *
 *   pass      forward everything (N is ignored; give 0);
 *   cut N     forward exactly N bytes, counted over both directions together,
 *             then close both sides (a FIN, or a reset with --rst);
 *   stall N   forward exactly N bytes, then forward nothing more and send
 *             nothing, keeping both sockets open, until the client hangs up or
 *             the proxy's lifetime ends.
 *
 * Every new connection starts a fresh count, so that a retry meets the same
 * fault again at the same byte, unless --faulty-connections K (or --once, for
 * K = 1) is given: then only the first K connections are faulty and the later
 * ones pass, which is how a test shows that a retry after a fault succeeds.
 *
 * Options:
 *   --lifetime S            exit after S seconds whatever happens (default 120)
 *   --faulty-connections K  only the first K accepted connections are faulty
 *   --once                  the same as --faulty-connections 1
 *   --rst                   a cut resets the connections instead of closing
 *   --max-connections M     connections open at once (default 64); more are
 *                           closed as soon as they are accepted
 *
 * On stderr it writes one line per connection when it ends (bytes each way and
 * how it ended), which tells a test how large a transfer is (run it in pass
 * mode) and so where to sweep N.
 *
 * What it must not do: listen or connect anywhere but 127.0.0.1; run past its
 * lifetime; block (every socket but the listener is non-blocking, and poll()
 * always has a timeout bounded by the lifetime).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* POLLRDHUP */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE 16384
#define MAX_CONNS_LIMIT 1024

enum mode { MODE_PASS, MODE_CUT, MODE_STALL };

/* One direction of a connection: bytes read from src wait in buf until
 * written to dst. */
struct pipe_dir {
	char buf[BUF_SIZE];
	size_t off, len;
	int eof;      /* src reached end of file */
	int shut;     /* dst has been shut down for writing */
	long long n;  /* bytes read from src */
};

struct conn {
	int id;
	int client, server;
	int faulty;
	int stalled;
	long long total; /* bytes read, both directions */
	struct pipe_dir up;   /* client -> server */
	struct pipe_dir down; /* server -> client */
};

static enum mode mode;
static long long limit_n;
static int target_port;
static long lifetime = 120;
static long faulty_conns = -1; /* -1: every connection */
static int use_rst;
static int max_conns = 64;

static struct conn *conns[MAX_CONNS_LIMIT];
static int nconns;
static int next_id = 1;

static void usage(void)
{
	fprintf(stderr,
		"usage: faultproxy [--lifetime S] [--faulty-connections K | --once] [--rst]\n"
		"                  [--max-connections M] pass|cut|stall N TARGET_PORT\n");
	exit(2);
}

static long parse_num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "faultproxy: bad number '%s' (%ld..%ld)\n", s, lo, hi);
		exit(2);
	}
	return v;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static void close_fd(int fd, int reset)
{
	if (fd < 0)
		return;
	if (reset) {
		struct linger lg = { 1, 0 };

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	}
	close(fd);
}

static void conn_end(int i, const char *how, int reset)
{
	struct conn *c = conns[i];

	fprintf(stderr, "faultproxy: conn %d%s: %s after %lld bytes (up %lld, down %lld)\n",
		c->id, c->faulty ? " (faulty)" : "", how, c->total, c->up.n, c->down.n);
	close_fd(c->client, reset);
	close_fd(c->server, reset);
	free(c);
	conns[i] = conns[--nconns];
	conns[nconns] = NULL;
}

static int step(int i);

static void accept_one(int lfd)
{
	struct sockaddr_in a = loopback(target_port);
	struct conn *c;
	int cfd, sfd, one = 1, faulty;

	cfd = accept(lfd, NULL, NULL);
	if (cfd < 0)
		return;
	faulty = mode != MODE_PASS && (faulty_conns < 0 || next_id <= faulty_conns);
	if (nconns >= max_conns) {
		fprintf(stderr, "faultproxy: conn %d: refused, %d connections open\n", next_id, nconns);
		next_id++;
		close(cfd);
		return;
	}
	/* A loopback connect completes at once or fails at once. */
	sfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sfd < 0 || connect(sfd, (struct sockaddr *)&a, sizeof a) < 0) {
		fprintf(stderr, "faultproxy: conn %d: cannot connect to 127.0.0.1:%d: %s\n",
			next_id, target_port, strerror(errno));
		next_id++;
		close_fd(sfd, 0);
		close(cfd);
		return;
	}
	c = calloc(1, sizeof *c);
	if (!c) {
		close(sfd);
		close(cfd);
		return;
	}
	c->id = next_id++;
	c->client = cfd;
	c->server = sfd;
	c->faulty = faulty;
	set_nonblock(cfd);
	set_nonblock(sfd);
	setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	conns[nconns++] = c;
	step(nconns - 1); /* cut 0 and stall 0 act at once */
}

/* How many more bytes this connection may read before its fault. */
static long long allowance(const struct conn *c)
{
	if (!c->faulty)
		return LLONG_MAX;
	return limit_n - c->total;
}

/* Read into d from fd; returns -1 on a hard error. */
static int fill(struct conn *c, struct pipe_dir *d, int fd)
{
	long long room = allowance(c);
	size_t want = sizeof d->buf;
	ssize_t r;

	if (room <= 0)
		return 0;
	if ((long long)want > room)
		want = (size_t)room;
	r = recv(fd, d->buf, want, 0);
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	if (r == 0) {
		d->eof = 1;
		return 0;
	}
	d->off = 0;
	d->len = (size_t)r;
	d->n += r;
	c->total += r;
	return 0;
}

static int drain(struct pipe_dir *d, int fd)
{
	ssize_t w = send(fd, d->buf + d->off, d->len - d->off, MSG_NOSIGNAL);

	if (w < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	d->off += (size_t)w;
	if (d->off == d->len)
		d->off = d->len = 0;
	return 0;
}

static short want_events(const struct conn *c, const struct pipe_dir *in, const struct pipe_dir *out)
{
	short ev = 0;

	if (c->stalled)
		return POLLRDHUP; /* only to notice the other end hanging up */
	if (in->len == 0 && !in->eof && allowance(c) > 0)
		ev |= POLLIN;
	if (out->len > 0)
		ev |= POLLOUT;
	return ev;
}

/* After i/o: decide whether the connection goes on, stalls, is cut or is
 * done. Returns 1 if it was ended (and removed). */
static int step(int i)
{
	struct conn *c = conns[i];
	int drained = c->up.len == 0 && c->down.len == 0;

	if (c->up.eof && c->up.len == 0 && !c->up.shut) {
		shutdown(c->server, SHUT_WR);
		c->up.shut = 1;
	}
	if (c->down.eof && c->down.len == 0 && !c->down.shut) {
		shutdown(c->client, SHUT_WR);
		c->down.shut = 1;
	}
	if (c->up.shut && c->down.shut) {
		conn_end(i, "closed", 0);
		return 1;
	}
	if (c->faulty && !c->stalled && c->total >= limit_n && drained) {
		if (mode == MODE_CUT) {
			conn_end(i, use_rst ? "reset" : "cut", use_rst);
			return 1;
		}
		c->stalled = 1;
		fprintf(stderr, "faultproxy: conn %d (faulty): stalled after %lld bytes\n", c->id,
			c->total);
	}
	return 0;
}

static int listen_loopback(void)
{
	struct sockaddr_in a = loopback(0);
	socklen_t alen = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		perror("faultproxy: listen on 127.0.0.1");
		exit(1);
	}
	set_nonblock(fd);
	printf("%d\n", ntohs(a.sin_port));
	fflush(stdout);
	return fd;
}

static void run(int lfd)
{
	static struct pollfd pf[1 + 2 * MAX_CONNS_LIMIT];
	long long deadline = now_ms() + lifetime * 1000;

	for (;;) {
		long long left = deadline - now_ms();
		int n = 0, i;

		if (left <= 0)
			break;
		pf[n].fd = lfd;
		pf[n++].events = nconns < max_conns ? POLLIN : 0;
		for (i = 0; i < nconns; i++) {
			struct conn *c = conns[i];

			pf[n].fd = c->client;
			pf[n++].events = want_events(c, &c->up, &c->down);
			pf[n].fd = c->server;
			pf[n++].events = want_events(c, &c->down, &c->up);
		}
		if (poll(pf, (nfds_t)n, left > 1000 ? 1000 : (int)left) < 0) {
			if (errno == EINTR)
				continue;
			perror("faultproxy: poll");
			break;
		}
		/* Walk backwards: conn_end moves the last connection into slot i. */
		for (i = nconns - 1; i >= 0; i--) {
			struct conn *c = conns[i];
			short ce = pf[1 + 2 * i].revents, se = pf[2 + 2 * i].revents;
			int err = 0;

			if (c->stalled) {
				if (ce & (POLLRDHUP | POLLHUP | POLLERR))
					conn_end(i, "client hung up while stalled", 0);
				continue;
			}
			if (ce & (POLLIN | POLLHUP | POLLERR) && c->up.len == 0 && !c->up.eof)
				err |= fill(c, &c->up, c->client);
			if (se & (POLLIN | POLLHUP | POLLERR) && c->down.len == 0 && !c->down.eof)
				err |= fill(c, &c->down, c->server);
			if (c->up.len > 0)
				err |= drain(&c->up, c->server);
			if (c->down.len > 0)
				err |= drain(&c->down, c->client);
			if (err) {
				conn_end(i, "broken", 0);
				continue;
			}
			step(i);
		}
		if (pf[0].revents & POLLIN)
			accept_one(lfd);
	}
	fprintf(stderr, "faultproxy: lifetime of %ld s over, exiting\n", lifetime);
	while (nconns > 0)
		conn_end(nconns - 1, "ended by lifetime", 0);
}

int main(int argc, char **argv)
{
	int i = 1, lfd;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--lifetime") == 0 && i + 1 < argc)
			lifetime = parse_num(argv[++i], 1, 86400);
		else if (strcmp(argv[i], "--faulty-connections") == 0 && i + 1 < argc)
			faulty_conns = parse_num(argv[++i], 0, LONG_MAX);
		else if (strcmp(argv[i], "--once") == 0)
			faulty_conns = 1;
		else if (strcmp(argv[i], "--rst") == 0)
			use_rst = 1;
		else if (strcmp(argv[i], "--max-connections") == 0 && i + 1 < argc)
			max_conns = (int)parse_num(argv[++i], 1, MAX_CONNS_LIMIT);
		else
			usage();
	}
	if (argc - i != 3)
		usage();
	if (strcmp(argv[i], "pass") == 0)
		mode = MODE_PASS;
	else if (strcmp(argv[i], "cut") == 0)
		mode = MODE_CUT;
	else if (strcmp(argv[i], "stall") == 0)
		mode = MODE_STALL;
	else
		usage();
	limit_n = parse_num(argv[i + 1], 0, LONG_MAX);
	target_port = (int)parse_num(argv[i + 2], 1, 65535);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_loopback();
	run(lfd);
	close(lfd);
	return 0;
}
