// SPDX-License-Identifier: GPL-2.0
/* qemu's vCPU thread ids over QMP (qmp.h). */
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

int qmp_vcpu_tids(pid_t qemu, const char *path, pid_t *tids, int max, char *why, size_t wlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	uint64_t deadline = now_mono_ns() + NSEC_PER_SEC;
	char buf[16384];
	int fd, err, n;

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
	err = read_line(fd, buf, sizeof(buf), deadline);
	if (!err)
		err = command(fd, "{\"execute\":\"qmp_capabilities\"}\n", buf, sizeof(buf),
			      deadline);
	if (!err)
		err = command(fd, "{\"execute\":\"query-cpus-fast\"}\n", buf, sizeof(buf),
			      deadline);
	close(fd);
	if (err) {
		snprintf(why, wlen, "QMP socket %s: %s", path,
			 err == -ETIMEDOUT ? "no answer within 1 s (another client?)" :
			 err == -E2BIG	   ? "a line longer than 16 KB: not QMP" :
					     strerror(-err));
		return err;
	}
	n = qmp_parse_thread_ids(buf, tids, max);
	if (!n)
		snprintf(why, wlen, "QMP query-cpus-fast named no thread ids");
	return n ? n : -ENOENT;
}
