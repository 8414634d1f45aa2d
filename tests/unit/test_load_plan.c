// SPDX-License-Identifier: GPL-2.0
/* Load options: parsing, bad input, conflicts; open-model schedule arithmetic. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "load/load.h"

static char err[512];

static int opt(struct load_plan *p, int o, const char *arg)
{
	err[0] = 0;
	return load_plan_parse_opt(p, o, arg, err, sizeof(err));
}

static int validate_url(const char *url)
{
	struct load_plan p;

	load_plan_init(&p);
	p.url = url;
	err[0] = 0;
	return load_plan_validate(&p, err, sizeof(err));
}

static void test_durations_need_units(void **state)
{
	struct load_plan p;

	(void)state;
	load_plan_init(&p);
	assert_int_equal(opt(&p, LOAD_OPT_DURATION, "10"), -EINVAL);
	assert_non_null(strstr(err, "unit"));
	assert_int_equal(opt(&p, LOAD_OPT_DURATION, "0s"), -EINVAL);
	assert_int_equal(opt(&p, LOAD_OPT_DURATION, "-5s"), -EINVAL);
	assert_int_equal(opt(&p, LOAD_OPT_DURATION, "1.5s"), 0);
	assert_int_equal(p.duration_ns, 1500000000ULL);
	assert_int_equal(opt(&p, LOAD_OPT_RAMP_UP, "250ms"), 0);
	assert_int_equal(p.ramp_up_ns, 250000000ULL);
	assert_int_equal(opt(&p, LOAD_OPT_THINK, "5"), -EINVAL);
	assert_int_equal(opt(&p, LOAD_OPT_WARMUP, "2m"), 0);
	assert_int_equal(p.warmup_ns, 120000000000ULL);
	assert_int_equal(opt(&p, LOAD_OPT_TIMEOUT, "0ms"), -EINVAL);
}

static void test_counts(void **state)
{
	/* refused, each with -EINVAL */
	static const struct {
		int opt;
		const char *name, *arg;
	} bad[] = {
		{ LOAD_OPT_USERS, "--users", "0" },	{ LOAD_OPT_USERS, "--users", "-3" },
		{ LOAD_OPT_USERS, "--users", "ten" },	{ LOAD_OPT_RATE, "--rate", "0" },
		{ LOAD_OPT_RATE, "--rate", "-1" },	{ LOAD_OPT_LOOPS, "--loops", "0" },
		{ LOAD_OPT_WORKERS, "--workers", "0" }, { LOAD_OPT_NETNS, "--netns", "../etc" },
	};
	struct load_plan p;

	(void)state;
	load_plan_init(&p);
	assert_int_equal(p.users, LOAD_DEFAULT_USERS);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (opt(&p, bad[i].opt, bad[i].arg) != -EINVAL)
			fail_msg("%s %s not refused: %s", bad[i].name, bad[i].arg, err);
	assert_int_equal(opt(&p, LOAD_OPT_USERS, "10000"), 0);
	assert_int_equal(p.users, 10000);
	assert_int_equal(opt(&p, LOAD_OPT_RATE, "12.5"), 0);
	assert_true(p.rate == 12.5);
	assert_int_equal(opt(&p, LOAD_OPT_LOOPS, "forever"), 0);
	assert_int_equal(p.loops, 0);
	assert_int_equal(opt(&p, LOAD_OPT_LOOPS, "7"), 0);
	assert_int_equal(p.loops, 7);
	assert_int_equal(opt(&p, LOAD_OPT_NETNS, "vp-test"), 0);
	assert_int_equal(opt(&p, LOAD_OPT_NEW_CONN, NULL), 0);
	assert_true(p.new_conn);
	assert_int_equal(opt(&p, 'x', "1"), -ENOENT);
}

static void test_urls(void **state)
{
	(void)state;
	assert_int_equal(validate_url("http://127.0.0.1:8080/"), 0);
	assert_int_equal(validate_url("https://localhost/x?y=1"), 0);
	assert_int_equal(validate_url("ftp://127.0.0.1/"), -EINVAL);
	assert_non_null(strstr(err, "scheme"));
	assert_int_equal(validate_url("gopher2://127.0.0.1/"), -EINVAL);
	assert_non_null(strstr(err, "scheme"));
	assert_int_equal(validate_url("http://"), -EINVAL);
	assert_int_equal(validate_url("not a url"), -EINVAL);
	assert_int_equal(validate_url("http://127.0.0.1:99999/"), -EINVAL);
	assert_int_equal(validate_url(""), -EINVAL);
}

/*
 * Options given together on http://127.0.0.1/ (each must parse): what validation says, a word its
 * error must name, and, when valid, the duration it leaves.  A failure names the case.
 */
static void test_conflicts_and_defaults(void **state)
{
	static const struct {
		const char *name;
		struct {
			int opt;
			const char *arg;
		} o[2];
		int want;
		const char *err_has;
		uint64_t duration_ns;
	} c[] = {
		{ "nothing bounds it: 10 s", {}, 0, NULL, LOAD_DEFAULT_DURATION_NS },
		{ "loops bound it", { { LOAD_OPT_LOOPS, "3" } }, 0, NULL, 0 },
		{ "rate with users",
		  { { LOAD_OPT_RATE, "100" }, { LOAD_OPT_USERS, "5" } },
		  -EINVAL,
		  "--users" },
		{ "rate with think",
		  { { LOAD_OPT_RATE, "100" }, { LOAD_OPT_THINK, "1s" } },
		  -EINVAL },
		{ "max-inflight without rate",
		  { { LOAD_OPT_MAX_INFLIGHT, "5" } },
		  -EINVAL,
		  "--rate" },
		{ "warm-up as long as the duration",
		  { { LOAD_OPT_DURATION, "5s" }, { LOAD_OPT_WARMUP, "5s" } },
		  -EINVAL },
		{ "ramp-up longer than the duration",
		  { { LOAD_OPT_DURATION, "5s" }, { LOAD_OPT_RAMP_UP, "6s" } },
		  -EINVAL },
		{ "rate alone", { { LOAD_OPT_RATE, "100" } }, 0, NULL, LOAD_DEFAULT_DURATION_NS },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct load_plan p;
		int rc;

		load_plan_init(&p);
		p.url = "http://127.0.0.1/";
		for (size_t k = 0; k < 2 && c[i].o[k].arg; k++)
			if (opt(&p, c[i].o[k].opt, c[i].o[k].arg))
				fail_msg("%s: option %d '%s' did not parse: %s", c[i].name,
					 c[i].o[k].opt, c[i].o[k].arg, err);
		err[0] = 0;
		rc = load_plan_validate(&p, err, sizeof(err));
		if (rc != c[i].want)
			fail_msg("%s: validate %d, want %d (%s)", c[i].name, rc, c[i].want, err);
		if (c[i].err_has && !strstr(err, c[i].err_has))
			fail_msg("%s: error '%s' does not name %s", c[i].name, err, c[i].err_has);
		if (!rc && p.duration_ns != c[i].duration_ns)
			fail_msg("%s: duration %llu ns, want %llu", c[i].name,
				 (unsigned long long)p.duration_ns,
				 (unsigned long long)c[i].duration_ns);
	}
}

static void test_schedule(void **state)
{
	(void)state;
	/* t0 + i/R, exact to the ns */
	assert_int_equal(load_sched_ns(0, 1000, 1000), 1000000000ULL);
	assert_int_equal(load_sched_ns(5, 1000, 1), 1000005ULL);
	assert_int_equal(load_sched_ns(0, 3, 1), 333333333ULL);
	assert_int_equal(load_sched_ns(0, 3, 2), 666666666ULL);
	assert_int_equal(load_sched_ns(0, 0.5, 3), 6000000000ULL);
	/* a day at 1M/s: no drift */
	assert_int_equal(load_sched_ns(0, 1e6, 86400000000ULL), 86400000000000ULL);
	/* how many sends fall before the end: 0, 1/3, 2/3 s of a 1 s run at 3/s */
	assert_int_equal(load_sched_count(3, 1000000000ULL), 3);
	assert_int_equal(load_sched_count(3, 1000000001ULL), 4);
	assert_int_equal(load_sched_count(1000, 1000000000ULL), 1000);
	assert_int_equal(load_sched_count(1000, 999999999ULL), 1000);
	assert_int_equal(load_sched_count(1000, 1ULL), 1);
	assert_int_equal(load_sched_count(1000, 0), 0);
	assert_int_equal(load_sched_count(0.5, 10000000000ULL), 5);
	/* workers split the global schedule with nothing lost or doubled */
	assert_int_equal(load_sched_share(10, 0, 3), 4);
	assert_int_equal(load_sched_share(10, 1, 3), 3);
	assert_int_equal(load_sched_share(10, 2, 3), 3);
	assert_int_equal(load_sched_share(2, 2, 3), 0);
	for (uint64_t c = 0; c < 200; c++)
		for (unsigned n = 1; n < 9; n++) {
			uint64_t sum = 0;

			for (unsigned w = 0; w < n; w++)
				sum += load_sched_share(c, w, n);
			assert_int_equal(sum, c);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations_need_units),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_conflicts_and_defaults),
		cmocka_unit_test(test_schedule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
