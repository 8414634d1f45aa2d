/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The embedded testbed: the same nginx rootfs served by a qemu VM (tap) and by a container (veth;
 * docker, or a native namespace container where docker is missing), both on a bridge inside a
 * network namespace of the testbed's own.  Addresses exist only inside that namespace; the load
 * threads reach them with testbed_netns_enter(), the rest of virtprof stays where it is.
 *
 * The heavy lifting (rootfs, netns, qemu, dockerd) is scripts/testbed/testbed.sh; this module
 * runs it, forwards SIGINT/SIGTERM to it during `up` (whatever was made is removed again), and
 * parses its state into struct testbed_info.
 */
#ifndef VP_TESTBED_H
#define VP_TESTBED_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define TB_DEFAULT_NAME "virtprof-tb"
#define TB_STATE_DIR_DEFAULT "/var/lib/virtprof/testbed"
#define TB_NAME_MAX 32
#define TB_MAX_CGROUP_DIRS 16

enum tb_accel { TB_ACCEL_AUTO = 0, TB_ACCEL_KVM, TB_ACCEL_TCG };
enum tb_runtime { TB_RUNTIME_AUTO = 0, TB_RUNTIME_DOCKER, TB_RUNTIME_NATIVE };
enum tb_vhost { TB_VHOST_AUTO = 0, TB_VHOST_ON, TB_VHOST_OFF };

/* Zero-initialized means defaults throughout. */
struct testbed_opts {
	const char *name;	  /* testbed name == its netns name; NULL: "virtprof-tb" */
	unsigned int vcpus;	  /* VM vCPUs == container CPU limit == nginx workers; 0: 1 */
	unsigned int mem_mib;	  /* VM RAM == container memory limit; 0: 512 */
	enum tb_accel accel;	  /* auto: KVM when a guest boots under it in kvm_probe_ns */
	enum tb_runtime runtime;  /* auto: docker when installed, else native */
	enum tb_vhost vhost;	  /* auto: on where /dev/vhost-net exists */
	const char *subnet;	  /* "A.B.C.0/24", inside the netns only; NULL: 10.213.0.0/24 */
	uint64_t kvm_probe_ns;	  /* 0: 6 s */
	uint64_t boot_timeout_ns; /* VM boot to HTTP 200; 0: 90 s */
	const char *sizes;	  /* /bytes/N sizes, space separated; NULL: built-in list */
	const char *target_cpus;  /* CPUs of the VM and the container ("1", "0,2-3"); NULL: any */
	bool disk; /* a virtio-blk disk for the VM, its files bind-mounted in the ctr */
	const char *disk_sizes; /* /disk/N files on it, space separated; NULL: built-in list */
};

struct testbed_dev {
	char name[16];	    /* interface name as seen in netns */
	char netns[64];	    /* named netns ("virtprof-tb"), or "container" */
	uint64_t netns_ino; /* inode of the netns (the kernel's key, with ifindex) */
	int ifindex;
};

struct testbed_info {
	bool present; /* the testbed has state (it is up, or half-up after a crash) */
	bool up;      /* every piece alive and both servers answered HTTP 200 just now */
	char name[TB_NAME_MAX];
	char netns[TB_NAME_MAX]; /* `--netns` for sessions: /run/netns/<netns> */
	uint64_t netns_ino;
	char subnet[32];
	char state_dir[256];
	struct testbed_dev bridge, tap, veth,
		ctr_dev; /* veth: bridge side; ctr_dev: container side */

	/* VM */
	char vm_name[64];     /* qemu -name, e.g. "virtprof-vm" */
	char vm_url[64];      /* "http://10.213.0.2/" */
	pid_t qemu_pid;	      /* 0 when not running */
	char accel[8];	      /* "kvm" | "tcg" */
	char accel_note[160]; /* why not KVM, when auto fell back */
	char vhost[8];	      /* "on" | "off" */
	char vm_cpu[16];      /* qemu -cpu model: "max" (TCG), "host" or "qemu64" (KVM) */
	unsigned int vcpus, mem_mib;
	char kernel[128];
	char kernel_boot[8]; /* "pvh": the extracted vmlinux, booted directly; "bzimage" */
	char serial_log[256];
	char vm_log_url[96]; /* nginx access log of the VM, fetched over HTTP inside the netns */
	double vm_boot_s;    /* qemu start to first HTTP 200 */
	int vm_http;	     /* status code of GET vm_url just now (0: not checked / no answer) */

	/* container */
	char runtime[16];	/* "docker" | "native" */
	char runtime_note[160]; /* why not docker, when auto fell back */
	char ctr_name[64];
	char ctr_id[80]; /* docker id, or "native:<name>" */
	pid_t ctr_pid;	 /* host pid of the container's init (nginx master or its parent) */
	char ctr_url[64];
	char ctr_cgroup[256]; /* path inside the hierarchy, e.g. "/docker/<id>" */
	char ctr_cgroup_dirs[TB_MAX_CGROUP_DIRS][256]; /* where that path exists on the host */
	int n_ctr_cgroup_dirs;
	char cgroup_driver[16]; /* docker's: "cgroupfs" | "systemd"; empty for native */
	char ctr_log[256];	/* nginx access log of the container, a host path */
	char ctr_log_url[96];
	int ctr_http;

	/* --disk: the VM's raw image (virtio-blk, cache=none) and the container's bind mount */
	char disk_image[256]; /* empty: no disk */
	char disk_dir[256];
	char disk_aio[16]; /* qemu aio=: "io_uring" | "threads" */

	bool qemu_alive, ctr_alive, netns_alive;
};

/*
 * Bring the testbed up (idempotent: an intact testbed is left as is, a half-dead one is removed
 * and rebuilt) and return once both servers answer.  SIGINT/SIGTERM during the call remove what
 * was made so far (-EINTR).  Errors: -ENOENT a missing piece or name clash (message printed),
 * -EIO anything else.  info may be NULL.
 */
int testbed_up(const struct testbed_opts *o, struct testbed_info *info);
/* 0 and info filled when the testbed has state; -ENOENT when it is down. name NULL: default. */
int testbed_status(const char *name, struct testbed_info *info);
/* Remove everything the testbed made (qemu, container, netns, links, cgroups, dockerd if it
 * started it); safe to repeat and after a crash. */
int testbed_down(const char *name);
/* testbed_down, then also what a crashed run left without an intent log (--purge). */
int testbed_purge(const char *name);
/* Print an access log ("vm" or "container") to stdout. */
int testbed_logs(const char *name, const char *which);

/* Parse the script's key=value lines into info (exposed for unit tests). */
void testbed_parse_state(const char *text, struct testbed_info *info);
/* Validate a testbed name: [A-Za-z0-9_.-], 1..TB_NAME_MAX-5 characters (room for "-ctr"). */
bool testbed_name_ok(const char *name);
/* Validate a size list ("4096 65536"): byte counts separated by spaces, at least one. */
bool testbed_sizes_ok(const char *sizes);
/* Validate "A.B.C.0/24" and return "A.B.C" in prefix. */
int testbed_parse_subnet(const char *s, char *prefix, size_t len);

#endif
