/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Other load generators' own reports, read back: wrk / wrk2 (text summary), h2load (text), ab
 * (text), hey (text), JMeter (a CSV results file, -l FILE.jtl), k6 (the JSON of
 * --summary-export FILE, or of a handleSummary that writes `data`), oha (its JSON summary on
 * stdout, --output-format json / -j).  Pure functions of the text, unit-tested on outputs
 * captured from the real tools (tests/unit/data/loadtool/).  A figure the tool did not print is
 * NAN / not `have_*`, never 0.
 */
#ifndef VP_LOAD_TOOL_H
#define VP_LOAD_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "out/na.h"

enum load_tool {
	TOOL_UNKNOWN,
	TOOL_WRK,
	TOOL_H2LOAD,
	TOOL_AB,
	TOOL_JMETER,
	TOOL_HEY,
	TOOL_OHA,
	TOOL_K6,
	TOOL_MAX
};
extern const char *const load_tool_names[TOOL_MAX];

struct tool_result {
	enum load_tool tool;
	bool have_requests;
	uint64_t requests; /* completed with an HTTP response of any status */
	bool have_errors;
	uint64_t errors; /* transport errors + non-2xx/3xx responses, as the tool counts them */
	/* latency in ms as the tool printed it (NAN: not printed) */
	double mean_ms, stddev_ms, min_ms, p50_ms, p90_ms, p95_ms, p99_ms, max_ms;
	struct vp_na na; /* why requests are not available (have_requests false) */
};

/* The tool a command line runs, from its argv[0]'s base name ("wrk2" is wrk). */
enum load_tool load_tool_of(const char *argv0);
/*
 * Parse the tool's report into *r (cleared first).  For JMeter and k6 `text` is the results
 * file (load_tool_results_file), for the others their stdout.  Returns 0 when the request count
 * was found, else -ENODATA with the reason in r->na.
 */
int load_tool_parse(enum load_tool tool, const char *text, struct tool_result *r);
/*
 * The file a tool writes its results to, from its command line: JMeter's -l FILE, k6's
 * --summary-export FILE.  NULL when the tool reports on stdout or the option is absent.
 */
const char *load_tool_results_file(enum load_tool tool, char *const *argv);
/* Whether the tool's results come from a file (an absent option is then a reason, not stdout). */
bool load_tool_reads_file(enum load_tool tool);

/* A command line split into argv: words split at blanks, '...' literal, "..." with \" \\ \$,
 * backslash escapes outside quotes.  Returns a NULL-terminated array (free with
 * load_argv_free), or NULL with the reason in err (unbalanced quote, empty). */
char **load_argv_split(const char *line, char *err, size_t errlen);
void load_argv_free(char **argv);

#endif
