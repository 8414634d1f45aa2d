/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the I/O-section root tests (test_net, test_block, test_kvm): shell steps for setup,
 * cleanup commands (run by the test that registered them at its cleanup label, and whatever is
 * left on every exit: normal, failure, SIGTERM from the runner's timeout), and small readers.
 * Only namespaces, links, loop devices, cgroups and processes the test created are touched.
 */
#ifndef VP_IOTEST_H
#define VP_IOTEST_H

#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IOT_MAX_CLEANUPS 32

struct iot_cleanup {
	char *cmd;
	bool at_exit; /* kept past the test's cleanup label, run at exit only */
};

static __attribute__((unused)) struct iot_cleanup iot_cleanups[IOT_MAX_CLEANUPS];
static __attribute__((unused)) int iot_ncleanups;

/* Run the cleanups registered since `mark`, newest first (at_exit ones too when `all`). */
static __attribute__((unused)) void iot_cleanup_run(int mark, bool all)
{
	int keep = mark;

	for (int i = iot_ncleanups - 1; i >= mark; i--) {
		char buf[1200];

		if (!all && iot_cleanups[i].at_exit)
			continue;
		snprintf(buf, sizeof(buf), "(%s) >/dev/null 2>&1", iot_cleanups[i].cmd);
		if (system(buf) < 0)
			perror("cleanup");
		free(iot_cleanups[i].cmd);
		iot_cleanups[i].cmd = NULL;
	}
	for (int i = mark; i < iot_ncleanups; i++)
		if (iot_cleanups[i].cmd)
			iot_cleanups[keep++] = iot_cleanups[i];
	iot_ncleanups = keep;
}

/* Where a test's cleanups begin: its cleanup label runs iot_cleanup_to(mark). */
static __attribute__((unused)) int iot_cleanup_mark(void)
{
	return iot_ncleanups;
}

static __attribute__((unused)) void iot_cleanup_to(int mark)
{
	iot_cleanup_run(mark, false);
}

static __attribute__((unused)) void iot_run_cleanups(void)
{
	iot_cleanup_run(0, true);
}

static __attribute__((unused)) void iot_on_signal(int sig)
{
	(void)sig;
	exit(1); /* runs atexit -> cleanups */
}

static __attribute__((unused)) void iot_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	atexit(iot_run_cleanups);
	signal(SIGTERM, iot_on_signal);
	signal(SIGINT, iot_on_signal);
	signal(SIGHUP, iot_on_signal);
}

/*
 * Register a shell command that undoes what the test just made (LIFO, like tests/lib.sh
 * on_exit): iot_on_exit runs it at the test's cleanup label, or at exit if the test never got
 * there; iot_at_exit at exit only (see mk_netns in test_net.c for why one would).
 */
static __attribute__((unused)) void __attribute__((format(printf, 2, 3)))
iot_cleanup_add(bool at_exit, const char *fmt, ...)
{
	va_list ap;
	char *s;

	iot_init();
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s && iot_ncleanups < IOT_MAX_CLEANUPS)
		iot_cleanups[iot_ncleanups++] = (struct iot_cleanup){ s, at_exit };
	else
		free(s);
}

#define iot_on_exit(...) iot_cleanup_add(false, __VA_ARGS__)
#define iot_at_exit(...) iot_cleanup_add(true, __VA_ARGS__)

/* Run a shell command; returns its exit status (output to stderr for the log). */
static __attribute__((unused)) int __attribute__((format(printf, 1, 2)))
iot_sh(const char *fmt, ...)
{
	char cmd[1200], full[1300];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "(%s) 1>&2", cmd);
	rc = system(full);
	if (rc == -1 || !WIFEXITED(rc))
		return -1;
	rc = WEXITSTATUS(rc);
	if (rc)
		fprintf(stderr, "  [sh rc=%d] %s\n", rc, cmd);
	return rc;
}

/* First line of a shell command's output as a number; UINT64_MAX on failure. */
static __attribute__((unused)) uint64_t __attribute__((format(printf, 1, 2)))
iot_sh_u64(const char *fmt, ...)
{
	char cmd[1200], line[128];
	unsigned long long v;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return UINT64_MAX;
	if (!fgets(line, sizeof(line), p) || sscanf(line, "%llu", &v) != 1)
		v = UINT64_MAX;
	pclose(p);
	return v;
}

static __attribute__((unused)) int iot_have(const char *cmd)
{
	return iot_sh("command -v %s >/dev/null", cmd) == 0;
}

static __attribute__((unused)) void iot_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Directory of the test helper binaries ($VIRTPROF_BUILD/tests/helpers). */
static __attribute__((unused)) const char *iot_helpers(void)
{
	static char buf[512];
	const char *b = getenv("VIRTPROF_BUILD");

	snprintf(buf, sizeof(buf), "%s/tests/helpers", b ? b : "build");
	return buf;
}

#endif
