/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Session B against session A (virtprof diff): per step (matched by label and target) and
 * metric, B - A with an uncertainty from the per-interval spread of each session, and the
 * --fail-if gates a CI job sets on them.  Output through out/table (text, JSON) and the page.
 */
#ifndef VP_REPORT_DIFF_H
#define VP_REPORT_DIFF_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "out/table.h"

enum diff_metric {
	DM_LOADGEN,
	DM_OWN,
	DM_VIRT,
	DM_PATH,
	DM_OTHER,
	DM_P99,
	DM_RPS,
	DM_N,
};
extern const char *const diff_metric_key[DM_N]; /* the comparison table's member names */

#define DIFF_MAX_GATES 16

/* A --fail-if expression: METRIC > +10% | METRIC < -5 ... */
struct diff_gate {
	const char *expr;
	enum diff_metric metric;
	char op;      /* '>' or '<' */
	double limit; /* signed; percent of A when pct */
	bool pct;
	int violations;
};

/* 0, or -EINVAL with the reason in msg. */
int diff_parse_gate(const char *expr, struct diff_gate *g, char *msg, size_t len);

struct diff_row {
	const char *step, *target;
	enum diff_metric metric;
	double a, b;	   /* NaN: not available in that session */
	double ua, ub;	   /* standard error of each figure, from its intervals (NaN: < 2) */
	double delta, pct; /* B - A; in % of A (NaN when A is 0 or n/a) */
	double u;	   /* 2 x the standard error of the change */
	int changed;	   /* 1 beyond u, 0 within, -1 unknown (no uncertainty) */
	unsigned gates;	   /* bit i: gate i violated */
};

struct diff {
	int n, cap;
	struct diff_row *rows;
	int ngates;
	struct diff_gate gates[DIFF_MAX_GATES];
};

/* 0, or -EINVAL (sessions do not match: message in msg). */
int diff_sessions(const json_t *a, const json_t *b, struct diff *d, char *msg, size_t len);
/* Evaluate the gates on the rows; returns the number of violations. */
int diff_gates(struct diff *d);
void diff_table(const struct diff *d, struct out *o);
void diff_free(struct diff *d);

/* The page: A and B side by side per step, the table, the gates. */
void diff_html(FILE *f, const struct diff *d, const json_t *a, const json_t *b, const char *apath,
	       const char *bpath);

#endif
