// SPDX-License-Identifier: GPL-2.0
#include <pthread.h>
#include <unistd.h>

#include "account/self.h"
#include "sys/util.h"

/* A few dozen threads at most (one load worker per CPU plus resolver threads). */
#define SELF_MAX 1024

static pthread_mutex_t self_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	pid_t tid;
	enum self_role role;
} self_tids[SELF_MAX];
static int self_n;

void self_register_tid(pid_t tid, enum self_role role)
{
	pthread_mutex_lock(&self_lock);
	for (int i = 0; i < self_n; i++) {
		if (self_tids[i].tid == tid) {
			self_tids[i].role = role;
			goto out;
		}
	}
	if (self_n < SELF_MAX) {
		self_tids[self_n].tid = tid;
		self_tids[self_n].role = role;
		self_n++;
	}
out:
	pthread_mutex_unlock(&self_lock);
}

void self_register_thread(enum self_role role)
{
	self_register_tid(vp_gettid(), role);
}

enum self_role self_role_of(pid_t tid, pid_t tgid)
{
	enum self_role role = SELF_NONE;

	/* Registered threads are ours: a tid reused later by another process is not. */
	if (tgid != getpid())
		return SELF_NONE;
	pthread_mutex_lock(&self_lock);
	for (int i = 0; i < self_n; i++) {
		if (self_tids[i].tid == tid) {
			role = self_tids[i].role;
			break;
		}
	}
	pthread_mutex_unlock(&self_lock);
	if (role == SELF_NONE && tgid == getpid())
		role = SELF_PROFILER;
	return role;
}

/* A handful: one load command per step, a step at a time. */
#define SELF_MAX_CGROUPS 64
static uint64_t self_cgids[SELF_MAX_CGROUPS];
static int self_ncgids;

void self_register_cgroup(uint64_t id)
{
	pthread_mutex_lock(&self_lock);
	if (id && self_ncgids < SELF_MAX_CGROUPS)
		self_cgids[self_ncgids++] = id;
	pthread_mutex_unlock(&self_lock);
}

enum self_role self_role_of_cgroup(uint64_t cgid_v2, uint64_t cgid_v1_cpu)
{
	enum self_role role = SELF_NONE;

	pthread_mutex_lock(&self_lock);
	for (int i = 0; i < self_ncgids; i++)
		if (self_cgids[i] == cgid_v2 || self_cgids[i] == cgid_v1_cpu)
			role = SELF_LOADGEN_CMD;
	pthread_mutex_unlock(&self_lock);
	return role;
}
