/* SPDX-License-Identifier: GPL-2.0 */
/* /proc readers.  The parsers take a buffer so the awkward cases are unit-testable. */
#ifndef VP_PROCFS_H
#define VP_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_stat {
	pid_t pid;
	char comm[64]; /* may contain spaces, parentheses, newlines */
	char state;
	pid_t ppid;
	uint64_t utime_ticks, stime_ticks;
	long num_threads;
	uint64_t start_ticks; /* since boot, in clock ticks: with the pid, one process ever */
};

/* /proc/<pid>/stat: comm is everything between the first '(' and the LAST ')'. */
int proc_parse_stat(const char *buf, struct proc_stat *out);
int proc_read_stat(pid_t pid, pid_t tid, struct proc_stat *out);
/* /proc/<pid>/comm without the newline; -errno. */
int proc_comm(pid_t pid, char *buf, size_t len);
/* /proc/<pid>/cmdline (NUL-separated, malloc'd); NULL for kthreads and exited processes. */
char *proc_cmdline(pid_t pid, size_t *len);
/* Inode of /proc/<pid>/ns/net, 0 when unreadable. */
unsigned long proc_netns_ino(pid_t pid);
/* Tgid of a thread id (/proc/<tid>/status), 0 when gone. */
pid_t proc_tgid_of(pid_t tid);

/*
 * /proc/<pid>/cgroup -> path on the v2 hierarchy ("0::/path") and on the v1 hierarchy holding
 * the cpu controller ("N:cpu,cpuacct:/path" or "N:cpu:/path").  Either may come out empty.
 */
int proc_parse_cgroup(const char *buf, char *v2, size_t v2len, char *v1cpu, size_t v1len);
int proc_cgroup_paths(pid_t pid, char *v2, size_t v2len, char *v1cpu, size_t v1len);
/* Path of a v1 controller's hierarchy ("blkio") in /proc/<pid>/cgroup text; -ENOENT if absent. */
int proc_parse_cgroup_ctrl(const char *buf, const char *ctrl, char *path, size_t len);

/*
 * /proc/stat -> steal time of cpu0..cpuN-1 in USER_HZ ticks (the 8th value of each "cpuN" line);
 * returns N (CPUs beyond max are ignored).
 */
int proc_parse_steal(const char *buf, uint64_t *steal, int max);

#endif
