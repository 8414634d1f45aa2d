/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line options shared by top, run, compare (and serve): targets, interval, output
 * files, and the load plan.  Values never collide with the load options' LOAD_OPT_* nor with a
 * command's own.
 */
#ifndef VP_SESSION_OPTIONS_H
#define VP_SESSION_OPTIONS_H

#include <getopt.h>
#include <stdint.h>

#include "account/targets.h"
#include "load/load.h"

enum {
	SESS_OPT_VM = 0x2000,
	SESS_OPT_CTR,
	SESS_OPT_INTERVAL,
	SESS_OPT_JSON,
	SESS_OPT_CSV,
	SESS_OPT_HTML,
	SESS_OPT_STACKS,
	SESS_OPT_FREQ,
	SESS_OPT_FOLDED,
	SESS_OPT_PPROF,
	SESS_OPT_MAX_THREADS,
};

#define SESSION_TARGET_OPTIONS                                     \
	{ "vm", required_argument, NULL, SESS_OPT_VM },            \
	{                                                          \
		"container", required_argument, NULL, SESS_OPT_CTR \
	}
/* --max-threads N: top, run, compare, serve */
#define SESSION_MAX_THREADS_OPTION                                           \
	{                                                                    \
		"max-threads", required_argument, NULL, SESS_OPT_MAX_THREADS \
	}
#define SESSION_MAX_THREADS_HELP                                                                  \
	"  --max-threads N       threads the per-thread maps and tables hold (default 131072);\n" \
	"                        beyond it charges are counted as drops, never lost silently\n"
#define SESSION_OUTPUT_OPTIONS                                      \
	{ "interval", required_argument, NULL, SESS_OPT_INTERVAL }, \
		{ "json", required_argument, NULL, SESS_OPT_JSON }, \
		{ "html", required_argument, NULL, SESS_OPT_HTML }, \
	{                                                           \
		"csv", required_argument, NULL, SESS_OPT_CSV        \
	}

/* Stack sampling (user/stack/): --stacks, --freq N, --folded DIR, --pprof FILE. */
#define SESSION_STACK_OPTIONS                                           \
	{ "stacks", no_argument, NULL, SESS_OPT_STACKS },               \
		{ "freq", required_argument, NULL, SESS_OPT_FREQ },     \
		{ "folded", required_argument, NULL, SESS_OPT_FOLDED }, \
	{                                                               \
		"pprof", required_argument, NULL, SESS_OPT_PPROF        \
	}
#define SESSION_STACK_HELP                                                                         \
	"  --stacks              sample stacks (99 Hz per CPU): a \"where\" table per step\n"      \
	"  --freq N              samples per second per CPU (1-10000; implies --stacks)\n"         \
	"  --folded DIR          folded stacks, one file per entity and role (implies --stacks)\n" \
	"  --pprof FILE          gzip'd pprof profile, labelled by entity, role, context,\n"       \
	"                        target and step (implies --stacks)\n"

struct session_cli {
	const char *vms[MAX_TARGETS], *ctrs[MAX_TARGETS];
	int nvm, nctr;
	uint64_t interval_ns; /* default 1 s */
	const char *json, *csv, *html;
	unsigned int stack_hz; /* 0: no stack sampling */
	uint32_t max_threads;  /* --max-threads; 0: VP_MAX_THREADS */
	const char *folded, *pprof;
	struct load_plan plan; /* the LOAD_LONG_OPTIONS, for commands that drive load */
};

void session_cli_init(struct session_cli *c);
/*
 * A target, output or load option: 0 taken, -EINVAL bad value (message printed), 1 not one of
 * these (the caller's own, or unknown).
 */
int session_cli_opt(struct session_cli *c, int opt, const char *arg);
/*
 * --json FILE / --csv DIR / --html FILE writable?  Checked before any probe or packet; message
 * printed.
 */
int session_check_outputs(const char *json, const char *csv, const char *html);
/* --folded DIR (made when missing) / --pprof FILE writable?  Message printed. */
int session_check_stack_outputs(const struct session_cli *c);

#endif
