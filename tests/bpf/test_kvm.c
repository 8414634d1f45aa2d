// SPDX-License-Identifier: GPL-2.0
/*
 * Root test of the KVM section: a BIOS-only qemu guest under /dev/kvm (SeaBIOS does port and
 * MMIO I/O, no disk needed).  kvm_pio and kvm_mmio must be charged to that VM's vCPU thread; on
 * this host (nested PVM) kvm_entry/kvm_exit never fire and must be reported as not available
 * with the reason -- and where they do fire, exits must be counted instead.
 *
 * And the exit profile's tagging: the stack sampler, sharing the KVM section's kvm_pending, tags
 * the samples of a thread whose slot holds an exit, and only those; a sampler opened without it
 * never reads the map.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>

#include "harness.h"
#include "io/iosec.h"
#include "iotest.h"
#include "io/kvmexit.h"
#include "probe/account.h"
#include "stack/sampler.h"
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
	na = vp_na_text(&k->exit_na);
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

struct spinner {
	volatile bool stop;
	volatile uint32_t tid;
	pthread_t th;
};

static void *spin(void *arg)
{
	struct spinner *sp = arg;

	sp->tid = (uint32_t)syscall(SYS_gettid);
	while (!sp->stop)
		;
	return NULL;
}

/* Samples of tid in a drained batch: all, and those tagged with the exit (reason, isa, rip). */
static void count_rows(const struct stack_batch *b, uint32_t tid, uint64_t *all, uint64_t *tagged,
		       uint64_t *wrong)
{
	for (int i = 0; i < b->n; i++) {
		const struct stack_row *r = &b->rows[i];

		if (r->tid != tid)
			continue;
		*all += r->count;
		if (r->in_exit && r->exit_reason == 30 && r->exit_isa == 1 &&
		    r->exit_rip == 0xffffffff81000010ULL)
			*tagged += r->count;
		else if (r->in_exit)
			*wrong += r->count;
	}
}

/*
 * Two spinning threads, 1 s each pass, 499 Hz: the one whose kvm_pending slot holds an exit (the test
 * writes the slot, as kvm_exit would: this host runs no KVM guest) has every sample tagged with
 * it; the other none.  Then a sampler opened without the map (no KVM): nothing tagged.
 */
static int test_exit_tagging(void)
{
	struct iosec_opts o = { .account_cpu_state_fd = -1, .kvm = true };
	struct account_probe probes = { 0 };
	struct spinner in = { 0 }, out = { 0 };
	struct stack_sampler *ss = NULL;
	struct stack_batch b = { 0 };
	struct iosec *io = NULL;
	struct vp_kvm_pending p = { .ts = 1, .reason = 30, .isa = 1, .rip = 0xffffffff81000010ULL };
	uint64_t all = 0, tagged = 0, wrong = 0, oall = 0, otagged = 0, owrong = 0;
	bool opened = false, threads = false;
	struct vp_na why = {};
	int ret = 1, kfd = -1, err;

	if (geteuid() != 0)
		TEST_SKIP("needs root");
	if (account_probe_open(&probes, 0, false))
		TEST_SKIP("accounting probes do not load");
	opened = true;
	if (!ASSERT_OK(iosec_open(&io, &o), "iosec_open"))
		goto cleanup;
	kfd = kvmexit_pending_fd(iosec_kvm(io));
	if (kfd < 0) {
		ret = test_skip("kvm_exit/kvm_entry not attached here: nothing to share");
		goto cleanup;
	}
	if (!ASSERT_OK(pthread_create(&in.th, NULL, spin, &in), "thread") ||
	    !ASSERT_OK(pthread_create(&out.th, NULL, spin, &out), "thread"))
		goto cleanup;
	threads = true;
	while (!in.tid || !out.tid)
		iot_sleep_ms(1);
	if (!ASSERT_OK(bpf_map_update_elem(kfd, (const void *)&in.tid, &p, BPF_ANY),
		       "kvm_pending slot"))
		goto cleanup;
	for (int pass = 0; pass < 2; pass++) {
		err = stack_sampler_open(&ss, account_probe_cpu_state_fd(&probes), pass ? -1 : kfd,
					 499, &why);
		if (!ASSERT_OK(err, "stack_sampler_open: %s", why.detail))
			goto cleanup;
		if (!ASSERT_OK(stack_sampler_drain(ss, &b), "drain (start)"))
			goto cleanup;
		stack_batch_free(&b);
		iot_sleep_ms(1000);
		if (!ASSERT_OK(stack_sampler_drain(ss, &b), "drain"))
			goto cleanup;
		if (pass) {
			count_rows(&b, in.tid, &oall, &otagged, &owrong);
		} else {
			count_rows(&b, in.tid, &all, &tagged, &wrong);
			count_rows(&b, out.tid, &oall, &otagged, &owrong);
		}
		stack_batch_free(&b);
		stack_sampler_close(ss);
		ss = NULL;
		if (!pass) {
			fprintf(stderr,
				"  in an exit: %llu of %llu samples tagged; the other thread: "
				"%llu of %llu\n",
				(unsigned long long)tagged, (unsigned long long)all,
				(unsigned long long)otagged + owrong, (unsigned long long)oall);
			if (!ASSERT_GE(all, 10, "samples of the thread in an exit") ||
			    !ASSERT_EQ(tagged, all, "each one tagged with the exit") ||
			    !ASSERT_EQ(wrong, 0, "tagged with another exit") ||
			    !ASSERT_GE(oall, 10, "samples of the other thread") ||
			    !ASSERT_EQ(otagged + owrong, 0, "the other thread tagged"))
				goto cleanup;
			oall = otagged = owrong = 0;
		}
	}
	fprintf(stderr, "  without the map: %llu samples of the thread, %llu tagged\n",
		(unsigned long long)oall, (unsigned long long)(otagged + owrong));
	if (!ASSERT_GE(oall, 10, "samples without the map") ||
	    !ASSERT_EQ(otagged + owrong, 0, "tagged without the map"))
		goto cleanup;
	ret = 0;
cleanup:
	if (kfd >= 0 && in.tid)
		bpf_map_delete_elem(kfd, (const void *)&in.tid);
	stack_batch_free(&b);
	stack_sampler_close(ss);
	if (threads) {
		in.stop = out.stop = true;
		pthread_join(in.th, NULL);
		pthread_join(out.th, NULL);
	}
	iosec_destroy(io);
	if (opened)
		account_probe_close(&probes);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct test_case tc[] = {
		{ "kvm_pio_mmio", test_pio_mmio },
		{ "kvm_exit_tagging", test_exit_tagging },
	};

	iot_init();
	id = getpid() % 100000;
	return run_tests(tc, ARRAY_SIZE(tc), argc, argv);
}
