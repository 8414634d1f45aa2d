// SPDX-License-Identifier: GPL-2.0
/* virtprof report: the HTML page of a saved session (--json of run/compare), as --html makes it. */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "report/doc.h"
#include "report/html.h"
#include "session/options.h"
#include "sys/util.h"

static void report_usage(FILE *f)
{
	fprintf(f, "Usage: virtprof report SESSION.json -o FILE.html\n"
		   "\n"
		   "Render a saved session (schema " SESSION_SCHEMA ", from run/compare\n"
		   "--json) as one self-contained HTML page: CPU per request by owner, host CPU,\n"
		   "throughput, latency, the timeline, flame graphs when the session has stacks,\n"
		   "every table and note.  The page makes no request and works from file://.\n"
		   "\n"
		   "  -o, --output FILE   the page (written atomically)\n"
		   "\nExamples:\n"
		   "  virtprof compare --testbed --json cmp.json\n"
		   "  virtprof report cmp.json -o cmp.html\n");
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *out = NULL, *in;
	int opt, err, ret = VP_EXIT_OK;
	json_t *root;

	while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			report_usage(stdout);
			return VP_EXIT_OK;
		default:
			report_usage(stderr);
			return VP_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		vp_err(optind < argc ? "one session file at a time" :
				       "no session file: "
				       "virtprof report SESSION.json -o FILE.html");
		return VP_EXIT_USAGE;
	}
	in = argv[optind];
	if (!out) {
		vp_err("no output: give -o FILE.html");
		return VP_EXIT_USAGE;
	}
	if (session_check_outputs(NULL, NULL, out))
		return VP_EXIT_USAGE;
	root = doc_load(in, &ret);
	if (!root)
		return ret;
	err = html_write_session(root, in, out);
	if (err) {
		vp_err("write %s: %s", out, vp_file_error(err));
		ret = VP_EXIT_FAIL;
	}
	json_decref(root);
	return ret;
}
