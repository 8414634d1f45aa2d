/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qemu's vCPU thread ids from its QMP monitor (query-cpus-fast), when the qemu command line
 * names a QMP unix socket: `-qmp unix:PATH,server...` or `-chardev socket,id=ID,path=PATH,...`
 * with `-mon chardev=ID,mode=control`.  The evidence for the vcpu role when qemu runs without
 * debug-threads (every thread then has the process's name).
 */
#ifndef VP_QMP_H
#define VP_QMP_H

#include <stddef.h>
#include <sys/types.h>

/* The QMP socket path named on a qemu command line (NUL-separated argv); -ENOENT when none. */
int qmp_socket_path(const char *cmdline, size_t len, char *path, size_t plen);
/*
 * Thread ids of the vCPUs (at most max) from the socket `path` named by qemu process `qemu`;
 * count, or -errno with `why` filled.  Asked only when the socket is served by that qemu or by
 * its user; within 1 s in all, at most 16 KB per line (docs/security.md).
 */
int qmp_vcpu_tids(pid_t qemu, const char *path, pid_t *tids, int max, char *why, size_t wlen);
/* The thread-id values of a query-cpus-fast reply (pure, unit-tested). */
int qmp_parse_thread_ids(const char *reply, pid_t *tids, int max);

#endif
