/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reports of a session (run, compare): one code path for text, JSON (schema virtprof-session/1,
 * docs/report.md) and CSV, every cell a field of the step or of its cost split.
 */
#ifndef VP_REPORT_SESSION_H
#define VP_REPORT_SESSION_H

#include <stdbool.h>
#include <stdio.h>

#include "out/table.h"
#include "session/options.h"
#include "session/session.h"

/*
 * What the text report holds.  TEXT_RUN: run's report, every section of its step.
 * TEXT_COMPARE: compare's summary alone -- the comparison table and its notes, where the targets
 * differ (with stacks), the idle baselines and the accounting mode -- a screen, not ~300 lines.
 * TEXT_COMPARE_DETAIL (compare -v): each step's sections first, the summary last.  JSON and
 * HTML always hold everything.
 */
enum text_report { TEXT_RUN, TEXT_COMPARE, TEXT_COMPARE_DETAIL };

void session_report_text(struct session *s, FILE *f, enum text_report what);
int session_report_json(struct session *s, const char *path, const char *command);
/* The HTML page (report/html.h), rendered from the session's JSON. */
int session_report_html(struct session *s, const char *path, const char *command);
/* timeline.csv and summary.csv (the comparison table) in dir. */
int session_report_csv(const struct session *s, const char *dir);
/* --json / --csv / --html after the text report; returns VP_EXIT_OK or VP_EXIT_FAIL. */
int session_report_outputs(struct session *s, const struct session_cli *c, const char *command);
/* The side-by-side table: one row per (step, target). */
void session_report_compare(const struct session *s, struct out *o);

#endif
