// SPDX-License-Identifier: GPL-2.0
/*
 * Network path: packets and bytes per device, keyed by (netns inode, ifindex), and the NET_TX /
 * NET_RX softirq time split among the devices each run handled.
 *
 * The softirq boundaries come from account.bpf.c's per-CPU `cpu_state` (shared by fd): no second
 * program sits on softirq_entry/exit, the hottest tracepoints.  Within one run, the time between
 * two packet events is the stack work of the earlier packet, so it is charged to the earlier
 * packet's device; the time from run entry to the first packet goes to the first packet's device
 * and the tail (last packet to run exit) to the last one, settled lazily by the next packet on
 * that CPU (when net_seq moved on by exactly one, the finished run's exit time is still in
 * cpu_state.net_end) or by `net_flush` at the interval boundary.  A tail that cannot be settled
 * (two runs passed without a packet) is counted, never silently lost.
 *
 * Tap writes (qemu writing /dev/net/tun, or a vhost worker's tun_sendmsg) run the host stack in
 * process context with bottom halves disabled; netif_receive_skb's entry/exit tracepoints time
 * that work per receiving device (no fentry/kprobe: ftrace may be unavailable, as it is here).
 *
 * All counters are per-CPU and cumulative: userspace takes deltas, nothing is reset.
 */
#include <vmlinux.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "virtprof.h"

char LICENSE[] SEC("license") = "GPL";

/* false when account's cpu_state could not be shared: then only packets are counted. */
const volatile bool have_runs = false;

/* account.bpf.c's map, shared with bpf_map__reuse_fd() before load.  Read-only here. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vp_cpu_state);
} cpu_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vp_net_run);
} net_run SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, VP_NET_MAX_DEVS);
	__type(key, struct vp_net_key);
	__type(value, struct vp_net_stats);
} net_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VP_NET_MAX_DEVS);
	__type(key, struct vp_net_key);
	__type(value, struct vp_net_dev_info);
} net_devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vp_net_proc);
} net_proc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VP_NET_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} net_drops SEC(".maps");

static __always_inline void drop(enum vp_net_drop why)
{
	__u32 k = why;
	__u64 *v = bpf_map_lookup_elem(&net_drops, &k);

	if (v)
		(*v)++;
}

/*
 * netdev_priv(): in recent kernels (6.12+) the private area is the flexible array
 * net_device::priv; before, it followed the struct, aligned to NETDEV_ALIGN (32).
 */
static __always_inline void *vp_netdev_priv(struct net_device *dev)
{
	if (bpf_core_field_exists(dev->priv))
		return (void *)dev + bpf_core_field_offset(struct net_device, priv);
	return (void *)dev + ((bpf_core_type_size(struct net_device) + 31) & ~31);
}

static __always_inline void read_key(struct net_device *dev, struct vp_net_key *k)
{
	k->ifindex = BPF_CORE_READ(dev, ifindex);
	k->netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
}

/* First sight of a device: name, link kind, flags and, for a veth, its peer. */
static __always_inline void record_dev(struct net_device *dev, const struct vp_net_key *k)
{
	struct vp_net_dev_info di = {};
	const struct rtnl_link_ops *ops;

	di.key = *k;
	BPF_CORE_READ_STR_INTO(&di.name, dev, name);
	di.flags = BPF_CORE_READ(dev, flags);
	ops = BPF_CORE_READ(dev, rtnl_link_ops);
	if (ops)
		bpf_probe_read_kernel_str(di.kind, sizeof(di.kind), BPF_CORE_READ(ops, kind));
	if (di.kind[0] == 'v' && di.kind[1] == 'e' && di.kind[2] == 't' && di.kind[3] == 'h' &&
	    !di.kind[4]) {
		struct veth_priv *vp = vp_netdev_priv(dev);
		struct net_device *peer = BPF_CORE_READ(vp, peer);

		if (peer)
			read_key(peer, &di.peer);
	}
	bpf_map_update_elem(&net_devs, k, &di, BPF_ANY);
}

static __always_inline struct vp_net_stats *dev_stats(struct net_device *dev,
						      const struct vp_net_key *k)
{
	struct vp_net_stats zero = {};
	struct vp_net_stats *st;

	st = bpf_map_lookup_elem(&net_stats, k);
	if (st || !dev)
		return st;
	record_dev(dev, k);
	bpf_map_update_elem(&net_stats, k, &zero, BPF_NOEXIST);
	st = bpf_map_lookup_elem(&net_stats, k);
	if (!st)
		drop(VP_NET_DROP_DEVS_FULL);
	return st;
}

static __always_inline int vec_idx(unsigned int vec)
{
	return vec == VP_NET_RX_SOFTIRQ ? 1 : 0;
}

static __always_inline void charge(const struct vp_net_key *k, unsigned int vec, __u64 ns)
{
	struct vp_net_stats *st = bpf_map_lookup_elem(&net_stats, k);

	if (st)
		st->sirq_ns[vec_idx(vec)] += ns;
}

/* The run r describes is over; charge its tail if its exit time is still known. */
static __always_inline void settle(struct vp_net_run *r, struct vp_cpu_state *cs)
{
	bool running = cs->net_end < cs->net_start;
	__u64 end;

	if (!r->have)
		return;
	r->have = 0;
	if (cs->net_seq == r->seq + 1 && running)
		end = cs->net_end; /* the next run is in progress: net_end is ours */
	else if (cs->net_seq == r->seq && !running)
		end = cs->net_end; /* ours was the last run (flush) */
	else {
		drop(VP_NET_DROP_TAIL);
		return;
	}
	if (end > r->mark)
		charge(&r->last, r->vec, end - r->mark);
	r->mark = end;
}

/* A packet event on device k (stats st): split the softirq run's time, or count process context. */
static __always_inline void split(struct vp_net_stats *st, const struct vp_net_key *k)
{
	struct vp_cpu_state *cs;
	struct vp_net_run *r;
	__u32 zero = 0;
	__u64 now, d;

	if (!have_runs)
		return;
	cs = bpf_map_lookup_elem(&cpu_state, &zero);
	r = bpf_map_lookup_elem(&net_run, &zero);
	if (!cs || !r || cs->hardirq)
		return;
	if (!cs->softirq) {
		st->proc_pkts++;
		return;
	}
	/* Packets sent from other softirqs (TCP timers) are not NET_* time. */
	if (cs->softirq != VP_NET_RX_SOFTIRQ + 1 && cs->softirq != VP_NET_TX_SOFTIRQ + 1)
		return;
	now = bpf_ktime_get_ns();
	if (r->seq != cs->net_seq) {
		settle(r, cs);
		r->seq = cs->net_seq;
		r->vec = cs->net_vec;
		r->mark = cs->net_start;
	}
	d = now > r->mark ? now - r->mark : 0;
	if (!r->have || (r->last.netns == k->netns && r->last.ifindex == k->ifindex))
		st->sirq_ns[vec_idx(r->vec)] += d;
	else
		charge(&r->last, r->vec, d);
	r->mark = now;
	r->last = *k;
	r->have = 1;
}

static __always_inline int on_rx(struct net_device *dev, struct vp_net_key *k, __u64 bytes)
{
	struct vp_net_stats *st = dev_stats(dev, k);

	if (!st)
		return 0;
	st->rx_pkts++;
	st->rx_bytes += bytes;
	split(st, k);
	return 0;
}

static __always_inline int on_tx(struct net_device *dev, struct vp_net_key *k, int rc, __u64 len)
{
	struct vp_net_stats *st;

	if (rc != 0) /* NETDEV_TX_OK; drivers count only what they sent */
		return 0;
	st = dev_stats(dev, k);
	if (!st)
		return 0;
	st->tx_pkts++;
	st->tx_bytes += len;
	split(st, k);
	return 0;
}

static __always_inline int on_napi(struct net_device *dev, struct vp_net_key *k, int work)
{
	struct vp_net_stats *st;

	if (!dev) /* the per-CPU backlog (veth, lo) has no device */
		return 0;
	st = dev_stats(dev, k);
	if (st) {
		st->napi_polls++;
		st->napi_work += work > 0 ? work : 0;
	}
	return 0;
}

/* Bytes as the drivers count them: the L2 header has been pulled by eth_type_trans() already. */
static __always_inline __u64 rx_len(__u32 len, __u16 mac, unsigned char *head, unsigned char *data)
{
	__u64 off = data - head;

	if (mac != (__u16)~0U && mac < off)
		len += off - mac;
	return len;
}

/*
 * ---- receive work in process context ----
 * A tap write (qemu's write to /dev/net/tun, a vhost worker's tun_sendmsg) hands the frame to
 * netif_receive_skb() with bottom halves disabled, so the whole host stack (bridge, forwarding,
 * veth transmit) runs inside that thread's system call.  The exported netif_receive_skb() and
 * netif_receive_skb_list() have entry/exit tracepoints: timed per CPU (bh off: no migration),
 * outermost call only (a bridge passes the frame up with a nested netif_receive_skb).
 * In softirq these calls are part of the NET_RX run and already split above.
 */
static __always_inline bool in_process_ctx(void)
{
	struct vp_cpu_state *cs;
	__u32 zero = 0;

	if (!have_runs)
		return false;
	cs = bpf_map_lookup_elem(&cpu_state, &zero);
	return cs && !cs->softirq && !cs->hardirq;
}

static __always_inline int proc_enter(struct net_device *dev, struct vp_net_key *k)
{
	struct vp_net_proc *p;
	__u32 zero = 0;
	__u64 now;

	if (!in_process_ctx())
		return 0;
	p = bpf_map_lookup_elem(&net_proc, &zero);
	if (!p)
		return 0;
	now = bpf_ktime_get_ns();
	/* A stale entry (exit missed, e.g. attached mid-call) must not swallow later time. */
	if (p->depth && now - p->ts > 100000000ULL) {
		drop(VP_NET_DROP_PROC);
		p->depth = 0;
	}
	if (!p->depth++) {
		p->ts = now;
		p->key = *k;
		dev_stats(dev, k); /* make sure the device has its entry */
	}
	return 0;
}

static __always_inline int proc_exit(void)
{
	struct vp_net_stats *st;
	struct vp_net_proc *p;
	__u32 zero = 0;

	if (!in_process_ctx())
		return 0;
	p = bpf_map_lookup_elem(&net_proc, &zero);
	if (!p || !p->depth)
		return 0;
	if (--p->depth)
		return 0;
	st = bpf_map_lookup_elem(&net_stats, &p->key);
	if (st)
		st->proc_ns += bpf_ktime_get_ns() - p->ts;
	return 0;
}

/*
 * Interval boundary, run on each CPU by userspace (BPF_PROG_TEST_RUN, BPF_F_TEST_RUN_ON_CPU):
 * charge the open run's time so far, or the finished run's tail.
 */
SEC("raw_tp")
int net_flush(void *ctx)
{
	struct vp_cpu_state *cs;
	struct vp_net_run *r;
	__u32 zero = 0;
	__u64 now;

	if (!have_runs)
		return 0;
	cs = bpf_map_lookup_elem(&cpu_state, &zero);
	r = bpf_map_lookup_elem(&net_run, &zero);
	if (!cs || !r || !r->have)
		return 0;
	if (cs->net_seq == r->seq && cs->net_end < cs->net_start) {
		now = bpf_ktime_get_ns();
		if (now > r->mark)
			charge(&r->last, r->vec, now - r->mark);
		r->mark = now;
		return 0;
	}
	settle(r, cs);
	return 0;
}

/* ---- tp_btf flavour: BTF pointers read directly (cheapest on the per-packet path) ---- */
SEC("tp_btf/netif_receive_skb")
int BPF_PROG(tp_netif_receive_skb, struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	struct vp_net_key k;

	k.ifindex = dev->ifindex;
	k.netns = dev->nd_net.net->ns.inum;
	return on_rx(dev, &k, rx_len(skb->len, skb->mac_header, skb->head, skb->data));
}

SEC("tp_btf/net_dev_xmit")
int BPF_PROG(tp_net_dev_xmit, struct sk_buff *skb, int rc, struct net_device *dev,
	     unsigned int len)
{
	struct vp_net_key k;

	k.ifindex = dev->ifindex;
	k.netns = dev->nd_net.net->ns.inum;
	return on_tx(dev, &k, rc, len);
}

SEC("tp_btf/napi_poll")
int BPF_PROG(tp_napi_poll, struct napi_struct *napi, int work, int budget)
{
	struct net_device *dev = napi->dev;
	struct vp_net_key k = {};

	if (dev) {
		k.ifindex = dev->ifindex;
		k.netns = dev->nd_net.net->ns.inum;
	}
	return on_napi(dev, &k, work);
}

SEC("tp_btf/netif_receive_skb_entry")
int BPF_PROG(tp_netif_receive_skb_entry, struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	struct vp_net_key k;

	k.ifindex = dev->ifindex;
	k.netns = dev->nd_net.net->ns.inum;
	return proc_enter(dev, &k);
}

SEC("tp_btf/netif_receive_skb_list_entry")
int BPF_PROG(tp_netif_receive_skb_list_entry, struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	struct vp_net_key k;

	k.ifindex = dev->ifindex;
	k.netns = dev->nd_net.net->ns.inum;
	return proc_enter(dev, &k);
}

SEC("tp_btf/netif_receive_skb_exit")
int BPF_PROG(tp_netif_receive_skb_exit)
{
	return proc_exit();
}

SEC("tp_btf/netif_receive_skb_list_exit")
int BPF_PROG(tp_netif_receive_skb_list_exit)
{
	return proc_exit();
}

/* ---- raw_tp flavour ---- */
SEC("raw_tp/netif_receive_skb")
int BPF_PROG(raw_netif_receive_skb, struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	struct vp_net_key k;

	read_key(dev, &k);
	return on_rx(dev, &k, rx_len(BPF_CORE_READ(skb, len), BPF_CORE_READ(skb, mac_header),
				     BPF_CORE_READ(skb, head), BPF_CORE_READ(skb, data)));
}

SEC("raw_tp/net_dev_xmit")
int BPF_PROG(raw_net_dev_xmit, struct sk_buff *skb, int rc, struct net_device *dev,
	     unsigned int len)
{
	struct vp_net_key k;

	read_key(dev, &k);
	return on_tx(dev, &k, rc, len);
}

SEC("raw_tp/napi_poll")
int BPF_PROG(raw_napi_poll, struct napi_struct *napi, int work, int budget)
{
	struct net_device *dev = BPF_CORE_READ(napi, dev);
	struct vp_net_key k = {};

	if (dev)
		read_key(dev, &k);
	return on_napi(dev, &k, work);
}

SEC("raw_tp/netif_receive_skb_entry")
int BPF_PROG(raw_netif_receive_skb_entry, struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	struct vp_net_key k;

	read_key(dev, &k);
	return proc_enter(dev, &k);
}

SEC("raw_tp/netif_receive_skb_list_entry")
int BPF_PROG(raw_netif_receive_skb_list_entry, struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	struct vp_net_key k;

	read_key(dev, &k);
	return proc_enter(dev, &k);
}

SEC("raw_tp/netif_receive_skb_exit")
int BPF_PROG(raw_netif_receive_skb_exit)
{
	return proc_exit();
}

SEC("raw_tp/netif_receive_skb_list_exit")
int BPF_PROG(raw_netif_receive_skb_list_exit)
{
	return proc_exit();
}
