/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one code path for text and JSON: every report section is built as a table of typed cells
 * and rendered either as an aligned text table or as a JSON array of objects.  A cell that has no
 * measurement behind it is "not available" (n/a in text, null in JSON, with the reason in the
 * table's notes) -- never 0.
 */
#ifndef VP_TABLE_H
#define VP_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "out/json.h"
#include "out/na.h"

#define TABLE_MAX_COLS 24
#define TABLE_MAX_NOTES 16

/* CELL_NONE: does not apply to this row (text "-", JSON null); CELL_NA: not measured. */
enum cell_kind { CELL_NA = 0, CELL_STR, CELL_U64, CELL_F64, CELL_NONE };

struct cell {
	enum cell_kind kind;
	union {
		char *s;
		uint64_t u;
		double f;
	};
};

struct tcol {
	const char *key;  /* JSON member name */
	const char *head; /* text header */
	int prec;	  /* decimals for doubles in text and on the HTML page */
	bool left;	  /* left-align in text (names) */
	bool json_only;	  /* raw values (ns) that would crowd the text table */
};

struct table {
	const char *key;   /* JSON member name of the section */
	const char *title; /* text heading; NULL for none */
	int ncols;
	struct tcol cols[TABLE_MAX_COLS];
	int nrows, cap;
	struct cell *cells;
	int nnotes;
	char *notes[TABLE_MAX_NOTES];
	char *own_key, *own_title; /* a kept copy owns its strings */
};

void table_init(struct table *t, const char *key, const char *title);
/* Columns are added before the first row. */
void table_col(struct table *t, const char *key, const char *head, int prec, bool left);
/* Mark the last added column as JSON-only. */
void table_col_json_only(struct table *t);
int table_row(struct table *t);
void table_str(struct table *t, int row, int col, const char *s);
void table_u64(struct table *t, int row, int col, uint64_t v);
void table_f64(struct table *t, int row, int col, double v);
/* part/whole in percent; not available (with the reason) when nothing was measured (whole 0). */
void table_pct(struct table *t, int row, int col, uint64_t part, uint64_t whole);
/* Does not apply to this row (a VM has no runtime helpers): "-" in text, null in JSON. */
void table_none(struct table *t, int row, int col);
/* Explicitly not available; the reason's detail (once per table) goes to the notes (NULL or an
 * available one: no note). */
void table_na(struct table *t, int row, int col, const struct vp_na *na);
void table_note(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A reason as a note line, once per table (nothing when na is NULL or available). */
void table_note_na(struct table *t, const struct vp_na *na);
void table_free(struct table *t);

/*
 * Where tables go.  OUT_CSV: a header of the column keys, then the rows (n/a and "does not
 * apply" are empty fields, notes are left out).  OUT_KEEP: copies of the tables are kept in a
 * table_set, to be rendered later in any mode -- a step's I/O tables are made when the step
 * ends and printed with the report.
 */
enum out_mode { OUT_TEXT, OUT_JSON, OUT_CSV, OUT_KEEP };

struct table_set {
	int n, cap;
	struct table *t;
};

struct out {
	enum out_mode mode;
	FILE *f;
	struct jw jw;
	struct table_set *keep;
	/* JSON: each table also writes "key_decimals", {column: decimals} of the columns that hold
	 * doubles -- how the text rounds them, for a reader that renders the raw values (html.c) */
	bool decimals;
};

void out_init(struct out *o, FILE *f, enum out_mode mode, bool pretty);
void out_init_keep(struct out *o, struct table_set *set);
/* Text: heading + aligned rows + notes.  JSON: "key": [ {col: value, ...} ], "key_notes": [...]
 * emitted as members of the object the caller has open. */
void table_render(const struct table *t, struct out *o);
void table_set_render(const struct table_set *s, struct out *o);
void table_set_free(struct table_set *s);
/* A double as the text shows it in a column of prec decimals: the one rounding of every output
 * that rounds (text, the HTML page). */
void table_format_f64(char *buf, size_t len, double v, int prec);

#endif
