// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include "sys/cgroup.h"
#include "probe/features.h"
#include "probe/kernel.h"
#include "sys/util.h"

/* Search "CONFIG_X=..." or "# CONFIG_X is not set" in a kernel config (gzip'ed or plain). */
int kernel_kconfig(const char *opt, char *val, size_t len)
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

void kernel_mode_detect(struct kernel_mode *m)
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
	m->irq_time = kernel_kconfig("CONFIG_IRQ_TIME_ACCOUNTING", NULL, 0);
	if (kernel_kconfig("CONFIG_HZ", val, sizeof(val)) == 1)
		m->hz = atoi(val);
	/* vhost workers are user-worker threads of the owner since v6.4 (vhost_task), kthreads before */
	if (access("/dev/vhost-net", F_OK)) {
		m->vhost = "none";
		m->vhost_why = "no /dev/vhost-net (CONFIG_VHOST_NET off or module not loaded)";
	} else if (major > 6 || (major == 6 && minor >= 4)) {
		m->vhost = "user-worker";
		m->vhost_why = "kernel >= 6.4: vhost-<pid> threads inside the VM process";
	} else {
		m->vhost = "kthread";
		m->vhost_why = "kernel < 6.4: vhost-<pid> kernel threads";
	}
	m->kvm_dev = !access("/dev/kvm", F_OK);
	/* BTF knows the tracepoint even where tracefs is not mounted */
	m->kvm_tp = feature_has_tp_btf("kvm_exit") || feature_has_event("kvm", "kvm_exit");
}
