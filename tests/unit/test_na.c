// SPDX-License-Identifier: GPL-2.0
/* "Not available": the reason type (code + detail) and its one renderer, table_na. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "out/na.h"
#include "out/table.h"

static void test_set_clear(void **state)
{
	struct vp_na na = {};

	(void)state;
	assert_false(vp_na_is(&na)); /* zeroed: available */
	assert_null(vp_na_text(&na));
	assert_false(vp_na_is(NULL));
	assert_null(vp_na_text(NULL));
	vp_na_set(&na, VP_NA_KERNEL, "%s: %d tracepoints missing", "kvm_exit", 2);
	assert_true(vp_na_is(&na));
	assert_int_equal(na.code, VP_NA_KERNEL);
	assert_string_equal(vp_na_text(&na), "kvm_exit: 2 tracepoints missing");
	/* set with "none" still says not available: a reason always has a cause */
	vp_na_set(&na, VP_NA_NONE, "x");
	assert_int_equal(na.code, VP_NA_OTHER);
	vp_na_clear(&na);
	assert_false(vp_na_is(&na));
	assert_string_equal(na.detail, "");
	/* copied by value: a part hands its reason on (io/ -> session/) */
	vp_na_set(&na, VP_NA_LIGHT, "light mode");
	{
		struct vp_na copy = na;

		assert_int_equal(copy.code, VP_NA_LIGHT);
		assert_string_equal(vp_na_text(&copy), "light mode");
	}
	/* a literal reason */
	assert_int_equal(VP_NA_LIT(VP_NA_OPTION, "off")->code, VP_NA_OPTION);
	assert_string_equal(vp_na_text(VP_NA_LIT(VP_NA_OPTION, "off")), "off");
}

static void test_truncation(void **state)
{
	struct vp_na na;
	char big[2 * VP_NA_DETAIL];
	size_t n;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	vp_na_set(&na, VP_NA_OTHER, "%s", big);
	assert_int_equal(strlen(na.detail), VP_NA_DETAIL - 1);
	/* exactly fits */
	big[VP_NA_DETAIL - 1] = '\0';
	vp_na_set(&na, VP_NA_OTHER, "%s", big);
	assert_string_equal(na.detail, big);
	/* a 2-byte character split by the limit is left out, not cut in half */
	memset(big, 'a', sizeof(big) - 1);
	big[VP_NA_DETAIL - 2] = '\xc3';
	big[VP_NA_DETAIL - 1] = '\xa9';
	big[VP_NA_DETAIL] = '\0';
	vp_na_set(&na, VP_NA_OTHER, "%s", big);
	n = strlen(na.detail);
	assert_int_equal(n, VP_NA_DETAIL - 2);
	assert_int_equal((unsigned char)na.detail[n - 1], 'a');
	/* a 3-byte character with two bytes inside the limit: left out too */
	memset(big, 'a', sizeof(big) - 1);
	big[VP_NA_DETAIL - 3] = '\xe2';
	big[VP_NA_DETAIL - 2] = '\x80';
	big[VP_NA_DETAIL - 1] = '\x94';
	big[VP_NA_DETAIL] = '\0';
	vp_na_set(&na, VP_NA_OTHER, "%s", big);
	assert_int_equal(strlen(na.detail), VP_NA_DETAIL - 3);
	/* one that ends right at the limit is kept whole */
	memset(big, 'a', sizeof(big) - 1);
	big[VP_NA_DETAIL - 3] = '\xc3';
	big[VP_NA_DETAIL - 2] = '\xa9';
	big[VP_NA_DETAIL] = '\0';
	vp_na_set(&na, VP_NA_OTHER, "%s", big);
	assert_int_equal(strlen(na.detail), VP_NA_DETAIL - 1);
	assert_int_equal((unsigned char)na.detail[VP_NA_DETAIL - 2], 0xa9);
}

static void test_codes(void **state)
{
	(void)state;
	assert_int_equal(vp_na_code_of_errno(-ENOENT), VP_NA_KERNEL);
	assert_int_equal(vp_na_code_of_errno(ENOTSUP), VP_NA_KERNEL);
	assert_int_equal(vp_na_code_of_errno(-EPERM), VP_NA_PERMISSION);
	assert_int_equal(vp_na_code_of_errno(EACCES), VP_NA_PERMISSION);
	assert_int_equal(vp_na_code_of_errno(-ENOMEM), VP_NA_OTHER);
	assert_string_equal(vp_na_code_name(VP_NA_NONE), "none");
	assert_string_equal(vp_na_code_name(VP_NA_LIGHT), "light");
	assert_string_equal(vp_na_code_name(VP_NA_UNMEASURED), "unmeasured");
	assert_string_equal(vp_na_code_name((enum vp_na_code)99), "other");
	for (int c = 0; c < VP_NA_CODE_MAX; c++)
		assert_non_null(vp_na_code_name((enum vp_na_code)c));
}

static char *render(enum out_mode mode)
{
	struct vp_na why;
	struct table t;
	struct out o;
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	int r;

	out_init(&o, f, mode, false);
	if (mode == OUT_JSON)
		jw_obj_begin(&o.jw);
	table_init(&t, "rows", "Rows");
	table_col(&t, "name", "NAME", 0, true);
	table_col(&t, "a", "A", 0, false);
	table_col(&t, "b", "B", 0, false);
	vp_na_set(&why, VP_NA_KERNEL, "A: tracepoint %s absent", "x");
	r = table_row(&t);
	table_str(&t, r, 0, "one");
	table_na(&t, r, 1, &why);
	table_na(&t, r, 2, &why); /* the same reason: one note */
	r = table_row(&t);
	table_str(&t, r, 0, "two");
	table_na(&t, r, 1, NULL);		       /* n/a, said elsewhere: no note */
	table_na(&t, r, 2, VP_NA_LIT(VP_NA_NONE, "")); /* clear: no note either */
	table_note_na(&t, VP_NA_LIT(VP_NA_OPTION, "B: off by option"));
	table_note_na(&t, &why); /* already noted */
	table_render(&t, &o);
	table_free(&t);
	if (mode == OUT_JSON)
		jw_obj_end(&o.jw);
	fclose(f);
	return buf;
}

static void test_render(void **state)
{
	char *j = render(OUT_JSON), *t = render(OUT_TEXT);
	int notes = 0;

	(void)state;
	/* JSON: null, the detail once in the notes, the code not in the output */
	assert_non_null(strstr(j, "\"name\":\"one\",\"a\":null,\"b\":null"));
	assert_non_null(strstr(j, "\"name\":\"two\",\"a\":null,\"b\":null"));
	assert_non_null(
		strstr(j, "\"rows_notes\":[\"A: tracepoint x absent\",\"B: off by option\"]"));
	assert_null(strstr(j, "kernel"));
	/* text: n/a in the cells, each reason one note line */
	assert_non_null(strstr(t, "n/a"));
	for (const char *p = t; (p = strstr(p, "note:")); p++)
		notes++;
	assert_int_equal(notes, 2);
	assert_non_null(strstr(t, "note: A: tracepoint x absent\n"));
	free(j);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_clear),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_render),
	};

	return cmocka_run_group_tests_name("na", tests, NULL, NULL);
}
