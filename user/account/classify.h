/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The attribution rules: which entity (loadgen, profiler, vm:<name>, ctr:<name>, other) and
 * role a thread belongs to, from the facts the BPF side recorded at first sight (so exited
 * threads are still attributed) and the target descriptions.  Pure functions of
 * `struct thread_facts` and `struct targets`, unit-tested from recorded facts without root;
 * attribute.h gathers the facts and caches the verdicts.
 */
#ifndef VP_CLASSIFY_H
#define VP_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "account/targets.h"

/* What the classifier needs about one thread. */
struct thread_facts {
	pid_t tid, tgid;
	pid_t parent_tgid;
	unsigned int flags; /* VP_PF_* */
	uint64_t cgid_v2, cgid_v1_cpu;
	char comm[16];	/* thread name */
	char pcomm[16]; /* process (group leader) name */
	pid_t owner_tgid; /* tgid of the pid a "vhost-<pid>"/"kvm-pit/<pid>" kthread names, 0 unknown */
	const char *cmdline; /* process argv, NUL-separated, or NULL (exited / kthread) */
	size_t cmdline_len;
};

struct attribution {
	char entity[ENTITY_LEN];
	char role[ROLE_LEN];
	int target; /* index in targets, -1 for none */
};

/*
 * Decide one thread.  `self_role` is virtprof's own registry verdict (SELF_*), `parent` the
 * attribution of the creating process when known (NULL otherwise) for inheritance.
 */
void classify_thread(const struct thread_facts *f, const struct targets *ts, int self_role,
		     const struct attribution *parent, struct attribution *out);

/*
 * VM role from a qemu thread name ("CPU 0/TCG" -> vcpu, "IO mon_iothread" -> io, ...); a name
 * that says nothing is emul only under debug-threads (qemu named all the others), else unknown.
 */
const char *classify_qemu_role(const char *comm, unsigned int flags, bool debug_threads);
/* Role of a thread of a VMM other than qemu by its name (the vmm_roles table), else unknown. */
const char *classify_vmm_role(const char *vmm, const char *comm);
/* "qemu", "firecracker", "cloud-hypervisor", "crosvm" from a process name, else NULL. */
const char *classify_vmm_of_comm(const char *comm);
/* "kvm-pit/1234" or "vhost-1234" kthread -> 1234 (the owning qemu's pid/tid), else 0. */
pid_t classify_kthread_owner(const char *comm, unsigned int flags);
/* docker-proxy / containerd-shim / conmon argv -> container ip or id served (NULL if not one). */
const char *cmdline_arg(const char *cmdline, size_t len, const char *flag);

#endif
