// SPDX-License-Identifier: GPL-2.0
/*
 * The one text/JSON code path: measured, not-measured and not-applicable cells; why a cell is
 * not available (out/na.h: a code and its detail, set, cut and rendered).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "out/table.h"

/* A built table rendered as the outputs do: text, or the members of a JSON object. */
static char *render_table(const struct table *t, enum out_mode mode, bool decimals)
{
	struct out o;
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	out_init(&o, f, mode, false);
	o.decimals = decimals;
	if (mode == OUT_JSON)
		jw_obj_begin(&o.jw);
	table_render(t, &o);
	if (mode == OUT_JSON)
		jw_obj_end(&o.jw);
	fclose(f);
	return buf;
}

static char *render_dec(enum out_mode mode, bool decimals)
{
	struct table t;
	char *buf;
	int r;

	table_init(&t, "rows", "Rows");
	table_col(&t, "name", "NAME", 0, true);
	table_col(&t, "pct", "PCT", 1, false);
	table_col(&t, "extra", "EXTRA", 0, false);
	r = table_row(&t);
	table_str(&t, r, 0, "a \"quoted\"\nname");
	table_pct(&t, r, 1, 1, 4);
	table_u64(&t, r, 2, 7);
	r = table_row(&t);
	table_str(&t, r, 0, "b");
	table_pct(&t, r, 1, 1, 0); /* nothing measured: never 0 */
	table_none(&t, r, 2);
	buf = render_table(&t, mode, decimals);
	table_free(&t);
	return buf;
}

static char *render(enum out_mode mode)
{
	return render_dec(mode, false);
}

static void test_json(void **state)
{
	char *s = render(OUT_JSON);

	(void)state;
	assert_non_null(strstr(s, "\"name\":\"a \\\"quoted\\\"\\nname\",\"pct\":25,\"extra\":7"));
	assert_non_null(strstr(s, "\"name\":\"b\",\"pct\":null,\"extra\":null"));
	assert_non_null(strstr(s, "\"rows_notes\":[\"empty window: no CPU time was measured"));
	assert_null(strstr(s, "_decimals")); /* only where the reader asked for them */
	free(s);
}

/* The text's rounding in the JSON for the page: the columns that hold doubles, raw values kept. */
static void test_json_decimals(void **state)
{
	char *s = render_dec(OUT_JSON, true);
	char buf[32];

	(void)state;
	assert_non_null(strstr(s, "\"pct\":25,"));
	assert_non_null(strstr(s, "\"rows_decimals\":{\"pct\":1}"));
	free(s);
	table_format_f64(buf, sizeof(buf), 26.20474766, 1);
	assert_string_equal(buf, "26.2");
	table_format_f64(buf, sizeof(buf), 0.02612031414, 2);
	assert_string_equal(buf, "0.03");
}

static void test_text(void **state)
{
	char *s = render(OUT_TEXT);

	(void)state;
	assert_non_null(strstr(s, "25.0"));
	assert_non_null(strstr(s, "n/a"));		  /* not measured */
	assert_non_null(strstr(s, "note: empty window")); /* and why */
	assert_null(strstr(s, " 0.0"));			  /* no made-up zero */
	free(s);
}

/* A kernel comm may hold any byte: newline, quote, backslash, 0xff, and valid UTF-8 kept. */
static char *render_name(enum out_mode mode, const char *name)
{
	struct table t;
	char *buf;

	table_init(&t, "rows", NULL);
	table_col(&t, "role", "ROLE", 0, true);
	table_str(&t, table_row(&t), 0, name);
	table_note(&t, "thread %s", name);
	buf = render_table(&t, mode, false);
	table_free(&t);
	return buf;
}

static void test_hostile_names(void **state)
{
	const char name[] = "a\n\"b\\\xff\xc3\xa9\xed\xa0\x80";
	char *j = render_name(OUT_JSON, name), *t = render_name(OUT_TEXT, name);
	int lines = 0;

	(void)state;
	/* JSON: escaped, 0xff and the encoded surrogate replaced, the e-acute kept */
	assert_non_null(
		strstr(j, "\"role\":\"a\\n\\\"b\\\\\\ufffd\xc3\xa9\\ufffd\\ufffd\\ufffd\""));
	/* text: one row, one note line; control and non-UTF-8 bytes as '?' */
	for (const char *p = t; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 3); /* header, row, note */
	assert_non_null(strstr(t, "a?\"b\\?\xc3\xa9???"));
	free(j);
	free(t);
}

/* n/a for a reason (out/na.h): null / "n/a" in the cell, the detail once in the notes. */
static void fill_na(struct table *t)
{
	struct vp_na why;
	int r;

	table_init(t, "rows", "Rows");
	table_col(t, "name", "NAME", 0, true);
	table_col(t, "a", "A", 0, false);
	table_col(t, "b", "B", 0, false);
	vp_na_set(&why, VP_NA_KERNEL, "A: tracepoint %s absent", "x");
	r = table_row(t);
	table_str(t, r, 0, "one");
	table_na(t, r, 1, &why);
	table_na(t, r, 2, &why); /* the same reason: one note */
	r = table_row(t);
	table_str(t, r, 0, "two");
	table_na(t, r, 1, NULL);		      /* n/a, said elsewhere: no note */
	table_na(t, r, 2, VP_NA_LIT(VP_NA_NONE, "")); /* clear: no note either */
	table_note_na(t, VP_NA_LIT(VP_NA_OPTION, "B: off by option"));
	table_note_na(t, &why); /* already noted */
}

static void test_na_reasons(void **state)
{
	struct table tab;
	char *j, *t;
	int notes = 0;

	(void)state;
	fill_na(&tab);
	j = render_table(&tab, OUT_JSON, false);
	t = render_table(&tab, OUT_TEXT, false);
	table_free(&tab);
	/* JSON: null, each detail once in the notes, the code not in the output */
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

/* a detail too long is cut, never inside a UTF-8 character */
static void na_truncation(void)
{
	struct vp_na na;
	char big[2 * VP_NA_DETAIL];
	size_t n;

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

static void na_codes(void)
{
	assert_int_equal(vp_na_code_of_errno(-ENOENT), VP_NA_KERNEL);
	assert_int_equal(vp_na_code_of_errno(ENOTSUP), VP_NA_KERNEL);
	assert_int_equal(vp_na_code_of_errno(-EPERM), VP_NA_PERMISSION);
	assert_int_equal(vp_na_code_of_errno(EACCES), VP_NA_PERMISSION);
	assert_int_equal(vp_na_code_of_errno(-ENOMEM), VP_NA_OTHER);
}

static void test_na(void **state)
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
	na_truncation();
	na_codes();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),	   cmocka_unit_test(test_json_decimals),
		cmocka_unit_test(test_text),	   cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_na_reasons), cmocka_unit_test(test_na),
	};

	return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}
