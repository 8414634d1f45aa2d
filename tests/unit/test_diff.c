// SPDX-License-Identifier: GPL-2.0
/* virtprof diff without a machine: --fail-if parsing, matching, the uncertainty and the gates. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "report/diff.h"
#include "report/doc.h"

static void test_gate_parse(void **state)
{
	struct diff_gate g;
	char msg[256];

	(void)state;
	assert_int_equal(diff_parse_gate("virt_us>+10%", &g, msg, sizeof(msg)), 0);
	assert_int_equal(g.metric, DM_VIRT);
	assert_int_equal(g.op, '>');
	assert_true(g.pct);
	assert_true(g.limit == 10);
	assert_int_equal(diff_parse_gate(" req_per_s < -5 % ", &g, msg, sizeof(msg)), 0);
	assert_int_equal(g.metric, DM_RPS);
	assert_true(g.limit == -5 && g.pct && g.op == '<');
	assert_int_equal(diff_parse_gate("p99_ms>2.5", &g, msg, sizeof(msg)), 0);
	assert_true(g.limit == 2.5 && !g.pct);
	const char *bad[] = {
		"",	     "virt_us",	     "virt>10%",      "virt_us>=10%", "virt_us>",
		"virt_us>x", "virt_us>10%%", "virt_us>10 ms", "virt_us>nan",  ">10%"
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg[0] = 0;
		assert_int_equal(diff_parse_gate(bad[i], &g, msg, sizeof(msg)), -22);
		assert_non_null(strstr(msg, "--fail-if"));
	}
}

/*
 * A session of one step whose target has own CPU per interval of own[k] ns for 1000 requests a
 * second: the comparison's own_us is the mean.
 */
static json_t *session(double own_us, const double *own_ns, int n, const char *target)
{
	json_t *tl = json_array(), *lt = json_array();

	for (int k = 0; k < n; k++) {
		json_array_append_new(tl, json_pack("{s:f,s:I,s:f,s:b,s:[{s:s,s:s,s:f}]}", "t_s",
						    k + 1.0, "mono_ns",
						    (json_int_t)(k + 1) * 1000000000, "interval_s",
						    1.0, "warmup", 0, "entities", "entity", target,
						    "role", "app", "busy_ns", own_ns[k]));
		json_array_append_new(lt, json_pack("{s:i,s:I,s:b,s:i,s:f}", "sec", k, "mono_ns",
						    (json_int_t)k * 1000000000, "warmup", 0,
						    "requests", 1000, "p99_us", 500.0));
	}
	return json_pack("{s:s,s:f,s:[{s:s,s:s,s:{s:f,s:o},s:o}],s:[{s:s,s:s,s:f,s:f,s:f,s:f,s:f,"
			 "s:f,s:f}]}",
			 "schema", SESSION_SCHEMA, "interval_s", 1.0, "steps", "label", "run",
			 "target", target, "load", "elapsed_s", (double)n, "timeline", lt,
			 "timeline", tl, "comparison", "step", "run", "target", target,
			 "loadgen_us", 10.0, "own_us", own_us, "virt_us", 0.0, "path_us", 1.0,
			 "other_us", 5.0, "p99_ms", 0.5, "req_per_s", 1000.0);
}

static const struct diff_row *row(const struct diff *d, enum diff_metric m)
{
	for (int i = 0; i < d->n; i++)
		if (d->rows[i].metric == m)
			return &d->rows[i];
	return NULL;
}

static void test_diff_uncertainty_and_gates(void **state)
{
	/* A: own 20 +- 1 us/request; B1: 20.5 (within); B2: 30 (beyond) */
	const double a_ns[] = { 19000000, 21000000, 20000000, 20000000 };
	const double b1_ns[] = { 19500000, 21500000, 20500000, 20500000 };
	const double b2_ns[] = { 29000000, 31000000, 30000000, 30000000 };
	json_t *a = session(20, a_ns, 4, "ctr:x"), *b1 = session(20.5, b1_ns, 4, "ctr:x");
	json_t *b2 = session(30, b2_ns, 4, "ctr:x"), *other = session(20, a_ns, 4, "ctr:y");
	struct diff d = { 0 };
	char msg[512];
	const struct diff_row *r;

	(void)state;
	assert_int_equal(diff_parse_gate("own_us>+10%", &d.gates[0], msg, sizeof(msg)), 0);
	d.ngates = 1;
	assert_int_equal(diff_sessions(a, b1, &d, msg, sizeof(msg)), 0);
	r = row(&d, DM_OWN);
	assert_non_null(r);
	/* sd of 19,21,20,20 = 0.8165; se = 0.408; u = 2 sqrt(se_a^2 + se_b^2) */
	assert_true(fabs(r->ua - 0.8164966 / 2) < 1e-3);
	assert_true(fabs(r->u - 2 * sqrt(2) * 0.8164966 / 2) < 1e-3);
	assert_int_equal(r->changed, 0);
	assert_int_equal(diff_gates(&d), 0);
	diff_free(&d);

	assert_int_equal(diff_sessions(a, b2, &d, msg, sizeof(msg)), 0);
	r = row(&d, DM_OWN);
	assert_int_equal(r->changed, 1);
	assert_true(fabs(r->pct - 50) < 1e-9);
	assert_int_equal(diff_gates(&d), 1);
	assert_int_equal(d.gates[0].violations, 1);
	/* a figure with no spread (one value per interval, all equal) and no change: within */
	assert_int_equal(row(&d, DM_P99)->changed, 0);
	diff_free(&d);

	/* the figure's own spread: A against itself has every change within, u > 0 */
	assert_int_equal(diff_sessions(a, a, &d, msg, sizeof(msg)), 0);
	assert_true(row(&d, DM_OWN)->u > 0);
	assert_int_equal(row(&d, DM_OWN)->changed, 0);
	diff_free(&d);

	assert_int_equal(diff_sessions(a, other, &d, msg, sizeof(msg)), -22);
	assert_non_null(strstr(msg, "do not match"));
	diff_free(&d);
	json_decref(a);
	json_decref(b1);
	json_decref(b2);
	json_decref(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gate_parse),
		cmocka_unit_test(test_diff_uncertainty_and_gates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
