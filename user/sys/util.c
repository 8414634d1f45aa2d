// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sys/util.h"

int vp_verbose;

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "virtprof: %s%s\n", prefix, buf);
}

void vp_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void vp_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void vp_debug(const char *fmt, ...)
{
	va_list ap;

	if (!vp_verbose)
		return;
	va_start(ap, fmt);
	vmsg("debug: ", fmt, ap);
	va_end(ap);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t now_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t now_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int parse_duration_ns(const char *s, uint64_t *out)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {
		{ "ns", 1 },  { "us", 1e3 }, { "ms", 1e6 },
		{ "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 },
	};
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			double ns = v * units[i].mult;

			if (ns > 1e18)
				return -ERANGE;
			*out = (uint64_t)llround(ns);
			return 0;
		}
	}
	return -EINVAL;
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_pos_double(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0)
		return -EINVAL;
	*out = v;
	return 0;
}

const char *fmt_duration(uint64_t ns, char *buf, size_t len)
{
	if (ns < 10 * NSEC_PER_USEC)
		snprintf(buf, len, "%.2fus", ns / 1e3);
	else if (ns < NSEC_PER_MSEC)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < NSEC_PER_SEC)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
	return buf;
}

char *read_file(const char *path, size_t *lenp)
{
	size_t cap = 4096, len = 0;
	char *buf, *nb;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	if (!buf)
		goto fail;
	for (;;) {
		if (len + 1 >= cap) {
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb)
				goto fail;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
fail : {
	int e = errno;

	free(buf);
	close(fd);
	errno = e;
	return NULL;
}
}

int open_regular(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int read_u64_file(const char *path, uint64_t *out)
{
	char *buf = read_file(path, NULL), *end;
	int err = 0;

	if (!buf)
		return -errno;
	errno = 0;
	*out = strtoull(buf, &end, 10);
	if (errno || end == buf)
		err = -EINVAL;
	free(buf);
	return err;
}

/*
 * Why the last file operation of this thread failed, in words, when strerror would not say it
 * (a symbolic link not followed, an entry replaced while it was written).
 */
static __thread char file_why[256];
static __thread int file_why_err;

static int file_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int file_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(file_why, sizeof(file_why), fmt, ap);
	va_end(ap);
	file_why_err = err;
	return err;
}

const char *vp_file_error(int err)
{
	return err && err == file_why_err ? file_why : strerror(-err);
}

/* "a/b/c" -> parent "a/b", base "c"; "c" -> ".", "c"; trailing slashes ignored. */
static int split_path(const char *path, char *parent, size_t plen, char *base, size_t blen)
{
	size_t n = strlen(path), b;

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (!n)
		return -ENOENT;
	b = n;
	while (b > 0 && path[b - 1] != '/')
		b--;
	if (n - b >= blen || b >= plen)
		return -ENAMETOOLONG;
	memcpy(base, path + b, n - b);
	base[n - b] = '\0';
	if (!b) {
		snprintf(parent, plen, ".");
	} else {
		size_t p = b;

		while (p > 1 && path[p - 1] == '/')
			p--;
		memcpy(parent, path, p);
		parent[p] = '\0';
	}
	return 0;
}

int vp_dir_open(const char *path)
{
	char parent[4096], base[NAME_MAX + 1];
	struct stat lst, pst;
	int pfd, fd, err;

	file_why_err = 0; /* a reason left from an earlier failure is not this one's */
	err = split_path(path, parent, sizeof(parent), base, sizeof(base));
	if (err)
		return err;
	if (!strcmp(path, "/") || !strcmp(base, ".") || !strcmp(base, "..")) {
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (errno == ELOOP || errno == ENOTDIR) &&
	    !fstatat(pfd, base, &lst, AT_SYMLINK_NOFOLLOW) && S_ISLNK(lst.st_mode) &&
	    !fstat(pfd, &pst)) {
		/*
		 * The kernel's fs.protected_symlinks rule, whatever the sysctl says: a link is
		 * followed when its owner is us or the folder's owner; and never in a folder that
		 * others can write without the sticky bit, where it could be swapped after the check.
		 */
		if (lst.st_uid != geteuid() && lst.st_uid != pst.st_uid)
			err = file_fail(
				-ELOOP,
				"%s is a symbolic link owned by uid %u, not by this user nor "
				"by the folder's owner: not followed (give the folder it "
				"points to)",
				path, (unsigned int)lst.st_uid);
		else if ((pst.st_mode & (S_IWGRP | S_IWOTH)) && !(pst.st_mode & S_ISVTX))
			err = file_fail(-ELOOP,
					"%s is a symbolic link in a folder other users can write: "
					"not followed (give the folder it points to)",
					path);
		else
			fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0 && !err)
		err = -errno;
	close(pfd);
	return err ? err : fd;
}

/* The folder of the file `path` (an fd, or -errno) and the file's name in it. */
static int file_dir_open(const char *path, char *base, size_t blen)
{
	char parent[4096];
	int err = split_path(path, parent, sizeof(parent), base, blen);

	if (err)
		return err;
	if (!strcmp(base, ".") || !strcmp(base, "..") || path[strlen(path) - 1] == '/')
		return -EISDIR;
	return vp_dir_open(parent);
}

int vp_out_check(const char *path, bool dir)
{
	char base[NAME_MAX + 1];
	struct stat st;
	int fd, err;

	fd = dir ? vp_dir_open(path) : file_dir_open(path, base, sizeof(base));
	if (!dir && fd >= 0 && !fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW) &&
	    S_ISDIR(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	if (fd < 0)
		return fd;
	err = faccessat(fd, ".", W_OK, AT_EACCESS) ? -errno : 0;
	close(fd);
	return err;
}

/* An unpredictable name for a temporary file beside `name` (at most NAME_MAX bytes). */
static int tmp_name(char *out, size_t len, const char *name)
{
	uint64_t r;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		return -errno;
	/* "<name>.tmp.<16 hex digits>": the name is cut so the whole fits NAME_MAX */
	snprintf(out, len, ".%.*s.tmp.%016llx", NAME_MAX - 22, name, (unsigned long long)r);
	return 0;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int write_file_atomic_at(int dirfd, const char *name, const char *buf, size_t len)
{
	char tmp[NAME_MAX + 1];
	struct stat st, now;
	size_t off = 0;
	int fd = -1, err = 0;

	file_why_err = 0;
	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	/*
	 * Created, never opened: O_EXCL fails on any entry already there, a planted symbolic link
	 * included, and O_NOFOLLOW says so twice.  A taken name is drawn again.
	 */
	for (int tries = 0; fd < 0 && tries < 64; tries++) {
		err = tmp_name(tmp, sizeof(tmp), name);
		if (err)
			return err;
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return file_fail(-EEXIST, "64 temporary names in a row were taken: not writing");
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		off += n;
	}
	if (!err && (fsync(fd) || fstat(fd, &st)))
		err = -errno;
	/*
	 * In a folder others can write without the sticky bit, the temporary entry could have been
	 * swapped for something else: rename only the file written here, and check the name holds
	 * it afterwards.
	 */
	if (!err && (fstatat(dirfd, tmp, &now, AT_SYMLINK_NOFOLLOW) || !same_file(&st, &now)))
		err = file_fail(-EEXIST, "its temporary file was replaced while it was written: "
					 "another user can write the folder");
	if (!err && renameat(dirfd, tmp, dirfd, name))
		err = -errno;
	if (err) {
		if (!fstatat(dirfd, tmp, &now, AT_SYMLINK_NOFOLLOW) && fd >= 0 && !fstat(fd, &st) &&
		    same_file(&st, &now))
			unlinkat(dirfd, tmp, 0);
		close(fd);
		return err;
	}
	close(fd);
	if (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) || !same_file(&st, &now))
		return file_fail(-EEXIST, "it was replaced right after it was written: another "
					  "user can write the folder");
	fsync(dirfd); /* the rename itself reaches the disk */
	return 0;
}

int write_file_atomic(const char *path, const char *buf, size_t len)
{
	char base[NAME_MAX + 1];
	int dfd = file_dir_open(path, base, sizeof(base)), err;

	if (dfd < 0)
		return dfd;
	err = write_file_atomic_at(dfd, base, buf, len);
	close(dfd);
	return err;
}

struct atomic_file {
	char *path;
	int dirfd; /* -1: path is a whole path */
	char *buf;
	size_t len;
	FILE *f;
};

struct atomic_file *atomic_file_open_at(int dirfd, const char *path)
{
	struct atomic_file *af = calloc(1, sizeof(*af));

	if (!af)
		return NULL;
	af->dirfd = dirfd;
	af->path = strdup(path);
	af->f = open_memstream(&af->buf, &af->len);
	if (!af->path || !af->f) {
		atomic_file_abort(af);
		errno = ENOMEM;
		return NULL;
	}
	return af;
}

struct atomic_file *atomic_file_open(const char *path)
{
	return atomic_file_open_at(-1, path);
}

FILE *atomic_file_stream(struct atomic_file *af)
{
	return af->f;
}

int atomic_file_commit(struct atomic_file *af)
{
	int err;

	if (fflush(af->f)) {
		atomic_file_abort(af);
		return -ENOMEM;
	}
	err = af->dirfd < 0 ? write_file_atomic(af->path, af->buf, af->len) :
			      write_file_atomic_at(af->dirfd, af->path, af->buf, af->len);
	atomic_file_abort(af);
	return err;
}

void atomic_file_abort(struct atomic_file *af)
{
	if (!af)
		return;
	if (af->f)
		fclose(af->f);
	free(af->buf);
	free(af->path);
	free(af);
}

pid_t vp_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

int ncpus_online(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

void *array_reserve(void *arr, int *cap, size_t need, size_t size)
{
	size_t c = *cap ? (size_t)*cap : 32;
	void *p;

	if (need <= (size_t)*cap)
		return arr;
	while (c < need) {
		if (c > INT_MAX / 2)
			return NULL;
		c *= 2;
	}
	if (c > SIZE_MAX / size)
		return NULL;
	p = realloc(arr, c * size);
	if (p)
		*cap = (int)c;
	return p;
}

void *array_grow(void *arr, int *cap, int n, size_t size)
{
	return array_reserve(arr, cap, (size_t)n + 1, size);
}

void *array_find_or_add(void **arr, int *n, int *cap, size_t size, const void *key, size_t klen)
{
	char *a = *arr, *e;

	for (int i = 0; i < *n; i++)
		if (!memcmp(a + (size_t)i * size, key, klen))
			return a + (size_t)i * size;
	e = array_push(arr, n, cap, size);
	if (e)
		memcpy(e, key, klen);
	return e;
}

void *array_push(void **arr, int *n, int *cap, size_t size)
{
	char *a = array_grow(*arr, cap, *n, size), *e;

	if (!a)
		return NULL;
	*arr = a;
	e = a + (size_t)(*n)++ * size;
	memset(e, 0, size);
	return e;
}

/* "0,2-3" -> a CPU set of online CPUs; -EINVAL on anything else (empty, offline, junk). */
int parse_cpu_list(const char *s, cpu_set_t *set)
{
	cpu_set_t online;
	const char *p = s;

	CPU_ZERO(set);
	if (sched_getaffinity(0, sizeof(online), &online))
		CPU_ZERO(&online);
	while (*p) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;

		if (end == p || a >= CPU_SETSIZE)
			return -EINVAL;
		p = end;
		if (*p == '-') {
			b = strtoul(p + 1, &end, 10);
			if (end == p + 1 || b < a || b >= CPU_SETSIZE)
				return -EINVAL;
			p = end;
		}
		for (unsigned long c = a; c <= b; c++) {
			if (CPU_COUNT(&online) && !CPU_ISSET(c, &online))
				return -EINVAL;
			CPU_SET(c, set);
		}
		if (*p == ',')
			p++;
		else if (*p)
			return -EINVAL;
	}
	return CPU_COUNT(set) ? 0 : -EINVAL;
}
