// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper: drive vhost-net with no guest at all.  It is its own "guest": it gives vhost a
 * memory table that maps guest addresses onto its own (guest address == our address), builds a
 * split TX virtqueue in its own memory, and sets tap IFNAME (created here, brought up by the
 * test) as the backend -- the same ioctl sequence as the kernel's tools/virtio/vhost_net_test.c.
 * Then it queues COUNT Ethernet frames and kicks: vhost's worker (a kthread "vhost-<pid>" before
 * 6.4, a user worker thread of this process since) copies them into the tap.  It holds
 * everything until HOLD_MS passed, so the test can look at the worker.
 *
 *   vhost_drv IFNAME COUNT GOFILE HOLD_MS       (exit 77: no /dev/vhost-net)
 *
 * The test runs it under a qemu-system-* name so that virtprof takes it for a VMM.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define QSZ 256
#define FRAME 128

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void die(const char *what)
{
	fprintf(stderr, "vhost_drv: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int main(int argc, char **argv)
{
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r;
	} mem = {};
	struct vhost_vring_state num = { 1, QSZ }, base = { 1, 0 };
	struct vhost_vring_file kick = { 1, -1 }, call = { 1, -1 }, backend = { 1, -1 };
	struct vhost_vring_addr addr = { .index = 1 };
	uint64_t features, one = 1, sent = 0;
	struct ifreq ifr = {};
	long count, hold, t0;
	struct vring vr;
	size_t size;
	uint8_t *buf, *pkt;
	int tap, vh;

	if (argc != 5) {
		fprintf(stderr, "usage: vhost_drv IFNAME COUNT GOFILE HOLD_MS\n");
		return 2;
	}
	count = atol(argv[2]);
	hold = atol(argv[4]);
	vh = open("/dev/vhost-net", O_RDWR);
	if (vh < 0) {
		printf("skip: no /dev/vhost-net (%s)\n", strerror(errno));
		return 77;
	}
	tap = open("/dev/net/tun", O_RDWR);
	if (tap < 0)
		die("open /dev/net/tun");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (ioctl(tap, TUNSETIFF, &ifr))
		die("TUNSETIFF");

	/* the rings and one frame (a virtio-net header then the Ethernet frame), page aligned */
	size = vring_size(QSZ, 4096) + 4096;
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	vring_init(&vr, QSZ, buf, 4096);
	pkt = buf + vring_size(QSZ, 4096);
	memset(pkt, 0, sizeof(struct virtio_net_hdr) + FRAME);
	/* broadcast, local experimental ethertype 0x88b5: nothing answers it */
	memset(pkt + sizeof(struct virtio_net_hdr), 0xff, 6);
	pkt[sizeof(struct virtio_net_hdr) + 6] = 0x02;
	pkt[sizeof(struct virtio_net_hdr) + 12] = 0x88;
	pkt[sizeof(struct virtio_net_hdr) + 13] = 0xb5;

	if (ioctl(vh, VHOST_SET_OWNER))
		die("VHOST_SET_OWNER");
	if (ioctl(vh, VHOST_GET_FEATURES, &features))
		die("VHOST_GET_FEATURES");
	/* legacy virtio-net header, stripped by vhost itself (the tap has no IFF_VNET_HDR) */
	features &= 1ULL << VHOST_NET_F_VIRTIO_NET_HDR;
	if (ioctl(vh, VHOST_SET_FEATURES, &features))
		die("VHOST_SET_FEATURES");
	mem.m.nregions = 1;
	mem.r.guest_phys_addr = (uint64_t)(uintptr_t)buf;
	mem.r.userspace_addr = (uint64_t)(uintptr_t)buf;
	mem.r.memory_size = size;
	if (ioctl(vh, VHOST_SET_MEM_TABLE, &mem))
		die("VHOST_SET_MEM_TABLE");
	kick.fd = eventfd(0, EFD_NONBLOCK);
	call.fd = eventfd(0, EFD_NONBLOCK);
	addr.desc_user_addr = (uint64_t)(uintptr_t)vr.desc;
	addr.avail_user_addr = (uint64_t)(uintptr_t)vr.avail;
	addr.used_user_addr = (uint64_t)(uintptr_t)vr.used;
	backend.fd = tap;
	if (ioctl(vh, VHOST_SET_VRING_NUM, &num) || ioctl(vh, VHOST_SET_VRING_BASE, &base) ||
	    ioctl(vh, VHOST_SET_VRING_ADDR, &addr) || ioctl(vh, VHOST_SET_VRING_KICK, &kick) ||
	    ioctl(vh, VHOST_SET_VRING_CALL, &call) || ioctl(vh, VHOST_NET_SET_BACKEND, &backend))
		die("vring setup");
	for (int i = 0; i < QSZ; i++) {
		vr.desc[i].addr = (uint64_t)(uintptr_t)pkt;
		vr.desc[i].len = sizeof(struct virtio_net_hdr) + FRAME;
		vr.desc[i].flags = 0;
	}
	while (access(argv[3], F_OK))
		sleep_ms(20);
	t0 = now_ms();
	/* keep the ring full: a slot is reused once vhost marked it used */
	while ((long)sent < count) {
		uint16_t used = __atomic_load_n(&vr.used->idx, __ATOMIC_ACQUIRE);
		uint16_t avail = vr.avail->idx;
		int n = 0;

		while ((uint16_t)(avail - used) < QSZ && (long)sent < count) {
			vr.avail->ring[avail % QSZ] = avail % QSZ;
			avail++;
			sent++;
			n++;
		}
		__atomic_store_n(&vr.avail->idx, avail, __ATOMIC_RELEASE);
		if (n && write(kick.fd, &one, sizeof(one)) != sizeof(one))
			die("kick");
		/*
		 * Paced: an unpaced flood kept 6.1's vhost kthread busy enough inside an emulated
		 * host that RCU stalled; a user's guest never pushes frames it has no room for.
		 */
		usleep(n ? 50 : 200);
	}
	while (__atomic_load_n(&vr.used->idx, __ATOMIC_ACQUIRE) != vr.avail->idx)
		usleep(1000);
	/* how long the worker had work: a check that finds no worker time can tell why */
	printf("vhost_drv: %lu frames through vhost to %s in %ld ms\n", (unsigned long)sent,
	       argv[1], now_ms() - t0);
	fflush(stdout);
	sleep_ms(hold);
	return 0;
}
