/* SPDX-License-Identifier: GPL-2.0 */
/* The accounting probes' lifecycle: open -> configure -> load -> attach, and the interval flush. */
#ifndef VP_ACCOUNT_PROBE_H
#define VP_ACCOUNT_PROBE_H

#include <stdbool.h>
#include <stdint.h>

struct account_bpf;

struct account_probe {
	struct account_bpf *skel;
	const char *flavour;  /* "tp_btf" or "raw_tp" */
	int nr_cpus;	      /* possible CPUs: size of per-CPU map values */
	int stats_fd;	      /* BPF_ENABLE_STATS fd, -1 when bpf_stats could not be enabled */
	uint32_t max_threads; /* entries of each per-thread map (stats, facts) */
	bool light;	      /* no softirq / irq programs: their time stays with the thread */
};

/*
 * Checks privilege and BTF first (clear message, -EPERM / -ENOENT), then loads the tp_btf
 * flavour, falling back to raw_tp when tp_btf cannot load.  max_threads sizes the per-thread
 * maps (0: VP_MAX_THREADS).  light leaves the softirq and irq programs out (--light).
 */
int account_probe_open(struct account_probe *p, uint32_t max_threads, bool light);
void account_probe_close(struct account_probe *p);
/* Run the flush program on every online CPU: closes each CPU's open segment at "now". */
int account_probe_flush(struct account_probe *p);
int account_probe_cpu_state_fd(const struct account_probe *p);

#endif
