/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qemu's vCPU thread ids from its QMP monitor (query-cpus-fast), when the qemu command line
 * names a QMP unix socket: `-qmp unix:PATH,server...` or `-chardev socket,id=ID,path=PATH,...`
 * with `-mon chardev=ID,mode=control`.  The evidence for the vcpu role when qemu runs without
 * debug-threads (every thread then has the process's name).
 */
#ifndef VP_QMP_H
#define VP_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The QMP socket path named on a qemu command line (NUL-separated argv); -ENOENT when none. */
int qmp_socket_path(const char *cmdline, size_t len, char *path, size_t plen);
/*
 * Thread ids of the vCPUs (at most max) from the socket `path` named by qemu process `qemu`;
 * count, or -errno with `why` filled.  Asked only when the socket is served by that qemu or by
 * its user; within 1 s in all, at most 16 KB per line (docs/security.md).
 */
int qmp_vcpu_tids(pid_t qemu, const char *path, pid_t *tids, int max, char *why, size_t wlen);
/*
 * qmp_vcpu_tids asked once per VM: the answer (or the failure) is kept per qemu process (pid
 * + start time) and asked again only when its thread set changed -- qemu makes a vCPU's thread
 * when the vCPU comes, so a hot-plug changes it.  Discovery runs every interval in top and serve
 * and again on a scratch table for each --container / --vm; without this each one asked every
 * VM's monitor.  *asked (may be NULL): the monitor was asked now.  Not thread-safe: the capture
 * thread only.
 */
int qmp_vcpu_tids_memo(pid_t qemu, const char *path, pid_t *tids, int max, char *why, size_t wlen,
		       bool *asked);
/* The thread-id values of a query-cpus-fast reply (pure, unit-tested). */
int qmp_parse_thread_ids(const char *reply, pid_t *tids, int max);

/*
 * Which device owns a port or guest-physical address: qemu's flat views (`info mtree -f` over
 * QMP's human-monitor-command), the I/O space and the system memory's device regions (RAM and
 * ROM never exit to a device).
 */
struct devmap_range {
	uint64_t lo, hi; /* inclusive */
	bool io;	 /* the I/O (port) space; else memory */
	char name[64];	 /* qemu's region name */
};
struct devmap {
	int n, cap;
	struct devmap_range *r;
};
/* Fill m from qemu's reply over the QMP socket at path: 0, or -errno with why. */
int qmp_mtree(pid_t qemu, const char *path, struct devmap *m, char *why, size_t wlen);
/* Add the device regions of `info mtree -f` text: how many (pure, unit-tested). */
int devmap_parse_mtree(struct devmap *m, const char *text);
const struct devmap_range *devmap_find(const struct devmap *m, bool io, uint64_t addr);
/* A region as a device: "virtio-net-pci notify" for virtio-pci-notify-virtio-net, else the name. */
void devmap_name(const struct devmap_range *r, char *buf, size_t len);
void devmap_free(struct devmap *m);

#endif
