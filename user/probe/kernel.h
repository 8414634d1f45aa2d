/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's own accounting mode, printed with every report so nobody trusts blindly. */
#ifndef VP_KERNEL_H
#define VP_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

struct kernel_mode {
	char kernel[64];
	int ncpus;
	const char *cgroup;    /* v1 / v2 / hybrid */
	int irq_time;	       /* CONFIG_IRQ_TIME_ACCOUNTING: 1 on, 0 off, -1 unknown */
	int hz;		       /* CONFIG_HZ, 0 unknown */
	const char *vhost;     /* "user-worker" / "kthread" / "none" (as the tap path says) */
	const char *vhost_why; /* how the vhost mode was decided */
	bool kvm_dev;	       /* /dev/kvm present */
	bool kvm_tp;	       /* kvm tracepoints present in tracefs */
	const char *flavour;   /* BPF program flavour attached (filled by the caller) */
	bool light;	       /* light mode: no softirq / irq programs (filled by the caller) */
};

void kernel_mode_detect(struct kernel_mode *m);
/* Kernel config option: 1 =y/=m, 0 "is not set", -1 unknown (no /proc/config.gz nor /boot). */
int kernel_kconfig(const char *opt, char *val, size_t len);

#endif
