// SPDX-License-Identifier: GPL-2.0
/*
 * The fast transport (http:// only): one non-blocking socket per user, registered in the
 * worker's epoll once per connection (EPOLLOUT while connecting, then EPOLLIN for as long as it
 * lives): per request one send() and usually one recv(), against libcurl's send, recv and two
 * poll()s, and none of its per-transfer URL parsing, header formatting and allocation
 * (docs/load.md "Engines").  Failures found while starting a request are queued (failq) and
 * completed from the loop, never from inside send: a refusing server with --loops 1000000 must
 * not recurse a million deep.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "load/engine.h"
#include "load/http1.h"
#include "sys/util.h"

/* one read buffer per worker; a larger response takes several read()s */
#define FAST_RBUF (64 * 1024)

/* Where a transfer stands on its connection. */
enum { F_IDLE, F_CONNECTING, F_SENDING, F_RECEIVING, F_FAILED };

struct xfer_fast {
	struct xfer x;
	int fd;		     /* the user's connection, -1 none */
	uint8_t fstate;	     /* F_* */
	bool reused;	     /* this request went out on a kept-alive connection */
	bool retried;	     /* it was already re-sent once on a fresh one */
	bool connected;	     /* a connection was made for this request */
	bool want_out;	     /* EPOLLOUT registered (connect, or a request that did not fit) */
	uint8_t ferr;	     /* F_FAILED: its load_err */
	int ferrno;	     /* F_FAILED: its errno, for connect errors */
	uint32_t woff;	     /* request bytes written */
	uint64_t conn_start; /* connect() */
	uint64_t connect_ns; /* connect() to the end of the handshake */
	uint64_t fb_ns;	     /* first response byte */
	struct xfer_fast *prev, *next; /* in flight, oldest first (timeouts) */
	struct h1_resp rp;
};

struct xfer_fast_worker {
	struct xfer_fast *ifl_head, *ifl_tail; /* transfers in flight, oldest first (--timeout) */
	uint64_t *failq, nfail;		       /* failed transfers to complete from the loop */
	char *rbuf;			       /* every response is read through it and dropped */
	const char *req;		       /* the request (xfer_fast_run) */
	size_t reqlen;
	uint64_t timeout_ns; /* --timeout, 0 none */
};

/* The request, formatted once per run. */
struct xfer_fast_run {
	char *req;
	size_t reqlen;
};

static inline struct xfer_fast *xfer_fast_of(struct xfer *x)
{
	return (struct xfer_fast *)x;
}

/* ---- setup ------------------------------------------------------------------------------ */

/*
 * The header's end, and a POST's Content-Length and body: the request is one buffer, sent as
 * it is for every request.
 */
static int fast_request_end(struct xfer_fast_run *run, const char *body, size_t blen)
{
	char hdr[64], *req;
	int hn = body ? snprintf(hdr, sizeof(hdr), "Content-Length: %zu\r\n\r\n", blen) :
			snprintf(hdr, sizeof(hdr), "\r\n");

	req = realloc(run->req, run->reqlen + hn + blen);
	if (!req)
		return -ENOMEM;
	memcpy(req + run->reqlen, hdr, hn);
	if (blen)
		memcpy(req + run->reqlen + hn, body, blen);
	run->req = req;
	run->reqlen += hn + blen;
	return 0;
}

/*
 * What the curl transport sends (request line and Host, the port only when it is not 80, as
 * libcurl writes it), nothing else.
 */
static int xfer_fast_prepare(struct load_handle *h, CURLU *u, const char *host, const char *port,
			     bool literal)
{
	struct xfer_fast_run *run = calloc(1, sizeof(*run));
	char *path = NULL, *query = NULL, *uport = NULL;
	int n;

	(void)port; /* the default filled in: Host names only a port the URL itself gives */
	(void)literal;
	if (!run)
		return -ENOMEM;
	h->tp = run;
	if (curl_url_get(u, CURLUPART_PATH, &path, 0))
		return -EINVAL;
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0))
		query = NULL;
	if (curl_url_get(u, CURLUPART_PORT, &uport, 0) || !strcmp(uport, "80")) {
		curl_free(uport);
		uport = NULL;
	}
	n = asprintf(&run->req, "%s %s%s%s HTTP/1.1\r\nHost: %s%s%s\r\n", h->body ? "POST" : "GET",
		     path, query ? "?" : "", query ? query : "", host, uport ? ":" : "",
		     uport ? uport : "");
	curl_free(path);
	curl_free(query);
	curl_free(uport);
	if (n < 0) {
		run->req = NULL;
		return -ENOMEM;
	}
	run->reqlen = (size_t)n;
	return fast_request_end(run, h->body, h->body ? h->plan.body_bytes : 0);
}

static void xfer_fast_release(struct load_handle *h)
{
	struct xfer_fast_run *run = h->tp;

	if (run)
		free(run->req);
	free(run);
	h->tp = NULL;
}

/* No library handle: a user is its slot, its socket and its parser. */
static int xfer_fast_init(struct worker *w)
{
	const struct xfer_fast_run *run = w->h->tp;
	struct xfer_fast_worker *fw = calloc(1, sizeof(*fw));

	if (!fw)
		return engine_werr(w, -ENOMEM, "out of memory");
	w->tp = fw;
	fw->failq = calloc(w->nx ? w->nx : 1, sizeof(*fw->failq));
	fw->rbuf = malloc(FAST_RBUF);
	if (!fw->failq || !fw->rbuf)
		return engine_werr(w, -ENOMEM, "out of memory");
	fw->req = run->req;
	fw->reqlen = run->reqlen;
	fw->timeout_ns = w->h->plan.timeout_ns;
	return 0;
}

static int xfer_fast_xfer_init(struct worker *w, struct xfer *x)
{
	(void)w;
	xfer_fast_of(x)->fd = -1;
	return 0;
}

static void xfer_fast_cleanup(struct worker *w)
{
	struct xfer_fast_worker *fw = w->tp;

	for (uint64_t i = 0; i < w->npool; i++) {
		struct xfer_fast *fx = xfer_fast_of(engine_xfer(w, i));

		if (fx->fd >= 0) {
			close(fx->fd);
			fx->fd = -1;
		}
	}
	if (!fw)
		return;
	free(fw->failq);
	free(fw->rbuf);
	free(fw);
	w->tp = NULL;
}

/* ---- in flight, for --timeout ----------------------------------------------------------- */

static void xfer_fast_ifl_unlink(struct xfer_fast_worker *fw, struct xfer_fast *x)
{
	if (!fw->timeout_ns)
		return;
	if (x->prev)
		x->prev->next = x->next;
	else if (fw->ifl_head == x)
		fw->ifl_head = x->next;
	if (x->next)
		x->next->prev = x->prev;
	else if (fw->ifl_tail == x)
		fw->ifl_tail = x->prev;
	x->prev = x->next = NULL;
}

/* Append in send-time order (sends come in time order; the walk back is for equal clocks). */
static void xfer_fast_ifl_add(struct xfer_fast_worker *fw, struct xfer_fast *x)
{
	struct xfer_fast *t = fw->ifl_tail;

	if (!fw->timeout_ns)
		return;
	while (t && t->x.sent_ns > x->x.sent_ns)
		t = t->prev;
	x->prev = t;
	x->next = t ? t->next : fw->ifl_head;
	if (x->next)
		x->next->prev = x;
	else
		fw->ifl_tail = x;
	if (t)
		t->next = x;
	else
		fw->ifl_head = x;
}

/* ---- one transfer ----------------------------------------------------------------------- */

static void xfer_fast_close(struct worker *w, struct xfer_fast *x)
{
	if (x->fd < 0)
		return;
	close(x->fd); /* drops the epoll registration too */
	x->fd = -1;
	x->want_out = false;
	w->open_socks--;
}

/* A request could not be started or sent: complete it from the loop (see above). */
static void xfer_fast_fail(struct worker *w, struct xfer_fast *x, enum load_err k, int err)
{
	struct xfer_fast_worker *fw = w->tp;

	xfer_fast_close(w, x);
	xfer_fast_ifl_unlink(fw, x);
	x->fstate = F_FAILED;
	x->ferr = (uint8_t)k;
	x->ferrno = err;
	fw->failq[fw->nfail++] = x->x.idx;
}

static int xfer_fast_watch(struct worker *w, struct xfer_fast *x, int op, bool out)
{
	struct epoll_event ev = { .events = out ? EPOLLOUT | EPOLLIN : EPOLLIN,
				  .data.u64 = x->x.idx };

	x->want_out = out;
	return epoll_ctl(w->epfd, op, x->fd, &ev);
}

static void xfer_fast_connect(struct worker *w, struct xfer_fast *x, uint64_t now)
{
	const struct load_handle *h = w->h;
	int fd, one = 1;

	x->reused = false;
	x->fstate = F_CONNECTING;
	x->conn_start = now;
	x->woff = 0; /* a retry sends the whole request again */
	fd = socket(h->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		xfer_fast_fail(w, x, LERR_CONNECT, errno);
		return;
	}
	x->fd = fd;
	engine_sock_opened(w);
	/* as libcurl does: a request is one write, never held back for coalescing */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&h->addr, h->addrlen) && errno != EINPROGRESS) {
		xfer_fast_fail(w, x, LERR_CONNECT, errno);
		return;
	}
	if (xfer_fast_watch(w, x, EPOLL_CTL_ADD, true))
		xfer_fast_fail(w, x, LERR_CONNECT,
			       errno); /* e.g. ENOSPC: fs.epoll.max_user_watches */
}

/*
 * A kept-alive connection the server had already closed (its keep-alive timeout or request
 * limit) fails the first request sent on it with nothing received: like libcurl, send it once
 * more on a fresh connection instead of counting an error the server never meant.
 */
static bool xfer_fast_retry(struct worker *w, struct xfer_fast *x, uint64_t now)
{
	if (!x->reused || x->retried || x->rp.got)
		return false;
	x->retried = true;
	h1_init(&x->rp); /* h1_eof() has marked it failed */
	xfer_fast_close(w, x);
	xfer_fast_connect(w, x, now);
	return true;
}

/* Write (the rest of) the request; then wait for the response. */
static void xfer_fast_write(struct worker *w, struct xfer_fast *x, uint64_t now)
{
	const struct xfer_fast_worker *fw = w->tp;

	x->fstate = F_SENDING;
	while (x->woff < fw->reqlen) {
		ssize_t n = send(x->fd, fw->req + x->woff, fw->reqlen - x->woff, MSG_NOSIGNAL);

		if (n > 0) {
			x->woff += (uint32_t)n;
		} else if (errno == EAGAIN) {
			if (!x->want_out && xfer_fast_watch(w, x, EPOLL_CTL_MOD, true))
				xfer_fast_fail(w, x, LERR_SEND, errno);
			return;
		} else if (errno != EINTR) {
			int e = errno;

			if (!xfer_fast_retry(w, x, now))
				xfer_fast_fail(w, x, LERR_SEND, e);
			return;
		}
	}
	if (x->want_out && xfer_fast_watch(w, x, EPOLL_CTL_MOD, false)) {
		xfer_fast_fail(w, x, LERR_SEND, errno);
		return;
	}
	x->fstate = F_RECEIVING;
}

static void xfer_fast_send(struct worker *w, struct xfer *xx, uint64_t now)
{
	struct xfer_fast *x = xfer_fast_of(xx);

	x->retried = x->connected = false;
	x->woff = 0;
	h1_init(&x->rp);
	xfer_fast_ifl_add(w->tp, x);
	if (x->fd < 0) {
		xfer_fast_connect(w, x, now);
		return;
	}
	x->reused = true;
	xfer_fast_write(w, x, now);
}

static void xfer_fast_complete_err(struct worker *w, struct xfer_fast *x, enum load_err k, int e,
				   uint64_t now)
{
	struct xfer_outcome o = { .kind = k, .os_errno = e };

	xfer_fast_close(w, x);
	xfer_fast_ifl_unlink(w->tp, x);
	x->fstate = F_IDLE;
	engine_finish(w, &x->x, &o, now);
}

static void xfer_fast_complete_ok(struct worker *w, struct xfer_fast *x, bool keep, uint64_t now)
{
	struct xfer_outcome o = {
		.resp = true,
		.code = x->rp.status,
		.connected = x->connected,
		.connect_ns = x->connect_ns,
		.ttfb_ns = x->fb_ns - x->x.sent_ns,
		.total_ns = now - x->x.sent_ns,
		.bytes = x->rp.body,
	};

	if (!keep || w->h->plan.new_conn)
		xfer_fast_close(w, x);
	xfer_fast_ifl_unlink(w->tp, x);
	x->fstate = F_IDLE;
	engine_finish(w, &x->x, &o, now);
}

/* Read what arrived and feed the parser; a level-triggered EPOLLIN brings us back for more. */
static void xfer_fast_read(struct worker *w, struct xfer_fast *x, uint64_t now)
{
	char *rbuf = ((struct xfer_fast_worker *)w->tp)->rbuf;

	for (;;) {
		ssize_t n = recv(x->fd, rbuf, FAST_RBUF, 0);
		size_t used = 0;
		int rc;

		if (n > 0) {
			if (!x->rp.got)
				x->fb_ns = now;
			rc = h1_feed(&x->rp, rbuf, (size_t)n, &used);
			if (rc == H1_DONE) {
				/* bytes nobody asked for: the response counts, the connection not */
				xfer_fast_complete_ok(w, x, x->rp.keep_alive && used == (size_t)n,
						      now);
				return;
			}
			if (rc == H1_ERROR) {
				vp_debug("load: bad response: %s", x->rp.err);
				xfer_fast_complete_err(w, x, LERR_RECV, 0, now);
				return;
			}
			if (n < FAST_RBUF)
				return;
			continue;
		}
		if (n == 0) {
			if (h1_eof(&x->rp) == H1_DONE)
				xfer_fast_complete_ok(w, x, false, now);
			else if (!xfer_fast_retry(w, x, now))
				xfer_fast_complete_err(w, x, LERR_RECV, 0, now);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && !xfer_fast_retry(w, x, now))
			xfer_fast_complete_err(w, x, LERR_RECV, errno, now);
		return;
	}
}

static void xfer_fast_event(struct worker *w, uint64_t data, uint32_t events)
{
	struct xfer_fast *x = xfer_fast_of(engine_xfer(w, data));
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
			xfer_fast_complete_err(w, x, LERR_CONNECT, e, now);
			return;
		}
		w->st.conn_established++;
		x->connected = true;
		x->x.up = true;
		x->connect_ns = now - x->conn_start;
		xfer_fast_write(w, x, now);
		break;
	}
	case F_SENDING:
		xfer_fast_write(w, x, now);
		break;
	case F_RECEIVING:
		xfer_fast_read(w, x, now);
		break;
	default: {
		/* idle: the server closed a kept-alive connection (or spoke out of turn) */
		char c;

		if (recv(x->fd, &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN)
			return;
		xfer_fast_close(w, x);
		break;
	}
	}
}

/*
 * Complete what failed while starting (bounded: each transfer is queued at most once), then,
 * with --timeout, time out the transfers past it (in flight oldest first).  True when either
 * completed any: the loop schedules again.
 */
static bool xfer_fast_due(struct worker *w, uint64_t now)
{
	struct xfer_fast_worker *fw = w->tp;
	bool any = false;

	if (fw->nfail) {
		uint64_t n = fw->nfail;

		now = now_mono_ns();
		/* from the end: a user's next request may fail (and be queued) again in finish */
		while (n-- && fw->nfail) {
			struct xfer_fast *x = xfer_fast_of(engine_xfer(w, fw->failq[--fw->nfail]));
			struct xfer_outcome o = { .kind = (enum load_err)x->ferr,
						  .os_errno = x->ferrno };

			x->fstate = F_IDLE;
			engine_finish(w, &x->x, &o, now);
		}
		return true;
	}
	while (fw->ifl_head && fw->ifl_head->x.sent_ns + fw->timeout_ns <= now) {
		struct xfer_fast *x = fw->ifl_head;

		xfer_fast_complete_err(w, x,
				       x->fstate == F_CONNECTING ? LERR_TIMEOUT_CONNECT :
								   LERR_TIMEOUT_RESPONSE,
				       0, now);
		any = true;
	}
	return any;
}

static uint64_t xfer_fast_deadline(const struct worker *w)
{
	const struct xfer_fast_worker *fw = w->tp;

	return fw->ifl_head ? fw->ifl_head->x.sent_ns + fw->timeout_ns : 0;
}

const struct xfer_ops xfer_fast_ops = {
	.engine = LOAD_ENGINE_FAST,
	.xfer_size = sizeof(struct xfer_fast),
	.prepare = xfer_fast_prepare,
	.release = xfer_fast_release,
	.init = xfer_fast_init,
	.xfer_init = xfer_fast_xfer_init,
	.send = xfer_fast_send,
	.event = xfer_fast_event,
	.due = xfer_fast_due,
	.deadline = xfer_fast_deadline,
	.cleanup = xfer_fast_cleanup,
};
