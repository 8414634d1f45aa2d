// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
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

int write_file_atomic(const char *path, const char *buf, size_t len)
{
	char tmp[4096];
	size_t off = 0;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
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
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

struct atomic_file {
	char *path;
	char *buf;
	size_t len;
	FILE *f;
};

struct atomic_file *atomic_file_open(const char *path)
{
	struct atomic_file *af = calloc(1, sizeof(*af));

	if (!af)
		return NULL;
	af->path = strdup(path);
	af->f = open_memstream(&af->buf, &af->len);
	if (!af->path || !af->f) {
		atomic_file_abort(af);
		errno = ENOMEM;
		return NULL;
	}
	return af;
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
	err = write_file_atomic(af->path, af->buf, af->len);
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

void *array_grow(void *arr, int *cap, int n, size_t size)
{
	void *p;
	int c;

	if (n < *cap)
		return arr;
	c = *cap ? *cap * 2 : 32;
	p = realloc(arr, (size_t)c * size);
	if (p)
		*cap = c;
	return p;
}

void *array_find_or_add(void **arr, int *n, int *cap, size_t size, const void *key, size_t klen)
{
	char *a = *arr, *e;

	for (int i = 0; i < *n; i++)
		if (!memcmp(a + (size_t)i * size, key, klen))
			return a + (size_t)i * size;
	a = array_grow(a, cap, *n, size);
	if (!a)
		return NULL;
	*arr = a;
	e = a + (size_t)(*n)++ * size;
	memset(e, 0, size);
	memcpy(e, key, klen);
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
