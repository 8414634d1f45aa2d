// SPDX-License-Identifier: GPL-2.0
/* The built-in testbed's state (testbed/testbed.c parses it) as tables, columns by name. */
#include <stdio.h>

#include "out/table.h"
#include "report/testbed_status.h"
#include "sys/util.h"
#include "testbed/testbed.h"

static void na_or_str(struct table *t, int r, int c, const char *s, const struct vp_na *why)
{
	if (s && *s)
		table_str(t, r, c, s);
	else
		table_na(t, r, c, why);
}

enum { TB_NAME, TB_STATE, TB_NETNS, TB_NETNS_INO, TB_SUBNET, TB_STATE_DIR };

static void testbed_table(const struct testbed_info *in, struct out *o)
{
	struct table t;
	int r;

	table_init(&t, "testbed", NULL);
	table_col(&t, "name", "testbed", 0, true);
	table_col(&t, "state", "state", 0, true);
	table_col(&t, "netns", "netns", 0, true);
	table_col(&t, "netns_ino", "netns inode", 0, false);
	table_col(&t, "subnet", "subnet (inside netns only)", 0, true);
	table_col(&t, "state_dir", "state dir", 0, true);
	r = table_row(&t);
	table_str(&t, r, TB_NAME, in->name);
	table_str(&t, r, TB_STATE, in->up ? "up" : "degraded");
	table_str(&t, r, TB_NETNS, in->netns);
	table_u64(&t, r, TB_NETNS_INO, in->netns_ino);
	table_str(&t, r, TB_SUBNET, in->subnet);
	table_str(&t, r, TB_STATE_DIR, in->state_dir);
	if (!in->up)
		table_note(&t,
			   "degraded: qemu %s, container %s, netns %s, http vm %d container %d; "
			   "'virtprof testbed up' rebuilds it",
			   in->qemu_alive ? "alive" : "gone", in->ctr_alive ? "alive" : "gone",
			   in->netns_alive ? "present" : "gone", in->vm_http, in->ctr_http);
	table_render(&t, o);
	table_free(&t);
}

enum {
	TG_TARGET,
	TG_URL,
	TG_HTTP,
	TG_KIND,
	TG_PID,
	TG_ID,
	TG_ACCEL,
	TG_VHOST,
	TG_CPUS,
	TG_MEM_MIB,
	TG_ACCESS_LOG,
	TG_CGROUP,
	TG_CGROUP_DRIVER,
	TG_BOOT_S,
	TG_CPU_MODEL,
	TG_KERNEL,
	TG_KERNEL_BOOT,
	TG_CONSOLE,
	TG_NOTE,
	TG_DISK
};

/* The cells both rows start with: target, URL, its HTTP status, kind, pid (0: not running). */
static void target_cells(struct table *t, int r, const char *target, const char *url, int http,
			 const char *kind, pid_t pid)
{
	static const struct vp_na no_http = { VP_NA_NO_TARGET,
					      "http: no answer (or the netns is gone)" };
	static const struct vp_na no_pid = { VP_NA_NO_TARGET, "pid: the process is not running" };

	table_str(t, r, TG_TARGET, target);
	table_str(t, r, TG_URL, url);
	if (http)
		table_u64(t, r, TG_HTTP, (uint64_t)http);
	else
		table_na(t, r, TG_HTTP, &no_http);
	table_str(t, r, TG_KIND, kind);
	if (pid)
		table_u64(t, r, TG_PID, (uint64_t)pid);
	else
		table_na(t, r, TG_PID, &no_pid);
}

static void vm_row(const struct testbed_info *in, struct table *t)
{
	int r = table_row(t);

	target_cells(t, r, "vm", in->vm_url, in->vm_http, "qemu", in->qemu_pid);
	table_str(t, r, TG_ID, in->vm_name);
	na_or_str(t, r, TG_ACCEL, in->accel,
		  VP_NA_LIT(VP_NA_NO_TARGET, "accel: not decided (the VM never started)"));
	na_or_str(t, r, TG_VHOST, in->vhost,
		  VP_NA_LIT(VP_NA_NO_TARGET, "vhost: not decided (the VM never started)"));
	table_u64(t, r, TG_CPUS, in->vcpus);
	table_u64(t, r, TG_MEM_MIB, in->mem_mib);
	table_str(t, r, TG_ACCESS_LOG, in->vm_log_url);
	table_na(t, r, TG_CGROUP, NULL);
	table_na(t, r, TG_CGROUP_DRIVER, NULL);
	if (in->vm_boot_s > 0)
		table_f64(t, r, TG_BOOT_S, in->vm_boot_s);
	if (in->vm_cpu[0])
		table_str(t, r, TG_CPU_MODEL, in->vm_cpu);
	table_str(t, r, TG_KERNEL, in->kernel);
	if (in->kernel_boot[0])
		table_str(t, r, TG_KERNEL_BOOT, in->kernel_boot);
	table_str(t, r, TG_CONSOLE, in->serial_log);
	if (in->accel_note[0])
		table_str(t, r, TG_NOTE, in->accel_note);
	if (in->disk_image[0]) {
		char d[300];

		snprintf(d, sizeof(d), "%s (virtio-blk, cache=none, aio=%s)", in->disk_image,
			 in->disk_aio);
		table_str(t, r, TG_DISK, d);
	} else {
		table_na(t, r, TG_DISK,
			 VP_NA_LIT(VP_NA_NO_TARGET,
				   "disk: none ('virtprof testbed up --disk' gives the VM one)"));
	}
}

static void container_row(const struct testbed_info *in, struct table *t)
{
	int r = table_row(t);

	target_cells(t, r, "container", in->ctr_url, in->ctr_http, in->runtime,
		     in->ctr_alive ? in->ctr_pid : 0);
	na_or_str(t, r, TG_ID, in->ctr_id,
		  VP_NA_LIT(VP_NA_NO_TARGET, "id: the container never started"));
	table_na(t, r, TG_ACCEL, NULL);
	table_na(t, r, TG_VHOST, NULL);
	table_u64(t, r, TG_CPUS, in->vcpus);
	table_u64(t, r, TG_MEM_MIB, in->mem_mib);
	table_str(t, r, TG_ACCESS_LOG, in->ctr_log);
	table_str(t, r, TG_CGROUP, in->ctr_cgroup);
	if (in->cgroup_driver[0])
		table_str(t, r, TG_CGROUP_DRIVER, in->cgroup_driver);
	table_na(t, r, TG_CONSOLE, NULL);
	if (in->runtime_note[0])
		table_str(t, r, TG_NOTE, in->runtime_note);
	if (in->disk_dir[0])
		table_str(t, r, TG_DISK, in->disk_dir);
	else
		table_na(t, r, TG_DISK, NULL);
}

static void targets_table(const struct testbed_info *in, struct out *o)
{
	struct table t;

	table_init(&t, "targets", NULL);
	table_col(&t, "target", "target", 0, true);
	table_col(&t, "url", "url", 0, true);
	table_col(&t, "http", "http", 0, false);
	table_col(&t, "kind", "runs as", 0, true);
	table_col(&t, "pid", "pid", 0, false);
	table_col(&t, "id", "id", 0, true);
	table_col(&t, "accel", "accel", 0, true);
	table_col(&t, "vhost", "vhost", 0, true);
	table_col(&t, "cpus", "cpus", 0, false);
	table_col(&t, "mem_mib", "MiB", 0, false);
	table_col(&t, "access_log", "access log", 0, true);
	table_col(&t, "cgroup", "cgroup", 0, true);
	table_col_json_only(&t);
	table_col(&t, "cgroup_driver", "cgroup driver", 0, true);
	table_col_json_only(&t);
	table_col(&t, "boot_s", "boot s", 1, false);
	table_col_json_only(&t);
	table_col(&t, "cpu_model", "cpu model", 0, true);
	table_col_json_only(&t);
	table_col(&t, "kernel", "kernel", 0, true);
	table_col_json_only(&t);
	table_col(&t, "kernel_boot", "kernel boot", 0, true);
	table_col_json_only(&t);
	table_col(&t, "console", "console", 0, true);
	table_col_json_only(&t);
	table_col(&t, "note", "note", 0, true);
	table_col_json_only(&t);
	table_col(&t, "disk", "disk", 0, true);
	table_col_json_only(&t);
	vm_row(in, &t);
	container_row(in, &t);
	table_render(&t, o);
	table_free(&t);
	if (o->mode == OUT_TEXT) {
		if (in->accel_note[0])
			fprintf(o->f, "  note: vm: %s\n", in->accel_note);
		if (in->runtime_note[0])
			fprintf(o->f, "  note: container: %s\n", in->runtime_note);
		fprintf(o->f, "  vm console: %s\n", in->serial_log);
	}
}

enum { DV_DEV, DV_KIND, DV_NETNS, DV_NETNS_INO, DV_IFINDEX, DV_SERVES };

static void devices_table(const struct testbed_info *in, struct out *o)
{
	const struct {
		const struct testbed_dev *d;
		const char *kind, *serves;
	} devs[] = { { &in->bridge, "bridge", "both" },
		     { &in->tap, "tap", "vm" },
		     { &in->veth, "veth", "container" },
		     { &in->ctr_dev, "veth-peer", "container" } };
	struct table t;

	table_init(&t, "devices", NULL);
	table_col(&t, "dev", "device", 0, true);
	table_col(&t, "kind", "kind", 0, true);
	table_col(&t, "netns", "netns", 0, true);
	table_col(&t, "netns_ino", "netns inode", 0, false);
	table_col(&t, "ifindex", "ifindex", 0, false);
	table_col(&t, "serves", "serves", 0, true);
	for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
		const struct testbed_dev *d = devs[i].d;
		int r;

		if (!d->name[0])
			continue;
		r = table_row(&t);
		table_str(&t, r, DV_DEV, d->name);
		table_str(&t, r, DV_KIND, devs[i].kind);
		table_str(&t, r, DV_NETNS, d->netns);
		if (d->netns_ino)
			table_u64(&t, r, DV_NETNS_INO, d->netns_ino);
		else
			table_na(&t, r, DV_NETNS_INO, VP_NA_LIT(VP_NA_NO_TARGET, "not created"));
		if (d->ifindex)
			table_u64(&t, r, DV_IFINDEX, (uint64_t)d->ifindex);
		else
			table_na(&t, r, DV_IFINDEX, VP_NA_LIT(VP_NA_NO_TARGET, "not created"));
		table_str(&t, r, DV_SERVES, devs[i].serves);
	}
	table_render(&t, o);
	table_free(&t);
}

static void cgroups_table(const struct testbed_info *in, struct out *o)
{
	enum { CG_DIR };
	struct table t;

	table_init(&t, "container_cgroups", NULL);
	table_col(&t, "dir", "container cgroup dirs", 0, true);
	for (int i = 0; i < in->n_ctr_cgroup_dirs; i++)
		table_str(&t, table_row(&t), CG_DIR, in->ctr_cgroup_dirs[i]);
	table_render(&t, o);
	table_free(&t);
}

/* A blank line between the tables in text (JSON: members of one object). */
static void gap(struct out *o)
{
	if (o->mode == OUT_TEXT)
		fputc('\n', o->f);
}

void report_testbed_status(const struct testbed_info *in, struct out *o)
{
	testbed_table(in, o);
	gap(o);
	targets_table(in, o);
	gap(o);
	devices_table(in, o);
	gap(o);
	cgroups_table(in, o);
}
