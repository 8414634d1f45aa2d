// SPDX-License-Identifier: GPL-2.0
/*
 * The attribution rules: pure functions of the facts recorded about a thread and of the target
 * descriptions, so they are unit-tested from recorded facts without root.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account/classify.h"
#include "account/self.h"
#include "sys/util.h"
#include "virtprof.h"

const char *cmdline_arg(const char *cmdline, size_t len, const char *flag)
{
	const char *p = cmdline, *end = cmdline + len;
	size_t fl = strlen(flag);

	if (!cmdline)
		return NULL;
	while (p < end) {
		size_t n = strnlen(p, end - p);

		/* "-flag value" and "-flag=value" (Go's flag package accepts both, and --flag) */
		const char *a = p;

		if (a[0] == '-' && a[1] == '-')
			a++;
		if (!strncmp(a, flag, fl)) {
			if (a[fl] == '=')
				return a + fl + 1;
			if (a[fl] == '\0' && p + n + 1 < end)
				return p + n + 1;
		}
		p += n + 1;
	}
	return NULL;
}

const char *classify_qemu_role(const char *comm, unsigned int flags, bool debug_threads)
{
	/* qemu with debug-threads=on: "CPU 0/KVM", "CPU 1/TCG"; vhost user workers "vhost-<tid>" */
	if (!strncmp(comm, "CPU ", 4) && strchr(comm, '/'))
		return "vcpu";
	if (!strncmp(comm, "vhost-", 6) ||
	    (flags & VP_PF_USER_WORKER && !strncmp(comm, "vhost", 5)))
		return "vhost";
	if (!strncmp(comm, "kvm", 3))
		return "kvm";
	if (!strncmp(comm, "IO ", 3) || !strcmp(comm, "worker") || !strncmp(comm, "iothread", 8))
		return "io";
	/* io_uring's workers in qemu's thread group (aio=io_uring: a read that would block) */
	if (!strncmp(comm, "iou-wrk-", 8) || !strncmp(comm, "iou-sqp-", 8))
		return "io";
	/*
	 * With debug-threads qemu names every thread it makes, so an unnamed one is the main loop.
	 * Without, every thread has the process's name: calling them emul would report a guest
	 * spinning at 100 % as pure overhead.  A wrong label is worse than none.
	 */
	return debug_threads ? "emul" : "unknown";
}

/*
 * The other VMMs name their threads themselves, always: one table of (VMM, thread-name prefix,
 * role) beside qemu's rules above.  A name the table does not know stays unknown.
 */
static const struct vmm_role {
	const char *vmm, *prefix, *role;
} vmm_roles[] = {
	/* Firecracker: "fc_vcpu 0", the API server "fc_api", the VMM loop keeps the process name */
	{ "firecracker", "fc_vcpu", "vcpu" },
	{ "firecracker", "fc_api", "emul" },
	{ "firecracker", "firecracker", "emul" },
	/* cloud-hypervisor: "vcpu0", "http-server", "vmm", device threads "_disk0"/"_net1"... */
	{ "cloud-hypervisor", "vcpu", "vcpu" },
	{ "cloud-hypervisor", "http-server", "emul" },
	{ "cloud-hypervisor", "vmm", "emul" },
	{ "cloud-hypervisor", "signal_handler", "emul" },
	{ "cloud-hypervisor", "cloud-hyperviso", "emul" },
	{ "cloud-hypervisor", "_disk", "io" },
	{ "cloud-hypervisor", "_net", "io" },
	{ "cloud-hypervisor", "_fs", "io" },
	/* crosvm: "crosvm_vcpu0", its device processes are apart (sandboxed) */
	{ "crosvm", "crosvm_vcpu", "vcpu" },
	{ "crosvm", "crosvm", "emul" },
};

const char *classify_vmm_role(const char *vmm, const char *comm)
{
	for (size_t i = 0; i < ARRAY_SIZE(vmm_roles); i++)
		if (!strcmp(vmm, vmm_roles[i].vmm) &&
		    !strncmp(comm, vmm_roles[i].prefix, strlen(vmm_roles[i].prefix)))
			return vmm_roles[i].role;
	return "unknown";
}

const char *classify_vmm_of_comm(const char *comm)
{
	if (!strncmp(comm, "qemu-system-", 12) || !strcmp(comm, "qemu-kvm"))
		return "qemu";
	if (!strcmp(comm, "firecracker"))
		return "firecracker";
	if (!strcmp(comm, "cloud-hyperviso") || !strcmp(comm, "cloud-hypervisor"))
		return "cloud-hypervisor"; /* comm is cut to 15 characters */
	if (!strcmp(comm, "crosvm"))
		return "crosvm";
	return NULL;
}

/*
 * Role from libvirt's per-thread cgroups, NULL when the thread is in none.  Where QMP answered,
 * a cgroup's "vcpu" for a thread QMP does not list is not taken (targets.c notes it).  The
 * emulator cgroup holds every thread that is neither a vCPU nor a libvirt iothread: qemu's own
 * I/O threads and the vhost / kvm workers the kernel makes in qemu's thread group (since 6.4),
 * whose names say more than "emul" -- as they do without libvirt.
 */
static const char *vm_cgroup_role(const struct target *t, const struct thread_facts *f)
{
	const char *named;

	for (int k = 0; k < t->ncg_tids; k++) {
		if (t->cg_tids[k] != f->tid || (t->nvcpu_tids && !strcmp(t->cg_roles[k], "vcpu")))
			continue;
		if (strcmp(t->cg_roles[k], "emul") || !t->qemu)
			return t->cg_roles[k];
		named = classify_qemu_role(f->comm, f->flags, t->debug_threads);
		return strcmp(named, "io") && strcmp(named, "vhost") && strcmp(named, "kvm") ?
			       "emul" :
			       named;
	}
	return NULL;
}

/*
 * A thread of a VM's process: QMP's vCPU tids first, then libvirt's per-thread cgroups, then
 * names by its VMM, else unknown.
 */
static const char *vm_thread_role(const struct target *t, const struct thread_facts *f)
{
	const char *cg;

	for (int k = 0; k < t->nvcpu_tids; k++)
		if (t->vcpu_tids[k] == f->tid)
			return "vcpu";
	cg = vm_cgroup_role(t, f);
	if (cg)
		return cg;
	if (t->vmm[0] && strcmp(t->vmm, "qemu"))
		return classify_vmm_role(t->vmm, f->comm);
	if (!t->qemu)
		return "unknown";
	return classify_qemu_role(f->comm, f->flags, t->debug_threads);
}

/*
 * Any other process in a VM-backed pod's cgroup (Kata): its containers run inside the guest, so
 * what runs on the host beside the VMM serves the sandbox -- the shim (containerd-shim-kata-v2,
 * comm cut to "containerd-shim"), virtiofsd sharing the containers' files, anything else they
 * start.  The pod's runtime, named per helper.
 */
static const char *vm_pod_helper_role(const struct thread_facts *f)
{
	const char *p = f->pcomm[0] ? f->pcomm : f->comm;

	if (!strncmp(p, "containerd-shim", 15))
		return "runtime:shim";
	if (!strncmp(p, "virtiofsd", 9))
		return "runtime:virtiofsd";
	return "runtime";
}

static pid_t parse_pid_suffix(const char *s)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return 0;
	v = strtol(s, &end, 10);
	return (*end == '\0' && v > 0 && v < (1L << 30)) ? (pid_t)v : 0;
}

pid_t classify_kthread_owner(const char *comm, unsigned int flags)
{
	if (!(flags & VP_PF_KTHREAD))
		return 0;
	/* vhost kthreads before v6.4 are "vhost-<owner pid>"; kvm's PIT thread "kvm-pit/<pid>" */
	if (!strncmp(comm, "vhost-", 6))
		return parse_pid_suffix(comm + 6);
	if (!strncmp(comm, "kvm-pit/", 8))
		return parse_pid_suffix(comm + 8);
	return 0;
}

static void set_attr(struct attribution *out, const char *entity, const char *role, int target)
{
	snprintf(out->entity, sizeof(out->entity), "%s", entity);
	snprintf(out->role, sizeof(out->role), "%s", role);
	out->target = target;
}

/* "kworker/0:1-events" -> "kworker", "ksoftirqd/1" -> "ksoftirqd": group per-CPU kthreads. */
static void kthread_group(const char *comm, char *buf, size_t len)
{
	size_t n = strcspn(comm, "/:");

	if (n >= len)
		n = len - 1;
	memcpy(buf, comm, n);
	buf[n] = '\0';
	if (!n)
		snprintf(buf, len, "%s", comm);
}

/* Whether a runtime helper's argv names container t (docker-proxy, containerd-shim, conmon). */
static bool helper_cmdline_serves(const struct thread_facts *f, const struct target *t)
{
	const char *arg;

	if (!strcmp(f->pcomm, "docker-proxy") && t->ip[0] &&
	    (arg = cmdline_arg(f->cmdline, f->cmdline_len, "-container-ip")) && !strcmp(arg, t->ip))
		return true;
	if (!strncmp(f->pcomm, "containerd-shim", 15) && t->id[0] &&
	    (arg = cmdline_arg(f->cmdline, f->cmdline_len, "-id")) && !strcmp(arg, t->id))
		return true;
	return !strcmp(f->pcomm, "conmon") && t->id[0] &&
	       (((arg = cmdline_arg(f->cmdline, f->cmdline_len, "-c")) && !strcmp(arg, t->id)) ||
		((arg = cmdline_arg(f->cmdline, f->cmdline_len, "-cid")) && !strcmp(arg, t->id)));
}

static int lower_target(int a, int b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

/* Target i with role, when it comes before the best so far (a tie: the earlier rule's). */
static void claim(int i, const char *role, int *best, const char **best_role)
{
	if (i >= 0 && (*best < 0 || i < *best)) {
		*best = i;
		*best_role = role;
	}
}

/*
 * The first target (lowest index) any rule gives the thread to, and the role; -1 none.  Each
 * rule is one index look-up (targets.h), not a pass over the targets: a host of a thousand
 * containers classifies a thread as fast as one of two.  For one target the rules are tried in
 * this order, a VM's process before its kthreads, a container's own cgroups before its helpers.
 */
static int target_claim(const struct thread_facts *f, const struct targets *ts, bool kthread,
			pid_t owner, const char **role)
{
	int best = -1, i;

	/*
	 * a VM's process (a VM-backed pod's VMM too: TKEY_VM_PID holds target_vmm_pid), then the
	 * kthreads working for it (vhost-<pid>, kvm-pit/<pid>)
	 */
	if (!kthread && (i = targets_find(ts, TKEY_VM_PID, (uint64_t)f->tgid)) >= 0)
		claim(i, vm_thread_role(&ts->t[i], f), &best, role);
	if (owner) {
		i = targets_find(ts, TKEY_VM_PID, (uint64_t)owner);
		if (f->owner_tgid > 0)
			i = lower_target(i, targets_find(ts, TKEY_VM_PID, (uint64_t)f->owner_tgid));
		if (i >= 0)
			claim(i, strncmp(f->comm, "vhost", 5) ? "kvm" : "vhost", &best, role);
	}
	/* containers: the cgroup (v2 or v1 cpu) at or below the container's */
	i = targets_by_cgroup(ts, f->cgid_v2, f->cgid_v1_cpu);
	if (i >= 0)
		claim(i,
		      ts->t[i].vm_pod	  ? vm_pod_helper_role(f) :
		      ts->t[i].app_role[0] ? ts->t[i].app_role :
					     "app",
		      &best, role);
	/* its runtime helper's own cgroup (conmon's scope, the LXC monitor's), its helper pids */
	claim(targets_by_helper_cgroup(ts, f->cgid_v2, f->cgid_v1_cpu), "runtime", &best, role);
	if (!kthread)
		claim(targets_find(ts, TKEY_HELPER_PID, (uint64_t)f->tgid), "runtime", &best, role);
	/* a helper named by its argv: few threads have one (needs_cmdline), so a pass is cheap */
	for (i = 0; f->cmdline && i < ts->n && (best < 0 || i < best); i++)
		if (ts->t[i].kind == TARGET_CTR && helper_cmdline_serves(f, &ts->t[i]))
			claim(i, "runtime", &best, role);
	return best;
}

void classify_thread(const struct thread_facts *f, const struct targets *ts, int self_role,
		     const struct attribution *parent, struct attribution *out)
{
	bool kthread = f->flags & VP_PF_KTHREAD;
	const char *role = NULL;
	char grp[32];
	pid_t owner;
	int best;

	if (self_role == SELF_LOADGEN) {
		set_attr(out, ENTITY_LOADGEN, "workers", -1);
		return;
	}
	if (self_role == SELF_LOADGEN_CMD) {
		set_attr(out, ENTITY_LOADGEN, "command", -1);
		return;
	}
	if (self_role == SELF_PROFILER) {
		set_attr(out, ENTITY_PROFILER, "control", -1);
		return;
	}

	owner = classify_kthread_owner(f->comm, f->flags);
	best = target_claim(f, ts, kthread, owner, &role);
	if (best >= 0) {
		set_attr(out, ts->t[best].entity, role, best);
		return;
	}

	/* New processes inherit their creator's entity (a CGI child of the server, a qemu helper). */
	if (parent && parent->target >= 0 && !kthread) {
		set_attr(out, parent->entity, parent->role, parent->target);
		return;
	}
	if (parent && !strcmp(parent->entity, ENTITY_LOADGEN) && !kthread) {
		set_attr(out, ENTITY_LOADGEN, parent->role, -1);
		return;
	}
	if (kthread) {
		kthread_group(f->comm, grp, sizeof(grp));
		set_attr(out, "other", grp, -1);
		return;
	}
	set_attr(out, "other", f->pcomm[0] ? f->pcomm : f->comm, -1);
}
