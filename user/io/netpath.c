// SPDX-License-Identifier: GPL-2.0
/*
 * Network path section.  The BPF side (bpf/net.bpf.c) keeps cumulative per-CPU counters per
 * device; here they are summed, turned into interval deltas, each device is classified, and the
 * interval is handed out as typed device and path rows with the owner each serves (asked of the
 * session through io_owner_fn); report/io.c renders them.
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

#include "probe/features.h"
#include "probe/probe.h"
#include "net.skel.h"
#include "io/netpath.h"
#include "sys/util.h"

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
		vp_na_set(&np->napi_na, VP_NA_OPTION,
			  "NAPI: napi_poll not attached (opt-in: it fires on every poll)");
	} else if (!np->napi) {
		vp_na_set(&np->napi_na, VP_NA_KERNEL, "NAPI: napi_poll not in this kernel");
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
		vp_na_set(&np->proc_na, VP_NA_KERNEL,
			  "process-context receive time: netif_receive_skb_entry/exit tracepoints "
			  "not in this kernel");
	if (account_fd >= 0) {
		int err = bpf_map__reuse_fd(s->maps.cpu_state, account_fd);

		if (err) {
			vp_na_set(&np->runs_na, VP_NA_OTHER,
				  "softirq split: cannot share account's cpu_state map: %s",
				  strerror(-err));
		} else {
			s->rodata->have_runs = true;
			np->runs = true;
		}
	} else {
		vp_na_set(&np->runs_na, VP_NA_OPTION,
			  "softirq split: CPU accounting not loaded (its cpu_state map gives the "
			  "NET_* run boundaries)");
	}
	if (!np->runs && np->proc_timed) {
		/* Telling process context from softirq needs the same per-CPU state. */
		np->proc_timed = false;
		vp_na_set(&np->proc_na, np->runs_na.code, "process-context receive time: %s",
			  np->runs_na.detail);
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
	int err;

	if (!np)
		return -ENOMEM;
	np->ncpu = libbpf_num_possible_cpus();
	err = probe_open_fallback(&net_ops, &ctx, (void **)&np->skel, NULL);
	if (err) {
		netpath_close(np);
		return err;
	}
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
		if (d->holder_scan_ns && now_mono_ns() - d->holder_scan_ns <
						 (d->holder_misses == 1 ? 0 : 10) * NSEC_PER_SEC)
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
			    (!d->have_info || di.ident.dev != d->info.ident.dev ||
			     di.ident.netns_cookie != d->info.ident.netns_cookie)) {
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

/* The container living in netns `ino`, or -1 (0: no netns, no question). */
static int netns_owner(io_owner_fn owner, void *ctx, unsigned long ino, char *ent, size_t elen)
{
	if (!owner || !ino)
		return -1;
	return owner(ctx, &(struct io_owner_key){ .netns = ino }, ent, elen, NULL, 0);
}

int netpath_owner(const struct netpath *np, const struct net_dev *d, io_owner_fn owner, void *ctx,
		  char *entity, size_t elen)
{
	int t = -1;

	(void)np;
	if (elen)
		entity[0] = 0;
	switch (d->kind) {
	case NET_VETH:
		/*
		 * A veth serves the container whose netns holds one of its ends.  A VM's netns
		 * is only where its qemu (and the bridge) lives: VMs are reached through taps.
		 */
		t = netns_owner(owner, ctx, d->info.key.netns, entity, elen);
		if (t < 0)
			t = netns_owner(owner, ctx, d->info.peer.netns, entity, elen);
		break;
	case NET_TAP:
		if (owner && d->holder > 0)
			t = owner(ctx, &(struct io_owner_key){ .tgid = d->holder }, entity, elen,
				  NULL, 0);
		break;
	default:
		break;
	}
	if (t < 0 && elen)
		entity[0] = 0;
	return t;
}

static bool active(const struct vp_net_stats *s)
{
	return s->rx_pkts || s->tx_pkts || s->sirq_ns[0] || s->sirq_ns[1] || s->proc_ns ||
	       s->napi_polls;
}

static void add(struct vp_net_stats *a, const struct vp_net_stats *b)
{
	uint64_t *x = (uint64_t *)a;
	const uint64_t *y = (const uint64_t *)b;

	for (size_t i = 0; i < sizeof(*a) / 8; i++)
		x[i] += y[i];
}

static void view_device(const struct netpath *np, const struct net_dev *d, const char *owner,
			struct net_dev_row *r)
{
	const struct net_dev *p = peer_of(np, d);

	memset(r, 0, sizeof(*r));
	r->key = d->info.key;
	r->have_info = d->have_info;
	snprintf(r->name, sizeof(r->name), "%s", d->info.name);
	r->kind = d->kind;
	snprintf(r->owner, sizeof(r->owner), "%s", owner);
	if (d->kind == NET_VETH) {
		r->peer_known = p != NULL;
		if (p)
			snprintf(r->peer, sizeof(r->peer), "%s", p->info.name);
		r->peer_netns = d->info.peer.netns;
	}
	r->holder = d->kind == NET_TAP ? d->holder : 0;
	r->vhost = d->vhost;
	r->delta = d->delta;
}

/*
 * A path: a host-side device and what it serves, both veth ends summed; false when the device
 * is not the row's host side (the end inside its target, or the second end of an unowned pair).
 */
static bool view_path(const struct netpath *np, const struct net_dev *d, int t, const char *owner,
		      io_owner_fn ofn, void *ctx, struct net_path_row *r)
{
	const struct net_dev *inner = NULL, *p;
	struct vp_net_stats s = d->delta;

	if (d->kind == NET_VETH) {
		p = peer_of(np, d);
		/* One row per pair, from the host side: skip the end inside the target. */
		if (t >= 0 && p && netns_owner(ofn, ctx, d->info.key.netns, NULL, 0) == t)
			return false;
		if (t < 0 && p &&
		    (p->info.key.netns < d->info.key.netns ||
		     (p->info.key.netns == d->info.key.netns &&
		      p->info.key.ifindex < d->info.key.ifindex)))
			return false; /* unowned pair: shown once */
		inner = p;
		if (inner)
			add(&s, &inner->delta);
	}
	if (!active(&s))
		return false;
	memset(r, 0, sizeof(*r));
	snprintf(r->host, sizeof(r->host), "%s", d->info.name);
	if (inner)
		snprintf(r->inner, sizeof(r->inner), "%s", inner->info.name);
	r->kind = d->kind;
	snprintf(r->owner, sizeof(r->owner), "%s", owner);
	r->vhost = d->vhost;
	/* Host side: what it transmits goes toward the owner, what it receives comes from it. */
	r->in_pkts = d->delta.tx_pkts;
	r->in_bytes = d->delta.tx_bytes;
	r->out_pkts = d->delta.rx_pkts;
	r->out_bytes = d->delta.rx_bytes;
	r->softirq_ns = s.sirq_ns[0] + s.sirq_ns[1];
	r->proc_ns = s.proc_ns;
	return true;
}

int netpath_view(const struct netpath *np, io_owner_fn owner, void *ctx, struct net_view *v)
{
	memset(v, 0, sizeof(*v));
	v->runs = np->runs;
	v->proc_timed = np->proc_timed;
	v->napi = np->napi;
	v->runs_na = np->runs_na;
	v->proc_na = np->proc_na;
	v->napi_na = np->napi_na;
	v->vhost_net = access("/dev/vhost-net", F_OK) == 0;
	memcpy(v->drops, np->drops_delta, sizeof(v->drops));
	if (!np->ndev)
		return 0;
	v->dev = calloc(np->ndev, sizeof(*v->dev));
	v->path = calloc(np->ndev, sizeof(*v->path));
	if (!v->dev || !v->path) {
		net_view_free(v);
		return -ENOMEM;
	}
	for (int i = 0; i < np->ndev; i++) {
		const struct net_dev *d = &np->devs[i];
		char ent[sizeof(v->dev->owner)];
		int t = netpath_owner(np, d, owner, ctx, ent, sizeof(ent));

		if (active(&d->delta))
			view_device(np, d, ent, &v->dev[v->ndev++]);
		if (view_path(np, d, t, ent, owner, ctx, &v->path[v->npath]))
			v->npath++;
	}
	return 0;
}

void net_view_free(struct net_view *v)
{
	free(v->dev);
	free(v->path);
	memset(v, 0, sizeof(*v));
}
