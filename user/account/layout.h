/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cgroup layouts container runtimes and VM managers make, as one table of rules: a cgroup
 * path (relative to its hierarchy's root, v2 or v1) -> which runtime made it, the container or
 * VM it holds, and whether it is the container itself or its runtime helper (conmon, the LXC
 * monitor).  Pure: unit-tested rule by rule without root (tests/unit/test_layout.c).
 */
#ifndef VP_LAYOUT_H
#define VP_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

enum layout_kind {
	LAYOUT_CTR,    /* a container's own cgroup */
	LAYOUT_HELPER, /* the runtime helper serving the container of the same id */
	LAYOUT_VM,     /* a VM's cgroup (libvirt's machine scope) */
};

struct layout_match {
	const char *rule;    /* the rule's name, e.g. "k8s-systemd" */
	const char *runtime; /* docker, containerd, cri-o, podman, lxc, nspawn, libvirt, kata */
	enum layout_kind kind;
	bool pod;	     /* a Kubernetes pod's container: pod_uid is set */
	bool needs_evidence; /* the path alone proves nothing (plain containerd): need a shim parent */
	char id[72];	   /* container id (64 hex), or the name a runtime uses as id (lxc, ctr) */
	char name[64];	   /* a name the path gives (lxc, nspawn, libvirt domain), else "" */
	char pod_uid[40];  /* Kubernetes pod uid, dashes (the systemd driver's '_' undone) */
	char qos[16];	   /* burstable, besteffort, guaranteed */
	char ns[64];	   /* containerd namespace (plain containerd) */
	char vm_index[16]; /* libvirt's machine number */
};

/* Match one cgroup path against the table; 0 and *m filled on a match, -ENOENT on none. */
int layout_match(const char *path, struct layout_match *m);
/*
 * A cgroup whose last component holds a 64-hex id yet matches no rule: a runtime we do not know.
 * Its threads stay in other; the caller notes it.
 */
bool layout_looks_like_container(const char *path);
/*
 * The libvirt machine scope a thread's cgroup lies in: ".../machine-qemu\x2d3\x2dweb.scope/
 * libvirt/vcpu0" (v2; v1 has no "libvirt/") -> the scope's path (a prefix of path) into scope and
 * its match (domain name unescaped, machine number) into *m; -ENOENT when no prefix is one.
 */
int layout_vm_scope(const char *path, char *scope, size_t len, struct layout_match *m);
/*
 * Role of the threads in one of libvirt's per-thread sub-cgroups of a machine scope: vcpuN ->
 * vcpu, emulator -> emul, iothreadN -> io; NULL for any other name.
 */
const char *layout_libvirt_role(const char *dir);
/* systemd unit-name unescaping: "a\x2db" -> "a-b" (into buf). */
void layout_unescape(const char *s, char *buf, size_t len);

#endif
