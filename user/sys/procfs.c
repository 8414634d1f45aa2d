// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sys/procfs.h"
#include "sys/util.h"

int proc_parse_stat(const char *buf, struct proc_stat *out)
{
	const char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	unsigned long long ut, st, start = 0;
	size_t n;
	int ppid;

	memset(out, 0, sizeof(*out));
	if (!open || !close || close < open)
		return -EINVAL;
	out->pid = (pid_t)atoi(buf);
	n = close - open - 1;
	if (n >= sizeof(out->comm))
		n = sizeof(out->comm) - 1;
	memcpy(out->comm, open + 1, n);
	out->comm[n] = '\0';
	/* after ") ": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
	 * utime stime cutime cstime priority nice num_threads itrealvalue starttime */
	if (sscanf(close + 1,
		   " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %ld %*d "
		   "%llu",
		   &out->state, &ppid, &ut, &st, &out->num_threads, &start) < 5)
		return -EINVAL;
	out->start_ticks = start;
	out->ppid = ppid;
	out->utime_ticks = ut;
	out->stime_ticks = st;
	return 0;
}

int proc_read_stat(pid_t pid, pid_t tid, struct proc_stat *out)
{
	char path[64], *buf;
	int err;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	buf = read_file(path, NULL);
	if (!buf)
		return -errno;
	err = proc_parse_stat(buf, out);
	free(buf);
	return err;
}

int proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64], *s;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	s = read_file(path, NULL);
	if (!s)
		return -errno;
	s[strcspn(s, "\n")] = '\0';
	snprintf(buf, len, "%s", s);
	free(s);
	return 0;
}

char *proc_cmdline(pid_t pid, size_t *len)
{
	char path[64], *s;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	s = read_file(path, len);
	if (s && !*len) {
		free(s);
		return NULL;
	}
	return s;
}

unsigned long proc_netns_ino(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return stat(path, &st) ? 0 : (unsigned long)st.st_ino;
}

pid_t proc_tgid_of(pid_t tid)
{
	char path[64], *s, *p;
	pid_t tgid = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	s = read_file(path, NULL);
	if (!s)
		return 0;
	p = strstr(s, "\nTgid:");
	if (p)
		tgid = (pid_t)atoi(p + 6);
	free(s);
	return tgid;
}

int proc_parse_cgroup(const char *buf, char *v2, size_t v2len, char *v1cpu, size_t v1len)
{
	const char *line = buf;

	v2[0] = v1cpu[0] = '\0';
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t ll = nl ? (size_t)(nl - line) : strlen(line);
		const char *c1 = memchr(line, ':', ll), *c2;

		if (c1 && (c2 = memchr(c1 + 1, ':', ll - (c1 + 1 - line)))) {
			size_t clen = c2 - c1 - 1, plen = ll - (c2 + 1 - line);
			char ctrl[128];

			snprintf(ctrl, sizeof(ctrl), "%.*s", (int)clen, c1 + 1);
			if (!strncmp(line, "0::", 3)) {
				snprintf(v2, v2len, "%.*s", (int)plen, c2 + 1);
			} else {
				/* a comma-separated controller list that contains exactly "cpu" */
				char *save, *tok;

				for (tok = strtok_r(ctrl, ",", &save); tok;
				     tok = strtok_r(NULL, ",", &save))
					if (!strcmp(tok, "cpu"))
						snprintf(v1cpu, v1len, "%.*s", (int)plen, c2 + 1);
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return v2[0] || v1cpu[0] ? 0 : -ENOENT;
}

int proc_parse_cgroup_ctrl(const char *buf, const char *ctrl, char *path, size_t len)
{
	const char *line = buf;
	size_t cl = strlen(ctrl);

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t ll = nl ? (size_t)(nl - line) : strlen(line);
		const char *c1 = memchr(line, ':', ll), *c2;

		if (c1 && (c2 = memchr(c1 + 1, ':', ll - (c1 + 1 - line)))) {
			/* the controller list is comma-separated: match a whole element */
			for (const char *p = c1 + 1; p < c2;) {
				const char *e = memchr(p, ',', c2 - p);

				if (!e)
					e = c2;
				if ((size_t)(e - p) == cl && !strncmp(p, ctrl, cl)) {
					snprintf(path, len, "%.*s", (int)(ll - (c2 + 1 - line)),
						 c2 + 1);
					return 0;
				}
				p = e + 1;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

int proc_cgroup_paths(pid_t pid, char *v2, size_t v2len, char *v1cpu, size_t v1len)
{
	char path[64], *s;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	s = read_file(path, NULL);
	if (!s)
		return -errno;
	err = proc_parse_cgroup(s, v2, v2len, v1cpu, v1len);
	free(s);
	return err;
}

int proc_parse_steal(const char *buf, uint64_t *steal, int max)
{
	const char *p = buf;
	int n = 0;

	while (p && *p) {
		unsigned long long v[8];
		int cpu;

		/* "cpuN user nice system idle iowait irq softirq steal ..." (the total line is "cpu ") */
		if (sscanf(p, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 9 &&
		    cpu >= 0 && cpu < max) {
			steal[cpu] = v[7];
			if (cpu + 1 > n)
				n = cpu + 1;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}
