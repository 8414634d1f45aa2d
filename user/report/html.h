/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The HTML page of a session: one self-contained file rendered from the session's JSON document
 * (a saved file, or a live session's JSON kept in memory), so a page made at the end of a run and
 * one made later from its --json file are the same page.  No request leaves the page: styles and
 * scripts are inline and a Content-Security-Policy forbids every other source.
 */
#ifndef VP_REPORT_HTML_H
#define VP_REPORT_HTML_H

#include <jansson.h>
#include <stdio.h>

/* The page's head (styles, the error recorder) and its end (scripts); title is escaped. */
void html_begin(FILE *f, const char *title);
void html_end(FILE *f);

/* The whole page of one session; source names where it came from (a file name, or "live"). */
void html_session(FILE *f, const json_t *root, const char *source);
/* ... written atomically to path; 0 or -errno. */
int html_write_session(const json_t *root, const char *source, const char *path);

/*
 * A JSON array of objects as a table, with its notes; every key, every row.  decimals: the
 * table's "_decimals" ({column: decimals}, out/table.h): its numbers rounded as the text rounds
 * them, the exact value on hover; NULL (a table no text renders): numbers as the JSON has them.
 */
void html_table(FILE *f, const char *title, const json_t *rows, const json_t *notes,
		const json_t *decimals);
/* Table obj[table] with its "_notes" and "_decimals" (report/schema.h). */
void html_table_of(FILE *f, const char *title, const json_t *obj, const char *table);

#endif
