// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper: create (or attach to) tap IFNAME, wait until GOFILE exists (the test brings the
 * link up meanwhile), write COUNT Ethernet frames of SIZE bytes to it -- the qemu-without-vhost
 * path, tun_chr_write_iter -- then hold the fd until HOLD_MS passed.  Frames are broadcast with
 * the local experimental ethertype 0x88b5, so nothing in the namespace answers them.
 *
 *   net_tapwrite IFNAME COUNT SIZE GOFILE HOLD_MS
 */
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	unsigned char frame[9000];
	struct ifreq ifr = {};
	long count, size, hold;
	int fd;

	if (argc != 6) {
		fprintf(stderr, "usage: %s IFNAME COUNT SIZE GOFILE HOLD_MS\n", argv[0]);
		return 2;
	}
	count = atol(argv[2]);
	size = atol(argv[3]);
	hold = atol(argv[5]);
	if (count < 0 || size < 60 || size > (long)sizeof(frame) || hold < 0) {
		fprintf(stderr, "net_tapwrite: bad COUNT/SIZE/HOLD_MS\n");
		return 2;
	}
	fd = open("/dev/net/tun", O_RDWR);
	if (fd < 0) {
		perror("open /dev/net/tun");
		return 1;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", argv[1]);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		perror("TUNSETIFF");
		return 1;
	}
	/*
	 * The test sets the tap up, takes a baseline and then writes GOFILE: seconds of forks in a
	 * starved kernel lab, where a 10 s wait once expired first and took the tap with it.
	 */
	for (int i = 0; i < 2400 && access(argv[4], F_OK) != 0; i++)
		sleep_ms(50);
	if (access(argv[4], F_OK) != 0) {
		fprintf(stderr, "net_tapwrite: %s never appeared\n", argv[4]);
		return 1;
	}
	memset(frame, 0, sizeof(frame));
	memset(frame, 0xff, 6);				  /* broadcast */
	memcpy(frame + 6, "\x02\x00\x5e\x10\x20\x30", 6); /* local unicast source */
	frame[12] = 0x88, frame[13] = 0xb5;		  /* local experimental */
	for (long i = 0; i < count; i++) {
		if (write(fd, frame, size) != size) {
			perror("write tap");
			return 1;
		}
	}
	printf("wrote %ld\n", count);
	fflush(stdout);
	sleep_ms(hold);
	close(fd);
	return 0;
}
