// SPDX-License-Identifier: GPL-2.0
/*
 * The libcurl transport (https:// and anything the fast one does not speak): each worker has
 * its own curl multi handles (shards of SHARD_USERS) on the worker's epoll set, driven by
 * curl_multi_socket_action.
 *
 * Why its timers look the way they do: re-arming a timerfd in every CURLMOPT_TIMERFUNCTION call
 * cost 38 us per request on the 2-vCPU development machines (docs/load.md).  libcurl's timeout
 * therefore lives in a variable and becomes the loop's wait timeout (deadline); the loop's
 * timerfd carries only its own schedule.
 */
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "load/engine.h"
#include "sys/util.h"

/*
 * Transfers per multi handle, and per connection cache (a multiple of CONN_GROUP divides
 * SHARD_USERS, so a cache's connections never change multi handle).  Callgrind at 10,000 users,
 * one worker: one multi handle with a cache per user 57.1k instructions and 1,660 L1 read
 * misses per request; 256 / 16: 50.4k and 308 (docs/load.md).
 */
#define SHARD_USERS 256
#define CONN_GROUP 16
_Static_assert(SHARD_USERS % CONN_GROUP == 0, "a connection cache stays in one multi handle");

/*
 * One multi handle of a worker, for at most SHARD_USERS transfers.  libcurl 7.88 keeps all of a
 * multi handle's sockets in one 911-slot hash that it looks up several times per request; at
 * 10,000 connections its chains are 11 long, a cache miss per link (perf: the hottest libcurl
 * instruction).  All of a worker's shards share its epoll set and its one thread.
 */
struct xfer_curl_shard {
	struct worker *w;
	CURLM *multi;
	uint32_t idx;	   /* in cw->sh; the upper half of its sockets' epoll data */
	bool queued;	   /* in cw->dueq */
	uint64_t deadline; /* libcurl's next timeout for this handle; 0 = none, 1 = now */
};

struct xfer_curl {
	struct xfer x;
	CURL *easy;
	struct xfer_curl_shard *sh; /* the multi handle it runs in */
	bool fresh; /* closed model, keep-alive: the user's first request opens its own
		     * connection (CURLOPT_FRESH_CONNECT), later ones reuse one of its group's */
};

struct xfer_curl_worker {
	struct xfer_curl_shard *sh;
	uint32_t nsh;
	uint32_t *dueq, ndue; /* shards whose libcurl timeout is "now" (0 ms) */
	uint64_t curl_min;    /* earliest later libcurl timeout of any shard; 0 = none (may be
			       * earlier than the real one: a shard's timeout moved later) */
	struct curl_slist *resolve;
	CURLU *curlu;		    /* the URL, parsed once; libcurl only reads it */
	struct curl_slist *headers; /* "Accept:" (suppressed) */
	CURLSH **shares;	    /* keep-alive: one connection cache per CONN_GROUP users */
	uint64_t nshares;
	uint8_t *fdstate, *fdwant; /* per fd: CURL_POLL_* bits registered in epoll / wanted */
	size_t nfdstate;
};

/* host:port:addr for CURLOPT_RESOLVE, "" for an IP literal */
struct xfer_curl_run {
	char resolve_entry[600];
};

/* ---- libcurl callbacks ------------------------------------------------------------------ */

/*
 * libcurl says CURL_POLL_REMOVE for a kept-alive socket every time its transfer ends and asks for
 * it again when the next transfer on it starts: an epoll_ctl DEL + ADD per request, 8% of the
 * worker's CPU.  So the kernel registration is kept and only our idea of what libcurl wants
 * changes; an event on a socket libcurl no longer watches removes it from epoll then (lazily).
 */
static void xfer_curl_sock_set(struct worker *w, int fd, uint8_t want, uint32_t shard)
{
	struct xfer_curl_worker *cw = w->tp;
	struct epoll_event ev = { .data.u64 = (uint64_t)shard << 32 | (uint32_t)fd };
	uint8_t *k;

	if (fd < 0 || (size_t)fd >= cw->nfdstate)
		return;
	k = &cw->fdstate[fd];
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

static int xfer_curl_sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct xfer_curl_shard *sh = userp;
	struct xfer_curl_worker *cw = sh->w->tp;

	(void)e;
	(void)socketp;
	if (s < 0 || (size_t)s >= cw->nfdstate)
		return 0;
	if (what == CURL_POLL_REMOVE) {
		cw->fdwant[s] = 0;
		return 0;
	}
	/* exactly what libcurl wants whenever it wants something: a level-triggered OUT it did
	 * not ask for would spin the loop */
	cw->fdwant[s] = (uint8_t)(what & CURL_POLL_INOUT);
	xfer_curl_sock_set(sh->w, s, cw->fdwant[s], sh->idx);
	return 0;
}

static int xfer_curl_timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	struct xfer_curl_shard *sh = userp;
	struct xfer_curl_worker *cw = sh->w->tp;

	(void)m;
	/* 0 ms (after every add_handle) is "due now": no clock read needed for it */
	if (timeout_ms < 0) {
		sh->deadline = 0;
	} else if (timeout_ms == 0) {
		sh->deadline = 1;
		if (!sh->queued) {
			sh->queued = true;
			cw->dueq[cw->ndue++] = sh->idx;
		}
	} else {
		sh->deadline = now_mono_ns() + (uint64_t)timeout_ms * NSEC_PER_MSEC;
		if (!cw->curl_min || sh->deadline < cw->curl_min)
			cw->curl_min = sh->deadline;
	}
	return 0;
}

static size_t xfer_curl_discard_cb(char *p, size_t size, size_t n, void *userp)
{
	(void)p;
	(void)userp;
	return size * n;
}

static curl_socket_t xfer_curl_open_cb(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	int fd;

	(void)purpose;
	fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (fd < 0)
		return CURL_SOCKET_BAD;
	engine_sock_opened(clientp);
	return fd;
}

static int xfer_curl_close_cb(void *clientp, curl_socket_t fd)
{
	struct worker *w = clientp;
	struct xfer_curl_worker *cw = w->tp;

	w->open_socks--;
	/* close() drops the epoll registration; the fd number may come back for a new socket */
	if (fd >= 0 && (size_t)fd < cw->nfdstate)
		cw->fdstate[fd] = cw->fdwant[fd] = 0;
	return close(fd);
}

/* ---- setup ------------------------------------------------------------------------------ */

static int xfer_curl_prepare(struct load_handle *h, CURLU *u, const char *host, const char *port,
			     bool literal)
{
	struct xfer_curl_run *run = calloc(1, sizeof(*run));
	char addr[INET6_ADDRSTRLEN];

	(void)u;
	if (!run)
		return -ENOMEM;
	h->tp = run;
	if (literal)
		return 0; /* libcurl needs no resolve entry for an address */
	if (h->addr.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&h->addr)->sin6_addr, addr,
			  sizeof(addr));
		snprintf(run->resolve_entry, sizeof(run->resolve_entry), "%s:%s:[%s]", host, port,
			 addr);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&h->addr)->sin_addr, addr, sizeof(addr));
		snprintf(run->resolve_entry, sizeof(run->resolve_entry), "%s:%s:%s", host, port,
			 addr);
	}
	return 0;
}

static void xfer_curl_release(struct load_handle *h)
{
	free(h->tp);
	h->tp = NULL;
}

static int xfer_curl_init(struct worker *w)
{
	const struct xfer_curl_run *run = w->h->tp;
	struct xfer_curl_worker *cw = calloc(1, sizeof(*cw));
	struct rlimit rl;

	if (!cw)
		return engine_werr(w, -ENOMEM, "out of memory");
	w->tp = cw;
	getrlimit(RLIMIT_NOFILE, &rl);
	cw->nfdstate = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1 << 22) ? (1 << 22) :
										 rl.rlim_cur;
	cw->fdstate = calloc(2, cw->nfdstate); /* fdstate, then fdwant */
	if (!cw->fdstate)
		return engine_werr(w, -ENOMEM, "out of memory");
	cw->fdwant = cw->fdstate + cw->nfdstate;
	if (run->resolve_entry[0]) {
		cw->resolve = curl_slist_append(NULL, run->resolve_entry);
		if (!cw->resolve)
			return engine_werr(w, -ENOMEM, "out of memory");
	}
	cw->curlu = curl_url();
	cw->headers = curl_slist_append(NULL, "Accept:");
	/* a POST body goes at once: no "Expect: 100-continue" round trip */
	if (cw->headers && w->h->body && !curl_slist_append(cw->headers, "Expect:"))
		return engine_werr(w, -ENOMEM, "out of memory");
	if (!cw->curlu || !cw->headers || curl_url_set(cw->curlu, CURLUPART_URL, w->h->url, 0))
		return engine_werr(w, -ENOMEM, "out of memory");
	cw->nsh = (uint32_t)((w->nx + SHARD_USERS - 1) / SHARD_USERS);
	if (!cw->nsh)
		cw->nsh = 1;
	cw->sh = calloc(cw->nsh, sizeof(*cw->sh));
	cw->dueq = calloc(cw->nsh, sizeof(*cw->dueq));
	if (!cw->sh || !cw->dueq)
		return engine_werr(w, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < cw->nsh; i++) {
		struct xfer_curl_shard *sh = &cw->sh[i];

		sh->w = w;
		sh->idx = i;
		sh->multi = curl_multi_init();
		if (!sh->multi)
			return engine_werr(w, -ENOMEM, "curl_multi_init failed");
		curl_multi_setopt(sh->multi, CURLMOPT_SOCKETFUNCTION, xfer_curl_sock_cb);
		curl_multi_setopt(sh->multi, CURLMOPT_SOCKETDATA, sh);
		curl_multi_setopt(sh->multi, CURLMOPT_TIMERFUNCTION, xfer_curl_timer_cb);
		curl_multi_setopt(sh->multi, CURLMOPT_TIMERDATA, sh);
		/* keep every user's connection in the cache, never more */
		curl_multi_setopt(sh->multi, CURLMOPT_MAXCONNECTS, (long)(SHARD_USERS + 1));
	}
	cw->nshares = (w->nx + CONN_GROUP - 1) / CONN_GROUP;
	cw->shares = calloc(cw->nshares ? cw->nshares : 1, sizeof(*cw->shares));
	if (!cw->shares)
		return engine_werr(w, -ENOMEM, "out of memory");
	return 0;
}

static int xfer_curl_xfer_init(struct worker *w, struct xfer *x)
{
	struct xfer_curl *cx = (struct xfer_curl *)x;
	struct xfer_curl_worker *cw = w->tp;
	const struct load_plan *p = &w->h->plan;
	CURL *e = curl_easy_init();

	if (!e)
		return -ENOMEM;
	cx->sh = &cw->sh[x->idx / SHARD_USERS];
	curl_easy_setopt(e, CURLOPT_URL, w->h->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, cx);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* one user = one connection: no HTTP/2 multiplexing */
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, xfer_curl_discard_cb);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, xfer_curl_open_cb);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, w);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, xfer_curl_close_cb);
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
	curl_easy_setopt(e, CURLOPT_CURLU, cw->curlu);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, cw->headers);
	if (w->h->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)p->body_bytes);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, w->h->body);
	}
	curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, -1L);
	/* libcurl's 16 KiB receive buffer per handle is 160 MB at 10,000 users */
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 8192L);
	if (cw->resolve)
		curl_easy_setopt(e, CURLOPT_RESOLVE, cw->resolve);
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
		CURLSH **sh = &cw->shares[x->idx / CONN_GROUP];

		if (!*sh) {
			*sh = curl_share_init();
			if (!*sh) {
				curl_easy_cleanup(e);
				return -ENOMEM;
			}
			curl_share_setopt(*sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
		}
		curl_easy_setopt(e, CURLOPT_SHARE, *sh);
		if (!p->rate) {
			cx->fresh = true;
			curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		}
	}
	cx->easy = e;
	return 0;
}

static void xfer_curl_cleanup(struct worker *w)
{
	struct xfer_curl_worker *cw = w->tp;

	if (!cw)
		return;
	for (uint64_t i = 0; i < w->npool; i++) {
		struct xfer_curl *cx = (struct xfer_curl *)engine_xfer(w, i);

		if (!cx->easy)
			continue;
		if (cx->x.active)
			curl_multi_remove_handle(cx->sh->multi, cx->easy);
		curl_easy_cleanup(cx->easy);
		cx->easy = NULL;
	}
	/* the easy handles were the last to use these */
	curl_slist_free_all(cw->resolve);
	curl_slist_free_all(cw->headers);
	curl_url_cleanup(cw->curlu);
	/* closing the cached connections calls xfer_curl_close_cb: fdstate stays until the end */
	for (uint32_t i = 0; cw->sh && i < cw->nsh; i++)
		if (cw->sh[i].multi)
			curl_multi_cleanup(cw->sh[i].multi);
	free(cw->sh);
	free(cw->dueq);
	for (uint64_t i = 0; cw->shares && i < cw->nshares; i++)
		if (cw->shares[i])
			curl_share_cleanup(cw->shares[i]);
	free(cw->shares);
	free(cw->fdstate); /* fdwant too: one allocation */
	free(cw);
	w->tp = NULL;
}

/* ---- transfers -------------------------------------------------------------------------- */

static void xfer_curl_send(struct worker *w, struct xfer *x, uint64_t now)
{
	struct xfer_curl *cx = (struct xfer_curl *)x;

	(void)w;
	(void)now;
	if (cx->fresh && x->loops_done) {
		cx->fresh = false;
		curl_easy_setopt(cx->easy, CURLOPT_FRESH_CONNECT, 0L);
	}
	curl_multi_add_handle(cx->sh->multi, cx->easy);
}

static enum load_err xfer_curl_classify(struct xfer_curl *cx, CURLcode rc, int *os_errno)
{
	curl_off_t ct = 0;
	long e = 0;

	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(cx->easy, CURLINFO_OS_ERRNO, &e);
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
		curl_easy_getinfo(cx->easy, CURLINFO_CONNECT_TIME_T, &ct);
		if (ct > 0)
			return LERR_TIMEOUT_RESPONSE;
		curl_easy_getinfo(cx->easy, CURLINFO_PRETRANSFER_TIME_T, &ct);
		return ct > 0 ? LERR_TIMEOUT_RESPONSE : LERR_TIMEOUT_CONNECT;
	default:
		return LERR_OTHER;
	}
}

static void xfer_curl_complete(struct worker *w, struct xfer_curl *cx, CURLcode rc, uint64_t now)
{
	struct xfer_outcome o = { .resp = rc == CURLE_OK };
	struct xfer *x = &cx->x;
	long nconn = 0;

	curl_multi_remove_handle(cx->sh->multi, cx->easy);
	curl_easy_getinfo(cx->easy, CURLINFO_NUM_CONNECTS, &nconn);
	if (o.resp) {
		curl_off_t c = 0, fb = 0, tot = 0, bytes = 0;

		curl_easy_getinfo(cx->easy, CURLINFO_RESPONSE_CODE, &o.code);
		w->st.conn_established += (uint64_t)nconn;
		if (x->counted) {
			if (nconn > 0) {
				curl_easy_getinfo(cx->easy, CURLINFO_CONNECT_TIME_T, &c);
				o.connected = true;
				o.connect_ns = (uint64_t)c * NSEC_PER_USEC;
			}
			curl_easy_getinfo(cx->easy, CURLINFO_STARTTRANSFER_TIME_T, &fb);
			curl_easy_getinfo(cx->easy, CURLINFO_TOTAL_TIME_T, &tot);
			curl_easy_getinfo(cx->easy, CURLINFO_SIZE_DOWNLOAD_T, &bytes);
			o.ttfb_ns = (uint64_t)fb * NSEC_PER_USEC;
			o.total_ns = (uint64_t)tot * NSEC_PER_USEC;
			o.bytes = (uint64_t)bytes;
		}
	} else {
		o.kind = xfer_curl_classify(cx, rc, &o.os_errno);
		o.curl_rc = (int)rc;
		if (o.kind != LERR_CONNECT && o.kind != LERR_TIMEOUT_CONNECT) {
			w->st.conn_established += (uint64_t)nconn;
			x->up |= nconn > 0;
		}
	}
	engine_finish(w, x, &o, now);
}

static void xfer_curl_drain(struct xfer_curl_shard *sh)
{
	CURLMsg *m;
	int left;
	uint64_t now = 0;

	while ((m = curl_multi_info_read(sh->multi, &left))) {
		struct xfer_curl *cx;

		if (m->msg != CURLMSG_DONE)
			continue;
		if (!now)
			now = now_mono_ns();
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&cx);
		xfer_curl_complete(sh->w, cx, m->data.result, now);
	}
}

static void xfer_curl_shard_timeout(struct xfer_curl_shard *sh)
{
	int running;

	sh->deadline = 0;
	curl_multi_socket_action(sh->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	xfer_curl_drain(sh);
}

/*
 * Run every shard whose libcurl timeout is due: those that asked for 0 ms (the queue; after
 * every add_handle), and, once the earliest later timeout has passed, all shards (rare: in the
 * keep-alive steady state libcurl asks for nothing but 0 ms).  Bounded: libcurl asks for 0 ms
 * again only while it has immediate work.  Completions in here may free a slot or start a
 * think: true tells the loop to schedule again.
 */
static bool xfer_curl_due(struct worker *w, uint64_t now)
{
	struct xfer_curl_worker *cw = w->tp;
	uint64_t budget = 64 + 2 * (uint64_t)cw->nsh;

	if (!cw->ndue && !(cw->curl_min && cw->curl_min <= now))
		return false;
	while (cw->ndue && budget--) {
		struct xfer_curl_shard *sh = &cw->sh[cw->dueq[--cw->ndue]];

		sh->queued = false;
		if (sh->deadline == 1)
			xfer_curl_shard_timeout(sh);
	}
	if (cw->curl_min && cw->curl_min <= now) {
		uint64_t min = 0;

		for (uint32_t i = 0; i < cw->nsh; i++) {
			struct xfer_curl_shard *sh = &cw->sh[i];

			if (sh->deadline > 1 && sh->deadline <= now)
				xfer_curl_shard_timeout(sh);
			if (sh->deadline > 1 && (!min || sh->deadline < min))
				min = sh->deadline;
		}
		cw->curl_min = min;
	}
	return true;
}

static uint64_t xfer_curl_deadline(const struct worker *w)
{
	const struct xfer_curl_worker *cw = w->tp;

	return cw->curl_min;
}

static void xfer_curl_event(struct worker *w, uint64_t data, uint32_t events)
{
	struct xfer_curl_worker *cw = w->tp;
	struct xfer_curl_shard *sh = &cw->sh[data >> 32];
	int fd = (int)(uint32_t)data, flags = 0, running;

	if ((size_t)fd < cw->nfdstate && !cw->fdwant[fd]) {
		/* kept alive, libcurl not watching: drop it now */
		xfer_curl_sock_set(w, fd, 0, 0);
		return;
	}
	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	/*
	 * An error or hang-up alone made libcurl 7.88 report "select/poll returned error" as
	 * CURLE_SEND_ERROR for a peer's reset mid-response (~1 in 500 with two workers): hand it
	 * the directions it waits for as well, so its own recv()/send() reports what really
	 * happened.
	 */
	if (events & (EPOLLERR | EPOLLHUP)) {
		uint8_t want = (size_t)fd < cw->nfdstate ? cw->fdwant[fd] : 0;

		flags |= CURL_CSELECT_ERR;
		if (want & CURL_POLL_IN)
			flags |= CURL_CSELECT_IN;
		if (want & CURL_POLL_OUT)
			flags |= CURL_CSELECT_OUT;
	}
	curl_multi_socket_action(sh->multi, fd, flags, &running);
	xfer_curl_drain(sh);
}

/* A connection up for a transfer the end cut short still counts. */
static void xfer_curl_cancel(struct worker *w, struct xfer *x)
{
	struct xfer_curl *cx = (struct xfer_curl *)x;
	long nconn = 0;
	curl_off_t ct = 0;

	curl_easy_getinfo(cx->easy, CURLINFO_NUM_CONNECTS, &nconn);
	curl_easy_getinfo(cx->easy, CURLINFO_CONNECT_TIME_T, &ct);
	if (nconn > 0 && ct > 0) {
		w->st.conn_established += (uint64_t)nconn;
		x->up = true;
	}
	curl_multi_remove_handle(cx->sh->multi, cx->easy);
}

const struct xfer_ops xfer_curl_ops = {
	.engine = LOAD_ENGINE_CURL,
	.xfer_size = sizeof(struct xfer_curl),
	.prepare = xfer_curl_prepare,
	.release = xfer_curl_release,
	.init = xfer_curl_init,
	.xfer_init = xfer_curl_xfer_init,
	.send = xfer_curl_send,
	.event = xfer_curl_event,
	.due = xfer_curl_due,
	.deadline = xfer_curl_deadline,
	.cancel = xfer_curl_cancel,
	.cleanup = xfer_curl_cleanup,
};
