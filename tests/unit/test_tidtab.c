// SPDX-License-Identifier: GPL-2.0
/*
 * The tid table behind the collector's thread facts and the attributor's verdicts: lookups,
 * growth that keeps it at most half full, rebuilds that drop what the owner no longer keeps and
 * shrink to fit, and the refusals (tid 0, a full table, a bad size).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sys/tidtab.h"

struct ent {
	uint32_t tid;
	uint32_t val;
	char pad[24];
};

/* keep the tids below *ctx */
static bool keep_below(const void *entry, void *ctx)
{
	return ((const struct ent *)entry)->tid < *(uint32_t *)ctx;
}

static void test_put_get(void **state)
{
	struct tidtab t;
	struct ent *e;

	(void)state;
	assert_int_equal(tidtab_init(&t, sizeof(struct ent), 8, NULL, NULL), 0);
	assert_null(tidtab_get(&t, 5));
	e = tidtab_put(&t, 5);
	assert_non_null(e);
	assert_int_equal(e->tid, 5);
	assert_int_equal(e->val, 0);
	e->val = 50;
	/* a second put finds the same entry, untouched */
	assert_ptr_equal(tidtab_put(&t, 5), e);
	assert_int_equal(((struct ent *)tidtab_get(&t, 5))->val, 50);
	assert_int_equal(t.n, 1);
	/* tid 0 marks an empty slot: never stored, never found */
	assert_null(tidtab_put(&t, 0));
	assert_null(tidtab_get(&t, 0));
	assert_int_equal(t.n, 1);
	tidtab_free(&t);
}

/* put refuses past half full instead of filling the table; reserve makes the room */
static void test_half_full(void **state)
{
	struct tidtab t;

	(void)state;
	assert_int_equal(tidtab_init(&t, sizeof(struct ent), 8, NULL, NULL), 0);
	for (uint32_t tid = 1; tid <= 4; tid++)
		assert_non_null(tidtab_put(&t, tid));
	assert_null(tidtab_put(&t, 5));
	assert_int_equal(t.n, 4);
	assert_int_equal(tidtab_reserve(&t, 1), 0);
	assert_true(t.cap >= 16);
	assert_non_null(tidtab_put(&t, 5));
	for (uint32_t tid = 1; tid <= 5; tid++)
		assert_int_equal(((struct ent *)tidtab_get(&t, tid))->tid, tid);
	tidtab_free(&t);
}

/* 12,000 threads (a busy host) in batches, as the collector drains the map */
static void test_many(void **state)
{
	struct tidtab t;

	(void)state;
	assert_int_equal(tidtab_init(&t, sizeof(struct ent), 4096, NULL, NULL), 0);
	for (uint32_t base = 0; base < 12000; base += 4000) {
		assert_int_equal(tidtab_reserve(&t, 4000), 0);
		for (uint32_t i = 0; i < 4000; i++) {
			struct ent *e = tidtab_put(&t, 1 + (base + i) * 7);

			assert_non_null(e);
			e->val = base + i;
		}
		assert_true(t.n <= t.cap / 2);
	}
	assert_int_equal(t.n, 12000);
	for (uint32_t i = 0; i < 12000; i++)
		assert_int_equal(((struct ent *)tidtab_get(&t, 1 + i * 7))->val, i);
	assert_null(tidtab_get(&t, 2));
	tidtab_free(&t);
}

/*
 * A rebuild drops what keep() refuses and sizes the table for the kept ones, not for the dead
 * (a day of short-lived threads must not double it every time it fills); never below mincap.
 */
static void test_rebuild_drops_and_shrinks(void **state)
{
	uint32_t below = 1u << 31;
	struct tidtab t;

	(void)state;
	assert_int_equal(tidtab_init(&t, sizeof(struct ent), 64, keep_below, &below), 0);
	assert_int_equal(tidtab_reserve(&t, 10000), 0);
	for (uint32_t tid = 1; tid <= 10000; tid++)
		((struct ent *)tidtab_put(&t, tid))->val = tid;
	assert_true(t.cap >= 20000);
	below = 101; /* all but tids 1..100 have exited */
	assert_int_equal(tidtab_rebuild(&t), 0);
	assert_int_equal(t.n, 100);
	assert_int_equal(t.cap, 256); /* 100 + 100/8 fit in half of 256 */
	for (uint32_t tid = 1; tid <= 100; tid++)
		assert_int_equal(((struct ent *)tidtab_get(&t, tid))->val, tid);
	assert_null(tidtab_get(&t, 101));
	/* a reserve that needs room rebuilds too, dropping the dead first */
	for (uint32_t tid = 101; tid <= 128; tid++)
		assert_non_null(tidtab_put(&t, tid));
	below = 11; /* 10 kept */
	assert_int_equal(tidtab_reserve(&t, 100), 0);
	assert_int_equal(t.n, 10);
	assert_int_equal(t.cap, 256); /* 10 + 100 + 1 need 222 slots */
	below = 0;
	assert_int_equal(tidtab_rebuild(&t), 0);
	assert_int_equal(t.n, 0);
	assert_int_equal(t.cap, 64); /* mincap */
	tidtab_free(&t);
}

static void test_refusals(void **state)
{
	struct tidtab t;

	(void)state;
	assert_int_equal(tidtab_init(&t, sizeof(struct ent), 100, NULL, NULL), -EINVAL);
	assert_int_equal(tidtab_init(&t, sizeof(struct ent), 0, NULL, NULL), -EINVAL);
	assert_int_equal(tidtab_init(&t, 2, 64, NULL, NULL), -EINVAL);
	assert_int_equal(tidtab_init(&t, sizeof(struct ent), 64, NULL, NULL), 0);
	assert_int_equal(tidtab_reserve(&t, 1u << 31), -ENOMEM);
	assert_int_equal(t.cap, 64); /* unchanged */
	tidtab_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get),	 cmocka_unit_test(test_half_full),
		cmocka_unit_test(test_many),	 cmocka_unit_test(test_rebuild_drops_and_shrinks),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests_name("tidtab", tests, NULL, NULL);
}
