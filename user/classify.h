/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attribution: which entity (loadgen, profiler, vm:<name>, ctr:<name>, other) and role every
 * thread belongs to, decided in userspace from the facts the BPF side recorded at first sight
 * (so exited threads are still attributed) plus /proc and the target descriptions.
 *
 * The rules are pure functions of `struct thread_facts` and `struct targets` so they can be
 * unit-tested from recorded facts without root.
 */
#ifndef VP_CLASSIFY_H
#define VP_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define ENTITY_LEN 64
#define ROLE_LEN 32
#define MAX_TARGETS 16
#define MAX_CGIDS 256

enum target_kind { TARGET_VM, TARGET_CTR };

struct target {
	enum target_kind kind;
	char name[ENTITY_LEN]; /* without the vm:/ctr: prefix */
	char entity[ENTITY_LEN];
	pid_t pid; /* qemu tgid / container init pid */
	/* containers */
	char id[72];	     /* full docker id, or empty for a plain cgroup target */
	char ip[48];	     /* container address, for docker-proxy's -container-ip */
	char cgroup_v2[512]; /* path relative to the v2 mount, "" when unknown */
	char cgroup_v1[512]; /* path relative to the v1 cpu hierarchy */
	int ncgids;
	uint64_t cgids[MAX_CGIDS]; /* kernfs ids of the cgroup and all its descendants, v2 and v1 */
	unsigned long netns;	   /* network namespace inode of the target (0 unknown) */
	bool gone;		   /* exited while watched */
	uint64_t gone_mono_ns;
};

struct targets {
	int n;
	struct target t[MAX_TARGETS];
};

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

/* VM role from a qemu thread name ("CPU 0/TCG" -> vcpu, "IO mon_iothread" -> io, ...). */
const char *classify_qemu_role(const char *comm, unsigned int flags);
/* "kvm-pit/1234" or "vhost-1234" kthread -> 1234 (the owning qemu's pid/tid), else 0. */
pid_t classify_kthread_owner(const char *comm, unsigned int flags);
/* docker-proxy / containerd-shim / conmon argv -> container ip or id served (NULL if not one). */
const char *cmdline_arg(const char *cmdline, size_t len, const char *flag);

/* ---- target discovery (needs root, docker, /proc) ---- */

/* Resolve --vm PID|NAME and --container ID|NAME|CGROUP_PATH|PID; -ENOENT with a message. */
int targets_add_vm(struct targets *ts, const char *spec);
int targets_add_container(struct targets *ts, const char *spec);
/* With no target given: every qemu-system-* process and every running docker container. */
int targets_discover(struct targets *ts);
/*
 * Re-check liveness and refresh cgroup id sets; marks targets gone (never fails).  True when a
 * target's id set changed (a cgroup created or removed below it): cached verdicts are stale.
 */
bool targets_refresh(struct targets *ts);
/* Entity of a process / network namespace, for the network and block sections; NULL if none. */
const struct target *targets_by_pid(const struct targets *ts, pid_t tgid);
const struct target *targets_by_netns(const struct targets *ts, unsigned long netns_ino);

#endif
