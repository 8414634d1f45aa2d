// SPDX-License-Identifier: GPL-2.0
/* virtprof testbed up|status|down|logs: options validated before any side effect, state rendered. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "out/table.h"
#include "report/testbed_status.h"
#include "sys/util.h"
#include "testbed/testbed.h"

static void print_status(const struct testbed_info *in, bool json)
{
	struct out o;

	out_init(&o, stdout, json ? OUT_JSON : OUT_TEXT, false);
	if (json) {
		jw_obj_begin(&o.jw);
		jw_kstr(&o.jw, "type", "testbed");
		report_testbed_status(in, &o);
		jw_obj_end(&o.jw);
		jw_end_line(&o.jw);
	} else {
		report_testbed_status(in, &o);
	}
	fflush(stdout);
}

/* ---------------- CLI ---------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: virtprof testbed up|status|down|logs [OPTIONS]\n"
		"\n"
		"The built-in targets: one nginx rootfs (from this host's packages) served by a qemu\n"
		"VM and by a container, on a bridge inside network namespace NAME.\n"
		"\n"
		"  up               build/boot/start, return once both answer (idempotent)\n"
		"  status           URLs, qemu pid, container id and cgroups, devices, accel, vhost\n"
		"  down [--purge]   remove all of it (safe to repeat); --purge also drops the cache\n"
		"  logs vm|container  print that nginx's access log (one line per request)\n"
		"\n"
		"Options:\n"
		"  -n, --name NAME      testbed and netns name (default %s); --netns is the same\n"
		"      --vcpus N        VM vCPUs == container CPUs == nginx workers (default 1)\n"
		"      --target-cpus LIST  the VM and the container run only on these CPUs\n"
		"                       (keep them apart from virtprof's --loadgen-cpus)\n"
		"      --memory MIB     VM RAM == container memory limit (default 512)\n"
		"      --accel A        auto | kvm | tcg (auto: KVM if a guest boots under it)\n"
		"      --kvm-probe DUR  how long auto waits for a KVM guest to reach init (6s)\n"
		"      --boot-timeout DUR  VM boot until nginx answers (90s)\n"
		"      --runtime R      auto | docker | native (auto: docker when installed)\n"
		"      --vhost V        auto | on | off: the VM's tap with vhost-net (auto: on where\n"
		"                       /dev/vhost-net exists)\n"
		"      --subnet A.B.C.0/24  addresses inside the netns (10.213.0.0/24)\n"
		"      --sizes \"N ...\"  /bytes/N bodies to pre-generate (bytes)\n"
		"      --disk           also a disk: the VM a virtio-blk raw image (cache=none,\n"
		"                       io_uring or threads), the container the same files on the\n"
		"                       host filesystem; GET /disk/N reads N bytes from it with\n"
		"                       O_DIRECT, POST /disk/N writes the body to it (docker only)\n"
		"      --disk-sizes \"N ...\"  /disk/N files (default 4096 16384 65536 262144 1048576)\n"
		"  -j, --json           status as JSON\n"
		"\n"
		"Examples:\n"
		"  virtprof testbed up && virtprof testbed status --json\n"
		"  ip netns exec %s curl http://10.213.0.2/bytes/1024\n"
		"  virtprof testbed logs vm | wc -l\n"
		"\n"
		"State and cache: $VIRTPROF_TESTBED_DIR (default %s).\n",
		TB_DEFAULT_NAME, TB_DEFAULT_NAME, TB_STATE_DIR_DEFAULT);
}

int cmd_testbed(int argc, char **argv)
{
	enum {
		O_VCPUS = 256,
		O_MEM,
		O_ACCEL,
		O_PROBE,
		O_BOOT,
		O_RUNTIME,
		O_VHOST,
		O_SUBNET,
		O_SIZES,
		O_PURGE,
		O_TCPUS,
		O_DISK,
		O_DISK_SIZES
	};
	static const struct option lopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "netns", required_argument, NULL, 'n' },
		{ "vcpus", required_argument, NULL, O_VCPUS },
		{ "memory", required_argument, NULL, O_MEM },
		{ "accel", required_argument, NULL, O_ACCEL },
		{ "kvm-probe", required_argument, NULL, O_PROBE },
		{ "boot-timeout", required_argument, NULL, O_BOOT },
		{ "runtime", required_argument, NULL, O_RUNTIME },
		{ "vhost", required_argument, NULL, O_VHOST },
		{ "subnet", required_argument, NULL, O_SUBNET },
		{ "sizes", required_argument, NULL, O_SIZES },
		{ "target-cpus", required_argument, NULL, O_TCPUS },
		{ "disk", no_argument, NULL, O_DISK },
		{ "disk-sizes", required_argument, NULL, O_DISK_SIZES },
		{ "purge", no_argument, NULL, O_PURGE },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct testbed_opts o = { 0 };
	struct testbed_info info;
	const char *sub, *which = NULL;
	bool json = false, purge = false;
	char prefix[16];
	cpu_set_t set;
	uint64_t v;
	int c, rc;

	if (argc < 2) {
		usage(stderr);
		return VP_EXIT_USAGE;
	}
	sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
		usage(stdout);
		return VP_EXIT_OK;
	}
	if (strcmp(sub, "up") && strcmp(sub, "status") && strcmp(sub, "down") &&
	    strcmp(sub, "logs")) {
		vp_err("testbed: unknown action '%s' (up, status, down, logs)", sub);
		return VP_EXIT_USAGE;
	}
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:jh", lopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!testbed_name_ok(optarg)) {
				vp_err("testbed: bad name '%s' (letters, digits, - _ ., at most %d)",
				       optarg, TB_NAME_MAX - 5);
				return VP_EXIT_USAGE;
			}
			o.name = optarg;
			break;
		case O_VCPUS:
			if (parse_u64(optarg, 1, 64, &v)) {
				vp_err("testbed: --vcpus '%s': want 1..64", optarg);
				return VP_EXIT_USAGE;
			}
			o.vcpus = (unsigned int)v;
			break;
		case O_MEM:
			if (parse_u64(optarg, 128, 65536, &v)) {
				vp_err("testbed: --memory '%s': want 128..65536 (MiB)", optarg);
				return VP_EXIT_USAGE;
			}
			o.mem_mib = (unsigned int)v;
			break;
		case O_ACCEL:
			if (!strcmp(optarg, "auto"))
				o.accel = TB_ACCEL_AUTO;
			else if (!strcmp(optarg, "kvm"))
				o.accel = TB_ACCEL_KVM;
			else if (!strcmp(optarg, "tcg"))
				o.accel = TB_ACCEL_TCG;
			else {
				vp_err("testbed: --accel '%s': want auto, kvm or tcg", optarg);
				return VP_EXIT_USAGE;
			}
			break;
		case O_VHOST:
			if (!strcmp(optarg, "auto")) {
				o.vhost = TB_VHOST_AUTO;
			} else if (!strcmp(optarg, "on")) {
				o.vhost = TB_VHOST_ON;
			} else if (!strcmp(optarg, "off")) {
				o.vhost = TB_VHOST_OFF;
			} else {
				vp_err("testbed: --vhost '%s': want auto, on or off", optarg);
				return VP_EXIT_USAGE;
			}
			break;
		case O_RUNTIME:
			if (!strcmp(optarg, "auto"))
				o.runtime = TB_RUNTIME_AUTO;
			else if (!strcmp(optarg, "docker"))
				o.runtime = TB_RUNTIME_DOCKER;
			else if (!strcmp(optarg, "native"))
				o.runtime = TB_RUNTIME_NATIVE;
			else {
				vp_err("testbed: --runtime '%s': want auto, docker or native",
				       optarg);
				return VP_EXIT_USAGE;
			}
			break;
		case O_PROBE:
		case O_BOOT:
			if (parse_duration_ns(optarg, &v) || v < 100 * NSEC_PER_MSEC ||
			    v > 3600 * NSEC_PER_SEC) {
				vp_err("testbed: %s '%s': want a duration with unit, 100ms..1h",
				       c == O_PROBE ? "--kvm-probe" : "--boot-timeout", optarg);
				return VP_EXIT_USAGE;
			}
			if (c == O_PROBE)
				o.kvm_probe_ns = v;
			else
				o.boot_timeout_ns = v;
			break;
		case O_TCPUS:
			if (parse_cpu_list(optarg, &set)) {
				vp_err("testbed: --target-cpus '%s': want online CPUs, \"1\" or "
				       "\"0,2-3\"",
				       optarg);
				return VP_EXIT_USAGE;
			}
			o.target_cpus = optarg;
			break;
		case O_SUBNET:
			if (testbed_parse_subnet(optarg, prefix, sizeof(prefix))) {
				vp_err("testbed: --subnet '%s': want A.B.C.0/24 (private, not 127/8)",
				       optarg);
				return VP_EXIT_USAGE;
			}
			o.subnet = optarg;
			break;
		case O_SIZES:
		case O_DISK_SIZES:
			if (!testbed_sizes_ok(optarg)) {
				vp_err("testbed: --%s '%s': want byte counts separated by spaces",
				       c == O_SIZES ? "sizes" : "disk-sizes", optarg);
				return VP_EXIT_USAGE;
			}
			if (c == O_SIZES)
				o.sizes = optarg;
			else
				o.disk_sizes = optarg;
			break;
		case O_DISK:
			o.disk = true;
			break;
		case O_PURGE:
			purge = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return VP_EXIT_OK;
		default:
			usage(stderr);
			return VP_EXIT_USAGE;
		}
	}
	if (!strcmp(sub, "logs")) {
		if (optind != argc - 1 ||
		    (strcmp(argv[optind], "vm") && strcmp(argv[optind], "container"))) {
			vp_err("testbed logs: say vm or container");
			return VP_EXIT_USAGE;
		}
		which = argv[optind];
	} else if (optind != argc) {
		vp_err("testbed %s: unexpected argument '%s'", sub, argv[optind]);
		return VP_EXIT_USAGE;
	}
	if (geteuid() != 0) {
		vp_err("testbed: needs root (network namespaces, tap, qemu, docker)");
		return VP_EXIT_USAGE;
	}

	if (!strcmp(sub, "up")) {
		rc = testbed_up(&o, &info);
		if (rc == -EINTR) {
			vp_err("testbed: interrupted; removed what was made");
			return VP_EXIT_FAIL;
		}
		if (rc)
			return rc == -ENOENT || rc == -EINVAL ? VP_EXIT_USAGE : VP_EXIT_FAIL;
		print_status(&info, json);
		return VP_EXIT_OK;
	}
	if (!strcmp(sub, "status")) {
		rc = testbed_status(o.name, &info);
		if (rc == -ENOENT) {
			if (json) {
				printf("{\"type\":\"testbed\",\"name\":\"%s\",\"state\":\"down\"}\n",
				       o.name ? o.name : TB_DEFAULT_NAME);
			} else {
				printf("testbed %s is down\n", o.name ? o.name : TB_DEFAULT_NAME);
			}
			return VP_EXIT_FAIL;
		}
		if (rc) {
			vp_err("testbed: status failed: %s", strerror(-rc));
			return VP_EXIT_FAIL;
		}
		print_status(&info, json);
		return info.up ? VP_EXIT_OK : VP_EXIT_FAIL;
	}
	if (!strcmp(sub, "down")) {
		rc = purge ? testbed_purge(o.name) : testbed_down(o.name);
		if (rc) {
			vp_err("testbed: down failed: %s", strerror(-rc));
			return VP_EXIT_FAIL;
		}
		return VP_EXIT_OK;
	}
	rc = testbed_logs(o.name, which);
	return rc ? VP_EXIT_FAIL : VP_EXIT_OK;
}
