// SPDX-License-Identifier: GPL-2.0
/*
 * The session JSON's one description (report/schema.h) against the published schema
 * (docs/session.schema.json): the same member names, with the same JSON types.  A member in one
 * and not the other, or typed differently, fails here, naming it.  Whether a real session
 * validates against the schema is tests/e2e (run.sh, compare.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "report/schema.h"

#define SCHEMA_FILE "docs/session.schema.json"
#define MAX_NAMES 512

/* A member name as the schema file has it: the union of its typed occurrences. */
struct seen {
	const char *name;
	unsigned types; /* enum skt */
	bool typed;	/* at least one occurrence says its type */
};

struct walk {
	const json_t *defs;
	struct seen s[MAX_NAMES];
	int n;
	int bad; /* problems found while walking (printed) */
};

static unsigned json_type_bit(const char *t)
{
	static const struct {
		const char *name;
		unsigned bit;
	} map[] = {
		{ "null", SKT_NULL },  { "boolean", SKT_BOOL }, { "integer", SKT_INT },
		{ "number", SKT_NUM }, { "string", SKT_STR },	{ "array", SKT_ARR },
		{ "object", SKT_OBJ },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(t, map[i].name))
			return map[i].bit;
	return 0;
}

static unsigned value_type_bit(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
		return SKT_NULL;
	case JSON_TRUE:
	case JSON_FALSE:
		return SKT_BOOL;
	case JSON_INTEGER:
		return SKT_INT;
	case JSON_REAL:
		return SKT_NUM;
	case JSON_STRING:
		return SKT_STR;
	case JSON_ARRAY:
		return SKT_ARR;
	default:
		return SKT_OBJ;
	}
}

/* The JSON types a (sub)schema allows: type, enum, const, $ref, oneOf/anyOf; 0: it does not say. */
static unsigned schema_types(const struct walk *w, const json_t *node, int depth)
{
	const json_t *t = json_object_get(node, "type"), *v, *ref = json_object_get(node, "$ref");
	unsigned out = 0;
	size_t i;

	if (!json_is_object(node) || depth > 8)
		return 0;
	if (json_is_string(ref)) {
		const char *r = json_string_value(ref), *p = "#/definitions/";

		if (strncmp(r, p, strlen(p)))
			return 0;
		return schema_types(w, json_object_get(w->defs, r + strlen(p)), depth + 1);
	}
	if (json_is_string(t))
		out |= json_type_bit(json_string_value(t));
	json_array_foreach(t, i, v) out |= json_type_bit(json_string_value(v));
	json_array_foreach(json_object_get(node, "enum"), i, v) out |= value_type_bit(v);
	if (json_object_get(node, "const"))
		out |= value_type_bit(json_object_get(node, "const"));
	json_array_foreach(json_object_get(node, "oneOf"), i, v)
		out |= schema_types(w, v, depth + 1);
	json_array_foreach(json_object_get(node, "anyOf"), i, v)
		out |= schema_types(w, v, depth + 1);
	return out;
}

static void note_name(struct walk *w, const char *name, unsigned types)
{
	int i;

	for (i = 0; i < w->n && strcmp(w->s[i].name, name); i++)
		;
	if (i == w->n) {
		if (w->n == MAX_NAMES) {
			print_error("more than %d member names in %s\n", MAX_NAMES, SCHEMA_FILE);
			w->bad++;
			return;
		}
		w->s[w->n++] = (struct seen){ .name = name };
	}
	if (types) {
		w->s[i].types |= types;
		w->s[i].typed = true;
	}
}

/* Every member name an object schema names (properties, required) and its subschemas'. */
static void walk_node(struct walk *w, const json_t *node, int depth)
{
	const json_t *v;
	const char *k;
	size_t i;

	if (!json_is_object(node) || depth > 32)
		return;
	json_array_foreach(json_object_get(node, "required"), i, v)
		note_name(w, json_string_value(v), 0);
	json_object_foreach((json_t *)json_object_get(node, "properties"), k, v)
	{
		note_name(w, k, schema_types(w, v, 0));
		walk_node(w, v, depth + 1);
	}
	walk_node(w, json_object_get(node, "items"), depth + 1);
	walk_node(w, json_object_get(node, "additionalProperties"), depth + 1);
	json_array_foreach(json_object_get(node, "oneOf"), i, v) walk_node(w, v, depth + 1);
	json_array_foreach(json_object_get(node, "anyOf"), i, v) walk_node(w, v, depth + 1);
}

static bool ends_with(const char *s, const char *sfx)
{
	size_t n = strlen(s), m = strlen(sfx);

	return n > m && !strcmp(s + n - m, sfx);
}

/* "<table>_notes" / "<table>_decimals": a companion of a described table (array or object). */
static bool companion_ok(const char *name)
{
	const char *sfx = ends_with(name, SK_NOTES_SUFFIX) ? SK_NOTES_SUFFIX : SK_DECIMALS_SUFFIX;
	char base[128];
	const struct session_key_desc *d;

	snprintf(base, sizeof(base), "%.*s", (int)(strlen(name) - strlen(sfx)), name);
	d = session_key_find(base);
	return d && (d->types & (SKT_ARR | SKT_OBJ));
}

static void type_names(unsigned t, char *buf, size_t len)
{
	static const char *const names[] = { "null",   "boolean", "integer", "number",
					     "string", "array",	  "object" };

	buf[0] = 0;
	for (int i = 0; i < 7; i++)
		if (t & (1u << i))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? "|" : "",
				 names[i]);
}

static void load_walk(struct walk *w, json_t **root)
{
	json_error_t e;
	const json_t *v;
	const char *k;

	*root = json_load_file(SCHEMA_FILE, 0, &e);
	if (!*root)
		fail_msg("%s:%d: %s (run from the repository's top directory)", SCHEMA_FILE, e.line,
			 e.text);
	memset(w, 0, sizeof(*w));
	w->defs = json_object_get(*root, "definitions");
	walk_node(w, *root, 0);
	json_object_foreach((json_t *)w->defs, k, v) walk_node(w, v, 0);
}

/* Every name of the schema file is described, with the types the description gives it. */
static void test_schema_file_in_description(void **state)
{
	struct walk w;
	json_t *root;
	char a[96], b[96];

	(void)state;
	load_walk(&w, &root);
	assert_true(w.n > 100);
	for (int i = 0; i < w.n; i++) {
		const struct seen *s = &w.s[i];
		const struct session_key_desc *d = session_key_find(s->name);
		unsigned want;

		if (ends_with(s->name, SK_NOTES_SUFFIX) || ends_with(s->name, SK_DECIMALS_SUFFIX)) {
			if (!companion_ok(s->name)) {
				print_error("%s: %s: a table's companion, but its table is not a "
					    "described array or object\n",
					    SCHEMA_FILE, s->name);
				w.bad++;
			}
			continue;
		}
		if (!d) {
			print_error("%s names \"%s\": not in report/schema.h SESSION_KEYS\n",
				    SCHEMA_FILE, s->name);
			w.bad++;
			continue;
		}
		if (!s->typed) {
			print_error("%s: \"%s\" is only ever required, never given a type\n",
				    SCHEMA_FILE, s->name);
			w.bad++;
			continue;
		}
		/* "number" includes integers: a described number may be an integer in the file */
		want = d->types;
		if ((want & SKT_NUM) && !(want & SKT_INT) && (s->types & SKT_INT) &&
		    !(s->types & SKT_NUM))
			want = (want & ~SKT_NUM) | SKT_INT;
		if (s->types != want) {
			type_names(s->types, a, sizeof(a));
			type_names(d->types, b, sizeof(b));
			print_error("\"%s\": %s types it %s, report/schema.h %s\n", s->name,
				    SCHEMA_FILE, a, b);
			w.bad++;
		}
	}
	json_decref(root);
	assert_int_equal(w.bad, 0);
}

/* Every described name is in the schema file. */
static void test_description_in_schema_file(void **state)
{
	struct walk w;
	json_t *root;
	int missing = 0;

	(void)state;
	load_walk(&w, &root);
	for (int k = 0; k < SK_N; k++) {
		int i;

		for (i = 0; i < w.n && strcmp(w.s[i].name, session_keys[k].name); i++)
			;
		if (i == w.n) {
			print_error("report/schema.h describes \"%s\": not in %s\n",
				    session_keys[k].name, SCHEMA_FILE);
			missing++;
		}
	}
	json_decref(root);
	assert_int_equal(missing, 0);
}

/* The description itself: one entry a name, a type each, SK() the name. */
static void test_description_sane(void **state)
{
	(void)state;
	for (int k = 0; k < SK_N; k++) {
		assert_non_null(session_keys[k].name);
		assert_true(session_keys[k].types != 0);
		assert_ptr_equal(session_key_find(session_keys[k].name), &session_keys[k]);
	}
	assert_string_equal(SK(own_us), "own_us");
	assert_null(session_key_find("no_such_member"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_description_sane),
		cmocka_unit_test(test_schema_file_in_description),
		cmocka_unit_test(test_description_in_schema_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
