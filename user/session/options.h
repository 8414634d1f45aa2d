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
#include "load/reqcount.h"
#include "session/capture.h"

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
	SESS_OPT_GUEST_SYMBOLS,
	SESS_OPT_LOAD_CMD,
	SESS_OPT_REQUESTS_FROM,
	SESS_OPT_MAX_THREADS,
	SESS_OPT_LIGHT,
	SESS_OPT_MAX_TARGETS,
	SESS_OPT_EXIT_FOLDED,
	SESS_OPT_EXIT_PPROF,
};

/* --vm / --container given on the command line, of each kind (discovery has --max-targets) */
#define SESSION_MAX_NAMED 1024

#define SESSION_TARGET_OPTIONS                                     \
	{ "vm", required_argument, NULL, SESS_OPT_VM },            \
	{                                                          \
		"container", required_argument, NULL, SESS_OPT_CTR \
	}
/* --guest-symbols VM=FILE: the commands that render the KVM exits tables (top, run, compare) */
#define SESSION_GUEST_SYMBOLS_OPTION                                             \
	{                                                                        \
		"guest-symbols", required_argument, NULL, SESS_OPT_GUEST_SYMBOLS \
	}
/* --max-threads N: top, run, compare, serve */
#define SESSION_MAX_THREADS_OPTION                                           \
	{                                                                    \
		"max-threads", required_argument, NULL, SESS_OPT_MAX_THREADS \
	}
#define SESSION_MAX_THREADS_HELP                                                                  \
	"  --max-threads N       threads the per-thread maps and tables hold (default 131072);\n" \
	"                        beyond it charges are counted as drops, never lost silently\n" SESSION_MAX_TARGETS_HELP
/* --light: top, serve, run, compare */
#define SESSION_LIGHT_OPTION                               \
	{                                                  \
		"light", no_argument, NULL, SESS_OPT_LIGHT \
	}
#define SESSION_LIGHT_HELP                                                                          \
	"      --light              always-on light mode: only the switch-side accounting per\n"    \
	"                           thread and cgroup; softirq and irq time stay with the thread\n" \
	"                           they interrupted (as cpu.stat counts them); no softirq by\n"    \
	"                           vector, network path, block, KVM or stacks (n/a, with why)\n"
#define SESSION_RUN_LIGHT_HELP                                                                      \
	"  --light               the light mode of top / serve: the switch-side accounting only;\n" \
	"                        softirq and irq time stay with the thread they interrupted, and\n" \
	"                        PATH, softirq by vector, block, KVM and stacks are n/a (why)\n"
/* --max-targets N: top, run, compare, serve */
#define SESSION_MAX_TARGETS_OPTION                                           \
	{                                                                    \
		"max-targets", required_argument, NULL, SESS_OPT_MAX_TARGETS \
	}
#define SESSION_MAX_TARGETS_HELP                                                                 \
	"  --max-targets N       VMs and containers tracked at most (default 4096, 1-65536);\n"  \
	"                        more are counted (drops: targets_not_tracked), their threads\n" \
	"                        stay in other\n"
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

#define SESSION_GUEST_SYMBOLS_HELP                                                                  \
	"      --guest-symbols VM=FILE  the guest kernel's symbols (its /proc/kallsyms copied as\n" \
	"                           root, System.map or vmlinux) for the KVM exits by guest\n"      \
	"                           function; VM a pid or name as --vm takes (repeatable)\n"
/* The KVM exit profile's files: run, compare (a step's samples inside the vCPUs' exits). */
#define SESSION_EXIT_PROFILE_OPTIONS                                       \
	{ "exit-folded", required_argument, NULL, SESS_OPT_EXIT_FOLDED },  \
	{                                                                  \
		"exit-pprof", required_argument, NULL, SESS_OPT_EXIT_PPROF \
	}
#define SESSION_EXIT_PROFILE_HELP                                                                     \
	"  --exit-folded FILE    the KVM exit profile as folded stacks: VM;[guest] function;[exit]\n" \
	"                        REASON;host frames (root first) count -- flamegraph.pl, inferno,\n"  \
	"                        speedscope (implies --stacks)\n"                                     \
	"  --exit-pprof FILE     the same as a gzip'd pprof profile (implies --stacks)\n"
/* Where the load and the request count come from: --load-cmd 'CMD ARGS', --requests-from URL. */
#define SESSION_SOURCE_OPTIONS                                                   \
	{ "load-cmd", required_argument, NULL, SESS_OPT_LOAD_CMD },              \
	{                                                                        \
		"requests-from", required_argument, NULL, SESS_OPT_REQUESTS_FROM \
	}
#define SESSION_SOURCE_HELP                                                                          \
	"  --load-cmd 'CMD ARGS'  run your own load generator instead of virtprof's (no shell:\n"    \
	"                        words split at blanks, '...' and \"...\" quoting; wrap it in\n"     \
	"                        sh -c '...' for pipes), in a cgroup of its own, charged to\n"       \
	"                        LOADGEN; the step lasts as long as it runs (--duration: at most,\n" \
	"                        then SIGTERM, SIGKILL 3 s later); requests, errors and latency\n"   \
	"                        from its report: wrk/wrk2, h2load, ab, jmeter -n ... -l FILE.jtl\n" \
	"  --requests-from URL   count requests on the server: nginx stub_status, Apache\n"          \
	"                        mod_status ?auto, or URL#name{labels} of a Prometheus page, read\n" \
	"                        at the measured window's start and end (with no load of its own\n"  \
	"                        the step lasts --duration, default 10s)\n"

struct session_cli {
	const char *vms[SESSION_MAX_NAMED], *ctrs[SESSION_MAX_NAMED];
	int nvm, nctr;
	int max_targets;      /* --max-targets; 0: TARGETS_DEFAULT_MAX */
	uint64_t interval_ns; /* default 1 s */
	const char *json, *csv, *html;
	unsigned int stack_hz; /* 0: no stack sampling */
	uint32_t max_threads;  /* --max-threads; 0: VP_MAX_THREADS */
	bool light;	       /* --light */
	bool guest_symbols;    /* --guest-symbols given */
	const char *folded, *pprof;
	const char *exit_folded, *exit_pprof; /* --exit-folded FILE, --exit-pprof FILE */
	struct load_plan plan; /* the LOAD_LONG_OPTIONS, for commands that drive load */
	const char *load_cmd;  /* --load-cmd, NULL: virtprof's own load */
	bool have_rc;	       /* --requests-from given */
	struct reqcount_src rc;
};

void session_cli_init(struct session_cli *c);
/* What capture_open takes from the command line. */
struct capture_opts session_capture_opts(const struct session_cli *c, bool io);
/*
 * A target, output or load option: 0 taken, -EINVAL bad value (message printed), 1 not one of
 * these (the caller's own, or unknown).
 */
int session_cli_opt(struct session_cli *c, int opt, const char *arg);
/*
 * With --load-cmd or --requests-from and no virtprof load: the load options that only virtprof's
 * own generator takes are refused, --duration is checked; 0 or -EINVAL (message printed).
 */
int session_check_sources(struct session_cli *c, bool builtin);
/* A --load-cmd line with {url} and {users} filled in (compare: per target and step). */
int session_cmd_expand(const char *tmpl, const char *url, uint64_t users, char *out, size_t len);
/*
 * --json FILE / --csv DIR / --html FILE writable?  Checked before any probe or packet; message
 * printed.
 */
int session_check_outputs(const char *json, const char *csv, const char *html);
/*
 * --light with an option that needs what light mode leaves out (stacks, KVM exits by guest
 * function): -EINVAL, one line printed.  0 without --light.
 */
int session_check_light(const struct session_cli *c);
/* --folded DIR (made when missing) / --pprof FILE writable?  Message printed. */
int session_check_stack_outputs(const struct session_cli *c);

#endif
