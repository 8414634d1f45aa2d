// SPDX-License-Identifier: GPL-2.0
/*
 * virtprof compare: the same load plan against each target, step by step, then one side-by-side
 * table -- the study's Figures 13-15 with the load generator, each target's own work, its
 * virtualization overhead and the kernel path on separate lines.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "report/session_report.h"
#include "session/options.h"
#include "session/session.h"
#include "sys/util.h"

/* Long enough for a second-scale idle average, short against the steps it serves. */
#define COMPARE_BASELINE_NS (3 * NSEC_PER_SEC)
#include "testbed/testbed.h"

#define MAX_STEPS 16

/*
 * The study's light / medium / heavy were 1,000 / 5,000-7,000 / 10,000 JMeter threads against a
 * many-core server.  On the 2-core machines this runs on, a TCG guest serves a few hundred
 * requests per second, so the named steps are scaled down; give numbers for the study's sizes.
 */
static const struct {
	const char *name;
	uint64_t users;
} named_steps[] = { { "light", 10 }, { "medium", 50 }, { "heavy", 200 } };

/* --target: each is loaded in turn at every step; the host's count is --max-targets' */
#define COMPARE_MAX_TARGETS 64

struct cmp_target {
	char name[64];
	char url[512];
	enum target_kind kind;
	char spec[128];
	char netns[64]; /* "@netns:NAME": its URL is reached from that namespace; "" the plan's */
	int idx;	/* in the session's targets */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: virtprof compare --target NAME=URL@vm:PID|NAME --target NAME=URL@container:ID|NAME\n"
		"                        [--steps 1000,5000,... | --steps light,medium,heavy]\n"
		"                        [--duration D] [--testbed] [load options] [--json FILE] [--csv DIR]\n"
		"                        [--html FILE]\n"
		"\n"
		"Runs the same closed-model load plan against each target, step by step (1 s ramp-up by\n"
		"default, as in the study), profiling the whole host, then prints one side-by-side table:\n"
		"the load generator, each target's own work, its virtualization overhead and the kernel\n"
		"network path on separate lines, per request and in %% of the host, with response times.\n"
		"\n"
		"  --target NAME=URL@KIND:SPEC[@netns:NS]  KIND vm (qemu pid or -name) or container\n"
		"                               (docker id, name, cgroup path or pid); repeatable;\n"
		"                               @netns:NS loads that target from namespace NS\n"
		"  --testbed                    bring up the built-in VM and container, compare them,\n"
		"                               take them down again (no --target needed)\n"
		"  --testbed-path PATH          URL path to load on the testbed (default /; the servers\n"
		"                               also have /bytes/N bodies of N bytes)\n"
		"  --workload W                 http (default) | disk-read | disk-write: the testbed\n"
		"                               with a disk (testbed up --disk); disk-read GETs\n"
		"                               /disk/N (N bytes read with O_DIRECT per request),\n"
		"                               disk-write POSTs N bytes to /disk/N (written to the\n"
		"                               disk); N from --testbed-path /disk/N (default 65536)\n"
		"  --testbed-name NAME          testbed (and network namespace) name (default virtprof-tb)\n"
		"  --target-cpus LIST           the testbed's VM and container run only on these CPUs\n"
		"                               (with --loadgen-cpus on others: neither starves the other)\n"
		"  --keep-testbed               leave the testbed up afterwards (a testbed that was\n"
		"                               already up is always left up)\n"
		"  --steps LIST                 users per step: numbers, or light,medium,heavy\n"
		"                               (= 10,50,200 users: scaled to a 2-core host)\n"
		"  --interval D                 reporting interval (default 1s)\n"
		"  --json FILE, --csv DIR       reports (schema virtprof-session/1, docs/report.md)\n"
		"  --html FILE                  one self-contained page: charts, tables, notes\n"
		"  --load-cmd 'CMD ARGS'        your own load generator for every step and target,\n"
		"                               {url} and {users} replaced by the target's URL and the\n"
		"                               step's user count (see 'virtprof run --help')\n"
		"  -v, --verbose                the text report holds each step's sections too (load,\n"
		"                               isolation, agreement with the kernel, disk I/O, where),\n"
		"                               the comparison last; without it the comparison, the\n"
		"                               baselines and the accounting mode alone (--json, --csv\n"
		"                               and --html always hold everything); it also logs\n"
		"                               more on stderr (libbpf; -vv its debug lines)\n" SESSION_MAX_THREADS_HELP
			SESSION_RUN_LIGHT_HELP SESSION_STACK_HELP SESSION_EXIT_PROFILE_HELP
				SESSION_GUEST_SYMBOLS_HELP "\n%s"
		"\nExamples:\n"
		"  virtprof compare --testbed --steps light,medium --duration 10s\n"
		"  virtprof compare --target kvm=http://10.0.0.2/@vm:web1 \\\n"
		"                   --target docker=http://172.17.0.2/@container:web2 \\\n"
		"                   --steps 1000,5000,7000,10000 --duration 30s --json cmp.json\n"
		"  virtprof compare --testbed --workload disk-read --testbed-path /disk/262144\n"
		"  virtprof compare --testbed --stacks --folded /tmp/fg --pprof cmp.pb.gz\n"
		"  virtprof compare --testbed --steps 100,1000 \\\n"
		"                   --load-cmd 'wrk -t1 -c{users} -d10s --latency {url}'\n",
		load_options_help);
}

static int parse_target(const char *arg, struct cmp_target *t)
{
	const char *eq = strchr(arg, '='), *at = strrchr(arg, '@'), *colon, *ns = NULL;
	char buf[768];

	memset(t, 0, sizeof(*t));
	t->idx = -1;
	/* a trailing "@netns:NAME" names the namespace this target's URL is reached from */
	if (at && !strncmp(at, "@netns:", 7)) {
		ns = at + 7;
		if (!*ns || strlen(ns) >= sizeof(t->netns) || (size_t)(at - arg) >= sizeof(buf))
			return -EINVAL;
		snprintf(t->netns, sizeof(t->netns), "%s", ns);
		snprintf(buf, sizeof(buf), "%.*s", (int)(at - arg), arg);
		arg = buf;
		eq = strchr(arg, '=');
		at = strrchr(arg, '@');
	}
	if (!eq || !at || at < eq || eq == arg)
		return -EINVAL;
	colon = strchr(at, ':');
	if (!colon || !colon[1])
		return -EINVAL;
	snprintf(t->name, sizeof(t->name), "%.*s", (int)(eq - arg), arg);
	snprintf(t->url, sizeof(t->url), "%.*s", (int)(at - eq - 1), eq + 1);
	if (!strncmp(at + 1, "vm:", 3))
		t->kind = TARGET_VM;
	else if (!strncmp(at + 1, "container:", 10) || !strncmp(at + 1, "ctr:", 4))
		t->kind = TARGET_CTR;
	else
		return -EINVAL;
	snprintf(t->spec, sizeof(t->spec), "%s", colon + 1);
	return t->url[0] ? 0 : -EINVAL;
}

static int parse_steps(const char *arg, uint64_t *users, char labels[][16], int *n)
{
	char *dup = strdup(arg), *save, *tok;
	int err = 0;

	*n = 0;
	if (!dup)
		return -ENOMEM;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t v = 0;
		bool named = false;

		if (*n >= MAX_STEPS) {
			err = -E2BIG;
			break;
		}
		for (size_t i = 0; i < ARRAY_SIZE(named_steps); i++) {
			if (!strcmp(tok, named_steps[i].name)) {
				v = named_steps[i].users;
				named = true;
			}
		}
		if (!named && parse_u64(tok, 1, LOAD_MAX_USERS, &v)) {
			err = -EINVAL;
			break;
		}
		users[*n] = v;
		snprintf(labels[*n], 16, "%s", tok);
		(*n)++;
	}
	free(dup);
	return err ? err : (*n ? 0 : -EINVAL);
}

/* Which of the session's targets a --target named. */
static int find_target(const struct targets *ts, const struct cmp_target *c)
{
	uint64_t pid = 0;

	parse_u64(c->spec, 1, 1u << 30, &pid);
	for (int i = 0; i < ts->n; i++) {
		const struct target *t = &ts->t[i];

		if (t->kind != c->kind)
			continue;
		if ((pid && t->pid == (pid_t)pid) || !strcmp(t->name, c->spec) ||
		    (t->id[0] && strlen(c->spec) >= 12 &&
		     !strncmp(t->id, c->spec, strlen(c->spec))))
			return i;
		if (t->kind == TARGET_CTR && strchr(c->spec, '/') && strstr(c->spec, t->name))
			return i;
	}
	return -1;
}

int cmd_compare(int argc, char **argv)
{
	enum {
		OPT_TARGET = 256,
		OPT_STEPS,
		OPT_TESTBED,
		OPT_KEEP,
		OPT_TB_PATH,
		OPT_TB_NAME,
		OPT_TB_CPUS,
		OPT_WORKLOAD
	};
	static const struct option opts[] = {
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "steps", required_argument, NULL, OPT_STEPS },
		{ "testbed", no_argument, NULL, OPT_TESTBED },
		{ "keep-testbed", no_argument, NULL, OPT_KEEP },
		{ "testbed-path", required_argument, NULL, OPT_TB_PATH },
		{ "testbed-name", required_argument, NULL, OPT_TB_NAME },
		{ "target-cpus", required_argument, NULL, OPT_TB_CPUS },
		{ "workload", required_argument, NULL, OPT_WORKLOAD },
		SESSION_GUEST_SYMBOLS_OPTION,
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		SESSION_OUTPUT_OPTIONS,
		SESSION_MAX_THREADS_OPTION,
		SESSION_LIGHT_OPTION,
		SESSION_MAX_TARGETS_OPTION,
		SESSION_STACK_OPTIONS,
		SESSION_EXIT_PROFILE_OPTIONS,
		SESSION_SOURCE_OPTIONS,
		LOAD_LONG_OPTIONS,
		{},
	};
	struct cmp_target tg[COMPARE_MAX_TARGETS];
	struct capture_opts copts;
	uint64_t users[MAX_STEPS];
	char labels[MAX_STEPS][16], msg[256];
	int ntg = 0, nsteps = 0, opt, err, ret = VP_EXIT_FAIL;
	struct session_cli cli;
	bool testbed = false, tb_up = false, session_ok = false, keep = false;
	const char *tb_path = "/", *tb_name = NULL, *tb_cpus = NULL, *workload = "http";
	struct load_plan *plan = &cli.plan;
	struct testbed_info tbi;
	struct session s;

	session_cli_init(&cli);
	while ((opt = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_TARGET:
			if (ntg >= COMPARE_MAX_TARGETS) {
				vp_err("too many targets (at most %d)", COMPARE_MAX_TARGETS);
				return VP_EXIT_USAGE;
			}
			if (parse_target(optarg, &tg[ntg])) {
				vp_err("--target %s: expected NAME=URL@vm:PID|NAME or "
				       "NAME=URL@container:ID|NAME|CGROUP|PID (then optionally "
				       "@netns:NAME)",
				       optarg);
				return VP_EXIT_USAGE;
			}
			ntg++;
			break;
		case OPT_STEPS:
			if (parse_steps(optarg, users, labels, &nsteps)) {
				vp_err("--steps %s: a comma list of user counts (1-%llu) or light, medium, "
				       "heavy (at most %d steps)",
				       optarg, LOAD_MAX_USERS, MAX_STEPS);
				return VP_EXIT_USAGE;
			}
			break;
		case OPT_TESTBED:
			testbed = true;
			break;
		case OPT_KEEP:
			keep = true;
			break;
		case OPT_TB_CPUS: {
			cpu_set_t set;

			if (parse_cpu_list(optarg, &set)) {
				vp_err("--target-cpus '%s': want online CPUs, \"1\" or \"0,2-3\"",
				       optarg);
				return VP_EXIT_USAGE;
			}
			tb_cpus = optarg;
			break;
		}
		case OPT_TB_NAME:
			if (!testbed_name_ok(optarg)) {
				vp_err("--testbed-name %s: letters, digits, '_', '.', '-', at most %d",
				       optarg, TB_NAME_MAX - 5);
				return VP_EXIT_USAGE;
			}
			tb_name = optarg;
			break;
		case OPT_TB_PATH:
			if (optarg[0] != '/' || strpbrk(optarg, " \t\r\n#")) {
				vp_err("--testbed-path %s: an absolute URL path such as /bytes/1024",
				       optarg);
				return VP_EXIT_USAGE;
			}
			tb_path = optarg;
			break;
		case OPT_WORKLOAD:
			if (strcmp(optarg, "http") && strcmp(optarg, "disk-read") &&
			    strcmp(optarg, "disk-write")) {
				vp_err("--workload %s: http, disk-read or disk-write", optarg);
				return VP_EXIT_USAGE;
			}
			workload = optarg;
			break;
		case 'v':
			vp_verbose++;
			break;
		case 'h':
			usage(stdout);
			return VP_EXIT_OK;
		default:
			if (opt == LOAD_OPT_USERS) {
				vp_err("--users: compare takes the user counts from --steps");
				return VP_EXIT_USAGE;
			}
			err = session_cli_opt(&cli, opt, optarg);
			if (err < 0)
				return VP_EXIT_USAGE;
			if (!err)
				break;
			usage(stderr);
			return VP_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		vp_err("unexpected argument '%s'", argv[optind]);
		return VP_EXIT_USAGE;
	}
	if (!testbed && (keep || strcmp(tb_path, "/") || tb_name || tb_cpus)) {
		vp_err("--keep-testbed, --testbed-path, --testbed-name and --target-cpus go with --testbed");
		return VP_EXIT_USAGE;
	}
	if (strcmp(workload, "http")) {
		uint64_t n = 0;

		if (!testbed) {
			vp_err("--workload %s: the disk workloads run on the testbed (--testbed)",
			       workload);
			return VP_EXIT_USAGE;
		}
		if (!strcmp(tb_path, "/"))
			tb_path = "/disk/65536";
		if (strncmp(tb_path, "/disk/", 6) || parse_u64(tb_path + 6, 1, 1ULL << 30, &n)) {
			vp_err("--testbed-path %s: --workload %s wants /disk/N (N bytes, a size of "
			       "'virtprof testbed up --disk-sizes')",
			       tb_path, workload);
			return VP_EXIT_USAGE;
		}
		if (!strcmp(workload, "disk-write"))
			plan->body_bytes = n;
	}
	if (testbed && ntg) {
		vp_err("--testbed brings its own targets: leave out --target");
		return VP_EXIT_USAGE;
	}
	if (!testbed && !ntg) {
		vp_err("no target: give --target NAME=URL@vm:... / @container:..., or --testbed");
		return VP_EXIT_USAGE;
	}
	if (testbed && plan->netns) {
		vp_err("--testbed uses its own network namespace: leave out --netns");
		return VP_EXIT_USAGE;
	}
	if (cli.have_rc) {
		vp_err("--requests-from: each target has its own server; use 'virtprof run' per target");
		return VP_EXIT_USAGE;
	}
	if (cli.load_cmd && session_check_sources(&cli, false))
		return VP_EXIT_USAGE;
	if (plan->rate > 0) {
		vp_err("--rate: compare runs closed-model steps (users); use 'virtprof run' for an open "
		       "rate");
		return VP_EXIT_USAGE;
	}
	if (!nsteps)
		parse_steps("light,medium,heavy", users, labels, &nsteps);
	if (!plan->set_ramp)
		plan->ramp_up_ns =
			NSEC_PER_SEC; /* the study started its thread groups within 1 s */
	if (!plan->set_duration && !plan->set_loops)
		plan->duration_ns = 10 * NSEC_PER_SEC;
	/* every step's plan must be valid before anything starts */
	for (int i = 0; i < (testbed ? 1 : ntg); i++) {
		struct load_plan p = *plan;

		p.url = testbed ? "http://127.0.0.1/" : tg[i].url;
		p.users = users[0];
		p.set_users = true;
		for (int k = 0; k < nsteps; k++) {
			p.users = users[k];
			if (load_plan_validate(&p, msg, sizeof(msg))) {
				vp_err("%s%s%s", testbed ? "" : tg[i].name, testbed ? "" : ": ",
				       msg);
				return VP_EXIT_USAGE;
			}
		}
	}
	if (session_check_light(&cli) || session_check_outputs(cli.json, cli.csv, cli.html) ||
	    session_check_stack_outputs(&cli))
		return VP_EXIT_USAGE;

	if (testbed) {
		struct testbed_opts to = { .name = tb_name,
					   .target_cpus = tb_cpus,
					   .disk = strcmp(workload, "http") != 0 };

		/* a testbed that was up before is the user's: used, and left up afterwards */
		if (!testbed_status(tb_name, &tbi) && tbi.up) {
			keep = true;
			if (to.disk && !tbi.disk_image[0]) {
				vp_err("--workload %s: testbed %s is up without a disk; take it down "
				       "first ('virtprof testbed down --name %s') or pick another "
				       "--testbed-name",
				       workload, tbi.name, tbi.name);
				return VP_EXIT_USAGE;
			}
		}
		err = testbed_up(&to, &tbi);
		if (err) {
			vp_err("testbed did not come up (%s); nothing was compared",
			       strerror(-err));
			testbed_down(tb_name);
			return err == -EINTR ? VP_EXIT_OK : VP_EXIT_FAIL;
		}
		tb_up = true;
		ntg = 2;
		memset(tg, 0, 2 * sizeof(tg[0]));
		snprintf(tg[0].name, sizeof(tg[0].name), "vm");
		/* the testbed's URLs end in "/" */
		snprintf(tg[0].url, sizeof(tg[0].url), "%.*s%s", (int)strlen(tbi.vm_url) - 1,
			 tbi.vm_url, tb_path);
		tg[0].kind = TARGET_VM;
		snprintf(tg[0].spec, sizeof(tg[0].spec), "%d", (int)tbi.qemu_pid);
		snprintf(tg[1].name, sizeof(tg[1].name), "container");
		snprintf(tg[1].url, sizeof(tg[1].url), "%.*s%s", (int)strlen(tbi.ctr_url) - 1,
			 tbi.ctr_url, tb_path);
		tg[1].kind = TARGET_CTR;
		/* a native container has no docker id: its cgroup names it */
		snprintf(tg[1].spec, sizeof(tg[1].spec), "%s",
			 !strcmp(tbi.runtime, "docker") ? tbi.ctr_id :
			 tbi.n_ctr_cgroup_dirs		? tbi.ctr_cgroup_dirs[0] :
							  tbi.ctr_cgroup);
		plan->netns = tbi.netns;
		fprintf(stderr, "virtprof: testbed up: VM %s (%s, vhost %s), container %s (%s)\n",
			tbi.vm_url, tbi.accel, tbi.vhost, tbi.ctr_url, tbi.runtime);
	}
	for (int i = 0; i < ntg; i++) {
		if (tg[i].kind == TARGET_VM)
			cli.vms[cli.nvm++] = tg[i].spec;
		else
			cli.ctrs[cli.nctr++] = tg[i].spec;
	}
	copts = session_capture_opts(&cli, true);
	err = session_open(&s, &copts, cli.interval_ns);
	if (err) {
		ret = vp_exit_code(err);
		goto out;
	}
	session_ok = true;
	if (cli.stack_hz)
		capture_stacks(&s.cap, cli.stack_hz); /* not available is reported, not fatal */
	if (tb_up)
		snprintf(s.testbed, sizeof(s.testbed), "%s", tbi.name);
	snprintf(s.workload, sizeof(s.workload), "%s", workload);
	for (int i = 0; i < ntg; i++) {
		tg[i].idx = find_target(&s.cap.targets, &tg[i]);
		if (tg[i].idx < 0) {
			vp_err("--target %s: could not match it to a VM or container", tg[i].name);
			ret = VP_EXIT_USAGE;
			goto out;
		}
	}

	/* every target's idle CPU before any load: each step then waits until they are back to it */
	fprintf(stderr, "virtprof: measuring the targets' idle baseline (%.0f s)\n",
		COMPARE_BASELINE_NS / 1e9);
	err = session_baseline(&s, COMPARE_BASELINE_NS);
	if (err) {
		ret = vp_exit_code(err);
		goto out;
	}
	/* step by step, each target in turn under the same plan */
	for (int k = 0; k < nsteps && !s.stop; k++) {
		for (int i = 0; i < ntg && !s.stop; i++) {
			struct load_plan p = *plan;
			struct sess_step *st;

			p.url = tg[i].url;
			if (tg[i].netns[0])
				p.netns = tg[i].netns;
			p.users = users[k];
			p.set_users = true;
			if (load_plan_validate(&p, msg, sizeof(msg))) {
				vp_err("%s", msg);
				ret = VP_EXIT_USAGE;
				goto out;
			}
			st = session_add_step(&s, labels[k], tg[i].idx, &p);
			if (!st)
				goto out;
			if (cli.load_cmd) {
				char cmd[1024];

				if (session_cmd_expand(cli.load_cmd, tg[i].url, users[k], cmd,
						       sizeof(cmd))) {
					vp_err("--load-cmd: too long with {url} and {users} filled in");
					ret = VP_EXIT_USAGE;
					goto out;
				}
				session_step_cmd(st, cmd);
			}
			fprintf(stderr, "virtprof: step %s: %s (%s), %llu users\n", labels[k],
				tg[i].name, s.cap.targets.t[tg[i].idx].entity,
				(unsigned long long)users[k]);
			session_run_step(&s, st);
		}
	}
	session_report_text(&s, stdout, vp_verbose ? TEXT_COMPARE_DETAIL : TEXT_COMPARE);
	ret = session_report_outputs(&s, &cli, "compare");
	/* a load command that failed fails the comparison, after the report of what was measured */
	for (int i = 0; i < s.nsteps; i++) {
		if (session_step_cmd_failed(&s.steps[i], msg, sizeof(msg))) {
			vp_err("%s", msg);
			if (ret == VP_EXIT_OK)
				ret = VP_EXIT_FAIL;
		}
	}
out:
	if (session_ok)
		session_close(&s);
	if (tb_up && keep)
		fprintf(stderr,
			"virtprof: testbed %s left up: 'virtprof testbed down --name %s' "
			"removes it\n",
			tbi.name, tbi.name);
	else if (tb_up && testbed_down(tb_name)) {
		vp_err("testbed down failed: run 'virtprof testbed down'");
		ret = VP_EXIT_FAIL;
	}
	return ret;
}
