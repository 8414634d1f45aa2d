// SPDX-License-Identifier: GPL-2.0
/* The testbed's option validation and its parsing of the script's state; no root, no script. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "testbed/testbed.h"

static const char *state_up =
	"present=1\n"
	"name=virtprof-tb\nphase=starting\nruntime=docker\n"
	"netns=virtprof-tb\nnetns_ino=4026532177\n"
	"bridge=vptb-br0\nbridge_ifindex=2\ntap=vptb-tap0\ntap_ifindex=3\n"
	"veth=vptb-veth0\nctr_dev=eth0\nsubnet=10.213.0.0/24\n"
	"vm_url=http://10.213.0.2/\nctr_url=http://10.213.0.3/\nvm_name=virtprof-vm\n"
	"vcpus=1\nmem_mib=512\nctr_id=abc123\nctr_pid=77\ncgroup_driver=cgroupfs\n"
	"ctr_netns_ino=4026532252\nctr_ifindex=4\nveth_ifindex=4\n"
	"ctr_cgroup=/docker/abc123\n"
	"ctr_cgroup_dirs=/sys/fs/cgroup/cpu/docker/abc123:/sys/fs/cgroup/unified/docker/abc123\n"
	"accel=tcg\naccel_note=a KVM guest did not reach init within 6.0s\nvhost=off\n"
	"qemu_pid=1617\nvm_boot_s=6.7\nphase=up\n"
	"qemu_alive=1\nnetns_alive=1\nctr_alive=1\nvm_http=200\nctr_http=200\n";

static void parse_full_state(void **state)
{
	struct testbed_info in;

	(void)state;
	testbed_parse_state(state_up, &in);
	assert_true(in.present);
	assert_true(in.up);
	assert_string_equal(in.netns, "virtprof-tb");
	assert_int_equal(in.netns_ino, 4026532177ULL);
	assert_string_equal(in.vm_url, "http://10.213.0.2/");
	assert_string_equal(in.ctr_url, "http://10.213.0.3/");
	assert_int_equal(in.qemu_pid, 1617);
	assert_string_equal(in.accel, "tcg");
	assert_string_equal(in.vhost, "off");
	assert_string_equal(in.runtime, "docker");
	assert_string_equal(in.ctr_id, "abc123");
	assert_string_equal(in.ctr_cgroup, "/docker/abc123");
	assert_int_equal(in.n_ctr_cgroup_dirs, 2);
	assert_string_equal(in.ctr_cgroup_dirs[1], "/sys/fs/cgroup/unified/docker/abc123");
	assert_string_equal(in.tap.name, "vptb-tap0");
	assert_string_equal(in.tap.netns, "virtprof-tb");
	assert_int_equal(in.tap.ifindex, 3);
	assert_int_equal(in.ctr_dev.netns_ino, 4026532252ULL);
	assert_string_equal(in.ctr_dev.netns, "container");
	assert_true(in.vm_boot_s > 6.6 && in.vm_boot_s < 6.8);
}

/* A crash: the state says up, but qemu is gone. */
static void parse_degraded(void **state)
{
	char buf[4096];
	struct testbed_info in;

	(void)state;
	snprintf(buf, sizeof(buf), "%sqemu_alive=0\nvm_http=000\n", state_up);
	testbed_parse_state(buf, &in);
	assert_true(in.present);
	assert_false(in.up);
	assert_int_equal(in.qemu_pid, 0);
	assert_int_equal(in.vm_http, 0);
}

static void parse_absent(void **state)
{
	struct testbed_info in;

	(void)state;
	testbed_parse_state("present=0\n", &in);
	assert_false(in.present);
	assert_false(in.up);
	testbed_parse_state("", &in);
	assert_false(in.present);
	testbed_parse_state("garbage without equals\n=\n", &in);
	assert_false(in.present);
}

static void names(void **state)
{
	(void)state;
	assert_true(testbed_name_ok("virtprof-tb"));
	assert_true(testbed_name_ok("a.b_c-1"));
	assert_false(testbed_name_ok(""));
	assert_false(testbed_name_ok(NULL));
	assert_false(testbed_name_ok("a/b"));
	assert_false(testbed_name_ok("-x"));
	assert_false(testbed_name_ok("name with space"));
	assert_false(testbed_name_ok("abcdefghijklmnopqrstuvwxyz0123456789"));
}

static void subnets(void **state)
{
	char p[16];

	(void)state;
	assert_int_equal(testbed_parse_subnet("10.213.0.0/24", p, sizeof(p)), 0);
	assert_string_equal(p, "10.213.0");
	assert_int_equal(testbed_parse_subnet("192.168.77.0/24", p, sizeof(p)), 0);
	assert_string_equal(p, "192.168.77");
	assert_int_not_equal(testbed_parse_subnet("10.213.0.1/24", p, sizeof(p)), 0);
	assert_int_not_equal(testbed_parse_subnet("10.213.0.0/16", p, sizeof(p)), 0);
	assert_int_not_equal(testbed_parse_subnet("127.0.0.0/24", p, sizeof(p)), 0);
	assert_int_not_equal(testbed_parse_subnet("10.300.0.0/24", p, sizeof(p)), 0);
	assert_int_not_equal(testbed_parse_subnet("10.213.0.0/24x", p, sizeof(p)), 0);
	assert_int_not_equal(testbed_parse_subnet("nonsense", p, sizeof(p)), 0);
}

/* Bad options are refused before any side effect (no script runs). */
static void up_rejects_bad_opts(void **state)
{
	struct testbed_opts o = { .name = "bad/name" };

	(void)state;
	assert_int_equal(testbed_up(&o, NULL), -22);
	o.name = NULL;
	o.subnet = "10.0.0.0/8";
	assert_int_equal(testbed_up(&o, NULL), -22);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_full_state), cmocka_unit_test(parse_degraded),
		cmocka_unit_test(parse_absent),	    cmocka_unit_test(names),
		cmocka_unit_test(subnets),	    cmocka_unit_test(up_rejects_bad_opts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
