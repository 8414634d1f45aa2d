/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers every module uses: errors with context, clocks, parsing, atomic files. */
#ifndef VP_UTIL_H
#define VP_UTIL_H

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_USEC 1000ULL

/* Exit codes: 0 ok, 1 runtime failure, 2 bad input / missing privilege or feature. */
enum { VP_EXIT_OK = 0, VP_EXIT_FAIL = 1, VP_EXIT_USAGE = 2 };

/*
 * The exit code for a -errno from setting up a command (targets, probes): out of memory and
 * I/O failures are runtime failures, everything else (no such target, no privilege, no BTF) is
 * the user's input or machine.
 */
static inline int vp_exit_code(int err)
{
	if (!err)
		return VP_EXIT_OK;
	return err == -ENOMEM || err == -EIO ? VP_EXIT_FAIL : VP_EXIT_USAGE;
}

extern int vp_verbose;

/* "virtprof: <message>" on stderr; always one line. */
void vp_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vp_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vp_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

uint64_t now_mono_ns(void);
uint64_t now_real_ns(void);

/*
 * Parse a duration with a mandatory unit: ns, us, ms, s, m, h ("1.5s", "250ms").  A bare number is
 * rejected so "--duration 10" cannot silently mean 10 ns or 10 s.  Returns 0 or -EINVAL.
 */
int parse_duration_ns(const char *s, uint64_t *out);
/* Unsigned integer in [min, max], decimal; -EINVAL or -ERANGE. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* "0,2-3" -> a set of online CPUs (the ones this process may use); -EINVAL otherwise. */
int parse_cpu_list(const char *s, cpu_set_t *set);
/* Positive decimal (rate), e.g. "1500" or "12.5"; -EINVAL when <= 0 or malformed. */
int parse_pos_double(const char *s, double *out);
/* Format a duration for humans into buf ("1.23ms", "15s"). */
const char *fmt_duration(uint64_t ns, char *buf, size_t len);

/* Read a whole small file (procfs, sysfs, cgroupfs) into a malloc'd NUL-terminated buffer. */
char *read_file(const char *path, size_t *len);
/*
 * Open a file another user may have put in place (a mapped binary, a debug file it names) for
 * reading: never blocks on a FIFO, refuses anything but a regular file (a device would read
 * forever).  An fd, or -1 with errno set.
 */
int open_regular(const char *path);
/* Read one unsigned number from a file; -errno on failure. */
int read_u64_file(const char *path, uint64_t *out);
/*
 * Output files (docs/security.md).  Every file virtprof writes is created, never opened: a
 * temporary file made exclusively (O_EXCL | O_NOFOLLOW) under an unpredictable name in the
 * target's folder, mode 0644 less the umask, written, fsync'd and renamed over the target, so no
 * planted symbolic link is ever written through and no partial file is ever left.  A target that
 * is itself a link is replaced by the file (rename does not follow it).  -errno on failure;
 * vp_file_error(err) says why in words.
 */
int write_file_atomic(const char *path, const char *buf, size_t len);
/* The same, as `name` (no '/') in the folder dirfd. */
int write_file_atomic_at(int dirfd, const char *name, const char *buf, size_t len);
/*
 * A folder virtprof writes into (the parent of a FILE, a --csv / --folded DIR), as an fd for the
 * *_at functions.  A symbolic link as its last component is followed only when owned by this
 * user or by the folder that holds it, and not in a folder others can write without the sticky
 * bit (the kernel's fs.protected_symlinks rule, applied whatever the sysctl says).
 */
int vp_dir_open(const char *path);
/*
 * Before any probe or packet: can the file `path` (or, with dir, files in the folder `path`) be
 * written?  0 or -errno, the folder opened as vp_dir_open does.
 */
int vp_out_check(const char *path, bool dir);
/* Why a file function failed with err: its own words when it has some, else strerror. */
const char *vp_file_error(int err);

/*
 * A FILE* that collects output in memory, committed atomically with atomic_file_commit() or
 * thrown away with atomic_file_abort().  Used for every --json/--csv output file; the _at
 * variant writes `name` in the folder dirfd (borrowed: it must stay open until the commit).
 */
struct atomic_file;
struct atomic_file *atomic_file_open(const char *path);
struct atomic_file *atomic_file_open_at(int dirfd, const char *name);
FILE *atomic_file_stream(struct atomic_file *af);
int atomic_file_commit(struct atomic_file *af);
void atomic_file_abort(struct atomic_file *af);

/* part as a percentage of whole; NaN (reported "not available") when whole is 0. */
static inline double pct_of(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : NAN;
}

/*
 * Room for element n of a growing array (capacity doubles, from 32): returns the array, moved
 * if it had to grow, or NULL with the old one untouched when memory ran out.
 */
void *array_grow(void *arr, int *cap, int n, size_t size);
/*
 * The same for `need` elements at once (a byte buffer about to take a string): capacity doubles
 * until it holds them; NULL, the old array untouched, when memory ran out or the capacity would
 * pass INT_MAX.
 */
void *array_reserve(void *arr, int *cap, size_t need, size_t size);
/*
 * The element of arr[0..*n) whose first klen bytes equal key, or a new zeroed one with the key
 * copied in (n and the capacity updated); NULL when memory ran out.
 */
void *array_find_or_add(void **arr, int *n, int *cap, size_t size, const void *key, size_t klen);
/*
 * A new zeroed element at the end of arr[0..*n) (n and the capacity updated); NULL when memory
 * ran out, the array untouched.
 */
void *array_push(void **arr, int *n, int *cap, size_t size);

pid_t vp_gettid(void);
int ncpus_online(void);

#endif
