// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "probe/probe.h"
#include "stack/intern.h"
#include "stack/sampler.h"
#include "stack/symbolize.h"
#include "stacks.skel.h"
#include "sys/util.h"

#define REREAD_NS (200 * 1000 * 1000ULL)
#define REREAD_SLOTS 1024

struct stack_sampler {
	struct stacks_bpf *skel;
	unsigned int hz;
	int ncpu; /* possible CPUs */
	int *pfd;
	struct bpf_link **links;
	struct symbolizer *sym;
	struct intern stacks; /* folded stacks of the last drain (emptied by the next) */
	uint64_t drops_prev[VP_STACK_DROP_ALL];
	int cpu_state_fd;
	int kvm_pending_fd; /* kvm.bpf.c's kvm_pending, -1: no KVM section */
	/* new processes announced by the programs: their mappings read at once, by this thread */
	struct ring_buffer *rb;
	pthread_t rb_thread;
	bool rb_running;
	volatile bool rb_stop;
	pthread_mutex_t lock; /* the symbolizer: the announcing thread and the drain */
	/*
	 * Each announced process read once more, REREAD_NS after its announcement: the first read
	 * (at its exec) has the binary and ld.so but not the libraries ld.so maps next, and one
	 * announced by a sample taken inside execve has no image at all -- CI once lost every
	 * frame of a 4.5 s program that way, its /proc gone before the end's re-read.  A ring of
	 * (tgid, due); when it is full the oldest is read at once.
	 */
	struct {
		uint32_t tgid;
		uint64_t due;
	} again[REREAD_SLOTS];
	unsigned int again_head, again_n;
	struct vp_na *why;
};

const char *stack_ctx_name(uint32_t ctx)
{
	static const char *const names[] = {
		"task",		  "softirq:hi",	     "softirq:timer",	 "softirq:net_tx",
		"softirq:net_rx", "softirq:block",   "softirq:irq_poll", "softirq:tasklet",
		"softirq:sched",  "softirq:hrtimer", "softirq:rcu",	 "hardirq",
		"idle",
	};

	return ctx < ARRAY_SIZE(names) ? names[ctx] : "unknown";
}

static int configure(void *skel, void *ctx, enum probe_flavour f)
{
	struct stacks_bpf *s = skel;
	struct stack_sampler *ss = ctx;
	int err;

	/* the exec hook in this flavour; the perf_event program is the same in both */
	probe_keep_flavour(s->obj, f);
	/*
	 * A stack id is a hash bucket: two stacks in one bucket lose the second (-EEXIST).  Room
	 * for 8x the samples of a 1 s interval keeps that rare: 4096 buckets at 99 Hz on 2 CPUs,
	 * 16384 at 999 Hz (16 MB per generation); at most 32768.
	 */
	{
		uint32_t want = 8 * ss->hz * (ss->ncpu > 0 ? ss->ncpu : 1), n = 4096;

		while (n < want && n < 32768)
			n *= 2;
		bpf_map__set_max_entries(s->maps.stacks0, n);
		bpf_map__set_max_entries(s->maps.stacks1, n);
	}
	/*
	 * The counts key holds the leaf IP: code without frame pointers or generated at run time
	 * (a JVM, qemu's TCG) makes nearly every sample a key of its own.  Both generations share
	 * the map, so room for two 1 s intervals of samples on every CPU (+25 %) loses none of
	 * them; a fixed 16384 filled in under a second on a busy 2-CPU host at 4999 Hz and every
	 * later sample of that interval was lost.  Preallocated, so capped (~25 MB).
	 */
	{
		uint64_t want = 2ull * ss->hz * (ss->ncpu > 0 ? ss->ncpu : 1) * 5 / 4;

		if (want < VP_STACK_MAX_KEYS)
			want = VP_STACK_MAX_KEYS;
		if (want > 262144)
			want = 262144;
		bpf_map__set_max_entries(s->maps.counts, (uint32_t)want);
	}
	err = bpf_map__reuse_fd(s->maps.cpu_state, ss->cpu_state_fd);
	if (err) {
		vp_na_set(ss->why, VP_NA_OTHER, "cannot share the accounting's cpu_state map: %s",
			  strerror(-err));
		return err;
	}
	/* without it the map stays this object's own, empty, and the program never reads it */
	s->rodata->kvm_on = false;
	if (ss->kvm_pending_fd >= 0) {
		if (bpf_map__reuse_fd(s->maps.kvm_pending, ss->kvm_pending_fd))
			vp_debug("stacks: KVM exit state not shared: samples in exits not tagged");
		else
			s->rodata->kvm_on = true;
	}
	return 0;
}

static void *open_(void)
{
	return stacks_bpf__open();
}

static int load_(void *s)
{
	return stacks_bpf__load(s);
}

static void destroy_(void *s)
{
	stacks_bpf__destroy(s);
}

/* The exec hook by the skeleton; the sampling program to perf events by attach_cpus. */
static int attach_(void *skel)
{
	return stacks_bpf__attach(skel);
}

/* One CPU-clock event per online CPU, each running the program. */
static int attach_cpus(struct stack_sampler *ss)
{
	struct stacks_bpf *s = ss->skel;
	int attached = 0, err = 0;

	for (int cpu = 0; cpu < ss->ncpu; cpu++) {
		struct perf_event_attr pa = {
			.type = PERF_TYPE_SOFTWARE,
			.size = sizeof(pa),
			.config = PERF_COUNT_SW_CPU_CLOCK,
			/* a fixed period, not freq mode: the kernel never retunes it, every CPU ticks
			 * exactly hz times a second, idle or not */
			.sample_period = NSEC_PER_SEC / ss->hz,
		};
		int fd = syscall(__NR_perf_event_open, &pa, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0) {
			if (errno == ENODEV)
				continue; /* offline CPU */
			err = -errno;
			vp_na_set(ss->why, vp_na_code_of_errno(errno),
				  "perf_event_open (CPU clock, CPU %d): %s", cpu, strerror(errno));
			break;
		}
		ss->pfd[cpu] = fd;
		ss->links[cpu] = bpf_program__attach_perf_event(s->progs.sample, fd);
		if (!ss->links[cpu]) {
			err = -errno;
			vp_na_set(ss->why, vp_na_code_of_errno(errno),
				  "attach to the perf event on CPU %d: %s", cpu, strerror(errno));
			break;
		}
		attached++;
	}
	if (!err && !attached) {
		err = -ENODEV;
		vp_na_set(ss->why, VP_NA_KERNEL, "no online CPU took a perf event");
	}
	if (err) {
		for (int cpu = 0; cpu < ss->ncpu; cpu++) {
			bpf_link__destroy(ss->links[cpu]);
			ss->links[cpu] = NULL;
			if (ss->pfd[cpu] >= 0)
				close(ss->pfd[cpu]);
			ss->pfd[cpu] = -1;
		}
	}
	return err;
}

static const struct probe_obj_ops stacks_ops = {
	.what = "stack sampling",
	.optional = true,
	.open = open_,
	.configure = configure,
	.load = load_,
	.attach = attach_,
	.destroy = destroy_,
};

static void read_drops(struct stack_sampler *s, uint64_t *out)
{
	size_t n = (size_t)s->ncpu;
	uint64_t *v = calloc(n, sizeof(*v));

	memset(out, 0, VP_STACK_DROP_ALL * sizeof(*out));
	if (!v)
		return;
	for (uint32_t k = 0; k < VP_STACK_DROP_ALL; k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.drops), &k, v))
			continue;
		for (size_t c = 0; c < n; c++)
			out[k] += v[c];
	}
	free(v);
}

/* The second reads that are due (or the oldest one, due or not); the announcing thread only. */
static void reread_due(struct stack_sampler *s, bool oldest)
{
	uint64_t now = now_mono_ns();

	while (s->again_n) {
		unsigned int i = s->again_head;

		if (!oldest && s->again[i].due > now)
			break;
		oldest = false;
		pthread_mutex_lock(&s->lock);
		sym_proc_refresh(s->sym, s->again[i].tgid);
		pthread_mutex_unlock(&s->lock);
		s->again_head = (i + 1) % REREAD_SLOTS;
		s->again_n--;
	}
}

static int on_new_proc(void *ctx, void *data, size_t len)
{
	struct stack_sampler *s = ctx;
	uint32_t tgid;

	if (len < sizeof(uint32_t))
		return 0;
	tgid = *(uint32_t *)data;
	pthread_mutex_lock(&s->lock);
	sym_proc_refresh(s->sym, tgid);
	pthread_mutex_unlock(&s->lock);
	if (s->again_n == REREAD_SLOTS)
		reread_due(s, true);
	s->again[(s->again_head + s->again_n) % REREAD_SLOTS].tgid = tgid;
	s->again[(s->again_head + s->again_n) % REREAD_SLOTS].due = now_mono_ns() + REREAD_NS;
	s->again_n++;
	return 0;
}

static void *rb_main(void *arg)
{
	struct stack_sampler *s = arg;

	while (!s->rb_stop) {
		if (ring_buffer__poll(s->rb, 50) < 0 && errno != EINTR)
			break;
		reread_due(s, false);
	}
	return NULL;
}

static int start_announcer(struct stack_sampler *s)
{
	sigset_t all, old;
	int err;

	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.new_procs), on_new_proc, s, NULL);
	if (!s->rb)
		return -errno;
	/* signals stay with the session loop */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = -pthread_create(&s->rb_thread, NULL, rb_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	s->rb_running = !err;
	return err;
}

int stack_sampler_open(struct stack_sampler **out, int cpu_state_fd, int kvm_pending_fd,
		       unsigned int hz, struct vp_na *why)
{
	struct stack_sampler *s = calloc(1, sizeof(*s));
	int err;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->hz = hz ? hz : STACK_DEFAULT_HZ;
	s->why = why;
	s->ncpu = libbpf_num_possible_cpus();
	s->pfd = calloc(s->ncpu > 0 ? s->ncpu : 1, sizeof(*s->pfd));
	s->links = calloc(s->ncpu > 0 ? s->ncpu : 1, sizeof(*s->links));
	s->sym = symbolizer_new();
	intern_init(&s->stacks);
	pthread_mutex_init(&s->lock, NULL);
	if (s->ncpu <= 0 || !s->pfd || !s->links || !s->sym) {
		stack_sampler_close(s);
		return -ENOMEM;
	}
	for (int i = 0; i < s->ncpu; i++)
		s->pfd[i] = -1;
	vp_na_set(why, VP_NA_OTHER, "stack sampling programs did not load (-v says why)");
	if (cpu_state_fd < 0) {
		vp_na_set(why, VP_NA_OTHER,
			  "CPU accounting not loaded: its per-CPU state gives the context");
		stack_sampler_close(s);
		return -ENOENT;
	}
	s->cpu_state_fd = cpu_state_fd;
	s->kvm_pending_fd = kvm_pending_fd;
	err = probe_open_fallback(&stacks_ops, s, (void **)&s->skel, NULL);
	if (err) {
		stack_sampler_close(s);
		return err;
	}
	err = start_announcer(s);
	if (err)
		vp_na_set(why, vp_na_code_of_errno(err), "ring buffer for new processes: %s",
			  strerror(-err));
	if (!err)
		err = attach_cpus(s);
	if (err) {
		stack_sampler_close(s);
		return err;
	}
	read_drops(s, s->drops_prev);
	*out = s;
	return 0;
}

void stack_sampler_close(struct stack_sampler *s)
{
	if (!s)
		return;
	for (int cpu = 0; s->links && cpu < s->ncpu; cpu++)
		bpf_link__destroy(s->links[cpu]);
	if (s->rb_running) {
		s->rb_stop = true;
		pthread_join(s->rb_thread, NULL);
	}
	ring_buffer__free(s->rb);
	for (int cpu = 0; s->pfd && cpu < s->ncpu; cpu++)
		if (s->pfd[cpu] >= 0)
			close(s->pfd[cpu]);
	if (s->skel)
		stacks_bpf__destroy(s->skel);
	free(s->links);
	free(s->pfd);
	symbolizer_free(s->sym);
	intern_free(&s->stacks);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

struct bpf_object *stack_sampler_object(struct stack_sampler *s)
{
	return s && s->skel ? s->skel->obj : NULL;
}

unsigned int stack_sampler_hz(const struct stack_sampler *s)
{
	return s->hz;
}

double stack_sampler_sym_seconds(struct stack_sampler *s)
{
	double v;

	pthread_mutex_lock(&s->lock);
	v = sym_seconds(s->sym);
	pthread_mutex_unlock(&s->lock);
	return v;
}

size_t stack_sampler_sym_bytes(struct stack_sampler *s)
{
	size_t v;

	pthread_mutex_lock(&s->lock);
	v = sym_bytes(s->sym) + s->stacks.bytes;
	pthread_mutex_unlock(&s->lock);
	return v;
}

void stack_batch_free(struct stack_batch *b)
{
	free(b->rows);
	memset(b, 0, sizeof(*b));
}

/* Frames of stack id `id` of map fd, leaf first; 0 when the id is unknown. */
static int read_stack(int fd, int id, uint64_t *ips)
{
	int n = 0;

	if (id < 0 || bpf_map_lookup_elem(fd, &id, ips))
		return 0;
	while (n < VP_STACK_DEPTH && ips[n])
		n++;
	return n;
}

/* A growing string for one folded stack; out of memory sticks (oom): the stack is not kept. */
struct fbuf {
	char *p;
	size_t len;
	int cap;
	bool oom;
};

static void fb_add(struct fbuf *b, const char *frame)
{
	size_t l = strlen(frame);
	char *p;

	if (b->oom)
		return;
	p = array_reserve(b->p, &b->cap, b->len + l + 2, 1);
	if (!p) {
		b->oom = true;
		return;
	}
	b->p = p;
	if (b->len)
		b->p[b->len++] = ';';
	memcpy(b->p + b->len, frame, l);
	b->len += l;
	b->p[b->len] = 0;
}

/*
 * Folded stack of one key: user frames root to leaf, then kernel frames root to leaf.  NULL when
 * memory ran out: never a stack with frames missing (the caller counts its samples lost).
 */
static const char *fold(struct stack_sampler *s, const struct vp_stack_key *k, int sfd,
			uint64_t *ips, uint64_t *truncated, uint64_t count)
{
	struct fbuf b = { 0 };
	uint64_t deep = 0;
	const char *out;
	int n;

	if (k->ctx == VP_SCTX_IDLE)
		return intern(&s->stacks, "[idle]", NULL);
	if (k->tgid) {
		n = read_stack(sfd, k->ustack, ips);
		if (n == VP_STACK_DEPTH)
			deep += count;
		if (n) {
			for (int i = n - 1; i >= 0; i--)
				fb_add(&b, sym_user(s->sym, k->tgid, ips[i], i > 0));
		} else if (k->uip) {
			/* no walkable user stack (no frame pointers, or not recorded): the leaf */
			fb_add(&b, sym_user(s->sym, k->tgid, k->uip, 0));
		}
	}
	n = read_stack(sfd, k->kstack, ips);
	if (n == VP_STACK_DEPTH)
		deep += count;
	for (int i = n - 1; i >= 0; i--)
		fb_add(&b, sym_kernel(s->sym, ips[i]));
	out = b.oom ? NULL : intern(&s->stacks, b.len ? b.p : "[unknown]", NULL);
	free(b.p);
	if (out)
		*truncated += deep;
	return out;
}

int stack_sampler_drain(struct stack_sampler *s, struct stack_batch *b)
{
	int cfd = bpf_map__fd(s->skel->maps.counts);
	uint32_t old = s->skel->bss->gen & 1;
	struct drained {
		struct vp_stack_key k;
		uint64_t count;
	} *ks = NULL, *nk;
	struct vp_stack_key k, next, *pk = NULL;
	uint64_t drops[VP_STACK_DROP_ALL];
	int sfd, n = 0, cap = 0, err = 0;
	uint64_t *ips;

	memset(b, 0, sizeof(*b));
	ips = calloc(VP_STACK_DEPTH, sizeof(*ips));
	if (!ips)
		return -ENOMEM;
	sfd = bpf_map__fd(old ? s->skel->maps.stacks1 : s->skel->maps.stacks0);
	pthread_mutex_lock(&s->lock);
	sym_new_epoch(s->sym);
	/* the last batch's stacks are the caller's no more (its profile copied them) */
	intern_free(&s->stacks);
	intern_init(&s->stacks);
	/* the programs write the other generation from now on */
	__atomic_store_n(&s->skel->bss->gen, old ^ 1, __ATOMIC_SEQ_CST);
	while (!bpf_map_get_next_key(cfd, pk, &next)) {
		k = next;
		pk = &k;
		if (k.gen != old)
			continue;
		nk = array_grow(ks, &cap, n, sizeof(*ks));
		if (!nk) {
			err = -ENOMEM;
			break;
		}
		ks = nk;
		if (bpf_map_lookup_elem(cfd, &k, &ks[n].count))
			continue;
		ks[n++].k = k;
	}
	for (int i = 0; i < n; i++)
		bpf_map_delete_elem(cfd, &ks[i].k);
	for (int i = 0; i < n && !err; i++) {
		const struct vp_stack_key *key = &ks[i].k;
		uint64_t count = ks[i].count;
		struct stack_row *r = array_grow(b->rows, &b->cap, b->n, sizeof(*r));

		if (!r) {
			err = -ENOMEM;
			break;
		}
		b->rows = r;
		if (key->tgid)
			sym_proc_seen(s->sym, key->tgid);
		r = &b->rows[b->n];
		r->stack = fold(s, key, sfd, ips, &b->truncated, count);
		if (!r->stack) {
			/* out of memory: its samples lost, as a full map's are */
			b->lost += count;
			continue;
		}
		b->n++;
		r->tid = key->tid;
		r->tgid = key->tgid;
		r->attr_key = key->tid ? key->tid : VP_IDLE_KEY_BASE + key->cpu;
		r->ctx = key->ctx;
		r->count = count;
		r->in_exit = key->in_exit;
		r->exit_isa = key->exit_isa;
		r->exit_reason = key->exit_reason;
		r->exit_rip = key->exit_rip;
		b->samples += count;
	}
	pthread_mutex_unlock(&s->lock);
	/* the old generation's stacks are all read: clear its map for its next turn */
	{
		uint32_t id, nid, *pid = NULL, *ids = NULL;
		int nids = 0, capids = 0;

		while (!bpf_map_get_next_key(sfd, pid, &nid)) {
			uint32_t *p = array_grow(ids, &capids, nids, sizeof(*ids));

			if (!p)
				break;
			ids = p;
			ids[nids++] = nid;
			id = nid;
			pid = &id;
		}
		for (int i = 0; i < nids; i++)
			bpf_map_delete_elem(sfd, &ids[i]);
		free(ids);
	}
	read_drops(s, drops);
	for (int i = 0; i < VP_STACK_DROP_ALL; i++) {
		if (i < VP_STACK_DROP_MAX)
			b->lost += drops[i] - s->drops_prev[i];
		else if (drops[i] != s->drops_prev[i])
			vp_debug("stacks: %llu new processes not announced (ring buffer full)",
				 (unsigned long long)(drops[i] - s->drops_prev[i]));
		s->drops_prev[i] = drops[i];
	}
	free(ks);
	free(ips);
	return err;
}
