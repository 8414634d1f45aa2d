// SPDX-License-Identifier: GPL-2.0
/*
 * The load engine: N workers, each one thread with its own epoll set, timerfd and eventfd, that
 * start users (ramp-up), think, follow the open model's schedule, count every transfer and end
 * the run; a transport (engine.h: xfer_fast.c or xfer_curl.c) does the HTTP exchange on the
 * same epoll set.  Nothing is shared between workers on the hot path: each keeps its own
 * histograms and counters; a ticker thread folds finished seconds into the timeline and
 * load_wait() merges the rest at the end.
 *
 * Why the timers look the way they do: the timerfd carries only the loop's own schedule (user
 * starts during ramp-up, think-time wake-ups, open-model sends, the end of the run) and is
 * re-armed only when that schedule's next deadline moves earlier -- never in the keep-alive
 * steady state of the closed model.  A transport's own deadline (libcurl's timeout, --timeout)
 * becomes epoll_pwait2()'s timeout instead (xfer_curl.c says why).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
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

#include "load/engine.h"
#include "account/self.h"
#include "sys/util.h"

#define TICK_GRACE_NS (100 * NSEC_PER_MSEC)
#define LATE_NS NSEC_PER_MSEC
#define MAX_EVENTS 512
#define FDS_PER_WORKER 4 /* epoll, timerfd, eventfd, slack */
#define FDS_SLACK 64	 /* stdio, output files, libcurl internals */
/* epoll data of the loop's own fds; a transport's never has bit 63 set */
#define ENGINE_EV_OWN (1ULL << 63)
#define ENGINE_EV_TIMER (ENGINE_EV_OWN | 1)
#define ENGINE_EV_STOP (ENGINE_EV_OWN | 2)

/*
 * The histograms a worker's statistics and a result both keep (same names), in one order: one
 * place that inits, merges and frees them all.
 */
#define STAT_NHISTS 6
#define STAT_HISTS(s) \
	&(s)->lat, &(s)->lat_uncorr, &(s)->connect, &(s)->ttfb, &(s)->total, &(s)->censored

static int hists_init(struct hist *const *hs)
{
	for (int i = 0; i < STAT_NHISTS; i++)
		if (hist_init(hs[i], 3))
			return -ENOMEM;
	return 0;
}

static void hists_free(struct hist *const *hs)
{
	for (int i = 0; i < STAT_NHISTS; i++)
		hist_free(hs[i]);
}

/* ---- per-worker setup ------------------------------------------------------------------- */

int engine_werr(struct worker *w, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->errmsg, sizeof(w->errmsg), fmt, ap);
	va_end(ap);
	w->init_err = err;
	return err;
}

/* The transfer slots: closed, every user set up front (no allocation once the clock runs);
 * open, an idle pool the schedule sets up as it needs it. */
static int worker_init_xfers(struct worker *w)
{
	w->xsize = w->ops->xfer_size;
	w->xs = calloc(w->nx ? w->nx : 1, w->xsize);
	if (!w->xs)
		return engine_werr(w, -ENOMEM, "out of memory");
	for (uint64_t i = 0; i < w->nx; i++)
		engine_xfer(w, i)->idx = (uint32_t)i;
	if (w->h->plan.rate > 0) {
		w->freeq = calloc(w->nx, sizeof(*w->freeq));
		if (!w->freeq)
			return engine_werr(w, -ENOMEM, "out of memory");
		return w->ops->init(w);
	}
	w->thinkq = calloc(w->nx ? w->nx : 1, sizeof(*w->thinkq));
	if (!w->thinkq)
		return engine_werr(w, -ENOMEM, "out of memory");
	if (w->ops->init(w))
		return w->init_err;
	for (uint64_t i = 0; i < w->nx; i++) {
		struct xfer *x = engine_xfer(w, i);

		x->gidx = w->id + i * w->h->nw;
		if (w->ops->xfer_init(w, x))
			return engine_werr(w, -ENOMEM, "out of memory creating %llu users",
					   (unsigned long long)w->nx);
		w->npool++;
	}
	w->active_users = w->nx;
	return 0;
}

static int worker_init(struct worker *w)
{
	const struct load_plan *p = &w->h->plan;
	struct epoll_event ev = { .events = EPOLLIN };
	struct hist *hs[STAT_NHISTS] = { STAT_HISTS(&w->st) };

	if (p->netns) {
		char path[300];
		int fd;

		snprintf(path, sizeof(path), "/run/netns/%s", p->netns);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return engine_werr(w, -errno, "open %s: %s", path, strerror(errno));
		if (setns(fd, CLONE_NEWNET)) {
			int e = errno;

			close(fd);
			return engine_werr(w, -e, "setns %s: %s", path, strerror(e));
		}
		close(fd);
	}
	self_register_thread(SELF_LOADGEN);
	if (p->set_cpus &&
	    (errno = pthread_setaffinity_np(pthread_self(), sizeof(p->cpus), &p->cpus)))
		return engine_werr(w, -errno, "--loadgen-cpus: %s", strerror(errno));

	for (int i = 0; i < ENGINE_NSLOTS; i++) {
		w->slots[i].sec = -1;
		if (hist_init(&w->slots[i].h, 2))
			return engine_werr(w, -ENOMEM, "out of memory");
	}
	if (hists_init(hs))
		return engine_werr(w, -ENOMEM, "out of memory");

	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd < 0 || w->tfd < 0 || w->evfd < 0)
		return engine_werr(w, -errno, "worker %u: epoll/timerfd/eventfd: %s", w->id,
				   strerror(errno));
	ev.data.u64 = ENGINE_EV_TIMER;
	epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->tfd, &ev);
	ev.data.u64 = ENGINE_EV_STOP;
	epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev);
	return worker_init_xfers(w);
}

static void worker_cleanup(struct worker *w)
{
	w->ops->cleanup(w);
	free(w->xs);
	free(w->freeq);
	free(w->thinkq);
	w->xs = NULL;
	w->freeq = w->thinkq = NULL;
	w->npool = 0;
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
	struct engine_slot *s = &w->slots[sec % ENGINE_NSLOTS];

	hist_reset(&s->h);
	s->requests = s->errors = 0;
	atomic_store_explicit(&s->sec, sec, memory_order_release);
	w->cur_sec = sec;
	w->cur_slot = s;
	w->sec_end = t0 + (uint64_t)(sec + 1) * NSEC_PER_SEC;
}

static void send_xfer(struct worker *w, struct xfer *x, uint64_t intended, uint64_t now)
{
	x->intended_ns = intended;
	x->sent_ns = now;
	if (!x->first_sent_ns)
		x->first_sent_ns = now;
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
	w->ops->send(w, x, now);
}

static void user_next(struct worker *w, struct xfer *x, uint64_t now);

void engine_finish(struct worker *w, struct xfer *x, const struct xfer_outcome *o, uint64_t now)
{
	struct engine_stats *st = &w->st;
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

/* Closed model: the user's next request (JMeter: next loop iteration). */
static void user_next(struct worker *w, struct xfer *x, uint64_t now)
{
	const struct load_plan *p = &w->h->plan;

	if (p->rate > 0) {
		w->freeq[w->nfree++] = x->idx;
		return;
	}
	x->loops_done++;
	if ((p->loops && x->loops_done >= p->loops) || now >= w->end_ns) {
		w->active_users--;
		return;
	}
	if (p->think_ns) {
		x->intended_ns = now + p->think_ns;
		w->thinkq[(w->tq_head + w->tq_len++) % w->nx] = x->idx;
		return;
	}
	send_xfer(w, x, now, now);
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
				x = engine_xfer(w, w->freeq[--w->nfree]);
			} else if (w->npool < cap) {
				x = engine_xfer(w, w->npool);
				if (w->ops->xfer_init(w, x))
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
		struct xfer *x = engine_xfer(w, w->next_start);
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
		struct xfer *x = engine_xfer(w, w->thinkq[w->tq_head]);

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

static void worker_finish(struct worker *w, uint64_t now)
{
	const struct load_plan *p = &w->h->plan;

	for (uint64_t i = 0; i < w->npool; i++) {
		struct xfer *x = engine_xfer(w, i);

		if (!x->active)
			continue;
		if (w->ops->cancel)
			w->ops->cancel(w, x);
		x->active = false;
		if (x->counted) {
			w->st.cancelled++;
			hist_record(&w->st.censored, now - x->intended_ns);
		}
	}
	/* closed model: each user that sent anything was answered, or waited (connected or not) */
	for (uint64_t i = 0; p->rate <= 0 && i < w->nx; i++) {
		const struct xfer *x = engine_xfer(w, i);

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
	const struct xfer_ops *ops = w->ops;
	struct epoll_event evs[MAX_EVENTS];

	slot_advance(w, w->h->t0);
	for (;;) {
		uint64_t now = now_mono_ns(), next, dl;
		struct timespec ts, *tsp = NULL;
		int n;

		if (atomic_load_explicit(&w->h->stop, memory_order_relaxed) || now >= w->end_ns) {
			worker_finish(w, now);
			return;
		}
		next = schedule(w, now);
		/* completions in here may free a slot or start a think: schedule again */
		if (ops->due(w, now))
			continue;
		if (all_done(w)) {
			worker_finish(w, now);
			return;
		}
		arm_timer(w, next);
		dl = ops->deadline(w);
		if (dl) {
			uint64_t d = dl > now ? dl - now : 0;

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
			if (!(evs[i].data.u64 & ENGINE_EV_OWN)) {
				ops->event(w, evs[i].data.u64, evs[i].events);
			} else if (evs[i].data.u64 == ENGINE_EV_TIMER) {
				uint64_t exp;

				if (read(w->tfd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
					vp_debug("timerfd read: %s", strerror(errno));
				w->tfd_armed = 0;
			}
			/* ENGINE_EV_STOP, load_stop(): seen at the top of the loop */
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
		struct engine_slot *s = &w->slots[sec % ENGINE_NSLOTS];

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
 * Resolve the host once, so no worker ever runs a resolver thread mid-run, and let the transport
 * prepare what its workers share (libcurl: the address as a CURLOPT_RESOLVE entry; the fast
 * transport: its request).
 */
static int resolve_once(struct load_handle *h, char *err, size_t len)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	unsigned char buf[sizeof(struct in6_addr)];
	char bare[300];
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
	if (h->ops->prepare(h, u, host, port, literal))
		r = fail(err, len, -ENOMEM, "out of memory");
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
	h->ops = load_plan_engine(&h->plan) == LOAD_ENGINE_FAST ? &xfer_fast_ops : &xfer_curl_ops;
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
	if (h->plan.body_bytes) {
		h->body = malloc(h->plan.body_bytes);
		if (!h->body) {
			r = fail(err, len, -ENOMEM, "out of memory");
			goto fail_free;
		}
		memset(h->body, 'x', h->plan.body_bytes);
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
		w->ops = h->ops;
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
	if (h->ops)
		h->ops->release(h);
	free(h->body);
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
	struct hist *rh[STAT_NHISTS] = { STAT_HISTS(r) };
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
	r->engine = h->ops->engine;
	r->open_model = h->plan.rate > 0;
	r->stopped_early = atomic_load(&h->stop);
	r->t0_mono_ns = h->t0;
	r->t0_real_ns = h->t0_real;
	r->elapsed_ns = end - h->t0;
	r->measured_ns = r->elapsed_ns > h->plan.warmup_ns ? r->elapsed_ns - h->plan.warmup_ns : 0;
	if (h->plan.duration_ns && r->elapsed_ns > h->plan.duration_ns)
		r->measured_ns = h->plan.duration_ns - h->plan.warmup_ns;
	if (hists_init(rh))
		rc = -ENOMEM;
	r->conn_requested = r->open_model ? 0 : h->plan.users;
	for (unsigned i = 0; i < h->nw; i++) {
		struct worker *w = &h->w[i];
		struct engine_stats *s = &w->st;
		struct hist *wh[STAT_NHISTS] = { STAT_HISTS(s) };

		for (int k = 0; !rc && k < STAT_NHISTS; k++)
			hist_merge(rh[k], wh[k]);
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
		hists_free(wh);
		for (int k = 0; k < ENGINE_NSLOTS; k++)
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
	h->ops->release(h);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h->body);
	free(h);
	return rc;
}

void load_result_free(struct load_result *r)
{
	struct hist *rh[STAT_NHISTS] = { STAT_HISTS(r) };

	hists_free(rh);
	free(r->ticks);
	r->ticks = NULL;
	r->nticks = 0;
}
