// SPDX-License-Identifier: GPL-2.0
/* Block I/O section: cumulative per-CPU counters from bpf/block.bpf.c, read as deltas. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "block.skel.h"
#include "io/block.h"
#include "probe/features.h"
#include "probe/probe.h"
#include "sys/util.h"

const char *blockio_op_name(unsigned int op)
{
	switch (op) {
	case 0:
		return "read";
	case 1:
		return "write";
	case 2:
		return "flush";
	case 3:
		return "discard";
	case 5:
		return "secure_erase";
	case 9:
		return "write_zeroes";
	default:
		return "other";
	}
}

uint64_t blockio_hist_pct(const uint64_t *hist, int nb, double pct)
{
	uint64_t total = 0, seen = 0;

	for (int i = 0; i < nb; i++)
		total += hist[i];
	if (!total)
		return 0;
	for (int i = 0; i < nb; i++) {
		seen += hist[i];
		if (seen * 100.0 >= pct * total)
			return 2ULL << i; /* bucket i holds [2^i, 2^(i+1)) us (bucket 0: < 2 us) */
	}
	return 2ULL << (nb - 1);
}

void blockio_dev_name(unsigned int dev, char *buf, size_t len)
{
	unsigned int maj = dev >> 20, min = dev & 0xfffff;
	char path[96], *s, *p;

	snprintf(buf, len, "%u:%u", maj, min);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", maj, min);
	s = read_file(path, NULL);
	if (!s)
		return;
	p = strstr(s, "DEVNAME=");
	if (p) {
		p += 8;
		p[strcspn(p, "\n")] = 0;
		snprintf(buf, len, "%s", p);
	}
	free(s);
}

const char *blockio_submitter_role(const struct vp_blk_key *k)
{
	if ((k->flags & VP_BLK_WQ) && k->op == 1)
		return "writeback";
	if (k->flags & VP_BLK_KTHREAD)
		return "kthread";
	return "";
}

static int configure(void *skel, void *ctx, enum probe_flavour want)
{
	__typeof__(((struct block_bpf *)skel)->progs) *p = &((struct block_bpf *)skel)->progs;
	struct blockio *b = ctx;

	b->flavour = probe_pick(p->tp_block_bio_queue, p->raw_block_bio_queue, "block_bio_queue",
				"block", want);
	if (!b->flavour ||
	    !probe_pick(p->tp_block_bio_complete, p->raw_block_bio_complete, "block_bio_complete",
			"block", want) ||
	    !probe_pick(p->tp_block_rq_complete, p->raw_block_rq_complete, "block_rq_complete",
			"block", want)) {
		vp_debug("block tracepoints block_bio_queue/bio_complete/rq_complete not in this "
			 "kernel");
		return -ENOTSUP;
	}
	return 0;
}

PROBE_SKEL_WRAPPERS(block_bpf)

static const struct probe_obj_ops block_ops = {
	.what = "block",
	.optional = true,
	.configure = configure,
	PROBE_SKEL_OPS(block_bpf),
};

int blockio_open(struct blockio **out)
{
	struct blockio *b = calloc(1, sizeof(*b));
	int err;

	if (!b)
		return -ENOMEM;
	b->ncpu = libbpf_num_possible_cpus();
	/*
	 * block_bio_queue lost its request_queue argument in v5.11 and block_rq_complete's error
	 * became a blk_status_t in v4.13; only those shapes are handled.
	 */
	if (feature_tp_nargs("block_bio_queue") > 2 || feature_tp_nargs("block_rq_complete") > 4) {
		vp_debug("block tracepoints have an older signature; block section not supported");
		free(b);
		return -ENOTSUP;
	}
	err = probe_open_fallback(&block_ops, b, (void **)&b->skel, NULL);
	if (err) {
		blockio_close(b);
		return err;
	}
	*out = b;
	return 0;
}

void blockio_close(struct blockio *b)
{
	if (!b)
		return;
	block_bpf__destroy(b->skel);
	free(b->rows);
	free(b);
}

static struct blk_row *find_or_add(struct blockio *b, const struct vp_blk_key *k)
{
	return array_find_or_add((void **)&b->rows, &b->n, &b->cap, sizeof(*b->rows), k,
				 sizeof(*k));
}

/* Per-CPU values summed; lat_max is a maximum, comm the first non-empty. */
static void sum_stats(const void *vals, int ncpu, struct vp_blk_stats *s)
{
	size_t stride = (sizeof(*s) + 7) & ~(size_t)7;

	memset(s, 0, sizeof(*s));
	for (int c = 0; c < ncpu; c++) {
		const struct vp_blk_stats *v = (const void *)((const char *)vals + c * stride);

		s->ops += v->ops;
		s->bytes += v->bytes;
		s->errors += v->errors;
		s->lat_ns += v->lat_ns;
		if (v->lat_max_ns > s->lat_max_ns)
			s->lat_max_ns = v->lat_max_ns;
		for (int i = 0; i < VP_BLK_HIST; i++)
			s->hist[i] += v->hist[i];
		if (!s->comm[0] && v->comm[0])
			memcpy(s->comm, v->comm, sizeof(s->comm));
	}
}

/*
 * Forget in-flight entries older than a minute: a completion the tracepoints never reported (a
 * bio ended on a path without a completion event) must not hold its slot forever.
 */
static void purge_inflight(struct blockio *b)
{
	int fd = bpf_map__fd(b->skel->maps.blk_inflight);
	uint64_t now = now_mono_ns(), key, next, *prev = NULL;
	struct vp_blk_inflight in;

	if (now - b->last_purge_ns < 10 * NSEC_PER_SEC)
		return;
	b->last_purge_ns = now;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &in) == 0 && in.ts + 60 * NSEC_PER_SEC < now &&
		    bpf_map_delete_elem(fd, &key) == 0)
			b->purged++;
	}
}

/*
 * Keys include the submitting thread, so short-lived processes add keys for good.  When the map
 * is three quarters full, forget keys idle for ten minutes (an I/O completing in the instant of
 * the delete would be lost, hence the long idle time).
 */
static void prune_keys(struct blockio *b)
{
	int fd = bpf_map__fd(b->skel->maps.blk_stats);
	uint64_t now = now_mono_ns();
	int j = 0;

	if (b->n < VP_BLK_MAX_KEYS * 3 / 4)
		return;
	for (int i = 0; i < b->n; i++) {
		if (now - b->rows[i].active_ns > 600 * NSEC_PER_SEC) {
			bpf_map_delete_elem(fd, &b->rows[i].key);
			continue;
		}
		b->rows[j++] = b->rows[i];
	}
	b->n = j;
}

int blockio_collect(struct blockio *b)
{
	size_t stride = (sizeof(struct vp_blk_stats) + 7) & ~(size_t)7;
	int fd = bpf_map__fd(b->skel->maps.blk_stats);
	struct vp_blk_key k, next, *prev = NULL;
	void *vals = calloc(b->ncpu, stride);

	if (!vals)
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct vp_blk_stats s;
		struct blk_row *r;

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		sum_stats(vals, b->ncpu, &s);
		r = find_or_add(b, &k);
		if (!r)
			break;
		r->delta = s;
		r->delta.ops -= r->total.ops;
		r->delta.bytes -= r->total.bytes;
		r->delta.errors -= r->total.errors;
		r->delta.lat_ns -= r->total.lat_ns;
		for (int i = 0; i < VP_BLK_HIST; i++)
			r->delta.hist[i] -= r->total.hist[i];
		/* The maximum is since load; shown as the interval's only when it moved. */
		r->delta.lat_max_ns = s.lat_max_ns;
		r->total = s;
		if (r->delta.ops || !r->active_ns)
			r->active_ns = now_mono_ns();
	}
	free(vals);
	prune_keys(b);
	purge_inflight(b);
	{
		int dfd = bpf_map__fd(b->skel->maps.blk_drops);
		uint64_t per[VP_MAX_CPUS];

		for (__u32 i = 0; i < VP_BLK_DROP_MAX; i++) {
			uint64_t sum = 0;

			if (b->ncpu <= VP_MAX_CPUS && bpf_map_lookup_elem(dfd, &i, per) == 0)
				for (int c = 0; c < b->ncpu; c++)
					sum += per[c];
			b->drops_delta[i] = sum - b->drops[i];
			b->drops[i] = sum;
		}
	}
	return 0;
}

/* "2:5 16:40 1024:1": upper bound (us) of each non-empty log2 bucket and its count. */
void blockio_hist_str(const uint64_t *hist, int nb, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; i < nb && off < len; i++) {
		int n;

		if (!hist[i])
			continue;
		n = snprintf(buf + off, len - off, "%s%llu:%llu", off ? " " : "", 2ULL << i,
			     (unsigned long long)hist[i]);
		if (n < 0)
			break;
		off += n;
	}
}

void blockio_for_each_tid(const struct blockio *b, io_tid_fn fn, void *ctx)
{
	for (int i = 0; i < b->n; i++)
		if (b->rows[i].delta.ops && b->rows[i].key.tid)
			fn(ctx, b->rows[i].key.tid);
}

int blockio_view(const struct blockio *b, io_owner_fn owner, void *ctx, struct block_view *v)
{
	memset(v, 0, sizeof(*v));
	memcpy(v->drops, b->drops_delta, sizeof(v->drops));
	v->purged = b->purged;
	v->group = calloc(b->n ? b->n : 1, sizeof(*v->group));
	if (!v->group)
		return -ENOMEM;
	for (int i = 0; i < b->n; i++) {
		const struct blk_row *r = &b->rows[i];
		uint64_t cgid = (r->key.flags & VP_BLK_NO_BLKCG) || r->key.cgid <= 1 ? 0 :
										       r->key.cgid;
		char ent[sizeof(v->group->entity)] = "", role[sizeof(v->group->role)] = "";
		char dev[sizeof(v->group->dev)];
		struct blk_group *g = NULL;

		if (!r->delta.ops)
			continue;
		if (owner)
			owner(ctx, &(struct io_owner_key){ .tid = r->key.tid, .cgid = cgid }, ent,
			      sizeof(ent), role, sizeof(role));
		if (!ent[0]) {
			if (cgid)
				snprintf(ent, sizeof(ent), "cgroup:%llu", (unsigned long long)cgid);
			else
				snprintf(ent, sizeof(ent), "other:%.16s", r->delta.comm);
		}
		if (*blockio_submitter_role(&r->key))
			snprintf(role, sizeof(role), "%s", blockio_submitter_role(&r->key));
		blockio_dev_name(r->key.dev, dev, sizeof(dev));
		for (int j = 0; j < v->n; j++)
			if (!strcmp(v->group[j].entity, ent) && !strcmp(v->group[j].role, role) &&
			    !strcmp(v->group[j].dev, dev) && v->group[j].op == r->key.op &&
			    v->group[j].cgid == cgid)
				g = &v->group[j];
		if (!g) {
			g = &v->group[v->n++];
			snprintf(g->entity, sizeof(g->entity), "%s", ent);
			snprintf(g->role, sizeof(g->role), "%s", role);
			snprintf(g->dev, sizeof(g->dev), "%s", dev);
			g->op = r->key.op;
			g->cgid = cgid;
		}
		g->s.ops += r->delta.ops;
		g->s.bytes += r->delta.bytes;
		g->s.errors += r->delta.errors;
		g->s.lat_ns += r->delta.lat_ns;
		if (r->delta.lat_max_ns > g->s.lat_max_ns)
			g->s.lat_max_ns = r->delta.lat_max_ns;
		for (int h = 0; h < VP_BLK_HIST; h++)
			g->s.hist[h] += r->delta.hist[h];
	}
	return 0;
}

void block_view_free(struct block_view *v)
{
	free(v->group);
	v->group = NULL;
	v->n = 0;
}
