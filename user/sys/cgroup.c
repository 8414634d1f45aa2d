// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <stdbool.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/cgroup.h"
#include "sys/procfs.h"
#include "sys/util.h"

void cgroup_parse_mountinfo(const char *buf, struct cgroup_mounts *m)
{
	const char *line = buf;

	memset(m, 0, sizeof(*m));
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		char l[1024], mnt[256], fstype[64], opts[512];
		char *dash;

		snprintf(l, sizeof(l), "%.*s", (int)(nl ? nl - line : (long)strlen(line)), line);
		line = nl ? nl + 1 : NULL;
		/* id parent major:minor root mountpoint options [optional...] - fstype source super */
		dash = strstr(l, " - ");
		if (!dash || sscanf(l, "%*s %*s %*s %*s %255s", mnt) != 1)
			continue;
		if (sscanf(dash + 3, "%63s %*s %511s", fstype, opts) != 2)
			continue;
		if (!strcmp(fstype, "cgroup2")) {
			if (!m->v2[0])
				snprintf(m->v2, sizeof(m->v2), "%s", mnt);
		} else if (!strcmp(fstype, "cgroup")) {
			char *save, *tok;

			m->nr_v1++;
			for (tok = strtok_r(opts, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save))
				if (!strcmp(tok, "cpu") && !m->v1_cpu[0])
					snprintf(m->v1_cpu, sizeof(m->v1_cpu), "%s", mnt);
				else if (!strcmp(tok, "cpuacct") && !m->v1_cpuacct[0])
					snprintf(m->v1_cpuacct, sizeof(m->v1_cpuacct), "%s", mnt);
				else if (!strcmp(tok, "blkio") && !m->v1_blkio[0])
					snprintf(m->v1_blkio, sizeof(m->v1_blkio), "%s", mnt);
		}
	}
}

int cgroup_v1_cpuacct_dir(const struct cgroup_mounts *m, const char *proc_cgroup,
			  const char *cpu_rel, char *path, size_t len)
{
	char rel[512];
	bool own;

	if (!m->v1_cpuacct[0])
		return -ENOENT;
	own = proc_cgroup && !proc_parse_cgroup_ctrl(proc_cgroup, "cpuacct", rel, sizeof(rel));
	if (!own) {
		/* co-mounted: the task's cpu path is its cpuacct path; apart, it says nothing */
		if (strcmp(m->v1_cpuacct, m->v1_cpu) || !cpu_rel || !cpu_rel[0])
			return -ENOENT;
		snprintf(rel, sizeof(rel), "%s", cpu_rel);
	}
	if ((size_t)snprintf(path, len, "%s%s%s", m->v1_cpuacct, rel[0] == '/' ? "" : "/", rel) >=
	    len)
		return -ENAMETOOLONG;
	return 0;
}

const struct cgroup_mounts *cgroup_mounts(void)
{
	static struct cgroup_mounts m;
	static int done;
	char *buf;

	if (done)
		return &m;
	buf = read_file("/proc/self/mountinfo", NULL);
	if (buf)
		cgroup_parse_mountinfo(buf, &m);
	free(buf);
	done = 1;
	return &m;
}

const char *cgroup_mode(const struct cgroup_mounts *m)
{
	if (m->v2[0] && m->nr_v1)
		return "hybrid";
	if (m->v2[0])
		return "v2";
	return m->nr_v1 ? "v1" : "none";
}

uint64_t cgroup_id_of(const char *abspath)
{
	struct stat st;

	/* Since v5.5 a cgroup directory's inode number is its kernfs id (64-bit kernels). */
	return stat(abspath, &st) || !S_ISDIR(st.st_mode) ? 0 : (uint64_t)st.st_ino;
}

bool cgroup_has_children(const struct stat *st)
{
	/*
	 * kernfs keeps a directory's link count at 2 + its subdirectories (kernfs_refresh_inode):
	 * a leaf cgroup need not be read to know it has none.  Any other count is read.
	 */
	return st->st_nlink != 2;
}

static int walk(const char *dir, uint64_t *ids, int max, int depth)
{
	struct dirent *de;
	struct stat st;
	int n = 0;
	DIR *d;

	if (max <= 0 || depth > 16)
		return 0;
	/* Since v5.5 a cgroup directory's inode number is its kernfs id (64-bit kernels). */
	if (stat(dir, &st) || !S_ISDIR(st.st_mode) || !st.st_ino)
		return 0;
	ids[n++] = (uint64_t)st.st_ino;
	/* a thousand containers' trees are walked every interval: their leaves with one stat */
	if (!cgroup_has_children(&st))
		return n;
	d = opendir(dir);
	if (!d)
		return n;
	while ((de = readdir(d)) && n < max) {
		char sub[1024];

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >= (int)sizeof(sub))
			continue;
		n += walk(sub, ids + n, max - n, depth + 1);
	}
	closedir(d);
	return n;
}

int cgroup_tree_ids(enum cgroup_hier h, const char *relpath, uint64_t *ids, int max)
{
	const struct cgroup_mounts *m = cgroup_mounts();
	const char *root = h == CGROUP_V2 ? m->v2 : h == CGROUP_V1_CPU ? m->v1_cpu : m->v1_blkio;
	char path[1024];

	if (!root[0] || !relpath[0])
		return 0;
	snprintf(path, sizeof(path), "%s%s%s", root, relpath[0] == '/' ? "" : "/", relpath);
	return walk(path, ids, max, 0);
}

static bool dir_exists(const char *root, const char *rel)
{
	char path[1024];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s%s", root, rel[0] == '/' ? "" : "/", rel);
	return root[0] && !stat(path, &st) && S_ISDIR(st.st_mode);
}

int cgroup_resolve_path(const char *spec, char *v2, size_t v2len, char *v1, size_t v1len)
{
	const struct cgroup_mounts *m = cgroup_mounts();
	size_t l2 = strlen(m->v2), l1 = strlen(m->v1_cpu);
	const char *rel = spec;

	v2[0] = v1[0] = '\0';
	if (l2 && !strncmp(spec, m->v2, l2) && (spec[l2] == '/' || !spec[l2])) {
		snprintf(v2, v2len, "%s", spec[l2] ? spec + l2 : "/");
		return dir_exists(m->v2, v2) ? 0 : -ENOENT;
	}
	if (l1 && !strncmp(spec, m->v1_cpu, l1) && (spec[l1] == '/' || !spec[l1])) {
		snprintf(v1, v1len, "%s", spec[l1] ? spec + l1 : "/");
		return dir_exists(m->v1_cpu, v1) ? 0 : -ENOENT;
	}
	if (!strncmp(spec, "/sys/fs/cgroup", 14))
		return -ENOENT; /* some other controller's hierarchy: not one we account by */
	if (dir_exists(m->v2, rel))
		snprintf(v2, v2len, "%s%s", rel[0] == '/' ? "" : "/", rel);
	if (dir_exists(m->v1_cpu, rel))
		snprintf(v1, v1len, "%s%s", rel[0] == '/' ? "" : "/", rel);
	return v2[0] || v1[0] ? 0 : -ENOENT;
}

static bool hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

int cgroup_container_id(const char *path, char *id, size_t len)
{
	static const char *const prefixes[] = { "docker-", "libpod-", "cri-containerd-", "crio-" };
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		size_t pl = strlen(prefixes[i]);

		if (!strncmp(base, prefixes[i], pl) && strlen(base + pl) >= 64 &&
		    hex64(base + pl)) {
			snprintf(id, len, "%.64s", base + pl);
			return 0;
		}
	}
	if (strlen(base) == 64 && hex64(base)) {
		snprintf(id, len, "%s", base);
		return 0;
	}
	return -ENOENT;
}

int cgroup_make(const char *name, char *path, size_t len)
{
	const struct cgroup_mounts *m = cgroup_mounts();
	/* v2 wherever it is mounted (plain v2, or the "unified" hierarchy of a hybrid host): its
	 * id is what the accounting records for every thread; v1 cpu only where there is no v2 */
	const char *root = m->v2[0] ? m->v2 : m->v1_cpu;

	if (!root[0])
		return -ENOENT;
	if ((size_t)snprintf(path, len, "%s/%s", root, name) >= len)
		return -ENAMETOOLONG;
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int cgroup_pids(const char *path, pid_t *pids, int max)
{
	char file[512], *buf, *p, *end;
	int n = 0;

	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	buf = read_file(file, NULL);
	if (!buf)
		return -errno;
	for (p = buf; *p && n < max; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		if (v > 0)
			pids[n++] = (pid_t)v;
	}
	free(buf);
	return n;
}

int cgroup_remove(const char *path)
{
	/* a cgroup with no process left goes at once; one that still holds zombies being reaped
	 * needs a moment */
	for (int i = 0; i < 100; i++) {
		if (!rmdir(path) || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		usleep(20000);
	}
	return -EBUSY;
}
