/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small test_progs-style harness for the root BPF tests: each test is a function returning
 * 0 pass / 1 fail / SKIP; assertions log the expression and both values.  The binary exits 0
 * when all passed (or skipped), 77 when everything skipped, 1 otherwise.
 */
#ifndef VP_TEST_HARNESS_H
#define VP_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SKIP 77

#define ASSERT_TRUE(cond, fmt, ...)                                                           \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "  %s:%d: assertion failed: %s: " fmt "\n", __func__, \
				__LINE__, #cond, ##__VA_ARGS__);                              \
			return 1;                                                             \
		}                                                                             \
	} while (0)

/* |got - want| <= pct% of want */
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

#define ASSERT_WITHIN(got, want, pct, what)                                                   \
	ASSERT_TRUE(((double)(got) - (double)(want)) <=                                       \
				    (double)(want) * (pct)*tolerance_scale() / 100.0 &&       \
			    ((double)(want) - (double)(got)) <=                               \
				    (double)(want) * (pct)*tolerance_scale() / 100.0,         \
		    "%s: got %.0f, want %.0f +- %.1f%%", what, (double)(got), (double)(want), \
		    (double)(pct)*tolerance_scale())

#define TEST_SKIP(fmt, ...)                                 \
	do {                                                \
		printf("  SKIP: " fmt "\n", ##__VA_ARGS__); \
		return SKIP;                                \
	} while (0)

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
		printf("[ RUN  ] %s\n", tc[i].name);
		fflush(stdout);
		r = tc[i].fn();
		if (r == 0)
			pass++;
		else if (r == SKIP)
			skip++;
		else
			fail++;
		printf("[ %s ] %s\n", r == 0 ? "OK  " : r == SKIP ? "SKIP" : "FAIL", tc[i].name);
		fflush(stdout);
	}
	printf("%d passed, %d failed, %d skipped\n", pass, fail, skip);
	if (fail)
		return 1;
	return pass ? 0 : SKIP;
}

#endif
