// SPDX-License-Identifier: GPL-2.0
/*
 * I/O sections' pure parts, no root: device classification, tun fdinfo, vhost mode, block
 * histogram/labels, KVM reason names and "not available" logic, and the network tables built
 * from hand-made device records (a veth pair into a container's netns, a tap held by a VM).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "io/block.h"
#include "account/classify.h"
#include "io/kvmexit.h"
#include "io/netpath.h"
#include "out/table.h"
#include "report/io.h"
#include "session/capture.h"

static struct vp_net_dev_info dev(const char *name, const char *kind, unsigned int flags)
{
	struct vp_net_dev_info d = {};

	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.kind, sizeof(d.kind), "%s", kind);
	d.flags = flags;
	return d;
}

static void test_kind(void **state)
{
	struct vp_net_dev_info d;

	(void)state;
	d = dev("lo", "", VP_IFF_LOOPBACK);
	assert_int_equal(net_kind_of(&d), NET_LO);
	d = dev("veth0", "veth", 0);
	assert_int_equal(net_kind_of(&d), NET_VETH);
	d = dev("tap0", "tun", 0);
	assert_int_equal(net_kind_of(&d), NET_TAP);
	d = dev("br0", "bridge", 0);
	assert_int_equal(net_kind_of(&d), NET_BRIDGE);
	d = dev("eth0", "", 0);
	assert_int_equal(net_kind_of(&d), NET_PHYS);
	d = dev("vx0", "vxlan", 0);
	assert_int_equal(net_kind_of(&d), NET_OTHER);
	assert_string_equal(net_kind_name(NET_PHYS), "phys");
	assert_string_equal(net_kind_name(NET_TAP), "tap");
}

static void test_tun_fdinfo(void **state)
{
	char name[16];

	(void)state;
	assert_int_equal(netpath_parse_tun_fdinfo("pos:\t0\nflags:\t0104002\nmnt_id:\t25\n"
						  "ino:\t1043\niff:\tvptap0\n",
						  name, sizeof(name)),
			 0);
	assert_string_equal(name, "vptap0");
	/* Not attached (TUNSETIFF not done): no iff line. */
	assert_int_equal(netpath_parse_tun_fdinfo("pos:\t0\nflags:\t02\n", name, sizeof(name)),
			 -ENOENT);
	/* Name too long for the buffer. */
	assert_int_equal(netpath_parse_tun_fdinfo("iff:\tabcdefghijklmnopqrstuvwxyz\n", name, 8),
			 -ENOENT);
}

static void test_vhost_mode(void **state)
{
	const char *own_worker[] = { "qemu-system-x86", "CPU 0/KVM", "vhost-4242" };
	const char *own_plain[] = { "qemu-system-x86", "CPU 0/KVM", "IO mon_iothread" };
	const char *kth[] = { "vhost-4242", "kworker/0:1" };
	const char *kth_other[] = { "vhost-999" };

	(void)state;
	assert_int_equal(vhost_mode_from(4242, own_worker, 3, NULL, 0), VHOST_USER_WORKER);
	assert_int_equal(vhost_mode_from(4242, own_plain, 3, kth, 2), VHOST_KTHREAD);
	assert_int_equal(vhost_mode_from(4242, own_plain, 3, kth_other, 1), VHOST_NONE);
	assert_string_equal(vhost_mode_name(VHOST_USER_WORKER), "user-worker");
}

static void test_block_helpers(void **state)
{
	uint64_t h[VP_BLK_HIST] = {};
	struct vp_blk_key k = {};

	(void)state;
	assert_int_equal(blockio_hist_pct(h, VP_BLK_HIST, 50), 0);
	h[3] = 90;  /* 8..16 us */
	h[10] = 10; /* 1..2 ms */
	assert_int_equal(blockio_hist_pct(h, VP_BLK_HIST, 50), 16);
	assert_int_equal(blockio_hist_pct(h, VP_BLK_HIST, 90), 16);
	assert_int_equal(blockio_hist_pct(h, VP_BLK_HIST, 99), 2048);
	{
		char buf[128];

		blockio_hist_str(h, VP_BLK_HIST, buf, sizeof(buf));
		assert_string_equal(buf, "16:90 2048:10");
	}
	assert_string_equal(blockio_op_name(0), "read");
	assert_string_equal(blockio_op_name(1), "write");
	assert_string_equal(blockio_op_name(77), "other");
	k.op = 1;
	k.flags = VP_BLK_KTHREAD | VP_BLK_WQ;
	assert_string_equal(blockio_submitter_role(&k), "writeback");
	k.op = 0;
	assert_string_equal(blockio_submitter_role(&k), "kthread");
	k.flags = 0;
	assert_string_equal(blockio_submitter_role(&k), "");
}

static void test_kvm_helpers(void **state)
{
	struct kvmexit k = {};

	(void)state;
	assert_string_equal(kvmexit_reason_name(1, 30), "IO_INSTRUCTION");
	assert_string_equal(kvmexit_reason_name(2, 0x7b), "IOIO");
	assert_null(kvmexit_reason_name(1, 9999));
	assert_null(kvmexit_reason_name(0, 30));
	/* Attached, nothing ran yet: available (zero is a measurement). */
	k.exits = true;
	kvmexit_check_exits(&k);
	assert_false(vp_na_is(&k.exit_na));
	/* pio fired, exits never did: not available, with the reason. */
	k.life_io = 10;
	kvmexit_check_exits(&k);
	assert_int_equal(k.exit_na.code, VP_NA_KERNEL);
	assert_non_null(strstr(vp_na_text(&k.exit_na), "never fired"));
	k.life_exits = 3;
	kvmexit_check_exits(&k);
	assert_null(vp_na_text(&k.exit_na));
	/* Absent tracepoint: its own reason, kept. */
	k.exits = false;
	vp_na_set(&k.exit_na, VP_NA_KERNEL, "kvm_exit/kvm_entry: absent");
	kvmexit_check_exits(&k);
	assert_string_equal(vp_na_text(&k.exit_na), "kvm_exit/kvm_entry: absent");
}

/* A veth pair (host end in netns 100, container end in 200) and a tap held by pid 4242. */
static void fake_netpath(struct netpath *np, struct net_dev *d)
{
	memset(np, 0, sizeof(*np));
	memset(d, 0, 3 * sizeof(*d));
	d[0].info = dev("vethh", "veth", 0);
	d[0].info.key = (struct vp_net_key){ 100, 7 };
	d[0].info.peer = (struct vp_net_key){ 200, 2 };
	d[0].delta.tx_pkts = 10, d[0].delta.tx_bytes = 1000;
	d[0].delta.rx_pkts = 5, d[0].delta.rx_bytes = 500;
	d[0].delta.sirq_ns[1] = 2000000;
	d[1].info = dev("eth0", "veth", 0);
	d[1].info.key = (struct vp_net_key){ 200, 2 };
	d[1].info.peer = (struct vp_net_key){ 100, 7 };
	d[1].delta.rx_pkts = 10, d[1].delta.tx_pkts = 5;
	d[1].delta.sirq_ns[1] = 1000000;
	d[2].info = dev("tap0", "tun", 0);
	d[2].info.key = (struct vp_net_key){ 100, 9 };
	d[2].delta.rx_pkts = 3;
	d[2].delta.proc_ns = 500000;
	d[2].holder = 4242;
	d[2].vhost = VHOST_NONE;
	for (int i = 0; i < 3; i++) {
		d[i].have_info = true;
		d[i].kind = net_kind_of(&d[i].info);
	}
	np->devs = d;
	np->ndev = np->cap = 3;
	np->runs = np->proc_timed = np->napi = true;
}

/* The session's owner lookup (capture_io_owner) over the test's targets only. */
static struct capture cap;

static int owner_of(const struct netpath *np, const struct net_dev *d, const struct targets *ts)
{
	cap.targets = *ts;
	return netpath_owner(np, d, capture_io_owner, &cap, NULL, 0);
}

/* The network tables as the report renders them, in a JSON object (the caller frees it). */
static char *render_json(const struct netpath *np, const struct targets *ts)
{
	struct net_view v;
	struct out o;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	out_init(&o, f, OUT_JSON, false);
	jw_obj_begin(&o.jw);
	cap.targets = *ts;
	assert_int_equal(netpath_view(np, capture_io_owner, &cap, &v), 0);
	report_io_net(&v, &o);
	net_view_free(&v);
	jw_obj_end(&o.jw);
	fclose(f);
	return buf;
}

static void test_render(void **state)
{
	struct targets *ts = calloc(1, sizeof(*ts));
	struct netpath np;
	struct net_dev d[3];
	char *buf;

	(void)state;
	assert_non_null(ts);
	assert_non_null(targets_append(ts));
	assert_non_null(targets_append(ts));
	ts->t[0].kind = TARGET_CTR;
	snprintf(ts->t[0].entity, sizeof(ts->t[0].entity), "ctr:web");
	ts->t[0].netns = 200;
	ts->t[1].kind = TARGET_VM;
	snprintf(ts->t[1].entity, sizeof(ts->t[1].entity), "vm:guest");
	ts->t[1].pid = 4242;
	assert_int_equal(targets_reindex(ts), 0);
	fake_netpath(&np, d);
	assert_int_equal(owner_of(&np, &d[0], ts), 0);
	assert_int_equal(owner_of(&np, &d[1], ts), 0);
	assert_int_equal(owner_of(&np, &d[2], ts), 1);

	buf = render_json(&np, ts);
	/* The path row: host end, both ends' softirq time, toward the container = host tx. */
	assert_non_null(strstr(buf, "\"path\":\"vethh<->eth0\""));
	assert_non_null(strstr(buf, "\"owner\":\"ctr:web\""));
	assert_non_null(strstr(buf, "\"softirq_ms\":3"));
	assert_non_null(strstr(buf, "\"in_pkts\":10"));
	assert_non_null(strstr(buf, "\"owner\":\"vm:guest\""));
	assert_non_null(strstr(buf, "\"vhost\":\"none\""));
	free(buf);

	/* Without the accounting map the split is "not available", not 0. */
	np.runs = false;
	vp_na_set(&np.runs_na, VP_NA_OPTION, "softirq split: CPU accounting not loaded");
	buf = render_json(&np, ts);
	assert_non_null(strstr(buf, "\"net_rx_ms\":null"));
	assert_non_null(strstr(buf, "CPU accounting not loaded"));
	free(buf);
	targets_free(ts);
	free(ts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind),	    cmocka_unit_test(test_tun_fdinfo),
		cmocka_unit_test(test_vhost_mode),  cmocka_unit_test(test_block_helpers),
		cmocka_unit_test(test_kvm_helpers), cmocka_unit_test(test_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
