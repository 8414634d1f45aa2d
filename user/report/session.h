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

void session_report_text(struct session *s, FILE *f, bool compare);
int session_write_json(struct session *s, const char *path, const char *command);
/* The HTML page (report/html.h), rendered from the session's JSON. */
int session_write_html(struct session *s, const char *path, const char *command);
/* timeline.csv and summary.csv (the comparison table) in dir. */
int session_write_csv(const struct session *s, const char *dir);
/* --json / --csv / --html after the text report; returns VP_EXIT_OK or VP_EXIT_FAIL. */
int session_write_outputs(struct session *s, const struct session_cli *c, const char *command);
/* The side-by-side table: one row per (step, target). */
void session_table_compare(const struct session *s, struct out *o);

#endif
