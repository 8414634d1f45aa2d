// SPDX-License-Identifier: GPL-2.0
/* virtprof top: a live table of where the host's CPU goes, per entity and role. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "report/top.h"
#include "session/capture.h"
#include "session/options.h"
#include "stack/output.h"
#include "sys/util.h"

static const char top_usage[] =
	"Usage: virtprof top [interval] [count] [OPTIONS]\n"
	"\n"
	"Live table of the host's CPU per entity (vm:<name>, ctr:<name>, loadgen, profiler, other)\n"
	"and role, split task / softirq / hardirq, with run-queue delay and context switches.\n"
	"interval is seconds (default 1) or a duration with unit (500ms); count defaults to forever.\n"
	"\n"
	"  -p, --pid PID            only the threads of process PID\n"
	"      --vm PID|NAME|UUID   a VM: qemu -name / libvirt domain name, firecracker --id, or\n"
	"                           qemu -uuid (libvirt's domain uuid) or its prefix (repeatable)\n"
	"      --container ID|NAME|CGROUP|PID  a container: id prefix, name, namespace/pod,\n"
	"                           namespace/pod/container, cgroup path or pid (repeatable)\n"
	"                           (with neither: every VM and container found, re-checked\n"
	"                           every interval: docker, Kubernetes, CRI-O, podman, containerd,\n"
	"                           LXC, nspawn; qemu, firecracker, cloud-hypervisor, crosvm)\n" SESSION_GUEST_SYMBOLS_HELP
	"  -j, --json               one JSON object per interval on stdout (same data as the text)\n"
	"      --softirq            also the softirq table by vector in text mode\n"
	"      --io                 also network devices, block I/O and KVM in text mode\n"
	"      --no-io              do not load the network / block / KVM programs\n" SESSION_LIGHT_HELP
	"      --max-threads N      threads the per-thread maps hold (default 131072); beyond it\n"
	"                           the loss is counted in the drops table, never silent\n"
	"      --max-targets N      VMs and containers tracked at most (default 4096); more are\n"
	"                           counted (drops: targets_not_tracked), their threads in other\n"
	"      --stacks             sample stacks (99 Hz per CPU): hottest functions per owner\n"
	"      --freq N             samples per second per CPU (1-10000; implies --stacks)\n"
	"      --folded DIR         at the end: folded stacks, one file per entity and role\n"
	"      --pprof FILE         at the end: a gzip'd pprof profile of the whole run\n"
	"  -v, --verbose            libbpf and collector diagnostics on stderr (-vv: more)\n"
	"  -h, --help\n"
	"\n"
	"Examples:\n"
	"  virtprof top                       # every second, all VMs and containers found\n"
	"  virtprof top 2 5 --vm virtprof-vm  # five 2-second intervals, one VM\n"
	"  virtprof top 1 10 --json | jq .coverage\n"
	"  virtprof top 5 --light              # always-on: the cheapest accounting only\n"
	"  virtprof top 1 30 --stacks --folded /tmp/fg  # then flamegraph.pl /tmp/fg/*.folded\n";

static int parse_interval(const char *s, uint64_t *ns)
{
	uint64_t v;

	if (!parse_u64(s, 1, 3600, &v)) {
		*ns = v * NSEC_PER_SEC;
		return 0;
	}
	if (parse_duration_ns(s, ns) || *ns < 10 * NSEC_PER_MSEC)
		return -EINVAL;
	return 0;
}

/* --folded / --pprof over the whole run, at its end (a signal included). */
static int write_stacks(const struct session_cli *cli, const struct stack_profile *all,
			uint64_t dur_ns, int ret)
{
	struct stack_source src = { all, "top", "-" };
	int err;

	if (!all->on)
		return ret;
	if (cli->folded && (err = stack_write_folded(cli->folded, &src, 1))) {
		vp_err("write %s: %s", cli->folded, vp_file_error(err));
		ret = VP_EXIT_FAIL;
	}
	if (cli->pprof && (err = stack_write_pprof(cli->pprof, &src, 1, dur_ns))) {
		vp_err("write %s: %s", cli->pprof, vp_file_error(err));
		ret = VP_EXIT_FAIL;
	}
	return ret;
}

int cmd_top(int argc, char **argv)
{
	enum { OPT_SOFTIRQ = 256, OPT_IO, OPT_NO_IO };
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		SESSION_TARGET_OPTIONS,
		SESSION_GUEST_SYMBOLS_OPTION,
		SESSION_MAX_THREADS_OPTION,
		SESSION_LIGHT_OPTION,
		SESSION_MAX_TARGETS_OPTION,
		{ "json", no_argument, NULL, 'j' },
		{ "softirq", no_argument, NULL, OPT_SOFTIRQ },
		{ "io", no_argument, NULL, OPT_IO },
		{ "no-io", no_argument, NULL, OPT_NO_IO },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		SESSION_STACK_OPTIONS,
		{},
	};
	struct top_opts ro = { .mode = OUT_TEXT };
	pid_t only_tgid = 0;
	uint64_t interval = NSEC_PER_SEC, count = 0, v;
	int opt, err, ret = VP_EXIT_FAIL;
	struct session_cli cli;
	bool io = true;
	struct stack_profile all = { 0 }; /* every interval, for --folded / --pprof */
	uint64_t t0 = now_mono_ns();
	struct capture_opts copts;
	struct capture sc;
	sigset_t sigs;

	session_cli_init(&cli);
	while ((opt = getopt_long(argc, argv, "p:jvh", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (parse_u64(optarg, 1, 1u << 30, &v)) {
				vp_err("-p %s: not a process id", optarg);
				return VP_EXIT_USAGE;
			}
			only_tgid = (pid_t)v;
			break;
		case SESS_OPT_VM:
		case SESS_OPT_CTR:
		case SESS_OPT_GUEST_SYMBOLS:
		case SESS_OPT_MAX_THREADS:
		case SESS_OPT_MAX_TARGETS:
		case SESS_OPT_STACKS:
		case SESS_OPT_FREQ:
		case SESS_OPT_FOLDED:
		case SESS_OPT_PPROF:
		case SESS_OPT_LIGHT:
			if (session_cli_opt(&cli, opt, optarg))
				return VP_EXIT_USAGE;
			break;
		case 'j':
			ro.mode = OUT_JSON;
			break;
		case OPT_SOFTIRQ:
			ro.softirq_text = true;
			break;
		case OPT_IO:
			ro.io_text = true;
			break;
		case OPT_NO_IO:
			io = false;
			break;
		case 'v':
			vp_verbose++;
			break;
		case 'h':
			fputs(top_usage, stdout);
			return VP_EXIT_OK;
		default:
			fputs(top_usage, stderr);
			return VP_EXIT_USAGE;
		}
	}
	if (optind < argc && parse_interval(argv[optind++], &interval)) {
		vp_err("interval '%s': give seconds (1-3600) or a duration like 500ms",
		       argv[optind - 1]);
		return VP_EXIT_USAGE;
	}
	if (optind < argc && parse_u64(argv[optind++], 1, UINT32_MAX, &count)) {
		vp_err("count '%s': give a positive number", argv[optind - 1]);
		return VP_EXIT_USAGE;
	}
	if (optind < argc) {
		vp_err("unexpected argument '%s'", argv[optind]);
		return VP_EXIT_USAGE;
	}
	if (only_tgid) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d", (int)only_tgid);
		if (access(path, F_OK)) {
			vp_err("-p %d: no such process", (int)only_tgid);
			return VP_EXIT_USAGE;
		}
	}

	/* Signals are taken synchronously between intervals: no work in a handler. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	if (ro.io_text && !io) {
		vp_err("--io and --no-io conflict");
		return VP_EXIT_USAGE;
	}
	if (cli.light && (ro.io_text || ro.softirq_text)) {
		vp_err("--light and %s conflict: light mode %s", ro.io_text ? "--io" : "--softirq",
		       ro.io_text ? "loads no network, block or KVM programs" :
				    "does not time softirqs apart");
		return VP_EXIT_USAGE;
	}
	if (session_check_light(&cli) || session_check_stack_outputs(&cli))
		return VP_EXIT_USAGE;
	copts = session_capture_opts(&cli, io);
	err = capture_open(&sc, &copts);
	if (err)
		return vp_exit_code(err);
	sc.only_tgid = only_tgid;
	/* nothing named: containers and VMs that start while top runs are found too */
	sc.targets.rediscover = !cli.nvm && !cli.nctr;
	sc.targets.prune_after_ns = 30 * NSEC_PER_SEC; /* a gone one shows as gone for 30 s */
	if (cli.stack_hz)
		capture_stacks(&sc, cli.stack_hz); /* not available is reported, not fatal */

	top_report_header(&sc, &ro, stdout);
	for (uint64_t i = 0; !count || i < count; i++) {
		struct timespec to = { interval / NSEC_PER_SEC, interval % NSEC_PER_SEC };
		struct capture_interval ci;
		bool stop = false;

		/* sigtimedwait returns early on a signal; the partial interval is still reported */
		if (sigtimedwait(&sigs, NULL, &to) > 0)
			stop = true;
		err = capture_next(&sc, &ci);
		if (err) {
			vp_err("collect: %s", strerror(-err));
			goto out;
		}
		top_report_interval(&sc, &ci, &ro, stdout);
		if (cli.folded || cli.pprof)
			stack_profile_merge(&all, &ci.stacks);
		capture_interval_free(&ci);
		/* stdout gone (a closed pipe: SIGPIPE is ignored) ends top like ^C */
		if (stop || ferror(stdout))
			break;
	}
	ret = VP_EXIT_OK;
out:
	ret = write_stacks(&cli, &all, now_mono_ns() - t0, ret);
	stack_profile_free(&all);
	capture_close(&sc);
	return ret;
}
