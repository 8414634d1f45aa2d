// SPDX-License-Identifier: GPL-2.0
/*
 * Root tests of the network-path section against real devices in network namespaces the test
 * creates: exact packet/byte counts against the kernel's own device statistics, NET_RX time
 * charged to the veth, tap writes timed and the tap mapped to the process (qemu) holding it.
 * IPv6 is disabled and neighbours are static, so nothing but the test's own frames is sent.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "account/classify.h"
#include "harness.h"
#include "io/iosec.h"
#include "iotest.h"
#include "io/netpath.h"
#include "probe/account.h"
#include "session/capture.h"
#include "sys/util.h"

static struct account_probe probes;
static struct iosec *io;
static struct netpath *np;
static int id;

struct devstat {
	uint64_t rxp, rxb, txp, txb;
};

static unsigned int netns_ino(const char *ns)
{
	char p[128];
	struct stat st;

	snprintf(p, sizeof(p), "/run/netns/%s", ns);
	return stat(p, &st) ? 0 : (unsigned int)st.st_ino;
}

/*
 * The four counters in one `ip netns exec` (it forks, unshares and mounts a sysfs of the netns:
 * 50-100 ms inside the kernel lab's emulated host, where four of them per read were a quarter of
 * test_net's time).
 */
static int read_devstat(const char *ns, const char *dev, struct devstat *s)
{
	uint64_t *v[] = { &s->rxp, &s->rxb, &s->txp, &s->txb };
	char cmd[512];
	unsigned long long x;
	int n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s cat /sys/class/net/%s/statistics/rx_packets "
		 "/sys/class/net/%s/statistics/rx_bytes /sys/class/net/%s/statistics/tx_packets "
		 "/sys/class/net/%s/statistics/tx_bytes",
		 ns, dev, dev, dev, dev);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n < 4 && fscanf(p, "%llu", &x) == 1)
		*v[n++] = x;
	return pclose(p) == 0 && n == 4 ? 0 : -1;
}

/* A device's packets and bytes, both ways, against the kernel's own over the same window. */
/* The target index the session's owner lookup (capture_io_owner) gives a device, over ts only. */
static int owner_of(const struct netpath *n, const struct net_dev *d, const struct targets *ts)
{
	static struct capture c;

	c.targets = *ts;
	return netpath_owner(n, d, capture_io_owner, &c, NULL, 0);
}

static bool counts_match(const struct net_dev *d, const struct devstat *s0,
			 const struct devstat *s1, const char *side)
{
	return ASSERT_EQ(d->delta.rx_pkts, s1->rxp - s0->rxp, "%s rx_packets", side) &&
	       ASSERT_EQ(d->delta.rx_bytes, s1->rxb - s0->rxb, "%s rx_bytes", side) &&
	       ASSERT_EQ(d->delta.tx_pkts, s1->txp - s0->txp, "%s tx_packets", side) &&
	       ASSERT_EQ(d->delta.tx_bytes, s1->txb - s0->txb, "%s tx_bytes", side);
}

/* A bridge's packets and bytes one way (its other way carries frames of its own), likewise. */
static bool bridge_matches(const struct net_dev *br, const struct devstat *s0,
			   const struct devstat *s1, bool tx)
{
	const char *dir = tx ? "tx" : "rx";
	uint64_t pkts = tx ? br->delta.tx_pkts : br->delta.rx_pkts;
	uint64_t bytes = tx ? br->delta.tx_bytes : br->delta.rx_bytes;
	uint64_t spkts = tx ? s1->txp - s0->txp : s1->rxp - s0->rxp;
	uint64_t sbytes = tx ? s1->txb - s0->txb : s1->rxb - s0->rxb;

	printf("  %s: %s %llu/%llu (sysfs %llu/%llu)\n", br->info.name, dir,
	       (unsigned long long)pkts, (unsigned long long)bytes, (unsigned long long)spkts,
	       (unsigned long long)sbytes);
	return ASSERT_EQ(pkts, spkts, "bridge %s_packets", dir) &&
	       ASSERT_EQ(bytes, sbytes, "bridge %s_bytes", dir);
}

/* In netns ns, n UDP datagrams of size bytes to port 9 (discard, closed) of ip. */
static int udp_burst(const char *ns, int n, int size, const char *ip)
{
	return iot_sh("ip netns exec %s bash -c 'for i in $(seq %d); do printf %%%ds x "
		      ">/dev/udp/%s/9; done'",
		      ns, n, size, ip);
}

/* A target of one kind and entity name, appended to ts (the caller sets what finds it). */
static struct target *add_target(struct targets *ts, enum target_kind kind, const char *entity)
{
	struct target *t = targets_append(ts);

	if (t) {
		t->kind = kind;
		snprintf(t->entity, sizeof(t->entity), "%s", entity);
	}
	return t;
}

static void print_veth(const char *name, const struct net_dev *d, const struct devstat *s0,
		       const struct devstat *s1)
{
	printf("  %s: rx %llu/%llu tx %llu/%llu  net_rx %.3f ms  (sysfs rx %llu/%llu tx %llu/%llu)\n",
	       name, (unsigned long long)d->delta.rx_pkts, (unsigned long long)d->delta.rx_bytes,
	       (unsigned long long)d->delta.tx_pkts, (unsigned long long)d->delta.tx_bytes,
	       d->delta.sirq_ns[1] / 1e6, (unsigned long long)(s1->rxp - s0->rxp),
	       (unsigned long long)(s1->rxb - s0->rxb), (unsigned long long)(s1->txp - s0->txp),
	       (unsigned long long)(s1->txb - s0->txb));
}

static int setup_io(void)
{
	struct iosec_opts o = { .net = true };
	int err;

	if (io)
		return 0;
	if (geteuid() != 0)
		return SKIP;
	err = account_probe_open(&probes, 0, false);
	if (err) {
		fprintf(stderr, "  account_probe_open: %s\n", strerror(-err));
		return 1;
	}
	o.account_cpu_state_fd = account_probe_cpu_state_fd(&probes);
	if (iosec_open(&io, &o) || !(np = iosec_net(io))) {
		fprintf(stderr, "  iosec_open: network section did not load\n");
		return 1;
	}
	return 0;
}

static int mk_netns(const char *ns)
{
	if (iot_sh("ip netns add %s", ns))
		return -1;
	/*
	 * Deleted at exit, not at the test's end: a new netns may take a deleted one's inode, so a
	 * device of the next test could have a deleted one's key (netns inode, ifindex) -- what
	 * net_netns_reuse tests on purpose; the others keep their keys apart.
	 */
	iot_at_exit("ip netns del %s", ns);
	return iot_sh("ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
		      "net.ipv6.conf.default.disable_ipv6=1",
		      ns);
}

static int test_veth_counts(void)
{
	char a[32], b[32], va[16], vb[16];
	struct devstat sa0, sa1, sb0, sb1;
	const struct net_dev *da, *db;
	struct targets ts = { 0 };
	unsigned int ia, ib;
	int r = setup_io(), ret = 1, mark = iot_cleanup_mark();

	if (r)
		return r;
	if (!iot_have("ip"))
		TEST_SKIP("ip (iproute2) not installed");
	snprintf(a, sizeof(a), "vpio-a%d", id);
	snprintf(b, sizeof(b), "vpio-b%d", id);
	snprintf(va, sizeof(va), "vpa%d", id);
	snprintf(vb, sizeof(vb), "vpb%d", id);
	if (!ASSERT_TRUE(mk_netns(a) == 0 && mk_netns(b) == 0, "netns setup"))
		goto cleanup;
	if (!ASSERT_OK(iot_sh("ip link add %s netns %s type veth peer name %s netns %s", va, a, vb,
			      b),
		       "veth setup"))
		goto cleanup;
	if (!ASSERT_TRUE(
		    iot_sh("ip -n %s addr add 10.213.0.1/30 dev %s && ip -n %s addr add "
			   "10.213.0.2/30 dev %s && ip -n %s link set %s up && ip -n %s link set %s up",
			   a, va, b, vb, a, va, b, vb) == 0,
		    "addresses"))
		goto cleanup;
	/* Static neighbours: no ARP of its own. */
	if (!ASSERT_OK(iot_sh("ip -n %s neigh replace 10.213.0.2 lladdr $(ip netns exec %s cat "
			      "/sys/class/net/%s/address) dev %s nud permanent && "
			      "ip -n %s neigh replace 10.213.0.1 lladdr $(ip netns exec %s cat "
			      "/sys/class/net/%s/address) dev %s nud permanent",
			      a, b, vb, va, b, a, va, vb),
		       "neighbours"))
		goto cleanup;
	iot_sleep_ms(1500); /* link-up work settles (IGMP reports within ~1 s of an address) */
	ia = netns_ino(a);
	ib = netns_ino(b);

	if (!ASSERT_OK(iosec_collect(io), "baseline collect"))
		goto cleanup;
	if (!ASSERT_TRUE(read_devstat(a, va, &sa0) == 0 && read_devstat(b, vb, &sb0) == 0, "sysfs"))
		goto cleanup;
	/* 300 UDP datagrams to a closed port; b answers some with ICMP (rate-limited): counted
	 * on both sides all the same. */
	if (!ASSERT_OK(udp_burst(a, 300, 1200, "10.213.0.2"), "udp traffic"))
		goto cleanup;
	iot_sleep_ms(200);
	if (!ASSERT_TRUE(read_devstat(a, va, &sa1) == 0 && read_devstat(b, vb, &sb1) == 0, "sysfs"))
		goto cleanup;
	if (!ASSERT_OK(iosec_collect(io), "collect"))
		goto cleanup;

	da = netpath_find_name(np, ia, va);
	db = netpath_find_name(np, ib, vb);
	if (!ASSERT_TRUE(da && db, "both veth ends seen (netns %u / %u)", ia, ib))
		goto cleanup;
	print_veth(va, da, &sa0, &sa1);
	print_veth(vb, db, &sb0, &sb1);
	if (!ASSERT_GE(da->delta.tx_pkts, 300, "traffic seen"))
		goto cleanup;
	if (!counts_match(da, &sa0, &sa1, "a") || !counts_match(db, &sb0, &sb1, "b"))
		goto cleanup;
	if (!ASSERT_TRUE(da->kind == NET_VETH && db->kind == NET_VETH, "kind veth"))
		goto cleanup;
	if (!ASSERT_TRUE(da->info.peer.netns == ib && db->info.peer.netns == ia, "peer netns"))
		goto cleanup;
	if (!ASSERT_EQ(da->info.peer.ifindex, db->info.key.ifindex, "peer ifindex"))
		goto cleanup;
	if (!ASSERT_TRUE(np->runs, "softirq split available: %s", np->runs_na.detail))
		goto cleanup;
	if (!ASSERT_TRUE(da->delta.sirq_ns[1] + db->delta.sirq_ns[1] > 0,
			 "NET_RX time on the veth"))
		goto cleanup;
	/* A container target in netns b owns the pair. */
	if (!ASSERT_TRUE(add_target(&ts, TARGET_CTR, "ctr:test"), "a target"))
		goto cleanup;
	ts.t[0].netns = ib;
	targets_reindex(&ts);
	if (!ASSERT_TRUE(owner_of(np, da, &ts) == 0, "host end -> container") ||
	    !ASSERT_TRUE(owner_of(np, db, &ts) == 0, "inner end -> container"))
		goto cleanup;
	ret = 0;
cleanup:
	targets_free(&ts);
	iot_cleanup_to(mark);
	return ret;
}

/* A tap on a bridge in a test netns; frames written by a process holding it (no vhost here). */
static int test_tap_write(void)
{
	char ns[32], tap[16], go[64], cmd[512];
	struct devstat s0, s1, b0, b1;
	const struct net_dev *d;
	unsigned int ino;
	pid_t pid = -1;
	int r = setup_io(), n = 400, size = 600, ret = 1, mark = iot_cleanup_mark(), wst = 0;

	if (r)
		return r;
	snprintf(ns, sizeof(ns), "vpio-t%d", id);
	snprintf(tap, sizeof(tap), "vptw%d", id);
	snprintf(go, sizeof(go), "/tmp/vpio-go-%d", id);
	unlink(go);
	iot_on_exit("rm -f %s", go);
	if (!ASSERT_OK(mk_netns(ns), "netns"))
		goto cleanup;
	if (!ASSERT_OK(iot_sh("ip -n %s link add vpbr0 type bridge && ip -n %s link set vpbr0 up",
			      ns, ns),
		       "bridge"))
		goto cleanup;
	snprintf(cmd, sizeof(cmd), "%s/net_tapwrite", iot_helpers());
	if (!ASSERT_TRUE(access(cmd, X_OK) == 0, "helper %s built", cmd))
		goto cleanup;
	pid = fork();
	if (!ASSERT_TRUE(pid >= 0, "fork"))
		goto cleanup;
	if (pid == 0) {
		char c[16], sz[16];

		snprintf(c, sizeof(c), "%d", n);
		snprintf(sz, sizeof(sz), "%d", size);
		/* it holds the tap until killed at cleanup (120 s at most): in a starved kernel lab
		 * the polls below took 100 s, outliving a shorter hold */
		execlp("ip", "ip", "netns", "exec", ns, cmd, tap, c, sz, go, "120000",
		       (char *)NULL);
		_exit(127);
	}
	iot_on_exit("kill %d", (int)pid);
	for (int i = 0; i < 100 && iot_sh("ip -n %s link show %s >/dev/null 2>&1", ns, tap); i++)
		iot_sleep_ms(50);
	if (!ASSERT_OK(iot_sh("ip -n %s link set %s master vpbr0 && ip -n %s link set %s up", ns,
			      tap, ns, tap),
		       "tap up on bridge"))
		goto cleanup;
	iot_sleep_ms(200);
	ino = netns_ino(ns);
	if (!ASSERT_OK(iosec_collect(io), "baseline"))
		goto cleanup;
	if (!ASSERT_TRUE(read_devstat(ns, tap, &s0) == 0 && read_devstat(ns, "vpbr0", &b0) == 0,
			 "sysfs"))
		goto cleanup;
	if (!ASSERT_OK(iot_sh("touch %s", go), "go"))
		goto cleanup;
	/* a failed read means the tap is gone: no use polling on */
	for (int i = 0; i < 100; i++) {
		iot_sleep_ms(50);
		if (read_devstat(ns, tap, &s1) || s1.rxp - s0.rxp >= (uint64_t)n)
			break;
	}
	iot_sleep_ms(100);
	if (!ASSERT_EQ(waitpid(pid, &wst, WNOHANG), 0,
		       "the tap writer still holds the tap (exit status %#x)", wst))
		goto cleanup;
	if (!ASSERT_TRUE(read_devstat(ns, tap, &s1) == 0 && read_devstat(ns, "vpbr0", &b1) == 0,
			 "sysfs"))
		goto cleanup;
	if (!ASSERT_OK(iosec_collect(io), "collect"))
		goto cleanup;
	d = netpath_find_name(np, ino, tap);
	if (!ASSERT_TRUE(d, "tap seen"))
		goto cleanup;
	printf("  %s: rx %llu/%llu (sysfs %llu/%llu) proc_pkts %llu tap_write %.3f ms holder %d "
	       "vhost %s\n",
	       tap, (unsigned long long)d->delta.rx_pkts, (unsigned long long)d->delta.rx_bytes,
	       (unsigned long long)(s1.rxp - s0.rxp), (unsigned long long)(s1.rxb - s0.rxb),
	       (unsigned long long)d->delta.proc_pkts, d->delta.proc_ns / 1e6, (int)d->holder,
	       vhost_mode_name(d->vhost));
	{
		/* The bridge passes the broadcast frames up: its rx must match its own count too. */
		const struct net_dev *br = netpath_find_name(np, ino, "vpbr0");

		if (!ASSERT_TRUE(br && br->kind == NET_BRIDGE, "bridge seen") ||
		    !bridge_matches(br, &b0, &b1, false))
			goto cleanup;
	}
	if (!ASSERT_TRUE(d->kind == NET_TAP, "kind tap (%s)", d->info.kind))
		goto cleanup;
	if (!ASSERT_TRUE(d->delta.rx_pkts == (uint64_t)n && s1.rxp - s0.rxp == (uint64_t)n,
			 "rx pkts"))
		goto cleanup;
	if (!ASSERT_TRUE(d->delta.rx_bytes == (uint64_t)n * size &&
				 s1.rxb - s0.rxb == (uint64_t)n * size,
			 "rx bytes"))
		goto cleanup;
	if (!ASSERT_TRUE(d->delta.proc_pkts >= (uint64_t)n, "received in process context"))
		goto cleanup;
	if (!ASSERT_TRUE(np->proc_timed && d->delta.proc_ns > 0, "tap write time: %s",
			 np->proc_na.detail))
		goto cleanup;
	if (!ASSERT_TRUE(d->holder > 0, "holder found"))
		goto cleanup;
	if (!ASSERT_EQ(d->vhost, VHOST_NONE, "no vhost for a plain tun writer"))
		goto cleanup;
	ret = 0;
cleanup:
	iot_cleanup_to(mark); /* kills the writer */
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return ret;
}

/* A qemu VM (TCG, BIOS only) holding a tap on a bridge; frames sent toward the guest. */
static int test_tap_qemu(void)
{
	char ns[32], tap[16], pidf[64];
	struct targets ts = { 0 };
	struct devstat b0, b1;
	const struct net_dev *d;
	unsigned int ino;
	pid_t qpid = 0;
	int r = setup_io(), ret = 1, mark = iot_cleanup_mark();

	if (r)
		return r;
	if (!iot_have("qemu-system-x86_64"))
		TEST_SKIP("qemu-system-x86_64 not installed");
	snprintf(ns, sizeof(ns), "vpio-q%d", id);
	snprintf(tap, sizeof(tap), "vptq%d", id);
	snprintf(pidf, sizeof(pidf), "/tmp/vpio-qemu-%d.pid", id);
	if (!ASSERT_OK(mk_netns(ns), "netns"))
		goto cleanup;
	/* multicast off: no unsolicited IGMP reports landing between the counter reads */
	if (!ASSERT_TRUE(
		    iot_sh("ip -n %s link add vpbr0 type bridge && ip -n %s link set vpbr0 multicast "
			   "off && ip -n %s addr add 10.214.0.1/24 dev vpbr0 && ip -n %s link set "
			   "vpbr0 up",
			   ns, ns, ns, ns) == 0,
		    "bridge"))
		goto cleanup;
	iot_on_exit("rm -f %s", pidf);
	iot_on_exit("test -s %s && kill $(cat %s)", pidf, pidf);
	if (!ASSERT_OK(iot_sh("ip netns exec %s qemu-system-x86_64 -accel tcg -m 64 -display none "
			      "-nodefaults -no-reboot -daemonize -pidfile %s "
			      "-netdev tap,id=n0,ifname=%s,script=no,downscript=no "
			      "-device e1000,netdev=n0,mac=52:54:00:12:34:56,romfile=",
			      ns, pidf, tap),
		       "qemu start"))
		goto cleanup;
	qpid = (pid_t)iot_sh_u64("cat %s", pidf);
	if (!ASSERT_TRUE(qpid > 0, "qemu pid"))
		goto cleanup;
	if (!ASSERT_TRUE(
		    iot_sh("ip -n %s link set %s master vpbr0 && ip -n %s link set %s up && "
			   "ip -n %s neigh replace 10.214.0.2 lladdr 52:54:00:12:34:56 dev vpbr0 "
			   "nud permanent",
			   ns, tap, ns, tap, ns) == 0,
		    "tap on bridge"))
		goto cleanup;
	/* a new bridge sends two 54-byte frames of its own within ~1 s of coming up: let them pass */
	iot_sleep_ms(1500);
	ino = netns_ino(ns);
	if (!ASSERT_OK(iosec_collect(io), "baseline"))
		goto cleanup;
	if (!ASSERT_TRUE(read_devstat(ns, "vpbr0", &b0) == 0, "sysfs"))
		goto cleanup;
	/* The guest does not answer (no option ROM: no PXE/DHCP of its own to disturb the counts);
	 * the frames go out on the tap all the same. */
	if (!ASSERT_OK(udp_burst(ns, 50, 500, "10.214.0.2"), "udp toward the guest"))
		goto cleanup;
	iot_sleep_ms(200);
	if (!ASSERT_TRUE(read_devstat(ns, "vpbr0", &b1) == 0, "sysfs"))
		goto cleanup;
	if (!ASSERT_OK(iosec_collect(io), "collect"))
		goto cleanup;
	{
		const struct net_dev *br = netpath_find_name(np, ino, "vpbr0");

		if (!ASSERT_TRUE(br, "bridge seen") || !bridge_matches(br, &b0, &b1, true))
			goto cleanup;
	}
	d = netpath_find_name(np, ino, tap);
	if (!ASSERT_TRUE(d, "tap seen"))
		goto cleanup;
	printf("  %s: tx %llu pkts %llu bytes, holder %d (qemu %d), vhost %s\n", tap,
	       (unsigned long long)d->delta.tx_pkts, (unsigned long long)d->delta.tx_bytes,
	       (int)d->holder, (int)qpid, vhost_mode_name(d->vhost));
	if (!ASSERT_EQ(d->holder, qpid, "tap mapped to the qemu process"))
		goto cleanup;
	if (!ASSERT_TRUE(add_target(&ts, TARGET_VM, "vm:test"), "a target"))
		goto cleanup;
	ts.t[0].pid = qpid;
	targets_reindex(&ts);
	if (!ASSERT_TRUE(owner_of(np, d, &ts) == 0, "tap -> vm:test"))
		goto cleanup;
	if (!ASSERT_TRUE(d->delta.tx_pkts >= 50, "traffic toward the guest on the tap path"))
		goto cleanup;
	if (!ASSERT_EQ(d->vhost, VHOST_NONE, "vhost mode none (no /dev/vhost-net here)"))
		goto cleanup;
	ret = 0;
cleanup:
	targets_free(&ts);
	iot_cleanup_to(mark);
	return ret;
}

/* tp_btf is expected: the kernel has BTF and no one asked for raw_tp. */
static bool want_tp_btf(void)
{
	const char *f = getenv("VIRTPROF_BPF_FLAVOUR");

	return access("/sys/kernel/btf/vmlinux", R_OK) == 0 && !(f && strcmp(f, "raw_tp") == 0) &&
	       !getenv("VIRTPROF_IO_RAW");
}

/*
 * Without the CPU accounting's map the object stands alone: packets still counted exactly, the
 * softirq split and process-context time "not available" with the reason.  Traffic: the lo of a
 * test netns.
 */
static int test_standalone(void)
{
	struct iosec_opts o = { .account_cpu_state_fd = -1, .net = true };
	struct iosec *io1 = NULL;
	struct netpath *n1;
	struct devstat s0, s1;
	const struct net_dev *d;
	char ns[32];
	unsigned int ino;
	int ret = 1, mark = iot_cleanup_mark();

	if (geteuid() != 0)
		TEST_SKIP("needs root");
	snprintf(ns, sizeof(ns), "vpio-s%d", id);
	if (!ASSERT_TRUE(mk_netns(ns) == 0 && iot_sh("ip -n %s link set lo up", ns) == 0, "netns"))
		goto cleanup;
	ino = netns_ino(ns);
	if (!ASSERT_TRUE(iosec_open(&io1, &o) == 0 && (n1 = iosec_net(io1)), "standalone open") ||
	    /*
	     * With BTF the per-packet handlers must load as tp_btf: one the verifier refuses falls
	     * back to raw_tp without a word and costs 2.5 times as much per packet (floor.sh).
	     */
	    !ASSERT_TRUE(!want_tp_btf() || strcmp(n1->flavour, "tp_btf") == 0,
			 "net programs loaded as tp_btf (got %s)", n1->flavour) ||
	    !ASSERT_OK(iosec_collect(io1), "baseline") ||
	    !ASSERT_OK(read_devstat(ns, "lo", &s0), "sysfs") ||
	    !ASSERT_OK(udp_burst(ns, 100, 300, "127.0.0.1"), "udp on lo"))
		goto cleanup;
	iot_sleep_ms(100);
	if (!ASSERT_OK(read_devstat(ns, "lo", &s1), "sysfs") ||
	    !ASSERT_OK(iosec_collect(io1), "collect"))
		goto cleanup;
	d = netpath_find_name(n1, ino, "lo");
	if (!ASSERT_TRUE(d, "lo of %s seen", ns))
		goto cleanup;
	printf("  standalone lo: rx %llu/%llu tx %llu/%llu (sysfs %llu/%llu %llu/%llu); %s; %s\n",
	       (unsigned long long)d->delta.rx_pkts, (unsigned long long)d->delta.rx_bytes,
	       (unsigned long long)d->delta.tx_pkts, (unsigned long long)d->delta.tx_bytes,
	       (unsigned long long)(s1.rxp - s0.rxp), (unsigned long long)(s1.rxb - s0.rxb),
	       (unsigned long long)(s1.txp - s0.txp), (unsigned long long)(s1.txb - s0.txb),
	       n1->runs_na.detail, n1->proc_na.detail);
	/* exact counts; the split and process time not available, with the reason */
	if (!counts_match(d, &s0, &s1, "lo") || !ASSERT_GE(d->delta.tx_pkts, 100, "traffic seen") ||
	    !ASSERT_TRUE(!n1->runs && vp_na_is(&n1->runs_na),
			 "softirq split not available, with reason") ||
	    !ASSERT_TRUE(!n1->proc_timed && vp_na_is(&n1->proc_na),
			 "process-context time not available, with reason") ||
	    /* nothing measured, nothing charged */
	    !ASSERT_EQ(d->delta.sirq_ns[0], 0, "softirq time charged") ||
	    !ASSERT_EQ(d->delta.sirq_ns[1], 0, "softirq time charged") ||
	    !ASSERT_EQ(d->delta.proc_pkts, 0, "process-context packets"))
		goto cleanup;
	ret = 0;
cleanup:
	iosec_destroy(io1);
	iot_cleanup_to(mark);
	return ret;
}

/*
 * A netns deleted, a new one taking its inode, its first device the same ifindex as the old
 * one's: the key (netns inode, ifindex) is the same, the device is not.  Its name and kind are
 * the new device's from the next interval on (vp_net_dev_info.ident), not the deleted one's.
 * A veth, then a bridge; ARP requests for an absent neighbour are their traffic.
 */
/* in netns %s (4 x), a veth pair PREFIX0 / PREFIX1 up, PREFIX0 at 10.213.9.1/24 */
#define VETH_UP(prefix)                                                                \
	"ip -n %s link add " prefix "0 type veth peer name " prefix "1 && "            \
	"ip -n %s addr add 10.213.9.1/24 dev " prefix "0 && ip -n %s link set " prefix \
	"0 up && ip -n %s link set " prefix "1 up"
#define ARP_TRAFFIC                                                                      \
	"ip netns exec %s bash -c 'for i in 1 2 3; do printf x >/dev/udp/10.213.9.2/9; " \
	"sleep 0.3; done' 2>/dev/null"

static int test_netns_reuse(void)
{
	char ns[32];
	const struct net_dev *o0, *o1, *d0, *d1;
	unsigned int i1, i2;
	int r = setup_io(), ret = 1, mark = iot_cleanup_mark();

	if (r)
		return r;
	if (!iot_have("ip"))
		TEST_SKIP("ip (iproute2) not installed");
	snprintf(ns, sizeof(ns), "vpio-r%d", id);
	iot_on_exit("ip netns del %s 2>/dev/null", ns);
	if (!ASSERT_OK(iot_sh("ip netns add %s && " VETH_UP("vpold"), ns, ns, ns, ns, ns),
		       "first netns"))
		goto cleanup;
	i1 = netns_ino(ns);
	iot_sh(ARP_TRAFFIC, ns);
	if (!ASSERT_OK(iosec_collect(io), "collect"))
		goto cleanup;
	o0 = netpath_find_name(np, i1, "vpold0");
	o1 = netpath_find_name(np, i1, "vpold1");
	if (!ASSERT_TRUE(o0 && o1, "both veth ends seen"))
		goto cleanup;
	/*
	 * The old netns is freed asynchronously, and a new one takes the lowest free inode: made
	 * again (at most 30 times, 0.2 s apart) until it has the old one's; one that took a lower
	 * free inode is kept aside (-hold) so the next try goes higher.
	 */
	iot_on_exit(
		"for h in /run/netns/%s-hold*; do [ -e \"$h\" ] && ip netns del ${h##*/}; done; true",
		ns);
	if (!ASSERT_OK(
		    iot_sh("ip netns del %s; for t in $(seq 30); do sleep 0.2; ip netns add %s || exit 1; "
			   "i=$(stat -c %%i /run/netns/%s); [ $i = %u ] && break; "
			   "if [ $i -lt %u ]; then touch /run/netns/%s-hold$t && "
			   "mount --bind /run/netns/%s /run/netns/%s-hold$t; fi; ip netns del %s; done; "
			   "[ -e /run/netns/%s ] || ip netns add %s",
			   ns, ns, ns, i1, i1, ns, ns, ns, ns, ns, ns),
		    "second netns") ||
	    !ASSERT_OK(iot_sh(VETH_UP("vpnew"), ns, ns, ns, ns), "the second pair"))
		goto cleanup;
	i2 = netns_ino(ns);
	if (i2 != i1 ||
	    iot_sh_u64("ip -n %s -o link show vpnew0 | cut -d: -f1", ns) !=
		    (uint64_t)o0->info.key.ifindex ||
	    iot_sh_u64("ip -n %s -o link show vpnew1 | cut -d: -f1", ns) !=
		    (uint64_t)o1->info.key.ifindex) {
		ret = test_skip("the new pair did not take the old keys (netns inode %u -> %u)", i1,
				i2);
		goto cleanup;
	}
	iot_sh(ARP_TRAFFIC, ns);
	if (!ASSERT_OK(iosec_collect(io), "collect"))
		goto cleanup;
	d0 = netpath_find_name(np, i2, "vpnew0");
	d1 = netpath_find_name(np, i2, "vpnew1");
	printf("  keys (%u, %d/%d): %s / %s\n", i2, o0->info.key.ifindex, o1->info.key.ifindex,
	       d0 ? d0->info.name : "(vpnew0 not found)",
	       d1 ? d1->info.name : "(vpnew1 not found)");
	if (!ASSERT_TRUE(d0 && d1, "the new pair under its own names, not the deleted pair's") ||
	    !ASSERT_TRUE(!netpath_find_name(np, i2, "vpold0") &&
				 !netpath_find_name(np, i2, "vpold1"),
			 "the deleted pair gone") ||
	    !ASSERT_EQ(d0->info.peer.ifindex, d1->info.key.ifindex, "the new pair's peer"))
		goto cleanup;
	ret = 0;
cleanup:
	iot_cleanup_to(mark);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct test_case tc[] = {
		{ "net_standalone", test_standalone },	 { "net_veth_counts", test_veth_counts },
		{ "net_tap_write", test_tap_write },	 { "net_tap_qemu", test_tap_qemu },
		{ "net_netns_reuse", test_netns_reuse },
	};
	int rc;

	iot_init();
	id = getpid() % 100000;
	rc = run_tests(tc, ARRAY_SIZE(tc), argc, argv);
	iosec_destroy(io);
	account_probe_close(&probes);
	return rc;
}
