/* SPDX-License-Identifier: GPL-2.0 */
/* cgroup hierarchies: where v2 and the v1 cpu controller are mounted, and cgroup ids. */
#ifndef VP_CGROUP_H
#define VP_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

enum cgroup_hier { CGROUP_V2, CGROUP_V1_CPU, CGROUP_V1_BLKIO };

struct cgroup_mounts {
	char v2[256];	  /* mount point of cgroup2, "" if none */
	char v1_cpu[256]; /* mount point of the v1 hierarchy with the cpu controller, "" if none */
	char v1_blkio[256]; /* ... with blkio: a bio's blkcg is on this hierarchy when it exists */
	char v1_cpuacct[256]; /* ... with cpuacct: the cpu one where co-mounted, not everywhere */
	int nr_v1;	    /* v1 hierarchies mounted */
};

/* Parse /proc/self/mountinfo text. */
void cgroup_parse_mountinfo(const char *buf, struct cgroup_mounts *m);
/* The machine's mounts (read once, cached). */
const struct cgroup_mounts *cgroup_mounts(void);
/* "v2", "v1" or "hybrid" (or "none"). */
const char *cgroup_mode(const struct cgroup_mounts *m);

/*
 * Where a task's v1 CPU usage is read: cpuacct.usage of its cgroup on the cpuacct hierarchy,
 * which may be mounted apart from cpu (hybrid hosts) with a path of its own in
 * /proc/<pid>/cgroup (proc_cgroup: that file's text, NULL when unknown).  cpu_rel is the task's
 * cpu path, used where the two are co-mounted.  The directory into path; -ENOENT when no
 * cpuacct hierarchy is mounted or the task's path on it is unknown.  Pure (tests/unit).
 */
int cgroup_v1_cpuacct_dir(const struct cgroup_mounts *m, const char *proc_cgroup,
			  const char *cpu_rel, char *path, size_t len);

/* Collect the ids (inode numbers == kernfs ids) of a cgroup and all its descendants. */
int cgroup_tree_ids(enum cgroup_hier h, const char *relpath, uint64_t *ids, int max);
/* Kernfs id of one cgroup directory (absolute path); 0 on failure. */
uint64_t cgroup_id_of(const char *abspath);
/* Whether a cgroup directory (its stat) may have subdirectories; false: a leaf, for certain. */
bool cgroup_has_children(const struct stat *st);
/*
 * A user's cgroup spec -> paths relative to each hierarchy: "/sys/fs/cgroup/unified/x/y" (under
 * a known mount), or "/x/y" / "x/y" relative to the v2 hierarchy (and v1 cpu, if it exists there).
 */
int cgroup_resolve_path(const char *spec, char *v2, size_t v2len, char *v1, size_t v1len);
/* Container id from a cgroup path: ".../docker/<64hex>", ".../docker-<64hex>.scope", "libpod-". */
int cgroup_container_id(const char *path, char *id, size_t len);

/*
 * Make cgroup NAME at the top of the v2 hierarchy (plain v2, or the unified mount of a hybrid
 * host), or of the v1 cpu hierarchy where there is no v2; its absolute path into path.
 */
int cgroup_make(const char *name, char *path, size_t len);
/* The processes in a cgroup (its cgroup.procs): how many, or -errno. */
int cgroup_pids(const char *path, pid_t *pids, int max);
/* rmdir a cgroup, waiting up to 2 s for its last processes to be reaped. */
int cgroup_remove(const char *path);

#endif
