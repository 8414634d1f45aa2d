/* SPDX-License-Identifier: GPL-2.0 */
/* The VMs and containers a session watches: how they are named, found and re-checked. */
#ifndef VP_TARGETS_H
#define VP_TARGETS_H

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
	/* VMs: what thread roles can be told from (account/classify.c); never guessed */
	bool qemu;	    /* a qemu-system-* process: its thread names follow qemu's scheme */
	bool debug_threads; /* -name ...,debug-threads=on: qemu names each thread it makes */
	int nvcpu_tids;
	pid_t vcpu_tids[64];  /* from QMP query-cpus-fast */
	char roles_note[224]; /* how the roles were found, or how to get them */
	bool gone;	      /* exited while watched */
	uint64_t gone_mono_ns;
};

struct targets {
	int n;
	struct target t[MAX_TARGETS];
};

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
