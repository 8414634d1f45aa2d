// SPDX-License-Identifier: GPL-2.0
/*
 * virtprof serve: the capture of `top`, summed since start (session/totals.c) and exported as
 * Prometheus text on /metrics (report/metrics.c), plus /healthz, and CPU profiles for
 * continuous profilers on /debug/pprof/profile?seconds=N (Go's path: Parca, Pyroscope and
 * `go tool pprof http://...` ask there).
 *
 * Two threads: this one is the collector (an interval every --interval, then the exposition is
 * rendered and swapped in under a mutex); libmicrohttpd's own thread answers scrapes from the
 * last rendered text, holding a reference to it, so a scrape never waits for the collector and
 * the collector never waits for a slow client.  A profile request is suspended (its thread
 * goes on serving others) and handed to the collector, which samples stacks only while one is
 * asked for -- nothing is sampled, and nothing symbolized, between requests -- and resumes it
 * with the gzip'd profile.proto.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "cmd/commands.h"
#include "cmd/webconfig.h"
#include "report/metrics.h"
#include "session/capture.h"
#include "session/options.h"
#include "session/totals.h"
#include "stack/output.h"
#include "stack/sampler.h"
#include "sys/util.h"

#define SERVE_DEFAULT_LISTEN "127.0.0.1:9464"
#define SERVE_DEFAULT_TOP_OTHER 20
#define SERVE_DEFAULT_GRACE_NS (300 * NSEC_PER_SEC)

/*
 * Limits that keep one client from starving the scraper (docs/serve.md): connections per
 * client address, in all, the seconds a connection may sit idle mid-request, the bytes a
 * request's line and headers may take, the length of a path, the query arguments.
 */
#define SERVE_PER_CLIENT 16U
#define SERVE_CONNECTIONS 1024U
#define SERVE_TIMEOUT_S 5U
#define SERVE_REQUEST_BYTES (16U << 10)
#define SERVE_PATH_MAX 64
#define SERVE_ARGS_MAX 8
#define SERVE_THREADS 4U
/* /debug/pprof/profile: Go's default and a bound on how long a request may hold a profile */
#define PROFILE_DEFAULT_S 30
#define PROFILE_MAX_S 300
#define PROFILE_PATH "/debug/pprof/profile"

static const char serve_usage[] =
	"Usage: virtprof serve [OPTIONS]\n"
	"\n"
	"A long-running agent: the accounting of `top` (CPU per VM / container / profiler / other\n"
	"and role, network devices, block I/O, KVM, coverage, steal, BPF cost), as counters since\n"
	"the agent started, served in the Prometheus text format on /metrics; /healthz says whether\n"
	"the collector keeps up; " PROFILE_PATH "?seconds=N (default 30, at most 300) samples\n"
	"stacks for N seconds and answers a pprof profile (labels entity, role, context) -- only\n"
	"then are stacks sampled, one profile at a time.  Metric names: docs/metrics.md.  No load\n"
	"is generated.\n"
	"\n"
	"  -l, --listen ADDR:PORT   where to serve (default " SERVE_DEFAULT_LISTEN
	"; [::1]:PORT for\n"
	"                           IPv6, 0.0.0.0:PORT for every address)\n"
	"      --interval D         collect every D (default 1s, at least 100ms, with a unit)\n"
	"      --vm PID|NAME|UUID   a VM to attribute: name, libvirt domain, uuid prefix (repeatable)\n"
	"      --container ID|NAME|CGROUP|PID  a container or cgroup (repeatable)\n"
	"                           (with neither: every VM and container found, and those that\n"
	"                           start later, looked for every interval; SIGHUP resolves again)\n"
	"      --host NAME          the host label of every series (default: the hostname)\n"
	"      --top-other N        process names of `other` with series of their own, the busiest\n"
	"                           N (default 20; the rest is role=\"(rest)\"; 0: all in the rest)\n"
	"      --grace D            drop a series that has not moved for D (default 5m; never\n"
	"                           while its VM or container runs)\n"
	"      --no-io              do not load the network / block / KVM programs\n" SESSION_LIGHT_HELP
	"      --freq N             stack samples per second per CPU while a profile is asked for\n"
	"                           on " PROFILE_PATH "?seconds=N (default 99)\n"
	"      --max-threads N      threads the per-thread maps hold (default 131072)\n"
	"      --max-targets N      VMs and containers tracked at most (default 4096); more are\n"
	"                           counted (virtprof_targets_untracked), their threads in other\n"
	"      --web-config FILE    TLS and basic auth, in the Prometheus exporter-toolkit\n"
	"                           format (tls_server_config: cert_file, key_file;\n"
	"                           basic_auth_users: user: bcrypt-hash); docs/serve.md\n"
	"  -v, --verbose            libbpf and collector diagnostics on stderr\n"
	"  -h, --help\n"
	"\n"
	"Signals: SIGHUP re-resolves the targets; SIGTERM / SIGINT detach everything and exit 0.\n"
	"\n"
	"Examples:\n"
	"  virtprof serve                                  # 127.0.0.1:9464, everything found\n"
	"  virtprof serve --listen 0.0.0.0:9464 --vm web1 --web-config web.yml\n"
	"                                                  # one VM, scraped from elsewhere\n"
	"  curl -s localhost:9464/metrics | grep '^virtprof_cpu_seconds_total'\n"
	"  go tool pprof -top 'http://localhost:9464" PROFILE_PATH "?seconds=10'\n";

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
	struct web_config *web;	  /* NULL: no --web-config */
	struct profile_req *prof; /* the profile asked for or being taken, NULL: none */
	int prof_open;		  /* profile requests not yet ended (answered and sent) */
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

static enum MHD_Result count_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	(void)kind, (void)key, (void)value;
	return ++*(int *)cls > SERVE_ARGS_MAX ? MHD_NO : MHD_YES;
}

/* basic_auth_users of --web-config: true when the request may go on (else a 401 is queued). */
static bool authorized(struct MHD_Connection *conn, enum MHD_Result *ret)
{
	char *pass = NULL, *user;
	struct MHD_Response *r;
	bool ok;

	if (!shared.web || !shared.web->nusers)
		return true;
	user = MHD_basic_auth_get_username_password(conn, &pass);
	ok = user && pass && web_config_auth(shared.web, user, pass);
	if (pass)
		explicit_bzero(pass, strlen(pass));
	MHD_free(user);
	MHD_free(pass);
	if (ok)
		return true;
	r = MHD_create_response_from_buffer(strlen("unauthorized\n"), (void *)"unauthorized\n",
					    MHD_RESPMEM_PERSISTENT);
	*ret = r ? MHD_queue_basic_auth_fail_response(conn, "virtprof", r) : MHD_NO;
	if (r)
		MHD_destroy_response(r);
	return false;
}

/*
 * One /debug/pprof/profile request.  It belongs to its connection (freed when the request ends,
 * request_done); the collector fills the answer and resumes the connection, then lets go.
 */
struct profile_req {
	struct MHD_Connection *conn;
	unsigned int seconds;
	unsigned int status; /* 200, or an error with msg; set before the connection resumes */
	uint8_t *body;	     /* the gzip'd profile (malloc'd), NULL on an error */
	size_t len;
	char msg[224];
};

static void request_done(void *cls, struct MHD_Connection *conn, void **req,
			 enum MHD_RequestTerminationCode why)
{
	struct profile_req *pr = *req;

	(void)cls, (void)conn, (void)why;
	if (pr) {
		free(pr->body);
		free(pr);
		*req = NULL;
		pthread_mutex_lock(&shared.lock);
		shared.prof_open--;
		pthread_mutex_unlock(&shared.lock);
	}
}

/* The collector's answer to a suspended request: take it, let its connection go on. */
static void profile_answer(struct profile_req *pr, unsigned int status, uint8_t *body, size_t len,
			   const char *msg)
{
	pthread_mutex_lock(&shared.lock);
	pr->status = status;
	pr->body = body;
	pr->len = len;
	snprintf(pr->msg, sizeof(pr->msg), "%s\n", msg ? msg : "");
	if (shared.prof == pr)
		shared.prof = NULL;
	pthread_mutex_unlock(&shared.lock);
	MHD_resume_connection(pr->conn);
}

/* A new profile request: bad input answered at once, else suspended for the collector. */
static enum MHD_Result profile_ask(struct MHD_Connection *conn, void **req)
{
	const char *arg = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "seconds");
	struct profile_req *pr;
	uint64_t v = PROFILE_DEFAULT_S;
	char msg[128];

	if (arg && parse_u64(arg, 1, PROFILE_MAX_S, &v)) {
		snprintf(msg, sizeof(msg),
			 "seconds=%.32s: a whole number of seconds from 1 to %d\n", arg,
			 PROFILE_MAX_S);
		return reply_text(conn, MHD_HTTP_BAD_REQUEST, msg);
	}
	pr = calloc(1, sizeof(*pr));
	if (!pr)
		return MHD_NO;
	pr->conn = conn;
	pr->seconds = (unsigned int)v;
	pthread_mutex_lock(&shared.lock);
	if (shared.prof) {
		pthread_mutex_unlock(&shared.lock);
		free(pr);
		/* like Go's handler: the sampler serves one profile at a time */
		return reply_text(
			conn, MHD_HTTP_CONFLICT,
			"a profile is already being taken: one at a time, try again after it\n");
	}
	shared.prof = pr;
	shared.prof_open++;
	*req = pr;
	MHD_suspend_connection(conn);
	pthread_mutex_unlock(&shared.lock);
	return MHD_YES;
}

/* The same request, resumed with its answer. */
static enum MHD_Result profile_reply(struct MHD_Connection *conn, struct profile_req *pr)
{
	struct MHD_Response *r;

	if (pr->status != MHD_HTTP_OK || !pr->body)
		return reply_text(conn, pr->status ? pr->status : MHD_HTTP_INTERNAL_SERVER_ERROR,
				  pr->msg);
	r = MHD_create_response_from_buffer(pr->len, pr->body, MHD_RESPMEM_MUST_FREE);
	if (!r)
		return MHD_NO;
	pr->body = NULL; /* the response frees it */
	MHD_add_response_header(r, "Content-Disposition", "attachment; filename=\"profile\"");
	return reply(conn, MHD_HTTP_OK, "application/octet-stream", r);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **req)
{
	enum MHD_Result ret = MHD_NO;
	struct snapshot *s;
	char msg[160];
	uint64_t age;
	int nargs = 0;

	(void)cls, (void)version, (void)upload, (void)upload_size;
	if (*req) /* a profile request, resumed by the collector */
		return profile_reply(conn, *req);
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or HEAD only\n");
	if (!authorized(conn, &ret))
		return ret;
	if (strlen(url) > SERVE_PATH_MAX)
		return reply_text(conn, MHD_HTTP_URI_TOO_LONG, "path too long\n");
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, count_arg, &nargs);
	if (nargs > SERVE_ARGS_MAX)
		return reply_text(conn, MHD_HTTP_BAD_REQUEST, "too many query arguments\n");
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
	if (!strcmp(url, PROFILE_PATH)) {
		if (strcmp(method, "GET"))
			return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only\n");
		return profile_ask(conn, req);
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
		return reply_text(
			conn, MHD_HTTP_OK,
			"virtprof serve: /metrics (Prometheus text), /healthz, " PROFILE_PATH
			"?seconds=N (pprof)\n");
	return reply_text(conn, MHD_HTTP_NOT_FOUND,
			  "not found: try /metrics, /healthz or " PROFILE_PATH "\n");
}

/*
 * libmicrohttpd's own messages (a TLS handshake a client botched, a connection over a limit):
 * with -v only, since any client can cause them; the last one is kept to explain a failed start.
 */
static pthread_mutex_t mhd_log_lock = PTHREAD_MUTEX_INITIALIZER;
static char mhd_last[256];

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[256];

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	pthread_mutex_lock(&mhd_log_lock);
	snprintf(mhd_last, sizeof(mhd_last), "%s", buf);
	pthread_mutex_unlock(&mhd_log_lock);
	vp_debug("http: %s", buf);
}

/*
 * "ADDR:PORT" or "[V6ADDR]:PORT" -> a listening socket.  Bound here, before any probe loads, so
 * a port in use is a clear error and exit 2 rather than a half-started agent.
 */
static int listen_on(const char *spec, bool *loopback)
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
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 1024)) {
		err = -errno;
		vp_err("--listen %s: %s", spec, strerror(errno));
		close(fd);
		freeaddrinfo(ai);
		/* in use, not an address of this host, privileged port: the user's input */
		return err == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	if (loopback)
		*loopback = ai->ai_family == AF_INET ?
				    (ntohl(((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr) >>
				     24) == 127 :
				    IN6_IS_ADDR_LOOPBACK(
					    &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
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
	const char *listen, *host, *web_config;
	int top_other;
	uint64_t grace_ns;
	bool io;
};

/* The profile the collector is taking: samples of whole intervals until end. */
struct profile_run {
	struct profile_req *pr; /* NULL: none */
	struct stack_profile p;
	uint64_t start, end; /* monotonic ns */
};

/* Start sampling for the request asked for, if any (the next interval is its first). */
static void profile_start(struct profile_run *run, struct capture *c, unsigned int hz)
{
	struct profile_req *pr;

	pthread_mutex_lock(&shared.lock);
	pr = shared.prof;
	pthread_mutex_unlock(&shared.lock);
	if (!pr || run->pr)
		return;
	if (capture_stacks(c, hz)) {
		char msg[200];

		snprintf(msg, sizeof(msg), "stack sampling is not available: %s",
			 c->stacks_na.detail);
		profile_answer(pr, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, 0, msg);
		return;
	}
	memset(&run->p, 0, sizeof(run->p));
	run->pr = pr;
	run->start = now_mono_ns();
	run->end = run->start + pr->seconds * NSEC_PER_SEC;
}

/* Answer the request: the profile so far (why != NULL: an error instead); sampling stops. */
static void profile_finish(struct profile_run *run, struct capture *c, unsigned int status,
			   const char *why)
{
	struct stack_source src = { .p = &run->p, .step = "serve", .target = "-" };
	uint8_t *gz = NULL;
	size_t len = 0;

	if (!run->pr)
		return;
	if (!why) {
		stack_profile_sort(&run->p);
		gz = stack_pprof_gzip(&src, 1, now_mono_ns() - run->start, &len);
		if (!gz) {
			status = MHD_HTTP_INTERNAL_SERVER_ERROR;
			why = "out of memory encoding the profile";
		}
	}
	/* after encoding: the profile's stacks are strings the sampler holds */
	stack_profile_free(&run->p);
	capture_stacks_stop(c);
	profile_answer(run->pr, status, gz, len, why);
	run->pr = NULL;
}

/* After each interval: its samples into the profile; answered once the seconds are up. */
static void profile_step(struct profile_run *run, struct capture *c,
			 const struct capture_interval *ci, uint64_t interval_ns)
{
	if (!run->pr)
		return;
	if (stack_profile_merge(&run->p, &ci->stacks))
		profile_finish(run, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory sampling");
	/* the interval closest to the seconds asked for ends it */
	else if (now_mono_ns() + interval_ns / 2 >= run->end)
		profile_finish(run, c, MHD_HTTP_OK, NULL);
}

/* The collector: until SIGTERM / SIGINT; SIGHUP re-resolves targets.  An exit code. */
static int collect_loop(struct serve_opts *o, struct capture *c, const sigset_t *sigs)
{
	uint64_t next = now_mono_ns() + o->cli.interval_ns;
	struct profile_run run = { 0 };
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
			profile_step(&run, c, &ci, o->cli.interval_ns);
			capture_interval_free(&ci);
		}
		if (!err)
			err = publish(&t, c, o->host);
		if (!err)
			profile_start(&run, c,
				      o->cli.stack_hz ? o->cli.stack_hz : STACK_DEFAULT_HZ);
		if (err) {
			vp_err("collect: %s", strerror(-err));
			ret = VP_EXIT_FAIL;
			break;
		}
	}
	/* a request waiting or half-sampled is answered: its connection must not stay suspended */
	profile_finish(&run, c, MHD_HTTP_SERVICE_UNAVAILABLE, "virtprof serve is stopping");
	pthread_mutex_lock(&shared.lock);
	struct profile_req *pr = shared.prof;
	pthread_mutex_unlock(&shared.lock);
	if (pr)
		profile_answer(pr, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, 0,
			       "virtprof serve is stopping");
	/* the answers go out before the server stops (bounded: a client that reads nothing) */
	for (int i = 0; i < 200; i++) {
		int open;

		pthread_mutex_lock(&shared.lock);
		open = shared.prof_open;
		pthread_mutex_unlock(&shared.lock);
		if (!open)
			break;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	totals_free(&t);
	return ret;
}

int cmd_serve(int argc, char **argv)
{
	enum { OPT_HOST = 256, OPT_TOP_OTHER, OPT_GRACE, OPT_NO_IO, OPT_WEB_CONFIG };
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "interval", required_argument, NULL, SESS_OPT_INTERVAL },
		SESSION_TARGET_OPTIONS,
		SESSION_MAX_THREADS_OPTION,
		SESSION_MAX_TARGETS_OPTION,
		{ "host", required_argument, NULL, OPT_HOST },
		{ "top-other", required_argument, NULL, OPT_TOP_OTHER },
		{ "grace", required_argument, NULL, OPT_GRACE },
		{ "no-io", no_argument, NULL, OPT_NO_IO },
		SESSION_LIGHT_OPTION,
		{ "freq", required_argument, NULL, SESS_OPT_FREQ },
		{ "web-config", required_argument, NULL, OPT_WEB_CONFIG },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct serve_opts o = { .listen = SERVE_DEFAULT_LISTEN,
				.top_other = SERVE_DEFAULT_TOP_OTHER,
				.grace_ns = SERVE_DEFAULT_GRACE_NS,
				.io = true };
	static char hostname[256];
	struct web_config web = { 0 };
	bool loopback = true;
	char why[320];
	struct MHD_Daemon *d;
	struct capture_opts copts;
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
		case SESS_OPT_MAX_TARGETS:
		case SESS_OPT_FREQ:
		case SESS_OPT_LIGHT:
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
		case OPT_WEB_CONFIG:
			o.web_config = optarg;
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
	if (session_check_light(&o.cli))
		return VP_EXIT_USAGE;
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

	if (o.web_config) {
		err = web_config_load(o.web_config, &web, why, sizeof(why));
		if (err) {
			vp_err("%s", why);
			return vp_exit_code(err);
		}
		shared.web = &web;
		if (web.cert_pem && !MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			vp_err("--web-config %s: this libmicrohttpd has no TLS", o.web_config);
			ret = VP_EXIT_USAGE;
			goto out_web;
		}
	}
	fd = listen_on(o.listen, &loopback);
	if (fd < 0) {
		ret = vp_exit_code(fd);
		goto out_web;
	}
	if (!loopback && !(shared.web && web.cert_pem && web.nusers))
		vp_warn("--listen %s: reachable from other hosts %s: whoever reaches the port reads "
			"every process and container name of this host (give --web-config with "
			"tls_server_config and basic_auth_users)",
			o.listen,
			!shared.web   ? "without TLS or a password" :
			!web.cert_pem ? "without TLS (passwords in clear)" :
					"without a password");
	/* started before the probes load: a certificate it refuses is bad input, exit 2 */
	d = MHD_start_daemon(
		MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME |
			(shared.web && web.cert_pem ? MHD_USE_TLS : 0),
		0, NULL, NULL, handle, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_NOTIFY_COMPLETED,
		request_done, NULL, MHD_OPTION_THREAD_POOL_SIZE, SERVE_THREADS,
		MHD_OPTION_CONNECTION_LIMIT, SERVE_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		SERVE_PER_CLIENT, MHD_OPTION_CONNECTION_TIMEOUT, SERVE_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVE_REQUEST_BYTES,
		shared.web && web.cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
		web.cert_pem, MHD_OPTION_HTTPS_MEM_KEY, web.key_pem, MHD_OPTION_HTTPS_PRIORITIES,
		"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", MHD_OPTION_END);
	if (!d) {
		pthread_mutex_lock(&mhd_log_lock);
		if (shared.web && web.cert_pem)
			vp_err("--web-config %s: the HTTPS server did not start: %s", o.web_config,
			       mhd_last[0] ? mhd_last : "certificate or key refused");
		else
			vp_err("--listen %s: the HTTP server did not start%s%s", o.listen,
			       mhd_last[0] ? ": " : "", mhd_last);
		pthread_mutex_unlock(&mhd_log_lock);
		close(fd);
		ret = shared.web && web.cert_pem ? VP_EXIT_USAGE : VP_EXIT_FAIL;
		goto out_web;
	}
	copts = session_capture_opts(&o.cli, o.io);
	err = capture_open(&c, &copts);
	if (err) {
		MHD_stop_daemon(d);
		ret = vp_exit_code(err);
		goto out_web;
	}
	/*
	 * nothing named: VMs and containers that start later are found at the next interval (as
	 * in top); one gone for --grace leaves the table, as its series leave /metrics
	 */
	c.targets.rediscover = !o.cli.nvm && !o.cli.nctr;
	c.targets.prune_after_ns = o.grace_ns;
	fprintf(stderr,
		"virtprof: serving %s://%s/metrics every %.3gs, host=\"%s\", %d target(s)%s\n",
		shared.web && web.cert_pem ? "https" : "http", o.listen, o.cli.interval_ns / 1e9,
		o.host, c.targets.n, shared.web && web.nusers ? ", basic auth" : "");

	ret = collect_loop(&o, &c, &sigs);

	MHD_stop_daemon(d); /* closes the listening socket too */
	capture_close(&c);
	snapshot_put(shared.cur);
	shared.cur = NULL;
out_web:
	if (shared.web)
		web_config_free(&web);
	shared.web = NULL;
	return ret;
}
