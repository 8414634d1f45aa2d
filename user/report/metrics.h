/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Prometheus text exposition (format 0.0.4) of the totals: the one place that names every
 * metric `virtprof serve` exports (docs/metrics.md lists the same names; a test compares them).
 * A source this machine lacks is absent, and virtprof_source_available{source} says why.
 */
#ifndef VP_REPORT_METRICS_H
#define VP_REPORT_METRICS_H

#include <stddef.h>

#include "session/capture.h"
#include "session/totals.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_text {
	char *buf;
	size_t len;
	int nseries; /* samples in buf */
};

/* Render every metric with a host="..." label; -ENOMEM. */
int metrics_render(const struct totals *t, const struct capture *c, const char *host,
		   struct metrics_text *out);
void metrics_text_free(struct metrics_text *m);
/* A label value as the exposition format wants it: \\ \" \n escaped, non-ASCII bytes as '?'. */
void metrics_escape(const char *in, char *out, size_t len);

#endif
