// SPDX-License-Identifier: GPL-2.0
/*
 * Network path section.  The BPF side (bpf/net.bpf.c) keeps cumulative per-CPU counters per
 * device; here they are summed, turned into interval deltas, and each device is classified and
 * mapped to the target it serves.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "account/classify.h"
#include "probe/features.h"
#include "probe/probe.h"
#include "net.skel.h"
#include "io/net.h"
#include "out/table.h"
#include "sys/util.h"

static const struct target *by_netns(const struct targets *ts, unsigned long ino)
{
	return ts && ino ? targets_by_netns(ts, ino) : NULL;
}

static const struct target *by_pid(const struct targets *ts, pid_t pid)
{
	return ts && pid > 0 ? targets_by_pid(ts, pid) : NULL;
}

enum net_kind net_kind_of(const struct vp_net_dev_info *di)
{
	if (di->flags & VP_IFF_LOOPBACK)
		return NET_LO;
	if (strcmp(di->kind, "veth") == 0)
		return NET_VETH;
	if (strcmp(di->kind, "tun") == 0)
		return NET_TAP;
	if (strcmp(di->kind, "bridge") == 0)
		return NET_BRIDGE;
	if (!di->kind[0])
		return NET_PHYS; /* no rtnl_link_ops: a driver-probed device */
	return NET_OTHER;
}

const char *net_kind_name(enum net_kind k)
{
	static const char *const names[] = { "lo", "veth", "tap", "bridge", "phys", "other" };

	return k <= NET_OTHER ? names[k] : "other";
}

const char *vhost_mode_name(enum vhost_mode m)
{
	switch (m) {
	case VHOST_NONE:
		return "none";
	case VHOST_USER_WORKER:
		return "user-worker";
	case VHOST_KTHREAD:
		return "kthread";
	default:
		return "unknown";
	}
}

int netpath_parse_tun_fdinfo(const char *text, char *ifname, size_t len)
{
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, "iff:", 4) == 0) {
			size_t n = 0;

			p += 4;
			while (*p == ' ' || *p == '\t')
				p++;
			while (p[n] && p[n] != '\n')
				n++;
			if (!n || n >= len)
				return -ENOENT;
			memcpy(ifname, p, n);
			ifname[n] = 0;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

enum vhost_mode vhost_mode_from(pid_t pid, const char *const *own_comms, int nown,
				const char *const *kthread_comms, int nk)
{
	char want[32];

	snprintf(want, sizeof(want), "vhost-%d", (int)pid);
	for (int i = 0; i < nown; i++)
		if (strncmp(own_comms[i], "vhost-", 6) == 0)
			return VHOST_USER_WORKER;
	for (int i = 0; i < nk; i++)
		if (strcmp(kthread_comms[i], want) == 0)
			return VHOST_KTHREAD;
	return VHOST_NONE;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static void read_comm(const char *path, char *buf, size_t len)
{
	char *s = read_file(path, NULL);

	buf[0] = 0;
	if (!s)
		return;
	s[strcspn(s, "\n")] = 0;
	snprintf(buf, len, "%s", s);
	free(s);
}

enum vhost_mode netpath_vhost_mode(pid_t pid)
{
	char path[64], own[256][16], kth[64][16];
	const char *ownp[256], *kthp[64];
	int nown = 0, nk = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return VHOST_UNKNOWN;
	while ((de = readdir(d)) && nown < 256) {
		char p[96];

		if (!all_digits(de->d_name))
			continue;
		snprintf(p, sizeof(p), "/proc/%d/task/%s/comm", (int)pid, de->d_name);
		read_comm(p, own[nown], sizeof(own[0]));
		ownp[nown] = own[nown];
		nown++;
	}
	closedir(d);
	/* Kernel threads "vhost-<pid>" (before v6.4): children of kthreadd. */
	d = opendir("/proc");
	while (d && (de = readdir(d)) && nk < 64) {
		char p[96], c[16];

		if (!all_digits(de->d_name))
			continue;
		snprintf(p, sizeof(p), "/proc/%s/comm", de->d_name);
		read_comm(p, c, sizeof(c));
		if (strncmp(c, "vhost-", 6) != 0)
			continue;
		memcpy(kth[nk], c, sizeof(c));
		kthp[nk] = kth[nk];
		nk++;
	}
	if (d)
		closedir(d);
	return vhost_mode_from(pid, ownp, nown, kthp, nk);
}

static unsigned long netns_of(pid_t pid)
{
	char p[64];
	struct stat st;

	snprintf(p, sizeof(p), "/proc/%d/ns/net", (int)pid);
	return stat(p, &st) ? 0 : st.st_ino;
}

pid_t netpath_tap_holder(const char *ifname, unsigned int netns)
{
	pid_t any = 0;
	struct dirent *de;
	DIR *d = opendir("/proc");

	while (d && (de = readdir(d))) {
		char p[96];
		struct dirent *fe;
		DIR *fd;

		if (!all_digits(de->d_name))
			continue;
		snprintf(p, sizeof(p), "/proc/%s/fd", de->d_name);
		fd = opendir(p);
		while (fd && (fe = readdir(fd))) {
			char lp[160], tgt[64], name[32], *info;
			ssize_t n;

			if (!all_digits(fe->d_name))
				continue;
			snprintf(lp, sizeof(lp), "/proc/%s/fd/%s", de->d_name, fe->d_name);
			n = readlink(lp, tgt, sizeof(tgt) - 1);
			if (n <= 0)
				continue;
			tgt[n] = 0;
			if (strcmp(tgt, "/dev/net/tun") != 0)
				continue;
			snprintf(lp, sizeof(lp), "/proc/%s/fdinfo/%s", de->d_name, fe->d_name);
			info = read_file(lp, NULL);
			if (info && netpath_parse_tun_fdinfo(info, name, sizeof(name)) == 0 &&
			    strcmp(name, ifname) == 0) {
				pid_t pid = atoi(de->d_name);

				/* Names are per netns: prefer a holder in the device's netns. */
				if (!netns || netns_of(pid) == netns) {
					free(info);
					closedir(fd);
					closedir(d);
					return pid;
				}
				if (!any)
					any = pid;
			}
			free(info);
		}
		if (fd)
			closedir(fd);
	}
	if (d)
		closedir(d);
	return any;
}

struct net_open_ctx {
	struct netpath *np;
	int account_fd;
	bool napi;
};

static int configure(void *skel, void *ctx, enum probe_flavour want)
{
	struct net_bpf *s = skel;
	struct net_open_ctx *c = ctx;
	struct netpath *np = c->np;
	int account_fd = c->account_fd;
	bool napi = c->napi;
	__typeof__(s->progs) *p = &s->progs;

	np->runs = false;

	np->flavour = probe_pick(p->tp_netif_receive_skb, p->raw_netif_receive_skb,
				 "netif_receive_skb", "net", want);
	if (!np->flavour ||
	    !probe_pick(p->tp_net_dev_xmit, p->raw_net_dev_xmit, "net_dev_xmit", "net", want)) {
		vp_err("network tracepoints netif_receive_skb/net_dev_xmit not in this kernel");
		return -ENOTSUP;
	}
	np->napi = napi && probe_pick(p->tp_napi_poll, p->raw_napi_poll, "napi_poll", "napi", want);
	if (!napi) {
		bpf_program__set_autoload(p->tp_napi_poll, false);
		bpf_program__set_autoload(p->raw_napi_poll, false);
		snprintf(np->napi_na, sizeof(np->napi_na),
			 "NAPI: napi_poll not attached (opt-in: it fires on every poll)");
	} else if (!np->napi) {
		snprintf(np->napi_na, sizeof(np->napi_na), "NAPI: napi_poll not in this kernel");
	}
	np->proc_timed = probe_pick(p->tp_netif_receive_skb_entry, p->raw_netif_receive_skb_entry,
				    "netif_receive_skb_entry", "net", want) &&
			 probe_pick(p->tp_netif_receive_skb_exit, p->raw_netif_receive_skb_exit,
				    "netif_receive_skb_exit", "net", want);
	/* The list variants are optional (batched receive); timed when present. */
	if (!probe_pick(p->tp_netif_receive_skb_list_entry, p->raw_netif_receive_skb_list_entry,
			"netif_receive_skb_list_entry", "net", want) ||
	    !probe_pick(p->tp_netif_receive_skb_list_exit, p->raw_netif_receive_skb_list_exit,
			"netif_receive_skb_list_exit", "net", want)) {
		bpf_program__set_autoload(p->tp_netif_receive_skb_list_entry, false);
		bpf_program__set_autoload(p->raw_netif_receive_skb_list_entry, false);
		bpf_program__set_autoload(p->tp_netif_receive_skb_list_exit, false);
		bpf_program__set_autoload(p->raw_netif_receive_skb_list_exit, false);
	}
	if (!np->proc_timed)
		snprintf(np->proc_na, sizeof(np->proc_na),
			 "process-context receive time: netif_receive_skb_entry/exit tracepoints "
			 "not in this kernel");
	if (account_fd >= 0) {
		int err = bpf_map__reuse_fd(s->maps.cpu_state, account_fd);

		if (err) {
			snprintf(np->runs_na, sizeof(np->runs_na),
				 "softirq split: cannot share account's cpu_state map: %s",
				 strerror(-err));
		} else {
			s->rodata->have_runs = true;
			np->runs = true;
		}
	} else {
		snprintf(np->runs_na, sizeof(np->runs_na),
			 "softirq split: CPU accounting not loaded (its cpu_state map gives the "
			 "NET_* run boundaries)");
	}
	if (!np->runs && np->proc_timed) {
		/* Telling process context from softirq needs the same per-CPU state. */
		np->proc_timed = false;
		snprintf(np->proc_na, sizeof(np->proc_na), "process-context receive time: %s",
			 np->runs_na);
	}
	return 0;
}

PROBE_SKEL_WRAPPERS(net_bpf)

static const struct probe_obj_ops net_ops = {
	.what = "network",
	.optional = true,
	.configure = configure,
	PROBE_SKEL_OPS(net_bpf),
};

int netpath_open(struct netpath **out, int account_cpu_state_fd, bool napi)
{
	struct netpath *np = calloc(1, sizeof(*np));
	struct net_open_ctx ctx = { np, account_cpu_state_fd, napi };
	enum probe_flavour f;
	void *skel;
	int err;

	if (!np)
		return -ENOMEM;
	np->ncpu = libbpf_num_possible_cpus();
	err = probe_open_fallback(&net_ops, &ctx, &skel, &f);
	if (err) {
		netpath_close(np);
		return err;
	}
	np->skel = skel;
	*out = np;
	return 0;
}

void netpath_close(struct netpath *np)
{
	if (!np)
		return;
	net_bpf__destroy(np->skel);
	free(np->devs);
	free(np);
}

/* A device by its key (netns, ifindex): the first member of net_dev's info. */
static struct net_dev *find_or_add(struct netpath *np, const struct vp_net_key *k)
{
	return array_find_or_add((void **)&np->devs, &np->ndev, &np->cap, sizeof(*np->devs), k,
				 sizeof(*k));
}

const struct net_dev *netpath_find(const struct netpath *np, unsigned int netns, int ifindex)
{
	for (int i = 0; i < np->ndev; i++)
		if (np->devs[i].info.key.netns == netns && np->devs[i].info.key.ifindex == ifindex)
			return &np->devs[i];
	return NULL;
}

const struct net_dev *netpath_find_name(const struct netpath *np, unsigned int netns,
					const char *name)
{
	for (int i = 0; i < np->ndev; i++)
		if (np->devs[i].info.key.netns == netns && strcmp(np->devs[i].info.name, name) == 0)
			return &np->devs[i];
	return NULL;
}

static void resolve_taps(struct netpath *np)
{
	for (int i = 0; i < np->ndev; i++) {
		struct net_dev *d = &np->devs[i];
		char p[64];

		if (d->kind != NET_TAP)
			continue;
		snprintf(p, sizeof(p), "/proc/%d", (int)d->holder);
		if (d->holder && access(p, F_OK) == 0)
			continue;
		if (!d->delta.rx_pkts && !d->delta.tx_pkts && d->holder)
			continue; /* idle and its holder gone: keep the last mapping */
		/*
		 * A scan reads every fd of every process: at most every 10 s per tap -- but a first
		 * scan that found no holder (a tap whose writer was still starting, on a busy host)
		 * is tried again at the next collect, so one unlucky scan does not leave the tap
		 * ownerless for 10 s.
		 */
		if (d->holder_scan_ns &&
		    now_mono_ns() - d->holder_scan_ns < (d->holder_misses == 1 ? 0 : 10) * NSEC_PER_SEC)
			continue;
		d->holder_scan_ns = now_mono_ns();
		d->holder = netpath_tap_holder(d->info.name, d->info.key.netns);
		d->holder_misses = d->holder ? 0 : d->holder_misses + 1;
		d->vhost = d->holder ? netpath_vhost_mode(d->holder) : VHOST_UNKNOWN;
	}
}

/*
 * Devices come and go with containers and VMs.  When the device map is three quarters full,
 * forget devices idle for ten minutes (a packet racing the delete would be lost, hence the long
 * idle time); a device that comes back gets a fresh entry.
 */
static void prune(struct netpath *np)
{
	int sfd = bpf_map__fd(np->skel->maps.net_stats);
	int ifd = bpf_map__fd(np->skel->maps.net_devs);
	uint64_t now = now_mono_ns();
	int j = 0;

	if (np->ndev < VP_NET_MAX_DEVS * 3 / 4)
		return;
	for (int i = 0; i < np->ndev; i++) {
		struct net_dev *d = &np->devs[i];

		if (now - d->active_ns > 600 * NSEC_PER_SEC) {
			bpf_map_delete_elem(sfd, &d->info.key);
			bpf_map_delete_elem(ifd, &d->info.key);
			continue;
		}
		np->devs[j++] = *d;
	}
	np->ndev = j;
}

int netpath_collect(struct netpath *np)
{
	size_t vsz = sizeof(struct vp_net_stats);
	int sfd = bpf_map__fd(np->skel->maps.net_stats);
	int ifd = bpf_map__fd(np->skel->maps.net_devs);
	struct vp_net_key k, next, *prev = NULL;
	void *vals = calloc(np->ncpu, vsz);
	uint64_t drops[VP_NET_DROP_MAX];

	if (!vals)
		return -ENOMEM;
	/* Always: the per-CPU caches hold this interval's counts until flushed. */
	if (probe_run_on_cpus(np->skel->progs.net_flush))
		vp_debug("net flush: %s", strerror(errno));
	while (bpf_map_get_next_key(sfd, prev, &next) == 0) {
		struct vp_net_stats sum;
		struct net_dev *d;
		uint64_t *a, *b, *t;

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(sfd, &k, vals))
			continue;
		probe_sum_u64(vals, np->ncpu, vsz, &sum);
		d = find_or_add(np, &k);
		if (!d)
			break;
		/* read again every interval: another device may have taken the key (ident) */
		{
			struct vp_net_dev_info di;

			if (bpf_map_lookup_elem(ifd, &k, &di) == 0 &&
			    (!d->have_info || di.ident != d->info.ident)) {
				d->info = di;
				d->have_info = true;
				d->kind = net_kind_of(&d->info);
				/* a new device: its tap holder is looked for anew */
				d->holder = 0;
				d->holder_scan_ns = 0;
				d->holder_misses = 0;
			}
		}
		/*
		 * A bridge counts what it passes up after eth_type_trans(): no Ethernet header
		 * (the BPF side adds the header back for every other device).
		 */
		if (d->kind == NET_BRIDGE && sum.rx_bytes >= 14 * sum.rx_pkts)
			sum.rx_bytes -= 14 * sum.rx_pkts;
		a = (uint64_t *)&sum;
		b = (uint64_t *)&d->total;
		t = (uint64_t *)&d->delta;
		for (size_t i = 0; i < vsz / 8; i++)
			t[i] = a[i] >= b[i] ? a[i] - b[i] : 0;
		d->total = sum;
		if (!d->active_ns || memcmp(&d->delta, &(struct vp_net_stats){}, sizeof(d->delta)))
			d->active_ns = now_mono_ns();
	}
	{
		int dfd = bpf_map__fd(np->skel->maps.net_drops);
		uint64_t per[VP_MAX_CPUS];

		for (__u32 i = 0; i < VP_NET_DROP_MAX; i++) {
			drops[i] = 0;
			if (np->ncpu <= VP_MAX_CPUS && bpf_map_lookup_elem(dfd, &i, per) == 0)
				for (int c = 0; c < np->ncpu; c++)
					drops[i] += per[c];
			np->drops_delta[i] = drops[i] - np->drops[i];
			np->drops[i] = drops[i];
		}
	}
	free(vals);
	prune(np);
	resolve_taps(np);
	return 0;
}

static const struct net_dev *peer_of(const struct netpath *np, const struct net_dev *d)
{
	if (d->kind != NET_VETH || !d->info.peer.ifindex)
		return NULL;
	return netpath_find(np, d->info.peer.netns, d->info.peer.ifindex);
}

const struct target *netpath_owner(const struct netpath *np, const struct net_dev *d,
				   const struct targets *ts)
{
	const struct target *t;

	switch (d->kind) {
	case NET_VETH:
		/*
		 * A veth serves the container whose netns holds one of its ends.  A VM's netns
		 * is only where its qemu (and the bridge) lives: VMs are reached through taps.
		 */
		(void)np;
		t = by_netns(ts, d->info.key.netns);
		if (t && t->kind == TARGET_CTR)
			return t;
		t = by_netns(ts, d->info.peer.netns);
		return t && t->kind == TARGET_CTR ? t : NULL;
	case NET_TAP:
		return by_pid(ts, d->holder);
	default:
		return NULL;
	}
}

static bool active(const struct vp_net_stats *s)
{
	return s->rx_pkts || s->tx_pkts || s->sirq_ns[0] || s->sirq_ns[1] || s->proc_ns ||
	       s->napi_polls;
}

enum {
	DC_NETNS,
	DC_DEV,
	DC_KIND,
	DC_OWNER,
	DC_PEER,
	DC_RXP,
	DC_RXB,
	DC_TXP,
	DC_TXB,
	DC_RXMS,
	DC_TXMS,
	DC_PROCP,
	DC_TAPMS,
	DC_NAPI
};

static void render_devices(const struct netpath *np, const struct targets *ts, struct out *o)
{
	bool phys = false;
	struct table t;

	table_init(&t, "net_devices", "Network devices");
	table_col(&t, "netns", "NETNS", 0, false);
	table_col(&t, "dev", "DEV", 0, true);
	table_col(&t, "kind", "KIND", 0, true);
	table_col(&t, "owner", "OWNER", 0, true);
	table_col(&t, "peer", "PEER/HOLDER", 0, true);
	table_col(&t, "rx_pkts", "RX_PKTS", 0, false);
	table_col(&t, "rx_bytes", "RX_BYTES", 0, false);
	table_col(&t, "tx_pkts", "TX_PKTS", 0, false);
	table_col(&t, "tx_bytes", "TX_BYTES", 0, false);
	table_col(&t, "net_rx_ms", "NET_RX_MS", 2, false);
	table_col(&t, "net_tx_ms", "NET_TX_MS", 2, false);
	table_col(&t, "proc_pkts", "PROC_PKTS", 0, false);
	table_col(&t, "proc_rx_ms", "PROC_RX_MS", 2, false);
	table_col(&t, "napi_polls", "NAPI", 0, false);
	for (int i = 0; i < np->ndev; i++) {
		const struct net_dev *d = &np->devs[i];
		const struct target *tg = netpath_owner(np, d, ts);
		const struct vp_net_stats *s = &d->delta;
		char buf[96];
		int r;

		if (!active(s))
			continue;
		r = table_row(&t);
		table_u64(&t, r, DC_NETNS, d->info.key.netns);
		if (d->have_info)
			table_str(&t, r, DC_DEV, d->info.name);
		else
			table_na(&t, r, DC_DEV, "device facts not recorded (map full)");
		table_str(&t, r, DC_KIND, net_kind_name(d->kind));
		table_str(&t, r, DC_OWNER, tg ? tg->entity : "-");
		buf[0] = 0;
		if (d->kind == NET_VETH) {
			const struct net_dev *p = peer_of(np, d);

			snprintf(buf, sizeof(buf), "%s@%u", p ? p->info.name : "?",
				 d->info.peer.netns);
		} else if (d->kind == NET_TAP && d->holder) {
			snprintf(buf, sizeof(buf), "pid %d vhost=%s", (int)d->holder,
				 vhost_mode_name(d->vhost));
		}
		table_str(&t, r, DC_PEER, buf[0] ? buf : "-");
		table_u64(&t, r, DC_RXP, s->rx_pkts);
		table_u64(&t, r, DC_RXB, s->rx_bytes);
		table_u64(&t, r, DC_TXP, s->tx_pkts);
		table_u64(&t, r, DC_TXB, s->tx_bytes);
		if (np->runs) {
			table_f64(&t, r, DC_RXMS, s->sirq_ns[1] / 1e6);
			table_f64(&t, r, DC_TXMS, s->sirq_ns[0] / 1e6);
			table_u64(&t, r, DC_PROCP, s->proc_pkts);
		} else {
			table_na(&t, r, DC_RXMS, np->runs_na);
			table_na(&t, r, DC_TXMS, np->runs_na);
			table_na(&t, r, DC_PROCP, np->runs_na);
		}
		if (!np->proc_timed)
			table_na(&t, r, DC_TAPMS, np->proc_na);
		else
			table_f64(&t, r, DC_TAPMS, s->proc_ns / 1e6);
		if (np->napi)
			table_u64(&t, r, DC_NAPI, s->napi_polls);
		else
			table_na(&t, r, DC_NAPI, np->napi_na);
		if (d->kind == NET_PHYS)
			phys = true;
	}
	if (phys)
		table_note(&t, "phys RX_PKTS count skbs after GRO; the driver's statistics count "
			       "wire packets");
	if (np->drops_delta[VP_NET_DROP_DEVS_FULL])
		table_note(&t, "%llu packets not counted: device map full",
			   (unsigned long long)np->drops_delta[VP_NET_DROP_DEVS_FULL]);
	if (np->drops_delta[VP_NET_DROP_TAIL])
		table_note(&t, "%llu softirq run tails not split (run end no longer known)",
			   (unsigned long long)np->drops_delta[VP_NET_DROP_TAIL]);
	if (np->drops_delta[VP_NET_DROP_UNCACHED])
		table_note(&t,
			   "%llu packets counted without a share of their softirq run's time "
			   "(nested handler or more than %d devices in one run)",
			   (unsigned long long)np->drops_delta[VP_NET_DROP_UNCACHED], VP_NET_SLOTS);
	if (np->drops_delta[VP_NET_DROP_PROC])
		table_note(&t, "%llu process-context receives not timed (unbalanced entry/exit)",
			   (unsigned long long)np->drops_delta[VP_NET_DROP_PROC]);
	if (np->runs)
		table_note(&t, "PROC_PKTS: packets sent or received in process context (not in a "
			       "softirq)");
	if (np->proc_timed)
		table_note(&t, "PROC_RX_MS: receive work run in process context with bottom halves "
			       "disabled (tap writes by qemu / vhost); also inside that thread's "
			       "system time");
	table_render(&t, o);
	table_free(&t);
}

/* A path: a host-side device and what it serves, both veth ends summed. */
struct path {
	const struct net_dev *host, *inner;
	const struct target *owner;
};

static void add(struct vp_net_stats *a, const struct vp_net_stats *b)
{
	uint64_t *x = (uint64_t *)a;
	const uint64_t *y = (const uint64_t *)b;

	for (size_t i = 0; i < sizeof(*a) / 8; i++)
		x[i] += y[i];
}

enum { PC_PATH, PC_KIND, PC_OWNER, PC_VHOST, PC_INP, PC_INB, PC_OUTP, PC_OUTB, PC_SIRQ, PC_TAPMS };

static void render_paths(const struct netpath *np, const struct targets *ts, struct out *o)
{
	struct table t;

	table_init(&t, "net_paths", "Network paths (toward / from what each device serves)");
	table_col(&t, "path", "PATH", 0, true);
	table_col(&t, "kind", "KIND", 0, true);
	table_col(&t, "owner", "OWNER", 0, true);
	table_col(&t, "vhost", "VHOST", 0, true);
	table_col(&t, "in_pkts", "IN_PKTS", 0, false);
	table_col(&t, "in_bytes", "IN_BYTES", 0, false);
	table_col(&t, "out_pkts", "OUT_PKTS", 0, false);
	table_col(&t, "out_bytes", "OUT_BYTES", 0, false);
	table_col(&t, "softirq_ms", "SOFTIRQ_MS", 2, false);
	table_col(&t, "proc_rx_ms", "PROC_RX_MS", 2, false);
	for (int i = 0; i < np->ndev; i++) {
		const struct net_dev *d = &np->devs[i], *inner = NULL, *p;
		const struct target *tg = netpath_owner(np, d, ts);
		struct vp_net_stats s = d->delta;
		char name[96];
		int r;

		if (d->kind == NET_VETH) {
			p = peer_of(np, d);
			/* One row per pair, from the host side: skip the end inside the target. */
			if (tg && by_netns(ts, d->info.key.netns) == tg && p)
				continue;
			if (!tg && p &&
			    (p->info.key.netns < d->info.key.netns ||
			     (p->info.key.netns == d->info.key.netns &&
			      p->info.key.ifindex < d->info.key.ifindex)))
				continue; /* unowned pair: shown once */
			inner = p;
			if (inner)
				add(&s, &inner->delta);
		}
		if (!active(&s))
			continue;
		r = table_row(&t);
		if (inner)
			snprintf(name, sizeof(name), "%s<->%s", d->info.name, inner->info.name);
		else
			snprintf(name, sizeof(name), "%s", d->info.name);
		table_str(&t, r, PC_PATH, name);
		table_str(&t, r, PC_KIND, net_kind_name(d->kind));
		table_str(&t, r, PC_OWNER, tg ? tg->entity : "-");
		table_str(&t, r, PC_VHOST, d->kind == NET_TAP ? vhost_mode_name(d->vhost) : "-");
		/* Host side: what it transmits goes toward the owner, what it receives comes from it. */
		table_u64(&t, r, PC_INP, d->delta.tx_pkts);
		table_u64(&t, r, PC_INB, d->delta.tx_bytes);
		table_u64(&t, r, PC_OUTP, d->delta.rx_pkts);
		table_u64(&t, r, PC_OUTB, d->delta.rx_bytes);
		if (np->runs)
			table_f64(&t, r, PC_SIRQ, (s.sirq_ns[0] + s.sirq_ns[1]) / 1e6);
		else
			table_na(&t, r, PC_SIRQ, np->runs_na);
		if (!np->proc_timed)
			table_na(&t, r, PC_TAPMS, np->proc_na);
		else
			table_f64(&t, r, PC_TAPMS, s.proc_ns / 1e6);
	}
	table_note(&t,
		   "IN = transmitted by the host-side device (toward the owner), OUT = received; "
		   "veth softirq time sums both ends");
	if (access("/dev/vhost-net", F_OK) != 0)
		table_note(&t, "vhost-net not available in this kernel (/dev/vhost-net absent)");
	table_render(&t, o);
	table_free(&t);
}

void netpath_render(const struct netpath *np, const struct targets *ts, double interval_s,
		    struct out *o)
{
	(void)interval_s;
	render_devices(np, ts, o);
	render_paths(np, ts, o);
}
