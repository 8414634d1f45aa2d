/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small test_progs-style harness for the root BPF tests: each test is a function returning
 * 0 pass / 1 fail / SKIP.  The binary exits 0 when all passed (or skipped), 77 when everything
 * skipped, 1 otherwise.
 *
 * An ASSERT_* logs the expression, what it got and what it wanted when it fails, and evaluates
 * to whether it held -- it never returns from the test, so a test reads
 *
 *	int ret = 1;
 *	...make things (cgroups, children, threads, intervals, probes, files)...
 *	if (!ASSERT_EQ(got, want, "what"))
 *		goto cleanup;
 *	ret = 0;
 * cleanup:
 *	...remove what it made...
 *	return ret;
 *
 * (tools/testing/selftests/bpf/test_progs.h does the same).  Operands are evaluated once.
 */
#ifndef VP_TEST_HARNESS_H
#define VP_TEST_HARNESS_H

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SKIP 77

static inline void __attribute__((format(printf, 3, 4)))
test_fail(const char *func, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  %s:%d: assertion failed: ", func, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * An operand as text, whatever its arithmetic type: a long double holds every 64-bit integer
 * exactly, so a count prints whole and a ratio with its fraction.
 */
static inline const char *test_val(char *b, long double v)
{
	snprintf(b, 32, v == truncl(v) ? "%.0Lf" : "%.6Lg", v);
	return b;
}

#define ASSERT_TRUE(cond, fmt, ...)                                                      \
	({                                                                               \
		bool ___ok = !!(cond);                                                   \
		if (!___ok)                                                              \
			test_fail(__func__, __LINE__, "%s: " fmt, #cond, ##__VA_ARGS__); \
		___ok;                                                                   \
	})

/* got OP want, both logged on failure; compared in their common type, as `got OP want` is */
#define ASSERT_OP(got, op, want, fmt, ...)                                                      \
	({                                                                                      \
		__typeof__((got) + (want)) ___g = (got), ___w = (want);                         \
		bool ___ok = ___g op ___w;                                                      \
		char ___gb[32], ___wb[32];                                                      \
		if (!___ok)                                                                     \
			test_fail(__func__, __LINE__,                                           \
				  "%s " #op " %s: got %s, want " #op " %s: " fmt, #got, #want,  \
				  test_val(___gb, ___g), test_val(___wb, ___w), ##__VA_ARGS__); \
		___ok;                                                                          \
	})

#define ASSERT_EQ(got, want, fmt, ...) ASSERT_OP(got, ==, want, fmt, ##__VA_ARGS__)
#define ASSERT_GE(got, want, fmt, ...) ASSERT_OP(got, >=, want, fmt, ##__VA_ARGS__)
#define ASSERT_GT(got, want, fmt, ...) ASSERT_OP(got, >, want, fmt, ##__VA_ARGS__)
#define ASSERT_LE(got, want, fmt, ...) ASSERT_OP(got, <=, want, fmt, ##__VA_ARGS__)

/* A call that returns 0 or -errno (or a shell's exit status): 0 wanted. */
#define ASSERT_OK(expr, fmt, ...)                                                              \
	({                                                                                     \
		long long ___r = (expr);                                                       \
		if (___r)                                                                      \
			test_fail(__func__, __LINE__, "%s: returned %lld%s%s%s, want 0: " fmt, \
				  #expr, ___r, ___r < 0 ? " (" : "",                           \
				  ___r < 0 ? strerror((int)-___r) : "", ___r < 0 ? ")" : "",   \
				  ##__VA_ARGS__);                                              \
		!___r;                                                                         \
	})

/* |got - want| <= tol, in integers (no wrap-around below 0) */
#define ASSERT_NEAR(got, want, tol, fmt, ...)                                                  \
	({                                                                                     \
		__typeof__((got) + (want) + (tol)) ___g = (got), ___w = (want), ___t = (tol);  \
		bool ___ok = ___g + ___t >= ___w && ___g <= ___w + ___t;                       \
		char ___gb[32], ___wb[32], ___tb[32];                                          \
		if (!___ok)                                                                    \
			test_fail(__func__, __LINE__, "%s: got %s, want %s +- %s: " fmt, #got, \
				  test_val(___gb, ___g), test_val(___wb, ___w),                \
				  test_val(___tb, ___t), ##__VA_ARGS__);                       \
		___ok;                                                                         \
	})

/*
 * Inside the kernel lab's emulated hosts (docs/lab.md) every context switch and interrupt costs
 * ~100x a real host's, so the few hundred instructions between the scheduler's own accounting
 * (update_curr) and the sched_switch tracepoint weigh percent, not per mille: the lab sets
 * VIRTPROF_TEST_TOLERANCE_SCALE (2) and says so; on a real host it is 1.
 */
static inline double tolerance_scale(void)
{
	const char *s = getenv("VIRTPROF_TEST_TOLERANCE_SCALE");
	double v = s ? atof(s) : 1.0;

	return v >= 1.0 ? v : 1.0;
}

/* |got - want| <= pct% of want (times the tolerance scale) */
#define ASSERT_WITHIN(got, want, pct, what)                                                      \
	({                                                                                       \
		double ___g = (got), ___w = (want), ___p = (double)(pct)*tolerance_scale();      \
		bool ___ok = ___g - ___w <= ___w * ___p / 100.0 &&                               \
			     ___w - ___g <= ___w * ___p / 100.0;                                 \
		if (!___ok)                                                                      \
			test_fail(__func__, __LINE__, "%s: got %.0f, want %.0f +- %.1f%%", what, \
				  ___g, ___w, ___p);                                             \
		___ok;                                                                           \
	})

/* A test that cannot run here: says why and evaluates to SKIP (`ret = test_skip(...)`). */
static inline int __attribute__((format(printf, 1, 2))) test_skip(const char *fmt, ...)
{
	va_list ap;

	printf("  SKIP: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return SKIP;
}

/* Before a test made anything: skip at once. */
#define TEST_SKIP(fmt, ...) return test_skip(fmt, ##__VA_ARGS__)

struct test_case {
	const char *name;
	int (*fn)(void);
};

static inline int run_tests(const struct test_case *tc, int n, int argc, char **argv)
{
	int pass = 0, fail = 0, skip = 0;

	for (int i = 0; i < n; i++) {
		int r;

		if (argc > 1 && !strstr(tc[i].name, argv[1]))
			continue;
		struct timespec t0, t1;

		printf("[ RUN  ] %s\n", tc[i].name);
		fflush(stdout);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = tc[i].fn();
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (r == 0)
			pass++;
		else if (r == SKIP)
			skip++;
		else
			fail++;
		/* each case's time: the lab runs these 5-8 times slower, and its minutes are counted */
		printf("[ %s ] %s (%.1fs)\n", r == 0 ? "OK  " : r == SKIP ? "SKIP" : "FAIL", tc[i].name,
		       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
		fflush(stdout);
	}
	printf("%d passed, %d failed, %d skipped\n", pass, fail, skip);
	if (fail)
		return 1;
	return pass ? 0 : SKIP;
}

#endif
