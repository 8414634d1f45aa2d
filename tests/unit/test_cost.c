// SPDX-License-Identifier: GPL-2.0
/*
 * The cost model (session/cost.c): how a step's CPU is split into load generator / target own /
 * virtualization / network path / profiler / other, from synthetic per-role sums, with no double
 * counting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "session/session.h"

static struct session s;
static struct sess_step st;

static void row(const char *entity, const char *role, int target, uint64_t task, uint64_t net_rx,
		uint64_t timer)
{
	struct agg_row *r = &st.agg.rows[st.agg.n++];

	memset(r, 0, sizeof(*r));
	snprintf(r->entity, sizeof(r->entity), "%s", entity);
	snprintf(r->role, sizeof(r->role), "%s", role);
	r->target = target;
	r->nthreads = 1;
	r->st.task_ns = task;
	r->st.softirq_ns[VP_NET_RX_SOFTIRQ] = net_rx;
	r->st.softirq_ns[1 /* TIMER */] = timer;
	st.busy_ns += task + net_rx + timer;
}

/* Every nanosecond once: the categories add up to the busy time. */
static void assert_every_ns_once(void)
{
	uint64_t sum = st.cost.loadgen_ns + st.cost.profiler_ns + st.cost.other_ns;

	for (int i = 0; i < 2; i++)
		sum += st.cost.target[i].own_ns + st.cost.target[i].overhead_ns;
	assert_int_equal(sum, st.busy_ns);
}

/* The step's per-target arrays (session_step_alloc). */
static void step_arrays_free(void)
{
	free(st.kc);
	free(st.settle_pct);
	free(st.tgt_pct);
	free(st.net.target);
	free(st.guest.seen);
	free(st.guest.guest_ns);
	free(st.cost.target);
	free(st.disk.target);
	free(st.disk.no_disk);
	free(st.kd0);
	free(st.kdisk);
}

static int setup(void **state)
{
	static struct agg_row rows[16];

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(&st, 0, sizeof(st));
	memset(rows, 0, sizeof(rows));
	assert_non_null(targets_append(&s.cap.targets));
	assert_non_null(targets_append(&s.cap.targets));
	assert_int_equal(session_step_alloc(&st, s.cap.targets.n), 0);
	s.cap.targets.t[0].kind = TARGET_VM;
	strcpy(s.cap.targets.t[0].entity, "vm:web");
	s.cap.targets.t[1].kind = TARGET_CTR;
	strcpy(s.cap.targets.t[1].entity, "ctr:web");
	st.agg.rows = rows;
	st.agg.cap = 16;
	st.target = 0;
	/* loadgen hosts 300 of NET_RX; the VM's emulation thread did a 200 tap write inline */
	row("loadgen", "workers", -1, 1000, 300, 10);
	row("vm:web", "vcpu", 0, 5000, 0, 20);
	row("vm:web", "emul", 0, 800, 0, 0);
	row("vm:web", "io", 0, 100, 0, 0);
	row("ctr:web", "app", 1, 50, 40, 0);
	row("ctr:web", "runtime", 1, 5, 0, 0);
	row("profiler", "control", -1, 30, 0, 0);
	row("other", "kworker", -1, 60, 0, 0);
	return 0;
}

static void test_split_with_network(void **state)
{
	(void)state;
	st.net.ok = true;
	/* the per-device split saw all 340 of NET_RX: 260 on the VM's tap, 40 on the veth, 40 bridge */
	st.net.target[0].softirq_ns = 260;
	st.net.target[0].proc_ns = 200;
	st.net.target[1].softirq_ns = 40;
	st.net.bridge.softirq_ns = 40;
	session_derive(&s, &st);

	assert_int_equal(st.cost.loadgen_ns, 1010); /* its NET_RX moved to the path */
	assert_int_equal(st.cost.target[0].own_ns, 5020);
	assert_int_equal(st.cost.target[0].emul_ns,
			 600); /* the tap write is on the path, not here */
	assert_int_equal(st.cost.target[0].io_ns, 100);
	assert_int_equal(st.cost.target[0].path_ns, 460);
	assert_int_equal(st.cost.target[0].bridge_ns, 40); /* the step loads the VM: its bridge */
	assert_int_equal(st.cost.target[0].overhead_ns, 600 + 100 + 460 + 40);
	assert_int_equal(st.cost.target[1].own_ns, 50);
	assert_int_equal(st.cost.target[1].runtime_ns, 5);
	assert_int_equal(st.cost.target[1].bridge_ns, 0); /* not the loaded target */
	assert_int_equal(st.cost.profiler_ns, 30);
	assert_int_equal(st.cost.other_ns, 60);
	assert_every_ns_once();
}

/*
 * With vhost-net the tap writes are the vhost worker's: their process-context receive work is
 * on the path and out of VHOST -- not out of emulation, which never did it (it was counted
 * twice, in VHOST and PATH).
 */
static void test_vhost_tap_write_out_of_worker(void **state)
{
	(void)state;
	row("vm:web", "vhost", 0, 700, 0, 0);
	st.net.ok = true;
	st.net.target[0].softirq_ns = 300;
	st.net.target[0].proc_ns = 250;
	st.net.target[0].vhost_proc_ns = 250;
	st.net.target[1].softirq_ns = 40;
	session_derive(&s, &st);

	assert_int_equal(st.cost.target[0].vhost_ns, 450);
	assert_int_equal(st.cost.target[0].emul_ns, 800); /* untouched: it wrote nothing */
	assert_int_equal(st.cost.target[0].io_ns, 100);
	assert_int_equal(st.cost.target[0].path_ns, 550);
	assert_every_ns_once();
}

static void test_split_without_network(void **state)
{
	(void)state;
	st.net.ok = false;
	session_derive(&s, &st);
	/* without the per-device split, network softirq stays with the hosting thread */
	assert_int_equal(st.cost.loadgen_ns, 1310);
	assert_int_equal(st.cost.target[0].emul_ns, 800);
	assert_int_equal(st.cost.target[0].path_ns, 0);
	assert_int_equal(st.cost.target[1].own_ns, 90);
	assert_int_equal(st.cost.kernel_path_ns, 0);
}

/* VIRT and PATH are named fields: VIRT the VM's threads beyond its vCPUs, PATH tap + bridge. */
static void test_named_columns(void **state)
{
	(void)state;
	st.net.ok = true;
	st.net.target[0].softirq_ns = 260;
	st.net.target[0].proc_ns = 200;
	st.net.bridge.softirq_ns = 40;
	session_derive(&s, &st);
	assert_int_equal(st.cost.target[0].virt_ns, 600 + 100);
	assert_int_equal(st.cost.target[0].netpath_ns, 460 + 40);
	assert_int_equal(st.cost.target[1].virt_ns, 5);
	assert_int_equal(st.cost.virt_ns, 705);
	assert_int_equal(st.cost.own_ns, 5020 + 50);
}

/* A role the cost model does not know is counted apart, never as virtualization. */
static void test_unknown_role_not_virt(void **state)
{
	(void)state;
	row("vm:web", "mystery", 0, 700, 0, 0);
	st.net.ok = false;
	session_derive(&s, &st);
	assert_int_equal(st.cost.target[0].unknown_ns, 700);
	assert_int_equal(st.cost.target[0].virt_ns, 800 + 100);
	assert_int_equal(st.cost.target[0].overhead_ns, 800 + 100);
	assert_int_equal(st.cost.unknown_ns, 700);
	assert_int_equal(cost_part_of_role("mystery"), PART_UNKNOWN);
	assert_int_equal(cost_part_of_role("vhost"), PART_VHOST);
}

/* Under KVM the vCPU threads' time outside guest mode is exit handling: VIRT, not OWN. */
static void test_exits_from_guest_time(void **state)
{
	(void)state;
	st.net.ok = false;
	st.guest.ok = true;
	st.guest.seen[0] = true;
	st.guest.guest_ns[0] = 4000;
	session_derive(&s, &st);
	assert_true(st.cost.target[0].exits_known);
	assert_int_equal(st.cost.target[0].own_ns, 4000);
	assert_int_equal(st.cost.target[0].exits_ns, 1020);
	assert_int_equal(st.cost.target[0].virt_ns, 800 + 100 + 1020);
	assert_false(st.cost.target[1].exits_known); /* a container has no exits */
	assert_every_ns_once();
	/* a VM that never entered guest mode (TCG): no split, EXITS not available */
	st.guest.seen[0] = false;
	session_derive(&s, &st);
	assert_false(st.cost.target[0].exits_known);
	assert_int_equal(st.cost.target[0].own_ns, 5020 + 0);
}

/*
 * A Kata pod: one container target whose VMM has VM roles.  Its pod overhead is its threads'
 * whole CPU (softirq included) less the vCPUs' guest time: all of their time under TCG, only
 * their guest-mode time under KVM (the exit handling is the host's).
 */
static void test_kata_pod_overhead(void **state)
{
	struct target *kt;
	const struct pod_overhead *po;

	(void)state;
	/* a third target, and the step's per-target arrays sized for it (not n = 3 over two) */
	assert_non_null(targets_append(&s.cap.targets));
	step_arrays_free();
	assert_int_equal(session_step_alloc(&st, s.cap.targets.n), 0);
	kt = &s.cap.targets.t[2];
	po = &st.cost.target[2].pod;
	kt->kind = TARGET_CTR;
	strcpy(kt->entity, "pod:ns/kata");
	kt->vm_pod = true;
	kt->vmm_pid = 900;
	row("pod:ns/kata", "vcpu", 2, 3000, 0, 10);
	row("pod:ns/kata", "emul", 2, 400, 50, 0);
	row("pod:ns/kata", "runtime:shim", 2, 30, 0, 0);
	row("pod:ns/kata", "runtime:virtiofsd", 2, 200, 0, 0);
	st.net.ok = false;
	session_derive(&s, &st);
	/* not yet known which threads are the vCPUs: n/a, with why */
	assert_true(po->applies);
	assert_false(po->ok);
	assert_non_null(strstr(po->na.detail, "vCPU threads are not known"));
	kt->vcpus_known = true;
	session_derive(&s, &st);
	assert_true(po->ok);
	assert_false(po->guest_measured);
	assert_int_equal(po->total_ns, 3010 + 450 + 30 + 200);
	assert_int_equal(po->vcpu_ns, 3010);
	assert_int_equal(po->overhead_ns, 450 + 30 + 200);
	/* the helpers are VIRT (runtime), the VMM's threads as a VM's */
	assert_int_equal(st.cost.target[2].runtime_ns, 230);
	assert_int_equal(st.cost.target[2].emul_ns, 450);
	assert_int_equal(st.cost.target[2].own_ns, 3010);
	/* under KVM: 2500 of the vCPUs' 3010 in guest mode, the other 510 are overhead */
	st.guest.ok = true;
	st.guest.seen[2] = true;
	st.guest.guest_ns[2] = 2500;
	session_derive(&s, &st);
	assert_true(po->guest_measured);
	assert_int_equal(po->guest_ns, 2500);
	assert_int_equal(po->overhead_ns, po->total_ns - 2500);
	assert_int_equal(st.cost.target[2].exits_ns, 510);
	/* plain VMs and containers: the figure does not apply */
	assert_false(st.cost.target[0].pod.applies);
	assert_false(st.cost.target[1].pod.applies);
}

static void test_rows_sorted_by_cpu(void **state)
{
	(void)state;
	session_derive(&s, &st);
	for (int i = 1; i < st.agg.n; i++)
		assert_true(stats_busy_ns(&st.agg.rows[i - 1].st) >=
			    stats_busy_ns(&st.agg.rows[i].st));
}

/*
 * DISK: the VM's I/O threads (io role) work for its disk when it did block I/O -- out of VIRT;
 * the BLOCK softirq leaves the threads it interrupted and is shared by bytes, the unowned share
 * to OTHER.  Every nanosecond still once.
 */
static void test_disk_split(void **state)
{
	(void)state;
	/* 90 of BLOCK softirq hosted by the vCPU thread, 10 by the container's app */
	st.agg.rows[1].st.softirq_ns[VP_BLOCK_SOFTIRQ] = 90;
	st.agg.rows[4].st.softirq_ns[VP_BLOCK_SOFTIRQ] = 10;
	st.busy_ns += 100;
	st.net.ok = true;
	st.net.target[0].softirq_ns = 260;
	st.net.target[0].proc_ns = 200;
	st.net.target[1].softirq_ns = 40;
	st.net.bridge.softirq_ns = 40;
	st.disk.ok = true;
	/* bytes: VM 6000, container 3000, nobody's 1000 -> 60 / 30 / 10 of the 100 */
	st.disk.target[0].rd_bytes = 6000;
	st.disk.target[0].rd_ops = 1;
	st.disk.target[1].wr_bytes = 3000;
	st.disk.target[1].wr_ops = 1;
	st.disk.other.wr_bytes = 1000;
	session_derive(&s, &st);

	assert_true(st.cost.target[0].disk_known);
	assert_int_equal(st.cost.target[0].disk_io_ns, 100); /* the io thread, out of VIRT */
	assert_int_equal(st.cost.target[0].io_ns, 0);
	assert_int_equal(st.cost.target[0].disk_softirq_ns, 60);
	assert_int_equal(st.cost.target[0].disk_ns, 160);
	assert_int_equal(st.cost.target[0].own_ns, 5020); /* its hosted BLOCK softirq left it */
	assert_int_equal(st.cost.target[0].virt_ns, 600);
	assert_int_equal(st.cost.target[1].disk_ns, 30);
	assert_int_equal(st.cost.target[1].own_ns, 50);
	assert_int_equal(st.cost.other_ns, 60 + 10);
	assert_every_ns_once();
}

/* A VM without a disk has no DISK figure: its I/O threads stay in VIRT. */
static void test_disk_vm_without_disk(void **state)
{
	(void)state;
	st.disk.ok = true;
	st.disk.no_disk[0] = true;
	st.disk.target[1].wr_bytes = 3000;
	session_derive(&s, &st);
	assert_false(st.cost.target[0].disk_known);
	assert_int_equal(st.cost.target[0].io_ns, 100);
	assert_int_equal(st.cost.target[0].disk_ns, 0);
	assert_true(st.cost.target[1].disk_known);
}

static int teardown(void **state)
{
	(void)state;
	targets_free(&s.cap.targets);
	step_arrays_free();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_split_with_network, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhost_tap_write_out_of_worker, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_split_without_network, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_role_not_virt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exits_from_guest_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kata_pod_overhead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_sorted_by_cpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_vm_without_disk, setup, teardown),
	};

	return cmocka_run_group_tests_name("cost", tests, NULL, NULL);
}
