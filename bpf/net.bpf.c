// SPDX-License-Identifier: GPL-2.0
/*
 * Network path: packets and bytes per device, keyed by (netns inode, ifindex), and the NET_TX /
 * NET_RX softirq time split among the devices each run handled, in proportion to their packets.
 *
 * The softirq boundaries come from account.bpf.c's per-CPU `cpu_state` (shared by fd): no second
 * program sits on softirq_entry/exit, the hottest tracepoints.  A run's packets are counted per
 * device in a per-CPU cache; the run is settled lazily by the first packet of a later run on that
 * CPU (when net_seq moved on by exactly one, the finished run's exit time is still in
 * cpu_state.net_end) or by `net_flush` at the interval boundary.  A run whose end is no longer
 * known (two runs passed without a packet) is counted as a drop, never silently lost.
 *
 * The per-packet path touches only per-CPU arrays: device counters are cached per CPU and added
 * to the per-device map when the cache fills up across runs and at the interval flush (which
 * userspace runs on every CPU before reading).
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

#include "core_fixes.bpf.h"
#include "maps.bpf.h"
#include "virtprof.h"

char LICENSE[] SEC("license") = "GPL";

/* false when account's cpu_state could not be shared: then only packets are counted. */
const volatile bool have_runs = false;

/* account.bpf.c's map, shared with bpf_map__reuse_fd() before load.  Read-only here. */
VP_CPU_STATE_MAP;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vp_net_cache);
} net_cache SEC(".maps");

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

VP_DROPS_MAP(net_drops, VP_NET_DROP_MAX);

static __always_inline void drop(enum vp_net_drop why)
{
	vp_count(&net_drops, why);
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

/*
 * Which device holds a key (struct vp_net_ident): its address and its netns's cookie.  The
 * address alone repeats: a netns deleted and made again at the same inode gets a net_device the
 * slab hands back at the freed one's address, with the old ifindex (lab 6.1 once: the new pair
 * kept the deleted pair's names).  A netns cookie is never reused.  The cookie sits beside
 * ns.inum, which the key reads anyway: with tp_btf both are plain loads.  (Mixing the two into
 * one number is pointer arithmetic, which the verifier refuses on a BTF pointer: the object
 * then fell back to raw_tp, and the net handlers cost 199-253 ns/event in floor.sh, not 80.)
 */
static __always_inline bool same_ident(const struct vp_net_ident *a, const struct vp_net_ident *b)
{
	return a->dev == b->dev && a->netns_cookie == b->netns_cookie;
}

static __always_inline void read_ident(struct net_device *dev, struct vp_net_ident *id)
{
	id->dev = (__u64)(unsigned long)dev;
	id->netns_cookie = 0;
	if (bpf_core_field_exists(((struct net *)0)->net_cookie))
		id->netns_cookie = BPF_CORE_READ(dev, nd_net.net, net_cookie);
}

/* First sight of a device: name, link kind, flags and, for a veth, its peer. */
static __always_inline void record_dev(struct net_device *dev, const struct vp_net_key *k,
				       const struct vp_net_ident *id)
{
	struct vp_net_dev_info di = {};
	const struct rtnl_link_ops *ops;

	di.key = *k;
	di.ident = *id;
	BPF_CORE_READ_STR_INTO(&di.name, dev, name);
	di.flags = BPF_CORE_READ(dev, flags);
	ops = BPF_CORE_READ(dev, rtnl_link_ops);
	if (ops)
		bpf_probe_read_kernel_str(di.kind, sizeof(di.kind), BPF_CORE_READ(ops, kind));
	/*
	 * struct veth_priv lives in the veth module's BTF: on a host where veth is not loaded (one
	 * that runs only VMs) the relocation cannot resolve.  The type check turns into a constant
	 * the verifier prunes on, so the object still loads there and the peer is just not read.
	 */
	if (bpf_core_type_exists(struct veth_priv) && di.kind[0] == 'v' && di.kind[1] == 'e' &&
	    di.kind[2] == 't' && di.kind[3] == 'h' && !di.kind[4]) {
		struct veth_priv *vp = vp_netdev_priv(dev);
		struct net_device *peer = BPF_CORE_READ(vp, peer);

		if (peer)
			read_key(peer, &di.peer);
	}
	bpf_map_update_elem(&net_devs, k, &di, BPF_ANY);
}

static __always_inline struct vp_net_stats *
dev_stats(struct net_device *dev, const struct vp_net_key *k, const struct vp_net_ident *id)
{
	struct vp_net_stats zero = {};
	struct vp_net_stats *st;

	st = bpf_map_lookup_elem(&net_stats, k);
	if (st || !dev)
		return st;
	record_dev(dev, k, id);
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

static __always_inline struct vp_net_cache *this_cache(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&net_cache, &zero);
}

static __always_inline void add_stats(struct vp_net_stats *d, const struct vp_net_stats *a)
{
	d->rx_pkts += a->rx_pkts;
	d->rx_bytes += a->rx_bytes;
	d->tx_pkts += a->tx_pkts;
	d->tx_bytes += a->tx_bytes;
	d->sirq_ns[0] += a->sirq_ns[0];
	d->sirq_ns[1] += a->sirq_ns[1];
	d->proc_ns += a->proc_ns;
	d->proc_pkts += a->proc_pkts;
	d->napi_polls += a->napi_polls;
	d->napi_work += a->napi_work;
}

/* Move the cached counters into the per-device map; clear frees the slots too. */
static __always_inline void flush_slots(struct vp_net_cache *c, bool clear)
{
	for (int i = 0; i < VP_NET_SLOTS; i++) {
		struct vp_net_slot *s = &c->slot[i];
		struct vp_net_stats *st;

		if (!s->used)
			continue;
		st = bpf_map_lookup_elem(&net_stats, &s->key);
		if (st) {
			add_stats(st, &s->acc);
		} else {
			/* Entry pruned by userspace: free the slot, the next packet recreates it. */
			if (s->acc.rx_pkts || s->acc.tx_pkts)
				drop(VP_NET_DROP_DEVS_FULL);
			s->used = 0;
			s->run_pkts = 0;
			if (c->nused)
				c->nused--;
		}
		__builtin_memset(&s->acc, 0, sizeof(s->acc));
		if (clear) {
			s->used = 0;
			s->run_pkts = 0;
		}
	}
	if (clear)
		c->nused = 0;
}

/* Split [c->start, end) among the devices of the run by packets; keep: the run goes on. */
static __always_inline void settle_run(struct vp_net_cache *c, __u64 end, bool keep)
{
	struct vp_net_slot *one = &c->slot[c->run_slot & (VP_NET_SLOTS - 1)];
	__u64 total = 0, d;
	int idx = vec_idx(c->vec);

	d = end > c->start ? end - c->start : 0;
	c->start = end;
	/* The usual run (a loopback or veth packet): one device has it all, no loop, no division. */
	if (c->run_devs == 1 && one->used && one->run_pkts) {
		one->acc.sirq_ns[idx & 1] += d;
		if (!keep) {
			one->run_pkts = 0;
			c->run_devs = 0;
			c->have = 0;
		}
		return;
	}
	for (int i = 0; i < VP_NET_SLOTS; i++)
		total += c->slot[i].run_pkts;
	for (int i = 0; i < VP_NET_SLOTS; i++) {
		struct vp_net_slot *s = &c->slot[i];

		if (!s->run_pkts)
			continue;
		if (total)
			s->acc.sirq_ns[idx & 1] += d * s->run_pkts / total;
		if (!keep)
			s->run_pkts = 0;
	}
	if (!keep) {
		c->run_devs = 0;
		c->have = 0;
	}
}

static __always_inline void drop_run(struct vp_net_cache *c)
{
	drop(VP_NET_DROP_TAIL);
	for (int i = 0; i < VP_NET_SLOTS; i++)
		c->slot[i].run_pkts = 0;
	c->run_devs = 0;
	c->have = 0;
}

/* The cached run is over (a packet of a later run arrived): settle it if its end is known. */
static __always_inline void end_run(struct vp_net_cache *c, struct vp_cpu_state *cs)
{
	if (!c->have)
		return;
	if (cs->net_seq == c->seq + 1 && cs->net_end < cs->net_start)
		settle_run(c, cs->net_end,
			   false); /* the next run is in progress: net_end is ours */
	else
		drop_run(c);
}

/*
 * The facts of the device behind key k are dev's: another device may have had its key before
 * (vp_net_dev_info.ident) -- checked where a device takes a cache slot, not per packet.
 */
static __always_inline void check_ident(struct net_device *dev, const struct vp_net_key *k,
					const struct vp_net_ident *id)
{
	struct vp_net_dev_info *di = bpf_map_lookup_elem(&net_devs, k);

	if (di && !same_ident(&di->ident, id))
		record_dev(dev, k, id);
}

static __always_inline int slot_of(struct vp_net_cache *c, struct net_device *dev,
				   const struct vp_net_key *k, const struct vp_net_ident *id)
{
	struct vp_net_slot *s = &c->slot[c->last & (VP_NET_SLOTS - 1)];
	int free = -1;

	/* most packets are the same device as the one before */
	if (s->used && s->key.netns == k->netns && s->key.ifindex == k->ifindex &&
	    same_ident(&s->ident, id))
		return c->last & (VP_NET_SLOTS - 1);
	for (int i = 0; i < VP_NET_SLOTS; i++) {
		s = &c->slot[i];
		if (s->used) {
			if (s->key.netns == k->netns && s->key.ifindex == k->ifindex) {
				/* the key's device replaced while cached: its facts anew */
				if (!same_ident(&s->ident, id)) {
					check_ident(dev, k, id);
					s->ident = *id;
				}
				c->last = i;
				return i;
			}
		} else if (free < 0) {
			free = i;
		}
	}
	if (free < 0 || free >= VP_NET_SLOTS)
		return -1;
	/* First packet of this device in the cache: make sure it has its map entry. */
	if (!dev_stats(dev, k, id))
		return -1;
	check_ident(dev, k, id);
	c->slot[free].key = *k;
	c->slot[free].ident = *id;
	c->slot[free].used = 1;
	c->slot[free].run_pkts = 0;
	c->nused++;
	c->last = free;
	return free;
}

/* Nested handler (irq over a handler) or no slot: count straight into the map, no time share. */
static __always_inline void count_uncached(struct net_device *dev, const struct vp_net_key *k,
					   const struct vp_net_ident *id, bool rx, __u64 bytes)
{
	struct vp_net_stats *st = dev_stats(dev, k, id);

	if (!st)
		return;
	if (rx) {
		st->rx_pkts++;
		st->rx_bytes += bytes;
	} else {
		st->tx_pkts++;
		st->tx_bytes += bytes;
	}
	drop(VP_NET_DROP_UNCACHED);
}

static __always_inline void on_packet(struct net_device *dev, const struct vp_net_key *k,
				      const struct vp_net_ident *id, bool rx, __u64 bytes)
{
	struct vp_cpu_state *cs = NULL;
	struct vp_net_cache *c = this_cache();
	struct vp_net_slot *s;
	bool in_run = false;
	__u32 zero = 0;
	int i;

	if (!c)
		return;
	if (c->busy) {
		count_uncached(dev, k, id, rx, bytes);
		return;
	}
	c->busy = 1;
	barrier();
	if (have_runs)
		cs = bpf_map_lookup_elem(&cpu_state, &zero);
	if (cs && !cs->hardirq &&
	    (cs->softirq == VP_NET_RX_SOFTIRQ + 1 || cs->softirq == VP_NET_TX_SOFTIRQ + 1)) {
		in_run = true;
		if (c->seq != cs->net_seq) {
			end_run(c, cs);
			/* Between runs: keep the cache small so a run rarely runs out of slots. */
			if (c->nused > VP_NET_SLOTS / 2)
				flush_slots(c, true);
			c->seq = cs->net_seq;
			c->vec = cs->net_vec;
			c->start = cs->net_start;
		}
	}
	i = slot_of(c, dev, k, id);
	if (i < 0 || i >= VP_NET_SLOTS) {
		barrier();
		c->busy = 0;
		count_uncached(dev, k, id, rx, bytes);
		return;
	}
	s = &c->slot[i];
	if (rx) {
		s->acc.rx_pkts++;
		s->acc.rx_bytes += bytes;
	} else {
		s->acc.tx_pkts++;
		s->acc.tx_bytes += bytes;
	}
	if (in_run) {
		if (!s->run_pkts++) {
			c->run_devs++;
			c->run_slot = i;
		}
		c->have = 1;
	} else if (cs && !cs->softirq && !cs->hardirq) {
		s->acc.proc_pkts++;
	}
	barrier();
	c->busy = 0;
}

static __always_inline int on_rx(struct net_device *dev, struct vp_net_key *k,
				 const struct vp_net_ident *id, __u64 bytes)
{
	on_packet(dev, k, id, true, bytes);
	return 0;
}

static __always_inline int on_tx(struct net_device *dev, struct vp_net_key *k,
				 const struct vp_net_ident *id, int rc, __u64 len)
{
	if (rc != 0) /* NETDEV_TX_OK; drivers count only what they sent */
		return 0;
	on_packet(dev, k, id, false, len);
	return 0;
}

static __always_inline int on_napi(struct net_device *dev, struct vp_net_key *k,
				   const struct vp_net_ident *id, int work)
{
	struct vp_net_stats *st;

	if (!dev) /* the per-CPU backlog (veth, lo) has no device */
		return 0;
	st = dev_stats(dev, k, id);
	if (st) {
		st->napi_polls++;
		st->napi_work += work > 0 ? work : 0;
	}
	return 0;
}

/* Transmitted bytes as the driver counts them: lo counts after pulling the Ethernet header. */
static __always_inline __u64 tx_len(unsigned int flags, __u64 len)
{
	if ((flags & VP_IFF_LOOPBACK) && len >= 14)
		return len - 14; /* ETH_HLEN */
	return len;
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

static __always_inline int proc_enter(struct net_device *dev, struct vp_net_key *k,
				      const struct vp_net_ident *id)
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
		dev_stats(dev, k, id); /* make sure the device has its entry */
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
 * Interval boundary, run on each CPU by userspace (BPF_PROG_TEST_RUN, BPF_F_TEST_RUN_ON_CPU, in
 * the IPI): charge the cached run's time so far (or its tail) and move the cache into the map.
 * If the IPI interrupted a packet handler on this CPU, the cache waits for the next flush.
 */
SEC("raw_tp")
int net_flush(void *ctx)
{
	struct vp_net_cache *c = this_cache();
	struct vp_cpu_state *cs = NULL;
	__u32 zero = 0;

	if (!c || c->busy)
		return 0;
	if (have_runs)
		cs = bpf_map_lookup_elem(&cpu_state, &zero);
	if (cs && c->have) {
		bool running = cs->net_end < cs->net_start;

		if (cs->net_seq == c->seq && running)
			settle_run(c, bpf_ktime_get_ns(),
				   true); /* the rest of the run comes later */
		else if (cs->net_seq == c->seq || (cs->net_seq == c->seq + 1 && running))
			settle_run(c, cs->net_end, false);
		else
			drop_run(c);
	}
	flush_slots(c, !c->have);
	return 0;
}

/* ---- tp_btf flavour: BTF pointers read directly (cheapest on the per-packet path) ---- */
/* tp_btf: direct loads from trusted BTF pointers; raw_tp: CO-RE probe reads. */
static __always_inline void key_of(struct net_device *dev, struct vp_net_key *k,
				   struct vp_net_ident *id, bool btf)
{
	struct net *net;

	if (!btf) {
		read_key(dev, k);
		read_ident(dev, id);
		return;
	}
	net = dev->nd_net.net;
	k->ifindex = dev->ifindex;
	k->netns = net->ns.inum;
	id->dev = (__u64)(unsigned long)dev;
	id->netns_cookie = 0;
	if (bpf_core_field_exists(net->net_cookie))
		id->netns_cookie = net->net_cookie;
}

static __always_inline int handle_rx(struct sk_buff *skb, bool btf)
{
	struct net_device *dev = VP_READ(btf, skb, dev);
	__u32 len = VP_READ(btf, skb, len);
	struct vp_net_ident id;
	struct vp_net_key k;

	key_of(dev, &k, &id, btf);
	/* loopback_xmit() counts bytes after eth_type_trans(): no L2 header on lo. */
	if (VP_READ(btf, dev, flags) & VP_IFF_LOOPBACK)
		return on_rx(dev, &k, &id, len);
	return on_rx(dev, &k, &id,
		     rx_len(len, VP_READ(btf, skb, mac_header), VP_READ(btf, skb, head),
			    VP_READ(btf, skb, data)));
}

static __always_inline int handle_tx(struct net_device *dev, int rc, unsigned int len, bool btf)
{
	struct vp_net_ident id;
	struct vp_net_key k;

	key_of(dev, &k, &id, btf);
	return on_tx(dev, &k, &id, rc, tx_len(VP_READ(btf, dev, flags), len));
}

static __always_inline int handle_napi(struct napi_struct *napi, int work, bool btf)
{
	struct net_device *dev = VP_READ(btf, napi, dev);
	struct vp_net_ident id = {};
	struct vp_net_key k = {};

	if (dev)
		key_of(dev, &k, &id, btf);
	return on_napi(dev, &k, &id, work);
}

static __always_inline int handle_proc_entry(struct sk_buff *skb, bool btf)
{
	struct net_device *dev = VP_READ(btf, skb, dev);
	struct vp_net_ident id;
	struct vp_net_key k;

	key_of(dev, &k, &id, btf);
	return proc_enter(dev, &k, &id);
}

VP_HOOK(netif_receive_skb, handle_rx(skb, btf), struct sk_buff *skb)
VP_HOOK(net_dev_xmit, handle_tx(dev, rc, len, btf), struct sk_buff *skb, int rc,
	struct net_device *dev, unsigned int len)
VP_HOOK(napi_poll, handle_napi(napi, work, btf), struct napi_struct *napi, int work, int budget)
VP_HOOK(netif_receive_skb_entry, handle_proc_entry(skb, btf), struct sk_buff *skb)
VP_HOOK(netif_receive_skb_list_entry, handle_proc_entry(skb, btf), struct sk_buff *skb)
VP_HOOK(netif_receive_skb_exit, ((void)btf, proc_exit()))
VP_HOOK(netif_receive_skb_list_exit, ((void)btf, proc_exit()))
