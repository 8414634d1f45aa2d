// SPDX-License-Identifier: GPL-2.0
/*
 * serve's totals and exposition without root: the top N of `other` stays bounded and every
 * counter only grows while names come and go; light mode's sources; label escaping; /proc/stat
 * steal parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "io/iosec.h"
#include "report/metrics.h"
#include "session/totals.h"
#include "sys/procfs.h"

static void row(struct agg *a, const char *entity, const char *role, uint64_t task_ns)
{
	struct agg_row *r = &a->rows[a->n++];

	memset(r, 0, sizeof(*r));
	snprintf(r->entity, sizeof(r->entity), "%s", entity);
	snprintf(r->role, sizeof(r->role), "%s", role);
	r->target = -1;
	r->st.task_ns = task_ns;
	r->st.nvcsw = 1;
}

static uint64_t cpu_of(const struct totals *t, const char *entity, const char *role)
{
	for (int i = 0; i < t->ncpu; i++)
		if (!strcmp(t->cpu[i].key.entity, entity) && !strcmp(t->cpu[i].key.role, role))
			return t->cpu[i].task_ns;
	return UINT64_MAX;
}

static int count_other(const struct totals *t)
{
	int n = 0;

	for (int i = 0; i < t->ncpu; i++)
		n += !strcmp(t->cpu[i].key.entity, "other");
	return n;
}

/* 2,000 distinct short-lived names, 3 steady busy ones: at most N + 1 rows of other. */
static void test_other_bounded_and_monotonic(void **state)
{
	static struct capture c;
	struct totals t;
	uint64_t rest = 0, busy = 0;

	(void)state;
	totals_init(&t, 5, 30 * NSEC_PER_SEC);
	for (int k = 0; k < 200; k++) {
		struct capture_interval ci = {};
		char name[32];

		ci.agg.rows = calloc(16, sizeof(*ci.agg.rows));
		ci.iv.mono_start_ns = (uint64_t)k * NSEC_PER_SEC + 1;
		ci.iv.mono_end_ns = ci.iv.mono_start_ns + NSEC_PER_SEC;
		row(&ci.agg, "other", "busy1", 500000000);
		row(&ci.agg, "other", "busy2", 300000000);
		row(&ci.agg, "profiler", "control", 1000);
		for (int j = 0; j < 10; j++) {
			snprintf(name, sizeof(name), "short%d", k * 10 + j);
			row(&ci.agg, "other", name, 1000000 + j);
		}
		assert_int_equal(totals_add(&t, &c, &ci), 0);
		free(ci.agg.rows);
		assert_true(count_other(&t) <= 5 + 1);
		/* the busy ones are always named; the remainder only grows */
		assert_true(cpu_of(&t, "other", "busy1") >= busy);
		busy = cpu_of(&t, "other", "busy1");
		if (cpu_of(&t, "other", TOTALS_OTHER_REST) != UINT64_MAX) {
			assert_true(cpu_of(&t, "other", TOTALS_OTHER_REST) >= rest);
			rest = cpu_of(&t, "other", TOTALS_OTHER_REST);
		}
	}
	assert_int_equal(cpu_of(&t, "other", "busy1"), 200ULL * 500000000);
	assert_true(rest > 0);
	/* nothing is lost: named + remainder = everything other ran */
	{
		uint64_t sum = 0;

		for (int i = 0; i < t.ncpu; i++)
			if (!strcmp(t.cpu[i].key.entity, "other"))
				sum += t.cpu[i].task_ns;
		assert_true(sum <= 200ULL * (800000000 + 10 * 1000000 + 45));
		assert_true(t.evicted > 0);
	}
	totals_free(&t);
}

/* A series idle for the grace period is dropped; --top-other 0 puts all of other in (rest). */
static void test_grace_and_top_zero(void **state)
{
	static struct capture c;
	struct totals t;

	(void)state;
	totals_init(&t, 0, 3 * NSEC_PER_SEC);
	for (int k = 0; k < 10; k++) {
		struct capture_interval ci = {};

		ci.agg.rows = calloc(4, sizeof(*ci.agg.rows));
		ci.iv.mono_start_ns = (uint64_t)k * NSEC_PER_SEC + 1;
		ci.iv.mono_end_ns = ci.iv.mono_start_ns + NSEC_PER_SEC;
		if (k == 0)
			row(&ci.agg, "ctr:gone", "app", 10);
		row(&ci.agg, "other", "nginx", 10);
		assert_int_equal(totals_add(&t, &c, &ci), 0);
		free(ci.agg.rows);
		if (k < 3)
			assert_int_equal(cpu_of(&t, "ctr:gone", "app"), 10);
	}
	assert_int_equal(cpu_of(&t, "ctr:gone", "app"), UINT64_MAX);
	assert_int_equal(cpu_of(&t, "other", "nginx"), UINT64_MAX);
	assert_int_equal(cpu_of(&t, "other", TOTALS_OTHER_REST), 100);
	totals_free(&t);
}

static void test_render(void **state)
{
	static struct capture c;
	struct capture_interval ci = {};
	struct metrics_text m;
	struct totals t;

	(void)state;
	totals_init(&t, 5, 30 * NSEC_PER_SEC);
	ci.agg.rows = calloc(2, sizeof(*ci.agg.rows));
	ci.iv.mono_start_ns = 1;
	ci.iv.mono_end_ns = 1 + NSEC_PER_SEC;
	ci.iv.real_end_ns = 1700000000ULL * NSEC_PER_SEC;
	ci.iv.span_ns = 2 * NSEC_PER_SEC;
	ci.iv.busy_ns = ci.iv.idle_ns = NSEC_PER_SEC;
	row(&ci.agg, "ctr:web", "app", 1500000000);
	assert_int_equal(totals_add(&t, &c, &ci), 0);
	free(ci.agg.rows);
	assert_int_equal(metrics_render(&t, &c, "h\"1", &m), 0);
	assert_non_null(strstr(m.buf,
			       "virtprof_cpu_seconds_total{host=\"h\\\"1\",entity=\"ctr:web\","
			       "role=\"app\",kind=\"container\",context=\"task\"} 1.500000000 "
			       "1700000000000\n"));
	assert_non_null(strstr(m.buf, "virtprof_coverage_ratio{host=\"h\\\"1\"} 1 "));
	/* no I/O sections: their families are absent, and say so */
	assert_null(strstr(m.buf, "virtprof_net_packets_total"));
	assert_non_null(strstr(m.buf, "virtprof_source_available{host=\"h\\\"1\",source=\"net\","
				      "reason=\"I/O programs not loaded (--no-io)\"} 0"));
	metrics_text_free(&m);
	totals_free(&t);
}

/* --light: softirq, hardirq, stacks and the I/O sources 0 with the reason, their series absent */
static void test_render_light(void **state)
{
	static struct capture c;
	struct iosec_opts io = { .net = true,
				 .block = true,
				 .kvm = true,
				 .off = VP_NA_LIT(VP_NA_LIGHT, CAPTURE_LIGHT_IO_NA) };
	struct capture_interval ci = {};
	struct metrics_text m;
	struct totals t;

	(void)state;
	c.light = c.mode.light = true;
	vp_na_set(&c.stacks_na, VP_NA_LIGHT, "%s", CAPTURE_LIGHT_STACKS_NA);
	vp_na_set(&c.irq_na, VP_NA_LIGHT, "%s", CAPTURE_LIGHT_IRQ_NA);
	assert_int_equal(iosec_open(&c.io, &io), 0); /* loads nothing: every part off */
	totals_init(&t, 5, 30 * NSEC_PER_SEC);
	ci.agg.rows = calloc(2, sizeof(*ci.agg.rows));
	ci.iv.mono_start_ns = 1;
	ci.iv.mono_end_ns = 1 + NSEC_PER_SEC;
	ci.iv.span_ns = 2 * NSEC_PER_SEC;
	row(&ci.agg, "ctr:web", "app", 1500000000);
	assert_int_equal(totals_add(&t, &c, &ci), 0);
	free(ci.agg.rows);
	assert_int_equal(metrics_render(&t, &c, "h", &m), 0);
	assert_non_null(strstr(m.buf, ",accounting=\"light\"} 1"));
	assert_non_null(strstr(m.buf, "source=\"softirq\",reason=\"" CAPTURE_LIGHT_IRQ_NA "\"} 0"));
	assert_non_null(strstr(m.buf, "source=\"hardirq\",reason=\"" CAPTURE_LIGHT_IRQ_NA "\"} 0"));
	assert_non_null(
		strstr(m.buf, "source=\"stacks\",reason=\"" CAPTURE_LIGHT_STACKS_NA "\"} 0"));
	assert_non_null(strstr(m.buf, "source=\"net\",reason=\"" CAPTURE_LIGHT_IO_NA "\"} 0"));
	assert_non_null(strstr(m.buf, "source=\"kvm\",reason=\"" CAPTURE_LIGHT_IO_NA "\"} 0"));
	assert_null(strstr(m.buf, "context=\"softirq\""));
	assert_null(strstr(m.buf, "virtprof_net_packets_total"));
	assert_null(strstr(m.buf, "virtprof_drops_total{host=\"h\",source=\"net\""));
	metrics_text_free(&m);
	totals_free(&t);
	iosec_destroy(c.io);
}

static void test_escape(void **state)
{
	char out[64];

	(void)state;
	metrics_escape("a\"b\\c\nd\x01\xc3", out, sizeof(out));
	assert_string_equal(out, "a\\\"b\\\\c\\nd??");
	metrics_escape("0123456789", out, 6);
	assert_true(strlen(out) < 6);
}

static void test_steal(void **state)
{
	uint64_t s[4] = {};

	(void)state;
	assert_int_equal(proc_parse_steal("cpu  1 2 3 4 5 6 7 99 0 0\n"
					  "cpu0 1 2 3 4 5 6 7 40 0 0\n"
					  "cpu1 1 2 3 4 5 6 7 59 0 0\n"
					  "intr 5 6 7\n",
					  s, 4),
			 2);
	assert_int_equal(s[0], 40);
	assert_int_equal(s[1], 59);
	assert_int_equal(proc_parse_steal("cpu0 1 2 3\n", s, 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_other_bounded_and_monotonic),
		cmocka_unit_test(test_grace_and_top_zero),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_light),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_steal),
	};

	return cmocka_run_group_tests_name("totals", tests, NULL, NULL);
}
