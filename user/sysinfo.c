// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include "cgroup.h"
#include "iobpf.h"
#include "sysinfo.h"
#include "util.h"

/* Search "CONFIG_X=..." or "# CONFIG_X is not set" in a kernel config (gzip'ed or plain). */
int sysinfo_kconfig(const char *opt, char *val, size_t len)
{
	char path[256], line[512], notset[160];
	struct utsname u;
	size_t ol = strlen(opt);
	gzFile f;
	int res = -1;

	f = gzopen("/proc/config.gz", "r");
	if (!f) {
		uname(&u);
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		f = gzopen(path, "r"); /* zlib reads plain files transparently */
	}
	if (!f)
		return -1;
	snprintf(notset, sizeof(notset), "# %s is not set", opt);
	res = 0;
	while (gzgets(f, line, sizeof(line))) {
		if (!strncmp(line, opt, ol) && line[ol] == '=') {
			line[strcspn(line, "\n")] = '\0';
			if (val)
				snprintf(val, len, "%s", line + ol + 1);
			res = 1;
			break;
		}
		if (!strncmp(line, notset, strlen(notset)))
			break;
	}
	gzclose(f);
	return res;
}

void sysinfo_detect(struct sysinfo_mode *m)
{
	struct utsname u;
	char val[32] = "";
	int major = 0, minor = 0;

	memset(m, 0, sizeof(*m));
	uname(&u);
	snprintf(m->kernel, sizeof(m->kernel), "%s", u.release);
	sscanf(u.release, "%d.%d", &major, &minor);
	m->ncpus = ncpus_online();
	m->cgroup = cgroup_mode(cgroup_mounts());
	m->irq_time = sysinfo_kconfig("CONFIG_IRQ_TIME_ACCOUNTING", NULL, 0);
	if (sysinfo_kconfig("CONFIG_HZ", val, sizeof(val)) == 1)
		m->hz = atoi(val);
	/* vhost workers are user-worker threads of the owner since v6.4 (vhost_task), kthreads before */
	if (access("/dev/vhost-net", F_OK)) {
		m->vhost = "none";
		m->vhost_why = "no /dev/vhost-net (CONFIG_VHOST_NET off or module not loaded)";
	} else if (major > 6 || (major == 6 && minor >= 4)) {
		m->vhost = "user worker";
		m->vhost_why = "kernel >= 6.4: vhost-<pid> threads inside the VM process";
	} else {
		m->vhost = "kthread";
		m->vhost_why = "kernel < 6.4: vhost-<pid> kernel threads";
	}
	m->kvm_dev = !access("/dev/kvm", F_OK);
	/* BTF knows the tracepoint even where tracefs is not mounted */
	m->kvm_tp = iobpf_has_tp_btf("kvm_exit") || iobpf_has_event("kvm", "kvm_exit");
}

void sysinfo_render(const struct sysinfo_mode *m, struct out *o)
{
	struct table t;
	int r;

	table_init(&t, "accounting_mode", NULL);
	table_col(&t, "kernel", "kernel", 0, true);
	table_col(&t, "cpus", "cpus", 0, false);
	table_col(&t, "cgroup", "cgroup", 0, true);
	table_col(&t, "irq_time_accounting", "irq-time", 0, true);
	table_col(&t, "hz", "HZ", 0, false);
	table_col(&t, "vhost", "vhost", 0, true);
	table_col(&t, "kvm_tracepoints", "kvm-tp", 0, true);
	table_col(&t, "bpf_flavour", "bpf", 0, true);
	r = table_row(&t);
	table_str(&t, r, 0, m->kernel);
	table_u64(&t, r, 1, m->ncpus);
	table_str(&t, r, 2, m->cgroup);
	if (m->irq_time < 0)
		table_na(&t, r, 3,
			 "irq-time: kernel config not readable (/proc/config.gz, /boot/config-*)");
	else
		table_str(&t, r, 3, m->irq_time ? "on" : "off");
	if (m->hz)
		table_u64(&t, r, 4, m->hz);
	else
		table_na(&t, r, 4, "HZ: kernel config not readable");
	table_str(&t, r, 5, m->vhost);
	table_str(&t, r, 6, m->kvm_tp ? "yes" : "no");
	table_str(&t, r, 7, m->flavour ? m->flavour : "-");
	if (m->irq_time == 0)
		table_note(&t, "without IRQ_TIME_ACCOUNTING /proc charges softirq ticks to the "
			       "interrupted task; virtprof measures them apart");
	table_note(&t, "vhost: %s", m->vhost_why);
	table_render(&t, o);
	table_free(&t);
}
