// SPDX-License-Identifier: GPL-2.0
/* The kernel's CPU figure per target, and virtprof's comparable one (kernel_check.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account/kernel_check.h"
#include "sys/cgroup.h"
#include "sys/util.h"

/*
 * A cgroup's usage, or a process's CPU clock, lags by the runtime its running threads have not
 * been charged yet (up to a tick per CPU): reading a thread's schedstat makes the kernel charge
 * its running time now (task_sched_runtime -> update_curr, cgroup included, and the rq clock
 * update that takes the hypervisor's steal out of it).
 */
static void charge_tid(long tid)
{
	char sp[64];
	FILE *s;

	snprintf(sp, sizeof(sp), "/proc/%ld/schedstat", tid);
	s = fopen(sp, "re");
	if (s) {
		if (!fgets(sp, sizeof(sp), s))
			sp[0] = 0;
		fclose(s);
	}
}

/* Every thread of a process (/proc/PID/task). */
static void charge_process(pid_t pid)
{
	struct dirent *de;
	char dir[64];
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	if (!(d = opendir(dir)))
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
			charge_tid(atol(de->d_name));
	closedir(d);
}

/* Every thread of a cgroup tree, each level (list: cgroup.threads on v2, tasks on v1). */
static void charge_running(const char *dir, const char *list, int depth)
{
	char path[1200], line[32];
	struct dirent *de;
	struct stat st;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, list);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		charge_tid(atol(line));
	if (f)
		fclose(f);
	if (depth >= 8 || stat(dir, &st) || !cgroup_has_children(&st) || !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		charge_running(path, list, depth + 1);
	}
	closedir(d);
}

static void read_cgroup(const struct target *t, struct kcheck_reading *r)
{
	const struct cgroup_mounts *m = cgroup_mounts();
	char path[1024], *buf, *p;
	uint64_t v;

	if (t->cgroup_v2[0] && m->v2[0]) {
		snprintf(path, sizeof(path), "%s/%s", m->v2, t->cgroup_v2);
		charge_running(path, "cgroup.threads", 0);
		snprintf(path, sizeof(path), "%s/%s/cpu.stat", m->v2, t->cgroup_v2);
		buf = read_file(path, NULL);
		p = buf ? strstr(buf, "usage_usec ") : NULL;
		if (p) {
			r->ok = true;
			r->ns = strtoull(p + 11, NULL, 10) * NSEC_PER_USEC;
			snprintf(r->source, sizeof(r->source), "cpu.stat");
		}
		free(buf);
		if (r->ok)
			return;
	}
	if (t->cgroup_v1[0] && m->v1_cpu[0]) {
		char acct[1024], pcg[64], *cgtext;
		pid_t pid = t->pid;
		int err;

		snprintf(path, sizeof(path), "%s/%s", m->v1_cpu, t->cgroup_v1);
		charge_running(path, "tasks", 0);
		/*
		 * cpuacct is co-mounted with cpu on most distributions, not on all (a hybrid host
		 * may mount them apart, the task's cpuacct path its own): its mount and the
		 * task's path on it, from /proc/<pid>/cgroup of the target's pid or, for a target
		 * named by its cgroup, of a process in it.
		 */
		if (!pid && cgroup_pids(path, &pid, 1) != 1)
			pid = 0;
		snprintf(pcg, sizeof(pcg), "/proc/%d/cgroup", (int)pid);
		cgtext = pid ? read_file(pcg, NULL) : NULL;
		err = cgroup_v1_cpuacct_dir(m, cgtext, t->cgroup_v1, acct, sizeof(acct));
		free(cgtext);
		snprintf(path, sizeof(path), "%s/cpuacct.usage", acct);
		if (!err && !read_u64_file(path, &v)) {
			r->ok = true;
			r->ns = v;
			snprintf(r->source, sizeof(r->source), "cpuacct.usage");
			return;
		}
	}
	vp_na_set(&r->na, VP_NA_KERNEL, "no readable cpu.stat usage_usec or cpuacct.usage for %s",
		  t->entity);
}

/*
 * The qemu process: its CPU clock is the thread group's runtime in ns, live threads plus
 * signal->sum_sched_runtime of the exited ones.  /proc/PID/stat utime+stime is the same sum cut
 * to 10 ms ticks (twice), and summing task/<tid>/schedstat misses exited threads.
 */
static void read_process(const struct target *t, struct kcheck_reading *r)
{
	struct timespec ts;
	clockid_t clk;
	int err;

	/*
	 * The clock sums the threads' runtime as last charged; charged now, the flush right after
	 * finds the same instant (a 100 ms steal slice left pending was -5 ... +5 % over two
	 * intervals).
	 */
	charge_process(t->pid);
	err = clock_getcpuclockid(t->pid, &clk);
	if (!err && clock_gettime(clk, &ts) == 0) {
		r->ok = true;
		r->ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
		snprintf(r->source, sizeof(r->source), "process cpu clock");
		return;
	}
	vp_na_set(&r->na, (err ? err : errno) == ESRCH ? VP_NA_NO_TARGET : VP_NA_OTHER,
		  "cpu clock of pid %d: %s", (int)t->pid, strerror(err ? err : errno));
}

void kcheck_read(const struct targets *ts, struct kcheck_reading *out)
{
	for (int i = 0; i < ts->n; i++) {
		const struct target *t = &ts->t[i];
		struct kcheck_reading *r = &out[i];

		memset(r, 0, sizeof(*r));
		if (t->gone) {
			vp_na_set(&r->na, VP_NA_NO_TARGET, "%s is gone", t->entity);
			continue;
		}
		if (t->kind == TARGET_VM)
			read_process(t, r);
		else
			read_cgroup(t, r);
	}
}

void kcheck_ours(const struct interval *iv, struct collector *c, const struct targets *ts,
		 uint64_t *ours)
{
	if (ts->n) /* no target, no array: memset's NULL is undefined even for 0 bytes */
		memset(ours, 0, (size_t)ts->n * sizeof(*ours));
	for (int i = 0; i < iv->n; i++) {
		const struct thread_rec *r;
		int hit[16], n, m;
		uint64_t busy;

		if (VP_IS_IDLE_KEY(iv->rows[i].key))
			continue;
		r = collector_thread(c, iv->rows[i].key);
		if (!r)
			continue;
		/*
		 * A VM's threads by their process, a container's by its cgroup tree (v2 or v1 cpu),
		 * as the kernel's figure counts them: a VM-backed pod's VMM is in the index by pid
		 * too, but its cgroup is what cpu.stat holds (a vCPU moved out of it is not).
		 */
		m = targets_find_all(ts, TKEY_VM_PID, r->info.tgid, hit, ARRAY_SIZE(hit));
		n = 0;
		for (int k = 0; k < m; k++)
			if (ts->t[hit[k]].kind == TARGET_VM)
				hit[n++] = hit[k];
		n += targets_find_all(ts, TKEY_CG_V2, r->info.cgid_v2, hit + n,
				      ARRAY_SIZE(hit) - n);
		n += targets_find_all(ts, TKEY_CG_V1, r->info.cgid_v1_cpu, hit + n,
				      ARRAY_SIZE(hit) - n);
		busy = stats_busy_ns(&iv->rows[i].st);
		for (int k = 0; k < n; k++) {
			bool twice = false;

			/* a target holding the thread on both hierarchies counts it once */
			for (int j = 0; j < k; j++)
				twice |= hit[j] == hit[k];
			if (!twice)
				ours[hit[k]] += busy;
		}
	}
}

void kcheck_delta_set(struct kcheck_delta *d, const struct kcheck_reading *a,
		      const struct kcheck_reading *b, uint64_t ours_ns)
{
	memset(d, 0, sizeof(*d));
	d->ours_ns = ours_ns;
	if (!a->ok || !b->ok || b->ns < a->ns) {
		if (!b->ok || !a->ok)
			d->na = !b->ok ? b->na : a->na;
		else
			vp_na_set(&d->na, VP_NA_OTHER, "the kernel's counter went backwards");
		return;
	}
	d->ok = true;
	d->kernel_ns = b->ns - a->ns;
	snprintf(d->source, sizeof(d->source), "%s", b->source);
}

void kcheck_delta_add(struct kcheck_delta *sum, const struct kcheck_delta *d, bool first)
{
	if (first) {
		*sum = *d;
		return;
	}
	sum->ours_ns += d->ours_ns;
	if (!sum->ok)
		return;
	if (!d->ok) {
		sum->ok = false;
		sum->na = d->na;
		return;
	}
	sum->kernel_ns += d->kernel_ns;
}

double kcheck_diff_pct(const struct kcheck_delta *d)
{
	if (!d->ok || !d->kernel_ns)
		return 0;
	return 100.0 * ((double)d->ours_ns - (double)d->kernel_ns) / (double)d->kernel_ns;
}

bool kcheck_flagged(const struct kcheck_delta *d)
{
	uint64_t diff;

	if (!d->ok)
		return false;
	diff = d->ours_ns > d->kernel_ns ? d->ours_ns - d->kernel_ns : d->kernel_ns - d->ours_ns;
	return diff > KCHECK_FLOOR_NS && diff * 100.0 > KCHECK_FLAG_PCT * (double)d->kernel_ns;
}
