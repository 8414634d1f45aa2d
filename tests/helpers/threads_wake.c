// SPDX-License-Identifier: GPL-2.0
/*
 * A host with many threads, for the scale tests and scripts/bench/scale.sh.
 *   threads_wake N SECONDS [PERIOD_MS]
 * starts N threads (64 KiB stacks), each waking every PERIOD_MS (100 by default) until SECONDS
 * have passed since the last one started, then exits.  The threads wait (no wakeups) until all
 * are made: on a busy machine 20,000 threads that wake while the rest are still being created
 * slow the creation to a crawl.  Prints "ready N" on stdout once all N are running, so a
 * caller can wait for it; a thread that cannot be created ends the process with a message and
 * exit 1 (the ones already started stop with it).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct timespec deadline; /* far away until every thread runs */
static pthread_mutex_t go_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cond = PTHREAD_COND_INITIALIZER;
static int go;
static long period_ns = 100 * 1000 * 1000L;

static void ts_add(struct timespec *t, long ns)
{
	t->tv_nsec += ns;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void *waker(void *arg)
{
	struct timespec next;

	pthread_mutex_lock(&go_lock);
	while (!go)
		pthread_cond_wait(&go_cond, &go_lock);
	pthread_mutex_unlock(&go_lock);
	clock_gettime(CLOCK_MONOTONIC, &next);
	/* spread the wakeups over the period instead of all threads at once */
	ts_add(&next, (long)(uintptr_t)arg % period_ns);
	for (;;) {
		struct timespec end;

		__atomic_load(&deadline.tv_sec, &end.tv_sec, __ATOMIC_ACQUIRE);
		end.tv_nsec = 0;
		if (!ts_before(&next, &end))
			break;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		ts_add(&next, period_ns);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_attr_t attr;
	long n, secs;
	char *end;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: threads_wake N SECONDS [PERIOD_MS]\n");
		return 2;
	}
	n = strtol(argv[1], &end, 10);
	if (*end || n < 1 || n > 1000000) {
		fprintf(stderr, "threads_wake: bad thread count %s\n", argv[1]);
		return 2;
	}
	secs = strtol(argv[2], &end, 10);
	if (*end || secs < 1 || secs > 3600) {
		fprintf(stderr, "threads_wake: bad duration %s (1-3600 s)\n", argv[2]);
		return 2;
	}
	if (argc == 4) {
		long ms = strtol(argv[3], &end, 10);

		if (*end || ms < 1 || ms > 10000) {
			fprintf(stderr, "threads_wake: bad period %s (1-10000 ms)\n", argv[3]);
			return 2;
		}
		period_ns = ms * 1000 * 1000L;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += 100000;
	deadline.tv_nsec = 0;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (long i = 0; i < n; i++) {
		pthread_t t;
		int err = pthread_create(&t, &attr, waker, (void *)(uintptr_t)(i * 7919 * 1000L));

		if (err) {
			fprintf(stderr, "threads_wake: thread %ld of %ld: %s\n", i + 1, n,
				strerror(err));
			return 1;
		}
	}
	{
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		__atomic_store_n(&deadline.tv_sec, now.tv_sec + secs, __ATOMIC_RELEASE);
	}
	pthread_mutex_lock(&go_lock);
	go = 1;
	pthread_cond_broadcast(&go_cond);
	pthread_mutex_unlock(&go_lock);
	printf("ready %ld\n", n);
	fflush(stdout);
	/* the threads end at the deadline; the process with them */
	for (;;) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!ts_before(&now, &deadline))
			return 0;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
	}
}
