/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's own block I/O figure for each target, to check virtprof's bytes against: a VM's
 * qemu process /proc/<pid>/io read_bytes / write_bytes (bytes its threads submitted to the block
 * layer, exited threads included), a container's cgroup blkio.throttle.io_service_bytes_recursive
 * and io_serviced_recursive (v1 blkio, where blkio is mounted) or io.stat (v2).  virtprof's
 * figure: the bios the block section gave that target (its blkcg, else its submitting threads).
 */
#ifndef VP_DISK_CHECK_H
#define VP_DISK_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "account/targets.h"
#include "out/na.h"

/* A difference is flagged above this share of the kernel's figure ... */
#define KDISK_FLAG_PCT 1.0
/* ... and above this many bytes: one 4 KiB block either side of a window edge is not a miss. */
#define KDISK_FLOOR_BYTES 65536ULL

/* The kernel's cumulative block I/O of one target at one instant. */
struct kdisk_reading {
	bool ok;
	bool ops_known; /* the source counts operations too (cgroups; /proc/<pid>/io does not) */
	uint64_t rd_bytes, wr_bytes, rd_ops, wr_ops;
	char source[40]; /* "/proc/<pid>/io", "blkio.throttle", "io.stat" */
	struct vp_na na; /* why !ok */
};

/* One target over a window: both figures. */
struct kdisk_delta {
	bool ok; /* both ends read */
	bool ops_known;
	char source[40];
	struct vp_na na;
	uint64_t k_rd_bytes, k_wr_bytes, k_rd_ops, k_wr_ops; /* the kernel's */
	uint64_t rd_bytes, wr_bytes, rd_ops, wr_ops;	     /* virtprof's */
};

/* Read every target's kernel figure now. */
void kdisk_read(const struct targets *ts, struct kdisk_reading *out);
/* The window from a to b with virtprof's figures. */
void kdisk_delta_set(struct kdisk_delta *d, const struct kdisk_reading *a,
		     const struct kdisk_reading *b, uint64_t rd_bytes, uint64_t wr_bytes,
		     uint64_t rd_ops, uint64_t wr_ops);
/* Signed difference (virtprof - kernel) in % of the kernel's figure; 0 when both are 0. */
double kdisk_diff_pct(uint64_t ours, uint64_t kernel);
/* Above both the 1 % and the floor. */
bool kdisk_flagged(uint64_t ours, uint64_t kernel);

/* The load a step put on one target: virtprof's generator's users and the requests answered. */
struct kdisk_load {
	int target; /* index in the targets; -1: none */
	uint64_t users, requests;
};

/* What the check says of one target's window (the report's AGREEMENT). */
enum kdisk_agreement {
	KDISK_AGREE,	 /* within 1 % (or the floor) */
	KDISK_IN_FLIGHT, /* beyond 1 %, but within the requests in flight */
	KDISK_DIFFERS,
};

/* Bytes that may sit on one side of the window's ends only (0: no allowance). */
struct kdisk_inflight {
	uint64_t rd, wr;
};

/*
 * Each direction within 1 % or within its bytes in flight: /proc/<pid>/io and the cgroup
 * counters count a read or write when it is submitted, virtprof's block section when it
 * completes, so a synchronous request in flight at either end of the window is on one side only
 * -- at most one per user, so users x the bytes per request.  A read once came out -1.4 % in
 * the lab (two 64 KiB reads of a two-user step), as writes had before.
 */
enum kdisk_agreement kdisk_agreement_of(const struct kdisk_delta *d,
					const struct kdisk_inflight *f);
/* Target i's allowance: users x its bytes per request when the load was on it, else 0. */
struct kdisk_inflight kdisk_inflight(const struct kdisk_load *load, int i,
				     const struct kdisk_delta *d);
const char *kdisk_agreement_name(enum kdisk_agreement a);

/*
 * Whether a VM's qemu has a disk: a -drive, -blockdev or -hdX on its command line (NUL
 * separated, as /proc/<pid>/cmdline).  A VM without one has no DISK figure: n/a, not 0.
 */
bool kdisk_cmdline_has_disk(const char *args, size_t len);
bool kdisk_vm_has_disk(pid_t pid);
#define KDISK_NO_DISK_NA "the VM has no disk (no -drive, -blockdev or -hdX): DISK does not apply"

/* ---- pure parsers (tests/unit/test_disk_check.c) ---- */
/* /proc/<pid>/io: read_bytes, write_bytes.  0 or -EINVAL. */
int kdisk_parse_proc_io(const char *text, uint64_t *rd, uint64_t *wr);
/* v1 blkio "MAJ:MIN Read N" lines (io_service_bytes or io_serviced), summed over devices. */
int kdisk_parse_blkio(const char *text, uint64_t *rd, uint64_t *wr);
/* v2 io.stat "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ...", summed over devices. */
int kdisk_parse_iostat(const char *text, uint64_t *rd_bytes, uint64_t *wr_bytes, uint64_t *rd_ops,
		       uint64_t *wr_ops);

#endif
