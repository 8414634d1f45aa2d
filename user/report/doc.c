// SPDX-License-Identifier: GPL-2.0
/*
 * Reading a saved session back.  Parsing is jansson's (Debian libjansson): a strict RFC 8259
 * parser that reports line and column, keeps integers as 64-bit integers (real_ns needs them) and
 * reads doubles with strtod, so a figure read back is bit-for-bit the double that was written.
 */
#include <errno.h>
#include <string.h>

#include "report/doc.h"
#include "report/schema.h"
#include "session/cost.h"
#include "sys/util.h"

static json_t *check_schema(json_t *root, const char *what, int *exit_code)
{
	const char *schema = doc_str(root, SK(schema));

	if (!json_is_object(root)) {
		vp_err("%s: not a virtprof session (the top level is not a JSON object)", what);
		goto bad;
	}
	if (!schema) {
		vp_err("%s: no \"schema\" member: not a virtprof session; this virtprof reads %s",
		       what, SESSION_SCHEMA);
		goto bad;
	}
	if (strcmp(schema, SESSION_SCHEMA)) {
		vp_err("%s: schema \"%s\" is not supported; this virtprof reads %s "
		       "(re-record the session, or use the virtprof that wrote it)",
		       what, schema, SESSION_SCHEMA);
		goto bad;
	}
	if (!doc_arr(root, SK(steps))) {
		vp_err("%s: schema %s but no \"steps\" array: truncated or edited file", what,
		       schema);
		goto bad;
	}
	return root;
bad:
	json_decref(root);
	*exit_code = VP_EXIT_USAGE;
	return NULL;
}

json_t *doc_load(const char *path, int *exit_code)
{
	json_error_t e;
	json_t *root = json_load_file(path, 0, &e);

	if (!root) {
		/* an unreadable file and bad content are both bad input */
		*exit_code = VP_EXIT_USAGE;
		if (e.line <= 0)
			vp_err("%s: %s", path, e.text);
		else
			vp_err("%s:%d:%d: not valid JSON: %s", path, e.line, e.column, e.text);
		return NULL;
	}
	return check_schema(root, path, exit_code);
}

json_t *doc_load_buf(const char *buf, size_t len, const char *what, int *exit_code)
{
	json_error_t e;
	json_t *root = json_loadb(buf, len, 0, &e);

	if (!root) {
		vp_err("%s:%d:%d: %s", what, e.line, e.column, e.text);
		*exit_code = VP_EXIT_FAIL;
		return NULL;
	}
	return check_schema(root, what, exit_code);
}

json_t *doc_get(const json_t *obj, const char *key)
{
	return json_is_object(obj) ? json_object_get(obj, key) : NULL;
}

json_t *doc_arr(const json_t *obj, const char *key)
{
	json_t *v = doc_get(obj, key);

	return json_is_array(v) ? v : NULL;
}

const char *doc_str(const json_t *obj, const char *key)
{
	return json_string_value(doc_get(obj, key));
}

bool doc_num(const json_t *obj, const char *key, double *v)
{
	json_t *x = doc_get(obj, key);

	if (!json_is_number(x))
		return false;
	*v = json_number_value(x);
	return true;
}

bool doc_true(const json_t *obj, const char *key)
{
	return json_is_true(doc_get(obj, key));
}

/* obj["<table><suffix>"] */
static json_t *doc_companion(const json_t *obj, const char *table, const char *suffix)
{
	char k[256];

	snprintf(k, sizeof(k), "%s%s", table, suffix);
	return doc_get(obj, k);
}

json_t *doc_notes(const json_t *obj, const char *table)
{
	json_t *v = doc_companion(obj, table, SK_NOTES_SUFFIX);

	return json_is_array(v) ? v : NULL;
}

json_t *doc_decimals(const json_t *obj, const char *table)
{
	return doc_companion(obj, table, SK_DECIMALS_SUFFIX);
}

const char *doc_step_target(const json_t *step)
{
	const char *t = doc_str(step, SK(target));

	return t ? t : "-";
}

const json_t *doc_find_step(const json_t *root, const char *label, const char *target)
{
	const json_t *st;
	size_t i;

	json_array_foreach(doc_arr(root, SK(steps)), i, st)
	{
		const char *l = doc_str(st, SK(label));

		if (l && !strcmp(l, label) && !strcmp(doc_step_target(st), target))
			return st;
	}
	return NULL;
}

json_t *doc_comparison_row(const json_t *root, const char *label, const char *target)
{
	json_t *rows = doc_arr(root, SK(comparison)), *r;
	size_t i;

	json_array_foreach(rows, i, r)
	{
		const char *s = doc_str(r, SK(step)), *t = doc_str(r, SK(target));

		if (s && t && !strcmp(s, label) && !strcmp(t, target))
			return r;
	}
	return NULL;
}

json_t *doc_overhead_row(const json_t *step)
{
	json_t *rows = doc_arr(doc_get(step, SK(cpu)), SK(overhead)), *r;
	const char *target = doc_step_target(step);
	size_t i;

	json_array_foreach(rows, i, r)
	{
		const char *t = doc_str(r, SK(target));

		if (t && !strcmp(t, target))
			return r;
	}
	return NULL;
}

const char *const doc_cat_name[DCAT_N] = {
	[DCAT_LOADGEN] = "LOADGEN",   [DCAT_OWN] = "OWN",     [DCAT_VIRT] = "VIRT",
	[DCAT_PROFILER] = "PROFILER", [DCAT_OTHER] = "OTHER",
};

enum doc_cat doc_category(const char *entity, const char *role, const char *target)
{
	switch (cost_charge_of(entity, !strcmp(entity, target))) {
	case CHARGE_LOADGEN:
		return DCAT_LOADGEN;
	case CHARGE_PROFILER:
		return DCAT_PROFILER;
	case CHARGE_OTHER:
		return DCAT_OTHER;
	case CHARGE_TARGET:
		break;
	}
	switch (cost_part_of_role(role)) {
	case PART_OWN:
		return DCAT_OWN;
	case PART_UNKNOWN: /* in neither OWN nor VIRT in the cost model either */
		return DCAT_OTHER;
	default:
		return DCAT_VIRT;
	}
}

bool doc_whole_second(const json_t *step, const json_t *p)
{
	double sec, elapsed;

	return !doc_true(p, SK(warmup)) && doc_num(p, SK(sec), &sec) &&
	       doc_num(doc_get(step, SK(load)), SK(elapsed_s), &elapsed) &&
	       sec + 1 <= elapsed + 1e-3;
}

void html_escape(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}
