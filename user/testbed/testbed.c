// SPDX-License-Identifier: GPL-2.0
/*
 * The testbed behind `virtprof testbed` (cmd/cmd_testbed.c) and `compare --testbed`.
 * scripts/testbed/testbed.sh does the work (it keeps an intent log, so `down` after a crash
 * knows what to remove); this file validates options before any side effect, runs the script in
 * a process group of its own, forwards SIGINT/SIGTERM to it, and parses its state.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "out/table.h"
#include "testbed/testbed.h"
#include "sys/util.h"

extern char **environ;

#define TB_SCRIPT_REL "scripts/testbed/testbed.sh"

static const char *tb_state_dir(void)
{
	const char *d = getenv("VIRTPROF_TESTBED_DIR");

	return d && *d ? d : TB_STATE_DIR_DEFAULT;
}

bool testbed_sizes_ok(const char *sizes)
{
	bool digit = false;

	for (const char *p = sizes; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digit = true;
		else if (*p != ' ')
			return false;
	}
	return digit;
}

bool testbed_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > TB_NAME_MAX - 5 || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

int testbed_parse_subnet(const char *s, char *prefix, size_t len)
{
	unsigned int a, b, c, d, bits;
	char tail;

	if (!s || sscanf(s, "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &bits, &tail) != 5)
		return -EINVAL;
	if (a > 255 || b > 255 || c > 255 || d != 0 || bits != 24 || a == 0 || a == 127 || a >= 224)
		return -EINVAL;
	if (snprintf(prefix, len, "%u.%u.%u", a, b, c) >= (int)len)
		return -ERANGE;
	return 0;
}

/* The script sits next to the sources; the binary is build-x/virtprof or a link to it. */
static int find_script(char *buf, size_t len)
{
	const char *env = getenv("VIRTPROF_TESTBED_SCRIPT");
	static const char *const rel[] = { "../" TB_SCRIPT_REL, TB_SCRIPT_REL,
					   "../share/virtprof/testbed/testbed.sh" };
	char exe[PATH_MAX / 2];
	ssize_t n;

	if (env && *env) {
		if (access(env, R_OK)) {
			vp_err("VIRTPROF_TESTBED_SCRIPT=%s: %s", env, strerror(errno));
			return -ENOENT;
		}
		snprintf(buf, len, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');

		if (slash)
			*slash = '\0';
		for (size_t i = 0; i < ARRAY_SIZE(rel); i++) {
			if (snprintf(buf, len, "%s/%s", exe, rel[i]) < (int)len &&
			    !access(buf, R_OK))
				return 0;
		}
	}
	snprintf(buf, len, "/usr/share/virtprof/testbed/testbed.sh");
	if (!access(buf, R_OK))
		return 0;
	vp_err("cannot find %s next to the virtprof binary; set VIRTPROF_TESTBED_SCRIPT",
	       TB_SCRIPT_REL);
	return -ENOENT;
}

/* ---------------- running the script ---------------- */

static volatile sig_atomic_t tb_signal;
static volatile pid_t tb_child;

static void tb_forward(int sig)
{
	/* First signal: ask the script to stop (its EXIT trap removes what it made).  Later
	 * ones are ignored so that cleanup is not cut short. */
	if (!tb_signal && tb_child > 0)
		kill(-tb_child, SIGTERM);
	tb_signal = sig;
}

struct tb_env {
	char *v[32];
	int n;
};

static void env_add(struct tb_env *e, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void env_add(struct tb_env *e, const char *key, const char *fmt, ...)
{
	char val[512];
	va_list ap;

	if (e->n >= (int)ARRAY_SIZE(e->v))
		return;
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (asprintf(&e->v[e->n], "%s=%s", key, val) >= 0)
		e->n++;
}

static void env_free(struct tb_env *e)
{
	for (int i = 0; i < e->n; i++)
		free(e->v[i]);
	e->n = 0;
}

/*
 * Run testbed.sh CMD [ARG] with the TB_* variables in e.  With out != NULL stdout is collected
 * into a malloc'd string.  Returns the exit status (0..255), 128+sig when killed, or -errno.
 * With forward set, SIGINT/SIGTERM are forwarded to the script's process group meanwhile.
 */
static int run_script(const char *cmd, const char *arg, struct tb_env *e, char **out, bool forward)
{
	struct sigaction sa = { .sa_handler = tb_forward }, old_int, old_term;
	char script[PATH_MAX];
	char **envp;
	size_t nenv = 0, cap = 0, used = 0;
	char *buf = NULL;
	int pfd[2] = { -1, -1 }, status = 0, err;
	pid_t pid;

	err = find_script(script, sizeof(script));
	if (err)
		return err;
	while (environ[nenv])
		nenv++;
	envp = calloc(nenv + e->n + 2, sizeof(*envp));
	if (!envp)
		return -ENOMEM;
	/* Ours replace inherited ones of the same name (TB_QEMU and friends pass through: the
	 * fault tests use them to hide a component). */
	size_t k = 0;

	for (size_t i = 0; i < nenv; i++) {
		bool dup = false;

		for (int j = 0; j < e->n && !dup; j++) {
			size_t kl = strcspn(e->v[j], "=") + 1;

			dup = !strncmp(environ[i], e->v[j], kl);
		}
		if (!dup)
			envp[k++] = environ[i];
	}
	for (int i = 0; i < e->n; i++)
		envp[k++] = e->v[i];
	envp[k] = NULL;

	if (out && pipe2(pfd, O_CLOEXEC)) {
		err = -errno;
		free(envp);
		return err;
	}
	if (forward) {
		tb_signal = 0;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, &old_int);
		sigaction(SIGTERM, &sa, &old_term);
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto out;
	}
	if (pid == 0) {
		char *argv[] = { "bash", script, (char *)cmd, (char *)arg, NULL };

		/* Own process group: a terminal's Ctrl-C reaches virtprof only, which forwards
		 * it once, so the script can clean up without being hit twice. */
		setpgid(0, 0);
		if (out)
			dup2(pfd[1], STDOUT_FILENO);
		else
			dup2(STDERR_FILENO, STDOUT_FILENO);
		/* qemu and dockerd outlive us: they must not inherit the caller's BPF, perf or
		 * socket descriptors (a session calls testbed_up with all of those open). */
		close_range(3, ~0U, 0);
		execve("/bin/bash", argv, envp);
		_exit(127);
	}
	setpgid(pid, pid);
	tb_child = pid;
	if (forward && tb_signal)
		kill(-pid, SIGTERM);
	if (out) {
		close(pfd[1]);
		pfd[1] = -1;
		for (;;) {
			if (cap - used < 4096) {
				char *nb = realloc(buf, cap + 65536);

				if (!nb)
					break;
				buf = nb;
				cap += 65536;
			}
			ssize_t n = read(pfd[0], buf + used, cap - used - 1);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			used += (size_t)n;
		}
		if (buf)
			buf[used] = '\0';
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			err = -errno;
			goto out;
		}
	}
	tb_child = 0;
	err = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
	if (forward) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	free(envp);
	if (out) {
		if (err < 0 || !buf) {
			free(buf);
			buf = NULL;
			if (err >= 0)
				err = -ENOMEM;
		}
		*out = buf;
	}
	return err;
}

/* The name becomes a path component and a netns name: checked at every entry point. */
static int check_name(const char *name)
{
	if (name && !testbed_name_ok(name)) {
		vp_err("testbed: bad name '%s'", name);
		return -EINVAL;
	}
	return 0;
}

static void base_env(struct tb_env *e, const char *name)
{
	env_add(e, "TB_NAME", "%s", name ? name : TB_DEFAULT_NAME);
	env_add(e, "TB_STATE_DIR", "%s", tb_state_dir());
}

/* ---------------- state ---------------- */

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

#define COPY(field, v) copy(field, sizeof(field), v)

/* The state's keys kept as text: where in testbed_info, and its size. */
#define TB_MEMBER(m) offsetof(struct testbed_info, m), sizeof(((struct testbed_info *)0)->m)
static const struct {
	const char *key;
	size_t off, size;
} tb_text[] = {
	{ "name", TB_MEMBER(name) },
	{ "subnet", TB_MEMBER(subnet) },
	{ "vm_name", TB_MEMBER(vm_name) },
	{ "vm_url", TB_MEMBER(vm_url) },
	{ "accel", TB_MEMBER(accel) },
	{ "accel_note", TB_MEMBER(accel_note) },
	{ "vhost", TB_MEMBER(vhost) },
	{ "vm_cpu", TB_MEMBER(vm_cpu) },
	{ "kernel", TB_MEMBER(kernel) },
	{ "kernel_boot", TB_MEMBER(kernel_boot) },
	{ "disk_image", TB_MEMBER(disk_image) },
	{ "disk_dir", TB_MEMBER(disk_dir) },
	{ "disk_aio", TB_MEMBER(disk_aio) },
	{ "serial_log", TB_MEMBER(serial_log) },
	{ "vm_log_url", TB_MEMBER(vm_log_url) },
	{ "runtime", TB_MEMBER(runtime) },
	{ "runtime_note", TB_MEMBER(runtime_note) },
	{ "ctr_name", TB_MEMBER(ctr_name) },
	{ "ctr_id", TB_MEMBER(ctr_id) },
	{ "ctr_url", TB_MEMBER(ctr_url) },
	{ "ctr_cgroup", TB_MEMBER(ctr_cgroup) },
	{ "cgroup_driver", TB_MEMBER(cgroup_driver) },
	{ "ctr_log", TB_MEMBER(ctr_log) },
	{ "ctr_log_url", TB_MEMBER(ctr_log_url) },
};
#undef TB_MEMBER

/* The member of `in` that keeps key k as text, or NULL. */
static char *tb_text_member(struct testbed_info *in, const char *k, size_t *size)
{
	for (size_t i = 0; i < sizeof(tb_text) / sizeof(tb_text[0]); i++)
		if (!strcmp(k, tb_text[i].key)) {
			*size = tb_text[i].size;
			return (char *)in + tb_text[i].off;
		}
	return NULL;
}

void testbed_parse_state(const char *text, struct testbed_info *in)
{
	char *dup = strdup(text ? text : ""), *save = NULL;

	memset(in, 0, sizeof(*in));
	copy(in->state_dir, sizeof(in->state_dir), tb_state_dir());
	if (!dup)
		return;
	for (char *line = strtok_r(dup, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, '='), *text;
		const char *k = line;
		size_t size;

		if (!v)
			continue;
		*v++ = '\0';
		/* Later lines win: the intent log appends, status appends live facts. */
		if ((text = tb_text_member(in, k, &size)))
			copy(text, size, v);
		else if (!strcmp(k, "present"))
			in->present = !strcmp(v, "1");
		else if (!strcmp(k, "netns")) {
			COPY(in->netns, v);
			COPY(in->bridge.netns, v);
			COPY(in->tap.netns, v);
			COPY(in->veth.netns, v);
		} else if (!strcmp(k, "netns_ino"))
			in->netns_ino = in->bridge.netns_ino = in->tap.netns_ino =
				in->veth.netns_ino = strtoull(v, NULL, 10);
		else if (!strcmp(k, "bridge"))
			COPY(in->bridge.name, v);
		else if (!strcmp(k, "bridge_ifindex"))
			in->bridge.ifindex = atoi(v);
		else if (!strcmp(k, "tap"))
			COPY(in->tap.name, v);
		else if (!strcmp(k, "tap_ifindex"))
			in->tap.ifindex = atoi(v);
		else if (!strcmp(k, "veth"))
			COPY(in->veth.name, v);
		else if (!strcmp(k, "veth_ifindex"))
			in->veth.ifindex = atoi(v);
		else if (!strcmp(k, "ctr_dev")) {
			COPY(in->ctr_dev.name, v);
			COPY(in->ctr_dev.netns, "container");
		} else if (!strcmp(k, "ctr_netns"))
			COPY(in->ctr_dev.netns, v);
		else if (!strcmp(k, "ctr_netns_ino"))
			in->ctr_dev.netns_ino = strtoull(v, NULL, 10);
		else if (!strcmp(k, "ctr_ifindex"))
			in->ctr_dev.ifindex = atoi(v);
		else if (!strcmp(k, "qemu_pid"))
			in->qemu_pid = atoi(v);
		else if (!strcmp(k, "vcpus"))
			in->vcpus = (unsigned int)atoi(v);
		else if (!strcmp(k, "mem_mib"))
			in->mem_mib = (unsigned int)atoi(v);
		else if (!strcmp(k, "vm_boot_s"))
			in->vm_boot_s = strtod(v, NULL);
		else if (!strcmp(k, "vm_http"))
			in->vm_http = atoi(v);
		else if (!strcmp(k, "ctr_pid"))
			in->ctr_pid = atoi(v);
		else if (!strcmp(k, "ctr_cgroup_dirs")) {
			char *s2 = NULL;

			in->n_ctr_cgroup_dirs = 0;
			for (char *d = strtok_r(v, ":", &s2);
			     d && in->n_ctr_cgroup_dirs < TB_MAX_CGROUP_DIRS;
			     d = strtok_r(NULL, ":", &s2))
				COPY(in->ctr_cgroup_dirs[in->n_ctr_cgroup_dirs++], d);
		} else if (!strcmp(k, "ctr_http"))
			in->ctr_http = atoi(v);
		else if (!strcmp(k, "qemu_alive"))
			in->qemu_alive = !strcmp(v, "1");
		else if (!strcmp(k, "ctr_alive"))
			in->ctr_alive = !strcmp(v, "1");
		else if (!strcmp(k, "netns_alive"))
			in->netns_alive = !strcmp(v, "1");
		else if (!strcmp(k, "phase"))
			in->up = !strcmp(v, "up");
	}
	in->up = in->up && in->present && in->qemu_alive && in->ctr_alive && in->netns_alive &&
		 in->vm_http == 200 && in->ctr_http == 200;
	if (!in->qemu_alive)
		in->qemu_pid = 0;
	free(dup);
}

int testbed_status(const char *name, struct testbed_info *info)
{
	struct tb_env e = { 0 };
	struct testbed_info tmp;
	char *out = NULL;
	int rc;

	if (check_name(name))
		return -EINVAL;
	if (!info)
		info = &tmp;
	base_env(&e, name);
	rc = run_script("status", NULL, &e, &out, false);
	env_free(&e);
	if (rc < 0)
		return rc;
	if (rc != 0) {
		free(out);
		return -EIO;
	}
	testbed_parse_state(out, info);
	free(out);
	return info->present ? 0 : -ENOENT;
}

/* testbed.sh down, with `arg` (--purge) when given. */
static int run_down(const char *name, const char *arg)
{
	struct tb_env e = { 0 };
	int rc;

	if (check_name(name))
		return -EINVAL;
	base_env(&e, name);
	rc = run_script("down", arg, &e, NULL, false);
	env_free(&e);
	return rc < 0 ? rc : rc ? -EIO : 0;
}

int testbed_down(const char *name)
{
	return run_down(name, NULL);
}

int testbed_purge(const char *name)
{
	return run_down(name, "--purge");
}

int testbed_logs(const char *name, const char *which)
{
	struct tb_env e = { 0 };
	char *out = NULL;
	int rc;

	if (check_name(name))
		return -EINVAL;
	base_env(&e, name);
	rc = run_script("logs", which, &e, &out, false);
	env_free(&e);
	if (rc == 0 && out)
		fputs(out, stdout);
	free(out);
	return rc < 0 ? rc : rc ? -EIO : 0;
}

int testbed_up(const struct testbed_opts *o, struct testbed_info *info)
{
	static const char *const accel[] = { "auto", "kvm", "tcg" };
	static const char *const runtime[] = { "auto", "docker", "native" };
	static const char *const vhost[] = { "auto", "on", "off" };
	const char *name = o->name ? o->name : TB_DEFAULT_NAME;
	char prefix[16] = "10.213.0";
	struct tb_env e = { 0 };
	int rc;

	if (!testbed_name_ok(name) ||
	    (o->subnet && testbed_parse_subnet(o->subnet, prefix, sizeof(prefix))) ||
	    (unsigned int)o->accel >= ARRAY_SIZE(accel) ||
	    (unsigned int)o->runtime >= ARRAY_SIZE(runtime))
		return -EINVAL;
	base_env(&e, name);
	env_add(&e, "TB_VCPUS", "%u", o->vcpus ? o->vcpus : 1);
	env_add(&e, "TB_MEM_MIB", "%u", o->mem_mib ? o->mem_mib : 512);
	env_add(&e, "TB_ACCEL", "%s", accel[o->accel]);
	env_add(&e, "TB_RUNTIME", "%s", runtime[o->runtime]);
	env_add(&e, "TB_VHOST", "%s", vhost[o->vhost]);
	env_add(&e, "TB_SUBNET", "%s", prefix);
	if (o->target_cpus)
		env_add(&e, "TB_TARGET_CPUS", "%s", o->target_cpus);
	env_add(&e, "TB_KVM_PROBE_S", "%.1f",
		o->kvm_probe_ns ? (double)o->kvm_probe_ns / NSEC_PER_SEC : 6.0);
	env_add(&e, "TB_BOOT_TIMEOUT_S", "%.1f",
		o->boot_timeout_ns ? (double)o->boot_timeout_ns / NSEC_PER_SEC : 90.0);
	if (o->sizes)
		env_add(&e, "TB_SIZES", "%s", o->sizes);
	env_add(&e, "TB_DISK", "%d", o->disk ? 1 : 0);
	if (o->disk_sizes)
		env_add(&e, "TB_DISK_SIZES", "%s", o->disk_sizes);
	rc = run_script("up", NULL, &e, NULL, true);
	env_free(&e);
	if (tb_signal) {
		/* The script's trap has removed its pieces; make sure, then report the signal. */
		testbed_down(name);
		tb_signal = 0;
		return -EINTR;
	}
	if (rc < 0)
		return rc;
	if (rc != 0) {
		/* The script removed what it made; run down again in case it was killed. */
		testbed_down(name);
		return rc == 2 ? -ENOENT : -EIO;
	}
	if (info) {
		rc = testbed_status(name, info);
		if (rc)
			return rc;
		if (!info->up) {
			vp_err("testbed %s: came up but does not answer now (vm %d, container %d)",
			       name, info->vm_http, info->ctr_http);
			return -EIO;
		}
	}
	return 0;
}
