// SPDX-License-Identifier: GPL-2.0
/* /proc and cgroup parsing with awkward inputs: no root needed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sys/cgroup.h"
#include "sys/procfs.h"
#include "sys/util.h"

static void test_stat_plain(void **state)
{
	struct proc_stat st;

	(void)state;
	assert_int_equal(proc_parse_stat("123 (nginx) S 1 123 123 0 -1 4194560 10 0 0 0 "
					 "17 4 0 0 20 0 3 0 100 0 0",
					 &st),
			 0);
	assert_int_equal(st.pid, 123);
	assert_string_equal(st.comm, "nginx");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.utime_ticks, 17);
	assert_int_equal(st.stime_ticks, 4);
	assert_int_equal(st.num_threads, 3);
}

/* comm may hold spaces, parentheses and even a newline; only the LAST ')' ends it */
static void test_stat_awkward_comm(void **state)
{
	struct proc_stat st;

	(void)state;
	assert_int_equal(
		proc_parse_stat("77 (a) b (c)) R 5 0 0 0 -1 0 0 0 0 0 9 8 0 0 20 0 1 0", &st), 0);
	assert_string_equal(st.comm, "a) b (c)");
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.ppid, 5);
	assert_int_equal(st.utime_ticks, 9);
	assert_int_equal(
		proc_parse_stat("78 (CPU 0/TCG) S 1 0 0 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0", &st), 0);
	assert_string_equal(st.comm, "CPU 0/TCG");
	assert_int_equal(
		proc_parse_stat("79 (new\nline) S 2 0 0 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0", &st), 0);
	assert_string_equal(st.comm, "new\nline");
	assert_int_equal(st.stime_ticks, 4);
	assert_int_equal(proc_parse_stat("80 ()) S 2 0 0 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0", &st), 0);
	assert_string_equal(st.comm, ")");
}

static void test_stat_malformed(void **state)
{
	struct proc_stat st;

	(void)state;
	assert_int_not_equal(proc_parse_stat("", &st), 0);
	assert_int_not_equal(proc_parse_stat("12 (x S 1", &st), 0);
	assert_int_not_equal(proc_parse_stat("12 x) S", &st), 0);
	assert_int_not_equal(proc_parse_stat("12 (x) S 1", &st), 0);
}

static void test_cgroup_file_forms(void **state)
{
	char v2[256], v1[256];

	(void)state;
	/* hybrid, docker cgroupfs driver */
	assert_int_equal(proc_parse_cgroup("12:pids:/docker/abc\n"
					   "4:cpu,cpuacct:/docker/abc\n"
					   "1:name=systemd:/docker/abc\n"
					   "0::/docker/abc\n",
					   v2, sizeof(v2), v1, sizeof(v1)),
			 0);
	assert_string_equal(v2, "/docker/abc");
	assert_string_equal(v1, "/docker/abc");
	/* this machine: cpu and cpuacct in separate hierarchies */
	assert_int_equal(proc_parse_cgroup("3:cpuacct:/x\n2:cpu:/docker/def\n0::/docker/def\n", v2,
					   sizeof(v2), v1, sizeof(v1)),
			 0);
	assert_string_equal(v1, "/docker/def");
	/* pure v2 with the systemd driver */
	assert_int_equal(proc_parse_cgroup("0::/system.slice/docker-0123.scope\n", v2, sizeof(v2),
					   v1, sizeof(v1)),
			 0);
	assert_string_equal(v2, "/system.slice/docker-0123.scope");
	assert_string_equal(v1, "");
	/* "cpuset" must not be taken for "cpu" */
	assert_int_equal(proc_parse_cgroup("5:cpuset:/a\n", v2, sizeof(v2), v1, sizeof(v1)), -2);
	assert_string_equal(v1, "");
}

static void test_cgroup_ctrl(void **state)
{
	char p[256];

	(void)state;
	assert_int_equal(
		proc_parse_cgroup_ctrl("9:blkio:/docker/x\n4:cpu:/y\n", "blkio", p, sizeof(p)), 0);
	assert_string_equal(p, "/docker/x");
	assert_int_equal(proc_parse_cgroup_ctrl("3:cpu,cpuacct:/a\n", "cpuacct", p, sizeof(p)), 0);
	assert_string_equal(p, "/a");
	assert_int_not_equal(proc_parse_cgroup_ctrl("3:cpuset:/a\n", "cpu", p, sizeof(p)), 0);
	assert_int_not_equal(proc_parse_cgroup_ctrl("0::/a\n", "blkio", p, sizeof(p)), 0);
}

static void test_container_id_from_path(void **state)
{
	const char *id64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char path[256], id[80];

	(void)state;
	snprintf(path, sizeof(path), "/docker/%s", id64);
	assert_int_equal(cgroup_container_id(path, id, sizeof(id)), 0);
	assert_string_equal(id, id64);
	snprintf(path, sizeof(path), "/system.slice/docker-%s.scope", id64);
	assert_int_equal(cgroup_container_id(path, id, sizeof(id)), 0);
	assert_string_equal(id, id64);
	snprintf(path, sizeof(path), "/machine.slice/libpod-%s.scope/container", id64);
	assert_int_not_equal(cgroup_container_id(path, id, sizeof(id)), 0);
	assert_int_not_equal(cgroup_container_id("/user.slice/session-1.scope", id, sizeof(id)), 0);
}

static void test_mountinfo(void **state)
{
	struct cgroup_mounts m;

	(void)state;
	cgroup_parse_mountinfo(
		"30 25 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
		"31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
		"32 30 0:28 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
		"40 30 0:35 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n",
		&m);
	assert_string_equal(m.v2, "/sys/fs/cgroup/unified");
	assert_string_equal(m.v1_cpu, "/sys/fs/cgroup/cpu");
	assert_int_equal(m.nr_v1, 2);
	assert_string_equal(cgroup_mode(&m), "hybrid");
	cgroup_parse_mountinfo(
		"26 1 0:23 / /sys/fs/cgroup rw shared:4 - cgroup2 cgroup2 rw,nsdelegate\n", &m);
	assert_string_equal(m.v2, "/sys/fs/cgroup");
	assert_string_equal(cgroup_mode(&m), "v2");
	/* optional fields before the separator */
	cgroup_parse_mountinfo(
		"31 30 0:27 / /sys/fs/cgroup/cpu,cpuacct rw shared:9 master:2 - cgroup "
		"cgroup rw,cpu,cpuacct\n",
		&m);
	assert_string_equal(m.v1_cpu, "/sys/fs/cgroup/cpu,cpuacct");
	assert_string_equal(cgroup_mode(&m), "v1");
}

static char *fixture(const char *name)
{
	char path[256], *buf;

	snprintf(path, sizeof(path), "tests/unit/data/cgroup-v1/%s", name);
	buf = read_file(path, NULL);
	assert_non_null(buf);
	return buf;
}

/* This machine's hybrid layout: cpu and cpuacct mounted apart, the task's paths differ. */
static void test_cpuacct_apart(void **state)
{
	char *mi = fixture("mountinfo-apart"), *pc = fixture("proc-cgroup-apart");
	const char *cpu = "/kubepods/burstable/pod8e5d2b1c-3f4a-4b5c-9d6e-7f8091a2b3c4/web";
	struct cgroup_mounts m;
	char dir[512], rel[512];

	(void)state;
	cgroup_parse_mountinfo(mi, &m);
	assert_string_equal(m.v1_cpu, "/sys/fs/cgroup/cpu");
	assert_string_equal(m.v1_cpuacct, "/sys/fs/cgroup/cpuacct");
	assert_string_equal(cgroup_mode(&m), "hybrid");
	assert_int_equal(proc_parse_cgroup_ctrl(pc, "cpu", rel, sizeof(rel)), 0);
	assert_string_equal(rel, cpu);
	assert_int_equal(cgroup_v1_cpuacct_dir(&m, pc, rel, dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/cpuacct/acct/web");
	/* apart and the task's cpuacct path unknown: no guess from its cpu path */
	assert_int_equal(cgroup_v1_cpuacct_dir(&m, NULL, cpu, dir, sizeof(dir)), -ENOENT);
	assert_int_equal(cgroup_v1_cpuacct_dir(&m, "4:cpu:/x\n", cpu, dir, sizeof(dir)), -ENOENT);
	free(mi);
	free(pc);
}

static void test_cpuacct_comounted(void **state)
{
	char *mi = fixture("mountinfo-comounted"), *pc = fixture("proc-cgroup-comounted");
	struct cgroup_mounts m;
	char dir[512], rel[512];

	(void)state;
	cgroup_parse_mountinfo(mi, &m);
	assert_string_equal(m.v1_cpu, "/sys/fs/cgroup/cpu,cpuacct");
	assert_string_equal(m.v1_cpuacct, m.v1_cpu);
	assert_int_equal(proc_parse_cgroup_ctrl(pc, "cpu", rel, sizeof(rel)), 0);
	assert_int_equal(cgroup_v1_cpuacct_dir(&m, pc, rel, dir, sizeof(dir)), 0);
	assert_string_equal(dir,
			    "/sys/fs/cgroup/cpu,cpuacct/docker/0123456789abcdef0123456789abcdef"
			    "0123456789abcdef0123456789abcdef");
	/* co-mounted: the cpu path is the cpuacct path */
	assert_int_equal(cgroup_v1_cpuacct_dir(&m, NULL, "/docker/x", dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/cpu,cpuacct/docker/x");
	/* no cpuacct at all (v2 only) */
	cgroup_parse_mountinfo("26 1 0:23 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", &m);
	assert_int_equal(cgroup_v1_cpuacct_dir(&m, pc, rel, dir, sizeof(dir)), -ENOENT);
	free(mi);
	free(pc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_plain),
		cmocka_unit_test(test_stat_awkward_comm),
		cmocka_unit_test(test_stat_malformed),
		cmocka_unit_test(test_cgroup_file_forms),
		cmocka_unit_test(test_cgroup_ctrl),
		cmocka_unit_test(test_container_id_from_path),
		cmocka_unit_test(test_mountinfo),
		cmocka_unit_test(test_cpuacct_apart),
		cmocka_unit_test(test_cpuacct_comounted),
	};

	return cmocka_run_group_tests_name("procfs", tests, NULL, NULL);
}
