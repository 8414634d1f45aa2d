// SPDX-License-Identifier: GPL-2.0
/*
 * virtprof serve: the capture of `top`, summed since start (session/totals.c) and exported as
 * Prometheus text on /metrics (report/metrics.c), plus /healthz.
 *
 * Two threads: this one is the collector (an interval every --interval, then the exposition is
 * rendered and swapped in under a mutex); libmicrohttpd's own thread answers scrapes from the
 * last rendered text, holding a reference to it, so a scrape never waits for the collector and
 * the collector never waits for a slow client.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "cmd/commands.h"
#include "report/metrics.h"
#include "session/capture.h"
#include "session/options.h"
#include "session/totals.h"
#include "sys/util.h"

#define SERVE_DEFAULT_LISTEN "127.0.0.1:9464"
#define SERVE_DEFAULT_TOP_OTHER 20
#define SERVE_DEFAULT_GRACE_NS (300 * NSEC_PER_SEC)

static const char serve_usage[] =
	"Usage: virtprof serve [OPTIONS]\n"
	"\n"
	"A long-running agent: the accounting of `top` (CPU per VM / container / profiler / other\n"
	"and role, network devices, block I/O, KVM, coverage, steal, BPF cost), as counters since\n"
	"the agent started, served in the Prometheus text format on /metrics; /healthz says whether\n"
	"the collector keeps up.  Metric names: docs/metrics.md.  No load is generated.\n"
	"\n"
	"  -l, --listen ADDR:PORT   where to serve (default " SERVE_DEFAULT_LISTEN
	"; [::1]:PORT for\n"
	"                           IPv6, 0.0.0.0:PORT for every address)\n"
	"      --interval D         collect every D (default 1s, at least 100ms, with a unit)\n"
	"      --vm PID|NAME        a qemu VM to attribute (repeatable)\n"
	"      --container ID|NAME|CGROUP|PID  a container or cgroup (repeatable)\n"
	"                           (with neither: every qemu process and docker container found;\n"
	"                           SIGHUP looks again)\n"
	"      --host NAME          the host label of every series (default: the hostname)\n"
	"      --top-other N        process names of `other` with series of their own, the busiest\n"
	"                           N (default 20; the rest is role=\"(rest)\"; 0: all in the rest)\n"
	"      --grace D            drop a series that has not moved for D (default 5m; never\n"
	"                           while its VM or container runs)\n"
	"      --no-io              do not load the network / block / KVM programs\n"
	"      --max-threads N      threads the per-thread maps hold (default 131072)\n"
	"  -v, --verbose            libbpf and collector diagnostics on stderr\n"
	"  -h, --help\n"
	"\n"
	"Signals: SIGHUP re-resolves the targets; SIGTERM / SIGINT detach everything and exit 0.\n"
	"\n"
	"Examples:\n"
	"  virtprof serve                                  # 127.0.0.1:9464, everything found\n"
	"  virtprof serve --listen 0.0.0.0:9464 --vm web1  # one VM, scraped from elsewhere\n"
	"  curl -s localhost:9464/metrics | grep '^virtprof_cpu_seconds_total'\n";

/* A rendered exposition, shared by the collector and any number of responses in flight. */
struct snapshot {
	int refs;
	struct metrics_text m;
};

static struct {
	pthread_mutex_t lock;
	struct snapshot *cur;
	uint64_t last_mono; /* when the last interval closed */
	uint64_t interval_ns;
} shared = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void snapshot_put(void *cls)
{
	struct snapshot *s = cls;
	bool last;

	if (!s)
		return;
	pthread_mutex_lock(&shared.lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&shared.lock);
	if (last) {
		metrics_text_free(&s->m);
		free(s);
	}
}

/* Install a new exposition; the old one goes when its last response is sent. */
static void snapshot_swap(struct snapshot *s)
{
	struct snapshot *old;

	s->refs = 1;
	pthread_mutex_lock(&shared.lock);
	old = shared.cur;
	shared.cur = s;
	shared.last_mono = now_mono_ns();
	pthread_mutex_unlock(&shared.lock);
	snapshot_put(old);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *type,
			     struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned int status,
				  const char *text)
{
	return reply(conn, status, "text/plain; charset=utf-8",
		     MHD_create_response_from_buffer(strlen(text), (void *)text,
						     MHD_RESPMEM_MUST_COPY));
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **req)
{
	struct snapshot *s;
	char msg[160];
	uint64_t age;

	(void)cls, (void)version, (void)upload, (void)upload_size, (void)req;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or HEAD only\n");
	if (!strcmp(url, "/metrics")) {
		pthread_mutex_lock(&shared.lock);
		s = shared.cur;
		if (s)
			s->refs++;
		pthread_mutex_unlock(&shared.lock);
		if (!s)
			return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
					  "no interval closed yet\n");
		return reply(conn, MHD_HTTP_OK, METRICS_CONTENT_TYPE,
			     MHD_create_response_from_buffer_with_free_callback_cls(
				     s->m.len, s->m.buf, snapshot_put, s));
	}
	if (!strcmp(url, "/healthz")) {
		pthread_mutex_lock(&shared.lock);
		age = shared.cur ? now_mono_ns() - shared.last_mono : UINT64_MAX;
		pthread_mutex_unlock(&shared.lock);
		/* healthy while intervals keep closing: three missed in a row is a stall */
		if (age <= 3 * shared.interval_ns + NSEC_PER_SEC)
			return reply_text(conn, MHD_HTTP_OK, "ok\n");
		if (age == UINT64_MAX)
			snprintf(msg, sizeof(msg), "starting: no interval closed yet\n");
		else
			snprintf(msg, sizeof(msg), "collector stalled: last interval %.1fs ago\n",
				 age / 1e9);
		return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
	}
	if (!strcmp(url, "/"))
		return reply_text(conn, MHD_HTTP_OK,
				  "virtprof serve: /metrics (Prometheus text), /healthz\n");
	return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics or /healthz\n");
}

/*
 * "ADDR:PORT" or "[V6ADDR]:PORT" -> a listening socket.  Bound here, before any probe loads, so
 * a port in use is a clear error and exit 2 rather than a half-started agent.
 */
static int listen_on(const char *spec)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	char host[128];
	const char *colon = strrchr(spec, ':'), *h = spec;
	struct addrinfo *ai = NULL;
	size_t hl;
	uint64_t port;
	int fd, one = 1, err;

	if (!colon || colon == spec) {
		vp_err("--listen %s: give ADDR:PORT (127.0.0.1:9464, [::1]:9464)", spec);
		return -EINVAL;
	}
	if (parse_u64(colon + 1, 1, 65535, &port)) {
		vp_err("--listen %s: port '%s' out of range (1-65535)", spec, colon + 1);
		return -EINVAL;
	}
	hl = colon - spec;
	if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
		h = spec + 1;
		hl -= 2;
	}
	if (hl >= sizeof(host)) {
		vp_err("--listen %s: address too long", spec);
		return -EINVAL;
	}
	memcpy(host, h, hl);
	host[hl] = 0;
	err = getaddrinfo(host, colon + 1, &hints, &ai);
	if (err || !ai) {
		vp_err("--listen %s: '%s' is not a numeric IPv4 or IPv6 address", spec, host);
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		vp_err("--listen %s: socket: %s", spec, strerror(errno));
		freeaddrinfo(ai);
		return err;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)) {
		err = -errno;
		vp_err("--listen %s: %s", spec, strerror(errno));
		close(fd);
		freeaddrinfo(ai);
		/* in use, not an address of this host, privileged port: the user's input */
		return err == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	freeaddrinfo(ai);
	return fd;
}

static int publish(struct totals *t, struct capture *c, const char *host)
{
	struct snapshot *s = calloc(1, sizeof(*s));
	int err = s ? metrics_render(t, c, host, &s->m) : -ENOMEM;

	if (err) {
		free(s);
		return err;
	}
	snapshot_swap(s);
	return 0;
}

struct serve_opts {
	struct session_cli cli;
	const char *listen, *host;
	int top_other;
	uint64_t grace_ns;
	bool io;
};

/* The collector: until SIGTERM / SIGINT; SIGHUP re-resolves targets.  An exit code. */
static int collect_loop(struct serve_opts *o, struct capture *c, const sigset_t *sigs)
{
	uint64_t next = now_mono_ns() + o->cli.interval_ns;
	struct totals t;
	int ret = VP_EXIT_OK, err;

	totals_init(&t, o->top_other, o->grace_ns);
	for (;;) {
		uint64_t now = now_mono_ns(), wait = next > now ? next - now : 0;
		struct timespec to = { wait / NSEC_PER_SEC, wait % NSEC_PER_SEC };
		struct capture_interval ci;
		int sig = sigtimedwait(sigs, NULL, &to);

		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP) {
			err = capture_retarget(c, o->cli.vms, o->cli.nvm, o->cli.ctrs, o->cli.nctr);
			fprintf(stderr, "virtprof: SIGHUP: %s, %d target(s)\n",
				err ? "targets kept" : "targets resolved again", c->targets.n);
			continue;
		}
		if (sig > 0 || (sig < 0 && errno != EAGAIN))
			continue;
		/* the schedule does not drift; a late wake-up (overload) skips, never bunches */
		next += o->cli.interval_ns;
		if (next < now_mono_ns())
			next = now_mono_ns() + o->cli.interval_ns;
		err = capture_next(c, &ci);
		if (!err) {
			err = totals_add(&t, c, &ci);
			capture_interval_free(&ci);
		}
		if (!err)
			err = publish(&t, c, o->host);
		if (err) {
			vp_err("collect: %s", strerror(-err));
			ret = VP_EXIT_FAIL;
			break;
		}
	}
	totals_free(&t);
	return ret;
}

int cmd_serve(int argc, char **argv)
{
	enum { OPT_HOST = 256, OPT_TOP_OTHER, OPT_GRACE, OPT_NO_IO };
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "interval", required_argument, NULL, SESS_OPT_INTERVAL },
		SESSION_TARGET_OPTIONS,
		SESSION_MAX_THREADS_OPTION,
		{ "host", required_argument, NULL, OPT_HOST },
		{ "top-other", required_argument, NULL, OPT_TOP_OTHER },
		{ "grace", required_argument, NULL, OPT_GRACE },
		{ "no-io", no_argument, NULL, OPT_NO_IO },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct serve_opts o = { .listen = SERVE_DEFAULT_LISTEN,
				.top_other = SERVE_DEFAULT_TOP_OTHER,
				.grace_ns = SERVE_DEFAULT_GRACE_NS,
				.io = true };
	static char hostname[256];
	struct MHD_Daemon *d;
	struct capture c;
	sigset_t sigs;
	uint64_t v;
	int opt, fd, err, ret;

	session_cli_init(&o.cli);
	while ((opt = getopt_long(argc, argv, "l:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			o.listen = optarg;
			break;
		case SESS_OPT_INTERVAL:
		case SESS_OPT_VM:
		case SESS_OPT_CTR:
		case SESS_OPT_MAX_THREADS:
			if (session_cli_opt(&o.cli, opt, optarg))
				return VP_EXIT_USAGE;
			break;
		case OPT_HOST:
			if (!optarg[0]) {
				vp_err("--host: give a name");
				return VP_EXIT_USAGE;
			}
			o.host = optarg;
			break;
		case OPT_TOP_OTHER:
			if (parse_u64(optarg, 0, 1000, &v)) {
				vp_err("--top-other %s: give a number from 0 to 1000", optarg);
				return VP_EXIT_USAGE;
			}
			o.top_other = (int)v;
			break;
		case OPT_GRACE:
			if (parse_duration_ns(optarg, &o.grace_ns)) {
				vp_err("--grace %s: a duration with a unit (5m, 90s)", optarg);
				return VP_EXIT_USAGE;
			}
			break;
		case OPT_NO_IO:
			o.io = false;
			break;
		case 'v':
			vp_verbose++;
			break;
		case 'h':
			fputs(serve_usage, stdout);
			return VP_EXIT_OK;
		default:
			fputs(serve_usage, stderr);
			return VP_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		vp_err("unexpected argument '%s'", argv[optind]);
		return VP_EXIT_USAGE;
	}
	if (o.grace_ns < 2 * o.cli.interval_ns) {
		vp_err("--grace must be at least two intervals");
		return VP_EXIT_USAGE;
	}
	if (!o.host) {
		if (gethostname(hostname, sizeof(hostname) - 1))
			snprintf(hostname, sizeof(hostname), "unknown");
		o.host = hostname;
	}
	shared.interval_ns = o.cli.interval_ns;

	/*
	 * Signals are taken synchronously by the collector; blocked before libmicrohttpd starts
	 * its thread so that thread inherits the mask and never takes one.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* SIGPIPE is ignored from main() */

	fd = listen_on(o.listen);
	if (fd < 0)
		return vp_exit_code(fd);
	err = capture_open(&c, o.cli.vms, o.cli.nvm, o.cli.ctrs, o.cli.nctr, o.io,
			   o.cli.max_threads);
	if (err) {
		close(fd);
		return vp_exit_code(err);
	}
	d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
			     handle, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_CONNECTION_LIMIT, 64U, MHD_OPTION_CONNECTION_TIMEOUT, 10U,
			     MHD_OPTION_END);
	if (!d) {
		vp_err("--listen %s: the HTTP server did not start", o.listen);
		capture_close(&c);
		close(fd);
		return VP_EXIT_FAIL;
	}
	fprintf(stderr,
		"virtprof: serving http://%s/metrics every %.3gs, host=\"%s\", %d target(s)\n",
		o.listen, o.cli.interval_ns / 1e9, o.host, c.targets.n);

	ret = collect_loop(&o, &c, &sigs);

	MHD_stop_daemon(d); /* closes the listening socket too */
	capture_close(&c);
	snapshot_put(shared.cur);
	shared.cur = NULL;
	return ret;
}
