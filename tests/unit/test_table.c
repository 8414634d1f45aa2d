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

static char *render(enum out_mode mode)
{
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

static void test_json(void **state)
{
	char *s = render(OUT_JSON);

	(void)state;
	assert_non_null(strstr(s, "\"name\":\"a \\\"quoted\\\"\\nname\",\"pct\":25,\"extra\":7"));
	assert_non_null(strstr(s, "\"name\":\"b\",\"pct\":null,\"extra\":null"));
	assert_non_null(strstr(s, "\"rows_notes\":[\"empty window: no CPU time was measured"));
	free(s);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}
