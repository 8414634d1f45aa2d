/* SPDX-License-Identifier: GPL-2.0 */
/* `virtprof top` output: a header once, then one text block or one JSON line per interval. */
#ifndef VP_REPORT_TOP_H
#define VP_REPORT_TOP_H

#include <stdbool.h>
#include <stdio.h>

#include "out/table.h"
#include "session/capture.h"

struct top_opts {
	enum out_mode mode;
	bool softirq_text;
	bool io_text; /* network / block / KVM tables in text mode too */
};

/* Text: the accounting mode and targets, once.  JSON: nothing (each object is complete). */
void top_report_header(const struct capture *c, const struct top_opts *o, FILE *f);
/* One interval: text tables, or one JSON object on one line. */
void top_report_interval(struct capture *c, const struct capture_interval *ci,
			 const struct top_opts *o, FILE *f);

#endif
