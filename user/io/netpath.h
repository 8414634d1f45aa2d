/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network path section: per device (netns inode, ifindex) packets, bytes, NET_TX/NET_RX softirq
 * time split among devices, receive work in process context (tap writes); devices classified (lo, veth with
 * its peer, tap with the qemu holding it, bridge, phys) and mapped to the target they serve.
 */
#ifndef VP_NETPATH_H
#define VP_NETPATH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "io/owner.h"
#include "out/na.h"
#include "virtprof.h"

struct net_bpf;

enum net_kind { NET_LO, NET_VETH, NET_TAP, NET_BRIDGE, NET_PHYS, NET_OTHER };
enum vhost_mode { VHOST_UNKNOWN, VHOST_NONE, VHOST_USER_WORKER, VHOST_KTHREAD };

struct net_dev {
	struct vp_net_dev_info info;
	bool have_info;
	enum net_kind kind;
	struct vp_net_stats total; /* since load, summed over CPUs */
	struct vp_net_stats delta; /* this interval */
	pid_t holder;		   /* tap: tgid of the process holding /dev/net/tun for it */
	enum vhost_mode vhost;	   /* tap: vhost mode of the holder */
	uint64_t active_ns;	   /* last collect that saw it move (CLOCK_MONOTONIC) */
	uint64_t holder_scan_ns;   /* last /proc scan for the tap's holder */
	int holder_misses;	   /* scans in a row that found none (the first is retried soon) */
};

struct netpath {
	struct net_bpf *skel;
	int ncpu;
	const char *flavour; /* "tp_btf" / "raw_tp" */
	bool runs;	     /* softirq split available */
	struct vp_na runs_na;
	bool proc_timed; /* process-context receive timing (netif_receive_skb entry/exit) */
	struct vp_na proc_na;
	bool napi; /* napi_poll attached */
	struct vp_na napi_na;
	struct net_dev *devs;
	int ndev, cap;
	uint64_t drops[VP_NET_DROP_MAX], drops_delta[VP_NET_DROP_MAX];
};

int netpath_open(struct netpath **np, int account_cpu_state_fd, bool napi);
/* Take this interval's deltas (flushes the open softirq runs first). */
int netpath_collect(struct netpath *np);
void netpath_close(struct netpath *np);
const struct net_dev *netpath_find(const struct netpath *np, unsigned int netns, int ifindex);
const struct net_dev *netpath_find_name(const struct netpath *np, unsigned int netns,
					const char *name);
/*
 * Owner of a device (veth: the container in either end's netns; tap: its holder's target):
 * its target index (entity filled), or -1 (entity "").
 */
int netpath_owner(const struct netpath *np, const struct net_dev *d, io_owner_fn owner, void *ctx,
		  char *entity, size_t elen);

/* ---- the interval as typed rows, for report/ to render (report/io.c) ---- */

/* A device that moved this interval, its owner named. */
struct net_dev_row {
	struct vp_net_key key;
	bool have_info; /* false: device facts not recorded (map full) */
	char name[16];
	enum net_kind kind;
	char owner[64];	 /* entity of the target it serves; "" none */
	char peer[16];	 /* veth: the other end's name ... */
	bool peer_known; /* ... when it was seen */
	unsigned int peer_netns;
	pid_t holder;	       /* tap: the process holding it; 0 none */
	enum vhost_mode vhost; /* tap: the holder's vhost mode */
	struct vp_net_stats delta;
};

/* A path: a host-side device and what it serves (a veth pair is one path, both ends summed). */
struct net_path_row {
	char host[16], inner[16]; /* inner: the veth end inside the owner; "" for other kinds */
	enum net_kind kind;
	char owner[64];
	enum vhost_mode vhost; /* tap only */
	/* toward the owner = the host side's transmits; from it = its receives */
	uint64_t in_pkts, in_bytes, out_pkts, out_bytes;
	uint64_t softirq_ns, proc_ns; /* NET_TX + NET_RX softirq; process-context receive */
};

struct net_view {
	bool runs; /* softirq split (NET_RX_MS, NET_TX_MS, PROC_PKTS, SOFTIRQ_MS) measured */
	struct vp_na runs_na;
	bool proc_timed; /* PROC_RX_MS measured */
	struct vp_na proc_na;
	bool napi; /* NAPI polls counted */
	struct vp_na napi_na;
	bool vhost_net;			 /* /dev/vhost-net exists */
	uint64_t drops[VP_NET_DROP_MAX]; /* this interval, by enum vp_net_drop */
	struct net_dev_row *dev;
	int ndev;
	struct net_path_row *path;
	int npath;
};

/* This interval's devices and paths with their owners; net_view_free after. */
int netpath_view(const struct netpath *np, io_owner_fn owner, void *ctx, struct net_view *v);
void net_view_free(struct net_view *v);

/* ---- pure helpers (unit-tested) ---- */
enum net_kind net_kind_of(const struct vp_net_dev_info *di);
const char *net_kind_name(enum net_kind k);
const char *vhost_mode_name(enum vhost_mode m);
/* "iff:\ttap0" line of a /dev/net/tun fdinfo -> 0 and the name, -ENOENT if not attached. */
int netpath_parse_tun_fdinfo(const char *text, char *ifname, size_t len);
/*
 * vhost mode of qemu `pid` from the names of its own threads and of kernel threads: a thread of
 * its own named "vhost-<pid>" is a user worker (v6.4+), a kthread of that name the old model.
 */
enum vhost_mode vhost_mode_from(pid_t pid, const char *const *own_comms, int nown,
				const char *const *kthread_comms, int nk);
/* The same from /proc. */
enum vhost_mode netpath_vhost_mode(pid_t pid);
/* Scan /proc for the process holding tap `ifname` in netns `netns` (0: any); 0 if none. */
pid_t netpath_tap_holder(const char *ifname, unsigned int netns);

#endif
