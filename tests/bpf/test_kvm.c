// SPDX-License-Identifier: GPL-2.0
/*
 * Root test of the KVM section: a BIOS-only qemu guest under /dev/kvm (SeaBIOS does port and
 * MMIO I/O, no disk needed).  kvm_pio and kvm_mmio must be charged to that VM's vCPU thread; on
 * this host (nested PVM) kvm_entry/kvm_exit never fire and must be reported as not available
 * with the reason -- and where they do fire, exits must be counted instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>

#include "harness.h"
#include "io/sections.h"
#include "iotest.h"
#include "io/kvm.h"
#include "sys/util.h"

static int id;

static int test_pio_mmio(void)
{
	struct iosec_opts o = { .account_cpu_state_fd = -1, .kvm = true };
	uint64_t pio = 0, mmio = 0, other = 0, exits = 0;
	struct iosec *io = NULL;
	struct kvmexit *k;
	char pidf[64], vcpu[16] = "";
	const char *na;
	pid_t qpid;
	int fd, ret = 1, mark = iot_cleanup_mark();

	if (geteuid() != 0)
		TEST_SKIP("needs root");
	fd = open("/dev/kvm", O_RDWR);
	if (fd < 0)
		TEST_SKIP("/dev/kvm not usable: %s", strerror(errno));
	close(fd);
	if (!iot_have("qemu-system-x86_64"))
		TEST_SKIP("qemu-system-x86_64 not installed");
	if (!ASSERT_OK(iosec_open(&io, &o), "iosec_open"))
		goto cleanup;
	k = iosec_kvm(io);
	if (!k) {
		ret = test_skip("KVM tracepoints not in this kernel");
		goto cleanup;
	}
	if (!ASSERT_TRUE(k->pio && k->mmio, "kvm_pio/kvm_mmio attached") ||
	    !ASSERT_OK(iosec_collect(io), "baseline"))
		goto cleanup;
	snprintf(pidf, sizeof(pidf), "/tmp/vpio-kvm-%d.pid", id);
	iot_on_exit("rm -f %s", pidf);
	iot_on_exit("test -s %s && kill $(cat %s)", pidf, pidf);
	if (!ASSERT_OK(iot_sh("qemu-system-x86_64 -name vpio-kvm,debug-threads=on -accel kvm -m 64 "
			      "-display none -nodefaults -no-reboot -daemonize -pidfile %s",
			      pidf),
		       "qemu start"))
		goto cleanup;
	qpid = (pid_t)iot_sh_u64("cat %s", pidf);
	if (!ASSERT_GT(qpid, 0, "qemu pid"))
		goto cleanup;
	/* SeaBIOS probes devices at once; give it up to 5 s. */
	for (int i = 0; i < 50; i++) {
		iot_sleep_ms(100);
		if (!ASSERT_OK(iosec_collect(io), "collect"))
			goto cleanup;
		for (int j = 0; j < k->n; j++) {
			const struct kvm_row *r = &k->rows[j];
			uint64_t n = r->delta.pio[0] + r->delta.pio[1] + r->delta.mmio[0] +
				     r->delta.mmio[1] + r->delta.mmio[2];

			if (r->key.tgid != (uint32_t)qpid)
				continue; /* another VM on this host (a parallel test) */
			/* Charged to the vCPU thread, never to qemu's main thread. */
			if (r->key.tid == (uint32_t)qpid)
				other += n;
			else
				snprintf(vcpu, sizeof(vcpu), "%s", r->total.comm);
			pio += r->delta.pio[0] + r->delta.pio[1];
			mmio += r->delta.mmio[0] + r->delta.mmio[1] + r->delta.mmio[2];
			exits += r->delta.exits;
		}
		if (pio > 100 && mmio > 0 && i >= 10)
			break;
	}
	na = kvmexit_exit_na(k);
	printf("  qemu %d vCPU '%s': pio %llu mmio %llu exits %llu, elsewhere %llu; exits: %s\n",
	       (int)qpid, vcpu, (unsigned long long)pio, (unsigned long long)mmio,
	       (unsigned long long)exits, (unsigned long long)other, na ? na : "available");
	if (!ASSERT_GT(pio, 0, "pio seen") || !ASSERT_GT(mmio, 0, "mmio seen") ||
	    !ASSERT_TRUE(!strncmp(vcpu, "CPU ", 4), "charged to the vCPU thread ('%s')", vcpu) ||
	    !ASSERT_EQ(other, 0, "nothing charged to qemu's non-vCPU threads") ||
	    /* Either exits fire and are counted, or they are reported as not available. */
	    !ASSERT_TRUE(exits > 0 || (na && strstr(na, "never fired")),
			 "kvm_exit counted or not available with the reason"))
		goto cleanup;
	ret = 0;
cleanup:
	iosec_destroy(io);
	iot_cleanup_to(mark);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct test_case tc[] = {
		{ "kvm_pio_mmio", test_pio_mmio },
	};

	iot_init();
	id = getpid() % 100000;
	return run_tests(tc, ARRAY_SIZE(tc), argc, argv);
}
