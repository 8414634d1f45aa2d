/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtprof knows its own threads: every thread that generates load registers itself as
 * SELF_LOADGEN, everything else of virtprof's process is "profiler".  classify.c reads this
 * registry, so the load generator's CPU is never mixed into a target's figures.
 */
#ifndef VP_SELF_H
#define VP_SELF_H

#include <stdbool.h>
#include <sys/types.h>

enum self_role { SELF_NONE = 0, SELF_PROFILER, SELF_LOADGEN };

/* Register the calling thread (thread-safe, async from any thread). */
void self_register_thread(enum self_role role);
/* Register a thread of this process by tid. */
void self_register_tid(pid_t tid, enum self_role role);
/* Role of a tid; threads of our own tgid that never registered are SELF_PROFILER. */
enum self_role self_role_of(pid_t tid, pid_t tgid);

#endif
