/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A load generator of the user's own (`--load-cmd 'wrk -t2 -c100 -d10s http://...'`): started
 * without a shell (the line split by load_argv_split), in a cgroup of its own that virtprof
 * creates and removes, registered as load generation (account/self.h) so its whole process
 * tree is charged to `loadgen`; its report read back by load/tool.h where virtprof knows the
 * tool.
 *
 *   load_cmd_start(line, &h, err, len);   the command runs when it returns (or failed to start)
 *   while (!load_cmd_done(h)) ...;         the step lasts as long as the command
 *   load_cmd_stop(h, "--duration");        optional: SIGTERM now, SIGKILL 3 s later
 *   load_cmd_wait(h, &res);                reaped, leftovers killed, output parsed, cgroup gone
 */
#ifndef VP_LOAD_COMMAND_H
#define VP_LOAD_COMMAND_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "load/tool.h"

/* After SIGTERM, how long a command gets before SIGKILL. */
#define LOAD_CMD_GRACE_NS (3 * 1000000000ULL)

struct load_cmd_result {
	char line[1024];
	enum load_tool tool;
	int exit_code; /* exit status, -1 when a signal ended it */
	int signal;    /* the signal that ended it, 0 none */
	bool killed;   /* virtprof ended it (killed_why) */
	char killed_why[64];
	int leftovers; /* processes still in its cgroup after it exited, killed */
	uint64_t t0_mono_ns, elapsed_ns;
	struct tool_result parsed; /* parsed.have_requests false: parsed.na says why */
	char output_tail[512];	   /* the end of its stdout, for an error message */
};

struct load_cmd;

/*
 * Check a command line (split, program found in PATH) before anything starts.  Returns 0 or
 * -EINVAL with a one-line reason.
 */
int load_cmd_check(const char *line, char *err, size_t errlen);
/*
 * Start it: cgroup made and registered, the program exec'd (stdin /dev/null, stdout kept for its
 * report, stderr passed through), in its own process group, on `cpus` and in network namespace
 * /run/netns/`netns` when given.  Returns 0, or
 * -errno with the reason (nothing is left behind).
 */
int load_cmd_start(const char *line, const cpu_set_t *cpus, const char *netns, struct load_cmd **hp,
		   char *err, size_t errlen);
/* True once the command's main process has exited. */
bool load_cmd_done(struct load_cmd *h);
/* End it now (SIGTERM to its process group and cgroup; load_cmd_wait escalates to SIGKILL). */
void load_cmd_stop(struct load_cmd *h, const char *why);
/* Reap it, kill what it left in its cgroup, read and parse its report, remove the cgroup, free. */
int load_cmd_wait(struct load_cmd *h, struct load_cmd_result *r);

#endif
