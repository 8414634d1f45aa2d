// SPDX-License-Identifier: GPL-2.0
/*
 * `virtprof testbed up|status|down|logs` and the library calls behind `compare --testbed`.
 * scripts/testbed/testbed.sh does the work (it keeps an intent log, so `down` after a crash
 * knows what to remove); this file validates options before any side effect, runs the script in
 * a process group of its own, forwards SIGINT/SIGTERM to it, and turns its state into a report.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "report/table.h"
#include "testbed.h"
#include "util.h"

extern char **environ;

#define TB_STATE_DIR_DEFAULT "/var/lib/virtprof/testbed"
#define TB_SCRIPT_REL "scripts/testbed/testbed.sh"

static const char *tb_state_dir(void)
{
	const char *d = getenv("VIRTPROF_TESTBED_DIR");

	return d && *d ? d : TB_STATE_DIR_DEFAULT;
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

void testbed_parse_state(const char *text, struct testbed_info *in)
{
	char *dup = strdup(text ? text : ""), *save = NULL;

	memset(in, 0, sizeof(*in));
	copy(in->state_dir, sizeof(in->state_dir), tb_state_dir());
	if (!dup)
		return;
	for (char *line = strtok_r(dup, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, '=');
		const char *k = line;

		if (!v)
			continue;
		*v++ = '\0';
		/* Later lines win: the intent log appends, status appends live facts. */
		if (!strcmp(k, "present"))
			in->present = !strcmp(v, "1");
		else if (!strcmp(k, "name"))
			COPY(in->name, v);
		else if (!strcmp(k, "netns")) {
			COPY(in->netns, v);
			COPY(in->bridge.netns, v);
			COPY(in->tap.netns, v);
			COPY(in->veth.netns, v);
		} else if (!strcmp(k, "netns_ino"))
			in->netns_ino = in->bridge.netns_ino = in->tap.netns_ino =
				in->veth.netns_ino = strtoull(v, NULL, 10);
		else if (!strcmp(k, "subnet"))
			COPY(in->subnet, v);
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
		else if (!strcmp(k, "vm_name"))
			COPY(in->vm_name, v);
		else if (!strcmp(k, "vm_url"))
			COPY(in->vm_url, v);
		else if (!strcmp(k, "qemu_pid"))
			in->qemu_pid = atoi(v);
		else if (!strcmp(k, "accel"))
			COPY(in->accel, v);
		else if (!strcmp(k, "accel_note"))
			COPY(in->accel_note, v);
		else if (!strcmp(k, "vhost"))
			COPY(in->vhost, v);
		else if (!strcmp(k, "vm_cpu"))
			COPY(in->vm_cpu, v);
		else if (!strcmp(k, "vcpus"))
			in->vcpus = (unsigned int)atoi(v);
		else if (!strcmp(k, "mem_mib"))
			in->mem_mib = (unsigned int)atoi(v);
		else if (!strcmp(k, "kernel"))
			COPY(in->kernel, v);
		else if (!strcmp(k, "kernel_boot"))
			COPY(in->kernel_boot, v);
		else if (!strcmp(k, "serial_log"))
			COPY(in->serial_log, v);
		else if (!strcmp(k, "vm_log_url"))
			COPY(in->vm_log_url, v);
		else if (!strcmp(k, "vm_boot_s"))
			in->vm_boot_s = strtod(v, NULL);
		else if (!strcmp(k, "vm_http"))
			in->vm_http = atoi(v);
		else if (!strcmp(k, "runtime"))
			COPY(in->runtime, v);
		else if (!strcmp(k, "runtime_note"))
			COPY(in->runtime_note, v);
		else if (!strcmp(k, "ctr_name"))
			COPY(in->ctr_name, v);
		else if (!strcmp(k, "ctr_id"))
			COPY(in->ctr_id, v);
		else if (!strcmp(k, "ctr_pid"))
			in->ctr_pid = atoi(v);
		else if (!strcmp(k, "ctr_url"))
			COPY(in->ctr_url, v);
		else if (!strcmp(k, "ctr_cgroup"))
			COPY(in->ctr_cgroup, v);
		else if (!strcmp(k, "ctr_cgroup_dirs")) {
			char *s2 = NULL;

			in->n_ctr_cgroup_dirs = 0;
			for (char *d = strtok_r(v, ":", &s2);
			     d && in->n_ctr_cgroup_dirs < TB_MAX_CGROUP_DIRS;
			     d = strtok_r(NULL, ":", &s2))
				COPY(in->ctr_cgroup_dirs[in->n_ctr_cgroup_dirs++], d);
		} else if (!strcmp(k, "cgroup_driver"))
			COPY(in->cgroup_driver, v);
		else if (!strcmp(k, "ctr_log"))
			COPY(in->ctr_log, v);
		else if (!strcmp(k, "ctr_log_url"))
			COPY(in->ctr_log_url, v);
		else if (!strcmp(k, "ctr_http"))
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

int testbed_down(const char *name)
{
	struct tb_env e = { 0 };
	int rc;

	if (check_name(name))
		return -EINVAL;
	base_env(&e, name);
	rc = run_script("down", NULL, &e, NULL, false);
	env_free(&e);
	return rc < 0 ? rc : rc ? -EIO : 0;
}

static int testbed_purge(const char *name)
{
	struct tb_env e = { 0 };
	int rc;

	if (check_name(name))
		return -EINVAL;
	base_env(&e, name);
	rc = run_script("down", "--purge", &e, NULL, false);
	env_free(&e);
	return rc < 0 ? rc : rc ? -EIO : 0;
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
	env_add(&e, "TB_SUBNET", "%s", prefix);
	env_add(&e, "TB_KVM_PROBE_S", "%.1f",
		o->kvm_probe_ns ? (double)o->kvm_probe_ns / NSEC_PER_SEC : 6.0);
	env_add(&e, "TB_BOOT_TIMEOUT_S", "%.1f",
		o->boot_timeout_ns ? (double)o->boot_timeout_ns / NSEC_PER_SEC : 90.0);
	if (o->sizes)
		env_add(&e, "TB_SIZES", "%s", o->sizes);
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

int testbed_netns_enter(const char *netns)
{
	char path[PATH_MAX];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		vp_err("open %s: %s (is the testbed up? 'virtprof testbed up')", path,
		       strerror(errno));
		return err;
	}
	/* CLONE_NEWNET is per thread: the caller's siblings stay in their namespace. */
	if (setns(fd, CLONE_NEWNET)) {
		err = -errno;
		vp_err("setns %s: %s", path, strerror(errno));
	}
	close(fd);
	return err;
}

/* ---------------- report ---------------- */

static void na_or_str(struct table *t, int r, int c, const char *s, const char *why)
{
	if (s && *s)
		table_str(t, r, c, s);
	else
		table_na(t, r, c, why);
}

static void render_status(const struct testbed_info *in, struct out *o)
{
	struct table t;
	int r;

	table_init(&t, "testbed", NULL);
	table_col(&t, "name", "testbed", 0, true);
	table_col(&t, "state", "state", 0, true);
	table_col(&t, "netns", "netns", 0, true);
	table_col(&t, "netns_ino", "netns inode", 0, false);
	table_col(&t, "subnet", "subnet (inside netns only)", 0, true);
	table_col(&t, "state_dir", "state dir", 0, true);
	r = table_row(&t);
	table_str(&t, r, 0, in->name);
	table_str(&t, r, 1, in->up ? "up" : "degraded");
	table_str(&t, r, 2, in->netns);
	table_u64(&t, r, 3, in->netns_ino);
	table_str(&t, r, 4, in->subnet);
	table_str(&t, r, 5, in->state_dir);
	if (!in->up)
		table_note(&t,
			   "degraded: qemu %s, container %s, netns %s, http vm %d container %d; "
			   "'virtprof testbed up' rebuilds it",
			   in->qemu_alive ? "alive" : "gone", in->ctr_alive ? "alive" : "gone",
			   in->netns_alive ? "present" : "gone", in->vm_http, in->ctr_http);
	table_render(&t, o);
	table_free(&t);
	if (o->mode == OUT_TEXT)
		fputc('\n', o->f);

	table_init(&t, "targets", NULL);
	table_col(&t, "target", "target", 0, true);
	table_col(&t, "url", "url", 0, true);
	table_col(&t, "http", "http", 0, false);
	table_col(&t, "kind", "runs as", 0, true);
	table_col(&t, "pid", "pid", 0, false);
	table_col(&t, "id", "id", 0, true);
	table_col(&t, "accel", "accel", 0, true);
	table_col(&t, "vhost", "vhost", 0, true);
	table_col(&t, "cpus", "cpus", 0, false);
	table_col(&t, "mem_mib", "MiB", 0, false);
	table_col(&t, "access_log", "access log", 0, true);
	table_col(&t, "cgroup", "cgroup", 0, true);
	table_col_json_only(&t);
	table_col(&t, "cgroup_driver", "cgroup driver", 0, true);
	table_col_json_only(&t);
	table_col(&t, "boot_s", "boot s", 1, false);
	table_col_json_only(&t);
	table_col(&t, "cpu_model", "cpu model", 0, true);
	table_col_json_only(&t);
	table_col(&t, "kernel", "kernel", 0, true);
	table_col_json_only(&t);
	table_col(&t, "kernel_boot", "kernel boot", 0, true);
	table_col_json_only(&t);
	table_col(&t, "console", "console", 0, true);
	table_col_json_only(&t);
	table_col(&t, "note", "note", 0, true);
	table_col_json_only(&t);

	r = table_row(&t);
	table_str(&t, r, 0, "vm");
	table_str(&t, r, 1, in->vm_url);
	if (in->vm_http)
		table_u64(&t, r, 2, (uint64_t)in->vm_http);
	else
		table_na(&t, r, 2, "http: no answer (or the netns is gone)");
	table_str(&t, r, 3, "qemu");
	if (in->qemu_pid)
		table_u64(&t, r, 4, (uint64_t)in->qemu_pid);
	else
		table_na(&t, r, 4, "pid: the process is not running");
	table_str(&t, r, 5, in->vm_name);
	na_or_str(&t, r, 6, in->accel, "accel: not decided (the VM never started)");
	na_or_str(&t, r, 7, in->vhost, "vhost: not decided (the VM never started)");
	table_u64(&t, r, 8, in->vcpus);
	table_u64(&t, r, 9, in->mem_mib);
	table_str(&t, r, 10, in->vm_log_url);
	table_na(&t, r, 11, NULL);
	table_na(&t, r, 12, NULL);
	if (in->vm_boot_s > 0)
		table_f64(&t, r, 13, in->vm_boot_s);
	if (in->vm_cpu[0])
		table_str(&t, r, 14, in->vm_cpu);
	table_str(&t, r, 15, in->kernel);
	if (in->kernel_boot[0])
		table_str(&t, r, 16, in->kernel_boot);
	table_str(&t, r, 17, in->serial_log);
	if (in->accel_note[0])
		table_str(&t, r, 18, in->accel_note);

	r = table_row(&t);
	table_str(&t, r, 0, "container");
	table_str(&t, r, 1, in->ctr_url);
	if (in->ctr_http)
		table_u64(&t, r, 2, (uint64_t)in->ctr_http);
	else
		table_na(&t, r, 2, "http: no answer (or the netns is gone)");
	table_str(&t, r, 3, in->runtime);
	if (in->ctr_pid && in->ctr_alive)
		table_u64(&t, r, 4, (uint64_t)in->ctr_pid);
	else
		table_na(&t, r, 4, "pid: the process is not running");
	na_or_str(&t, r, 5, in->ctr_id, "id: the container never started");
	table_na(&t, r, 6, NULL);
	table_na(&t, r, 7, NULL);
	table_u64(&t, r, 8, in->vcpus);
	table_u64(&t, r, 9, in->mem_mib);
	table_str(&t, r, 10, in->ctr_log);
	table_str(&t, r, 11, in->ctr_cgroup);
	if (in->cgroup_driver[0])
		table_str(&t, r, 12, in->cgroup_driver);
	table_na(&t, r, 17, NULL);
	if (in->runtime_note[0])
		table_str(&t, r, 18, in->runtime_note);
	table_render(&t, o);
	table_free(&t);
	if (o->mode == OUT_TEXT) {
		if (in->accel_note[0])
			fprintf(o->f, "  note: vm: %s\n", in->accel_note);
		if (in->runtime_note[0])
			fprintf(o->f, "  note: container: %s\n", in->runtime_note);
		fprintf(o->f, "  vm console: %s\n", in->serial_log);
		fputc('\n', o->f);
	}

	table_init(&t, "devices", NULL);
	table_col(&t, "dev", "device", 0, true);
	table_col(&t, "kind", "kind", 0, true);
	table_col(&t, "netns", "netns", 0, true);
	table_col(&t, "netns_ino", "netns inode", 0, false);
	table_col(&t, "ifindex", "ifindex", 0, false);
	table_col(&t, "serves", "serves", 0, true);
	const struct {
		const struct testbed_dev *d;
		const char *kind, *serves;
	} devs[] = { { &in->bridge, "bridge", "both" },
		     { &in->tap, "tap", "vm" },
		     { &in->veth, "veth", "container" },
		     { &in->ctr_dev, "veth-peer", "container" } };
	for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
		if (!devs[i].d->name[0])
			continue;
		r = table_row(&t);
		table_str(&t, r, 0, devs[i].d->name);
		table_str(&t, r, 1, devs[i].kind);
		table_str(&t, r, 2, devs[i].d->netns);
		if (devs[i].d->netns_ino)
			table_u64(&t, r, 3, devs[i].d->netns_ino);
		else
			table_na(&t, r, 3, "not created");
		if (devs[i].d->ifindex)
			table_u64(&t, r, 4, (uint64_t)devs[i].d->ifindex);
		else
			table_na(&t, r, 4, "not created");
		table_str(&t, r, 5, devs[i].serves);
	}
	table_render(&t, o);
	table_free(&t);
	if (o->mode == OUT_TEXT)
		fputc('\n', o->f);

	table_init(&t, "container_cgroups", NULL);
	table_col(&t, "dir", "container cgroup dirs", 0, true);
	for (int i = 0; i < in->n_ctr_cgroup_dirs; i++) {
		r = table_row(&t);
		table_str(&t, r, 0, in->ctr_cgroup_dirs[i]);
	}
	table_render(&t, o);
	table_free(&t);
}

static void print_status(const struct testbed_info *in, bool json)
{
	struct out o;

	out_init(&o, stdout, json ? OUT_JSON : OUT_TEXT, false);
	if (json) {
		jw_obj_begin(&o.jw);
		jw_kstr(&o.jw, "type", "testbed");
		render_status(in, &o);
		jw_obj_end(&o.jw);
		jw_end_line(&o.jw);
	} else {
		render_status(in, &o);
	}
	fflush(stdout);
}

/* ---------------- CLI ---------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: virtprof testbed up|status|down|logs [OPTIONS]\n"
		"\n"
		"The built-in targets: one nginx rootfs (from this host's packages) served by a qemu\n"
		"VM and by a container, on a bridge inside network namespace NAME.\n"
		"\n"
		"  up               build/boot/start, return once both answer (idempotent)\n"
		"  status           URLs, qemu pid, container id and cgroups, devices, accel, vhost\n"
		"  down [--purge]   remove all of it (safe to repeat); --purge also drops the cache\n"
		"  logs vm|container  print that nginx's access log (one line per request)\n"
		"\n"
		"Options:\n"
		"  -n, --name NAME      testbed and netns name (default %s); --netns is the same\n"
		"      --vcpus N        VM vCPUs == container CPUs == nginx workers (default 1)\n"
		"      --memory MIB     VM RAM == container memory limit (default 512)\n"
		"      --accel A        auto | kvm | tcg (auto: KVM if a guest boots under it)\n"
		"      --kvm-probe DUR  how long auto waits for a KVM guest to reach init (6s)\n"
		"      --boot-timeout DUR  VM boot until nginx answers (90s)\n"
		"      --runtime R      auto | docker | native (auto: docker when installed)\n"
		"      --subnet A.B.C.0/24  addresses inside the netns (10.213.0.0/24)\n"
		"      --sizes \"N ...\"  /bytes/N bodies to pre-generate (bytes)\n"
		"  -j, --json           status as JSON\n"
		"\n"
		"Examples:\n"
		"  virtprof testbed up && virtprof testbed status --json\n"
		"  ip netns exec %s curl http://10.213.0.2/bytes/1024\n"
		"  virtprof testbed logs vm | wc -l\n"
		"\n"
		"State and cache: $VIRTPROF_TESTBED_DIR (default %s).\n",
		TB_DEFAULT_NAME, TB_DEFAULT_NAME, TB_STATE_DIR_DEFAULT);
}

int cmd_testbed(int argc, char **argv)
{
	enum {
		O_VCPUS = 256,
		O_MEM,
		O_ACCEL,
		O_PROBE,
		O_BOOT,
		O_RUNTIME,
		O_SUBNET,
		O_SIZES,
		O_PURGE
	};
	static const struct option lopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "netns", required_argument, NULL, 'n' },
		{ "vcpus", required_argument, NULL, O_VCPUS },
		{ "memory", required_argument, NULL, O_MEM },
		{ "accel", required_argument, NULL, O_ACCEL },
		{ "kvm-probe", required_argument, NULL, O_PROBE },
		{ "boot-timeout", required_argument, NULL, O_BOOT },
		{ "runtime", required_argument, NULL, O_RUNTIME },
		{ "subnet", required_argument, NULL, O_SUBNET },
		{ "sizes", required_argument, NULL, O_SIZES },
		{ "purge", no_argument, NULL, O_PURGE },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct testbed_opts o = { 0 };
	struct testbed_info info;
	const char *sub, *which = NULL;
	bool json = false, purge = false;
	char prefix[16];
	uint64_t v;
	int c, rc;

	if (argc < 2) {
		usage(stderr);
		return VP_EXIT_USAGE;
	}
	sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
		usage(stdout);
		return VP_EXIT_OK;
	}
	if (strcmp(sub, "up") && strcmp(sub, "status") && strcmp(sub, "down") &&
	    strcmp(sub, "logs")) {
		vp_err("testbed: unknown action '%s' (up, status, down, logs)", sub);
		return VP_EXIT_USAGE;
	}
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:jh", lopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!testbed_name_ok(optarg)) {
				vp_err("testbed: bad name '%s' (letters, digits, - _ ., at most %d)",
				       optarg, TB_NAME_MAX - 5);
				return VP_EXIT_USAGE;
			}
			o.name = optarg;
			break;
		case O_VCPUS:
			if (parse_u64(optarg, 1, 64, &v)) {
				vp_err("testbed: --vcpus '%s': want 1..64", optarg);
				return VP_EXIT_USAGE;
			}
			o.vcpus = (unsigned int)v;
			break;
		case O_MEM:
			if (parse_u64(optarg, 128, 65536, &v)) {
				vp_err("testbed: --memory '%s': want 128..65536 (MiB)", optarg);
				return VP_EXIT_USAGE;
			}
			o.mem_mib = (unsigned int)v;
			break;
		case O_ACCEL:
			if (!strcmp(optarg, "auto"))
				o.accel = TB_ACCEL_AUTO;
			else if (!strcmp(optarg, "kvm"))
				o.accel = TB_ACCEL_KVM;
			else if (!strcmp(optarg, "tcg"))
				o.accel = TB_ACCEL_TCG;
			else {
				vp_err("testbed: --accel '%s': want auto, kvm or tcg", optarg);
				return VP_EXIT_USAGE;
			}
			break;
		case O_RUNTIME:
			if (!strcmp(optarg, "auto"))
				o.runtime = TB_RUNTIME_AUTO;
			else if (!strcmp(optarg, "docker"))
				o.runtime = TB_RUNTIME_DOCKER;
			else if (!strcmp(optarg, "native"))
				o.runtime = TB_RUNTIME_NATIVE;
			else {
				vp_err("testbed: --runtime '%s': want auto, docker or native",
				       optarg);
				return VP_EXIT_USAGE;
			}
			break;
		case O_PROBE:
		case O_BOOT:
			if (parse_duration_ns(optarg, &v) || v < 100 * NSEC_PER_MSEC ||
			    v > 3600 * NSEC_PER_SEC) {
				vp_err("testbed: %s '%s': want a duration with unit, 100ms..1h",
				       c == O_PROBE ? "--kvm-probe" : "--boot-timeout", optarg);
				return VP_EXIT_USAGE;
			}
			if (c == O_PROBE)
				o.kvm_probe_ns = v;
			else
				o.boot_timeout_ns = v;
			break;
		case O_SUBNET:
			if (testbed_parse_subnet(optarg, prefix, sizeof(prefix))) {
				vp_err("testbed: --subnet '%s': want A.B.C.0/24 (private, not 127/8)",
				       optarg);
				return VP_EXIT_USAGE;
			}
			o.subnet = optarg;
			break;
		case O_SIZES:
			for (const char *p = optarg; *p; p++)
				if (!(*p >= '0' && *p <= '9') && *p != ' ') {
					vp_err("testbed: --sizes '%s': want byte counts separated by "
					       "spaces",
					       optarg);
					return VP_EXIT_USAGE;
				}
			o.sizes = optarg;
			break;
		case O_PURGE:
			purge = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return VP_EXIT_OK;
		default:
			usage(stderr);
			return VP_EXIT_USAGE;
		}
	}
	if (!strcmp(sub, "logs")) {
		if (optind != argc - 1 ||
		    (strcmp(argv[optind], "vm") && strcmp(argv[optind], "container"))) {
			vp_err("testbed logs: say vm or container");
			return VP_EXIT_USAGE;
		}
		which = argv[optind];
	} else if (optind != argc) {
		vp_err("testbed %s: unexpected argument '%s'", sub, argv[optind]);
		return VP_EXIT_USAGE;
	}
	if (geteuid() != 0) {
		vp_err("testbed: needs root (network namespaces, tap, qemu, docker)");
		return VP_EXIT_USAGE;
	}

	if (!strcmp(sub, "up")) {
		rc = testbed_up(&o, &info);
		if (rc == -EINTR) {
			vp_err("testbed: interrupted; removed what was made");
			return VP_EXIT_FAIL;
		}
		if (rc)
			return rc == -ENOENT || rc == -EINVAL ? VP_EXIT_USAGE : VP_EXIT_FAIL;
		print_status(&info, json);
		return VP_EXIT_OK;
	}
	if (!strcmp(sub, "status")) {
		rc = testbed_status(o.name, &info);
		if (rc == -ENOENT) {
			if (json) {
				printf("{\"type\":\"testbed\",\"name\":\"%s\",\"state\":\"down\"}\n",
				       o.name ? o.name : TB_DEFAULT_NAME);
			} else {
				printf("testbed %s is down\n", o.name ? o.name : TB_DEFAULT_NAME);
			}
			return VP_EXIT_FAIL;
		}
		if (rc) {
			vp_err("testbed: status failed: %s", strerror(-rc));
			return VP_EXIT_FAIL;
		}
		print_status(&info, json);
		return info.up ? VP_EXIT_OK : VP_EXIT_FAIL;
	}
	if (!strcmp(sub, "down")) {
		rc = purge ? testbed_purge(o.name) : testbed_down(o.name);
		if (rc) {
			vp_err("testbed: down failed: %s", strerror(-rc));
			return VP_EXIT_FAIL;
		}
		return VP_EXIT_OK;
	}
	rc = testbed_logs(o.name, which);
	return rc ? VP_EXIT_FAIL : VP_EXIT_OK;
}
