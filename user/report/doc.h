/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A saved session (schema virtprof-session/1, docs/report.md) read back for the HTML page and
 * for diff.  The document is jansson's tree; these helpers read it defensively, since a file may
 * come from an older virtprof or be hand-edited: a missing or mistyped member is "absent", never
 * a crash.
 */
#ifndef VP_REPORT_DOC_H
#define VP_REPORT_DOC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#define SESSION_SCHEMA "virtprof-session/1"

/*
 * Load PATH and check its schema.  NULL on failure with a one-line message printed; *exit_code is
 * VP_EXIT_USAGE for a file that is not a session of the schema we read, VP_EXIT_FAIL for I/O.
 */
json_t *doc_load(const char *path, int *exit_code);
/* The same from memory (a live session rendered through its JSON). */
json_t *doc_load_buf(const char *buf, size_t len, const char *what, int *exit_code);

/* obj.key when obj is an object and the member has the type, else NULL / false. */
json_t *doc_get(const json_t *obj, const char *key);
json_t *doc_arr(const json_t *obj, const char *key);
const char *doc_str(const json_t *obj, const char *key);
bool doc_num(const json_t *obj, const char *key, double *v);
bool doc_true(const json_t *obj, const char *key);
/* A table's companions (report/schema.h): "<table>_notes" when an array, "<table>_decimals". */
json_t *doc_notes(const json_t *obj, const char *table);
json_t *doc_decimals(const json_t *obj, const char *table);

/* The step of that label and target, or NULL. */
const json_t *doc_find_step(const json_t *root, const char *label, const char *target);
/* The step's target entity ("-" for a run with several) and the comparison row of a step. */
const char *doc_step_target(const json_t *step);
json_t *doc_comparison_row(const json_t *root, const char *label, const char *target);
/* The overhead row of the step's target (its VIRT parts), or NULL. */
json_t *doc_overhead_row(const json_t *step);

/*
 * The timeline's categories: which column of the report an entity/role of steps[].timeline falls
 * in.  PATH is not among them: the per-device network split exists per step, not per interval.
 */
enum doc_cat { DCAT_LOADGEN, DCAT_OWN, DCAT_VIRT, DCAT_PROFILER, DCAT_OTHER, DCAT_N };
extern const char *const doc_cat_name[DCAT_N];
/* target: the step's target entity; an entity of another target counts as OTHER for this step. */
enum doc_cat doc_category(const char *entity, const char *role, const char *target);

/*
 * A whole second of a step's load timeline (not warm-up, not the last second its end cut short):
 * the seconds the timeline chart draws and diff takes its spread from.
 */
bool doc_whole_second(const json_t *step, const json_t *sec);

/* Write s with HTML escaping. */
void html_escape(FILE *f, const char *s);

#endif
