// SPDX-License-Identifier: GPL-2.0
/* qemu's vCPU thread ids over QMP (qmp.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "account/qmp.h"
#include "sys/procfs.h"
#include "sys/util.h"

/* "unix:PATH,server=on,wait=off" -> PATH */
static int unix_path(const char *v, char *path, size_t plen)
{
	size_t n;

	if (strncmp(v, "unix:", 5))
		return -ENOENT;
	v += 5;
	n = strcspn(v, ",");
	if (!n || n >= plen)
		return -ENOENT;
	memcpy(path, v, n);
	path[n] = '\0';
	return 0;
}

/* the value of "key=" in a comma-separated option list */
static int opt_value(const char *opts, const char *key, char *out, size_t olen)
{
	size_t kl = strlen(key);

	for (const char *p = opts; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			size_t n = strcspn(p + kl + 1, ",");

			if (!n || n >= olen)
				return -ENOENT;
			memcpy(out, p + kl + 1, n);
			out[n] = '\0';
			return 0;
		}
	}
	return -ENOENT;
}

int qmp_socket_path(const char *cmdline, size_t len, char *path, size_t plen)
{
	const char *argv[256], *end = cmdline + len;
	char mon_id[64] = "", id[64], mode[32];
	int argc = 0;

	for (const char *p = cmdline; cmdline && p < end && argc < 256; p += strlen(p) + 1)
		argv[argc++] = p;
	for (int i = 0; i + 1 < argc; i++) {
		const char *a = argv[i][0] == '-' && argv[i][1] == '-' ? argv[i] + 1 : argv[i];

		if ((!strcmp(a, "-qmp") || !strcmp(a, "-qmp-pretty")) &&
		    !unix_path(argv[i + 1], path, plen))
			return 0;
		if (!strcmp(a, "-mon") && !opt_value(argv[i + 1], "chardev", id, sizeof(id)) &&
		    (opt_value(argv[i + 1], "mode", mode, sizeof(mode)) ||
		     !strcmp(mode, "control")))
			snprintf(mon_id, sizeof(mon_id), "%s", id);
	}
	if (!mon_id[0])
		return -ENOENT;
	for (int i = 0; i + 1 < argc; i++) {
		const char *a = argv[i][0] == '-' && argv[i][1] == '-' ? argv[i] + 1 : argv[i];

		if (strcmp(a, "-chardev") || strncmp(argv[i + 1], "socket,", 7))
			continue;
		if (!opt_value(argv[i + 1], "id", id, sizeof(id)) && !strcmp(id, mon_id) &&
		    !opt_value(argv[i + 1], "path", path, plen))
			return 0;
	}
	return -ENOENT;
}

int qmp_parse_thread_ids(const char *reply, pid_t *tids, int max)
{
	int n = 0;

	for (const char *p = reply; (p = strstr(p, "\"thread-id\"")) && n < max;) {
		p += 11;
		p += strspn(p, " \t:");
		if (*p >= '0' && *p <= '9') {
			long v = strtol(p, NULL, 10);

			if (v > 0 && v < (1L << 30)) /* a tid, not whatever number the peer sent */
				tids[n++] = (pid_t)v;
		}
	}
	return n;
}

/* Read one JSON line (QMP sends one object per line) into buf, within the deadline. */
static int read_line(int fd, char *buf, size_t len, uint64_t deadline)
{
	size_t used = 0;

	while (used + 1 < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = now_mono_ns();
		ssize_t r;

		if (now >= deadline ||
		    poll(&pfd, 1, (int)((deadline - now) / NSEC_PER_MSEC) + 1) <= 0)
			return -ETIMEDOUT;
		r = read(fd, buf + used, len - 1 - used);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			return r ? -errno : -ECONNRESET;
		used += r;
		buf[used] = '\0';
		if (strchr(buf, '\n'))
			return 0;
	}
	return -E2BIG;
}

/* Send a command and read until its "return" (skipping asynchronous events). */
static int command(int fd, const char *cmd, char *buf, size_t len, uint64_t deadline)
{
	/* non-blocking: a peer that never reads cannot stall us either */
	if (send(fd, cmd, strlen(cmd), MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)strlen(cmd))
		return errno ? -errno : -EIO;
	for (int i = 0; i < 16; i++) {
		int err = read_line(fd, buf, len, deadline);

		if (err)
			return err;
		if (strstr(buf, "\"return\""))
			return 0;
		if (strstr(buf, "\"error\""))
			return -EPROTO;
	}
	return -EPROTO;
}

/* The effective uid of a process, from /proc/PID/status; -errno. */
static int proc_euid(pid_t pid, uid_t *uid)
{
	char path[64], *s, *l;
	unsigned int r, e;
	int err = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	s = read_file(path, NULL);
	if (!s)
		return -errno;
	l = strstr(s, "\nUid:");
	if (l && sscanf(l + 5, "%u %u", &r, &e) == 2) {
		*uid = e;
		err = 0;
	}
	free(s);
	return err;
}

/*
 * The socket must be served by the qemu that named it, or by a process of that qemu's user:
 * another user's command line can name any socket (docker's, another VM's monitor), and root
 * must not talk to it on that user's word.  Checked before a byte is sent.
 */
static int peer_is_qemus(int fd, pid_t qemu, const char *path, char *why, size_t wlen)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);
	uid_t quid = (uid_t)-1;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l))
		return -errno;
	if (cr.pid == qemu || (!proc_euid(qemu, &quid) && cr.uid == quid))
		return 0;
	snprintf(why, wlen,
		 "QMP socket %s: served by pid %d (uid %u), not by this qemu nor its user: not "
		 "asked",
		 path, (int)cr.pid, (unsigned int)cr.uid);
	return -EPERM;
}

/*
 * Connect to qemu's monitor (served by that qemu or its user: peer_is_qemus), negotiate, run one
 * command: its reply line in buf.  0 or -errno with why.
 */
static int qmp_query(pid_t qemu, const char *path, const char *cmd, char *buf, size_t len,
		     char *why, size_t wlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	uint64_t deadline = now_mono_ns() + NSEC_PER_SEC;
	int fd, err;

	if (strlen(path) >= sizeof(a.sun_path)) {
		snprintf(why, wlen, "QMP socket path too long");
		return -ENAMETOOLONG;
	}
	strcpy(a.sun_path, path);
	/* non-blocking: a listener that never accepts (its backlog full) makes connect fail at once */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		err = -errno;
		snprintf(why, wlen, "QMP socket %s: %s", path,
			 err == -EAGAIN ? "not accepting connections" : strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	err = peer_is_qemus(fd, qemu, path, why, wlen);
	if (err) {
		close(fd);
		return err;
	}
	/* a monitor already in use by another client never greets: the deadline bounds that */
	err = read_line(fd, buf, len, deadline);
	if (!err)
		err = command(fd, "{\"execute\":\"qmp_capabilities\"}\n", buf, len, deadline);
	if (!err)
		err = command(fd, cmd, buf, len, deadline);
	close(fd);
	if (err)
		snprintf(why, wlen, "QMP socket %s: %s", path,
			 err == -ETIMEDOUT ? "no answer within 1 s (another client?)" :
			 err == -E2BIG	   ? "a reply line longer than expected: not QMP" :
					     strerror(-err));
	return err;
}

int qmp_vcpu_tids(pid_t qemu, const char *path, pid_t *tids, int max, char *why, size_t wlen)
{
	char buf[16384];
	int err, n;

	err = qmp_query(qemu, path, "{\"execute\":\"query-cpus-fast\"}\n", buf, sizeof(buf), why, wlen);
	if (err)
		return err;
	n = qmp_parse_thread_ids(buf, tids, max);
	if (!n)
		snprintf(why, wlen, "QMP query-cpus-fast named no thread ids");
	return n ? n : -ENOENT;
}

#define QMP_MEMO_VMS 32
#define QMP_MEMO_TIDS 64

static struct qmp_memo {
	pid_t pid;
	uint64_t start_ticks, threads; /* the process, its thread set's signature */
	char path[108];
	int n; /* the answer: count, or -errno with why */
	pid_t tids[QMP_MEMO_TIDS];
	char why[160];
} qmp_memo[QMP_MEMO_VMS];
static unsigned int qmp_memo_next;

/* Which threads a process has, as one number: their count and an order-free mix of tids. */
static uint64_t thread_set(pid_t pid)
{
	struct dirent *de;
	uint64_t n = 0, mix = 0;
	char dir[64];
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	if (!(d = opendir(dir)))
		return 0;
	while ((de = readdir(d))) {
		uint64_t tid = strtoull(de->d_name, NULL, 10);

		if (!tid)
			continue;
		n++;
		mix += (tid * 0x9e3779b97f4a7c15ULL) ^ (tid >> 7);
	}
	closedir(d);
	return mix ^ (n << 56);
}

static int memo_answer(const struct qmp_memo *m, pid_t *tids, int max, char *why, size_t wlen)
{
	int n = m->n < max ? m->n : max;

	if (n > 0)
		memcpy(tids, m->tids, n * sizeof(tids[0]));
	else
		snprintf(why, wlen, "%s", m->why);
	return m->n > 0 ? n : m->n;
}

int qmp_vcpu_tids_memo(pid_t qemu, const char *path, pid_t *tids, int max, char *why, size_t wlen,
		       bool *asked)
{
	struct proc_stat st;
	struct qmp_memo *m = NULL;
	uint64_t threads = thread_set(qemu);

	if (asked)
		*asked = false;
	if (proc_read_stat(qemu, 0, &st))
		return qmp_vcpu_tids(qemu, path, tids, max, why, wlen); /* gone: it says so */
	for (int i = 0; i < QMP_MEMO_VMS && !m; i++)
		if (qmp_memo[i].pid == qemu && qmp_memo[i].start_ticks == st.start_ticks &&
		    !strcmp(qmp_memo[i].path, path))
			m = &qmp_memo[i];
	if (m && m->threads == threads)
		return memo_answer(m, tids, max, why, wlen);
	if (!m)
		m = &qmp_memo[qmp_memo_next++ % QMP_MEMO_VMS];
	memset(m, 0, sizeof(*m));
	m->pid = qemu;
	m->start_ticks = st.start_ticks;
	m->threads = threads;
	snprintf(m->path, sizeof(m->path), "%s", path);
	m->n = qmp_vcpu_tids(qemu, path, m->tids, QMP_MEMO_TIDS, m->why, sizeof(m->why));
	if (asked)
		*asked = true;
	return memo_answer(m, tids, max, why, wlen);
}

/* The "return" string of a human-monitor-command reply, unescaped in place; NULL if none. */
static char *hmp_text(char *reply)
{
	char *p = strstr(reply, "\"return\""), *o, *text;

	if (!p || !(p = strchr(p + 8, '"')))
		return NULL;
	text = o = ++p;
	for (; *p && *p != '"'; p++) {
		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		switch (*++p) {
		case 'n':
			*o++ = '\n';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'r':
			break;
		case 'u':
			/* \u00XX: the monitor escapes only control characters this way */
			if (p[1] && p[2] && p[3] && p[4]) {
				char hex[5] = { p[1], p[2], p[3], p[4], 0 };

				*o++ = (char)strtol(hex, NULL, 16);
				p += 4;
			}
			break;
		case '\0':
			p--;
			break;
		default:
			*o++ = *p;
		}
	}
	*o = '\0';
	return text;
}

int qmp_mtree(pid_t qemu, const char *path, struct devmap *m, char *why, size_t wlen)
{
	size_t len = 1 << 20;
	char *buf = malloc(len), *text;
	int err;

	if (!buf)
		return -ENOMEM;
	err = qmp_query(qemu, path,
			"{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":"
			"\"info mtree -f\"}}\n",
			buf, len, why, wlen);
	if (!err) {
		text = hmp_text(buf);
		err = text ? devmap_parse_mtree(m, text) : -EPROTO;
		if (err <= 0) {
			snprintf(why, wlen, "QMP 'info mtree -f' named no I/O or memory region");
			err = err ? err : -ENOENT;
		} else {
			err = 0;
		}
	}
	free(buf);
	return err;
}

/* ---- qemu's flat memory views (info mtree -f), pure ---- */

static int range_cmp(const void *a, const void *b)
{
	const struct devmap_range *x = a, *y = b;

	if (x->io != y->io)
		return x->io - y->io;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

int devmap_parse_mtree(struct devmap *m, const char *text)
{
	enum { NONE, MEM, IO } view = NONE;
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		unsigned long long lo, hi;
		char kind[16], name[64];
		int prio;

		if (!strncmp(line, "FlatView #", 10)) {
			view = NONE;
		} else if (!strncmp(line, " AS \"memory\"", strlen(" AS \"memory\""))) {
			view = MEM;
		} else if (!strncmp(line, " AS \"I/O\"", strlen(" AS \"I/O\""))) {
			view = IO;
		} else if (view != NONE &&
			   sscanf(line, " %llx-%llx (prio %d, %15[^)]): %63s", &lo, &hi, &prio,
				  kind, name) == 5 &&
			   !strcmp(kind, "i/o") && strcmp(name, "io") && hi >= lo) {
			/* "io @0x10": the unclaimed rest of the I/O space; RAM and ROM never exit */
			struct devmap_range *r = array_push((void **)&m->r, &m->n, &m->cap, sizeof(*r));

			if (!r)
				return -ENOMEM;
			r->lo = lo;
			r->hi = hi;
			r->io = view == IO;
			snprintf(r->name, sizeof(r->name), "%s", name);
		}
		line = nl ? nl + 1 : NULL;
	}
	if (m->n)
		qsort(m->r, m->n, sizeof(*m->r), range_cmp);
	return m->n;
}

const struct devmap_range *devmap_find(const struct devmap *m, bool io, uint64_t addr)
{
	for (int i = 0; i < m->n; i++)
		if (m->r[i].io == io && addr >= m->r[i].lo && addr <= m->r[i].hi)
			return &m->r[i];
	return NULL;
}

void devmap_name(const struct devmap_range *r, char *buf, size_t len)
{
	static const char *const parts[] = { "common", "isr", "device", "notify" };

	/* virtio-pci's modern regions: "virtio-pci-notify-virtio-net" is virtio-net-pci's notify */
	if (!strncmp(r->name, "virtio-pci-", 11)) {
		for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
			size_t pl = strlen(parts[i]);

			if (!strncmp(r->name + 11, parts[i], pl) && r->name[11 + pl] == '-') {
				snprintf(buf, len, "%s-pci %s", r->name + 12 + pl, parts[i]);
				return;
			}
		}
	}
	if (!strcmp(r->name, "virtio-pci")) {
		snprintf(buf, len, "virtio-pci legacy I/O");
		return;
	}
	snprintf(buf, len, "%s", r->name);
}

void devmap_free(struct devmap *m)
{
	free(m->r);
	memset(m, 0, sizeof(*m));
}
