// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "account/self.h"
#include "io/block.h"
#include "io/kvmexit.h"
#include "io/netpath.h"
#include "io/iosec.h"
#include "session/totals.h"
#include "sys/procfs.h"
#include "sys/util.h"

/* Candidates of `other` kept for ranking; a name beyond them goes to the remainder. */
#define MAX_OTHER_CANDIDATES 4096
/* A name outside the top N replaces the weakest one only when twice as busy: no flapping. */
#define OTHER_SWAP_FACTOR 2.0
/* Scores halve every 10 intervals: the ranking follows recent CPU, not lifetime CPU. */
#define OTHER_DECAY 0.933

static void read_steal(struct totals *t);

const char *totals_kind_of(const char *entity)
{
	if (!strncmp(entity, "vm:", 3))
		return "vm";
	if (!strncmp(entity, "ctr:", 4))
		return "container";
	if (!strncmp(entity, "pod:", 4))
		return "pod";
	if (!strcmp(entity, ENTITY_LOADGEN))
		return ENTITY_LOADGEN;
	if (!strcmp(entity, ENTITY_PROFILER))
		return ENTITY_PROFILER;
	return "other";
}

void totals_init(struct totals *t, int top_other, uint64_t grace_ns)
{
	memset(t, 0, sizeof(*t));
	t->top_other = top_other;
	t->grace_ns = grace_ns;
	t->t0_mono = now_mono_ns();
	t->t0_real = now_real_ns();
	t->bpf_ns = -1;
	t->last_coverage_pct = NAN;
	t->nsteal = -1;
	t->clk_tck = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
	read_steal(t); /* the baseline: steal is counted from the agent's start */
}

void totals_free(struct totals *t)
{
	free(t->steal0);
	free(t->steal);
	free(t->cpu);
	free(t->other);
	free(t->net);
	free(t->blk);
	free(t->kvm);
	free(t->prog);
	memset(t, 0, sizeof(*t));
}

/* Remove element i of an array of n elements of size sz (order is not kept). */
static void remove_at(void *arr, int *n, size_t sz, int i)
{
	char *a = arr;

	if (i != *n - 1)
		memcpy(a + (size_t)i * sz, a + (size_t)(*n - 1) * sz, sz);
	(*n)--;
}

/* Drop the series whose seen_ns (at byte offset off) is older than the grace period. */
static void expire(struct totals *t, void *arr, int *n, size_t sz, size_t off, uint64_t now)
{
	for (int i = 0; i < *n;) {
		uint64_t seen;

		memcpy(&seen, (char *)arr + (size_t)i * sz + off, sizeof(seen));
		if (now - seen > t->grace_ns) {
			remove_at(arr, n, sz, i);
			t->evicted++;
			continue;
		}
		i++;
	}
}

static bool live_target(const struct targets *ts, const char *entity)
{
	for (int i = 0; i < ts->n; i++)
		if (!ts->t[i].gone && !strcmp(ts->t[i].entity, entity))
			return true;
	return false;
}

static struct tot_cpu *cpu_series(struct totals *t, const struct capture *c, const char *entity,
				  const char *role, int tindex)
{
	struct tot_cpu key = {}, *s;

	snprintf(key.key.entity, sizeof(key.key.entity), "%s", entity);
	snprintf(key.key.role, sizeof(key.key.role), "%s", role);
	s = array_find_or_add((void **)&t->cpu, &t->ncpu, &t->capcpu, sizeof(*t->cpu), &key.key,
			      sizeof(key.key));
	if (s && !s->seen_ns) {
		s->tindex = tindex;
		if (tindex >= 0 && tindex < c->targets.n)
			snprintf(s->target, sizeof(s->target), "%s", c->targets.t[tindex].name);
	}
	return s;
}

static void drop_cpu_series(struct totals *t, const char *entity, const char *role)
{
	for (int i = 0; i < t->ncpu; i++) {
		if (!strcmp(t->cpu[i].key.entity, entity) && !strcmp(t->cpu[i].key.role, role)) {
			remove_at(t->cpu, &t->ncpu, sizeof(*t->cpu), i);
			t->evicted++;
			return;
		}
	}
}

static struct tot_other *other_find(struct totals *t, const char *name)
{
	for (int i = 0; i < t->nother; i++)
		if (!strcmp(t->other[i].name, name))
			return &t->other[i];
	return NULL;
}

/*
 * Rank `other` by decayed CPU and decide which names have a series of their own this interval:
 * free places go to the busiest; a name outside replaces the weakest named one only when it is
 * OTHER_SWAP_FACTOR times busier.  The name pushed out loses its series at once (the bound holds);
 * what it runs from now on goes to the remainder.
 */
static int rank_other(struct totals *t, const struct agg *a, uint64_t now)
{
	int named = 0;

	for (int i = 0; i < t->nother; i++)
		t->other[i].score *= OTHER_DECAY;
	for (int i = 0; i < a->n; i++) {
		const struct agg_row *r = &a->rows[i];
		struct tot_other *o;

		if (strcmp(r->entity, "other"))
			continue;
		o = other_find(t, r->role);
		if (!o) {
			if (t->nother >= MAX_OTHER_CANDIDATES)
				continue;
			o = array_push((void **)&t->other, &t->nother, &t->capother, sizeof(*o));
			if (!o)
				return -ENOMEM;
			snprintf(o->name, sizeof(o->name), "%s", r->role);
		}
		o->score += stats_busy_ns(&r->st);
		o->seen_ns = now;
	}
	for (int i = 0; i < t->nother;) {
		struct tot_other *o = &t->other[i];

		if (now - o->seen_ns > t->grace_ns) {
			if (o->named)
				drop_cpu_series(t, "other", o->name);
			remove_at(t->other, &t->nother, sizeof(*t->other), i);
			continue;
		}
		named += o->named;
		i++;
	}
	for (int guard = 0; guard <= t->top_other; guard++) {
		struct tot_other *best = NULL, *weak = NULL;

		for (int i = 0; i < t->nother; i++) {
			struct tot_other *o = &t->other[i];

			if (!o->named && o->score > 0 && (!best || o->score > best->score))
				best = o;
			if (o->named && (!weak || o->score < weak->score))
				weak = o;
		}
		if (!best)
			break;
		if (named < t->top_other) {
			best->named = true;
			named++;
			continue;
		}
		if (!weak || best->score <= OTHER_SWAP_FACTOR * weak->score)
			break;
		weak->named = false;
		drop_cpu_series(t, "other", weak->name);
		best->named = true;
	}
	return 0;
}

static int add_cpu(struct totals *t, const struct capture *c, const struct agg *a, uint64_t now)
{
	int err = t->top_other >= 0 ? rank_other(t, a, now) : 0;

	if (err)
		return err;
	for (int i = 0; i < a->n; i++) {
		const struct agg_row *r = &a->rows[i];
		const char *role = r->role;
		struct tot_cpu *s;

		if (!strcmp(r->entity, "other")) {
			const struct tot_other *o = other_find(t, r->role);

			if (!o || !o->named)
				role = TOTALS_OTHER_REST;
		}
		s = cpu_series(t, c, r->entity, role, r->target);
		if (!s)
			return -ENOMEM;
		s->task_ns += r->st.task_ns;
		s->hardirq_ns += r->st.hardirq_ns;
		for (int v = 0; v < VP_NR_SOFTIRQS; v++)
			s->softirq_ns[v] += r->st.softirq_ns[v];
		s->rq_delay_ns += r->st.rq_delay_ns;
		s->nr_rq += r->st.nr_rq;
		s->nvcsw += r->st.nvcsw;
		s->nivcsw += r->st.nivcsw;
		s->seen_ns = now;
	}
	for (int i = 0; i < t->ncpu; i++)
		if (live_target(&c->targets, t->cpu[i].key.entity))
			t->cpu[i].seen_ns = now;
	expire(t, t->cpu, &t->ncpu, sizeof(*t->cpu), offsetof(struct tot_cpu, seen_ns), now);
	return 0;
}

static bool net_moved(const struct vp_net_stats *s)
{
	return s->rx_pkts || s->tx_pkts || s->sirq_ns[0] || s->sirq_ns[1] || s->proc_ns;
}

static int add_net(struct totals *t, struct capture *c, uint64_t now)
{
	struct netpath *np = c->io ? iosec_net(c->io) : NULL;

	for (int i = 0; np && i < np->ndev; i++) {
		const struct net_dev *d = &np->devs[i];
		struct tot_net key = {}, *s;

		if (!net_moved(&d->delta))
			continue;
		netpath_owner(np, d, capture_io_owner, c, key.key.owner, sizeof(key.key.owner));
		key.key.netns = d->info.key.netns;
		key.key.ifindex = d->info.key.ifindex;
		snprintf(key.key.dev, sizeof(key.key.dev), "%s", d->have_info ? d->info.name : "?");
		if (d->kind == NET_TAP)
			snprintf(key.key.vhost, sizeof(key.key.vhost), "%s",
				 vhost_mode_name(d->vhost));
		s = array_find_or_add((void **)&t->net, &t->nnet, &t->capnet, sizeof(*t->net),
				      &key.key, sizeof(key.key));
		if (!s)
			return -ENOMEM;
		s->kind = net_kind_name(d->kind);
		s->rx_pkts += d->delta.rx_pkts;
		s->rx_bytes += d->delta.rx_bytes;
		s->tx_pkts += d->delta.tx_pkts;
		s->tx_bytes += d->delta.tx_bytes;
		s->sirq_ns[0] += d->delta.sirq_ns[0];
		s->sirq_ns[1] += d->delta.sirq_ns[1];
		s->proc_ns += d->delta.proc_ns;
		s->proc_pkts += d->delta.proc_pkts;
		s->seen_ns = now;
	}
	if (np)
		for (int k = 0; k < VP_NET_DROP_MAX; k++)
			t->net_drops[k] += np->drops_delta[k];
	expire(t, t->net, &t->nnet, sizeof(*t->net), offsetof(struct tot_net, seen_ns), now);
	return 0;
}

/*
 * Block I/O per owner, device and op.  `other` is one owner here (the CPU series rank process
 * names; a per-name block series would be unbounded), labelled with the submitter's kind.
 */
static int add_block(struct totals *t, struct capture *c, uint64_t now)
{
	struct blockio *b = c->io ? iosec_block(c->io) : NULL;

	for (int i = 0; b && i < b->n; i++) {
		const struct blk_row *r = &b->rows[i];
		uint64_t cgid = (r->key.flags & VP_BLK_NO_BLKCG) || r->key.cgid <= 1 ? 0 :
										       r->key.cgid;
		struct tot_blk key = {}, *s;

		if (!r->delta.ops)
			continue;
		char ent[ENTITY_LEN] = "", role[ROLE_LEN] = "";

		capture_io_owner(c, &(struct io_owner_key){ .tid = r->key.tid, .cgid = cgid }, ent,
				 sizeof(ent), role, sizeof(role));
		if (!ent[0] || !strcmp(ent, "other"))
			snprintf(role, sizeof(role), "%s", TOTALS_OTHER_REST);
		if (*blockio_submitter_role(&r->key))
			snprintf(role, sizeof(role), "%s", blockio_submitter_role(&r->key));
		snprintf(key.key.entity, sizeof(key.key.entity), "%s", ent[0] ? ent : "other");
		snprintf(key.key.role, sizeof(key.key.role), "%s", role);
		blockio_dev_name(r->key.dev, key.key.dev, sizeof(key.key.dev));
		snprintf(key.key.op, sizeof(key.key.op), "%s", blockio_op_name(r->key.op));
		s = array_find_or_add((void **)&t->blk, &t->nblk, &t->capblk, sizeof(*t->blk),
				      &key.key, sizeof(key.key));
		if (!s)
			return -ENOMEM;
		s->ops += r->delta.ops;
		s->bytes += r->delta.bytes;
		s->errors += r->delta.errors;
		s->lat_ns += r->delta.lat_ns;
		for (int h = 0; h < VP_BLK_HIST; h++)
			s->hist[h] += r->delta.hist[h];
		s->seen_ns = now;
	}
	if (b)
		for (int k = 0; k < VP_BLK_DROP_MAX; k++)
			t->blk_drops[k] += b->drops_delta[k];
	expire(t, t->blk, &t->nblk, sizeof(*t->blk), offsetof(struct tot_blk, seen_ns), now);
	return 0;
}

static struct tot_kvm *kvm_series(struct totals *t, struct capture *c, uint32_t tid,
				  const char *thread, const char *reason)
{
	struct tot_kvm key = {};
	char role[ROLE_LEN];

	capture_io_owner(c, &(struct io_owner_key){ .tid = tid }, key.key.entity,
			 sizeof(key.key.entity), role, sizeof(role));
	snprintf(key.key.thread, sizeof(key.key.thread), "%s", thread);
	snprintf(key.key.reason, sizeof(key.key.reason), "%s", reason);
	return array_find_or_add((void **)&t->kvm, &t->nkvm, &t->capkvm, sizeof(*t->kvm), &key.key,
				 sizeof(key.key));
}

static int add_kvm(struct totals *t, struct capture *c, uint64_t now)
{
	struct kvmexit *k = c->io ? iosec_kvm(c->io) : NULL;

	for (int i = 0; k && i < k->n; i++) {
		const struct kvm_row *r = &k->rows[i];
		const struct vp_kvm_stats *d = &r->delta;
		struct tot_kvm *s;

		if (!d->pio[0] && !d->pio[1] && !d->mmio[0] && !d->mmio[1] && !d->mmio[2] &&
		    !d->exits)
			continue;
		s = kvm_series(t, c, r->key.tid, r->total.comm, "");
		if (!s)
			return -ENOMEM;
		s->pio_in += d->pio[0];
		s->pio_out += d->pio[1];
		s->mmio_read += d->mmio[0] + d->mmio[1];
		s->mmio_write += d->mmio[2];
		s->exits += d->exits;
		s->handle_ns += d->handle_ns;
		s->seen_ns = now;
	}
	for (int i = 0; k && i < k->nr; i++) {
		const struct kvm_reason_row *r = &k->reasons[i];
		const char *name = kvmexit_reason_name(r->key.isa, r->key.reason);
		char buf[32];
		struct tot_kvm *s;

		if (!r->delta.count)
			continue;
		if (!name) {
			snprintf(buf, sizeof(buf), "%s_%u", r->key.isa == 1 ? "vmx" : "svm",
				 r->key.reason);
			name = buf;
		}
		s = kvm_series(t, c, r->key.tid, "", name);
		if (!s)
			return -ENOMEM;
		s->exits += r->delta.count;
		s->handle_ns += r->delta.handle_ns;
		s->seen_ns = now;
	}
	if (k)
		for (int j = 0; j < VP_KVM_DROP_MAX; j++)
			t->kvm_drops[j] += k->drops_delta[j];
	expire(t, t->kvm, &t->nkvm, sizeof(*t->kvm), offsetof(struct tot_kvm, seen_ns), now);
	return 0;
}

static int add_progs(struct totals *t, const struct capture *c)
{
	if (!c->stats_on)
		return 0;
	for (int i = 0; i < c->nprogs; i++) {
		const struct prog_cost *p = &c->progs[i];
		struct tot_prog key = {}, *s;

		snprintf(key.name, sizeof(key.name), "%s", p->name);
		s = array_find_or_add((void **)&t->prog, &t->nprog, &t->capprog, sizeof(*t->prog),
				      key.name, sizeof(key.name));
		if (!s)
			return -ENOMEM;
		s->run_ns += p->d_ns;
		s->run_cnt += p->d_cnt;
	}
	return 0;
}

static void read_steal(struct totals *t)
{
	int max = ncpus_online() + 64;
	uint64_t *now = calloc(max, sizeof(*now));
	char *text = read_file("/proc/stat", NULL);
	int n = text && now ? proc_parse_steal(text, now, max) : 0;

	free(text);
	if (n <= 0) {
		free(now);
		return;
	}
	if (t->nsteal < 0) {
		t->steal0 = now;
		t->steal = calloc(max, sizeof(*now));
		t->nsteal = t->steal ? n : -1;
		return;
	}
	for (int i = 0; i < n && i < t->nsteal; i++)
		if (now[i] >= t->steal0[i] && now[i] - t->steal0[i] > t->steal[i])
			t->steal[i] = now[i] - t->steal0[i];
	free(now);
}

static void read_self(struct totals *t)
{
	struct rusage ru;
	uint64_t pages[2];
	char *s = read_file("/proc/self/statm", NULL);

	if (!getrusage(RUSAGE_SELF, &ru)) {
		t->self_utime_ns =
			ru.ru_utime.tv_sec * NSEC_PER_SEC + ru.ru_utime.tv_usec * 1000ULL;
		t->self_stime_ns =
			ru.ru_stime.tv_sec * NSEC_PER_SEC + ru.ru_stime.tv_usec * 1000ULL;
	}
	if (s && sscanf(s, "%lu %lu", &pages[0], &pages[1]) == 2)
		t->self_rss_bytes = pages[1] * (uint64_t)sysconf(_SC_PAGESIZE);
	free(s);
}

int totals_add(struct totals *t, struct capture *c, const struct capture_interval *ci)
{
	const struct interval *iv = &ci->iv;
	uint64_t now = iv->mono_end_ns;
	int err;

	t->intervals++;
	t->last_interval_ns = iv->mono_end_ns - iv->mono_start_ns;
	t->last_end_real_ns = iv->real_end_ns;
	t->busy_ns += iv->busy_ns;
	t->idle_ns += iv->idle_ns;
	t->span_ns += iv->span_ns;
	t->last_coverage_pct = coverage_pct(iv->busy_ns, iv->idle_ns, iv->steal_ns, iv->span_ns);
	if (ci->bpf_ns >= 0)
		t->bpf_ns = (t->bpf_ns < 0 ? 0 : t->bpf_ns) + ci->bpf_ns;
	for (int k = 0; k < VP_DROP_MAX; k++)
		t->drops[k] += iv->drops[k];
	if ((err = add_cpu(t, c, &ci->agg, now)) || (err = add_net(t, c, now)) ||
	    (err = add_block(t, c, now)) || (err = add_kvm(t, c, now)) || (err = add_progs(t, c)))
		return err;
	read_steal(t);
	read_self(t);
	return 0;
}
