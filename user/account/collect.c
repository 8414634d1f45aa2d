// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "account.skel.h"
#include "account/collect.h"
#include "sys/tidtab.h"
#include "sys/util.h"

/* Per-CPU values come back rounded up to 8 bytes per CPU. */
#define PCPU_SIZE(sz) (((sz) + 7) & ~7UL)

/* Exited threads stay in the userspace table this many intervals, so late charges still classify. */
#define EXITED_KEEP_INTERVALS 2

/*
 * Rows per batch syscall when draining the maps: the scratch buffers are this big whatever the
 * maps' size (a hash bucket never holds this many entries, so ENOSPC cannot happen).
 */
#define COLLECT_BATCH 4096

/* The table finds a thread by the tid that begins its entry. */
_Static_assert(offsetof(struct thread_rec, info.tid) == 0, "thread_rec starts with its tid");

/* A rebuild forgets the threads that exited more than EXITED_KEEP_INTERVALS ago. */
static bool rec_kept(const void *entry, void *ctx)
{
	const struct collector *c = ctx;
	const struct thread_rec *r = entry;

	return !r->exited_seq || c->seq - r->exited_seq <= EXITED_KEEP_INTERVALS;
}

struct thread_rec *collector_thread(struct collector *c, uint32_t tid)
{
	return tidtab_get(&c->threads, tid);
}

int collector_init(struct collector *c, struct account_probe *p)
{
	memset(c, 0, sizeof(*c));
	c->p = p;
	c->flush_prev = calloc(p->nr_cpus, sizeof(uint64_t));
	c->keys = calloc(COLLECT_BATCH, sizeof(uint32_t));
	/* a batch of stats or a batch of thread infos; the maps are read in as many as it takes */
	c->vals = calloc(COLLECT_BATCH,
			 sizeof(struct vp_thread_stats) > sizeof(struct vp_thread_info) ?
				 sizeof(struct vp_thread_stats) :
				 sizeof(struct vp_thread_info));
	if (!c->flush_prev || !c->keys || !c->vals ||
	    tidtab_init(&c->threads, sizeof(struct thread_rec), 4096, rec_kept, c)) {
		collector_free(c);
		return -ENOMEM;
	}
	return 0;
}

void collector_free(struct collector *c)
{
	free(c->flush_prev);
	free(c->keys);
	free(c->vals);
	tidtab_free(&c->threads);
	memset(c, 0, sizeof(*c));
}

/*
 * Read where each CPU's charges now end: the flush's timestamp, less the running thread's time the
 * flush left open for the next interval (account.bpf.c flush_carry).  The span is measured between
 * those points, so coverage stays exact while a boundary follows the kernel's.
 */
static int read_flush_ts(struct collector *c, uint64_t *ts)
{
	size_t sz = PCPU_SIZE(sizeof(struct vp_cpu_state));
	char *buf = malloc(sz * c->p->nr_cpus);
	uint32_t zero = 0;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(account_probe_cpu_state_fd(c->p), &zero, buf)) {
		err = -errno;
	} else {
		for (int i = 0; i < c->p->nr_cpus; i++) {
			struct vp_cpu_state *cs = (struct vp_cpu_state *)(buf + i * sz);

			ts[i] = cs->flush_ts > cs->flush_carry ? cs->flush_ts - cs->flush_carry : 0;
		}
	}
	free(buf);
	return err;
}

static int read_drops(struct collector *c, uint64_t *tot)
{
	int fd = bpf_map__fd(c->p->skel->maps.drops);
	uint64_t *v = calloc(c->p->nr_cpus, sizeof(uint64_t));

	if (!v)
		return -ENOMEM;
	for (uint32_t k = 0; k < VP_DROP_MAX; k++) {
		tot[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, v))
			continue;
		for (int i = 0; i < c->p->nr_cpus; i++)
			tot[k] += v[i];
	}
	free(v);
	return 0;
}

/*
 * Sum and zero idle[k] over CPUs (k = g: idle, 2 + g: steal).  Safe: after the flip no program
 * writes generation g.
 */
static uint64_t drain_idle(struct collector *c, uint32_t k)
{
	int fd = bpf_map__fd(c->p->skel->maps.idle);
	uint64_t *v = calloc(c->p->nr_cpus, sizeof(uint64_t)), sum = 0;

	if (!v)
		return 0;
	if (!bpf_map_lookup_elem(fd, &k, v))
		for (int i = 0; i < c->p->nr_cpus; i++)
			sum += v[i];
	memset(v, 0, c->p->nr_cpus * sizeof(uint64_t));
	bpf_map_update_elem(fd, &k, v, BPF_ANY);
	free(v);
	return sum;
}

static int iv_push(struct interval *iv, uint32_t key, const struct vp_thread_stats *st)
{
	struct interval_row *rows = array_grow(iv->rows, &iv->cap, iv->n, sizeof(*rows));

	if (!rows)
		return -ENOMEM;
	iv->rows = rows;
	iv->rows[iv->n].key = key;
	iv->rows[iv->n].st = *st;
	iv->n++;
	return 0;
}

/*
 * Drain a stats generation: lookup-and-delete in batches.  The fallback (kernels before 5.6)
 * walks the keys; an entry re-created after its deletion is simply read next time.
 */
static int drain_stats(struct collector *c, int fd, struct interval *iv)
{
	struct vp_thread_stats *vals = c->vals;
	uint32_t out_batch = 0, count;
	void *in = NULL;
	int err;

	for (;;) {
		count = COLLECT_BATCH;
		err = bpf_map_lookup_and_delete_batch(fd, in, &out_batch, c->keys, vals, &count,
						      NULL);
		if (err && errno != ENOENT) {
			if (errno == EINVAL || errno == 524 /* ENOTSUPP */ || errno == EOPNOTSUPP)
				goto walk;
			return -errno;
		}
		for (uint32_t i = 0; i < count; i++)
			if (iv_push(iv, c->keys[i], &vals[i]))
				return -ENOMEM;
		if (err) /* ENOENT: done */
			return 0;
		in = &out_batch;
	}
walk : {
	uint32_t key, next;
	struct vp_thread_stats st;
	bool first = true;

	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		if (!bpf_map_lookup_elem(fd, &key, &st) && iv_push(iv, key, &st))
			return -ENOMEM;
		bpf_map_delete_elem(fd, &key);
	}
	return 0;
}
}

/* Merge the BPF thread facts into the userspace table; forget exited threads in the BPF map. */
static int sync_threads(struct collector *c)
{
	int fd = bpf_map__fd(c->p->skel->maps.threads);
	struct vp_thread_info *vals = c->vals;
	uint32_t out_batch = 0, count;
	void *in = NULL;
	int err;

	for (;;) {
		count = COLLECT_BATCH;
		err = bpf_map_lookup_batch(fd, in, &out_batch, c->keys, vals, &count, NULL);
		if (err && errno != ENOENT)
			return -errno;
		/* grown before the inserts: the table stays at most half full */
		if (tidtab_reserve(&c->threads, count))
			return -ENOMEM;
		for (uint32_t i = 0; i < count; i++) {
			struct thread_rec *r = tidtab_put(&c->threads, c->keys[i]);
			bool changed;

			if (!r) /* cannot happen after tidtab_reserve */
				return -ENOSPC;
			changed = strcmp(r->info.comm, vals[i].comm) ||
				  r->info.cgid_v2 != vals[i].cgid_v2 ||
				  r->info.cgid_v1_cpu != vals[i].cgid_v1_cpu;

			r->info = vals[i];
			r->info.tid = c->keys[i];
			if (changed)
				r->facts_seq++;
			if (vals[i].exited) {
				if (!r->exited_seq)
					r->exited_seq = c->seq;
				bpf_map_delete_elem(fd, &c->keys[i]);
			}
		}
		if (err)
			break;
		in = &out_batch;
	}
	/* Drop long-exited threads from the userspace table now and then (and shrink it). */
	if (c->seq % 16 == 0)
		return tidtab_rebuild(&c->threads);
	return 0;
}

/*
 * The boundary -- the kernel's own figures (at_boundary), the flush on every CPU, the flip -- is
 * meant to be one instant: a target's CPU between the kernel's read and the flush is on
 * virtprof's side only.  On a busy host the collector was preempted right there by other work
 * for tens of ms (kernel_check with a busy loop per CPU and the kernel lab beside it: -11 % ...
 * +7 % against cpu.stat over two intervals).  So the collector runs those few milliseconds
 * SCHED_FIFO at the lowest priority and goes back after; without the privilege it stays as it
 * was, and the drain after the boundary is never real-time.
 */
struct rt_section {
	bool on;
	int policy;
	struct sched_param old;
};

static void boundary_rt_enter(struct rt_section *rt)
{
	struct sched_param fifo = { .sched_priority = 1 };

	rt->on = !pthread_getschedparam(pthread_self(), &rt->policy, &rt->old) &&
		 rt->policy != SCHED_FIFO && rt->policy != SCHED_RR &&
		 !pthread_setschedparam(pthread_self(), SCHED_FIFO, &fifo);
}

static void boundary_rt_leave(struct rt_section *rt)
{
	if (rt->on)
		pthread_setschedparam(pthread_self(), rt->policy, &rt->old);
	rt->on = false;
}

static int flip_and_drain(struct collector *c, struct interval *iv, struct rt_section *rt)
{
	struct account_bpf *skel = c->p->skel;
	uint32_t old = __atomic_load_n(&skel->bss->gen, __ATOMIC_ACQUIRE) & 1;
	struct timespec grace = { 0, 2 * 1000 * 1000 };
	int fd, err;

	__atomic_store_n(&skel->bss->gen, old ^ 1, __ATOMIC_RELEASE);
	boundary_rt_leave(rt);
	/*
	 * A program that read the old generation just before the flip may still be writing; BPF
	 * programs run to completion within microseconds, 2 ms is ample.  A straggler's entry is
	 * re-created and read one interval later, not lost.
	 */
	nanosleep(&grace, NULL);
	fd = old ? bpf_map__fd(skel->maps.stats1) : bpf_map__fd(skel->maps.stats0);
	err = drain_stats(c, fd, iv);
	if (err)
		return err;
	iv->idle_ns = drain_idle(c, old);
	iv->steal_ns = drain_idle(c, 2 + old);
	return sync_threads(c);
}

int collector_restart(struct collector *c)
{
	struct interval iv = {};
	int err = collector_next(c, &iv);

	interval_free(&iv);
	return err;
}

int collector_next(struct collector *c, struct interval *iv)
{
	uint64_t *ts, drops[VP_DROP_MAX];
	struct rt_section rt = { 0 };
	int err;

	memset(iv, 0, sizeof(*iv));
	ts = calloc(c->p->nr_cpus, sizeof(uint64_t));
	if (!ts)
		return -ENOMEM;
	c->seq++;
	iv->seq = c->seq;
	iv->mono_start_ns = c->mono_prev;
	boundary_rt_enter(&rt);
	/*
	 * The kernel's figures just before the flush, not after: reading them makes the kernel
	 * charge the targets' running threads (update_curr, and the rq clock update that takes
	 * the hypervisor's steal out of them), so the flush that follows within microseconds
	 * finds the steal clock current too.  Read after the flip, steal the hypervisor took just
	 * before it stayed in virtprof's interval but not the kernel's (a 100 ms steal slice:
	 * +14 % against cpu.stat over 0.7 s).
	 */
	if (c->at_boundary)
		c->at_boundary(c->at_boundary_ctx);
	err = account_probe_flush(c->p);
	if (!err)
		err = read_flush_ts(c, ts);
	iv->mono_end_ns = now_mono_ns();
	iv->real_end_ns = now_real_ns();
	if (!err)
		err = flip_and_drain(c, iv, &rt);
	boundary_rt_leave(&rt);
	if (err) {
		free(ts);
		return err;
	}
	for (int i = 0; i < c->p->nr_cpus; i++) {
		if (c->flush_prev[i] && ts[i] > c->flush_prev[i]) {
			iv->span_ns += ts[i] - c->flush_prev[i];
			iv->ncpu_seen++;
		}
		c->flush_prev[i] = ts[i];
	}
	for (int i = 0; i < iv->n; i++)
		iv->busy_ns += stats_busy_ns(&iv->rows[i].st);
	read_drops(c, drops);
	for (int k = 0; k < VP_DROP_MAX; k++) {
		iv->drops[k] = drops[k] - c->drops_prev[k];
		c->drops_prev[k] = drops[k];
	}
	c->mono_prev = iv->mono_end_ns;
	free(ts);
	return 0;
}

void interval_free(struct interval *iv)
{
	free(iv->rows);
	memset(iv, 0, sizeof(*iv));
}
