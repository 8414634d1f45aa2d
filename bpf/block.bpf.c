// SPDX-License-Identifier: GPL-2.0
/*
 * Block I/O: ops, bytes and a latency histogram per (owner cgroup, submitting thread, device, op).
 *
 * block_bio_queue fires once per bio in the submitter's context (submit_bio_noacct_nocheck sets
 * BIO_TRACE_COMPLETION), so the submitter, the bio's blkcg and its size are recorded there.
 * Completion: on request-based (blk-mq) devices blk_update_request() clears that flag ("already
 * traced") and only block_rq_complete fires, with the number of bytes completed; the bios of the
 * request that those bytes cover are completed there.  Bio-based devices (dm, md) fire
 * block_bio_complete in bio_endio.  The
 * owner cgroup is the blkcg the kernel attached to the bio (bio->bi_blkg): on a hybrid layout
 * that is the v1 blkio hierarchy's cgroup when blkio is mounted on v1, else the v2 one.
 *
 * Counters are per-CPU and cumulative: userspace takes deltas.
 */
#include <vmlinux.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core_fixes.bpf.h"
#include "maps.bpf.h"
#include "virtprof.h"

char LICENSE[] SEC("license") = "GPL";

/* An I/O whose completion is never traced is purged by userspace after a minute. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VP_BLK_MAX_INFLIGHT);
	__type(key, __u64); /* struct bio * */
	__type(value, struct vp_blk_inflight);
} blk_inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, VP_BLK_MAX_KEYS);
	__type(key, struct vp_blk_key);
	__type(value, struct vp_blk_stats);
} blk_stats SEC(".maps");

VP_DROPS_MAP(blk_drops, VP_BLK_DROP_MAX);

static __always_inline void drop(enum vp_blk_drop why)
{
	vp_count(&blk_drops, why);
}

/* bio::bi_disk + bi_partno until v5.12, when struct bio got a block_device pointer (bi_bdev). */
struct bio___old {
	struct gendisk *bi_disk;
	u8 bi_partno;
} __attribute__((preserve_access_index));

static __always_inline __u32 bio_dev(struct bio *bio)
{
	if (bpf_core_field_exists(bio->bi_bdev))
		return BPF_CORE_READ(bio, bi_bdev, bd_dev);
	{
		struct bio___old *o = (void *)bio;
		__u32 major = BPF_CORE_READ(o, bi_disk, major);
		__u32 minor = BPF_CORE_READ(o, bi_disk, first_minor) + BPF_CORE_READ(o, bi_partno);

		return major << 20 | minor;
	}
}

/* The blkcg's cgroup id; 0 without CONFIG_BLK_CGROUP or when the bio has no blkg. */
static __always_inline __u64 bio_cgid(struct bio *bio)
{
	if (!bpf_core_field_exists(bio->bi_blkg))
		return 0;
	return BPF_CORE_READ(bio, bi_blkg, blkcg, css.cgroup, kn, id);
}

/* REQ_META's bit: 12 since v4.10 (REQ_OP_BITS 8, then FAILFAST x3, SYNC, META), read by CO-RE. */
static __always_inline __u32 req_meta(void)
{
	if (bpf_core_enum_value_exists(enum req_flag_bits, __REQ_META))
		return 1u << bpf_core_enum_value(enum req_flag_bits, __REQ_META);
	return 1u << 12;
}

/* What block_bio_queue needs from a bio, read directly (tp_btf) or with CO-RE probes (raw_tp). */
struct blk_facts {
	__u64 cgid;
	__u32 dev, op, size;
};

static __always_inline int on_queue(__u64 bio, const struct blk_facts *f)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();
	struct vp_blk_inflight in = {};
	unsigned int flags = t->flags;

	in.key.cgid = f->cgid;
	in.key.tid = (__u32)id;
	in.key.tgid = id >> 32;
	in.key.dev = f->dev;
	in.key.op = f->op & 0xff; /* REQ_OP_MASK */
	if (flags & VP_PF_KTHREAD)
		in.key.flags |= VP_BLK_KTHREAD;
	if (flags & VP_PF_WQ_WORKER)
		in.key.flags |= VP_BLK_WQ;
	if (!in.key.cgid)
		in.key.flags |= VP_BLK_NO_BLKCG;
	if (f->op & req_meta())
		in.key.flags |= VP_BLK_META;
	in.bytes = f->size;
	bpf_get_current_comm(in.comm, sizeof(in.comm));
	in.ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&blk_inflight, &bio, &in, BPF_ANY))
		drop(VP_BLK_DROP_INFLIGHT_FULL);
	return 0;
}

static __always_inline int log2_us(__u64 ns)
{
	__u64 us = ns / 1000;
	int b = 0;

	for (int i = 0; i < VP_BLK_HIST - 1; i++) {
		if (us < 2)
			break;
		us >>= 1;
		b++;
	}
	return b;
}

static __always_inline void complete_bio(struct bio *bio, int error)
{
	__u64 key = (__u64)bio;
	struct vp_blk_inflight *in;
	struct vp_blk_stats *st;
	__u64 lat;
	int b;

	in = bpf_map_lookup_elem(&blk_inflight, &key);
	if (!in)
		return; /* submitted before we attached, or a split-off part */
	lat = bpf_ktime_get_ns() - in->ts;
	st = bpf_map_lookup_elem(&blk_stats, &in->key);
	if (!st) {
		struct vp_blk_stats zero = {};

		__builtin_memcpy(zero.comm, in->comm, sizeof(zero.comm));
		bpf_map_update_elem(&blk_stats, &in->key, &zero, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&blk_stats, &in->key);
		if (!st) {
			drop(VP_BLK_DROP_KEYS_FULL);
			bpf_map_delete_elem(&blk_inflight, &key);
			return;
		}
	}
	st->ops++;
	st->bytes += in->bytes;
	if (error)
		st->errors++;
	st->lat_ns += lat;
	if (lat > st->lat_max_ns)
		st->lat_max_ns = lat;
	b = log2_us(lat);
	if (b >= 0 && b < VP_BLK_HIST)
		st->hist[b]++;
	bpf_map_delete_elem(&blk_inflight, &key);
}

static __always_inline int on_bio_complete(struct bio *bio)
{
	complete_bio(bio, BPF_CORE_READ(bio, bi_status));
	return 0;
}

#define VP_BLK_MAX_RQ_BIOS 32

/*
 * The leading bios of rq that nr_bytes covers are complete (a partial completion continues in a
 * later call).  BTF pointers read directly (tp_btf) or through CO-RE probes (raw_tp).
 */
static __always_inline int rq_complete(struct request *rq, int error, unsigned int nr_bytes,
				       bool btf)
{
	struct bio *bio = VP_READ(btf, rq, bio);
	__u64 left = nr_bytes;

	for (int i = 0; i < VP_BLK_MAX_RQ_BIOS && bio; i++) {
		__u32 size = VP_READ(btf, bio, bi_iter.bi_size);
		struct bio *next = VP_READ(btf, bio, bi_next);

		if (size > left)
			break;
		left -= size;
		complete_bio(bio, error);
		bio = next;
	}
	return 0;
}

static __always_inline int handle_queue(struct bio *bio, bool btf)
{
	struct blk_facts f = {};

	if (btf) {
		if (bpf_core_field_exists(bio->bi_blkg))
			f.cgid = bio->bi_blkg->blkcg->css.cgroup->kn->id;
		f.size = bio->bi_iter.bi_size;
	} else {
		f.cgid = bio_cgid(bio);
		f.size = BPF_CORE_READ(bio, bi_iter.bi_size);
	}
	f.dev = bio_dev(bio);
	f.op = VP_READ(btf, bio, bi_opf);
	return on_queue((__u64)bio, &f);
}

VP_HOOK(block_bio_queue, handle_queue(bio, btf), struct bio *bio)
VP_HOOK(block_bio_complete, ((void)btf, on_bio_complete(bio)), struct request_queue *q,
	struct bio *bio)
VP_HOOK(block_rq_complete, rq_complete(rq, error, nr_bytes, btf), struct request *rq, int error,
	unsigned int nr_bytes)
