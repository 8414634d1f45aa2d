/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtprof knows its own threads: every thread that generates load registers itself as
 * SELF_LOADGEN, everything else of virtprof's process is "profiler".  classify.c reads this
 * registry, so the load generator's CPU is never mixed into a target's figures.
 */
#ifndef VP_SELF_H
#define VP_SELF_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The entities of virtprof's own threads: the one spelling attribution, cost model and reports use. */
#define ENTITY_LOADGEN "loadgen"
#define ENTITY_PROFILER "profiler"

/* SELF_LOADGEN_CMD: a load command virtprof started (--load-cmd), known by its cgroup */
enum self_role { SELF_NONE = 0, SELF_PROFILER, SELF_LOADGEN, SELF_LOADGEN_CMD };

/* Register the calling thread (thread-safe, async from any thread). */
void self_register_thread(enum self_role role);
/* Register a thread of this process by tid. */
void self_register_tid(pid_t tid, enum self_role role);
/* Role of a tid; threads of our own tgid that never registered are SELF_PROFILER. */
enum self_role self_role_of(pid_t tid, pid_t tgid);

/*
 * A cgroup whose every thread is load generation: a load command virtprof started in a cgroup
 * of its own, so its whole process tree (threads, children, a JVM) is charged to the load
 * generator.  Kept for the process's life: cgroup ids are not reused.
 */
void self_register_cgroup(uint64_t id);
/* SELF_LOADGEN_CMD when either of a thread's cgroup ids is a registered one, else SELF_NONE. */
enum self_role self_role_of_cgroup(uint64_t cgid_v2, uint64_t cgid_v1_cpu);

#endif
