// SPDX-License-Identifier: GPL-2.0
/* The user's own load generator, run in a cgroup of its own and charged to loadgen (command.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "account/self.h"
#include "load/command.h"
#include "sys/cgroup.h"
#include "sys/util.h"

#define LEFTOVER_MAX 4096

struct load_cmd {
	char **argv;
	char exe[4096];
	char cg[512];
	int out_fd; /* memfd holding its stdout */
	pid_t pid;
	bool exited;
	int status;
	bool stopping;
	uint64_t stop_ns;
	/*
	 * The results file before the step.  JMeter appends to one that exists (its CSV header
	 * only at the file's start): its size, so that only the step's rows are counted.  k6
	 * rewrites its summary: its mtime, so that a run that wrote none is not read as an old one.
	 */
	bool had_file;
	off_t jtl_off;
	struct timespec file_mtime;
	struct load_cmd_result res;
};

/* argv[0] as execv will run it: a path as given, else the first executable match in PATH. */
static int find_exe(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char *dup, *save, *dir;
	int err = -ENOENT;

	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return access(out, X_OK) ? -errno : 0;
	}
	dup = strdup(path && *path ? path :
				     "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
				     "/sbin:/bin");
	if (!dup)
		return -ENOMEM;
	for (dir = strtok_r(dup, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		struct stat sb;

		snprintf(out, len, "%s/%s", *dir ? dir : ".", name);
		if (!stat(out, &sb) && S_ISREG(sb.st_mode) && !access(out, X_OK)) {
			err = 0;
			break;
		}
	}
	free(dup);
	return err;
}

int load_cmd_check(const char *line, char *err, size_t errlen)
{
	char **argv = load_argv_split(line, err, errlen), exe[4096];
	int rc;

	if (!argv) {
		char why[128];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "--load-cmd: %s", why);
		return -EINVAL;
	}
	rc = find_exe(argv[0], exe, sizeof(exe));
	if (rc)
		snprintf(err, errlen, "--load-cmd: %s: %s", argv[0],
			 rc == -ENOENT ? "command not found" : strerror(-rc));
	load_argv_free(argv);
	return rc ? -EINVAL : 0;
}

/* In the child between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn))
child(struct load_cmd *h, const cpu_set_t *cpus, int nsfd, int errfd)
{
	char procs[600];
	sigset_t none;
	int fd, e;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* the session blocks SIGINT/SIGTERM */
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	memcpy(procs, h->cg, strlen(h->cg));
	memcpy(procs + strlen(h->cg), "/cgroup.procs", sizeof("/cgroup.procs"));
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		goto fail;
	close(fd);
	if (cpus && sched_setaffinity(0, sizeof(*cpus), cpus))
		goto fail;
	if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET))
		goto fail;
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(h->out_fd, 1) < 0)
		goto fail;
	execv(h->exe, h->argv);
fail:
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

static void signal_all(struct load_cmd *h, int sig)
{
	pid_t pids[LEFTOVER_MAX];
	int n = cgroup_pids(h->cg, pids, LEFTOVER_MAX);

	if (!h->exited)
		kill(-h->pid, sig);
	for (int i = 0; i < n; i++)
		kill(pids[i], sig);
}

static void cmd_free(struct load_cmd *h)
{
	if (h->out_fd >= 0)
		close(h->out_fd);
	load_argv_free(h->argv);
	free(h);
}

int load_cmd_start(const char *line, const cpu_set_t *cpus, const char *netns, struct load_cmd **hp,
		   char *err, size_t errlen)
{
	static int seq;
	struct load_cmd *h = calloc(1, sizeof(*h));
	int pipefd[2], e = 0, rc, nsfd = -1;
	char name[64];
	ssize_t n;

	*hp = NULL;
	if (!h)
		return -ENOMEM;
	h->out_fd = -1;
	snprintf(h->res.line, sizeof(h->res.line), "%s", line);
	h->argv = load_argv_split(line, err, errlen);
	if (!h->argv) {
		cmd_free(h);
		return -EINVAL;
	}
	h->res.tool = load_tool_of(h->argv[0]);
	if (load_tool_reads_file(h->res.tool)) {
		const char *file = load_tool_results_file(h->res.tool, h->argv);
		struct stat sb;

		if (file && !stat(file, &sb)) {
			h->had_file = true;
			h->jtl_off = sb.st_size;
			h->file_mtime = sb.st_mtim;
		}
	}
	rc = find_exe(h->argv[0], h->exe, sizeof(h->exe));
	if (rc) {
		snprintf(err, errlen, "load command %s: %s", h->argv[0],
			 rc == -ENOENT ? "command not found" : strerror(-rc));
		cmd_free(h);
		return rc;
	}
	if (netns) {
		char nspath[512];

		snprintf(nspath, sizeof(nspath), "/run/netns/%s", netns);
		nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0) {
			rc = -errno;
			snprintf(err, errlen, "load command: network namespace %s: %s", netns,
				 strerror(-rc));
			cmd_free(h);
			return rc;
		}
	}
	snprintf(name, sizeof(name), "virtprof-loadcmd-%d-%d", (int)getpid(), ++seq);
	rc = cgroup_make(name, h->cg, sizeof(h->cg));
	if (rc) {
		snprintf(err, errlen, "load command: cannot make its cgroup %s: %s", name,
			 strerror(-rc));
		if (nsfd >= 0)
			close(nsfd);
		cmd_free(h);
		return rc;
	}
	self_register_cgroup(cgroup_id_of(h->cg));
	h->out_fd = memfd_create("virtprof-load-cmd-stdout", MFD_CLOEXEC);
	if (h->out_fd < 0 || pipe2(pipefd, O_CLOEXEC)) {
		rc = -errno;
		snprintf(err, errlen, "load command: %s", strerror(-rc));
		goto undo;
	}
	fflush(NULL);
	h->res.t0_mono_ns = now_mono_ns();
	h->pid = fork();
	if (h->pid < 0) {
		rc = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		snprintf(err, errlen, "load command: fork: %s", strerror(-rc));
		goto undo;
	}
	if (!h->pid)
		child(h, cpus, nsfd, pipefd[1]);
	close(pipefd[1]);
	/* the error pipe closes on exec: nothing read means the program runs */
	do
		n = read(pipefd[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == sizeof(e)) {
		waitpid(h->pid, NULL, 0);
		rc = -e;
		snprintf(err, errlen, "load command %s did not start: %s", h->argv[0], strerror(e));
		goto undo;
	}
	if (nsfd >= 0)
		close(nsfd);
	*hp = h;
	return 0;
undo:
	if (nsfd >= 0)
		close(nsfd);
	cgroup_remove(h->cg);
	cmd_free(h);
	return rc;
}

bool load_cmd_done(struct load_cmd *h)
{
	if (!h->exited && waitpid(h->pid, &h->status, WNOHANG) == h->pid)
		h->exited = true;
	return h->exited;
}

void load_cmd_stop(struct load_cmd *h, const char *why)
{
	if (h->stopping || load_cmd_done(h))
		return;
	h->stopping = true;
	h->stop_ns = now_mono_ns();
	h->res.killed = true;
	snprintf(h->res.killed_why, sizeof(h->res.killed_why), "%s", why);
	signal_all(h, SIGTERM);
}

/* Its stdout, as text (NUL-terminated). */
static char *read_output(int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);
	char *buf;
	ssize_t n;

	if (len < 0 || !(buf = malloc(len + 1)))
		return NULL;
	n = pread(fd, buf, len, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* The rows JMeter appended since `off` under the file's header line (the whole file when 0). */
static void jtl_parse_since(const char *text, off_t off, struct tool_result *parsed)
{
	const char *eol = strchr(text, '\n');
	size_t hlen = eol ? (size_t)(eol - text) + 1 : strlen(text), len = strlen(text);
	char *both;

	/* no earlier rows, or a file replaced by a shorter one: all of it is the step's */
	if (off <= 0 || (size_t)off <= hlen || (size_t)off > len) {
		load_tool_parse(TOOL_JMETER, text, parsed);
		return;
	}
	both = malloc(hlen + (len - off) + 1);
	if (!both) {
		load_tool_parse(TOOL_JMETER, "", parsed);
		return;
	}
	memcpy(both, text, hlen);
	memcpy(both + hlen, text + off, len - off + 1);
	load_tool_parse(TOOL_JMETER, both, parsed);
	free(both);
}

/* A tool's results file (JMeter, k6) parsed into *parsed; returns its text (to free) or NULL. */
static char *parse_results_file(struct load_cmd *h, struct tool_result *parsed)
{
	enum load_tool tool = h->res.tool;
	const char *name = load_tool_names[tool];
	const char *file = load_tool_results_file(tool, h->argv);
	struct stat sb;
	char *text;

	load_tool_parse(TOOL_UNKNOWN, "", parsed);
	parsed->tool = tool;
	if (!file) {
		vp_na_set(&parsed->na, VP_NA_OPTION, "%s without a results file: give %s", name,
			  tool == TOOL_JMETER ? "-l FILE.jtl (CSV)" : "--summary-export FILE");
		return NULL;
	}
	if (tool == TOOL_K6 && h->had_file && !stat(file, &sb) &&
	    sb.st_mtim.tv_sec == h->file_mtime.tv_sec &&
	    sb.st_mtim.tv_nsec == h->file_mtime.tv_nsec) {
		vp_na_set(&parsed->na, VP_NA_OTHER,
			  "k6 did not write its summary %.100s (unchanged since the step began)",
			  file);
		return NULL;
	}
	if (!(text = read_file(file, NULL))) {
		vp_na_set(&parsed->na, vp_na_code_of_errno(errno), "%s's results file %.100s: %s",
			  name, file, strerror(errno));
		return NULL;
	}
	if (tool == TOOL_JMETER)
		jtl_parse_since(text, h->jtl_off, parsed);
	else
		load_tool_parse(tool, text, parsed);
	return text;
}

int load_cmd_wait(struct load_cmd *h, struct load_cmd_result *r)
{
	struct load_cmd_result *res = &h->res;
	pid_t pids[LEFTOVER_MAX];
	char *out, *text = NULL;
	int n;

	while (!load_cmd_done(h)) {
		if (h->stopping && now_mono_ns() - h->stop_ns >= LOAD_CMD_GRACE_NS)
			signal_all(h, SIGKILL);
		usleep(20000);
	}
	res->elapsed_ns = now_mono_ns() - res->t0_mono_ns;
	res->exit_code = WIFEXITED(h->status) ? WEXITSTATUS(h->status) : -1;
	res->signal = WIFSIGNALED(h->status) ? WTERMSIG(h->status) : 0;
	/* what it left running (a daemonized child) is not part of the step */
	n = cgroup_pids(h->cg, pids, LEFTOVER_MAX);
	res->leftovers = n > 0 ? n : 0;
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	if (cgroup_remove(h->cg))
		vp_warn("load command: could not remove its cgroup %s", h->cg);

	out = read_output(h->out_fd);
	if (out) {
		size_t len = strlen(out), keep = sizeof(res->output_tail) - 1;

		snprintf(res->output_tail, sizeof(res->output_tail), "%s",
			 len > keep ? out + len - keep : out);
	}
	if (load_tool_reads_file(res->tool))
		text = parse_results_file(h, &res->parsed);
	else
		load_tool_parse(res->tool, out, &res->parsed);
	free(text);
	free(out);
	*r = *res;
	cmd_free(h);
	return 0;
}
