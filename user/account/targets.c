// SPDX-License-Identifier: GPL-2.0
/*
 * Target discovery: the VMs and containers named on the command line (or found on the host),
 * resolved from /proc, the cgroup mounts and docker; re-checked every interval.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account/classify.h"
#include "account/layout.h"
#include "account/names.h"
#include "account/qmp.h"
#include "account/targets.h"
#include "sys/cgroup.h"
#include "sys/procfs.h"
#include "sys/util.h"

/*
 * The look-up index: (kind, key) -> target index, open addressing at most half full, several
 * entries per key allowed (a cgroup nested in two targets' trees).  Also the scan's (rule, id)
 * set during discovery.
 */
struct idx_slot {
	uint64_t key;
	int32_t val;
	uint8_t kind;
	bool used;
};

struct target_index {
	struct idx_slot *s;
	uint32_t cap, n;
};

static uint32_t idx_hash(uint8_t kind, uint64_t key)
{
	uint64_t h = (key ^ ((uint64_t)kind << 56)) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32);
}

/*
 * Kinds asked only for their first target keep only it: many containers share the host's
 * network namespace, and a key held a thousand times would be a thousand-slot probe.
 */
static bool idx_first_only(uint8_t kind)
{
	return kind == TKEY_PID || kind == TKEY_NETNS;
}

static int idx_put(struct target_index *x, uint8_t kind, uint64_t key, int val)
{
	uint32_t mask, i;

	if (2 * (x->n + 1) > x->cap) {
		struct target_index bigger = { .cap = x->cap ? 2 * x->cap : 256 };

		bigger.s = calloc(bigger.cap, sizeof(*bigger.s));
		if (!bigger.s)
			return -ENOMEM;
		for (uint32_t k = 0; k < x->cap; k++)
			if (x->s[k].used)
				idx_put(&bigger, x->s[k].kind, x->s[k].key, x->s[k].val);
		free(x->s);
		*x = bigger;
	}
	mask = x->cap - 1;
	for (i = idx_hash(kind, key) & mask; x->s[i].used; i = (i + 1) & mask)
		if (x->s[i].kind == kind && x->s[i].key == key &&
		    (x->s[i].val == val || idx_first_only(kind)))
			return 0; /* already there */
	x->s[i] = (struct idx_slot){ .key = key, .val = val, .kind = kind, .used = true };
	x->n++;
	return 0;
}

/* Every value under (kind, key), up to max, in no particular order; how many. */
static int idx_get(const struct target_index *x, uint8_t kind, uint64_t key, int *out, int max)
{
	uint32_t mask, i;
	int n = 0;

	if (!x || !x->cap)
		return 0;
	mask = x->cap - 1;
	for (i = idx_hash(kind, key) & mask; x->s[i].used; i = (i + 1) & mask)
		if (x->s[i].kind == kind && x->s[i].key == key && n < max)
			out[n++] = x->s[i].val;
	return n;
}

/* The lowest value under (kind, key), -1 none. */
static int idx_min(const struct target_index *x, uint8_t kind, uint64_t key)
{
	uint32_t mask, i;
	int best = -1;

	if (!x || !x->cap)
		return -1;
	mask = x->cap - 1;
	for (i = idx_hash(kind, key) & mask; x->s[i].used; i = (i + 1) & mask)
		if (x->s[i].kind == kind && x->s[i].key == key && (best < 0 || x->s[i].val < best))
			best = x->s[i].val;
	return best;
}

static void idx_free(struct target_index *x)
{
	if (x)
		free(x->s);
	free(x);
}

/* FNV-1a, 64 bits: a container id as an index key (the caller compares the strings) */
static uint64_t str_key(const char *s, const char *s2)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (; s2 && *s2; s2++)
		h = (h ^ (unsigned char)*s2) * 1099511628211ull;
	return h;
}

#define TKEY_ID 100 /* a container's id, by str_key (targets.c only) */

static void idx_ids(struct target_index *x, uint8_t kind, const uint64_t *ids, int n, int val)
{
	for (int k = 0; k < n; k++)
		if (ids[k])
			idx_put(x, kind, ids[k], val);
}

/* Index target i's keys; -ENOMEM leaves the index partial (targets_reindex drops it). */
static int index_target(struct target_index *x, const struct target *t, int i)
{
	int from = t->ncgids_v2 + t->ncgids_v1, err = 0;

	if (t->pid)
		err |= idx_put(x, TKEY_PID, (uint64_t)t->pid, i);
	if (t->vmm_pid)
		err |= idx_put(x, TKEY_PID, (uint64_t)t->vmm_pid, i);
	if (t->netns)
		err |= idx_put(x, TKEY_NETNS, t->netns, i);
	/* a VM's process, or a VM-backed pod's VMM (Kata) */
	if (target_vmm_pid(t) > 0)
		err |= idx_put(x, TKEY_VM_PID, (uint64_t)target_vmm_pid(t), i);
	if (t->kind == TARGET_VM)
		return err;
	if (t->id[0])
		err |= idx_put(x, TKEY_ID, str_key(t->id, NULL), i);
	idx_ids(x, TKEY_CG_V2, t->cgids, t->ncgids_v2, i);
	idx_ids(x, TKEY_CG_V1, t->cgids + t->ncgids_v2, t->ncgids_v1, i);
	idx_ids(x, TKEY_BLKCG, t->cgids + from, t->ncgids - from, i);
	idx_ids(x, TKEY_HELPER_V2, t->hcgids, t->nhcgids_v2, i);
	idx_ids(x, TKEY_HELPER_V1, t->hcgids + t->nhcgids_v2, t->nhcgids - t->nhcgids_v2, i);
	for (int k = 0; k < t->nhelper_pids; k++)
		err |= idx_put(x, TKEY_HELPER_PID, (uint64_t)t->helper_pids[k], i);
	return err;
}

int targets_reindex(struct targets *ts)
{
	struct target_index *x = calloc(1, sizeof(*x));
	uint32_t keys = 0;
	int err = x ? 0 : -ENOMEM;

	/* sized once for every key: no rehash while it fills */
	for (int i = 0; i < ts->n; i++)
		keys += 4 + ts->t[i].ncgids + ts->t[i].nhcgids + ts->t[i].nhelper_pids;
	if (x) {
		x->cap = 256;
		while (x->cap < 2 * keys + 2)
			x->cap *= 2;
		x->s = calloc(x->cap, sizeof(*x->s));
		if (!x->s)
			err = -ENOMEM;
	}
	ts->idx_stale = false;
	for (int i = 0; i < ts->n && !err; i++)
		err = index_target(x, &ts->t[i], i);
	idx_free(ts->idx);
	ts->idx = NULL;
	if (err) {
		idx_free(x);
		return -ENOMEM;
	}
	ts->idx = x;
	return 0;
}

void targets_free(struct targets *ts)
{
	idx_free(ts->idx);
	free(ts->t);
	ts->idx = NULL;
	ts->t = NULL;
	ts->n = ts->cap = 0;
}

int targets_max(const struct targets *ts)
{
	return ts->max > 0 ? ts->max : TARGETS_DEFAULT_MAX;
}

/* The slot past the last target (grown), zeroed; NULL past the bound or out of memory. */
static struct target *target_slot(struct targets *ts)
{
	struct target *t;

	if (ts->n >= targets_max(ts))
		return NULL;
	t = array_grow(ts->t, &ts->cap, ts->n, sizeof(*t));
	if (!t)
		return NULL;
	ts->t = t;
	t = &ts->t[ts->n];
	memset(t, 0, sizeof(*t));
	return t;
}

struct target *targets_append(struct targets *ts)
{
	struct target *t = target_slot(ts);

	if (t)
		ts->n++;
	return t;
}

static struct target *target_new(struct targets *ts, enum target_kind kind)
{
	struct target *t = target_slot(ts);

	if (!t) {
		if (ts->n >= targets_max(ts))
			vp_err("too many targets (at most %d: --max-targets)", targets_max(ts));
		else
			vp_err("target table: out of memory");
		return NULL;
	}
	t->kind = kind;
	return t;
}

static void target_commit(struct targets *ts, struct target *t)
{
	if (!t->entity[0])
		snprintf(t->entity, sizeof(t->entity), "%s:%s", t->kind == TARGET_VM ? "vm" : "ctr",
			 t->name);
	if (!t->label[0])
		snprintf(t->label, sizeof(t->label), "%s", t->entity);
	if (!t->app_role[0])
		snprintf(t->app_role, sizeof(t->app_role), "app");
	for (int i = 0; i < ts->n; i++)
		if (!strcmp(ts->t[i].entity, t->entity) && ts->t[i].pid == t->pid)
			return; /* already a target */
	/* known to the look-ups at once (discovery asks by id within one pass) */
	if (!ts->idx)
		ts->idx = calloc(1, sizeof(*ts->idx));
	if (ts->idx && index_target(ts->idx, t, ts->n)) {
		idx_free(ts->idx);
		ts->idx = NULL;
	}
	ts->n++;
}

static bool is_qemu_comm(const char *comm)
{
	const char *v = classify_vmm_of_comm(comm);

	return v && !strcmp(v, "qemu");
}

/* qemu's -name takes "NAME[,debug-threads=on]" or "guest=NAME,..."; false when it has none */
static bool qemu_name(const char *cmd, size_t clen, pid_t pid, char *buf, size_t len)
{
	const char *arg = cmd ? cmdline_arg(cmd, clen, "-name") : NULL;

	if (!arg && cmd)
		arg = cmdline_arg(cmd, clen, "-id"); /* firecracker --id */
	snprintf(buf, len, "pid%d", (int)pid);
	if (arg && *arg) {
		const char *g = strstr(arg, "guest=");
		const char *s = g ? g + 6 : arg;
		size_t n = strcspn(s, ",");

		if (n && n < len) {
			memcpy(buf, s, n);
			buf[n] = '\0';
			return true;
		}
	}
	return false;
}

/* qemu's -uuid (libvirt passes the domain's), lower case; "" when absent or not a uuid */
static void qemu_uuid(const char *cmd, size_t clen, char *buf, size_t len)
{
	const char *arg = cmd ? cmdline_arg(cmd, clen, "-uuid") : NULL;
	size_t n = arg ? strlen(arg) : 0;

	buf[0] = '\0';
	if (n == 36 && n < len && strspn(arg, "0123456789abcdefABCDEF-") == n) {
		for (size_t i = 0; i <= n; i++)
			buf[i] = (char)tolower((unsigned char)arg[i]);
	}
}

/*
 * The libvirt machine scope a VM's main thread sits in (v2 first: libvirt's per-thread cgroups
 * are there on a v2 or hybrid host, on v1 cpu otherwise); its domain name into dom.
 */
static void vm_identify_scope(struct target *t, char *dom, size_t len)
{
	char v2[512] = "", v1[512] = "";
	struct layout_match m;

	if (proc_cgroup_paths(t->pid, v2, sizeof(v2), v1, sizeof(v1)))
		return;
	if (!layout_vm_scope(v2, t->vm_cgroup, sizeof(t->vm_cgroup), &m))
		t->vm_cgroup_v1 = false;
	else if (!layout_vm_scope(v1, t->vm_cgroup, sizeof(t->vm_cgroup), &m))
		t->vm_cgroup_v1 = true;
	else
		return;
	snprintf(t->runtime, sizeof(t->runtime), "%s", m.runtime);
	snprintf(t->layout, sizeof(t->layout), "%s", m.rule);
	snprintf(dom, len, "%s", m.name);
}

/* A VM's names: -name, else the libvirt scope's domain name, else pid<N>; its -uuid; its scope. */
static void vm_identify(struct target *t)
{
	size_t clen = 0;
	char *cmd = proc_cmdline(t->pid, &clen), dom[64] = "";
	bool named = qemu_name(cmd, clen, t->pid, t->name, sizeof(t->name));

	qemu_uuid(cmd, clen, t->uuid, sizeof(t->uuid));
	free(cmd);
	vm_identify_scope(t, dom, sizeof(dom));
	if (!named && dom[0])
		snprintf(t->name, sizeof(t->name), "%s", dom);
}

static void targets_note(struct targets *ts, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Read one per-thread cgroup's thread list into t's cg_tids with role; false when full. */
static bool vm_cg_read_dir(struct target *t, const char *dir, const char *role)
{
	char path[1200], line[32];
	bool room = true;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, t->vm_cgroup_v1 ? "tasks" : "cgroup.threads");
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		pid_t tid = (pid_t)atoi(line);

		if (tid <= 0)
			continue;
		if (t->ncg_tids >= MAX_VM_CG_TIDS) {
			room = false;
			break;
		}
		t->cg_tids[t->ncg_tids] = tid;
		t->cg_roles[t->ncg_tids++] = role;
	}
	if (f)
		fclose(f);
	return room;
}

/* QMP's word beats the cgroups' (libvirt can lag a vCPU hot-plug): say where they disagree. */
static void vm_cg_check_qmp(struct targets *ts, const struct target *t)
{
	int ndiff = 0, first = -1;

	if (!t->nvcpu_tids)
		return;
	for (int i = 0; i < t->ncg_tids; i++) {
		bool qmp_vcpu = false;

		for (int k = 0; k < t->nvcpu_tids; k++)
			qmp_vcpu |= t->vcpu_tids[k] == t->cg_tids[i];
		if (qmp_vcpu != !strcmp(t->cg_roles[i], "vcpu") && !ndiff++)
			first = i;
	}
	if (ndiff)
		targets_note(
			ts,
			"vm:%s: QMP and libvirt's cgroups disagree on %d thread(s) (tid %d: %s "
			"by its cgroup): QMP's vCPU list wins",
			t->name, ndiff, (int)t->cg_tids[first], t->cg_roles[first]);
}

/*
 * libvirt's per-thread cgroups of a VM's machine scope -> tid roles; true when they changed.
 * Bounded: MAX_VM_CG_DIRS sub-cgroups, MAX_VM_CG_TIDS threads (the rest keep their names' role).
 */
static bool vm_cg_read(struct targets *ts, struct target *t)
{
	const struct cgroup_mounts *mt = cgroup_mounts();
	pid_t before[MAX_VM_CG_TIDS];
	const char *rbefore[MAX_VM_CG_TIDS];
	int nbefore = t->ncg_tids, ndirs = 0;
	char base[1200], dir[1200];
	bool room = true;

	memcpy(before, t->cg_tids, nbefore * sizeof(before[0]));
	memcpy(rbefore, t->cg_roles, nbefore * sizeof(rbefore[0]));
	t->ncg_tids = 0;
	/* v2: scope/libvirt/<dir> (no internal processes); v1: scope/<dir> */
	for (int pass = 0; t->vm_cgroup[0] && pass < 2 && room; pass++) {
		struct dirent *de;
		DIR *d;

		snprintf(base, sizeof(base), "%s%s%s", t->vm_cgroup_v1 ? mt->v1_cpu : mt->v2,
			 t->vm_cgroup, pass ? "" : "/libvirt");
		d = opendir(base);
		while (d && room && (de = readdir(d))) {
			const char *role = layout_libvirt_role(de->d_name);

			if (de->d_type != DT_DIR || !role)
				continue;
			if (++ndirs > MAX_VM_CG_DIRS)
				break;
			snprintf(dir, sizeof(dir), "%s/%s", base, de->d_name);
			room = vm_cg_read_dir(t, dir, role);
		}
		if (d)
			closedir(d);
	}
	if (!room || ndirs > MAX_VM_CG_DIRS)
		targets_note(
			ts,
			"vm:%s: over %d threads or %d cgroups in libvirt's scope: the rest keep "
			"their names' role",
			t->name, MAX_VM_CG_TIDS, MAX_VM_CG_DIRS);
	vm_cg_check_qmp(ts, t);
	if (t->ncg_tids != nbefore)
		return true;
	for (int i = 0; i < nbefore; i++)
		if (before[i] != t->cg_tids[i] || rbefore[i] != t->cg_roles[i])
			return true;
	return false;
}

static void roles_note_add(struct target *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void roles_note_add(struct target *t, const char *fmt, ...)
{
	size_t n = strlen(t->roles_note);
	va_list ap;

	if (n && n + 2 < sizeof(t->roles_note)) {
		memcpy(t->roles_note + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(t->roles_note + n, sizeof(t->roles_note) - n, fmt, ap);
	va_end(ap);
}

/*
 * Which evidence will tell the VM's thread roles apart, strongest first: QMP's vCPU thread ids,
 * libvirt's per-thread cgroups, thread names; or none.
 */
static void vm_role_evidence(struct targets *ts, struct target *t, pid_t pid, const char *comm)
{
	size_t clen = 0;
	char *cmd = proc_cmdline(pid, &clen), path[256], why[160];
	const char *name = cmd ? cmdline_arg(cmd, clen, "-name") : NULL;
	int n;

	t->qemu = is_qemu_comm(comm);
	t->debug_threads = t->qemu && name && strstr(name, "debug-threads=on");
	snprintf(t->vmm, sizeof(t->vmm), "%s", classify_vmm_of_comm(comm) ?: "");
	if (t->vmm[0] && !t->qemu) {
		snprintf(t->roles_note, sizeof(t->roles_note),
			 "%s names its threads: roles from the thread names (vcpu, emul, io)",
			 t->vmm);
	} else if (!t->qemu) {
		snprintf(t->roles_note, sizeof(t->roles_note),
			 "'%s' is not qemu: all its threads belong to the VM, role unknown", comm);
	} else if (cmd && !qmp_socket_path(cmd, clen, path, sizeof(path))) {
		snprintf(t->qmp_path, sizeof(t->qmp_path), "%s", path);
		n = qmp_vcpu_tids_memo(pid, path, t->vcpu_tids, ARRAY_SIZE(t->vcpu_tids), why,
				       sizeof(why), NULL);
		t->nvcpu_tids = n > 0 ? n : 0;
		if (n > 0)
			snprintf(t->roles_note, sizeof(t->roles_note),
				 "vCPU threads from QMP query-cpus-fast (%d)", n);
		else
			snprintf(t->roles_note, sizeof(t->roles_note), "%s", why);
	}
	if (t->qemu && t->vm_cgroup[0]) {
		vm_cg_read(ts, t);
		roles_note_add(t, "%s libvirt's per-thread cgroups (emulator, vcpuN, iothreadN)",
			       t->nvcpu_tids ? "the others from" : "roles from");
	}
	if (t->qemu && (t->nvcpu_tids || t->vm_cgroup[0]) && t->debug_threads)
		roles_note_add(t, "threads outside them from debug-thread names");
	else if (t->qemu && !t->nvcpu_tids && !t->vm_cgroup[0])
		roles_note_add(t, "%s",
			       t->debug_threads ?
				       "roles from debug-thread names" :
				       "roles unknown: start qemu with -name NAME,debug-threads=on "
				       "or a QMP socket (-qmp unix:PATH,server=on,wait=off)");
	/* the vCPUs can be told from the rest: QMP, debug-thread names, another VMM's names */
	t->vcpus_known = t->nvcpu_tids || t->debug_threads || (t->vmm[0] && !t->qemu);
	for (int i = 0; i < t->ncg_tids && !t->vcpus_known; i++)
		t->vcpus_known = !strcmp(t->cg_roles[i], "vcpu");
	free(cmd);
}

static int add_vm_pid(struct targets *ts, pid_t pid)
{
	struct target *t = target_new(ts, TARGET_VM);
	char comm[32] = "";

	if (!t)
		return -E2BIG;
	t->pid = pid;
	vm_identify(t);
	t->netns = proc_netns_ino(pid);
	proc_comm(pid, comm, sizeof(comm));
	vm_role_evidence(ts, t, pid, comm);
	target_commit(ts, t);
	return 0;
}

static bool is_kata_shim(pid_t pid)
{
	size_t len = 0;
	char *cmd = proc_cmdline(pid, &len);
	const char *base = cmd ? strrchr(cmd, '/') : NULL;
	bool yes;

	base = base ? base + 1 : cmd;
	yes = base && !strncmp(base, "containerd-shim-kata", 20);
	free(cmd);
	return yes;
}

/*
 * A pod whose cgroup holds a VMM process is a VM-backed pod (Kata): the pod stays one entity,
 * pod:<namespace>/<name> (its sandbox's annotations, else its uid), whose VMM threads get VM
 * roles and whose other processes are the pod's runtime helpers.  Looked for in the pod's own
 * cgroup (where Kata's sandbox_cgroup_only=true puts the shim, the VMM and virtiofsd), at most
 * 32 processes; true when the VMM was found now.
 */
static bool vm_pod_attach(struct targets *ts, struct target *t)
{
	const struct cgroup_mounts *mt = cgroup_mounts();
	char path[1200], line[32], comm[32];
	pid_t vmm = 0;
	bool shim = false;
	int seen = 0;
	FILE *f;

	if (t->kind != TARGET_CTR || t->gone || t->vmm_pid || !t->pod_uid[0])
		return false;
	if (t->cgroup_v2[0] && mt->v2[0])
		snprintf(path, sizeof(path), "%s%s/cgroup.procs", mt->v2, t->cgroup_v2);
	else if (t->cgroup_v1[0] && mt->v1_cpu[0])
		snprintf(path, sizeof(path), "%s%s/cgroup.procs", mt->v1_cpu, t->cgroup_v1);
	else
		return false;
	f = fopen(path, "re");
	while (f && seen++ < 32 && fgets(line, sizeof(line), f)) {
		pid_t p = (pid_t)atoi(line);

		if (p <= 0 || proc_comm(p, comm, sizeof(comm)))
			continue;
		if (!vmm && classify_vmm_of_comm(comm))
			vmm = p;
		else if (!strcmp(comm, "containerd-shim") && !shim)
			shim = is_kata_shim(p);
	}
	if (f)
		fclose(f);
	if (shim || !strcmp(t->runtime, "kata"))
		t->vm_pod = true;
	if (!vmm)
		return false;
	t->vm_pod = true;
	t->vmm_pid = vmm;
	if (shim)
		snprintf(t->runtime, sizeof(t->runtime), "kata");
	/* the VMM's network namespace is the pod's: its tap and the pod's veth are there */
	t->netns = proc_netns_ino(vmm);
	proc_comm(vmm, comm, sizeof(comm));
	vm_role_evidence(ts, t, vmm, comm);
	/* one entity for the whole pod: its containers run inside the guest */
	snprintf(t->name, sizeof(t->name), "%s", t->entity + 4);
	snprintf(t->label, sizeof(t->label), "%s", t->entity);
	ts->idx_stale = true; /* its VMM's pid and netns are new keys */
	return true;
}

/* A target found on a scratch table (a discovery for one --vm / --container) joins ts. */
static int target_adopt(struct targets *ts, const struct target *found)
{
	struct target *t = target_new(ts, found->kind);

	if (!t)
		return -E2BIG;
	*t = *found;
	target_commit(ts, t);
	return 0;
}

/*
 * --vm naming a VM-backed pod (Kata) -- its VMM's pid or name (vmm > 0), or the pod's
 * "namespace/name" -- adds that pod, one target as discovery finds it, and says so in a note;
 * -ENOENT when no pod is served by that VMM or has that name.
 */
static int add_vm_pod(struct targets *ts, const char *spec, pid_t vmm)
{
	struct targets *all = calloc(1, sizeof(*all));
	int err = -ENOENT;

	if (!all)
		return -ENOMEM;
	targets_discover(all);
	for (int i = 0; i < all->n; i++) {
		const struct target *t = &all->t[i];

		if (!t->vmm_pid || (vmm ? t->vmm_pid != vmm : strcmp(t->name, spec)))
			continue;
		if ((err = target_adopt(ts, t)))
			break;
		targets_note(ts,
			     "--vm %s: its VMM (pid %d) is the sandbox of %s: reported as that pod",
			     spec, (int)t->vmm_pid, t->entity);
		err = 0;
		break;
	}
	targets_free(all);
	free(all);
	return err;
}

static int add_vm_or_pod(struct targets *ts, const char *spec, pid_t pid)
{
	int err = add_vm_pod(ts, spec, pid);

	return err == -ENOENT ? add_vm_pid(ts, pid) : err;
}

/*
 * --vm NAME against a VM: 2 for its name or full uuid, 1 for a uuid prefix (any case), else 0.
 * An exact match beats prefixes: a domain named "cafe" stays selectable beside a uuid "cafe...".
 */
static int vm_spec_match(const struct target *t, const char *spec)
{
	size_t n = strlen(spec);

	if (!strcmp(t->name, spec) || (t->uuid[0] && !strcasecmp(t->uuid, spec)))
		return 2;
	return t->uuid[0] && n && n < strlen(t->uuid) && !strncasecmp(t->uuid, spec, n);
}

static int add_vm_spec(struct targets *ts, const char *spec)
{
	struct target *probe;
	char comm[32];
	uint64_t v;
	DIR *d;
	struct dirent *de;
	pid_t match1 = 0, match2 = 0;
	int found = 0, best = 1;

	if (!parse_u64(spec, 1, (1u << 30), &v)) {
		if (proc_comm((pid_t)v, comm, sizeof(comm))) {
			vp_err("--vm %s: no such process", spec);
			return -ENOENT;
		}
		/* a process that is none of the VMMs we know: its threads, roles unknown */
		if (!classify_vmm_of_comm(comm))
			vp_warn("--vm %s: '%s' is not qemu: all its threads count as the VM, with "
				"role unknown",
				spec, comm);
		return add_vm_or_pod(ts, spec, (pid_t)v);
	}
	d = opendir("/proc");
	if (!d)
		return -errno;
	probe = calloc(1, sizeof(*probe)); /* a scratch target: VMs' names, uuids and scopes */
	if (!probe) {
		closedir(d);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);
		int how;

		if (pid <= 0 || proc_comm(pid, comm, sizeof(comm)) || !classify_vmm_of_comm(comm))
			continue;
		memset(probe, 0, sizeof(*probe));
		probe->pid = pid;
		vm_identify(probe);
		how = vm_spec_match(probe, spec);
		if (!how) {
			/* a -name too long for an entity (Kata's "sandbox-<64 hex>") still selects */
			size_t clen = 0;
			char *cmd = proc_cmdline(pid, &clen), full[160];

			if (qemu_name(cmd, clen, pid, full, sizeof(full)) && !strcmp(full, spec))
				how = 2;
			free(cmd);
		}
		if (how > best) {
			best = how;
			found = 0; /* the prefix matches so far do not count beside an exact one */
		}
		if (how == best) {
			if (found++)
				match2 = pid;
			else
				match1 = pid;
		}
	}
	closedir(d);
	free(probe);
	if (!found) {
		/* a VM-backed pod by its namespace/name */
		int err = add_vm_pod(ts, spec, 0);

		if (err != -ENOENT)
			return err;
		vp_err("--vm %s: no VM process with that pid, -name, libvirt domain name or uuid "
		       "(prefix), no VM-backed pod of that namespace/name",
		       spec);
		return -ENOENT;
	}
	if (found > 1) {
		vp_err("--vm %s: %d VM processes have that name or uuid prefix (pids %d, %d): give "
		       "the pid or more of the uuid",
		       spec, found, (int)match1, (int)match2);
		return -EINVAL;
	}
	return add_vm_or_pod(ts, spec, match1);
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
	t->ncgids = t->ncgids_v2 = t->ncgids_v1 = 0;
	if (t->cgroup_v2[0])
		t->ncgids_v2 = cgroup_tree_ids(CGROUP_V2, t->cgroup_v2, t->cgids, MAX_CGIDS);
	if (t->cgroup_v1[0])
		t->ncgids_v1 = cgroup_tree_ids(CGROUP_V1_CPU, t->cgroup_v1, t->cgids + t->ncgids_v2,
					       MAX_CGIDS - t->ncgids_v2);
	t->ncgids = t->ncgids_v2 + t->ncgids_v1;
	/*
	 * A bio's owner is its blkcg: on a hybrid layout that lives on the v1 blkio hierarchy.  The
	 * path is read once (the runtime placed the container before it ran): every interval it
	 * was a /proc/<pid>/cgroup read per target.
	 */
	if (t->pid && t->ncgids && cgroup_mounts()->v1_blkio[0]) {
		if (!t->blkio[0]) {
			char path[64], *buf;

			snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)t->pid);
			buf = read_file(path, NULL);
			if (!buf ||
			    proc_parse_cgroup_ctrl(buf, "blkio", t->blkio, sizeof(t->blkio)))
				t->blkio[0] = '\0';
			free(buf);
		}
		/* the root blkcg is the host's, not the container's (its runtime left blkio alone) */
		if (t->blkio[0] && strcmp(t->blkio, "/"))
			t->ncgids += cgroup_tree_ids(CGROUP_V1_BLKIO, t->blkio,
						     t->cgids + t->ncgids, MAX_CGIDS - t->ncgids);
	}
}

static const char *basename_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s && s[1] ? s + 1 : p;
}

/* One docker container over the Engine API; 0 when found and running. */
static int docker_inspect(const char *spec, struct target *t)
{
	struct docker_info di;
	int err = docker_api_inspect(spec, &di);

	if (err)
		return err == -EINVAL ? -ENOENT : err;
	if (!di.running || di.pid <= 0)
		return -ESRCH;
	snprintf(t->id, sizeof(t->id), "%s", di.id);
	snprintf(t->name, sizeof(t->name), "%s", di.name);
	snprintf(t->ip, sizeof(t->ip), "%s", di.ip);
	snprintf(t->runtime, sizeof(t->runtime), "docker");
	return ctr_from_pid(t, di.pid);
}

static bool hex_prefix(const char *s)
{
	size_t n = strlen(s);

	if (n < 4 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * --container as a discovered container's name (its name, "namespace/pod/container", a pod's
 * "namespace/pod" = all its containers) or id prefix: 0 added, -ENOENT none, -EINVAL ambiguous.
 */
static int add_discovered(struct targets *ts, const char *spec)
{
	struct targets *all = calloc(1, sizeof(*all));
	const char *first = NULL, *second = NULL;
	int err = 0;
	bool *hit = NULL;

	if (!all)
		return -ENOMEM;
	/* a name matches whether or not --max-targets would let discovery keep it */
	all->max = TARGETS_MAX_LIMIT;
	targets_discover(all);
	hit = calloc(all->n ? all->n : 1, sizeof(*hit));
	if (!hit) {
		targets_free(all);
		free(all);
		return -ENOMEM;
	}
	for (int i = 0; i < all->n; i++) {
		const struct target *t = &all->t[i];
		const char *ent = strchr(t->entity, ':');

		if (t->kind != TARGET_CTR)
			continue;
		if (!strcmp(t->name, spec) || (ent && !strcmp(ent + 1, spec)) ||
		    (hex_prefix(spec) && !strncmp(t->id, spec, strlen(spec)))) {
			hit[i] = true;
			/* a pod's containers are one match */
			if (!first)
				first = t->entity;
			else if (strcmp(first, t->entity) && !second)
				second = t->entity;
		}
	}
	if (!first) {
		err = -ENOENT;
	} else if (second) {
		vp_err("--container %s: matches more than one container (%s, %s): give more of the "
		       "id or the whole name",
		       spec, first, second);
		err = -EINVAL;
	} else {
		for (int i = 0; i < all->n && !err; i++)
			if (hit[i])
				err = target_adopt(ts, &all->t[i]);
	}
	free(hit);
	targets_free(all);
	free(all);
	return err;
}

static bool proc_exists(uint64_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%llu", (unsigned long long)pid);
	return !access(path, F_OK);
}

static int add_ctr_spec(struct targets *ts, const char *spec)
{
	struct target *t = target_new(ts, TARGET_CTR);
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
		if (err && spec[0] != '/') {
			/* "namespace/pod[/container]" */
			err = add_discovered(ts, spec);
			if (err == -ENOENT)
				vp_err("--container %s: no such cgroup, pod or pod container",
				       spec);
			return err;
		}
		if (err) {
			vp_err("--container %s: no such cgroup", spec);
			return -ENOENT;
		}
		snprintf(t->name, sizeof(t->name), "%s", basename_of(spec));
	} else if (!parse_u64(spec, 1, 1u << 30, &v) && !docker_inspect(spec, t)) {
		/* a docker container whose name or id is all digits */
	} else if (!parse_u64(spec, 1, 1u << 30, &v) && proc_exists(v)) {
		/*
		 * A pid only when that process exists: an id prefix can be all digits (a podman
		 * id's first 8 hex digits are, 2 % of the time: e2e hosts_podman once), and then it
		 * is looked up among the containers below.
		 */
		if (ctr_from_pid(t, (pid_t)v)) {
			vp_err("--container %s: no such process", spec);
			return -ENOENT;
		}
		snprintf(t->name, sizeof(t->name), "%s",
			 basename_of(t->cgroup_v2[0] ? t->cgroup_v2 : t->cgroup_v1));
	} else if ((err = add_discovered(ts, spec)) != -ENOENT) {
		return err;
	} else {
		t = target_new(ts, TARGET_CTR);
		err = docker_inspect(spec, t);
		if (err == -ESRCH) {
			vp_err("--container %s: container is not running", spec);
			return -ESRCH;
		}
		if (err) {
			vp_err("--container %s: no container with that name or id prefix, no cgroup "
			       "path, no pid",
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

int targets_add_vm(struct targets *ts, const char *spec)
{
	int err = add_vm_spec(ts, spec);

	return err ? err : targets_reindex(ts);
}

int targets_add_container(struct targets *ts, const char *spec)
{
	int err = add_ctr_spec(ts, spec);

	return err ? err : targets_reindex(ts);
}

static void targets_note(struct targets *ts, const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (int i = 0; i < ts->nnotes; i++)
		if (!strcmp(ts->notes[i], buf))
			return;
	if (ts->nnotes < MAX_TARGET_NOTES)
		snprintf(ts->notes[ts->nnotes++], sizeof(ts->notes[0]), "%s", buf);
}

/* A container cgroup found by the layout table, its paths on v2 and on the v1 cpu hierarchy. */
struct found {
	struct layout_match m;
	char v2[256], v1[256];
};

/* Bounded by the walk: at most DISCOVER_MAX_DIRS directories per hierarchy. */
struct scan {
	struct found *f;
	int n, cap, dirs;
	struct target_index seen; /* (rule, id) -> f[] index */
};

static char *hier_path(enum cgroup_hier h, const char *rel, char *buf, size_t len)
{
	const struct cgroup_mounts *mt = cgroup_mounts();

	snprintf(buf, len, "%s%s", h == CGROUP_V2 ? mt->v2 : mt->v1_cpu, rel);
	return buf;
}

/* Lowest pid in a cgroup (its init, as a rule) or in its children; 0 if none. */
static pid_t cgroup_first_pid(const char *abs, int depth)
{
	char path[1200], line[32];
	struct dirent *de;
	pid_t best = 0;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "%s/cgroup.procs", abs);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		pid_t p = (pid_t)atoi(line);

		if (p > 0 && (!best || p < best))
			best = p;
	}
	if (f)
		fclose(f);
	if (best || depth >= 2 || !(d = opendir(abs)))
		return best;
	while (!best && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", abs, de->d_name);
		best = cgroup_first_pid(path, depth + 1);
	}
	closedir(d);
	return best;
}

/* Plain containerd's /<ns>/<id> is any two-level directory unless a containerd-shim parents it. */
static bool shim_parented(const char *abs)
{
	char path[1200], line[32], comm[32];
	int checked = 0;
	bool yes = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", abs);
	f = fopen(path, "re");
	while (f && !yes && checked < 4 && fgets(line, sizeof(line), f)) {
		struct proc_stat st;

		checked++;
		if (!proc_read_stat((pid_t)atoi(line), 0, &st) && st.ppid > 0 &&
		    !proc_comm(st.ppid, comm, sizeof(comm)))
			yes = !strncmp(comm, "containerd-shim", 15);
	}
	if (f)
		fclose(f);
	return yes;
}

static void scan_add(struct scan *sc, const struct layout_match *m, enum cgroup_hier h,
		     const char *rel)
{
	uint64_t key = str_key(m->rule, m->id);
	struct found *f = NULL, *grown;
	int cand[8], nc = idx_get(&sc->seen, m->kind, key, cand, ARRAY_SIZE(cand));

	for (int i = 0; i < nc; i++)
		if (!strcmp(sc->f[cand[i]].m.id, m->id) && !strcmp(sc->f[cand[i]].m.rule, m->rule))
			f = &sc->f[cand[i]];
	if (!f) {
		grown = array_grow(sc->f, &sc->cap, sc->n, sizeof(*sc->f));
		if (!grown || idx_put(&sc->seen, m->kind, key, sc->n))
			return; /* out of memory: this one is not found */
		sc->f = grown;
		f = &sc->f[sc->n++];
		memset(f, 0, sizeof(*f));
		f->m = *m;
	}
	snprintf(h == CGROUP_V2 ? f->v2 : f->v1, sizeof(f->v2), "%s", rel);
}

/* Bounded walk of one hierarchy: a matched directory is one container, not descended into. */
static void scan_dir(struct targets *ts, struct scan *sc, enum cgroup_hier h, const char *rel,
		     int depth)
{
	char abs[1200], sub[512];
	struct layout_match m;
	struct dirent *de;
	DIR *d;

	d = opendir(hier_path(h, rel, abs, sizeof(abs)));
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (++sc->dirs > DISCOVER_MAX_DIRS) {
			targets_note(ts,
				     "discovery stopped after %d cgroup directories: containers "
				     "below the rest are not found",
				     DISCOVER_MAX_DIRS);
			break;
		}
		if (snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name) >= (int)sizeof(sub))
			continue;
		if (!layout_match(sub, &m) &&
		    (!m.needs_evidence || shim_parented(hier_path(h, sub, abs, sizeof(abs))))) {
			scan_add(sc, &m, h, sub);
			continue;
		}
		if (layout_looks_like_container(sub)) {
			targets_note(ts,
				     "cgroup %.120s holds an id but no known runtime layout: its "
				     "threads stay in other",
				     sub);
			continue;
		}
		if (depth + 1 < DISCOVER_MAX_DEPTH)
			scan_dir(ts, sc, h, sub, depth + 1);
	}
	closedir(d);
}

static struct target *target_by_id(struct targets *ts, const char *id)
{
	int cand[8], n = idx_get(ts->idx, TKEY_ID, str_key(id, NULL), cand, ARRAY_SIZE(cand));
	struct target *best = NULL;

	for (int i = 0; i < n; i++) {
		struct target *t = &ts->t[cand[i]];

		if (t->kind == TARGET_CTR && !strcmp(t->id, id) && (!best || t < best))
			best = t;
	}
	return best;
}

/* Names from the runtime's records (account/names.h); a pod's container joins pod:<ns>/<name>. */
static void ctr_name(struct target *t, const struct layout_match *m)
{
	struct kube_names kn = { 0 };
	struct docker_info di;
	char shortid[16], ctr[64];
	bool kube = false;
	char *cfg;

	snprintf(shortid, sizeof(shortid), "%.12s", m->id);
	snprintf(t->name, sizeof(t->name), "%s", m->name[0] ? m->name : shortid);
	if (!strcmp(m->runtime, "docker") && !docker_api_inspect(m->id, &di)) {
		snprintf(t->name, sizeof(t->name), "%s", di.name);
		snprintf(t->ip, sizeof(t->ip), "%s", di.ip);
	} else if (strcmp(m->runtime, "lxc") && strcmp(m->runtime, "nspawn")) {
		cfg = oci_bundle_config(m->runtime, m->ns, m->id);
		kube = cfg && !oci_kube_names(cfg, &kn);
		free(cfg);
		if (!strcmp(m->runtime, "containerd") && m->ns[0])
			snprintf(t->name, sizeof(t->name), "%s", m->id); /* ctr's id is its name */
		else if (!kube)
			storage_container_name(m->id, t->name, sizeof(t->name));
	}
	snprintf(t->app_role, sizeof(t->app_role), "app");
	if (m->pod || (kube && kn.pod_name[0])) {
		char pod[ENTITY_LEN];

		snprintf(ctr, sizeof(ctr), "%s",
			 kn.sandbox	 ? "sandbox" :
			 kn.container[0] ? kn.container :
					   shortid);
		if (kn.pod_name[0])
			snprintf(pod, sizeof(pod), "%s/%s", kn.pod_ns[0] ? kn.pod_ns : "?",
				 kn.pod_name);
		else
			snprintf(pod, sizeof(pod), "%s", m->pod_uid);
		snprintf(t->entity, sizeof(t->entity), "pod:%s", pod);
		snprintf(t->name, sizeof(t->name), "%s/%s", pod, ctr);
		snprintf(t->app_role, sizeof(t->app_role), "app:%s", ctr);
		snprintf(t->label, sizeof(t->label), "pod:%s/%s", pod, ctr);
	}
	snprintf(t->pod_uid, sizeof(t->pod_uid), "%s", m->pod_uid);
}

static void helper_collect_ids(struct target *t)
{
	t->nhcgids = t->nhcgids_v2 = 0;
	if (t->helper_v2[0])
		t->nhcgids = t->nhcgids_v2 =
			cgroup_tree_ids(CGROUP_V2, t->helper_v2, t->hcgids, MAX_HELPER_CGIDS);
	if (t->helper_v1[0])
		t->nhcgids += cgroup_tree_ids(CGROUP_V1_CPU, t->helper_v1, t->hcgids + t->nhcgids,
					      MAX_HELPER_CGIDS - t->nhcgids);
}

static void discover_found(struct targets *ts, struct scan *sc)
{
	char abs[1200];

	/* containers first, then the helpers that serve them */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < sc->n; i++) {
			struct found *f = &sc->f[i];
			struct target *t = target_by_id(ts, f->m.id);
			pid_t pid;

			if (f->m.kind == LAYOUT_VM || (f->m.kind == LAYOUT_HELPER) != (pass == 1))
				continue;
			if (pass == 1) {
				if (!t)
					continue;
				int nh = t->nhcgids;
				uint64_t h0 = nh ? t->hcgids[0] : 0;

				snprintf(t->helper_v2, sizeof(t->helper_v2), "%s", f->v2);
				snprintf(t->helper_v1, sizeof(t->helper_v1), "%s", f->v1);
				helper_collect_ids(t);
				ts->idx_stale |= nh != t->nhcgids || (nh && h0 != t->hcgids[0]);
				continue;
			}
			if (t) {
				/* known: a hierarchy it was missing from may have appeared */
				if (!t->cgroup_v2[0] && f->v2[0])
					snprintf(t->cgroup_v2, sizeof(t->cgroup_v2), "%s", f->v2);
				if (!t->cgroup_v1[0] && f->v1[0])
					snprintf(t->cgroup_v1, sizeof(t->cgroup_v1), "%s", f->v1);
				continue;
			}
			pid = cgroup_first_pid(
				f->v1[0] ? hier_path(CGROUP_V1_CPU, f->v1, abs, sizeof(abs)) :
					   hier_path(CGROUP_V2, f->v2, abs, sizeof(abs)),
				0);
			if (!pid)
				continue; /* an empty cgroup: a container stopped, not yet removed */
			t = target_slot(ts);
			if (!t) {
				ts->untracked++; /* past --max-targets: counted, reported */
				continue;
			}
			t->kind = TARGET_CTR;
			snprintf(t->id, sizeof(t->id), "%s", f->m.id);
			snprintf(t->runtime, sizeof(t->runtime), "%s", f->m.runtime);
			snprintf(t->layout, sizeof(t->layout), "%s", f->m.rule);
			snprintf(t->cgroup_v2, sizeof(t->cgroup_v2), "%s", f->v2);
			snprintf(t->cgroup_v1, sizeof(t->cgroup_v1), "%s", f->v1);
			t->pid = pid;
			t->netns = proc_netns_ino(pid);
			ctr_name(t, &f->m);
			ctr_collect_ids(t);
			if (t->ncgids)
				target_commit(ts, t);
		}
	}
}

/*
 * Rootless networking helpers (slirp4netns, pasta) serve one network namespace, named on their
 * command line by a pid in it or a path to it (a bind-mounted nsfs file): the target whose
 * namespace that is owns them, as runtime.
 */
static void net_helper(struct targets *ts, pid_t pid)
{
	size_t len = 0;
	char *cmd = proc_cmdline(pid, &len);
	unsigned long ino = 0;

	for (const char *a = cmd; cmd && a < cmd + len && !ino; a += strlen(a) + 1) {
		struct stat st;
		uint64_t v;

		if (a == cmd)
			continue;
		if (!parse_u64(a, 1, 1u << 30, &v))
			ino = proc_netns_ino((pid_t)v);
		else if (a[0] == '/' && !stat(a, &st) && st.st_dev && !S_ISDIR(st.st_mode) &&
			 (!strncmp(a, "/run/", 5) || !strncmp(a, "/proc/", 6)))
			ino = (unsigned long)st.st_ino;
	}
	free(cmd);
	for (int i = 0; ino && i < ts->n; i++) {
		struct target *t = &ts->t[i];
		bool known = false;

		if (t->kind != TARGET_CTR || t->netns != ino || t->gone)
			continue;
		for (int k = 0; k < t->nhelper_pids; k++)
			known |= t->helper_pids[k] == pid;
		if (!known && t->nhelper_pids < MAX_HELPER_PIDS) {
			t->helper_pids[t->nhelper_pids++] = pid;
			ts->idx_stale = true;
		}
		return;
	}
}

static bool is_net_helper(const char *comm)
{
	return !strcmp(comm, "slirp4netns") || !strncmp(comm, "pasta", 5);
}

void targets_find_helpers(struct targets *ts)
{
	struct dirent *de;
	char comm[32];
	DIR *d = opendir("/proc");

	while (d && (de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);

		if (pid > 0 && !proc_comm(pid, comm, sizeof(comm)) && is_net_helper(comm))
			net_helper(ts, pid);
	}
	if (d)
		closedir(d);
	targets_reindex(ts);
}

static bool is_target_pid(const struct targets *ts, pid_t pid)
{
	for (int i = 0; i < ts->n; i++)
		if ((ts->t[i].pid == pid || ts->t[i].vmm_pid == pid) && !ts->t[i].gone)
			return true;
	return false;
}

/* A VMM in a known pod's cgroup makes it a VM-backed pod; true when one was found. */
static bool vm_pods_attach(struct targets *ts)
{
	bool any = false;

	for (int i = 0; i < ts->n; i++)
		any |= vm_pod_attach(ts, &ts->t[i]);
	return any;
}

int targets_discover(struct targets *ts)
{
	const struct cgroup_mounts *mt = cgroup_mounts();
	pid_t *helpers = NULL, *vmms = NULL, *grown; /* one slirp4netns / pasta per rootless container */
	int nhelpers = 0, caphelpers = 0, nvmms = 0, capvmms = 0;
	struct scan *sc;
	char comm[32];
	struct dirent *de;
	DIR *d;

	ts->untracked = 0; /* counted again by this look */

	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);

		if (pid <= 0 || proc_comm(pid, comm, sizeof(comm)))
			continue;
		if (is_net_helper(comm)) {
			grown = array_grow(helpers, &caphelpers, nhelpers, sizeof(*helpers));
			if (grown) {
				helpers = grown;
				helpers[nhelpers++] = pid;
			}
		} else if (classify_vmm_of_comm(comm) && !is_target_pid(ts, pid)) {
			/* added after the pods: a VMM in a pod's cgroup is that pod's (Kata) */
			grown = array_grow(vmms, &capvmms, nvmms, sizeof(*vmms));
			if (grown) {
				vmms = grown;
				vmms[nvmms++] = pid;
			}
		}
	}
	closedir(d);
	sc = calloc(1, sizeof(*sc));
	if (!sc) {
		free(helpers);
		free(vmms);
		return -ENOMEM;
	}
	if (mt->v2[0])
		scan_dir(ts, sc, CGROUP_V2, "", 0);
	sc->dirs = 0;
	if (mt->v1_cpu[0])
		scan_dir(ts, sc, CGROUP_V1_CPU, "", 0);
	discover_found(ts, sc);
	free(sc->f);
	free(sc->seen.s);
	free(sc);
	/* the pods first: a VMM in a pod's cgroup is that pod's (Kata), not a VM of its own */
	vm_pods_attach(ts);
	for (int i = 0; i < nvmms; i++) {
		if (is_target_pid(ts, vmms[i]))
			continue;
		if (ts->n < targets_max(ts))
			add_vm_pid(ts, vmms[i]);
		else
			ts->untracked++; /* past --max-targets: counted, reported */
	}
	free(vmms);
	for (int i = 0; i < nhelpers; i++)
		net_helper(ts, helpers[i]);
	free(helpers);
	/* new targets are indexed as they come (target_commit); a rebuild only for changed keys */
	return ts->idx_stale || !ts->idx ? targets_reindex(ts) : 0;
}

/* QMP asked again when the VMM's thread set changed (a vCPU plugged); true when its answer did. */
static bool vm_qmp_recheck(struct target *t)
{
	pid_t tids[ARRAY_SIZE(t->vcpu_tids)];
	char why[160];
	bool asked;
	int n = qmp_vcpu_tids_memo(target_vmm_pid(t), t->qmp_path, tids, ARRAY_SIZE(tids), why,
				   sizeof(why), &asked);

	if (!asked)
		return false;
	if (n < 0)
		n = 0;
	if (n == t->nvcpu_tids && !memcmp(tids, t->vcpu_tids, n * sizeof(tids[0])))
		return false;
	memcpy(t->vcpu_tids, tids, n * sizeof(tids[0]));
	t->nvcpu_tids = n;
	t->vcpus_known |= n > 0;
	return true;
}

static int vm_pods_count(const struct targets *ts)
{
	int n = 0;

	for (int i = 0; i < ts->n; i++)
		n += ts->t[i].vmm_pid > 0;
	return n;
}

bool targets_refresh(struct targets *ts)
{
	bool changed = false;
	int n0 = ts->n, nvm0 = vm_pods_count(ts);

	if (ts->rediscover && ts->discover_now) {
		ts->discover_now = false;
		targets_discover(ts);
		changed = ts->n != n0;
	}
	/* a pod named on the command line whose VMM came after it (Kata starts the shim first) */
	vm_pods_attach(ts);
	changed |= vm_pods_count(ts) != nvm0;

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
		if (t->vmm_pid) {
			/* a VM-backed pod's VMM gone first: its threads are gone too */
			snprintf(path, sizeof(path), "/proc/%d", (int)t->vmm_pid);
			if (access(path, F_OK)) {
				t->vmm_pid = 0;
				changed = true;
			}
		}
		if (t->qmp_path[0] && target_vmm_pid(t) > 0)
			changed |= vm_qmp_recheck(t);
		if (t->kind == TARGET_VM) {
			/* a VM moved into its scope after we found it (libvirt does so before exec) */
			char dom[64];

			if (!t->vm_cgroup[0] && t->qemu) {
				vm_identify_scope(t, dom, sizeof(dom));
				if (t->vm_cgroup[0])
					roles_note_add(t, "libvirt's cgroups since its scope came");
			}
			if (t->qemu && t->vm_cgroup[0])
				changed |= vm_cg_read(ts, t);
			continue;
		}
		memcpy(before, t->cgids, nbefore * sizeof(before[0]));
		ctr_collect_ids(t);
		if (t->helper_v2[0] || t->helper_v1[0]) {
			int nh = t->nhcgids;
			uint64_t h0 = nh ? t->hcgids[0] : 0;

			helper_collect_ids(t);
			changed |= nh != t->nhcgids || (nh && h0 != t->hcgids[0]);
		}
		if (!t->ncgids && nbefore) {
			t->gone = true;
			t->gone_mono_ns = now_mono_ns();
		}
		if (t->ncgids != nbefore || memcmp(before, t->cgids, nbefore * sizeof(before[0])))
			changed = true;
	}
	/* a failed rebuild leaves no index: every thread is other until the next one succeeds */
	if ((changed || !ts->idx) && targets_reindex(ts))
		changed = true;
	return changed;
}

int targets_prune(struct targets *ts, uint64_t after_ns, int *moved)
{
	uint64_t now = now_mono_ns();
	int j = 0;

	for (int i = 0; i < ts->n; i++) {
		if (ts->t[i].gone && now - ts->t[i].gone_mono_ns >= after_ns)
			continue;
		if (j != i)
			ts->t[j] = ts->t[i];
		moved[j++] = i;
	}
	if (j == ts->n)
		return j;
	ts->n = j;
	targets_reindex(ts);
	return j;
}

int targets_find_all(const struct targets *ts, enum target_key kind, uint64_t key, int *out,
		     int max)
{
	return key ? idx_get(ts->idx, kind, key, out, max) : 0;
}

int targets_find(const struct targets *ts, enum target_key kind, uint64_t key)
{
	return key ? idx_min(ts->idx, kind, key) : -1;
}

/* The lower of two indexes, -1 counting as none. */
static int first_of(int a, int b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

int targets_by_cgroup(const struct targets *ts, uint64_t cgid_v2, uint64_t cgid_v1)
{
	return first_of(targets_find(ts, TKEY_CG_V2, cgid_v2),
			targets_find(ts, TKEY_CG_V1, cgid_v1));
}

int targets_by_helper_cgroup(const struct targets *ts, uint64_t cgid_v2, uint64_t cgid_v1)
{
	return first_of(targets_find(ts, TKEY_HELPER_V2, cgid_v2),
			targets_find(ts, TKEY_HELPER_V1, cgid_v1));
}

int targets_by_blkcg(const struct targets *ts, uint64_t id)
{
	/* a bio's blkcg: on the v1 blkio hierarchy when one is mounted, else on v2 */
	return targets_find(ts, cgroup_mounts()->v1_blkio[0] ? TKEY_BLKCG : TKEY_CG_V2, id);
}

const struct target *targets_by_pid(const struct targets *ts, pid_t tgid)
{
	int i = tgid > 0 ? targets_find(ts, TKEY_PID, (uint64_t)tgid) : -1;

	return i >= 0 ? &ts->t[i] : NULL;
}

const struct target *targets_by_netns(const struct targets *ts, unsigned long ino)
{
	int i = targets_find(ts, TKEY_NETNS, ino);

	return i >= 0 ? &ts->t[i] : NULL;
}
