// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "account.skel.h"
#include "probe/account.h"
#include "probe/features.h"
#include "probe/kernel.h"
#include "probe/probe.h"
#include "sys/util.h"
#include "virtprof.h"

/*
 * Run-queue delay from the kernel's sched_info (no program on sched_wakeup), unless this kernel
 * has none (CONFIG_SCHED_INFO off) or VIRTPROF_RQ_DELAY=wakeup asks for the wakeup -> switch
 * timing (kept so that path stays tested).
 */
static bool rq_from_wakeups(void)
{
	const char *e = getenv("VIRTPROF_RQ_DELAY");

	return (e && !strcmp(e, "wakeup")) || !feature_has_member("sched_info", "last_queued");
}

/*
 * Light mode: no program on softirq or irq entry/exit.  Their time then stays in the open segment
 * of the thread they interrupted -- its task time, as the kernel's own runtime and cpu.stat count
 * it without IRQ_TIME_ACCOUNTING -- and the per-CPU softirq/irq state the switch reads
 * (take_softirq, hardirq_acc) stays empty, so every ns is still charged once.
 */
static void leave_out_irq_programs(struct account_bpf *s)
{
	struct bpf_program *progs[] = {
		s->progs.tp_softirq_entry,     s->progs.raw_softirq_entry,
		s->progs.tp_softirq_exit,      s->progs.raw_softirq_exit,
		s->progs.tp_irq_handler_entry, s->progs.raw_irq_handler_entry,
		s->progs.tp_irq_handler_exit,  s->progs.raw_irq_handler_exit,
	};

	for (size_t i = 0; i < ARRAY_SIZE(progs); i++)
		bpf_program__set_autoload(progs[i], false);
}

static int configure(void *skel, void *ctx, enum probe_flavour f)
{
	struct account_bpf *s = skel;
	bool wakeups = rq_from_wakeups();
	const struct account_probe *p = ctx;
	uint32_t max = p->max_threads;
	/*
	 * (not the template of `stats`' inner map: libbpf 1.1 cannot resize it, and the kernel does
	 * not compare a hash inner map's size)
	 */
	struct bpf_map *per_thread[] = { s->maps.stats0, s->maps.stats1, s->maps.threads,
					 s->maps.wake_ts };

	probe_keep_flavour(s->obj, f);
	/* the per-thread maps: sized before load, so a full one is a counted drop, never a hang */
	for (size_t i = 0; i < ARRAY_SIZE(per_thread); i++) {
		int err = bpf_map__set_max_entries(per_thread[i], max);

		if (err)
			return err;
	}
	s->rodata->rq_wakeup = wakeups;
	/* unknown counts as off, Debian's setting: interrupts are inside the tasks' runtime */
	s->rodata->irq_in_runtime = kernel_kconfig("CONFIG_IRQ_TIME_ACCOUNTING", NULL, 0) != 1;
	if (!wakeups) {
		bpf_program__set_autoload(s->progs.tp_sched_wakeup, false);
		bpf_program__set_autoload(s->progs.raw_sched_wakeup, false);
		bpf_program__set_autoload(s->progs.tp_sched_wakeup_new, false);
		bpf_program__set_autoload(s->progs.raw_sched_wakeup_new, false);
	}
	if (p->light)
		leave_out_irq_programs(s);
	/* task storage backs the tp_btf flavour only; older kernels may not have the map type */
	bpf_map__set_autocreate(s->maps.wake_store, f == PROBE_TP_BTF);
	bpf_map__set_autocreate(s->maps.wake_ts, f == PROBE_RAW_TP);
	return 0;
}

PROBE_SKEL_WRAPPERS(account_bpf)

static const struct probe_obj_ops account_ops = {
	.what = "accounting",
	.configure = configure,
	PROBE_SKEL_OPS(account_bpf),
};

int account_probe_open(struct account_probe *p, uint32_t max_threads, bool light)
{
	enum probe_flavour f;
	void *skel;
	int err;

	memset(p, 0, sizeof(*p));
	p->stats_fd = -1;
	p->max_threads = max_threads ? max_threads : VP_MAX_THREADS;
	p->light = light;
	err = probe_check_privileges();
	if (err)
		return err;
	err = probe_check_btf();
	if (err)
		return err;
	probe_libbpf_init();
	p->nr_cpus = libbpf_num_possible_cpus();
	if (p->nr_cpus <= 0 || p->nr_cpus > 4096) {
		vp_err("cannot count possible CPUs: %s", strerror(-p->nr_cpus));
		return -EINVAL;
	}
	/*
	 * The program run-time counters are the profiler's own cost in every report.  They are not
	 * free (two clock reads per program run); VIRTPROF_BPF_STATS=0 leaves them off, and the
	 * reports then say "not available" for the BPF run time.
	 */
	if (!getenv("VIRTPROF_BPF_STATS") || strcmp(getenv("VIRTPROF_BPF_STATS"), "0"))
		p->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	err = probe_open_fallback(&account_ops, p, &skel, &f);
	if (err) {
		if (p->stats_fd >= 0)
			close(p->stats_fd);
		p->stats_fd = -1;
		return err;
	}
	p->skel = skel;
	p->flavour = probe_flavour_name(f);
	return account_probe_flush(p);
}

void account_probe_close(struct account_probe *p)
{
	if (p->skel)
		account_bpf__destroy(p->skel);
	p->skel = NULL;
	if (p->stats_fd >= 0)
		close(p->stats_fd);
	p->stats_fd = -1;
}

int account_probe_flush(struct account_probe *p)
{
	int err = probe_run_on_cpus(p->skel->progs.flush);

	if (err)
		vp_err("flush the accounting programs on every CPU: %s", strerror(-err));
	return err;
}

int account_probe_cpu_state_fd(const struct account_probe *p)
{
	return bpf_map__fd(p->skel->maps.cpu_state);
}
