// SPDX-License-Identifier: GPL-2.0
/* Classification from recorded thread facts: no root, no /proc, no BPF. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "account/classify.h"
#include "account/qmp.h"
#include "account/self.h"
#include "sys/util.h"
#include "virtprof.h"

#define QEMU_PID 4242
#define CTR_CGID_V2 9001
#define CTR_CGID_V2_CHILD 9002
#define CTR_CGID_V1 7001

static struct targets ts;

static int setup(void **state)
{
	(void)state;
	targets_free(&ts);
	memset(&ts, 0, sizeof(ts));
	assert_non_null(targets_append(&ts));
	assert_non_null(targets_append(&ts));
	ts.t[0].kind = TARGET_VM;
	ts.t[0].pid = QEMU_PID;
	ts.t[0].qemu = true;
	ts.t[0].debug_threads = true;
	strcpy(ts.t[0].name, "web");
	strcpy(ts.t[0].entity, "vm:web");
	ts.t[1].kind = TARGET_CTR;
	ts.t[1].pid = 5000;
	strcpy(ts.t[1].name, "nginx");
	strcpy(ts.t[1].entity, "ctr:nginx");
	strcpy(ts.t[1].id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	strcpy(ts.t[1].ip, "172.17.0.2");
	ts.t[1].ncgids = 3;
	ts.t[1].ncgids_v2 = 2;
	ts.t[1].ncgids_v1 = 1;
	ts.t[1].cgids[0] = CTR_CGID_V2;
	ts.t[1].cgids[1] = CTR_CGID_V2_CHILD;
	ts.t[1].cgids[2] = CTR_CGID_V1;
	return targets_reindex(&ts);
}

static int teardown(void **state)
{
	(void)state;
	targets_free(&ts);
	return 0;
}

static void facts(struct thread_facts *f, pid_t tid, pid_t tgid, const char *comm,
		  const char *pcomm, unsigned int flags)
{
	memset(f, 0, sizeof(*f));
	f->tid = tid;
	f->tgid = tgid;
	f->flags = flags;
	snprintf(f->comm, sizeof(f->comm), "%s", comm);
	snprintf(f->pcomm, sizeof(f->pcomm), "%s", pcomm);
}

static void expect(const struct thread_facts *f, int self, const struct attribution *parent,
		   const char *entity, const char *role)
{
	struct attribution a;

	classify_thread(f, &ts, self, parent, &a);
	assert_string_equal(a.entity, entity);
	assert_string_equal(a.role, role);
}

/* Threads classified one after another, each on its own facts; a failure names the thread. */
struct thread_case {
	pid_t tid, tgid;
	const char *comm, *pcomm;
	unsigned int flags;
	const char *entity, *role;
	uint64_t cgid_v2;
	pid_t owner_tgid;
};

static void expect_threads(const struct thread_case *c, size_t n)
{
	struct thread_facts f;
	struct attribution a;

	for (size_t i = 0; i < n; i++) {
		facts(&f, c[i].tid, c[i].tgid, c[i].comm, c[i].pcomm, c[i].flags);
		f.cgid_v2 = c[i].cgid_v2;
		f.owner_tgid = c[i].owner_tgid;
		classify_thread(&f, &ts, SELF_NONE, NULL, &a);
		if (strcmp(a.entity, c[i].entity) || strcmp(a.role, c[i].role))
			fail_msg("thread %d '%s' of '%s': %s %s, want %s %s", (int)c[i].tid,
				 c[i].comm, c[i].pcomm, a.entity, a.role, c[i].entity, c[i].role);
	}
}

static void test_qemu_vcpu_tcg_and_kvm(void **state)
{
	static const struct thread_case c[] = {
		{ 4243, QEMU_PID, "CPU 0/TCG", "qemu-system-x86", 0, "vm:web", "vcpu" },
		{ 4244, QEMU_PID, "CPU 1/KVM", "qemu-system-x86", 0, "vm:web", "vcpu" },
	};

	(void)state;
	expect_threads(c, ARRAY_SIZE(c));
}

static void test_qemu_io_emul(void **state)
{
	static const struct thread_case c[] = {
		{ 4245, QEMU_PID, "IO mon_iothread", "qemu-system-x86", 0, "vm:web", "io" },
		{ 4246, QEMU_PID, "worker", "qemu-system-x86", 0, "vm:web", "io" },
		/* aio=io_uring: the io-wq worker of the iothread (a blocking read), in qemu's group */
		{ 4248, QEMU_PID, "iou-wrk-4245", "qemu-system-x86", 0, "vm:web", "io" },
		{ QEMU_PID, QEMU_PID, "qemu-system-x86", "qemu-system-x86", 0, "vm:web", "emul" },
		{ 4247, QEMU_PID, "call_rcu", "qemu-system-x86", 0, "vm:web", "emul" },
	};

	(void)state;
	expect_threads(c, ARRAY_SIZE(c));
}

/* Without debug-threads every thread has qemu's name: unknown, never emul; QMP's tids: vcpu. */
static void test_qemu_roles_need_evidence(void **state)
{
	struct thread_facts f;

	(void)state;
	ts.t[0].debug_threads = false;
	facts(&f, 4247, QEMU_PID, "qemu-system-x86", "qemu-system-x86", 0);
	expect(&f, SELF_NONE, NULL, "vm:web", "unknown");
	ts.t[0].nvcpu_tids = 2;
	ts.t[0].vcpu_tids[0] = 4247;
	ts.t[0].vcpu_tids[1] = 4248;
	expect(&f, SELF_NONE, NULL, "vm:web", "vcpu");
	facts(&f, QEMU_PID, QEMU_PID, "qemu-system-x86", "qemu-system-x86", 0);
	expect(&f, SELF_NONE, NULL, "vm:web", "unknown");
	/* another VMM: its threads are the VM's, names mean nothing */
	ts.t[0].qemu = false;
	ts.t[0].nvcpu_tids = 0;
	facts(&f, 4249, QEMU_PID, "CPU 0/KVM", "firecracker", 0);
	expect(&f, SELF_NONE, NULL, "vm:web", "unknown");
}

/*
 * libvirt's per-thread cgroups (emulator, vcpuN, iothreadN) give roles where names say nothing;
 * QMP's vCPU list beats them, names come last.
 */
static void test_libvirt_cgroup_roles(void **state)
{
	static const struct thread_case c[] = {
		{ QEMU_PID, QEMU_PID, "qemu-system-x86", "qemu-system-x86", 0, "vm:web", "emul" },
		{ 4250, QEMU_PID, "qemu-system-x86", "qemu-system-x86", 0, "vm:web", "vcpu" },
		{ 4251, QEMU_PID, "qemu-system-x86", "qemu-system-x86", 0, "vm:web", "io" },
		/* a thread in no libvirt cgroup: its name, here nothing */
		{ 4253, QEMU_PID, "qemu-system-x86", "qemu-system-x86", 0, "vm:web", "unknown" },
		/* the cgroup beats the name: "CPU 0/KVM" moved to emulator stays emul ... */
		{ 4252, QEMU_PID, "CPU 0/KVM", "qemu-system-x86", 0, "vm:web", "emul" },
		/* ... but emulator holds qemu's I/O threads and the kernel's vhost workers too */
		{ 4252, QEMU_PID, "IO mon_iothread", "qemu-system-x86", 0, "vm:web", "io" },
		{ 4252, QEMU_PID, "vhost-4242", "qemu-system-x86", VP_PF_USER_WORKER, "vm:web",
		  "vhost" },
	};
	struct thread_facts f;

	(void)state;
	ts.t[0].debug_threads = false;
	ts.t[0].ncg_tids = 4;
	ts.t[0].cg_tids[0] = QEMU_PID;
	ts.t[0].cg_roles[0] = "emul";
	ts.t[0].cg_tids[1] = 4250;
	ts.t[0].cg_roles[1] = "vcpu";
	ts.t[0].cg_tids[2] = 4251;
	ts.t[0].cg_roles[2] = "io";
	ts.t[0].cg_tids[3] = 4252;
	ts.t[0].cg_roles[3] = "emul";
	expect_threads(c, ARRAY_SIZE(c));
	facts(&f, 4252, QEMU_PID, "CPU 0/KVM", "qemu-system-x86", 0);
	/* QMP beats the cgroups: its vCPU in the emulator cgroup is vcpu ... */
	ts.t[0].nvcpu_tids = 1;
	ts.t[0].vcpu_tids[0] = 4252;
	expect(&f, SELF_NONE, NULL, "vm:web", "vcpu");
	/* ... and a vcpuN cgroup's thread QMP does not list is not a vCPU (its name decides) */
	facts(&f, 4250, QEMU_PID, "qemu-system-x86", "qemu-system-x86", 0);
	expect(&f, SELF_NONE, NULL, "vm:web", "unknown");
	ts.t[0].debug_threads = true;
	expect(&f, SELF_NONE, NULL, "vm:web", "emul");
}

/*
 * A Kata pod: the VMM (pid 900) in the pod's cgroup has VM roles by process, its vhost worker
 * kthread too; the shim and virtiofsd in the cgroup are its runtime helpers.
 */
static void test_kata_pod_roles(void **state)
{
	static const struct thread_case c[] = {
		{ 901, 900, "CPU 0/KVM", "qemu-system-x86", 0, "pod:ns/kata", "vcpu", 8000 },
		{ 900, 900, "qemu-system-x86", "qemu-system-x86", 0, "pod:ns/kata", "emul", 8000 },
		/* a vCPU moved out of the sandbox cgroup (sandbox_cgroup_only=false): the VMM's */
		{ 902, 900, "CPU 1/KVM", "qemu-system-x86", 0, "pod:ns/kata", "vcpu", 0 },
		{ 950, 950, "containerd-shim", "containerd-shim", 0, "pod:ns/kata", "runtime:shim",
		  8000 },
		{ 961, 960, "virtiofsd", "virtiofsd", 0, "pod:ns/kata", "runtime:virtiofsd", 8000 },
		{ 970, 970, "sh", "sh", 0, "pod:ns/kata", "runtime", 8000 },
		{ 310, 310, "vhost-900", "vhost-900", VP_PF_KTHREAD, "pod:ns/kata", "vhost", 0 },
	};
	struct target *k = &ts.t[2];

	(void)state;
	ts.n = 3;
	k->kind = TARGET_CTR;
	strcpy(k->entity, "pod:ns/kata");
	k->vm_pod = true;
	k->vmm_pid = 900;
	k->qemu = true;
	k->debug_threads = true;
	k->ncgids = k->ncgids_v2 = 1;
	k->cgids[0] = 8000;
	assert_int_equal(targets_reindex(&ts), 0);
	expect_threads(c, ARRAY_SIZE(c));
}

static void test_qmp_parse(void **state)
{
	const char reply[] = "{\"return\": [{\"thread-id\": 4247, \"props\": {}, "
			     "\"cpu-index\": 0}, {\"thread-id\":4248, \"cpu-index\": 1}]}";
	const char cmd1[] = "qemu\0-name\0vm1\0-qmp\0unix:/run/q.sock,server=on,wait=off\0";
	const char cmd2[] = "qemu\0-chardev\0socket,id=mon0,path=/run/m.sock,server=on\0-mon\0"
			    "chardev=mon0,mode=control\0";
	const char cmd3[] = "qemu\0-qmp\0tcp:127.0.0.1:4444\0";
	char path[64];
	pid_t tids[4];

	(void)state;
	assert_int_equal(qmp_parse_thread_ids(reply, tids, 4), 2);
	assert_int_equal(tids[0], 4247);
	assert_int_equal(tids[1], 4248);
	assert_int_equal(qmp_socket_path(cmd1, sizeof(cmd1), path, sizeof(path)), 0);
	assert_string_equal(path, "/run/q.sock");
	assert_int_equal(qmp_socket_path(cmd2, sizeof(cmd2), path, sizeof(path)), 0);
	assert_string_equal(path, "/run/m.sock");
	assert_int_equal(qmp_socket_path(cmd3, sizeof(cmd3), path, sizeof(path)), -ENOENT);
}

/* >= 6.4: vhost workers are user-worker threads of the qemu process */
static void test_vhost_user_worker(void **state)
{
	static const struct thread_case c[] = {
		{ 4250, QEMU_PID, "vhost-4242", "qemu-system-x86", VP_PF_USER_WORKER, "vm:web",
		  "vhost" },
	};

	(void)state;
	expect_threads(c, ARRAY_SIZE(c));
}

/* < 6.4: "vhost-<owner pid>" kernel threads, the owner being a qemu thread */
static void test_vhost_kthread(void **state)
{
	static const struct thread_case c[] = {
		{ 300, 300, "vhost-4242", "vhost-4242", VP_PF_KTHREAD, "vm:web", "vhost" },
		/* owner is a non-leader qemu thread: resolved to its tgid by the caller */
		{ 301, 301, "vhost-4243", "vhost-4243", VP_PF_KTHREAD, "vm:web", "vhost",
		  .owner_tgid = QEMU_PID },
		/* a vhost kthread of some other process is not ours */
		{ 302, 302, "vhost-999", "vhost-999", VP_PF_KTHREAD, "other", "vhost-999" },
	};

	(void)state;
	expect_threads(c, ARRAY_SIZE(c));
}

static void test_kvm_threads(void **state)
{
	static const struct thread_case c[] = {
		{ 310, 310, "kvm-pit/4242", "kvm-pit/4242", VP_PF_KTHREAD, "vm:web", "kvm" },
		/* >= 6.13 the nx recovery worker is a vhost_task inside qemu */
		{ 4260, QEMU_PID, "kvm-nx-lpage-re", "qemu-system-x86", VP_PF_USER_WORKER, "vm:web",
		  "kvm" },
	};

	(void)state;
	expect_threads(c, ARRAY_SIZE(c));
	assert_int_equal(classify_kthread_owner("kvm-pit/12x", VP_PF_KTHREAD), 0);
	assert_int_equal(classify_kthread_owner("kvm-pit/12", 0), 0);
}

static void test_container_cgroups(void **state)
{
	struct thread_facts f;

	(void)state;
	facts(&f, 5001, 5000, "nginx", "nginx", 0);
	f.cgid_v2 = CTR_CGID_V2;
	expect(&f, SELF_NONE, NULL, "ctr:nginx", "app");
	/* a child cgroup of the container's */
	f.cgid_v2 = CTR_CGID_V2_CHILD;
	expect(&f, SELF_NONE, NULL, "ctr:nginx", "app");
	/* v1 cpu hierarchy only */
	f.cgid_v2 = 1;
	f.cgid_v1_cpu = CTR_CGID_V1;
	expect(&f, SELF_NONE, NULL, "ctr:nginx", "app");
	f.cgid_v1_cpu = 1;
	expect(&f, SELF_NONE, NULL, "other", "nginx");
	/*
	 * Each hierarchy numbers its own directories: a thread elsewhere whose v1 id happens to
	 * equal the container's v2 id (and the reverse) is not the container's.
	 */
	f.cgid_v2 = CTR_CGID_V1;
	f.cgid_v1_cpu = CTR_CGID_V2;
	expect(&f, SELF_NONE, NULL, "other", "nginx");
}

/* A pod's container: its app threads have the container's role; conmon's cgroup and a pasta
 * serving its netns are its runtime. */
static void test_pod_roles_and_helpers(void **state)
{
	struct thread_facts f;
	struct target *t = &ts.t[1];

	(void)state;
	strcpy(t->entity, "pod:shop/cart");
	strcpy(t->app_role, "app:nginx");
	t->nhcgids = t->nhcgids_v2 = 1;
	t->hcgids[0] = 9100;
	t->nhelper_pids = 1;
	t->helper_pids[0] = 7777;
	assert_int_equal(targets_reindex(&ts), 0);
	facts(&f, 5001, 5000, "nginx", "nginx", 0);
	f.cgid_v2 = CTR_CGID_V2;
	expect(&f, SELF_NONE, NULL, "pod:shop/cart", "app:nginx");
	f.cgid_v2 = 9100;
	facts(&f, 5101, 5100, "conmon", "conmon", 0);
	f.cgid_v2 = 9100;
	expect(&f, SELF_NONE, NULL, "pod:shop/cart", "runtime");
	/* the helper's id on the other hierarchy is not the helper */
	f.cgid_v2 = 0;
	f.cgid_v1_cpu = 9100;
	expect(&f, SELF_NONE, NULL, "other", "conmon");
	facts(&f, 7778, 7777, "pasta", "pasta", 0);
	expect(&f, SELF_NONE, NULL, "pod:shop/cart", "runtime");
}

/* The VMMs that name their own threads: the one table beside qemu's rules. */
static void test_vmm_roles(void **state)
{
	(void)state;
	assert_string_equal(classify_vmm_of_comm("qemu-system-x86"), "qemu");
	assert_string_equal(classify_vmm_of_comm("qemu-kvm"), "qemu");
	assert_string_equal(classify_vmm_of_comm("firecracker"), "firecracker");
	assert_string_equal(classify_vmm_of_comm("cloud-hyperviso"), "cloud-hypervisor");
	assert_string_equal(classify_vmm_of_comm("crosvm"), "crosvm");
	assert_null(classify_vmm_of_comm("nginx"));
	assert_string_equal(classify_vmm_role("firecracker", "fc_vcpu 0"), "vcpu");
	assert_string_equal(classify_vmm_role("firecracker", "fc_api"), "emul");
	assert_string_equal(classify_vmm_role("firecracker", "firecracker"), "emul");
	assert_string_equal(classify_vmm_role("cloud-hypervisor", "vcpu3"), "vcpu");
	assert_string_equal(classify_vmm_role("cloud-hypervisor", "http-server"), "emul");
	assert_string_equal(classify_vmm_role("cloud-hypervisor", "_disk0_q0"), "io");
	assert_string_equal(classify_vmm_role("crosvm", "crosvm_vcpu1"), "vcpu");
	/* a name the table does not know is not guessed, nor is another VMM's scheme applied */
	assert_string_equal(classify_vmm_role("firecracker", "worker"), "unknown");
	assert_string_equal(classify_vmm_role("firecracker", "vcpu0"), "unknown");
}

/*
 * The container runtime's helpers name their container on the command line, in every form they
 * take; one that names no container of ours is other.  A failure names the case.
 */
static void test_helper_cmdline_forms(void **state)
{
	static const char proxy1[] =
		"/usr/bin/docker-proxy\0-proto\0tcp\0-host-ip\0000.0.0.0\0"
		"-host-port\08080\0-container-ip\000172.17.0.2\0-container-port\080";
	static const char proxy2[] = "/usr/bin/docker-proxy\0--container-ip=172.17.0.2\0";
	static const char proxy3[] = "/usr/bin/docker-proxy\0-container-ip\000172.17.0.3\0";
	static const char shim1[] =
		"/usr/bin/containerd-shim-runc-v2\0-namespace\0moby\0-id\0"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\0-address\0/run/c.sock";
	static const char shim2[] =
		"/usr/bin/containerd-shim-runc-v2\0-namespace\0moby\0-id\0ffff\0";
	static const struct {
		pid_t pid;
		const char *comm, *argv;
		size_t len;
		const char *entity, *role;
	} c[] = {
		{ 6000, "docker-proxy", proxy1, sizeof(proxy1), "ctr:nginx", "runtime" },
		{ 6000, "docker-proxy", proxy2, sizeof(proxy2), "ctr:nginx", "runtime" },
		{ 6000, "docker-proxy", proxy3, sizeof(proxy3), "other", "docker-proxy" },
		{ 6100, "containerd-shim", shim1, sizeof(shim1), "ctr:nginx", "runtime" },
		{ 6100, "containerd-shim", shim2, sizeof(shim2), "other", "containerd-shim" },
	};
	struct thread_facts f;
	struct attribution a;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		facts(&f, c[i].pid, c[i].pid, c[i].comm, c[i].comm, 0);
		f.cmdline = c[i].argv;
		f.cmdline_len = c[i].len;
		classify_thread(&f, &ts, SELF_NONE, NULL, &a);
		if (strcmp(a.entity, c[i].entity) || strcmp(a.role, c[i].role))
			fail_msg("case %zu (%s): %s %s, want %s %s", i + 1, c[i].comm, a.entity,
				 a.role, c[i].entity, c[i].role);
	}
}

static void test_self_and_inheritance(void **state)
{
	struct attribution parent = { "vm:web", "emul", 0 };
	struct thread_facts f;

	(void)state;
	facts(&f, 7000, 7000, "virtprof", "virtprof", 0);
	expect(&f, SELF_LOADGEN, NULL, "loadgen", "workers");
	expect(&f, SELF_PROFILER, NULL, "profiler", "control");
	/* a --load-cmd tool is known by its cgroup (self_role_of_cgroup), whatever its name */
	facts(&f, 7050, 7050, "java", "java", 0);
	expect(&f, SELF_NONE, NULL, "other", "java");
	self_register_cgroup(0x5150);
	f.cgid_v2 = 0x5150;
	expect(&f, self_role_of_cgroup(f.cgid_v2, f.cgid_v1_cpu), NULL, "loadgen", "command");
	f.cgid_v2 = 0x5151;
	assert_int_equal(self_role_of_cgroup(f.cgid_v2, 0), SELF_NONE);
	f.cgid_v1_cpu = 0x5150; /* a v1-only host: the cpu hierarchy's id */
	expect(&f, self_role_of_cgroup(f.cgid_v2, f.cgid_v1_cpu), NULL, "loadgen", "command");
	/* a helper process qemu forked inherits the VM */
	facts(&f, 7100, 7100, "qemu-bridge-hel", "qemu-bridge-hel", 0);
	f.parent_tgid = QEMU_PID;
	expect(&f, SELF_NONE, &parent, "vm:web", "emul");
	/* kernel threads never inherit, they are grouped by name */
	facts(&f, 7200, 7200, "kworker/1:2-events", "kworker/1:2-events", VP_PF_KTHREAD);
	expect(&f, SELF_NONE, &parent, "other", "kworker");
	facts(&f, 7201, 7201, "ksoftirqd/0", "ksoftirqd/0", VP_PF_KTHREAD);
	expect(&f, SELF_NONE, NULL, "other", "ksoftirqd");
}

static void test_cmdline_arg(void **state)
{
	/* as /proc/<pid>/cmdline has it: one NUL after each argument (the literal adds one more) */
	static const char argv[] = "prog\0-a\0one\0--b=two\0-c\0";
	size_t len = sizeof(argv) - 1;

	(void)state;
	assert_string_equal(cmdline_arg(argv, len, "-a"), "one");
	assert_string_equal(cmdline_arg(argv, len, "-b"), "two");
	assert_null(cmdline_arg(argv, len, "-c")); /* no value follows */
	assert_null(cmdline_arg(argv, len, "-d"));
	assert_null(cmdline_arg(NULL, 0, "-a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_qemu_vcpu_tcg_and_kvm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qemu_io_emul, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qemu_roles_need_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qmp_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhost_user_worker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhost_kthread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kvm_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_container_cgroups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pod_roles_and_helpers, setup, teardown),
		cmocka_unit_test(test_vmm_roles),
		cmocka_unit_test_setup_teardown(test_helper_cmdline_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_and_inheritance, setup, teardown),
		cmocka_unit_test(test_cmdline_arg),
		cmocka_unit_test_setup_teardown(test_libvirt_cgroup_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kata_pod_roles, setup, teardown),
	};

	return cmocka_run_group_tests_name("classify", tests, NULL, NULL);
}
