/*
 * netwire - a userspace Ethernet "wire" between two network namespaces that
 * impairs the frames it carries the way tc netem would, for the network proof
 * suite (tests/network/network.sh; DESIGN.md promise 8: any transfer can be cut
 * and retried, and a dead link never hangs the client).
 *
 * The kernels we run on may lack sch_netem (then `tc qdisc add ... netem`
 * says "Specified qdisc kind is unknown"), so the suite connects its two
 * namespaces through this program instead: it creates one TAP device in each
 * namespace, holds both file descriptors, and forwards every frame read from
 * one to the other after deciding its fate.
 *
 *   netwire [options] NS_A:IF_A NS_B:IF_B
 *
 * NS is a network namespace: a path (/run/netns/site), a name made by
 * `ip netns add` (looked up under /run/netns/), or "-" for this process's own.
 * IF is the TAP device to create there (it disappears when netwire exits).
 * Once both exist, netwire prints "ready" on stdout (one line, flushed); the
 * caller then gives the devices addresses and brings them up.
 *
 * Impairments, applied to each direction independently, as netem applies
 * them on each side's egress:
 *   --loss PCT        drop a frame with probability PCT (0..100, may be 2.5)
 *   --delay MS        hold each frame MS milliseconds
 *   --jitter MS       add a uniform -MS..+MS to the delay; frames then
 *                     overtake each other, as they do under netem
 *   --reorder PCT     a frame skips the delay with probability PCT (netem's
 *                     "reorder PCT": it overtakes those still delayed)
 *   --duplicate PCT   send a frame twice with probability PCT
 *   --rate KBIT       a link of KBIT kbit/s: frames are serialised one after
 *                     the other, each taking len*8/rate
 *   --limit N         frames held per direction (default 1000, netem's); a
 *                     frame arriving at a full queue is dropped
 *   --cut-after B     cut the link once B bytes have been forwarded (both
 *                     directions together): from then on every frame, and
 *                     every frame still queued, is dropped
 * Control:
 *   --seed N          the pseudo-random sequence (default 1); the same seed
 *                     and the same frames give the same decisions
 *   --stats FILE      counters as "key value" lines, rewritten (atomically)
 *                     every 200 ms and at exit
 *   --lifetime S      exit after S seconds whatever happens (default 900)
 *   SIGUSR1           cut the link now; SIGUSR2 restore it (and disarm
 *                     --cut-after); SIGTERM/SIGINT exit
 *
 * What it must not do: touch any device but the two it created; block (both
 * TAP descriptors are non-blocking and every wait is bounded); run past its
 * lifetime; keep more than --limit frames per direction.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* setns, ppoll */
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define FRAME_MAX 65536
#define LIMIT_MAX 100000

typedef struct {
	int64_t due; /* monotonic ns */
	uint64_t seq;
	size_t len;
	unsigned char *data;
} frame;

/* One direction: frames read from `in`, waiting (a min-heap on due, then
 * arrival) to be written to `out`. */
typedef struct {
	const char *name;
	int in, out;
	frame *heap;
	size_t n;
	int64_t link_free;  /* --rate: when the serialiser is free again */
	uint64_t rx_frames, tx_frames, tx_bytes;
	uint64_t lost, duplicated, reordered, overflow, cut_dropped, write_failed;
} direction;

static double loss_pct, reorder_pct, dup_pct;
static int64_t delay_ns, jitter_ns;
static double rate_bps;
static size_t limit = 1000;
static long long cut_after = -1;
static uint64_t rng_state = 1;
static const char *stats_path;
static long lifetime = 900;
static uint64_t next_seq;

static volatile sig_atomic_t want_cut, want_restore, want_exit;
static int is_cut;
static unsigned cuts, restores;

static void die(const char *what)
{
	fprintf(stderr, "netwire: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: netwire [--loss PCT] [--delay MS] [--jitter MS] [--reorder PCT] [--duplicate PCT]\n"
	                "               [--rate KBIT] [--limit N] [--cut-after BYTES] [--seed N] [--stats FILE]\n"
	                "               [--lifetime S] NS_A:IF_A NS_B:IF_B\n");
	exit(2);
}

static double parse_num(const char *s, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "netwire: bad number '%s' (%g..%g)\n", s, lo, hi);
		exit(2);
	}
	return v;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* splitmix64: small, seeded, and the same on every machine. */
static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A uniform double in [0, 1). */
static double rng_unit(void)
{
	return (double)(rng_next() >> 11) / 9007199254740992.0;
}

static int chance(double pct)
{
	return pct > 0 && rng_unit() * 100.0 < pct;
}

/* ---- the heap ---------------------------------------------------------------- */

static int before(const frame *a, const frame *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_push(direction *d, frame f)
{
	size_t i = d->n++;

	d->heap[i] = f;
	while (i > 0 && before(&d->heap[i], &d->heap[(i - 1) / 2])) {
		frame t = d->heap[i];
		d->heap[i] = d->heap[(i - 1) / 2];
		d->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static frame heap_pop(direction *d)
{
	frame top = d->heap[0];
	size_t i = 0;

	d->heap[0] = d->heap[--d->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < d->n && before(&d->heap[l], &d->heap[m]))
			m = l;
		if (r < d->n && before(&d->heap[r], &d->heap[m]))
			m = r;
		if (m == i)
			break;
		frame t = d->heap[i];
		d->heap[i] = d->heap[m];
		d->heap[m] = t;
		i = m;
	}
	return top;
}

static void heap_clear(direction *d)
{
	while (d->n > 0) {
		frame f = heap_pop(d);
		free(f.data);
		d->cut_dropped++;
	}
}

/* ---- a frame's fate ----------------------------------------------------------- */

static void enqueue(direction *d, const unsigned char *data, size_t len, int64_t now, int copy)
{
	frame f;
	int64_t due = now;

	if (d->n >= limit) {
		d->overflow++;
		return;
	}
	if (!copy && chance(reorder_pct)) {
		d->reordered++; /* sent at once, ahead of the frames still delayed */
	} else {
		due += delay_ns;
		if (jitter_ns > 0)
			due += (int64_t)((rng_unit() * 2.0 - 1.0) * (double)jitter_ns);
		if (due < now)
			due = now;
	}
	if (rate_bps > 0) {
		int64_t tx = (int64_t)((double)len * 8.0 * 1e9 / rate_bps);
		if (due < d->link_free)
			due = d->link_free;
		due += tx;
		d->link_free = due;
	}
	f.due = due;
	f.seq = next_seq++;
	f.len = len;
	f.data = malloc(len);
	if (!f.data) {
		d->overflow++;
		return;
	}
	memcpy(f.data, data, len);
	heap_push(d, f);
}

static void receive(direction *d, int64_t now)
{
	static unsigned char buf[FRAME_MAX];
	int i;

	for (i = 0; i < 256; i++) {
		ssize_t r = read(d->in, buf, sizeof(buf));
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			die("read from a tap device");
		}
		if (r == 0)
			return;
		d->rx_frames++;
		if (is_cut) {
			d->cut_dropped++;
			continue;
		}
		if (chance(loss_pct)) {
			d->lost++;
			continue;
		}
		enqueue(d, buf, (size_t)r, now, 0);
		if (chance(dup_pct)) {
			d->duplicated++;
			enqueue(d, buf, (size_t)r, now, 1);
		}
	}
}

static long long forwarded(const direction *a, const direction *b)
{
	return (long long)(a->tx_bytes + b->tx_bytes);
}

static void cut_now(direction *a, direction *b, const char *why)
{
	if (is_cut)
		return;
	is_cut = 1;
	cuts++;
	heap_clear(a);
	heap_clear(b);
	fprintf(stderr, "netwire: link cut (%s) after %lld bytes forwarded\n", why, forwarded(a, b));
}

/* Write every frame that is due; returns the ns until the next one (or -1). */
static int64_t transmit(direction *d, direction *other, int64_t now)
{
	while (d->n > 0 && d->heap[0].due <= now && !is_cut) {
		frame f = heap_pop(d);
		ssize_t w = write(d->out, f.data, f.len);
		if (w == (ssize_t)f.len) {
			d->tx_frames++;
			d->tx_bytes += f.len;
		} else {
			d->write_failed++; /* the far side's queue is full: lost, like on a wire */
		}
		free(f.data);
		if (cut_after >= 0 && forwarded(d, other) >= cut_after)
			cut_now(d, other, "byte count reached");
	}
	return d->n > 0 && !is_cut ? d->heap[0].due - now : -1;
}

/* ---- set-up ------------------------------------------------------------------ */

/* Create TAP device ifname inside namespace ns; returns its descriptor. */
static int tap_in(const char *spec)
{
	char ns[4096], path[4200];
	const char *colon = strrchr(spec, ':');
	struct ifreq ifr;
	int self = -1, nsfd = -1, fd;

	if (!colon || colon == spec || !colon[1] || strlen(colon + 1) >= IFNAMSIZ ||
	    (size_t)(colon - spec) >= sizeof(ns))
		usage();
	snprintf(ns, sizeof(ns), "%.*s", (int)(colon - spec), spec);
	if (strcmp(ns, "-") != 0) {
		snprintf(path, sizeof(path), strchr(ns, '/') ? "%s" : "/run/netns/%s", ns);
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (self < 0 || nsfd < 0)
			die(path);
		if (setns(nsfd, CLONE_NEWNET) != 0)
			die("setns (netwire needs root or CAP_SYS_ADMIN)");
	}
	/* The device belongs to the namespace current when /dev/net/tun is opened. */
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		die("/dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", colon + 1);
	if (ioctl(fd, TUNSETIFF, &ifr) != 0)
		die("create the tap device (TUNSETIFF)");
	if (self >= 0) {
		if (setns(self, CLONE_NEWNET) != 0)
			die("setns back");
		close(self);
		close(nsfd);
	}
	return fd;
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_cut = 1;
	else if (sig == SIGUSR2)
		want_restore = 1;
	else
		want_exit = 1;
}

static void write_stats(const direction *a, const direction *b)
{
	char tmp[4200];
	const direction *d[2] = { a, b };
	FILE *f;
	int i;

	if (!stats_path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", stats_path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "forwarded_bytes %lld\ncut %d\ncuts %u\nrestores %u\n", forwarded(a, b), is_cut, cuts, restores);
	for (i = 0; i < 2; i++)
		fprintf(f,
		        "%s_rx_frames %llu\n%s_tx_frames %llu\n%s_tx_bytes %llu\n%s_lost %llu\n%s_duplicated %llu\n"
		        "%s_reordered %llu\n%s_overflow %llu\n%s_cut_dropped %llu\n%s_write_failed %llu\n%s_queued %zu\n",
		        d[i]->name, (unsigned long long)d[i]->rx_frames, d[i]->name, (unsigned long long)d[i]->tx_frames,
		        d[i]->name, (unsigned long long)d[i]->tx_bytes, d[i]->name, (unsigned long long)d[i]->lost,
		        d[i]->name, (unsigned long long)d[i]->duplicated, d[i]->name,
		        (unsigned long long)d[i]->reordered, d[i]->name, (unsigned long long)d[i]->overflow, d[i]->name,
		        (unsigned long long)d[i]->cut_dropped, d[i]->name, (unsigned long long)d[i]->write_failed,
		        d[i]->name, d[i]->n);
	if (fclose(f) == 0)
		rename(tmp, stats_path);
}

static void run(direction *ab, direction *ba)
{
	int64_t start = now_ns(), end = start + (int64_t)lifetime * 1000000000, next_stats = start;

	for (;;) {
		struct pollfd pf[2] = { { ab->in, POLLIN, 0 }, { ba->in, POLLIN, 0 } };
		int64_t now = now_ns(), wait = 200000000, w;
		struct timespec ts;

		if (want_exit || now >= end)
			break;
		if (want_cut) {
			want_cut = 0;
			cut_now(ab, ba, "SIGUSR1");
		}
		if (want_restore) {
			want_restore = 0;
			cut_after = -1;
			if (is_cut) {
				is_cut = 0;
				restores++;
				fprintf(stderr, "netwire: link restored\n");
			}
		}
		if ((w = transmit(ab, ba, now)) >= 0 && w < wait)
			wait = w;
		if ((w = transmit(ba, ab, now)) >= 0 && w < wait)
			wait = w;
		if (now >= next_stats) {
			write_stats(ab, ba);
			next_stats = now + 200000000;
		}
		ts.tv_sec = (time_t)(wait / 1000000000);
		ts.tv_nsec = (long)(wait % 1000000000);
		if (ppoll(pf, 2, &ts, NULL) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		now = now_ns();
		if (pf[0].revents & POLLIN)
			receive(ab, now);
		if (pf[1].revents & POLLIN)
			receive(ba, now);
		if (pf[0].revents & (POLLERR | POLLNVAL) || pf[1].revents & (POLLERR | POLLNVAL)) {
			fprintf(stderr, "netwire: a tap device went away\n");
			break;
		}
	}
	write_stats(ab, ba);
}

int main(int argc, char **argv)
{
	direction ab = { "ab", -1, -1, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	direction ba = { "ba", -1, -1, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct sigaction sa;
	int i = 1, a, b;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		i++;
		if (strcmp(o, "--loss") == 0)
			loss_pct = parse_num(v, 0, 100);
		else if (strcmp(o, "--delay") == 0)
			delay_ns = (int64_t)(parse_num(v, 0, 60000) * 1e6);
		else if (strcmp(o, "--jitter") == 0)
			jitter_ns = (int64_t)(parse_num(v, 0, 60000) * 1e6);
		else if (strcmp(o, "--reorder") == 0)
			reorder_pct = parse_num(v, 0, 100);
		else if (strcmp(o, "--duplicate") == 0)
			dup_pct = parse_num(v, 0, 100);
		else if (strcmp(o, "--rate") == 0)
			rate_bps = parse_num(v, 1, 100e6) * 1000.0;
		else if (strcmp(o, "--limit") == 0)
			limit = (size_t)parse_num(v, 1, LIMIT_MAX);
		else if (strcmp(o, "--cut-after") == 0)
			cut_after = (long long)parse_num(v, 0, 1e15);
		else if (strcmp(o, "--seed") == 0)
			rng_state = (uint64_t)parse_num(v, 0, 9007199254740992.0);
		else if (strcmp(o, "--stats") == 0)
			stats_path = v;
		else if (strcmp(o, "--lifetime") == 0)
			lifetime = (long)parse_num(v, 1, 86400);
		else
			usage();
	}
	if (argc - i != 2)
		usage();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	a = tap_in(argv[i]);
	b = tap_in(argv[i + 1]);
	ab.in = ba.out = a;
	ab.out = ba.in = b;
	ab.heap = calloc(limit, sizeof(frame));
	ba.heap = calloc(limit, sizeof(frame));
	if (!ab.heap || !ba.heap)
		die("memory for the queues");
	printf("ready\n");
	fflush(stdout);
	fprintf(stderr,
	        "netwire: loss %g%% delay %lld ms jitter %lld ms reorder %g%% duplicate %g%% rate %g kbit/s limit %zu "
	        "cut-after %lld seed %llu\n",
	        loss_pct, (long long)(delay_ns / 1000000), (long long)(jitter_ns / 1000000), reorder_pct, dup_pct,
	        rate_bps / 1000.0, limit, cut_after, (unsigned long long)rng_state);
	run(&ab, &ba);
	heap_clear(&ab);
	heap_clear(&ba);
	free(ab.heap);
	free(ba.heap);
	close(a);
	close(b);
	fprintf(stderr, "netwire: exiting\n");
	return 0;
}
