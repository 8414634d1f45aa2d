// SPDX-License-Identifier: GPL-2.0
/* The load generator's latency histogram: 3 significant digits, percentiles, merge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <math.h>
#include <cmocka.h>

#include "load/hist.h"

static uint64_t lcg = 0x9e3779b97f4a7c15ULL;

static double urand(void)
{
	lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(lcg >> 11) / 9007199254740992.0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* exact percentile of sorted v by the same rule: the ceil(p% * n)-th smallest */
static uint64_t exact_pct(const uint64_t *v, size_t n, double p)
{
	size_t k = (size_t)ceil(p / 100.0 * (double)n);

	return v[k ? k - 1 : 0];
}

static void assert_within_rel(uint64_t got, uint64_t want, double rel)
{
	double d = fabs((double)got - (double)want);

	if (d > rel * (double)want + 1) {
		print_error("got %llu want %llu (rel %.6f)\n", (unsigned long long)got,
			    (unsigned long long)want, d / (double)want);
		fail();
	}
}

static void test_bucket_precision(void **state)
{
	struct hist h;

	(void)state;
	assert_int_equal(hist_init(&h, 3), 0);
	/* every value lands in a bucket that contains it and is at most 1/1024 of it wide */
	for (int i = 0; i < 200000; i++) {
		uint64_t v = (uint64_t)exp(urand() * log((double)HIST_MAX_NS));
		int idx = hist_index(&h, v);
		uint64_t lo = hist_bucket_lo(&h, idx), hi = hist_bucket_hi(&h, idx);

		assert_true(idx >= 0 && idx < h.counts_len);
		assert_true(lo <= v && v <= hi);
		assert_true((double)(hi - lo + 1) <= (double)lo / 1000.0 + 1);
	}
	/* the top of the range still has a bucket */
	assert_true(hist_index(&h, HIST_MAX_NS) < h.counts_len);
	hist_free(&h);
}

static void test_percentiles_known(void **state)
{
	const size_t n = 100000;
	uint64_t *v = malloc(n * sizeof(*v));
	struct hist h;
	const double ps[] = { 1, 25, 50, 90, 99, 99.9, 100 };

	(void)state;
	assert_int_equal(hist_init(&h, 3), 0);
	/* exponential latencies, mean 2 ms, plus a 1 us floor */
	for (size_t i = 0; i < n; i++) {
		v[i] = 1000 + (uint64_t)(-log(1 - urand()) * 2e6);
		hist_record(&h, v[i]);
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
		assert_within_rel(hist_percentile(&h, ps[i]), exact_pct(v, n, ps[i]), 0.001);
	assert_int_equal(h.min, v[0]);
	assert_int_equal(h.max, v[n - 1]);
	assert_int_equal(h.total, n);
	free(v);
	hist_free(&h);
}

static void test_uniform_and_moments(void **state)
{
	struct hist h;
	double sum = 0, sumsq = 0;

	(void)state;
	assert_int_equal(hist_init(&h, 3), 0);
	/* 1..10000 us, each once: p50 = 5000 us, p99 = 9900 us to 3 digits */
	for (uint64_t us = 1; us <= 10000; us++) {
		hist_record(&h, us * 1000);
		sum += us * 1000.0;
		sumsq += us * 1000.0 * us * 1000.0;
	}
	assert_within_rel(hist_percentile(&h, 50), 5000000, 0.001);
	assert_within_rel(hist_percentile(&h, 99), 9900000, 0.001);
	assert_within_rel(hist_percentile(&h, 99.9), 9990000, 0.001);
	assert_true(fabs(hist_mean(&h) - sum / 10000) < 1e-6 * sum / 10000);
	assert_true(fabs(hist_stddev(&h) - sqrt(sumsq / 10000 - (sum / 10000) * (sum / 10000))) <
		    1.0);
	hist_free(&h);
}

static void test_merge(void **state)
{
	struct hist a, b, all, two;

	(void)state;
	assert_int_equal(hist_init(&a, 3), 0);
	assert_int_equal(hist_init(&b, 3), 0);
	assert_int_equal(hist_init(&all, 3), 0);
	assert_int_equal(hist_init(&two, 2), 0);
	for (int i = 0; i < 50000; i++) {
		uint64_t v = 1000 + (uint64_t)(urand() * 1e9);

		hist_record(i % 3 ? &a : &b, v);
		hist_record(&all, v);
	}
	assert_int_equal(hist_merge(&a, &b), 0);
	assert_int_equal(a.total, all.total);
	assert_int_equal(a.min, all.min);
	assert_int_equal(a.max, all.max);
	for (int i = 0; i < a.counts_len; i++)
		assert_int_equal(a.counts[i], all.counts[i]);
	assert_int_equal(hist_percentile(&a, 99), hist_percentile(&all, 99));
	/* different precisions do not mix */
	assert_int_equal(hist_merge(&two, &a), -EINVAL);
	hist_free(&a);
	hist_free(&b);
	hist_free(&all);
	hist_free(&two);
}

static void test_range_and_empty(void **state)
{
	struct hist h;

	(void)state;
	assert_int_equal(hist_init(&h, 3), 0);
	assert_int_equal(hist_percentile(&h, 50), 0);
	assert_true(isnan(hist_mean(&h)));
	hist_record(&h, 2 * HIST_MAX_NS); /* beyond 1 h clamps to 1 h */
	hist_record(&h, 1000);		  /* 1 us */
	assert_int_equal(h.max, HIST_MAX_NS);
	assert_int_equal(hist_percentile(&h, 100), HIST_MAX_NS);
	assert_int_equal(hist_percentile(&h, 50), 1000);
	hist_reset(&h);
	assert_int_equal(h.total, 0);
	hist_free(&h);
}

static void test_two_digits(void **state)
{
	struct hist h;

	(void)state;
	assert_int_equal(hist_init(&h, 2), 0);
	for (uint64_t us = 1; us <= 1000; us++)
		hist_record(&h, us * 1000);
	assert_within_rel(hist_percentile(&h, 50), 500000, 0.01);
	assert_within_rel(hist_percentile(&h, 99), 990000, 0.01);
	hist_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_precision),
		cmocka_unit_test(test_percentiles_known),
		cmocka_unit_test(test_uniform_and_moments),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_range_and_empty),
		cmocka_unit_test(test_two_digits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
