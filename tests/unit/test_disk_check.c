// SPDX-License-Identifier: GPL-2.0
/*
 * The disk cross-check (account/disk_check.c): the kernel's counters read back from their text
 * (/proc/<pid>/io, v1 blkio, v2 io.stat), a VM's disk from its command line, the window's
 * figures and the 1 % / 64 KiB flag.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "account/disk_check.h"

static void test_proc_io(void **state)
{
	const char *io = "rchar: 100\nwchar: 200\nsyscr: 3\nsyscw: 4\nread_bytes: 1310720\n"
			 "write_bytes: 4096\ncancelled_write_bytes: 0\n";
	uint64_t rd, wr;

	(void)state;
	assert_int_equal(kdisk_parse_proc_io(io, &rd, &wr), 0);
	assert_int_equal(rd, 1310720);
	assert_int_equal(wr, 4096);
	assert_int_not_equal(kdisk_parse_proc_io("rchar: 1\n", &rd, &wr), 0);
	assert_int_not_equal(kdisk_parse_proc_io(NULL, &rd, &wr), 0);
}

static void test_blkio(void **state)
{
	/* two devices; Discard, Sync and Total are not data read or written */
	const char *b = "254:0 Read 4096\n254:0 Write 323584\n254:0 Sync 520192\n254:0 Async 0\n"
			"254:0 Discard 196608\n254:0 Total 520192\n7:3 Read 8192\n7:3 Write 0\n"
			"7:3 Total 8192\nTotal 528384\n";
	uint64_t rd, wr;

	(void)state;
	assert_int_equal(kdisk_parse_blkio(b, &rd, &wr), 0);
	assert_int_equal(rd, 4096 + 8192);
	assert_int_equal(wr, 323584);
	/* a cgroup that did nothing yet: "Total 0" only */
	assert_int_equal(kdisk_parse_blkio("Total 0\n", &rd, &wr), 0);
	assert_int_equal(rd + wr, 0);
	assert_int_not_equal(kdisk_parse_blkio("", &rd, &wr), 0);
}

static void test_iostat(void **state)
{
	const char *s = "254:0 rbytes=1310720 wbytes=40960 rios=20 wios=10 dbytes=0 dios=0\n"
			"7:3 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n";
	uint64_t rb, wb, ro, wo;

	(void)state;
	assert_int_equal(kdisk_parse_iostat(s, &rb, &wb, &ro, &wo), 0);
	assert_int_equal(rb, 1310720 + 4096);
	assert_int_equal(wb, 40960);
	assert_int_equal(ro, 21);
	assert_int_equal(wo, 10);
	assert_int_equal(kdisk_parse_iostat("", &rb, &wb, &ro, &wo), 0);
	assert_int_equal(rb + wb + ro + wo, 0);
}

static void test_vm_disk_from_cmdline(void **state)
{
	static const char with[] = "qemu-system-x86_64\0-name\0vm\0-drive\0file=a.img,if=none\0";
	static const char blockdev[] = "qemu\0--blockdev\0{\"driver\":\"file\"}\0";
	static const char without[] = "qemu-system-x86_64\0-name\0drive-less\0-kernel\0vmlinux\0";

	(void)state;
	assert_true(kdisk_cmdline_has_disk(with, sizeof(with)));
	assert_true(kdisk_cmdline_has_disk(blockdev, sizeof(blockdev)));
	assert_false(kdisk_cmdline_has_disk(without, sizeof(without)));
	assert_false(kdisk_cmdline_has_disk("", 0));
}

static void test_window_and_flag(void **state)
{
	struct kdisk_reading a = { .ok = true, .rd_bytes = 1000, .wr_bytes = 0 };
	struct kdisk_reading b = { .ok = true, .rd_bytes = 1001000, .wr_bytes = 0 };
	struct kdisk_reading bad = { .ok = false, .na = { VP_NA_NO_TARGET, "gone" } };
	struct kdisk_delta d;

	(void)state;
	strcpy(a.source, "/proc/<pid>/io");
	strcpy(b.source, "/proc/<pid>/io");
	kdisk_delta_set(&d, &a, &b, 1005000, 0, 10, 0);
	assert_true(d.ok);
	assert_int_equal(d.k_rd_bytes, 1000000);
	assert_false(kdisk_flagged(d.rd_bytes, d.k_rd_bytes)); /* 0.5 % */
	assert_true(kdisk_flagged(10200000, 10000000));	       /* 2 %, above 64 KiB */
	assert_false(kdisk_flagged(40960, 0));		       /* below the floor */
	kdisk_delta_set(&d, &a, &bad, 1, 0, 0, 0);
	assert_false(d.ok);
	assert_string_equal(d.na.detail, "gone");
	assert_int_equal(d.na.code, VP_NA_NO_TARGET);
	/* v1 blkio silent while virtprof saw bytes: not a figure (no throttle rule on the disk) */
	strcpy(a.source, "blkio.throttle");
	strcpy(b.source, "blkio.throttle");
	b.rd_bytes = a.rd_bytes;
	kdisk_delta_set(&d, &a, &b, 65536, 0, 1, 0);
	assert_false(d.ok);
	assert_non_null(strstr(d.na.detail, "throttle rule"));
}

/*
 * Requests in flight at the window's ends: a direction beyond 1 % is "in flight" within users x
 * the target's bytes per request in that direction, on the step's target only.
 */
static void test_in_flight(void **state)
{
	/* 3 users, 100 requests of 400 KB written: 1.2 MB may be on one side only */
	struct kdisk_load load = { .target = 1, .users = 3, .requests = 100 };
	struct kdisk_delta d = { .ok = true, .wr_bytes = 40000000, .k_wr_bytes = 40800000 };
	struct kdisk_inflight f = kdisk_inflight(&load, 1, &d), none = { 0, 0 };

	(void)state;
	assert_int_equal(f.wr, 1200000);
	assert_int_equal(f.rd, 0);
	assert_int_equal(kdisk_inflight(&load, 0, &d).wr, 0); /* not the loaded target */
	assert_int_equal(kdisk_inflight(NULL, 1, &d).wr, 0);
	load.requests = 0;
	assert_int_equal(kdisk_inflight(&load, 1, &d).wr, 0); /* no request answered */
	/* 2 % on the kernel's side, 800 KB: in flight with the allowance, DIFFERS without */
	assert_int_equal(kdisk_agreement_of(&d, &f), KDISK_IN_FLIGHT);
	assert_int_equal(kdisk_agreement_of(&d, &none), KDISK_DIFFERS);
	assert_int_equal(kdisk_agreement_of(&d, &(struct kdisk_inflight){ 0, 799999 }),
			 KDISK_DIFFERS);
	assert_string_equal(kdisk_agreement_name(KDISK_IN_FLIGHT), "in flight");
	/* the other side (a write issued here, submitted before the window there) too */
	d.k_wr_bytes = 39200000;
	assert_int_equal(kdisk_agreement_of(&d, &f), KDISK_IN_FLIGHT);
	/* within 1 %: agreement, allowance or not */
	d.k_wr_bytes = 40100000;
	assert_int_equal(kdisk_agreement_of(&d, &none), KDISK_AGREE);
	assert_string_equal(kdisk_agreement_name(KDISK_AGREE), "within 1%");

	/* reads (lab, 6.12): two 64 KiB direct reads of a two-user step, -1.43 % */
	load = (struct kdisk_load){ .target = 0, .users = 2, .requests = 138 };
	d = (struct kdisk_delta){ .ok = true, .rd_bytes = 9043968, .k_rd_bytes = 9175040 };
	f = kdisk_inflight(&load, 0, &d);
	assert_int_equal(f.rd, 2 * (9043968 / 138));
	assert_int_equal(kdisk_agreement_of(&d, &f), KDISK_IN_FLIGHT);
	assert_int_equal(kdisk_agreement_of(&d, &none), KDISK_DIFFERS);
	/* a read allowance does not cover writes beyond theirs */
	d.wr_bytes = 10000000;
	d.k_wr_bytes = 10200000;
	assert_int_equal(kdisk_agreement_of(&d, &(struct kdisk_inflight){ UINT64_MAX, 0 }),
			 KDISK_DIFFERS);
	assert_string_equal(kdisk_agreement_name(KDISK_DIFFERS), "DIFFERS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_io),		cmocka_unit_test(test_blkio),
		cmocka_unit_test(test_iostat),		cmocka_unit_test(test_vm_disk_from_cmdline),
		cmocka_unit_test(test_window_and_flag), cmocka_unit_test(test_in_flight),
	};

	return cmocka_run_group_tests_name("disk_check", tests, NULL, NULL);
}
