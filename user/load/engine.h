/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the load generator (private to user/load/): the worker loop's state (engine.c) and the
 * one table a transport fills to be driven by it, as wrk's net.h `struct sock` does for its
 * plain and TLS sockets.  The loop owns users, the schedule, think time, ramp-up, timers,
 * statistics and the end of the run; a transport owns its sockets and says how each transfer
 * ended (engine_finish).  Two transports: xfer_fast.c (our own sockets and HTTP/1.1 parser) and
 * xfer_curl.c (libcurl's multi-socket interface).
 */
#ifndef VP_LOAD_ENGINE_H
#define VP_LOAD_ENGINE_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "load/load.h"

/*
 * One transfer slot: a user (closed model) or a pool entry (open model).  A transport's own
 * per-transfer struct begins with it; the loop keeps them in one array of the transport's size
 * (engine_xfer).
 */
struct xfer {
	uint64_t intended_ns; /* schedule: when it should have been sent */
	uint64_t sent_ns;     /* when it was handed to the transport */
	uint64_t loops_done;
	uint64_t gidx; /* closed: global user index */
	uint32_t idx;  /* in the worker's array (users and --max-inflight are at most 10^6) */
	bool active;   /* handed to the transport and not finished */
	bool counted;  /* intended after the warm-up */
	/* closed model: what the user saw, for the truth about users (load.h users_*) */
	bool answered;		/* at least one HTTP response */
	bool up;		/* a connection of its was established at some point */
	uint64_t first_sent_ns; /* its first request, 0: never sent */
};

/* How one transfer ended, whichever transport ran it. */
struct xfer_outcome {
	bool resp;	    /* an HTTP response (of any status) */
	long code;	    /* its status */
	enum load_err kind; /* !resp: the error class */
	int os_errno;	    /* LERR_CONNECT: errno */
	int curl_rc;	    /* LERR_OTHER: the CURLcode */
	bool connected;	    /* a new connection was made for it: connect_ns is valid */
	uint64_t connect_ns, ttfb_ns, total_ns, bytes;
};

struct worker;
struct load_handle;

/*
 * A transport.  Every worker runs on one thread; nothing here is called from another.  Epoll
 * data a transport registers never has bit 63 set (ENGINE_EV_OWN: the loop's own fds).
 */
struct xfer_ops {
	enum load_engine engine; /* what load_result.engine says */
	size_t xfer_size;	 /* its per-transfer struct, a struct xfer first */
	/*
	 * load_start, before any worker: what every worker then only reads (h->tp), from the URL
	 * and the address resolved once (h->addr; literal: the URL names an address).  0 or
	 * -ENOMEM.  release frees it (also after a failed prepare).
	 */
	int (*prepare)(struct load_handle *h, CURLU *u, const char *host, const char *port,
		       bool literal);
	void (*release)(struct load_handle *h);
	/* the worker's thread, before the clock starts: its own state (w->tp); 0 or engine_werr() */
	int (*init)(struct worker *w);
	/* a transfer slot before its first use (closed: every user up front); 0 or -ENOMEM, and
	 * nothing left to free on failure */
	int (*xfer_init)(struct worker *w, struct xfer *x);
	/* send x's request; the loop has counted it and marked it active */
	void (*send)(struct worker *w, struct xfer *x, uint64_t now);
	/* one epoll event on a socket the transport registered, with its data */
	void (*event)(struct worker *w, uint64_t data, uint32_t events);
	/* complete whatever is due now (failures, timeouts); true when it did: schedule again */
	bool (*due)(struct worker *w, uint64_t now);
	/* its next deadline (CLOCK_MONOTONIC ns) for the loop's wait; 0 = none */
	uint64_t (*deadline)(const struct worker *w);
	/* the run ends with x in flight (optional: what the transport learns from it) */
	void (*cancel)(struct worker *w, struct xfer *x);
	/* the worker's thread, at the end, also after a failed init: free w->tp and the slots' */
	void (*cleanup)(struct worker *w);
};

extern const struct xfer_ops xfer_fast_ops, xfer_curl_ops;

#define ENGINE_NSLOTS 8 /* per-second ring; the ticker reads a second ~0.1 s after it ends */

struct engine_slot {
	_Atomic int64_t sec;
	uint64_t requests, errors;
	struct hist h;
};

struct engine_stats {
	struct hist lat, lat_uncorr, connect, ttfb, total;
	struct hist censored; /* age of the transfers in flight at the end (latency >= age) */
	uint64_t users_started, users_answered, users_unanswered, unanswered_max_wait_ns;
	uint64_t requests, http[6], err[LERR_MAX], connect_errno[LOAD_ERRNO_MAX], curl_other[100];
	uint64_t bytes, sent, sent_all, late, dropped, cancelled, warmup_requests, conn_established;
};

struct worker {
	struct load_handle *h;
	const struct xfer_ops *ops;
	void *tp; /* the transport's per-worker state */
	unsigned id;
	pthread_t thread;
	bool started;
	int epfd, tfd, evfd;
	uint64_t tfd_armed; /* absolute deadline the timerfd holds; 0 = disarmed */

	char *xs;			   /* the slots, ops->xfer_size bytes each: engine_xfer() */
	size_t xsize;			   /* ops->xfer_size */
	uint64_t nx;			   /* closed: users; open: the cap (--max-inflight share) */
	uint64_t npool;			   /* slots set up (xfer_init) so far; closed: all */
	uint64_t *freeq, nfree;		   /* open: idle pool entries */
	uint64_t next_start;		   /* closed: next user to start */
	uint64_t *thinkq, tq_head, tq_len; /* closed: FIFO of thinking users (constant think) */
	uint64_t active_users;
	uint64_t next_k, own_total, own_warm; /* open: own schedule indices */

	_Atomic uint64_t inflight;
	uint64_t open_socks, peak_socks;
	uint64_t end_ns; /* hard end (t0 + duration) or UINT64_MAX */
	uint64_t warm_end;
	uint64_t sec_end; /* end of the current per-second slot */
	int64_t cur_sec;
	struct engine_slot *cur_slot;
	struct engine_slot slots[ENGINE_NSLOTS];
	struct engine_stats st;

	int init_err;
	char errmsg[256];
	_Atomic bool finished;
};

struct load_handle {
	struct load_plan plan;
	char url[1024];
	const struct xfer_ops *ops;
	void *tp;   /* the transport's per-run state (prepare) */
	char *body; /* plan.body_bytes of 'x': the POST body both transports send; NULL: GET */
	/* the server's address, resolved once: no resolver thread mid-run */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	unsigned nw;
	struct worker *w;
	uint64_t users_total;

	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	unsigned ready, failed, nfinished;
	bool go, abort;
	uint64_t t0, t0_real;
	_Atomic bool stop;

	pthread_t ticker;
	bool ticker_started;
	struct hist tick_h;
	struct load_tick *ticks;
	size_t nticks, cap_ticks;
	int64_t next_tick; /* next second to fold */
};

static inline struct xfer *engine_xfer(const struct worker *w, uint64_t i)
{
	return (struct xfer *)(w->xs + i * w->xsize);
}

/* A transport opened a socket: the peak of open sockets is a reported figure. */
static inline void engine_sock_opened(struct worker *w)
{
	if (++w->open_socks > w->peak_socks)
		w->peak_socks = w->open_socks;
}

/* Count a finished transfer and start the user's next one (which may call ops->send). */
void engine_finish(struct worker *w, struct xfer *x, const struct xfer_outcome *o, uint64_t now);
/* A worker's setup failed: the message load_start() reports.  Returns err. */
int engine_werr(struct worker *w, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
