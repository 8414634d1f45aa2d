/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A profiling session: the accounting probes attached while the load generator drives one or more
 * steps, a CPU snapshot every interval, and per step the costs split by owner and normalized per
 * request.  `virtprof run` is one step; `virtprof compare` is steps x targets.
 */
#ifndef VP_SESSION_H
#define VP_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "attribute.h"
#include "cpureport.h"
#include "load/load.h"

/* Network path time of one owner during a step (from the per-device split). */
struct path_sum {
	uint64_t softirq_ns; /* NET_RX + NET_TX softirq time charged to its devices */
	uint64_t proc_ns;    /* receive work in process context (tap writes) */
	uint64_t pkts;
};

/* One sample of the CPU timeline (every interval). */
struct tl_point {
	double t_s; /* end of the interval, seconds since the session started */
	uint64_t mono_ns, real_ns;
	double interval_s;
	double coverage_pct;
	bool warmup;
	int nrows;
	struct tl_row {
		char entity[ENTITY_LEN];
		char role[ROLE_LEN];
		uint64_t busy_ns;
	} * rows;
};

/* What one target cost during a step, split the way the comparison shows it. */
struct target_cost {
	bool present;
	uint64_t own_ns; /* vcpu (VM) / app (container): task + hardirq + non-network softirq */
	uint64_t emul_ns, io_ns, vhost_ns, kvm_ns, runtime_ns; /* overhead parts by role */
	uint64_t path_ns;     /* network path of its own devices: softirq + process-context */
	uint64_t bridge_ns;   /* bridges on its path (in a step that loads it) */
	uint64_t overhead_ns; /* all of the above but own */
};

struct sess_step {
	char label[48]; /* "light", "1000", "run" */
	int target;	/* index in the session's targets, -1: none named */
	char url[512];
	struct load_plan plan;
	struct load_result res;
	bool have_res;
	bool skipped;
	char skip_reason[160];
	bool interrupted; /* SIGINT/SIGTERM ended it early */
	bool lost;	  /* its target died during the step */
	double lost_at_s;
	double t_start_s, t_end_s;

	/* CPU over the measured window (warm-up excluded) */
	struct agg agg;
	uint64_t span_ns, busy_ns, idle_ns, bpf_ns;
	bool bpf_known; /* kernel bpf_stats was on */
	int ncpu;
	uint64_t drops[VP_DROP_MAX];
	int ntl, captl;
	struct tl_point *tl;

	/* network path split: per target, plus unowned devices (lo, host bridges, ...) */
	bool net_ok;
	char net_na[160];
	struct path_sum path[MAX_TARGETS];
	struct path_sum path_other;
	struct path_sum path_bridge;
	uint64_t net_softirq_hosted_ns; /* NET_* softirq time inside threads' buckets */

	/* network devices, block I/O and KVM over the step, rendered when it ended */
	char *io_text, *io_json;

	/* derived */
	struct target_cost cost[MAX_TARGETS];
	uint64_t loadgen_ns, profiler_ns, other_ns, kernel_path_ns;
};

struct session {
	struct session_cpu cpu;
	uint64_t interval_ns;
	uint64_t t0_mono;
	sigset_t sigs;
	bool stop; /* a signal arrived: finish the current step's report and stop */
	int nsteps, capsteps;
	struct sess_step *steps;
	char testbed[64]; /* name of the testbed the session brought up, "" none */
};

/*
 * Open probes (and the I/O sections) for the given targets; SIGINT/SIGTERM are blocked and taken
 * between intervals.  Returns 0 or -errno (message printed).
 */
int session_open(struct session *s, const char **vms, int nvm, const char **ctrs, int nctr,
		 uint64_t interval_ns);
void session_close(struct session *s);
/* Add a step (plan copied); the label and the target index are for the report. */
struct sess_step *session_add_step(struct session *s, const char *label, int target,
				   const struct load_plan *plan);
/* Run one step: load while sampling; fills the step.  Returns 0, or -errno for load failures. */
int session_run_step(struct session *s, struct sess_step *st);
/* Split the step's CPU into loadgen / target own / overhead parts / path / other. */
void session_derive(struct session *s, struct sess_step *st);

/*
 * Command-line options shared by top, run and compare (values never collide with the load
 * options' LOAD_OPT_* nor with a command's own).
 */
enum {
	SESS_OPT_VM = 0x2000,
	SESS_OPT_CTR,
	SESS_OPT_INTERVAL,
	SESS_OPT_JSON,
	SESS_OPT_CSV,
};

#define SESSION_TARGET_OPTIONS                                     \
	{ "vm", required_argument, NULL, SESS_OPT_VM },            \
	{                                                          \
		"container", required_argument, NULL, SESS_OPT_CTR \
	}
#define SESSION_OUTPUT_OPTIONS                                      \
	{ "interval", required_argument, NULL, SESS_OPT_INTERVAL }, \
		{ "json", required_argument, NULL, SESS_OPT_JSON }, \
	{                                                           \
		"csv", required_argument, NULL, SESS_OPT_CSV        \
	}

struct session_cli {
	const char *vms[MAX_TARGETS], *ctrs[MAX_TARGETS];
	int nvm, nctr;
	uint64_t interval_ns; /* default 1 s */
	const char *json, *csv;
	struct load_plan plan; /* the LOAD_LONG_OPTIONS, for commands that drive load */
};

void session_cli_init(struct session_cli *c);
/*
 * A target, output or load option: 0 taken, -EINVAL bad value (message printed), 1 not one of
 * these (the caller's own, or unknown).
 */
int session_cli_opt(struct session_cli *c, int opt, const char *arg);

/* --json FILE / --csv DIR writable?  Checked before any probe or packet; message printed. */
int session_check_outputs(const char *json, const char *csv);

/* --json / --csv after the text report; returns VP_EXIT_OK or VP_EXIT_FAIL. */
int session_write_outputs(struct session *s, const struct session_cli *c, const char *command);

/* Reports (one code path for text and JSON). */
void session_report_text(struct session *s, FILE *f, bool compare);
int session_write_json(struct session *s, const char *path, const char *command);
int session_write_csv(struct session *s, const char *dir);
/* The side-by-side table (compare) / the per-step summary (run). */
void session_table_compare(struct session *s, struct out *o);

#endif
