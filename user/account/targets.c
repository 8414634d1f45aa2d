// SPDX-License-Identifier: GPL-2.0
/*
 * Target discovery: the VMs and containers named on the command line (or found on the host),
 * resolved from /proc, the cgroup mounts and docker; re-checked every interval.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account/classify.h"
#include "account/qmp.h"
#include "account/targets.h"
#include "sys/cgroup.h"
#include "sys/procfs.h"
#include "sys/util.h"

static struct target *target_new(struct targets *ts, enum target_kind kind)
{
	struct target *t;

	if (ts->n >= MAX_TARGETS) {
		vp_err("too many targets (at most %d)", MAX_TARGETS);
		return NULL;
	}
	t = &ts->t[ts->n];
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	return t;
}

static void target_commit(struct targets *ts, struct target *t)
{
	snprintf(t->entity, sizeof(t->entity), "%s:%s", t->kind == TARGET_VM ? "vm" : "ctr",
		 t->name);
	for (int i = 0; i < ts->n; i++)
		if (!strcmp(ts->t[i].entity, t->entity) && ts->t[i].pid == t->pid)
			return; /* already a target */
	ts->n++;
}

static bool is_qemu_comm(const char *comm)
{
	return !strncmp(comm, "qemu-system-", 12) || !strcmp(comm, "qemu-kvm");
}

/* qemu's -name takes "NAME[,debug-threads=on]" or "guest=NAME,..." */
static void qemu_name(pid_t pid, char *buf, size_t len)
{
	size_t clen = 0;
	char *cmd = proc_cmdline(pid, &clen);
	const char *arg = cmd ? cmdline_arg(cmd, clen, "-name") : NULL;

	snprintf(buf, len, "pid%d", (int)pid);
	if (arg && *arg) {
		const char *g = strstr(arg, "guest=");
		const char *s = g ? g + 6 : arg;
		size_t n = strcspn(s, ",");

		if (n && n < len) {
			memcpy(buf, s, n);
			buf[n] = '\0';
		}
	}
	free(cmd);
}

/* Which evidence will tell the VM's thread roles apart: thread names, QMP, or none. */
static void vm_role_evidence(struct target *t, const char *comm)
{
	size_t clen = 0;
	char *cmd = proc_cmdline(t->pid, &clen), path[256], why[160];
	const char *name = cmd ? cmdline_arg(cmd, clen, "-name") : NULL;
	int n;

	t->qemu = is_qemu_comm(comm);
	t->debug_threads = t->qemu && name && strstr(name, "debug-threads=on");
	if (!t->qemu) {
		snprintf(t->roles_note, sizeof(t->roles_note),
			 "'%s' is not qemu: all its threads belong to the VM, role unknown", comm);
	} else if (cmd && !qmp_socket_path(cmd, clen, path, sizeof(path))) {
		n = qmp_vcpu_tids(t->pid, path, t->vcpu_tids, ARRAY_SIZE(t->vcpu_tids), why,
				  sizeof(why));
		t->nvcpu_tids = n > 0 ? n : 0;
		if (n > 0)
			snprintf(t->roles_note, sizeof(t->roles_note),
				 "vCPU threads from QMP query-cpus-fast (%d)%s", n,
				 t->debug_threads ? ", the others from debug-thread names" : "");
		else
			snprintf(t->roles_note, sizeof(t->roles_note), "%s", why);
	}
	if (t->qemu && !t->nvcpu_tids)
		snprintf(t->roles_note + strlen(t->roles_note),
			 sizeof(t->roles_note) - strlen(t->roles_note), "%s%s",
			 t->roles_note[0] ? "; " : "",
			 t->debug_threads ?
				 "roles from debug-thread names" :
				 "roles unknown: start qemu with -name NAME,debug-threads=on "
				 "or a QMP socket (-qmp unix:PATH,server=on,wait=off)");
	free(cmd);
}

static int add_vm_pid(struct targets *ts, pid_t pid)
{
	struct target *t = target_new(ts, TARGET_VM);
	char comm[32] = "";

	if (!t)
		return -E2BIG;
	t->pid = pid;
	qemu_name(pid, t->name, sizeof(t->name));
	t->netns = proc_netns_ino(pid);
	proc_comm(pid, comm, sizeof(comm));
	vm_role_evidence(t, comm);
	target_commit(ts, t);
	return 0;
}

int targets_add_vm(struct targets *ts, const char *spec)
{
	char comm[32], name[ENTITY_LEN];
	uint64_t v;
	DIR *d;
	struct dirent *de;
	int found = 0;

	if (!parse_u64(spec, 1, (1u << 30), &v)) {
		if (proc_comm((pid_t)v, comm, sizeof(comm))) {
			vp_err("--vm %s: no such process", spec);
			return -ENOENT;
		}
		/* another VMM (firecracker, cloud-hypervisor, ...): its threads, roles unknown */
		if (!is_qemu_comm(comm))
			vp_warn("--vm %s: '%s' is not qemu: all its threads count as the VM, with "
				"role unknown",
				spec, comm);
		return add_vm_pid(ts, (pid_t)v);
	}
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);

		if (pid <= 0 || proc_comm(pid, comm, sizeof(comm)) || !is_qemu_comm(comm))
			continue;
		qemu_name(pid, name, sizeof(name));
		if (!strcmp(name, spec)) {
			found = add_vm_pid(ts, pid) ? found : found + 1;
		}
	}
	closedir(d);
	if (!found) {
		vp_err("--vm %s: no qemu process with that pid or -name", spec);
		return -ENOENT;
	}
	return 0;
}

/* Fill the cgroup paths and the id sets from a member pid's /proc/<pid>/cgroup. */
static int ctr_from_pid(struct target *t, pid_t pid)
{
	int err = proc_cgroup_paths(pid, t->cgroup_v2, sizeof(t->cgroup_v2), t->cgroup_v1,
				    sizeof(t->cgroup_v1));

	if (err)
		return err;
	t->pid = pid;
	t->netns = proc_netns_ino(pid);
	return 0;
}

static void ctr_collect_ids(struct target *t)
{
	t->ncgids = 0;
	if (t->cgroup_v2[0])
		t->ncgids += cgroup_tree_ids(CGROUP_V2, t->cgroup_v2, t->cgids + t->ncgids,
					     MAX_CGIDS - t->ncgids);
	if (t->cgroup_v1[0])
		t->ncgids += cgroup_tree_ids(CGROUP_V1_CPU, t->cgroup_v1, t->cgids + t->ncgids,
					     MAX_CGIDS - t->ncgids);
	/* a bio's owner is its blkcg: on a hybrid layout that lives on the v1 blkio hierarchy */
	if (t->pid && t->ncgids) {
		char path[64], blk[512], *buf;

		snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)t->pid);
		buf = read_file(path, NULL);
		if (buf && !proc_parse_cgroup_ctrl(buf, "blkio", blk, sizeof(blk)))
			t->ncgids += cgroup_tree_ids(CGROUP_V1_BLKIO, blk, t->cgids + t->ncgids,
						     MAX_CGIDS - t->ncgids);
		free(buf);
	}
}

static const char *basename_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s && s[1] ? s + 1 : p;
}

/* docker inspect of one container; 0 when found and running. */
static int docker_inspect(const char *spec, struct target *t)
{
	char cmd[512], line[1024], id[72] = "", name[256] = "", running[8] = "", ip[48] = "";
	int pid = 0, n;
	FILE *f;

	for (const char *p = spec; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return -EINVAL;
	if (access("/var/run/docker.sock", F_OK))
		return -ENOENT;
	snprintf(cmd, sizeof(cmd),
		 "docker inspect --type container --format "
		 "'{{.Id}} {{.Name}} {{.State.Pid}} {{.State.Running}} "
		 "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' %s 2>/dev/null",
		 spec);
	f = popen(cmd, "r");
	if (!f)
		return -errno;
	n = fgets(line, sizeof(line), f) ?
		    sscanf(line, "%71s %255s %d %7s %47s", id, name, &pid, running, ip) :
		    0;
	pclose(f);
	if (n < 4)
		return -ENOENT;
	if (strcmp(running, "true") || pid <= 0)
		return -ESRCH;
	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(t->name, sizeof(t->name), "%s", name[0] == '/' ? name + 1 : name);
	if (n >= 5)
		snprintf(t->ip, sizeof(t->ip), "%s", ip);
	return ctr_from_pid(t, pid);
}

int targets_add_container(struct targets *ts, const char *spec)
{
	struct target *t = target_new(ts, TARGET_CTR);
	struct stat st;
	uint64_t v;
	int err;

	if (!t)
		return -E2BIG;
	if (!spec[0]) {
		vp_err("--container needs an id, name, cgroup path or pid");
		return -EINVAL;
	}
	if (strchr(spec, '/')) {
		/* a cgroup: absolute under a cgroup mount, or relative to the v2 hierarchy */
		err = cgroup_resolve_path(spec, t->cgroup_v2, sizeof(t->cgroup_v2), t->cgroup_v1,
					  sizeof(t->cgroup_v1));
		if (err) {
			vp_err("--container %s: no such cgroup", spec);
			return -ENOENT;
		}
		snprintf(t->name, sizeof(t->name), "%s", basename_of(spec));
	} else if (!parse_u64(spec, 1, 1u << 30, &v) && !docker_inspect(spec, t)) {
		/* a docker container whose name or id is all digits */
	} else if (!parse_u64(spec, 1, 1u << 30, &v)) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%llu", (unsigned long long)v);
		if (stat(path, &st) || ctr_from_pid(t, (pid_t)v)) {
			vp_err("--container %s: no such process", spec);
			return -ENOENT;
		}
		snprintf(t->name, sizeof(t->name), "%s",
			 basename_of(t->cgroup_v2[0] ? t->cgroup_v2 : t->cgroup_v1));
	} else {
		err = docker_inspect(spec, t);
		if (err == -ESRCH) {
			vp_err("--container %s: container is not running", spec);
			return -ESRCH;
		}
		if (err) {
			vp_err("--container %s: no such docker container (or docker is not running), "
			       "cgroup path or pid",
			       spec);
			return -ENOENT;
		}
	}
	if (t->id[0] && !t->name[0]) {
		memcpy(t->name, t->id, 12);
		t->name[12] = '\0';
	}
	ctr_collect_ids(t);
	if (!t->ncgids) {
		vp_err("--container %s: its cgroup has no directory under the cgroup mounts", spec);
		return -ENOENT;
	}
	target_commit(ts, t);
	return 0;
}

int targets_discover(struct targets *ts)
{
	char comm[32], line[128];
	struct dirent *de;
	FILE *f;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);

		if (pid > 0 && !proc_comm(pid, comm, sizeof(comm)) && is_qemu_comm(comm))
			add_vm_pid(ts, pid);
	}
	closedir(d);
	if (access("/var/run/docker.sock", F_OK))
		return 0;
	f = popen("docker ps -q --no-trunc 2>/dev/null", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		struct target *t = target_new(ts, TARGET_CTR);

		line[strcspn(line, "\n")] = '\0';
		if (!t)
			break;
		if (!docker_inspect(line, t)) {
			ctr_collect_ids(t);
			target_commit(ts, t);
		}
	}
	pclose(f);
	return 0;
}

bool targets_refresh(struct targets *ts)
{
	bool changed = false;

	for (int i = 0; i < ts->n; i++) {
		struct target *t = &ts->t[i];
		uint64_t before[MAX_CGIDS];
		int nbefore = t->ncgids;
		char path[64];

		if (t->gone)
			continue;
		if (t->pid) {
			snprintf(path, sizeof(path), "/proc/%d", (int)t->pid);
			if (access(path, F_OK)) {
				t->gone = true;
				t->gone_mono_ns = now_mono_ns();
				continue;
			}
		}
		if (t->kind != TARGET_CTR)
			continue;
		memcpy(before, t->cgids, nbefore * sizeof(before[0]));
		ctr_collect_ids(t);
		if (!t->ncgids && nbefore) {
			t->gone = true;
			t->gone_mono_ns = now_mono_ns();
		}
		if (t->ncgids != nbefore || memcmp(before, t->cgids, nbefore * sizeof(before[0])))
			changed = true;
	}
	return changed;
}

const struct target *targets_by_pid(const struct targets *ts, pid_t tgid)
{
	for (int i = 0; i < ts->n; i++)
		if (ts->t[i].pid == tgid && tgid)
			return &ts->t[i];
	return NULL;
}

const struct target *targets_by_netns(const struct targets *ts, unsigned long ino)
{
	for (int i = 0; i < ts->n; i++)
		if (ts->t[i].netns == ino && ino)
			return &ts->t[i];
	return NULL;
}
