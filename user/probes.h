/* SPDX-License-Identifier: GPL-2.0 */
/* The accounting probes' lifecycle: open -> configure -> load -> attach, and the interval flush. */
#ifndef VP_PROBES_H
#define VP_PROBES_H

#include <stdbool.h>
#include <stdint.h>

struct account_bpf;

struct probes {
	struct account_bpf *skel;
	const char *flavour; /* "tp_btf" or "raw_tp" */
	int nr_cpus;	     /* possible CPUs: size of per-CPU map values */
	int stats_fd;	     /* BPF_ENABLE_STATS fd, -1 when bpf_stats could not be enabled */
};

/*
 * Checks privilege and BTF first (clear message, -EPERM / -ENOENT), then loads the tp_btf
 * flavour, falling back to raw_tp when tp_btf cannot load.
 */
int probes_open(struct probes *p);
void probes_close(struct probes *p);
/* Run the flush program on every online CPU: closes each CPU's open segment at "now". */
int probes_flush(struct probes *p);
int probes_cpu_state_fd(const struct probes *p);

/* Precondition checks shared by every command that loads BPF; messages printed. */
int check_privileges(void);
int check_btf(void);

/* Kernel bpf_stats for one program fd: cumulative run time and count. */
int prog_run_stats(int prog_fd, uint64_t *run_ns, uint64_t *run_cnt);

#endif
