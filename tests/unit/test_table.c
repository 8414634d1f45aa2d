// SPDX-License-Identifier: GPL-2.0
/* The one text/JSON code path: measured, not-measured and not-applicable cells. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "out/table.h"

static char *render_dec(enum out_mode mode, bool decimals)
{
	struct table t;
	struct out o;
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	int r;

	out_init(&o, f, mode, false);
	o.decimals = decimals;
	if (mode == OUT_JSON)
		jw_obj_begin(&o.jw);
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
	table_render(&t, &o);
	table_free(&t);
	if (mode == OUT_JSON)
		jw_obj_end(&o.jw);
	fclose(f);
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
	struct out o;
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	out_init(&o, f, mode, false);
	if (mode == OUT_JSON)
		jw_obj_begin(&o.jw);
	table_init(&t, "rows", NULL);
	table_col(&t, "role", "ROLE", 0, true);
	table_str(&t, table_row(&t), 0, name);
	table_note(&t, "thread %s", name);
	table_render(&t, &o);
	table_free(&t);
	if (mode == OUT_JSON)
		jw_obj_end(&o.jw);
	fclose(f);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_decimals),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_hostile_names),
	};

	return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}
