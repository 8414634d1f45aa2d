// SPDX-License-Identifier: GPL-2.0
/*
 * The target table at host scale (account/targets.h): grown on the heap past the 32 places it
 * once had, bounded by --max-targets, its look-ups by cgroup id / pid / netns through the index
 * giving the lowest-indexed target as the search in order did, pruning renumbering them.  Built
 * from facts by hand: no root, no cgroups.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "account/classify.h"
#include "account/self.h"
#include "sys/util.h"
#include "virtprof.h"

#define NCTR 1000
#define NVM 50
#define CG_V2(i) (100000u + 2 * (i)) /* a container's own cgroup and one child */
#define CG_V1(i) (500000u + (i))
#define VM_PID(i) (30000 + (i))
#define HOST_NETNS 4026531840ul

static struct targets ts;

static void add_ctr(int i)
{
	struct target *t = targets_append(&ts);

	assert_non_null(t);
	t->kind = TARGET_CTR;
	t->pid = 10000 + i;
	snprintf(t->entity, sizeof(t->entity), "ctr:c%d", i);
	snprintf(t->app_role, sizeof(t->app_role), "app");
	snprintf(t->id, sizeof(t->id), "%064d", i);
	t->netns = HOST_NETNS; /* --network host: every container shares it */
	t->ncgids = 3;
	t->ncgids_v2 = 2;
	t->ncgids_v1 = 1;
	t->cgids[0] = CG_V2(i);
	t->cgids[1] = CG_V2(i) + 1;
	t->cgids[2] = CG_V1(i);
}

static void add_vm(int i)
{
	struct target *t = targets_append(&ts);

	assert_non_null(t);
	t->kind = TARGET_VM;
	t->pid = VM_PID(i);
	t->qemu = true;
	t->debug_threads = true;
	t->netns = 7000 + i;
	snprintf(t->entity, sizeof(t->entity), "vm:v%d", i);
}

static int setup(void **state)
{
	(void)state;
	memset(&ts, 0, sizeof(ts));
	for (int i = 0; i < NCTR; i++)
		add_ctr(i);
	for (int i = 0; i < NVM; i++)
		add_vm(i);
	return targets_reindex(&ts);
}

static int teardown(void **state)
{
	(void)state;
	targets_free(&ts);
	return 0;
}

static const char *owner_of(uint64_t v2, uint64_t v1, pid_t tgid, const char *comm,
			    unsigned int flags, char *role)
{
	static struct attribution a;
	struct thread_facts f = {
		.tid = tgid, .tgid = tgid, .flags = flags, .cgid_v2 = v2, .cgid_v1_cpu = v1
	};

	snprintf(f.comm, sizeof(f.comm), "%s", comm);
	snprintf(f.pcomm, sizeof(f.pcomm), "%s", comm);
	classify_thread(&f, &ts, SELF_NONE, NULL, &a);
	if (role)
		strcpy(role, a.role);
	return a.entity;
}

/* 1,000 containers and 50 VMs: every one found by its keys, none capped at 32. */
static void test_grows_past_32(void **state)
{
	char want[64], role[ROLE_LEN];

	(void)state;
	assert_int_equal(ts.n, NCTR + NVM);
	assert_true(ts.cap >= ts.n);
	for (int i = 0; i < NCTR; i++) {
		assert_int_equal(targets_by_cgroup(&ts, CG_V2(i), 0), i);
		assert_int_equal(targets_by_cgroup(&ts, CG_V2(i) + 1, 0), i); /* below it */
		assert_int_equal(targets_by_cgroup(&ts, 0, CG_V1(i)), i);
		assert_ptr_equal(targets_by_pid(&ts, 10000 + i), &ts.t[i]);
	}
	for (int i = 0; i < NVM; i++) {
		assert_int_equal(targets_find(&ts, TKEY_VM_PID, VM_PID(i)), NCTR + i);
		assert_ptr_equal(targets_by_netns(&ts, 7000 + i), &ts.t[NCTR + i]);
	}
	/* a netns many share: the first of them */
	assert_ptr_equal(targets_by_netns(&ts, HOST_NETNS), &ts.t[0]);
	assert_int_equal(targets_by_cgroup(&ts, 99, 99), -1);
	assert_int_equal(targets_by_cgroup(&ts, 0, 0), -1); /* 0 is no cgroup */

	/* the classifier: a thread of the 777th container, the last VM's vCPU and vhost kthread */
	snprintf(want, sizeof(want), "ctr:c%d", 777);
	assert_string_equal(owner_of(CG_V2(777) + 1, 0, 4321, "nginx", 0, role), want);
	assert_string_equal(role, "app");
	assert_string_equal(owner_of(0, 0, VM_PID(NVM - 1), "CPU 0/KVM", 0, role), "vm:v49");
	assert_string_equal(role, "vcpu");
	snprintf(want, sizeof(want), "vhost-%d", VM_PID(NVM - 1));
	assert_string_equal(owner_of(0, 0, 2, want, VP_PF_KTHREAD, role), "vm:v49");
	assert_string_equal(role, "vhost");
	assert_string_equal(owner_of(99, 99, 4321, "bash", 0, role), "other");
}

/* --max-targets: the table stops at the bound; nothing past it is written. */
static void test_bound(void **state)
{
	struct targets small = { .max = 10 };

	(void)state;
	for (int i = 0; i < 10; i++)
		assert_non_null(targets_append(&small));
	assert_null(targets_append(&small));
	assert_int_equal(small.n, 10);
	assert_int_equal(targets_max(&small), 10);
	small.max = 0;
	assert_int_equal(targets_max(&small), TARGETS_DEFAULT_MAX);
	assert_true(TARGETS_DEFAULT_MAX >= NCTR + NVM);
	targets_free(&small);
	assert_null(small.t);
	assert_int_equal(small.n, 0);
}

/* A cgroup in two targets' trees (a pod and its container named apart): the first wins. */
static void test_nested_first_wins(void **state)
{
	int hit[4];

	(void)state;
	ts.t[500].cgids[1] = CG_V2(20); /* target 500's tree holds target 20's cgroup too */
	assert_int_equal(targets_reindex(&ts), 0);
	assert_int_equal(targets_by_cgroup(&ts, CG_V2(20), 0), 20);
	assert_int_equal(targets_find_all(&ts, TKEY_CG_V2, CG_V2(20), hit, 4), 2);
	assert_true((hit[0] == 20 && hit[1] == 500) || (hit[0] == 500 && hit[1] == 20));
	assert_string_equal(owner_of(CG_V2(20), 0, 4321, "app", 0, NULL), "ctr:c20");
	ts.t[10].cgids[0] = CG_V2(900); /* now an earlier one holds a later one's */
	assert_int_equal(targets_reindex(&ts), 0);
	assert_int_equal(targets_by_cgroup(&ts, CG_V2(900), 0), 10);
}

/* Gone targets leave the table; the rest move up and are found at their new places. */
static void test_prune_renumbers(void **state)
{
	int *moved = calloc(ts.n, sizeof(*moved)), n0 = ts.n;

	(void)state;
	assert_non_null(moved);
	for (int i = 0; i < NCTR; i += 2) {
		ts.t[i].gone = true;
		ts.t[i].gone_mono_ns = 0; /* gone long ago */
	}
	ts.t[1].gone = true; /* gone just now: stays */
	ts.t[1].gone_mono_ns = now_mono_ns();
	assert_int_equal(targets_prune(&ts, 60 * NSEC_PER_SEC, moved), n0 - NCTR / 2);
	assert_int_equal(moved[0], 1);
	assert_int_equal(moved[1], 3);
	assert_int_equal(moved[NCTR / 2], NCTR); /* the first VM */
	assert_int_equal(targets_by_cgroup(&ts, CG_V2(3), 0), 1);
	assert_int_equal(targets_by_cgroup(&ts, CG_V2(2), 0), -1); /* pruned */
	assert_int_equal(targets_find(&ts, TKEY_VM_PID, VM_PID(0)), NCTR / 2);
	assert_string_equal(owner_of(CG_V2(999), 0, 1, "x", 0, NULL), "ctr:c999");
	free(moved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_grows_past_32, setup, teardown),
		cmocka_unit_test(test_bound),
		cmocka_unit_test_setup_teardown(test_nested_first_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_renumbers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
