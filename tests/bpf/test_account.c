// SPDX-License-Identifier: GPL-2.0
/*
 * Root tests of the CPU accounting probes: real programs attached to the running kernel, known
 * workloads run in process, assertions against the kernel's own accounting (cgroup cpu.stat,
 * /proc/<pid>/task/<tid>/schedstat and status, the thread CPU clock).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sys/cgroup.h"
#include "account/collect.h"
#include "harness.h"
#include "sys/util.h"

static struct account_probe probes;
static struct collector coll;

static uint64_t cpu_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static void spin_cpu(clockid_t id, uint64_t ns)
{
	uint64_t end = cpu_clock_ns(id) + ns;

	while (cpu_clock_ns(id) < end)
		;
}

/* Steal time of all CPUs (ns), to explain a ktime-vs-runtime difference on a busy host. */
static uint64_t steal_ns(void)
{
	unsigned long long v[8] = {};
	FILE *f = fopen("/proc/stat", "r");

	if (!f)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) != 8)
		v[7] = 0;
	fclose(f);
	return v[7] * (NSEC_PER_SEC / sysconf(_SC_CLK_TCK));
}

static int cgroup_usage_usec(const char *dir, uint64_t *usec)
{
	char path[512], *buf, *p;

	snprintf(path, sizeof(path), "%s/cpu.stat", dir);
	buf = read_file(path, NULL);
	if (!buf)
		return -errno;
	p = strstr(buf, "usage_usec ");
	*usec = p ? strtoull(p + 11, NULL, 10) : 0;
	free(buf);
	return p ? 0 : -ENOENT;
}

/* A 1 s busy loop in a fresh cgroup v2 is attributed within 2% of the cgroup's usage_usec. */
static int test_cgroup_spin(void)
{
	const struct cgroup_mounts *m = cgroup_mounts();
	uint64_t usage, cgid, ours = 0, steal0, steal1;
	struct interval iv = { 0 };
	char dir[512];
	int status, threads = 0, ret = 1;
	pid_t pid;

	if (!m->v2[0])
		TEST_SKIP("no cgroup v2 hierarchy mounted");
	snprintf(dir, sizeof(dir), "%s/virtprof-test-%d", m->v2, (int)getpid());
	if (!ASSERT_TRUE(mkdir(dir, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", dir,
			 strerror(errno)))
		return 1;
	cgid = cgroup_id_of(dir);
	if (!ASSERT_TRUE(cgid != 0, "cgroup id of %s", dir))
		goto cleanup;
	if (cgroup_usage_usec(dir, &usage)) {
		ret = test_skip("%s/cpu.stat has no usage_usec", dir);
		goto cleanup;
	}

	if (!ASSERT_OK(collector_restart(&coll), "reset"))
		goto cleanup;
	steal0 = steal_ns();
	pid = fork();
	if (pid == 0) {
		char procs[600], me[32];
		int fd;

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
		snprintf(me, sizeof(me), "%d", (int)getpid());
		fd = open(procs, O_WRONLY);
		if (fd < 0 || write(fd, me, strlen(me)) < 0)
			_exit(3);
		close(fd);
		spin_cpu(CLOCK_PROCESS_CPUTIME_ID, NSEC_PER_SEC);
		_exit(0);
	}
	if (!ASSERT_GT(pid, 0, "fork"))
		goto cleanup;
	waitpid(pid, &status, 0);
	steal1 = steal_ns();
	if (!ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status))
		goto cleanup;
	if (!ASSERT_OK(collector_next(&coll, &iv), "take"))
		goto cleanup;
	cgroup_usage_usec(dir, &usage);

	for (int i = 0; i < iv.n; i++) {
		struct thread_rec *r = collector_thread(&coll, iv.rows[i].key);

		if (r && r->info.cgid_v2 == cgid) {
			ours += stats_busy_ns(&iv.rows[i].st);
			threads++;
		}
	}
	printf("  cgroup usage %.3f ms, virtprof %.3f ms over %d thread(s), host steal %.3f ms\n",
	       usage / 1e3, ours / 1e6, threads, (steal1 - steal0) / 1e6);
	if (!ASSERT_GE(threads, 1, "threads attributed to the cgroup") ||
	    !ASSERT_WITHIN(ours, usage * 1000.0, 2.0, "busy ns vs cpu.stat usage"))
		goto cleanup;
	ret = 0;
cleanup:
	interval_free(&iv);
	rmdir(dir);
	return ret;
}

/* Move the calling process into cgroup `dir`; 0 or -errno. */
static int join_cgroup(const char *dir)
{
	char procs[600], me[32];
	int fd, ok;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	snprintf(me, sizeof(me), "%d", (int)getpid());
	fd = open(procs, O_WRONLY);
	if (fd < 0)
		return -errno;
	ok = write(fd, me, strlen(me)) > 0;
	close(fd);
	return ok ? 0 : -EIO;
}

/* virtprof's busy ns of the threads in cgroup `cgid` (v2). */
static uint64_t sum_cgroup_busy(const struct interval *iv, uint64_t cgid, int *threads)
{
	uint64_t ours = 0;

	*threads = 0;
	for (int i = 0; i < iv->n; i++) {
		struct thread_rec *r = collector_thread(&coll, iv->rows[i].key);

		if (r && r->info.cgid_v2 == cgid) {
			ours += stats_busy_ns(&iv->rows[i].st);
			(*threads)++;
		}
	}
	return ours;
}

/* Kill and wait for the first *n children in pids (a fork that failed, -1, is passed over). */
static void reap(pid_t *pids, int *n)
{
	for (int i = 0; i < *n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	for (int i = 0; i < *n; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
	*n = 0;
}

/*
 * A workload that sleeps and wakes like a server (spin 200 us, sleep 100 us) in cgroup "target",
 * with `nhog` busy loops in the sibling cgroup "hog": the target's time must match its
 * usage_usec although, with hogs, every wakeup preempts one (the kernel then charges the time
 * from the wakeup to the switch to the woken task: kernel_handoff in account.bpf.c).
 */
static int cgroup_wakeups(int nhog)
{
	const struct cgroup_mounts *m = cgroup_mounts();
	int status, threads, nforked = 0, ret = 1;
	uint64_t u0, u1, h0, h1, cg_t, cg_h, ours, hogs, steal0, steal1, vsteal, iv_span;
	char top[512], tgt[600], hog[600];
	pid_t pids[16], pid;
	struct interval iv = { 0 };

	if (!m->v2[0])
		TEST_SKIP("no cgroup v2 hierarchy mounted");
	if (nhog > 15)
		nhog = 15;
	snprintf(top, sizeof(top), "%s/vptrust-test-%d", m->v2, (int)getpid());
	snprintf(tgt, sizeof(tgt), "%s/target", top);
	snprintf(hog, sizeof(hog), "%s/hog", top);
	if (!ASSERT_TRUE(mkdir(top, 0755) == 0 && mkdir(tgt, 0755) == 0 && mkdir(hog, 0755) == 0,
			 "mkdir %s: %s", top, strerror(errno)))
		goto cleanup;
	cg_t = cgroup_id_of(tgt);
	cg_h = cgroup_id_of(hog);
	for (int i = 0; i < nhog; i++) {
		pids[nforked++] = fork();
		if (pids[i] == 0) {
			if (join_cgroup(hog))
				_exit(3);
			spin_cpu(CLOCK_MONOTONIC, 10 * NSEC_PER_SEC); /* bounded; killed earlier */
			_exit(0);
		}
	}
	usleep(100000);
	cgroup_usage_usec(tgt, &u0);
	cgroup_usage_usec(hog, &h0);
	if (!ASSERT_OK(collector_restart(&coll), "reset"))
		goto cleanup;
	steal0 = steal_ns();
	pid = fork();
	if (pid == 0) {
		if (join_cgroup(tgt))
			_exit(3);
		for (uint64_t end = cpu_clock_ns(CLOCK_MONOTONIC) + NSEC_PER_SEC * 3 / 2;
		     cpu_clock_ns(CLOCK_MONOTONIC) < end;) {
			spin_cpu(CLOCK_THREAD_CPUTIME_ID, 200 * NSEC_PER_USEC);
			usleep(100);
		}
		_exit(0);
	}
	if (!ASSERT_GT(pid, 0, "fork"))
		goto cleanup;
	waitpid(pid, &status, 0);
	cgroup_usage_usec(hog, &h1);
	if (!ASSERT_OK(collector_next(&coll, &iv), "take"))
		goto cleanup;
	steal1 = steal_ns();
	cgroup_usage_usec(tgt, &u1);
	reap(pids, &nforked);
	ours = sum_cgroup_busy(&iv, cg_t, &threads);
	hogs = sum_cgroup_busy(&iv, cg_h, &threads);
	vsteal = iv.steal_ns;
	iv_span = iv.span_ns;
	printf("  target: cpu.stat %.3f ms virtprof %.3f ms (%+.2f%%); %d hog(s): cpu.stat %.3f ms "
	       "virtprof %.3f ms; steal: /proc/stat %.0f ms, virtprof %.3f ms\n",
	       (u1 - u0) / 1e3, ours / 1e6, 100.0 * ((double)ours / ((u1 - u0) * 1e3) - 1), nhog,
	       (h1 - h0) / 1e3, hogs / 1e6, (steal1 - steal0) / 1e6, vsteal / 1e6);
	if (!ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status))
		goto cleanup;
	/*
	 * 2 %: the boundaries are the kernel's own but calibrated (account.bpf.c kernel_handoff),
	 * +0.1 ... +1.9 % on the shared 2-CPU development machines; 4 % when the hypervisor stole
	 * more than 1 % of the CPUs meanwhile (steal is read at rq clock updates only).  The bug
	 * this guards against was -2 ... -9 %.
	 */
	if (!ASSERT_WITHIN(ours, (u1 - u0) * 1000.0, vsteal * 100 > iv_span ? 4.0 : 2.0,
			   "target busy ns vs cpu.stat usage"))
		goto cleanup;
	ret = 0;
cleanup:
	reap(pids, &nforked);
	interval_free(&iv);
	rmdir(tgt);
	rmdir(hog);
	rmdir(top);
	return ret;
}

/*
 * The development machines are shared and sometimes loaded 5x over: a measurement outside the
 * bound is taken once more, and the test fails when the second one is outside too.
 */
static int test_cgroup_wakeups_quiet(void)
{
	return cgroup_wakeups(0) == 0 ? 0 : cgroup_wakeups(0);
}

/* One busy loop per CPU in the sibling cgroup: before the fix, -2 ... -9 %. */
static int test_cgroup_wakeups_contended(void)
{
	int n = (int)sysconf(_SC_NPROCESSORS_ONLN);

	return cgroup_wakeups(n) == 0 ? 0 : cgroup_wakeups(n);
}

struct short_thread {
	pid_t tid;
	uint64_t cpu_ns;
};

static void *short_fn(void *arg)
{
	struct short_thread *st = arg;

	st->tid = vp_gettid();
	spin_cpu(CLOCK_THREAD_CPUTIME_ID, 50 * NSEC_PER_MSEC);
	st->cpu_ns = cpu_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

/* A thread that lives 50 ms and exits is still counted, and known as exited. */
static int test_short_thread(void)
{
	struct short_thread st = {};
	struct thread_rec *r;
	struct interval iv = { 0 };
	pthread_t th;
	uint64_t busy = 0, proc0, main0, main1, whole;
	int found = 0, ret = 1;

	if (!ASSERT_OK(collector_restart(&coll), "reset"))
		goto cleanup;
	/*
	 * The kernel's figure for the whole thread, its start and exit paths included: what the
	 * process gained (exited threads included) minus what the main thread spent meanwhile.
	 * The thread's own clock stops before its exit path, which costs real time where the
	 * kernel is slow (a few ms under emulation).
	 * The thread clock is read first: reading it brings this thread's sum_exec_runtime up to
	 * date, which the process clock only sums.  Read the other way round, the process clock
	 * misses what this thread ran since its last tick -- up to a tick, more where ticks come
	 * late (lab 6.12 once: the whole thread 62.2 ms, its clock 52.6, virtprof 54.1).
	 */
	main0 = cpu_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	proc0 = cpu_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	if (!ASSERT_OK(pthread_create(&th, NULL, short_fn, &st), "pthread_create"))
		goto cleanup;
	pthread_join(th, NULL);
	/*
	 * The join returns when the kernel clears the thread's tid, early in its exit path; until
	 * it is released, the process clock has its runtime only as of its last tick (19 ms short
	 * under a starved emulated host).  Released, its exact runtime is in the process's sum.
	 */
	for (int i = 0; i < 1000; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/task/%d", (int)st.tid);
		if (access(path, F_OK))
			break;
		usleep(1000);
	}
	main1 = cpu_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	whole = (cpu_clock_ns(CLOCK_PROCESS_CPUTIME_ID) - proc0) - (main1 - main0);
	usleep(20000); /* let the exit event land */
	if (!ASSERT_OK(collector_next(&coll, &iv), "take"))
		goto cleanup;
	for (int i = 0; i < iv.n; i++) {
		if (iv.rows[i].key == (uint32_t)st.tid) {
			busy += stats_busy_ns(&iv.rows[i].st);
			found = 1;
		}
	}
	r = collector_thread(&coll, st.tid);
	printf("  thread %d: cpu clock %.3f ms (whole thread %.3f ms), virtprof %.3f ms\n",
	       (int)st.tid, st.cpu_ns / 1e6, whole / 1e6, busy / 1e6);
	if (!ASSERT_TRUE(found, "thread %d not in the interval", (int)st.tid) ||
	    !ASSERT_TRUE(r && r->info.exited, "thread %d facts missing or not marked exited",
			 (int)st.tid) ||
	    !ASSERT_EQ(r->info.tgid, (unsigned)getpid(), "tgid") ||
	    !ASSERT_WITHIN(busy, whole, 5.0, "busy ns vs the kernel's runtime of the whole thread"))
		goto cleanup;
	ret = 0;
cleanup:
	interval_free(&iv);
	return ret;
}

/* Loopback TCP traffic of known size; returns bytes moved. */
struct flow {
	int port;
	size_t bytes;
	uint64_t until_ns;
	int lfd;
};

static void *sink_fn(void *arg)
{
	struct flow *fl = arg;
	char buf[65536];
	int fd = accept(fl->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return NULL;
}

static int loopback_flow(size_t total, uint64_t max_ns, size_t *sent)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	struct flow fl = {};
	char buf[16384] = { 1 };
	uint64_t end = now_mono_ns() + max_ns;
	pthread_t th;
	int fd = -1, err = 0;
	bool sink = false;

	*sent = 0;
	fl.lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (fl.lfd < 0 || bind(fl.lfd, (void *)&a, sizeof(a)) || listen(fl.lfd, 1) ||
	    getsockname(fl.lfd, (void *)&a, &al)) {
		err = -errno;
		goto cleanup;
	}
	err = -pthread_create(&th, NULL, sink_fn, &fl);
	if (err)
		goto cleanup;
	sink = true;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (void *)&a, sizeof(a))) {
		err = -errno;
		/* wakes the sink's accept (EINVAL) */
		shutdown(fl.lfd, SHUT_RDWR);
		goto cleanup;
	}
	while (*sent < total && now_mono_ns() < end) {
		ssize_t n = write(fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		*sent += n;
	}
cleanup:
	if (fd >= 0)
		close(fd);
	if (sink)
		pthread_join(th, NULL);
	if (fl.lfd >= 0)
		close(fl.lfd);
	return err;
}

static uint64_t net_rx_ns(const struct interval *iv)
{
	uint64_t t = 0;

	for (int i = 0; i < iv->n; i++)
		t += iv->rows[i].st.softirq_ns[3 /* NET_RX */];
	return t;
}

/* NET_RX softirq time > 0 under loopback traffic. */
static int test_net_rx_loopback(void)
{
	struct interval iv = { 0 };
	size_t sent;
	uint64_t rx;
	int ret = 1;

	if (!ASSERT_OK(collector_restart(&coll), "reset") ||
	    !ASSERT_OK(loopback_flow(64 << 20, 3 * NSEC_PER_SEC, &sent), "loopback flow") ||
	    !ASSERT_OK(collector_next(&coll, &iv), "take"))
		goto cleanup;
	rx = net_rx_ns(&iv);
	printf("  %zu bytes over loopback, NET_RX %.3f ms\n", sent, rx / 1e6);
	if (!ASSERT_GT(sent, 1 << 20, "bytes sent") || !ASSERT_GT(rx, 0, "NET_RX time"))
		goto cleanup;
	ret = 0;
cleanup:
	interval_free(&iv);
	return ret;
}

static void *spin_fn(void *arg)
{
	spin_cpu(CLOCK_THREAD_CPUTIME_ID, *(uint64_t *)arg);
	return NULL;
}

/* Coverage stays within 100 +- 1% over a 2 s interval under load. */
static int test_coverage_under_load(void)
{
	uint64_t spin = 1500 * NSEC_PER_MSEC;
	struct timespec rest = { 0, 0 };
	struct interval iv = { 0 };
	pthread_t th;
	size_t sent;
	uint64_t t0;
	double cov;
	int ret = 1;

	if (!ASSERT_OK(collector_restart(&coll), "reset"))
		goto cleanup;
	t0 = now_mono_ns();
	if (!ASSERT_OK(pthread_create(&th, NULL, spin_fn, &spin), "pthread_create"))
		goto cleanup;
	loopback_flow(SIZE_MAX, 1500 * NSEC_PER_MSEC, &sent);
	pthread_join(th, NULL);
	if (now_mono_ns() - t0 < 2 * NSEC_PER_SEC) {
		uint64_t left = 2 * NSEC_PER_SEC - (now_mono_ns() - t0);

		rest.tv_sec = left / NSEC_PER_SEC;
		rest.tv_nsec = left % NSEC_PER_SEC;
		nanosleep(&rest, NULL);
	}
	if (!ASSERT_OK(collector_next(&coll, &iv), "take"))
		goto cleanup;
	cov = coverage_pct(iv.busy_ns, iv.idle_ns, iv.steal_ns, iv.span_ns);
	printf("  span %.3f s on %d cpus, busy %.3f s, idle %.3f s, coverage %.3f%%, %zu bytes\n",
	       iv.span_ns / 1e9, iv.ncpu_seen, iv.busy_ns / 1e9, iv.idle_ns / 1e9, cov, sent);
	if (!ASSERT_GE(cov, 99.0, "coverage %%") || !ASSERT_LE(cov, 101.0, "coverage %%"))
		goto cleanup;
	ret = 0;
cleanup:
	interval_free(&iv);
	return ret;
}

struct rq_thread {
	int cpu;
	pid_t tid;
	uint64_t delay0, delay1; /* schedstat run_delay */
	unsigned long nv0, nv1, niv0, niv1;
};

static void read_task_sched(pid_t tid, uint64_t *delay, unsigned long *nv, unsigned long *niv)
{
	char path[128], *buf, *p;
	unsigned long long run, wait;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)tid);
	buf = read_file(path, NULL);
	if (buf && sscanf(buf, "%llu %llu", &run, &wait) == 2)
		*delay = wait;
	free(buf);
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	buf = read_file(path, NULL);
	if (buf && (p = strstr(buf, "voluntary_ctxt_switches:")))
		*nv = strtoul(p + 24, NULL, 10);
	if (buf && (p = strstr(buf, "nonvoluntary_ctxt_switches:")))
		*niv = strtoul(p + 27, NULL, 10);
	free(buf);
}

static void *rq_fn(void *arg)
{
	struct rq_thread *t = arg;
	cpu_set_t set;

	t->tid = vp_gettid();
	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	/*
	 * No reading here: the thread was born inside the interval, so all of its waits are in
	 * virtprof's figure -- the one before it first ran and the one after the migration to its
	 * CPU included, which took up to 0.4 s on a loaded machine (delay0 and friends stay 0).
	 */
	/* two such threads on one CPU preempt each other; the sleeps add voluntary switches */
	for (int i = 0; i < 10; i++) {
		spin_cpu(CLOCK_THREAD_CPUTIME_ID, 30 * NSEC_PER_MSEC);
		usleep(1000);
	}
	read_task_sched(t->tid, &t->delay1, &t->nv1, &t->niv1);
	return NULL;
}

/* Run-queue delay and switch counts against the kernel's schedstat and status. */
static int test_rq_delay_vs_schedstat(void)
{
	struct rq_thread t[2] = { { .cpu = 0 }, { .cpu = 0 } };
	/* switches near the window's edges may land on either side of it (x2 in the lab) */
	uint64_t slack = (uint64_t)(3 * tolerance_scale());
	struct interval iv = { 0 };
	pthread_t th[2];
	int nth = 0, ret = 1;

	if (!ASSERT_OK(collector_restart(&coll), "reset"))
		goto cleanup;
	while (nth < 2 && ASSERT_OK(pthread_create(&th[nth], NULL, rq_fn, &t[nth]), "thread"))
		nth++;
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	if (nth < 2 || !ASSERT_OK(collector_next(&coll, &iv), "take"))
		goto cleanup;
	for (int k = 0; k < 2; k++) {
		struct vp_thread_stats st = {};

		for (int i = 0; i < iv.n; i++)
			if (iv.rows[i].key == (uint32_t)t[k].tid) {
				st.rq_delay_ns += iv.rows[i].st.rq_delay_ns;
				st.nvcsw += iv.rows[i].st.nvcsw;
				st.nivcsw += iv.rows[i].st.nivcsw;
			}
		printf("  tid %d: rq delay kernel %.3f ms virtprof %.3f ms; vcsw %lu/%u ivcsw %lu/%u\n",
		       (int)t[k].tid, (t[k].delay1 - t[k].delay0) / 1e6, st.rq_delay_ns / 1e6,
		       t[k].nv1 - t[k].nv0, st.nvcsw, t[k].niv1 - t[k].niv0, st.nivcsw);
		/* the read of /proc ends the thread's window slightly before its exit */
		if (!ASSERT_GT(t[k].delay1 - t[k].delay0, 1000000,
			       "contention measured by the kernel (ns)") ||
		    !ASSERT_WITHIN(st.rq_delay_ns, t[k].delay1 - t[k].delay0, 15.0,
				   "rq delay vs schedstat") ||
		    !ASSERT_NEAR(st.nvcsw, t[k].nv1 - t[k].nv0, slack, "voluntary switches") ||
		    !ASSERT_NEAR(st.nivcsw, t[k].niv1 - t[k].niv0, slack, "involuntary switches"))
			goto cleanup;
	}
	ret = 0;
cleanup:
	interval_free(&iv);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct test_case tests[] = {
		{ "cgroup_spin", test_cgroup_spin },
		{ "cgroup_wakeups_quiet", test_cgroup_wakeups_quiet },
		{ "cgroup_wakeups_contended", test_cgroup_wakeups_contended },
		{ "short_thread", test_short_thread },
		{ "net_rx_loopback", test_net_rx_loopback },
		{ "coverage_under_load", test_coverage_under_load },
		{ "rq_delay_vs_schedstat", test_rq_delay_vs_schedstat },
	};
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("SKIP: needs root\n");
		return SKIP;
	}
	if (account_probe_open(&probes, 0, false)) {
		printf("FAIL: cannot load the accounting probes\n");
		return 1;
	}
	if (collector_init(&coll, &probes)) {
		account_probe_close(&probes);
		return 1;
	}
	printf("flavour %s, %d possible cpus\n", probes.flavour, probes.nr_cpus);
	ret = run_tests(tests, ARRAY_SIZE(tests), argc, argv);
	collector_free(&coll);
	account_probe_close(&probes);
	return ret;
}
