/* SPDX-License-Identifier: GPL-2.0 */
/* The VMs and containers a session watches: how they are named, found and re-checked. */
#ifndef VP_TARGETS_H
#define VP_TARGETS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define ENTITY_LEN 64
#define ROLE_LEN 32
/*
 * --max-targets: how many VMs and containers the table holds at most.  The table is on the heap
 * and grows as discovery finds them; past the bound the others are counted (untracked), never
 * dropped silently.  The default holds a host of 1,000 containers and 50 VMs with room.
 */
#define TARGETS_DEFAULT_MAX 4096
#define TARGETS_MAX_LIMIT 65536
#define MAX_CGIDS 256
#define MAX_HELPER_CGIDS 16
#define MAX_HELPER_PIDS 8
#define MAX_TARGET_NOTES 8
/* thread roles read from a libvirt machine scope's per-thread cgroups, per VM */
#define MAX_VM_CG_TIDS 192
#define MAX_VM_CG_DIRS 96

enum target_kind { TARGET_VM, TARGET_CTR };

struct target {
	enum target_kind kind;
	char name[ENTITY_LEN]; /* without the vm:/ctr: prefix */
	char entity[ENTITY_LEN];
	pid_t pid; /* qemu tgid / container init pid */
	/* containers */
	char id[72];	  /* full container id (or the name lxc/ctr use as id), "" for a cgroup */
	char runtime[16]; /* docker, containerd, cri-o, podman, lxc, nspawn, libvirt, or "" */
	char layout[24];  /* the cgroup layout rule that found it (account/layout.c), or "" */
	char app_role[ROLE_LEN]; /* role of the threads in its cgroup: "app", a pod's "app:<ctr>" */
	char label[96];		 /* entity, and for a pod's container "/<container>" after it */
	char pod_uid[40];	 /* a Kubernetes pod's uid, "" otherwise */
	char ip[48];		 /* container address, for docker-proxy's -container-ip */
	char cgroup_v2[512];	 /* path relative to the v2 mount, "" when unknown */
	char cgroup_v1[512];	 /* path relative to the v1 cpu hierarchy */
	/*
	 * kernfs ids of the cgroup and all its descendants: [0, ncgids_v2) on v2, then ncgids_v1 on
	 * the v1 cpu hierarchy, then v1 blkio up to ncgids.  Each hierarchy numbers its own
	 * directories, so an id means something only beside its hierarchy.
	 */
	int ncgids, ncgids_v2, ncgids_v1;
	uint64_t cgids[MAX_CGIDS];
	unsigned long netns; /* network namespace inode of the target (0 unknown) */
	/* runtime helpers, from evidence: their own cgroup (conmon's, the LXC monitor's), pids */
	char helper_v2[256], helper_v1[256];
	char blkio[256];	 /* its cgroup on the v1 blkio hierarchy, read once from its pid */
	int nhcgids, nhcgids_v2; /* [0, nhcgids_v2) on v2, the rest on v1 cpu */
	uint64_t hcgids[MAX_HELPER_CGIDS];
	int nhelper_pids;
	pid_t helper_pids[MAX_HELPER_PIDS]; /* slirp4netns / pasta serving its network namespace */
	/*
	 * A pod whose sandbox is a VM (Kata Containers): a container target (its cgroup, kernel
	 * check and helpers as for any pod) that also has a VMM process in its cgroup, whose
	 * threads get VM roles from the fields below as a VM's do; every other process in the
	 * sandbox (containerd-shim-kata-v2, virtiofsd) is a runtime helper of the pod.
	 */
	pid_t vmm_pid;	  /* the VMM in the pod's cgroup, 0 for none */
	bool vm_pod;	  /* vmm_pid set, or Kata's own layout: helpers are runtime:* */
	bool vcpus_known; /* the VMM's vCPU threads can be told (QMP, thread names) */
	/* VMs: what thread roles can be told from (account/classify.c); never guessed */
	bool qemu;	    /* a qemu-system-* process: its thread names follow qemu's scheme */
	char vmm[20];	    /* qemu, firecracker, cloud-hypervisor, crosvm, or "" (another) */
	bool debug_threads; /* -name ...,debug-threads=on: qemu names each thread it makes */
	int nvcpu_tids;
	pid_t vcpu_tids[64];  /* from QMP query-cpus-fast */
	char qmp_path[108];   /* its QMP socket, "" none: asked again when its threads change */
	char roles_note[224]; /* how the roles were found, or how to get them */
	char uuid[40];	      /* qemu -uuid (libvirt's domain uuid), "" when not given */
	char vm_cgroup[256]; /* libvirt's machine scope on the cpu hierarchy (v2, else v1), or "" */
	bool vm_cgroup_v1;   /* vm_cgroup is on the v1 cpu hierarchy */
	/*
	 * libvirt's per-thread cgroups below vm_cgroup (libvirt/{emulator,vcpuN,iothreadN}), read
	 * every refresh: tid -> role ("vcpu", "emul", "io": static strings).  Evidence between QMP
	 * and thread names.
	 */
	int ncg_tids;
	pid_t cg_tids[MAX_VM_CG_TIDS];
	const char *cg_roles[MAX_VM_CG_TIDS];
	bool gone; /* exited while watched */
	uint64_t gone_mono_ns;
};

struct target_index;

struct targets {
	int n, cap;
	struct target *t; /* heap: grown by targets_append, freed by targets_free */
	int max;	  /* at most this many targets (--max-targets); 0: TARGETS_DEFAULT_MAX */
	int untracked;	  /* VMs and containers the last discovery found past max: not tracked */
	/* cgroup ids, pids, netns -> targets; rebuilt by every targets_* call that changes them */
	struct target_index *idx;
	bool idx_stale;	 /* a target's keys changed in place: rebuild at the end of the call */
	bool rediscover; /* no target named: look for new VMs and containers (see discover_now) */
	/* with rediscover: the next refresh runs a full discovery (capture.c discover_due) */
	bool discover_now;
	uint64_t prune_after_ns; /* with rediscover: a target gone this long leaves the table */
	int nnotes;
	char notes[MAX_TARGET_NOTES][200]; /* what discovery saw but could not name */
};

/* The bound: max, or TARGETS_DEFAULT_MAX when unset. */
int targets_max(const struct targets *ts);
/* A zeroed target at the end of the table (grown); NULL past max or out of memory. */
struct target *targets_append(struct targets *ts);
/*
 * Rebuild the look-up index after the table was changed by hand (tests, pruning); every
 * targets_* function below that changes the table does it itself.  -ENOMEM leaves no index.
 */
int targets_reindex(struct targets *ts);
/* Drop targets gone for at least after_ns; moved[i] = old index of the target now at i. */
int targets_prune(struct targets *ts, uint64_t after_ns, int *moved);
void targets_free(struct targets *ts);

/* Resolve --vm PID|NAME and --container ID|NAME|CGROUP_PATH|PID; -ENOENT with a message. */
int targets_add_vm(struct targets *ts, const char *spec);
int targets_add_container(struct targets *ts, const char *spec);
/*
 * With no target given: every VMM process and every container the cgroup tree holds (the
 * layouts of account/layout.h, v2 and the v1 cpu hierarchy), named from what each runtime leaves
 * on disk or answers on its socket.  Bounded: at most DISCOVER_MAX_DIRS directories,
 * DISCOVER_MAX_DEPTH deep, per hierarchy.  Adds only targets not already in ts.
 */
#define DISCOVER_MAX_DIRS 16384 /* a node of 1,000 pods has 3,000 and more */
#define DISCOVER_MAX_DEPTH 7
int targets_discover(struct targets *ts);
/* slirp4netns / pasta processes serving a container target's network namespace: its helpers. */
void targets_find_helpers(struct targets *ts);
/*
 * Re-check liveness and refresh cgroup id sets; marks targets gone (never fails).  True when a
 * target's id set changed (a cgroup created or removed below it): cached verdicts are stale.
 */
bool targets_refresh(struct targets *ts);
/*
 * Look-ups through the index, O(1) in the number of targets (an interval has thousands of rows
 * and a host a thousand containers).  Each is the lowest-indexed target that matches, -1 none:
 * targets earlier in the table win, as they did when the table was searched in order.
 */
enum target_key {
	TKEY_CG_V2,	/* a container's own cgroup tree, v2 */
	TKEY_CG_V1,	/* ... on the v1 cpu hierarchy */
	TKEY_BLKCG,	/* ... on the v1 blkio hierarchy */
	TKEY_HELPER_V2, /* its runtime helper's cgroups (conmon's scope, the LXC monitor's), v2 */
	TKEY_HELPER_V1,
	TKEY_HELPER_PID, /* slirp4netns / pasta serving its network namespace */
	TKEY_VM_PID,	 /* a VM's process */
	TKEY_PID,	 /* any target's pid */
	TKEY_NETNS,	 /* any target's network namespace inode */
};
int targets_find(const struct targets *ts, enum target_key kind, uint64_t key);
/* Every target with that key (nested cgroups can be in two), up to max; how many. */
int targets_find_all(const struct targets *ts, enum target_key kind, uint64_t key, int *out,
		     int max);
/* The container whose own tree holds a thread in cgroup cgid_v2 (v2) / cgid_v1 (v1 cpu). */
int targets_by_cgroup(const struct targets *ts, uint64_t cgid_v2, uint64_t cgid_v1);
/* ... whose runtime helper's cgroups hold it. */
int targets_by_helper_cgroup(const struct targets *ts, uint64_t cgid_v2, uint64_t cgid_v1);
/* The container a bio's blkcg id belongs to (v1 blkio where mounted, else v2). */
int targets_by_blkcg(const struct targets *ts, uint64_t blkcg_id);
/* A VM, or a pod whose sandbox is a VM: its VMM's threads have VM roles. */
static inline bool target_has_vm(const struct target *t)
{
	return t->kind == TARGET_VM || t->vmm_pid > 0;
}
/* The VMM process of a VM or of a VM-backed pod, 0 for none. */
static inline pid_t target_vmm_pid(const struct target *t)
{
	return t->kind == TARGET_VM ? t->pid : t->vmm_pid;
}
/*
 * Entity of a process (a VM's or a VM-backed pod's VMM too) / network namespace, for the
 * network and block sections; NULL if none.
 */
const struct target *targets_by_pid(const struct targets *ts, pid_t tgid);
const struct target *targets_by_netns(const struct targets *ts, unsigned long netns_ino);

#endif
