// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "account.skel.h"
#include "iobpf.h"
#include "probes.h"
#include "util.h"

/* The one libbpf print callback: warnings always (they explain load failures), debug with -v. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && vp_verbose < 2)
		return 0;
	if (level == LIBBPF_INFO && !vp_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int check_privileges(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {};
	uint64_t eff;

	if (geteuid() == 0)
		return 0;
	if (syscall(SYS_capget, &hdr, data) == 0) {
		eff = (uint64_t)data[1].effective << 32 | data[0].effective;
		if ((eff & (1ULL << CAP_BPF)) && (eff & (1ULL << CAP_PERFMON)))
			return 0;
	}
	vp_err("needs root (or CAP_BPF and CAP_PERFMON) to load BPF programs; run with sudo");
	return -EPERM;
}

int check_btf(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	vp_err("kernel BTF not found (/sys/kernel/btf/vmlinux): CO-RE needs a kernel built with "
	       "CONFIG_DEBUG_INFO_BTF=y");
	return -ENOENT;
}

/* Every tracing program exists twice; keep the flavour we want, switch off the other. */
static void select_flavour(struct account_bpf *skel, bool btf)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj) {
		const char *sec = bpf_program__section_name(prog);

		if (!strncmp(sec, "tp_btf/", 7))
			bpf_program__set_autoload(prog, btf);
		else if (!strncmp(sec, "raw_tp/", 7))
			bpf_program__set_autoload(prog, !btf);
	}
}

static int try_load(struct probes *p, bool btf)
{
	struct account_bpf *skel;
	int err;

	skel = account_bpf__open();
	if (!skel)
		return -errno;
	select_flavour(skel, btf);
	/* task storage backs the tp_btf flavour only; older kernels may not have the map type */
	bpf_map__set_autocreate(skel->maps.wake_store, btf);
	bpf_map__set_autocreate(skel->maps.wake_ts, !btf);
	err = account_bpf__load(skel);
	if (!err)
		err = account_bpf__attach(skel);
	if (err) {
		account_bpf__destroy(skel);
		return err;
	}
	p->skel = skel;
	p->flavour = btf ? "tp_btf" : "raw_tp";
	return 0;
}

int probes_open(struct probes *p)
{
	const char *force;
	int err;

	memset(p, 0, sizeof(*p));
	p->stats_fd = -1;
	err = check_privileges();
	if (err)
		return err;
	err = check_btf();
	if (err)
		return err;
	libbpf_set_print(libbpf_print);
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

	/* VIRTPROF_BPF_FLAVOUR=raw_tp forces the fallback, so tests can exercise it here too */
	force = getenv("VIRTPROF_BPF_FLAVOUR");
	err = force && !strcmp(force, "raw_tp") ? -ENOTSUP : try_load(p, true);
	if (err) {
		vp_debug("tp_btf programs did not load (%s); trying raw_tp", strerror(-err));
		err = try_load(p, false);
	}
	if (err) {
		vp_err("load/attach the accounting programs: %s", strerror(-err));
		if (p->stats_fd >= 0)
			close(p->stats_fd);
		p->stats_fd = -1;
		return err;
	}
	return probes_flush(p);
}

void probes_close(struct probes *p)
{
	if (p->skel)
		account_bpf__destroy(p->skel);
	p->skel = NULL;
	if (p->stats_fd >= 0)
		close(p->stats_fd);
	p->stats_fd = -1;
}

int probes_flush(struct probes *p)
{
	int err = iobpf_run_on_cpus(p->skel->progs.flush);

	if (err)
		vp_err("flush the accounting programs on every CPU: %s", strerror(-err));
	return err;
}

int probes_cpu_state_fd(const struct probes *p)
{
	return bpf_map__fd(p->skel->maps.cpu_state);
}

int prog_run_stats(int prog_fd, uint64_t *run_ns, uint64_t *run_cnt)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	*run_ns = info.run_time_ns;
	*run_cnt = info.run_cnt;
	return 0;
}
