// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "probe/features.h"
#include "probe/probe.h"
#include "sys/util.h"

/* > 0 while an attempt runs whose failure is not the command's failure (see probe.h). */
static int tentative;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && vp_verbose < 2)
		return 0;
	if (level == LIBBPF_INFO && !vp_verbose)
		return 0;
	if (level == LIBBPF_WARN && tentative && !vp_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void probe_libbpf_init(void)
{
	libbpf_set_print(libbpf_print);
}

int probe_check_privileges(void)
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

int probe_check_btf(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	vp_err("kernel BTF not found (/sys/kernel/btf/vmlinux): CO-RE needs a kernel built with "
	       "CONFIG_DEBUG_INFO_BTF=y");
	return -ENOENT;
}

const char *probe_flavour_name(enum probe_flavour f)
{
	return f == PROBE_TP_BTF ? "tp_btf" : "raw_tp";
}

static bool force_raw(void)
{
	const char *f = getenv("VIRTPROF_BPF_FLAVOUR"), *io = getenv("VIRTPROF_IO_RAW");

	return (f && !strcmp(f, "raw_tp")) || (io && strcmp(io, "0"));
}

int probe_open_fallback(const struct probe_obj_ops *ops, void *ctx, void **skel,
			enum probe_flavour *flavour)
{
	enum probe_flavour f = force_raw() ? PROBE_RAW_TP : PROBE_TP_BTF;
	int err = -EINVAL;

	*skel = NULL;
	for (;; f = PROBE_RAW_TP) {
		bool last = f == PROBE_RAW_TP;
		void *s = ops->open();

		if (!s) {
			err = -errno;
			vp_err("open %s BPF object: %s", ops->what, strerror(-err));
			return err;
		}
		err = ops->configure(s, ctx, f);
		if (err) {
			ops->destroy(s);
			return err;
		}
		tentative += !last || ops->optional;
		err = ops->load(s);
		if (!err)
			err = ops->attach(s);
		tentative -= !last || ops->optional;
		if (!err) {
			*skel = s;
			if (flavour)
				*flavour = f;
			return 0;
		}
		ops->destroy(s);
		if (last)
			break;
		/* tp_btf refused (an older kernel, no BTF tracing): the raw_tp flavour next */
		vp_debug("%s BPF (tp_btf) load/attach: %s; trying raw_tp", ops->what,
			 strerror(-err));
	}
	if (ops->optional)
		vp_debug("load %s BPF programs: %s", ops->what, strerror(-err));
	else
		vp_err("load/attach the %s programs: %s", ops->what, strerror(-err));
	return err;
}

void probe_keep_flavour(struct bpf_object *obj, enum probe_flavour f)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		const char *sec = bpf_program__section_name(prog);

		if (!strncmp(sec, "tp_btf/", 7))
			bpf_program__set_autoload(prog, f == PROBE_TP_BTF);
		else if (!strncmp(sec, "raw_tp/", 7))
			bpf_program__set_autoload(prog, f == PROBE_RAW_TP);
	}
}

const char *probe_pick(struct bpf_program *tp_btf, struct bpf_program *raw, const char *tp,
		       const char *sys, enum probe_flavour want)
{
	bool btf = feature_has_tp_btf(tp);

	bpf_program__set_autoload(tp_btf, false);
	bpf_program__set_autoload(raw, false);
	if (btf && want == PROBE_TP_BTF) {
		bpf_program__set_autoload(tp_btf, true);
		return "tp_btf";
	}
	/* raw_tp needs the tracepoint only; BTF (or tracefs) says whether it exists. */
	if (btf || feature_has_event(sys, tp)) {
		bpf_program__set_autoload(raw, true);
		return "raw_tp";
	}
	return NULL;
}

int probe_run_on_cpus(struct bpf_program *p)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_program__fd(p), err = 0;

	if (fd < 0)
		return -EINVAL;
	for (int cpu = 0; cpu < ncpu; cpu++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = cpu);

		/* Offline CPUs fail with ENXIO; nothing runs there, nothing to flush. */
		if (bpf_prog_test_run_opts(fd, &o) && errno != ENXIO)
			err = -errno;
	}
	return err;
}

void probe_sum_u64(const void *percpu, int ncpu, size_t size, void *dst)
{
	size_t n = size / 8, stride = (size + 7) & ~(size_t)7;
	uint64_t *d = dst;

	memset(dst, 0, size);
	for (int c = 0; c < ncpu; c++) {
		const uint64_t *v = (const void *)((const char *)percpu + (size_t)c * stride);

		for (size_t i = 0; i < n; i++)
			d[i] += v[i];
	}
}

int probe_prog_stats(int prog_fd, uint64_t *run_ns, uint64_t *run_cnt)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	*run_ns = info.run_time_ns;
	*run_cnt = info.run_cnt;
	return 0;
}
