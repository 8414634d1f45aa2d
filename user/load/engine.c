// SPDX-License-Identifier: GPL-2.0
/*
 * The load engine: N workers, each with its own curl multi handles (shards of SHARD_USERS),
 * epoll set, timerfd and eventfd, driven by curl_multi_socket_action.  Nothing is shared between
 * workers on the hot path: each keeps its own histograms and counters; a ticker thread folds
 * finished seconds into the timeline and load_wait() merges the rest at the end.
 *
 * Why the timers look the way they do: re-arming a timerfd in every CURLMOPT_TIMERFUNCTION call
 * cost 38 us per request on the 2-vCPU development machines (docs/load.md).  libcurl's timeout therefore lives in a
 * variable and becomes epoll_pwait2()'s timeout; the timerfd carries only our own schedule (user
 * starts during ramp-up, think-time wake-ups, open-model sends, the end of the run) and is
 * re-armed only when that schedule's next deadline moves earlier -- never in the keep-alive
 * steady state of the closed model.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "load/load.h"
#include "load/http1.h"
#include "account/self.h"
#include "sys/util.h"

#define NSLOTS 8 /* per-second ring; the ticker reads a second ~0.1 s after it ends */
#define TICK_GRACE_NS (100 * NSEC_PER_MSEC)
#define LATE_NS NSEC_PER_MSEC
#define MAX_EVENTS 512
#define FDS_PER_WORKER 4 /* epoll, timerfd, eventfd, slack */
#define FDS_SLACK 64	 /* stdio, output files, libcurl internals */
/*
 * Transfers per multi handle, and per connection cache (a multiple of CONN_GROUP divides
 * SHARD_USERS, so a cache's connections never change multi handle).  Callgrind at 10,000 users,
 * one worker: one multi handle with a cache per user 57.1k instructions and 1,660 L1 read
 * misses per request; 256 / 16: 50.4k and 308 (docs/load.md).
 */
#define SHARD_USERS 256
/* fast engine: one read buffer per worker; a larger response takes several read()s */
#define FAST_RBUF (64 * 1024)
#define FAST_TAG (1ULL << 63) /* epoll data of a fast connection: FAST_TAG | xfer index */
#define CONN_GROUP 16
_Static_assert(SHARD_USERS % CONN_GROUP == 0, "a connection cache stays in one multi handle");

struct shard;

/* Fast engine: where a transfer stands on its connection. */
enum { F_IDLE, F_CONNECTING, F_SENDING, F_RECEIVING, F_FAILED };

struct xfer {
	CURL *easy;
	struct shard *sh; /* the multi handle it runs in */
	bool fresh;	  /* closed model, keep-alive: the user's first request opens its own
			* connection (CURLOPT_FRESH_CONNECT), later ones reuse one of its group's */
	struct worker *w;
	uint64_t intended_ns; /* schedule: when it should have been sent */
	uint64_t sent_ns;     /* when it was handed to libcurl */
	uint64_t loops_done;
	uint64_t gidx; /* closed: global user index */
	bool active;   /* in the multi handle */
	bool counted;  /* intended after the warm-up */
	/* closed model: what the user saw, for the truth about users (load.h users_*) */
	bool answered;		/* at least one HTTP response */
	bool up;		/* a connection of its was established at some point */
	uint64_t first_sent_ns; /* its first request, 0: never sent */

	/* fast engine */
	int fd;			  /* the user's connection, -1 none */
	uint8_t fstate;		  /* F_* */
	bool reused;		  /* this request went out on a kept-alive connection */
	bool retried;		  /* it was already re-sent once on a fresh one */
	bool connected;		  /* a connection was made for this request */
	bool want_out;		  /* EPOLLOUT registered (connect, or a request that did not fit) */
	uint8_t ferr;		  /* F_FAILED: its load_err */
	int ferrno;		  /* F_FAILED: its errno, for connect errors */
	uint32_t woff;		  /* request bytes written */
	uint64_t conn_start;	  /* connect() */
	uint64_t connect_ns;	  /* connect() to the end of the handshake */
	uint64_t fb_ns;		  /* first response byte */
	struct xfer *prev, *next; /* in flight, oldest first (timeouts) */
	struct h1_resp rp;
};

struct slot {
	_Atomic int64_t sec;
	uint64_t requests, errors;
	struct hist h;
};

struct wstats {
	struct hist lat, lat_uncorr, connect, ttfb, total;
	struct hist censored; /* age of the transfers in flight at the end (latency >= age) */
	uint64_t users_started, users_answered, users_unanswered, unanswered_max_wait_ns;
	uint64_t requests, http[6], err[LERR_MAX], connect_errno[LOAD_ERRNO_MAX], curl_other[100];
	uint64_t bytes, sent, sent_all, late, dropped, cancelled, warmup_requests, conn_established;
};

/*
 * One multi handle of a worker, for at most SHARD_USERS transfers.  libcurl 7.88 keeps all of a
 * multi handle's sockets in one 911-slot hash that it looks up several times per request; at
 * 10,000 connections its chains are 11 long, a cache miss per link (perf: the hottest libcurl
 * instruction).  All of a worker's shards share its epoll set and its one thread.
 */
struct shard {
	struct worker *w;
	CURLM *multi;
	uint32_t idx;	   /* in w->sh; the upper half of its sockets' epoll data */
	bool queued;	   /* in w->dueq */
	uint64_t deadline; /* libcurl's next timeout for this handle; 0 = none, 1 = now */
};

struct worker {
	struct load_handle *h;
	unsigned id;
	pthread_t thread;
	bool started;
	struct shard *sh;
	uint32_t nsh;
	uint32_t *dueq, ndue; /* shards whose libcurl timeout is "now" (0 ms) */
	uint64_t curl_min;    /* earliest later libcurl timeout of any shard; 0 = none (may be
			       * earlier than the real one: a shard's timeout moved later) */
	int epfd, tfd, evfd;
	uint64_t tfd_armed; /* absolute deadline the timerfd holds; 0 = disarmed */
	struct curl_slist *resolve;
	CURLU *curlu;		    /* the URL, parsed once; libcurl only reads it */
	struct curl_slist *headers; /* "Accept:" (suppressed) */

	struct xfer *x;	 /* closed: one per user; open: the transfer pool */
	CURLSH **shares; /* keep-alive: one connection cache per CONN_GROUP users */
	uint64_t nshares;
	uint64_t nx, npool;	/* closed: nx = users; open: nx = cap, npool created so far */
	uint64_t *freeq, nfree; /* open: idle pool entries */
	uint64_t next_start;	/* closed: next user to start */
	uint64_t *thinkq, tq_head, tq_len; /* closed: FIFO of thinking users (constant think) */
	uint64_t active_users;
	uint64_t next_k, own_total, own_warm; /* open: own schedule indices */

	uint8_t *fdstate, *fdwant; /* per fd: CURL_POLL_* bits registered in epoll / wanted */
	size_t nfdstate;
	_Atomic uint64_t inflight;
	uint64_t open_socks, peak_socks;
	uint64_t end_ns; /* hard end (t0 + duration) or UINT64_MAX */
	uint64_t warm_end;
	uint64_t sec_end; /* end of the current per-second slot */
	int64_t cur_sec;
	struct slot *cur_slot;
	struct slot slots[NSLOTS];
	struct wstats st;

	/* fast engine */
	struct xfer *ifl_head, *ifl_tail; /* transfers in flight, oldest first (--timeout) */
	uint64_t *failq, nfail;		  /* failed transfers to complete from the loop */
	char *rbuf;			  /* every response is read through it and dropped */

	int init_err;
	char errmsg[256];
	_Atomic bool finished;
};

struct load_handle {
	struct load_plan plan;
	char url[1024];
	char resolve_entry[600]; /* host:port:addr for CURLOPT_RESOLVE, "" for an IP literal */
	unsigned nw;
	struct worker *w;
	uint64_t users_total;

	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	unsigned ready, failed, nfinished;
	bool go, abort;
	uint64_t t0, t0_real;
	_Atomic bool stop;
	uint64_t stop_ns;

	pthread_t ticker;
	bool ticker_started;
	struct hist tick_h;
	struct load_tick *ticks;
	size_t nticks, cap_ticks;
	int64_t next_tick; /* next second to fold */

	/* fast engine: the address (resolved once) and the request (formatted once) */
	bool fast;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char *req;
	size_t reqlen;
};

/* ---- libcurl callbacks ------------------------------------------------------------------ */

/*
 * libcurl says CURL_POLL_REMOVE for a kept-alive socket every time its transfer ends and asks for
 * it again when the next transfer on it starts: an epoll_ctl DEL + ADD per request, 8% of the
 * worker's CPU.  So the kernel registration is kept and only our idea of what libcurl wants
 * changes; an event on a socket libcurl no longer watches removes it from epoll then (lazily).
 */
static void sock_set(struct worker *w, int fd, uint8_t want, uint32_t shard)
{
	struct epoll_event ev = { .data.u64 = (uint64_t)shard << 32 | (uint32_t)fd };
	uint8_t *k;

	if (fd < 0 || (size_t)fd >= w->nfdstate)
		return;
	k = &w->fdstate[fd];
	if (*k == want)
		return;
	ev.events = (want & CURL_POLL_IN ? EPOLLIN : 0) | (want & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (want == 0)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL);
	else if (*k == 0 && epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) && errno == EEXIST)
		epoll_ctl(w->epfd, EPOLL_CTL_MOD, fd, &ev);
	else if (*k != 0 && epoll_ctl(w->epfd, EPOLL_CTL_MOD, fd, &ev) && errno == ENOENT)
		epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
	*k = want;
}

static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct shard *sh = userp;
	struct worker *w = sh->w;

	(void)e;
	(void)socketp;
	if (s < 0 || (size_t)s >= w->nfdstate)
		return 0;
	if (what == CURL_POLL_REMOVE) {
		w->fdwant[s] = 0;
		return 0;
	}
	/* exactly what libcurl wants whenever it wants something: a level-triggered OUT it did
	 * not ask for would spin the loop */
	w->fdwant[s] = (uint8_t)(what & CURL_POLL_INOUT);
	sock_set(w, s, w->fdwant[s], sh->idx);
	return 0;
}

static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	struct shard *sh = userp;
	struct worker *w = sh->w;

	(void)m;
	/* 0 ms (after every add_handle) is "due now": no clock read needed for it */
	if (timeout_ms < 0) {
		sh->deadline = 0;
	} else if (timeout_ms == 0) {
		sh->deadline = 1;
		if (!sh->queued) {
			sh->queued = true;
			w->dueq[w->ndue++] = sh->idx;
		}
	} else {
		sh->deadline = now_mono_ns() + (uint64_t)timeout_ms * NSEC_PER_MSEC;
		if (!w->curl_min || sh->deadline < w->curl_min)
			w->curl_min = sh->deadline;
	}
	return 0;
}

static size_t discard_cb(char *p, size_t size, size_t n, void *userp)
{
	(void)p;
	(void)userp;
	return size * n;
}

static curl_socket_t open_cb(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct worker *w = clientp;
	int fd;

	(void)purpose;
	fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (fd < 0)
		return CURL_SOCKET_BAD;
	if (++w->open_socks > w->peak_socks)
		w->peak_socks = w->open_socks;
	return fd;
}

static int close_cb(void *clientp, curl_socket_t fd)
{
	struct worker *w = clientp;

	w->open_socks--;
	/* close() drops the epoll registration; the fd number may come back for a new socket */
	if (fd >= 0 && (size_t)fd < w->nfdstate)
		w->fdstate[fd] = w->fdwant[fd] = 0;
	return close(fd);
}

/* ---- per-worker setup ------------------------------------------------------------------- */

static int werr(struct worker *w, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int werr(struct worker *w, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->errmsg, sizeof(w->errmsg), fmt, ap);
	va_end(ap);
	w->init_err = err;
	return err;
}

static int easy_setup(struct worker *w, struct xfer *x)
{
	const struct load_plan *p = &w->h->plan;
	CURL *e = curl_easy_init();

	if (!e)
		return -ENOMEM;
	x->easy = e;
	x->w = w;
	x->sh = &w->sh[(uint64_t)(x - w->x) / SHARD_USERS];
	curl_easy_setopt(e, CURLOPT_URL, w->h->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* one user = one connection: no HTTP/2 multiplexing */
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_cb);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, w);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_cb);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, w);
	/* never an environment proxy: the load must go where the URL says */
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	/*
	 * libcurl 7.88 re-parses CURLOPT_URL for every transfer and formats every request header
	 * through its printf engine one byte at a time (a third of its user-space instructions
	 * per request, callgrind).  A parsed URL handle is only duplicated per transfer, and
	 * without User-Agent and Accept the request is wrk's: request line and Host.  Together
	 * -26% user-space instructions per request.
	 */
	curl_easy_setopt(e, CURLOPT_CURLU, w->curlu);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, w->headers);
	curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, -1L);
	/* libcurl's 16 KiB receive buffer per handle is 160 MB at 10,000 users */
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 8192L);
	if (w->resolve)
		curl_easy_setopt(e, CURLOPT_RESOLVE, w->resolve);
	if (p->timeout_ns) {
		long ms = (long)((p->timeout_ns + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);

		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms);
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms);
	}
	if (p->new_conn) {
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	} else {
		/*
		 * JMeter's user opens its own connection; so does ours: its first request asks
		 * for a fresh one, later ones take an idle connection of its group's cache (the
		 * one it just returned, or a group mate's, never a new one).  A small cache keeps
		 * libcurl 7.88's per-request cache walks short (ConnectionExists over the idle
		 * connections, curl_multi_remove_handle's Curl_conncache_foreach over the
		 * 103-slot hash and every connection); a cache per user cost a 5.7 KB share each
		 * (its own closure easy handle) and a cold hash walk per request.
		 */
		uint64_t g = (uint64_t)(x - w->x) / CONN_GROUP;
		CURLSH **sh = &w->shares[g];

		if (!*sh) {
			*sh = curl_share_init();
			if (!*sh)
				return -ENOMEM;
			curl_share_setopt(*sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
		}
		curl_easy_setopt(e, CURLOPT_SHARE, *sh);
		if (!p->rate) {
			x->fresh = true;
			curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		}
	}
	return 0;
}

static void fast_setup(struct worker *w, struct xfer *x)
{
	x->w = w;
	x->fd = -1;
}

/* The fast engine needs no libcurl handle: a user is its xfer, its socket and its parser. */
static int fast_init(struct worker *w)
{
	w->x = calloc(w->nx ? w->nx : 1, sizeof(*w->x));
	w->failq = calloc(w->nx ? w->nx : 1, sizeof(*w->failq));
	w->rbuf = malloc(FAST_RBUF);
	if (!w->x || !w->failq || !w->rbuf)
		return werr(w, -ENOMEM, "out of memory");
	for (uint64_t i = 0; i < w->nx; i++)
		fast_setup(w, &w->x[i]);
	if (w->h->plan.rate > 0) {
		w->freeq = calloc(w->nx, sizeof(*w->freeq));
		if (!w->freeq)
			return werr(w, -ENOMEM, "out of memory");
		return 0;
	}
	w->thinkq = calloc(w->nx ? w->nx : 1, sizeof(*w->thinkq));
	if (!w->thinkq)
		return werr(w, -ENOMEM, "out of memory");
	for (uint64_t i = 0; i < w->nx; i++)
		w->x[i].gidx = w->id + i * w->h->nw;
	w->active_users = w->nx;
	return 0;
}

static int worker_init(struct worker *w)
{
	const struct load_plan *p = &w->h->plan;
	struct epoll_event ev = { .events = EPOLLIN };

	if (p->netns) {
		char path[300];
		int fd;

		snprintf(path, sizeof(path), "/run/netns/%s", p->netns);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return werr(w, -errno, "open %s: %s", path, strerror(errno));
		if (setns(fd, CLONE_NEWNET)) {
			int e = errno;

			close(fd);
			return werr(w, -e, "setns %s: %s", path, strerror(e));
		}
		close(fd);
	}
	self_register_thread(SELF_LOADGEN);
	if (p->set_cpus &&
	    (errno = pthread_setaffinity_np(pthread_self(), sizeof(p->cpus), &p->cpus)))
		return werr(w, -errno, "--loadgen-cpus: %s", strerror(errno));

	for (int i = 0; i < NSLOTS; i++) {
		w->slots[i].sec = -1;
		if (hist_init(&w->slots[i].h, 2))
			return werr(w, -ENOMEM, "out of memory");
	}
	if (hist_init(&w->st.lat, 3) || hist_init(&w->st.lat_uncorr, 3) ||
	    hist_init(&w->st.connect, 3) || hist_init(&w->st.ttfb, 3) ||
	    hist_init(&w->st.total, 3) || hist_init(&w->st.censored, 3))
		return werr(w, -ENOMEM, "out of memory");

	if (!w->h->fast) {
		struct rlimit rl;

		getrlimit(RLIMIT_NOFILE, &rl);
		w->nfdstate = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1 << 22) ? (1 << 22) :
											rl.rlim_cur;
		w->fdstate = calloc(w->nfdstate, 1);
		w->fdwant = calloc(w->nfdstate, 1);
		if (!w->fdstate || !w->fdwant)
			return werr(w, -ENOMEM, "out of memory");
	}
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd < 0 || w->tfd < 0 || w->evfd < 0)
		return werr(w, -errno, "worker %u: epoll/timerfd/eventfd: %s", w->id,
			    strerror(errno));
	ev.data.fd = w->tfd;
	epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->tfd, &ev);
	ev.data.fd = w->evfd;
	epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev);
	if (w->h->fast)
		return fast_init(w);

	if (w->h->resolve_entry[0]) {
		w->resolve = curl_slist_append(NULL, w->h->resolve_entry);
		if (!w->resolve)
			return werr(w, -ENOMEM, "out of memory");
	}
	w->curlu = curl_url();
	w->headers = curl_slist_append(NULL, "Accept:");
	if (!w->curlu || !w->headers || curl_url_set(w->curlu, CURLUPART_URL, w->h->url, 0))
		return werr(w, -ENOMEM, "out of memory");
	w->nsh = (uint32_t)((w->nx + SHARD_USERS - 1) / SHARD_USERS);
	if (!w->nsh)
		w->nsh = 1;
	w->sh = calloc(w->nsh, sizeof(*w->sh));
	w->dueq = calloc(w->nsh, sizeof(*w->dueq));
	if (!w->sh || !w->dueq)
		return werr(w, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < w->nsh; i++) {
		struct shard *sh = &w->sh[i];

		sh->w = w;
		sh->idx = i;
		sh->multi = curl_multi_init();
		if (!sh->multi)
			return werr(w, -ENOMEM, "curl_multi_init failed");
		curl_multi_setopt(sh->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
		curl_multi_setopt(sh->multi, CURLMOPT_SOCKETDATA, sh);
		curl_multi_setopt(sh->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
		curl_multi_setopt(sh->multi, CURLMOPT_TIMERDATA, sh);
		/* keep every user's connection in the cache, never more */
		curl_multi_setopt(sh->multi, CURLMOPT_MAXCONNECTS, (long)(SHARD_USERS + 1));
	}

	w->x = calloc(w->nx ? w->nx : 1, sizeof(*w->x));
	w->nshares = (w->nx + CONN_GROUP - 1) / CONN_GROUP;
	w->shares = calloc(w->nshares ? w->nshares : 1, sizeof(*w->shares));
	if (!w->x || !w->shares)
		return werr(w, -ENOMEM, "out of memory");
	if (w->h->plan.rate > 0) {
		w->freeq = calloc(w->nx, sizeof(*w->freeq));
		if (!w->freeq)
			return werr(w, -ENOMEM, "out of memory");
	} else {
		w->thinkq = calloc(w->nx ? w->nx : 1, sizeof(*w->thinkq));
		if (!w->thinkq)
			return werr(w, -ENOMEM, "out of memory");
		/* every user's handle up front: no allocation once the clock runs */
		for (uint64_t i = 0; i < w->nx; i++) {
			w->x[i].gidx = w->id + i * w->h->nw;
			if (easy_setup(w, &w->x[i]))
				return werr(w, -ENOMEM, "out of memory creating %llu users",
					    (unsigned long long)w->nx);
		}
		w->active_users = w->nx;
	}
	return 0;
}

static void worker_cleanup(struct worker *w)
{
	for (uint64_t i = 0; w->x && i < w->nx; i++) {
		if (w->h->fast && w->x[i].fd >= 0) {
			close(w->x[i].fd);
			w->x[i].fd = -1;
		}
		if (w->x[i].easy) {
			if (w->x[i].active)
				curl_multi_remove_handle(w->x[i].sh->multi, w->x[i].easy);
			curl_easy_cleanup(w->x[i].easy);
		}
	}
	for (uint32_t i = 0; w->sh && i < w->nsh; i++)
		if (w->sh[i].multi)
			curl_multi_cleanup(w->sh[i].multi);
	free(w->sh);
	free(w->dueq);
	w->sh = NULL;
	w->dueq = NULL;
	for (uint64_t i = 0; w->shares && i < w->nshares; i++)
		if (w->shares[i])
			curl_share_cleanup(w->shares[i]);
	free(w->shares);
	w->shares = NULL;
	curl_slist_free_all(w->resolve);
	curl_slist_free_all(w->headers);
	curl_url_cleanup(w->curlu);
	w->resolve = w->headers = NULL;
	w->curlu = NULL;
	free(w->x);
	free(w->failq);
	free(w->rbuf);
	w->failq = NULL;
	w->rbuf = NULL;
	free(w->freeq);
	free(w->thinkq);
	free(w->fdstate);
	free(w->fdwant);
	w->fdstate = w->fdwant = NULL;
	w->x = NULL;
	w->freeq = w->thinkq = NULL;
	if (w->epfd > 0)
		close(w->epfd);
	if (w->tfd > 0)
		close(w->tfd);
	/* the eventfd stays open until load_wait(): load_stop() may still write to it */
	w->epfd = w->tfd = -1;
}

/* ---- the hot path ----------------------------------------------------------------------- */

static inline void slot_advance(struct worker *w, uint64_t now)
{
	uint64_t t0 = w->h->t0;
	int64_t sec = (int64_t)((now - t0) / NSEC_PER_SEC);
	struct slot *s = &w->slots[sec % NSLOTS];

	hist_reset(&s->h);
	s->requests = s->errors = 0;
	atomic_store_explicit(&s->sec, sec, memory_order_release);
	w->cur_sec = sec;
	w->cur_slot = s;
	w->sec_end = t0 + (uint64_t)(sec + 1) * NSEC_PER_SEC;
}

static void fast_send(struct worker *w, struct xfer *x, uint64_t now);

static void send_xfer(struct worker *w, struct xfer *x, uint64_t intended, uint64_t now)
{
	x->intended_ns = intended;
	x->sent_ns = now;
	if (!x->first_sent_ns)
		x->first_sent_ns = now;
	if (x->fresh && x->loops_done) {
		x->fresh = false;
		curl_easy_setopt(x->easy, CURLOPT_FRESH_CONNECT, 0L);
	}
	x->counted = intended >= w->warm_end;
	w->st.sent_all++;
	if (x->counted) {
		w->st.sent++;
		if (now - intended > LATE_NS && now > intended && w->h->plan.rate > 0)
			w->st.late++;
	}
	x->active = true;
	atomic_store_explicit(&w->inflight,
			      atomic_load_explicit(&w->inflight, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	if (w->h->fast)
		fast_send(w, x, now);
	else
		curl_multi_add_handle(x->sh->multi, x->easy);
}

static enum load_err classify(struct xfer *x, CURLcode rc, int *os_errno)
{
	curl_off_t ct = 0;
	long e = 0;

	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &e);
		*os_errno = (int)e;
		return LERR_CONNECT;
	case CURLE_COULDNT_RESOLVE_HOST:
		return LERR_RESOLVE;
	case CURLE_SEND_ERROR:
		return LERR_SEND;
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_WEIRD_SERVER_REPLY:
		return LERR_RECV;
	case CURLE_OPERATION_TIMEDOUT:
		/* connect and pre-transfer times stay 0 until the TCP handshake completed (a reused
		 * connection gets a pre-transfer time); NUM_CONNECTS is 0 for both cases */
		curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &ct);
		if (ct > 0)
			return LERR_TIMEOUT_RESPONSE;
		curl_easy_getinfo(x->easy, CURLINFO_PRETRANSFER_TIME_T, &ct);
		return ct > 0 ? LERR_TIMEOUT_RESPONSE : LERR_TIMEOUT_CONNECT;
	default:
		return LERR_OTHER;
	}
}

static void user_next(struct worker *w, struct xfer *x, uint64_t now);

/* How one transfer ended, whichever engine ran it. */
struct outcome {
	bool resp;	    /* an HTTP response (of any status) */
	long code;	    /* its status */
	enum load_err kind; /* !resp: the error class */
	int os_errno;	    /* LERR_CONNECT: errno */
	int curl_rc;	    /* LERR_OTHER: the CURLcode */
	bool connected;	    /* a new connection was made for it: connect_ns is valid */
	uint64_t connect_ns, ttfb_ns, total_ns, bytes;
};

/* Count a finished transfer and start the user's next one. */
static void finish(struct worker *w, struct xfer *x, const struct outcome *o, uint64_t now)
{
	struct wstats *st = &w->st;
	bool err;

	x->active = false;
	atomic_store_explicit(&w->inflight,
			      atomic_load_explicit(&w->inflight, memory_order_relaxed) - 1,
			      memory_order_relaxed);
	if (now >= w->sec_end)
		slot_advance(w, now);
	if (o->resp) {
		x->answered = true;
		x->up = true;
		err = o->code >= 400;
		if (x->counted) {
			long c = o->code;

			st->requests++;
			st->http[c >= 100 && c < 600 ? c / 100 : 0]++;
			hist_record(&st->lat, now - x->intended_ns);
			hist_record(&st->lat_uncorr, now - x->sent_ns);
			if (o->connected)
				hist_record(&st->connect, o->connect_ns);
			hist_record(&st->ttfb, o->ttfb_ns);
			hist_record(&st->total, o->total_ns);
			st->bytes += o->bytes;
		} else {
			st->warmup_requests++;
		}
		w->cur_slot->requests++;
		hist_record(&w->cur_slot->h, now - x->intended_ns);
	} else {
		err = true;
		if (x->counted) {
			int oe = o->os_errno;

			st->err[o->kind]++;
			if (o->kind == LERR_CONNECT)
				st->connect_errno[oe > 0 && oe < LOAD_ERRNO_MAX ? oe : 0]++;
			if (o->kind == LERR_OTHER)
				st->curl_other[o->curl_rc < 100 ? o->curl_rc : 0]++;
		}
	}
	if (err)
		w->cur_slot->errors++;
	user_next(w, x, now);
}

static void complete(struct worker *w, struct xfer *x, CURLcode rc, uint64_t now)
{
	struct outcome o = { .resp = rc == CURLE_OK };
	long nconn = 0;

	curl_multi_remove_handle(x->sh->multi, x->easy);
	curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &nconn);
	if (o.resp) {
		curl_off_t c = 0, fb = 0, tot = 0, bytes = 0;

		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &o.code);
		w->st.conn_established += (uint64_t)nconn;
		if (x->counted) {
			if (nconn > 0) {
				curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &c);
				o.connected = true;
				o.connect_ns = (uint64_t)c * NSEC_PER_USEC;
			}
			curl_easy_getinfo(x->easy, CURLINFO_STARTTRANSFER_TIME_T, &fb);
			curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &tot);
			curl_easy_getinfo(x->easy, CURLINFO_SIZE_DOWNLOAD_T, &bytes);
			o.ttfb_ns = (uint64_t)fb * NSEC_PER_USEC;
			o.total_ns = (uint64_t)tot * NSEC_PER_USEC;
			o.bytes = (uint64_t)bytes;
		}
	} else {
		o.kind = classify(x, rc, &o.os_errno);
		o.curl_rc = (int)rc;
		if (o.kind != LERR_CONNECT && o.kind != LERR_TIMEOUT_CONNECT) {
			w->st.conn_established += (uint64_t)nconn;
			x->up |= nconn > 0;
		}
	}
	finish(w, x, &o, now);
}

/* ---- the fast engine -------------------------------------------------------------------- */
/*
 * One non-blocking socket per user, registered in the worker's epoll once per connection
 * (EPOLLOUT while connecting, then EPOLLIN for as long as it lives): per request one send() and
 * usually one recv(), against libcurl's send, recv and two poll()s, and none of its per-transfer
 * URL parsing, header formatting and allocation (docs/load.md "Engines").  Failures found while
 * starting a request are queued (failq) and completed from the loop, never from inside
 * send_xfer(): a refusing server with --loops 1000000 must not recurse a million deep.
 */

static void ifl_unlink(struct worker *w, struct xfer *x)
{
	if (!w->h->plan.timeout_ns)
		return;
	if (x->prev)
		x->prev->next = x->next;
	else if (w->ifl_head == x)
		w->ifl_head = x->next;
	if (x->next)
		x->next->prev = x->prev;
	else if (w->ifl_tail == x)
		w->ifl_tail = x->prev;
	x->prev = x->next = NULL;
}

/* Append in send-time order (sends come in time order; the walk back is for equal clocks). */
static void ifl_add(struct worker *w, struct xfer *x)
{
	struct xfer *t = w->ifl_tail;

	if (!w->h->plan.timeout_ns)
		return;
	while (t && t->sent_ns > x->sent_ns)
		t = t->prev;
	x->prev = t;
	x->next = t ? t->next : w->ifl_head;
	if (x->next)
		x->next->prev = x;
	else
		w->ifl_tail = x;
	if (t)
		t->next = x;
	else
		w->ifl_head = x;
}

static void fast_close(struct worker *w, struct xfer *x)
{
	if (x->fd < 0)
		return;
	close(x->fd); /* drops the epoll registration too */
	x->fd = -1;
	x->want_out = false;
	w->open_socks--;
}

/* A request could not be started or sent: complete it from the loop (see above). */
static void fast_fail(struct worker *w, struct xfer *x, enum load_err k, int err)
{
	fast_close(w, x);
	ifl_unlink(w, x);
	x->fstate = F_FAILED;
	x->ferr = (uint8_t)k;
	x->ferrno = err;
	w->failq[w->nfail++] = (uint64_t)(x - w->x);
}

static int fast_watch(struct worker *w, struct xfer *x, int op, bool out)
{
	struct epoll_event ev = { .events = out ? EPOLLOUT | EPOLLIN : EPOLLIN,
				  .data.u64 = FAST_TAG | (uint64_t)(x - w->x) };

	x->want_out = out;
	return epoll_ctl(w->epfd, op, x->fd, &ev);
}

static void fast_connect(struct worker *w, struct xfer *x, uint64_t now)
{
	const struct load_handle *h = w->h;
	int fd, one = 1;

	x->reused = false;
	x->fstate = F_CONNECTING;
	x->conn_start = now;
	x->woff = 0; /* a retry sends the whole request again */
	fd = socket(h->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fast_fail(w, x, LERR_CONNECT, errno);
		return;
	}
	x->fd = fd;
	if (++w->open_socks > w->peak_socks)
		w->peak_socks = w->open_socks;
	/* as libcurl does: a request is one write, never held back for coalescing */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&h->addr, h->addrlen) && errno != EINPROGRESS) {
		fast_fail(w, x, LERR_CONNECT, errno);
		return;
	}
	if (fast_watch(w, x, EPOLL_CTL_ADD, true))
		fast_fail(w, x, LERR_CONNECT, errno); /* e.g. ENOSPC: fs.epoll.max_user_watches */
}

/*
 * A kept-alive connection the server had already closed (its keep-alive timeout or request
 * limit) fails the first request sent on it with nothing received: like libcurl, send it once
 * more on a fresh connection instead of counting an error the server never meant.
 */
static bool fast_retry(struct worker *w, struct xfer *x, uint64_t now)
{
	if (!x->reused || x->retried || x->rp.got)
		return false;
	x->retried = true;
	h1_init(&x->rp); /* h1_eof() has marked it failed */
	fast_close(w, x);
	fast_connect(w, x, now);
	return true;
}

/* Write (the rest of) the request; then wait for the response. */
static void fast_write(struct worker *w, struct xfer *x, uint64_t now)
{
	const struct load_handle *h = w->h;

	x->fstate = F_SENDING;
	while (x->woff < h->reqlen) {
		ssize_t n = send(x->fd, h->req + x->woff, h->reqlen - x->woff, MSG_NOSIGNAL);

		if (n > 0) {
			x->woff += (uint32_t)n;
		} else if (errno == EAGAIN) {
			if (!x->want_out && fast_watch(w, x, EPOLL_CTL_MOD, true))
				fast_fail(w, x, LERR_SEND, errno);
			return;
		} else if (errno != EINTR) {
			int e = errno;

			if (!fast_retry(w, x, now))
				fast_fail(w, x, LERR_SEND, e);
			return;
		}
	}
	if (x->want_out && fast_watch(w, x, EPOLL_CTL_MOD, false)) {
		fast_fail(w, x, LERR_SEND, errno);
		return;
	}
	x->fstate = F_RECEIVING;
}

static void fast_send(struct worker *w, struct xfer *x, uint64_t now)
{
	x->retried = x->connected = false;
	x->woff = 0;
	h1_init(&x->rp);
	ifl_add(w, x);
	if (x->fd < 0) {
		fast_connect(w, x, now);
		return;
	}
	x->reused = true;
	fast_write(w, x, now);
}

static void fast_complete_err(struct worker *w, struct xfer *x, enum load_err k, int e,
			      uint64_t now)
{
	struct outcome o = { .kind = k, .os_errno = e };

	fast_close(w, x);
	ifl_unlink(w, x);
	x->fstate = F_IDLE;
	finish(w, x, &o, now);
}

static void fast_complete_ok(struct worker *w, struct xfer *x, bool keep, uint64_t now)
{
	struct outcome o = {
		.resp = true,
		.code = x->rp.status,
		.connected = x->connected,
		.connect_ns = x->connect_ns,
		.ttfb_ns = x->fb_ns - x->sent_ns,
		.total_ns = now - x->sent_ns,
		.bytes = x->rp.body,
	};

	if (!keep || w->h->plan.new_conn)
		fast_close(w, x);
	ifl_unlink(w, x);
	x->fstate = F_IDLE;
	finish(w, x, &o, now);
}

/* Read what arrived and feed the parser; a level-triggered EPOLLIN brings us back for more. */
static void fast_read(struct worker *w, struct xfer *x, uint64_t now)
{
	for (;;) {
		ssize_t n = recv(x->fd, w->rbuf, FAST_RBUF, 0);
		size_t used = 0;
		int rc;

		if (n > 0) {
			if (!x->rp.got)
				x->fb_ns = now;
			rc = h1_feed(&x->rp, w->rbuf, (size_t)n, &used);
			if (rc == H1_DONE) {
				/* bytes nobody asked for: the response counts, the connection not */
				fast_complete_ok(w, x, x->rp.keep_alive && used == (size_t)n, now);
				return;
			}
			if (rc == H1_ERROR) {
				vp_debug("load: bad response: %s", x->rp.err);
				fast_complete_err(w, x, LERR_RECV, 0, now);
				return;
			}
			if (n < FAST_RBUF)
				return;
			continue;
		}
		if (n == 0) {
			if (h1_eof(&x->rp) == H1_DONE)
				fast_complete_ok(w, x, false, now);
			else if (!fast_retry(w, x, now))
				fast_complete_err(w, x, LERR_RECV, 0, now);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && !fast_retry(w, x, now))
			fast_complete_err(w, x, LERR_RECV, errno, now);
		return;
	}
}

static void fast_event(struct worker *w, struct xfer *x, uint32_t events)
{
	uint64_t now;

	if (x->fd < 0)
		return; /* closed earlier in this batch of events */
	now = now_mono_ns();
	switch (x->fstate) {
	case F_CONNECTING: {
		int e = 0;
		socklen_t l = sizeof(e);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &e, &l))
			e = errno;
		if (e) {
			fast_complete_err(w, x, LERR_CONNECT, e, now);
			return;
		}
		w->st.conn_established++;
		x->connected = true;
		x->up = true;
		x->connect_ns = now - x->conn_start;
		fast_write(w, x, now);
		break;
	}
	case F_SENDING:
		fast_write(w, x, now);
		break;
	case F_RECEIVING:
		fast_read(w, x, now);
		break;
	default: {
		/* idle: the server closed a kept-alive connection (or spoke out of turn) */
		char c;

		if (recv(x->fd, &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN)
			return;
		fast_close(w, x);
		break;
	}
	}
}

/* Complete what failed while starting; bounded: each transfer is queued at most once. */
static void fast_fail_due(struct worker *w)
{
	uint64_t n = w->nfail, now = now_mono_ns();

	/* from the end: a user's next request may fail (and be queued) again in finish() */
	while (n-- && w->nfail) {
		struct xfer *x = &w->x[w->failq[--w->nfail]];
		struct outcome o = { .kind = (enum load_err)x->ferr, .os_errno = x->ferrno };

		x->fstate = F_IDLE;
		finish(w, x, &o, now);
	}
}

/* --timeout: transfers are in flight oldest first; time out those past it (true: some). */
static bool fast_timeouts(struct worker *w, uint64_t now)
{
	uint64_t t = w->h->plan.timeout_ns;
	bool any = false;

	while (w->ifl_head && w->ifl_head->sent_ns + t <= now) {
		struct xfer *x = w->ifl_head;

		fast_complete_err(w, x,
				  x->fstate == F_CONNECTING ? LERR_TIMEOUT_CONNECT :
							      LERR_TIMEOUT_RESPONSE,
				  0, now);
		any = true;
	}
	return any;
}

/* Closed model: the user's next request (JMeter: next loop iteration). */
static void user_next(struct worker *w, struct xfer *x, uint64_t now)
{
	const struct load_plan *p = &w->h->plan;

	if (p->rate > 0) {
		w->freeq[w->nfree++] = (uint64_t)(x - w->x);
		return;
	}
	x->loops_done++;
	if ((p->loops && x->loops_done >= p->loops) || now >= w->end_ns) {
		w->active_users--;
		return;
	}
	if (p->think_ns) {
		x->intended_ns = now + p->think_ns;
		w->thinkq[(w->tq_head + w->tq_len++) % w->nx] = (uint64_t)(x - w->x);
		return;
	}
	send_xfer(w, x, now, now);
}

static void drain(struct shard *sh)
{
	struct worker *w = sh->w;
	CURLMsg *m;
	int left;
	uint64_t now = 0;

	while ((m = curl_multi_info_read(sh->multi, &left))) {
		struct xfer *x;

		if (m->msg != CURLMSG_DONE)
			continue;
		if (!now)
			now = now_mono_ns();
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		complete(w, x, m->data.result, now);
	}
}

static uint64_t user_start_ns(const struct worker *w, uint64_t gidx)
{
	const struct load_plan *p = &w->h->plan;

	return w->h->t0 + (uint64_t)((long double)p->ramp_up_ns * gidx / w->h->users_total);
}

/* Start whatever is due; returns the next deadline of our own schedule (UINT64_MAX: none). */
static uint64_t schedule(struct worker *w, uint64_t now)
{
	const struct load_plan *p = &w->h->plan;
	uint64_t next = w->end_ns;

	if (p->rate > 0) {
		uint64_t cap = w->nx;

		while (w->next_k < w->own_total) {
			uint64_t gi = w->id + w->next_k * w->h->nw;
			uint64_t t = load_sched_ns(w->h->t0, p->rate, gi);
			struct xfer *x;

			if (t > now) {
				if (t < next &&
				    atomic_load_explicit(&w->inflight, memory_order_relaxed) < cap)
					next = t;
				break;
			}
			if (t >= w->end_ns)
				break;
			if (w->nfree) {
				x = &w->x[w->freeq[--w->nfree]];
			} else if (w->npool < cap) {
				x = &w->x[w->npool];
				if (!w->h->fast && easy_setup(w, x))
					break; /* out of memory: stays due, counted dropped */
				w->npool++;
			} else {
				break; /* at --max-inflight: the send waits and will be late */
			}
			send_xfer(w, x, t, now);
			w->next_k++;
		}
		return next;
	}
	while (w->next_start < w->nx) {
		struct xfer *x = &w->x[w->next_start];
		uint64_t t = user_start_ns(w, x->gidx);

		if (t > now) {
			if (t < next)
				next = t;
			break;
		}
		send_xfer(w, x, t, now);
		w->next_start++;
	}
	while (w->tq_len) {
		struct xfer *x = &w->x[w->thinkq[w->tq_head]];

		if (x->intended_ns > now) {
			if (x->intended_ns < next)
				next = x->intended_ns;
			break;
		}
		w->tq_head = (w->tq_head + 1) % w->nx;
		w->tq_len--;
		send_xfer(w, x, x->intended_ns, now);
	}
	return next;
}

static bool all_done(struct worker *w)
{
	if (w->h->plan.rate > 0)
		return w->next_k >= w->own_total && !atomic_load(&w->inflight);
	return w->next_start >= w->nx && !w->active_users;
}

static void arm_timer(struct worker *w, uint64_t deadline)
{
	struct itimerspec its = { 0 };

	if (deadline == UINT64_MAX || (w->tfd_armed && w->tfd_armed <= deadline))
		return;
	its.it_value.tv_sec = (time_t)(deadline / NSEC_PER_SEC);
	its.it_value.tv_nsec = (long)(deadline % NSEC_PER_SEC);
	timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL);
	w->tfd_armed = deadline;
}

static void shard_timeout(struct shard *sh)
{
	int running;

	sh->deadline = 0;
	curl_multi_socket_action(sh->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain(sh);
}

/*
 * Run every shard whose libcurl timeout is due: those that asked for 0 ms (the queue; after
 * every add_handle), and, once the earliest later timeout has passed, all shards (rare: in the
 * keep-alive steady state libcurl asks for nothing but 0 ms).  Bounded: libcurl asks for 0 ms
 * again only while it has immediate work.
 */
static void curl_timeout_due(struct worker *w, uint64_t now)
{
	uint64_t budget = 64 + 2 * (uint64_t)w->nsh;

	while (w->ndue && budget--) {
		struct shard *sh = &w->sh[w->dueq[--w->ndue]];

		sh->queued = false;
		if (sh->deadline == 1)
			shard_timeout(sh);
	}
	if (w->curl_min && w->curl_min <= now) {
		uint64_t min = 0;

		for (uint32_t i = 0; i < w->nsh; i++) {
			struct shard *sh = &w->sh[i];

			if (sh->deadline > 1 && sh->deadline <= now)
				shard_timeout(sh);
			if (sh->deadline > 1 && (!min || sh->deadline < min))
				min = sh->deadline;
		}
		w->curl_min = min;
	}
}

static bool curl_due(const struct worker *w, uint64_t now)
{
	return w->ndue || (w->curl_min && w->curl_min <= now);
}

static void worker_finish(struct worker *w, uint64_t now)
{
	const struct load_plan *p = &w->h->plan;

	for (uint64_t i = 0; w->h->fast && i < w->nx; i++) {
		if (w->x[i].active) {
			w->x[i].active = false;
			if (w->x[i].counted) {
				w->st.cancelled++;
				hist_record(&w->st.censored, now - w->x[i].intended_ns);
			}
		}
	}
	for (uint64_t i = 0; i < w->nx; i++) {
		if (w->x[i].easy && w->x[i].active) {
			long nconn = 0;
			curl_off_t ct = 0;

			/* a connection up for a transfer the end cut short still counts */
			curl_easy_getinfo(w->x[i].easy, CURLINFO_NUM_CONNECTS, &nconn);
			curl_easy_getinfo(w->x[i].easy, CURLINFO_CONNECT_TIME_T, &ct);
			if (nconn > 0 && ct > 0) {
				w->st.conn_established += (uint64_t)nconn;
				w->x[i].up = true;
			}
			curl_multi_remove_handle(w->x[i].sh->multi, w->x[i].easy);
			w->x[i].active = false;
			if (w->x[i].counted) {
				w->st.cancelled++;
				hist_record(&w->st.censored, now - w->x[i].intended_ns);
			}
		}
	}
	/* closed model: each user that sent anything was answered, or waited (connected or not) */
	for (uint64_t i = 0; p->rate <= 0 && i < w->nx; i++) {
		const struct xfer *x = &w->x[i];

		if (!x->first_sent_ns)
			continue;
		w->st.users_started++;
		if (x->answered) {
			w->st.users_answered++;
		} else if (x->up) {
			w->st.users_unanswered++;
			if (now - x->first_sent_ns > w->st.unanswered_max_wait_ns)
				w->st.unanswered_max_wait_ns = now - x->first_sent_ns;
		}
	}
	atomic_store(&w->inflight, 0);
	if (p->rate > 0) {
		/* own indices intended before the end (or the stop) that never went out */
		uint64_t span = (now < w->end_ns ? now : w->end_ns) - w->h->t0;
		uint64_t due = load_sched_share(load_sched_count(p->rate, span), w->id, w->h->nw);
		uint64_t sent = w->next_k > w->own_warm ? w->next_k : w->own_warm;

		w->st.dropped = due > sent ? due - sent : 0;
	}
}

/* epoll_pwait2 (Linux 5.11) takes a ns timeout; without it (older kernels, valgrind) round the
 * timeout up to whole milliseconds for epoll_wait. */
static int wait_events(struct worker *w, struct epoll_event *evs, const struct timespec *ts)
{
	static _Atomic bool no_pwait2;
	int n;

	if (!atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
		n = epoll_pwait2(w->epfd, evs, MAX_EVENTS, ts, NULL);
		if (n >= 0 || errno != ENOSYS)
			return n;
		atomic_store(&no_pwait2, true);
	}
	return epoll_wait(w->epfd, evs, MAX_EVENTS,
			  !ts ? -1 : (int)(ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000));
}

static void worker_loop(struct worker *w)
{
	struct epoll_event evs[MAX_EVENTS];
	int running;

	slot_advance(w, w->h->t0);
	for (;;) {
		uint64_t now = now_mono_ns(), next;
		struct timespec ts, *tsp = NULL;
		int n;

		if (atomic_load_explicit(&w->h->stop, memory_order_relaxed) || now >= w->end_ns) {
			worker_finish(w, now);
			return;
		}
		next = schedule(w, now);
		if (w->nfail) {
			fast_fail_due(w);
			continue;
		}
		if (w->ifl_head && fast_timeouts(w, now))
			continue; /* a user thinks or waits now: schedule again */
		if (curl_due(w, now)) {
			/* completions in here may free a slot or start a think: schedule again */
			curl_timeout_due(w, now);
			continue;
		}
		if (all_done(w)) {
			worker_finish(w, now);
			return;
		}
		arm_timer(w, next);
		if (w->curl_min || w->ifl_head) {
			uint64_t dl = w->curl_min, d;

			if (w->ifl_head &&
			    (!dl || w->ifl_head->sent_ns + w->h->plan.timeout_ns < dl))
				dl = w->ifl_head->sent_ns + w->h->plan.timeout_ns;
			d = dl > now ? dl - now : 0;

			ts.tv_sec = (time_t)(d / NSEC_PER_SEC);
			ts.tv_nsec = (long)(d % NSEC_PER_SEC);
			tsp = &ts;
		}
		n = wait_events(w, evs, tsp);
		if (n < 0 && errno != EINTR) {
			vp_err("load worker %u: epoll wait: %s", w->id, strerror(errno));
			worker_finish(w, now_mono_ns());
			return;
		}
		for (int i = 0; i < n; i++) {
			int fd = (int)(uint32_t)evs[i].data.u64, flags = 0;
			struct shard *sh;

			if (evs[i].data.u64 & FAST_TAG) {
				fast_event(w, &w->x[evs[i].data.u64 & ~FAST_TAG], evs[i].events);
				continue;
			}
			if (fd == w->tfd) {
				uint64_t exp;

				if (read(w->tfd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
					vp_debug("timerfd read: %s", strerror(errno));
				w->tfd_armed = 0;
				continue;
			}
			if (fd == w->evfd)
				continue; /* load_stop(): seen at the top of the loop */
			sh = &w->sh[evs[i].data.u64 >> 32];
			if ((size_t)fd < w->nfdstate) {
				uint8_t want = w->fdwant[fd];

				if (!want) {
					/* kept alive, libcurl not watching: drop it now */
					sock_set(w, fd, 0, 0);
					continue;
				}
			}
			if (evs[i].events & EPOLLIN)
				flags |= CURL_CSELECT_IN;
			if (evs[i].events & EPOLLOUT)
				flags |= CURL_CSELECT_OUT;
			/*
			 * An error or hang-up alone made libcurl 7.88 report "select/poll
			 * returned error" as CURLE_SEND_ERROR for a peer's reset mid-response
			 * (~1 in 500 with two workers): hand it the directions it waits for as
			 * well, so its own recv()/send() reports what really happened.
			 */
			if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
				uint8_t want = (size_t)fd < w->nfdstate ? w->fdwant[fd] : 0;

				flags |= CURL_CSELECT_ERR;
				if (want & CURL_POLL_IN)
					flags |= CURL_CSELECT_IN;
				if (want & CURL_POLL_OUT)
					flags |= CURL_CSELECT_OUT;
			}
			curl_multi_socket_action(sh->multi, fd, flags, &running);
			drain(sh);
		}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct load_handle *h = w->h;
	int err = worker_init(w);

	pthread_mutex_lock(&h->lock);
	if (err)
		h->failed++;
	h->ready++;
	pthread_cond_broadcast(&h->cond);
	while (!h->go && !h->abort)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);

	if (!err && !h->abort) {
		const struct load_plan *p = &h->plan;

		w->end_ns = p->duration_ns ? h->t0 + p->duration_ns : UINT64_MAX;
		w->warm_end = h->t0 + p->warmup_ns;
		if (p->rate > 0) {
			w->own_total = load_sched_share(load_sched_count(p->rate, p->duration_ns),
							w->id, h->nw);
			w->own_warm = load_sched_share(load_sched_count(p->rate, p->warmup_ns),
						       w->id, h->nw);
		}
		worker_loop(w);
	}
	worker_cleanup(w);
	atomic_store(&w->finished, true);
	pthread_mutex_lock(&h->lock);
	h->nfinished++;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* ---- timeline --------------------------------------------------------------------------- */

/* Fold second `sec` of every worker into one tick.  Caller holds h->lock. */
static void fold_second(struct load_handle *h, int64_t sec, bool final)
{
	struct load_tick t = { .sec = (uint64_t)sec };

	hist_reset(&h->tick_h);
	for (unsigned i = 0; i < h->nw; i++) {
		struct worker *w = &h->w[i];
		struct slot *s = &w->slots[sec % NSLOTS];

		if (atomic_load_explicit(&s->sec, memory_order_acquire) == sec) {
			t.requests += s->requests;
			t.errors += s->errors;
			hist_merge(&h->tick_h, &s->h);
		}
		if (!final)
			t.inflight += atomic_load_explicit(&w->inflight, memory_order_relaxed);
	}
	t.mono_ns = h->t0 + (uint64_t)sec * NSEC_PER_SEC;
	t.real_ns = h->t0_real + (uint64_t)sec * NSEC_PER_SEC;
	t.warmup = t.mono_ns < h->t0 + h->plan.warmup_ns;
	t.p50_ns = hist_percentile(&h->tick_h, 50);
	t.p99_ns = hist_percentile(&h->tick_h, 99);
	if (h->nticks == h->cap_ticks) {
		size_t cap = h->cap_ticks ? h->cap_ticks * 2 : 64;
		struct load_tick *n = realloc(h->ticks, cap * sizeof(*n));

		if (!n)
			return;
		h->ticks = n;
		h->cap_ticks = cap;
	}
	h->ticks[h->nticks++] = t;
}

static void *ticker_main(void *arg)
{
	struct load_handle *h = arg;

	self_register_thread(SELF_LOADGEN);
	if (h->plan.set_cpus)
		pthread_setaffinity_np(pthread_self(), sizeof(h->plan.cpus), &h->plan.cpus);
	pthread_mutex_lock(&h->lock);
	while (h->nfinished < h->nw) {
		uint64_t due = h->t0 + (uint64_t)(h->next_tick + 1) * NSEC_PER_SEC + TICK_GRACE_NS;
		struct timespec ts = { .tv_sec = (time_t)(due / NSEC_PER_SEC),
				       .tv_nsec = (long)(due % NSEC_PER_SEC) };

		if (now_mono_ns() < due) {
			pthread_cond_timedwait(&h->cond, &h->lock, &ts);
			continue;
		}
		fold_second(h, h->next_tick++, false);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* ---- public API ------------------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_ALL);
}

static int fail(char *err, size_t len, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/*
 * The fast engine's request, formatted once per run: what the curl engine sends (request line
 * and Host, the port only when it is not 80, as libcurl writes it), nothing else.
 */
static int fast_request(struct load_handle *h, CURLU *u, const char *host)
{
	char *path = NULL, *query = NULL, *port = NULL;
	int n;

	if (curl_url_get(u, CURLUPART_PATH, &path, 0))
		return -EINVAL;
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0))
		query = NULL;
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) || !strcmp(port, "80")) {
		curl_free(port);
		port = NULL;
	}
	n = asprintf(&h->req, "GET %s%s%s HTTP/1.1\r\nHost: %s%s%s\r\n\r\n", path, query ? "?" : "",
		     query ? query : "", host, port ? ":" : "", port ? port : "");
	curl_free(path);
	curl_free(query);
	curl_free(port);
	if (n < 0) {
		h->req = NULL;
		return -ENOMEM;
	}
	h->reqlen = (size_t)n;
	return 0;
}

/*
 * Resolve the host once, so no worker ever runs a resolver thread mid-run: libcurl gets the
 * address as a CURLOPT_RESOLVE entry, the fast engine as a sockaddr (and its request).
 */
static int resolve_once(struct load_handle *h, char *err, size_t len)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	unsigned char buf[sizeof(struct in6_addr)];
	char addr[INET6_ADDRSTRLEN], bare[300];
	bool literal;
	int r = 0, g;

	if (!u)
		return fail(err, len, -ENOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, h->url, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)) {
		r = fail(err, len, -EINVAL, "URL '%s': malformed", h->url);
		goto out;
	}
	literal = host[0] == '[' || inet_pton(AF_INET, host, buf) == 1;
	if (literal && host[0] == '[') {
		snprintf(bare, sizeof(bare), "%s", host + 1);
		bare[strcspn(bare, "]")] = 0;
		hints.ai_flags = AI_NUMERICHOST;
	} else {
		snprintf(bare, sizeof(bare), "%s", host);
		if (literal)
			hints.ai_flags = AI_NUMERICHOST;
	}
	g = getaddrinfo(bare, port, &hints, &ai);
	if (g || !ai || ai->ai_addrlen > sizeof(h->addr)) {
		r = fail(err, len, -EINVAL, "URL '%s': cannot resolve host '%s': %s", h->url, host,
			 g ? gai_strerror(g) : "no address");
		goto out;
	}
	memcpy(&h->addr, ai->ai_addr, ai->ai_addrlen);
	h->addrlen = ai->ai_addrlen;
	if (h->fast && fast_request(h, u, host)) {
		r = fail(err, len, -ENOMEM, "out of memory");
		goto out;
	}
	if (literal)
		goto out; /* libcurl needs no resolve entry for an address */
	if (ai->ai_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, addr,
			  sizeof(addr));
		snprintf(h->resolve_entry, sizeof(h->resolve_entry), "%s:%s:[%s]", host, port,
			 addr);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, addr,
			  sizeof(addr));
		snprintf(h->resolve_entry, sizeof(h->resolve_entry), "%s:%s:%s", host, port, addr);
	}
out:
	if (ai)
		freeaddrinfo(ai);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return r;
}

static int raise_nofile(uint64_t need, const struct load_plan *p, char *err, size_t len)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return fail(err, len, -errno, "getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit nr = { rl.rlim_max, rl.rlim_max };

		if (!setrlimit(RLIMIT_NOFILE, &nr))
			rl = nr;
	}
	if (rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur) {
		bool om = p->rate > 0;

		return fail(err, len, -EINVAL,
			    "%s %llu needs about %llu open files but the limit is %llu "
			    "(hard limit, ulimit -Hn); raise it or ask for fewer",
			    om ? "--max-inflight" : "--users",
			    (unsigned long long)(om ? p->max_inflight : p->users),
			    (unsigned long long)need, (unsigned long long)rl.rlim_cur);
	}
	return 0;
}

int load_start(const struct load_plan *plan, struct load_handle **hp, char *err, size_t len)
{
	struct load_handle *h;
	pthread_condattr_t ca;
	sigset_t all, old;
	uint64_t units;
	unsigned nw;
	int r;

	*hp = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return fail(err, len, -ENOMEM, "out of memory");
	h->plan = *plan;
	r = load_plan_validate(&h->plan, err, len);
	if (r)
		goto fail_free;
	snprintf(h->url, sizeof(h->url), "%s", plan->url);
	h->plan.url = h->url;
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc) {
		r = fail(err, len, -EIO, "curl_global_init: %s", curl_easy_strerror(curl_init_rc));
		goto fail_free;
	}
	units = h->plan.rate > 0 ? h->plan.max_inflight : h->plan.users;
	/* one worker per CPU it may run on */
	nw = h->plan.workers  ? h->plan.workers :
	     h->plan.set_cpus ? (unsigned)CPU_COUNT(&h->plan.cpus) :
				(unsigned)ncpus_online();
	if (nw < 1)
		nw = 1;
	if (nw > units)
		nw = (unsigned)units;
	h->nw = nw;
	h->plan.workers = nw;
	h->users_total = h->plan.users;
	h->fast = load_plan_engine(&h->plan) == LOAD_ENGINE_FAST;
	r = raise_nofile(units + (uint64_t)nw * FDS_PER_WORKER + FDS_SLACK, &h->plan, err, len);
	if (r)
		goto fail_free;
	if (h->plan.netns) {
		char path[300];
		int fd;

		snprintf(path, sizeof(path), "/run/netns/%s", h->plan.netns);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			r = fail(err, len, -EINVAL, "--netns %s: open %s: %s", h->plan.netns, path,
				 strerror(errno));
			goto fail_free;
		}
		close(fd);
	}
	r = resolve_once(h, err, len);
	if (r)
		goto fail_free;
	if (hist_init(&h->tick_h, 2)) {
		r = fail(err, len, -ENOMEM, "out of memory");
		goto fail_free;
	}

	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cond, &ca);
	pthread_condattr_destroy(&ca);
	h->w = calloc(nw, sizeof(*h->w));
	if (!h->w) {
		r = fail(err, len, -ENOMEM, "out of memory");
		goto fail_sync;
	}
	/* load threads take no signals: SIGINT/SIGTERM reach the caller, which calls load_stop */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i < nw; i++) {
		struct worker *w = &h->w[i];

		w->h = h;
		w->id = i;
		w->epfd = w->tfd = w->evfd = -1;
		w->nx = load_sched_share(units, i, nw);
		if (pthread_create(&w->thread, NULL, worker_main, w)) {
			h->abort = true;
			break;
		}
		w->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	pthread_mutex_lock(&h->lock);
	while (!h->abort && h->ready < nw)
		pthread_cond_wait(&h->cond, &h->lock);
	if (h->abort || h->failed) {
		h->abort = true;
		pthread_cond_broadcast(&h->cond);
		pthread_mutex_unlock(&h->lock);
		r = -EAGAIN;
		for (unsigned i = 0; i < nw; i++) {
			if (!h->w[i].started)
				continue;
			pthread_join(h->w[i].thread, NULL);
			if (h->w[i].init_err && r == -EAGAIN) {
				r = h->w[i].init_err == -ENOMEM ? -ENOMEM :
				    h->w[i].init_err == -ENOENT ? -EINVAL :
								  h->w[i].init_err;
				fail(err, len, r, "%s", h->w[i].errmsg);
			}
		}
		if (r == -EAGAIN)
			fail(err, len, r, "cannot start load worker threads");
		for (unsigned i = 0; i < nw; i++)
			if (h->w[i].evfd >= 0)
				close(h->w[i].evfd);
		goto fail_sync;
	}
	h->t0 = now_mono_ns();
	h->t0_real = now_real_ns();
	h->go = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);

	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (!pthread_create(&h->ticker, NULL, ticker_main, h))
		h->ticker_started = true;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	*hp = h;
	return 0;

fail_sync:
	free(h->w);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	hist_free(&h->tick_h);
fail_free:
	free(h->req);
	free(h);
	return r;
}

void load_stop(struct load_handle *h)
{
	uint64_t one = 1;

	if (!h || atomic_exchange(&h->stop, true))
		return;
	for (unsigned i = 0; i < h->nw; i++)
		if (write(h->w[i].evfd, &one, sizeof(one)) < 0)
			continue; /* the worker has already finished and closed it */
}

bool load_done(struct load_handle *h)
{
	for (unsigned i = 0; i < h->nw; i++)
		if (!atomic_load(&h->w[i].finished))
			return false;
	return true;
}

size_t load_timeline_read(struct load_handle *h, size_t from, struct load_tick *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&h->lock);
	while (from + n < h->nticks && n < max) {
		out[n] = h->ticks[from + n];
		n++;
	}
	pthread_mutex_unlock(&h->lock);
	return n;
}

int load_wait(struct load_handle *h, struct load_result *r)
{
	uint64_t end = 0;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < h->nw; i++)
		pthread_join(h->w[i].thread, NULL);
	end = now_mono_ns();
	if (h->ticker_started) {
		pthread_mutex_lock(&h->lock);
		pthread_cond_broadcast(&h->cond);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->ticker, NULL);
	}
	/* the seconds the ticker had not folded yet, the last (partial) one included */
	pthread_mutex_lock(&h->lock);
	while (h->t0 + (uint64_t)h->next_tick * NSEC_PER_SEC < end)
		fold_second(h, h->next_tick++, true);
	pthread_mutex_unlock(&h->lock);

	r->plan = h->plan;
	snprintf(r->url, sizeof(r->url), "%s", h->url);
	r->plan.url = r->url;
	r->plan.netns = NULL; /* the caller's string; not kept */
	r->workers = h->nw;
	r->engine = h->fast ? LOAD_ENGINE_FAST : LOAD_ENGINE_CURL;
	r->open_model = h->plan.rate > 0;
	r->stopped_early = atomic_load(&h->stop);
	r->t0_mono_ns = h->t0;
	r->t0_real_ns = h->t0_real;
	r->elapsed_ns = end - h->t0;
	r->measured_ns = r->elapsed_ns > h->plan.warmup_ns ? r->elapsed_ns - h->plan.warmup_ns : 0;
	if (h->plan.duration_ns && r->elapsed_ns > h->plan.duration_ns)
		r->measured_ns = h->plan.duration_ns - h->plan.warmup_ns;
	if (hist_init(&r->lat, 3) || hist_init(&r->lat_uncorr, 3) || hist_init(&r->connect, 3) ||
	    hist_init(&r->ttfb, 3) || hist_init(&r->total, 3) || hist_init(&r->censored, 3))
		rc = -ENOMEM;
	r->conn_requested = r->open_model ? 0 : h->plan.users;
	for (unsigned i = 0; i < h->nw; i++) {
		struct worker *w = &h->w[i];
		struct wstats *s = &w->st;

		if (!rc) {
			hist_merge(&r->lat, &s->lat);
			hist_merge(&r->lat_uncorr, &s->lat_uncorr);
			hist_merge(&r->connect, &s->connect);
			hist_merge(&r->ttfb, &s->ttfb);
			hist_merge(&r->total, &s->total);
			hist_merge(&r->censored, &s->censored);
		}
		r->users_started += s->users_started;
		r->users_answered += s->users_answered;
		r->users_unanswered += s->users_unanswered;
		if (s->unanswered_max_wait_ns > r->unanswered_max_wait_ns)
			r->unanswered_max_wait_ns = s->unanswered_max_wait_ns;
		r->requests += s->requests;
		for (int k = 0; k < 6; k++)
			r->http[k] += s->http[k];
		for (int k = 0; k < LERR_MAX; k++)
			r->err[k] += s->err[k];
		for (int k = 0; k < LOAD_ERRNO_MAX; k++)
			r->connect_errno[k] += s->connect_errno[k];
		for (int k = 0; k < 100; k++)
			r->curl_other[k] += s->curl_other[k];
		r->bytes += s->bytes;
		r->sent += s->sent;
		r->late += s->late;
		r->dropped += s->dropped;
		r->cancelled += s->cancelled;
		r->warmup_requests += s->warmup_requests;
		r->conn_established += s->conn_established;
		r->conn_peak_open += w->peak_socks;
		hist_free(&s->lat);
		hist_free(&s->lat_uncorr);
		hist_free(&s->connect);
		hist_free(&s->ttfb);
		hist_free(&s->total);
		hist_free(&s->censored);
		for (int k = 0; k < NSLOTS; k++)
			hist_free(&w->slots[k].h);
	}
	/* --new-conn asks for one connection per request sent, warm-up included */
	if (r->plan.new_conn) {
		r->conn_requested = 0;
		for (unsigned i = 0; i < h->nw; i++)
			r->conn_requested += h->w[i].st.sent_all;
	}
	for (unsigned i = 0; i < h->nw; i++)
		if (h->w[i].evfd >= 0)
			close(h->w[i].evfd);
	r->ticks = h->ticks;
	r->nticks = h->nticks;
	hist_free(&h->tick_h);
	free(h->w);
	free(h->req);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h);
	return rc;
}

void load_result_free(struct load_result *r)
{
	hist_free(&r->lat);
	hist_free(&r->lat_uncorr);
	hist_free(&r->connect);
	hist_free(&r->ttfb);
	hist_free(&r->total);
	hist_free(&r->censored);
	free(r->ticks);
	r->ticks = NULL;
	r->nticks = 0;
}
