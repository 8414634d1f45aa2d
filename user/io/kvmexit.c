// SPDX-License-Identifier: GPL-2.0
/* KVM section: cumulative per-CPU counters from bpf/kvm.bpf.c, read as deltas. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "probe/features.h"
#include "probe/probe.h"
#include "kvm.skel.h"
#include "io/kvmexit.h"
#include "out/table.h"
#include "sys/util.h"

const char *kvmexit_reason_name(unsigned int isa, unsigned int reason)
{
	static const struct {
		unsigned int r;
		const char *n;
	} vmx[] = {
		{ 0, "EXCEPTION_NMI" }, { 1, "EXTERNAL_INTERRUPT" }, { 7, "INTERRUPT_WINDOW" },
		{ 10, "CPUID" }, { 12, "HLT" }, { 18, "VMCALL" }, { 28, "CR_ACCESS" },
		{ 30, "IO_INSTRUCTION" }, { 31, "MSR_READ" }, { 32, "MSR_WRITE" },
		{ 40, "PAUSE_INSTRUCTION" }, { 44, "APIC_ACCESS" }, { 45, "EOI_INDUCED" },
		{ 48, "EPT_VIOLATION" }, { 49, "EPT_MISCONFIG" }, { 52, "PREEMPTION_TIMER" },
	}, svm[] = {
		{ 0x60, "INTR" }, { 0x61, "NMI" }, { 0x64, "VINTR" }, { 0x72, "CPUID" },
		{ 0x77, "PAUSE" }, { 0x78, "HLT" }, { 0x7b, "IOIO" }, { 0x7c, "MSR" },
		{ 0x81, "VMMCALL" }, { 0x400, "NPF" }, { 0x401, "AVIC_INCOMPLETE_IPI" },
		{ 0x402, "AVIC_UNACCELERATED_ACCESS" },
	};

	if (isa == 1) {
		for (size_t i = 0; i < ARRAY_SIZE(vmx); i++)
			if (vmx[i].r == reason)
				return vmx[i].n;
	} else if (isa == 2) {
		for (size_t i = 0; i < ARRAY_SIZE(svm); i++)
			if (svm[i].r == reason)
				return svm[i].n;
	}
	return NULL;
}

static const char *absent_reason(void)
{
	return "KVM tracepoints not in this kernel (KVM not built in, or the kvm module not "
	       "loaded)";
}

static int configure(void *skel, void *ctx, enum probe_flavour want)
{
	__typeof__(((struct kvm_bpf *)skel)->progs) *p = &((struct kvm_bpf *)skel)->progs;
	struct kvmexit *k = ctx;

	k->pio = probe_pick(p->tp_kvm_pio, p->raw_kvm_pio, "kvm_pio", "kvm", want);
	k->mmio = probe_pick(p->tp_kvm_mmio, p->raw_kvm_mmio, "kvm_mmio", "kvm", want);
	if (!k->pio)
		vp_na_set(&k->pio_na, VP_NA_KERNEL, "kvm_pio: %s", absent_reason());
	if (!k->mmio)
		vp_na_set(&k->mmio_na, VP_NA_KERNEL, "kvm_mmio: %s", absent_reason());
	/* The exit reason is only in the formatted record since the (vcpu, isa) prototype. */
	k->exits = feature_has_event("kvm", "kvm_exit") && feature_has_event("kvm", "kvm_entry");
	if (!k->exits)
		vp_na_set(&k->exit_na, VP_NA_KERNEL, "kvm_exit/kvm_entry: %s%s", absent_reason(),
			  feature_has_tp_btf("kvm_exit") ? " (tracefs not mounted?)" : "");
	bpf_program__set_autoload(p->tp_kvm_exit, k->exits);
	bpf_program__set_autoload(p->tp_kvm_entry, k->exits);
	if (!k->pio && !k->mmio && !k->exits) {
		vp_debug("%s", absent_reason());
		return -ENOTSUP;
	}
	return 0;
}

PROBE_SKEL_WRAPPERS(kvm_bpf)

static const struct probe_obj_ops kvm_ops = {
	.what = "KVM",
	.optional = true,
	.configure = configure,
	PROBE_SKEL_OPS(kvm_bpf),
};

int kvmexit_open(struct kvmexit **out)
{
	struct kvmexit *k = calloc(1, sizeof(*k));
	int err;

	if (!k)
		return -ENOMEM;
	k->ncpu = libbpf_num_possible_cpus();
	err = probe_open_fallback(&kvm_ops, k, (void **)&k->skel, NULL);
	if (err) {
		kvmexit_close(k);
		return err;
	}
	*out = k;
	return 0;
}

void kvmexit_close(struct kvmexit *k)
{
	if (!k)
		return;
	kvm_bpf__destroy(k->skel);
	free(k->rows);
	free(k->reasons);
	free(k->rips);
	free(k->ios);
	free(k->halts);
	free(k);
}

static void collect_threads(struct kvmexit *k)
{
	size_t stride = (sizeof(struct vp_kvm_stats) + 7) & ~(size_t)7;
	int fd = bpf_map__fd(k->skel->maps.kvm_stats);
	struct vp_kvm_key key, next, *prev = NULL;
	char *vals = calloc(k->ncpu, stride);

	while (vals && bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct vp_kvm_stats s = {};
		struct kvm_row *r = NULL;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		for (int c = 0; c < k->ncpu; c++) {
			const struct vp_kvm_stats *v = (const void *)(vals + c * stride);

			for (int i = 0; i < 2; i++)
				s.pio[i] += v->pio[i];
			for (int i = 0; i < 3; i++)
				s.mmio[i] += v->mmio[i];
			s.exits += v->exits;
			s.entries += v->entries;
			s.handle_ns += v->handle_ns;
			s.guest_ns += v->guest_ns;
			if (v->has_vcpu_id) {
				s.vcpu_id = v->vcpu_id;
				s.has_vcpu_id = 1;
			}
			if (!s.comm[0] && v->comm[0])
				memcpy(s.comm, v->comm, sizeof(s.comm));
		}
		r = array_find_or_add((void **)&k->rows, &k->n, &k->cap, sizeof(*r), &key,
				      sizeof(key));
		if (!r)
			break;
		r->delta = s;
		for (int i = 0; i < 2; i++)
			r->delta.pio[i] -= r->total.pio[i];
		for (int i = 0; i < 3; i++)
			r->delta.mmio[i] -= r->total.mmio[i];
		r->delta.exits -= r->total.exits;
		r->delta.entries -= r->total.entries;
		r->delta.handle_ns -= r->total.handle_ns;
		r->delta.guest_ns -= r->total.guest_ns;
		k->life_exits += r->delta.exits;
		k->life_io += r->delta.pio[0] + r->delta.pio[1] + r->delta.mmio[0] +
			      r->delta.mmio[1] + r->delta.mmio[2];
		r->total = s;
	}
	free(vals);
}

static void collect_reasons(struct kvmexit *k)
{
	int fd = bpf_map__fd(k->skel->maps.kvm_reasons);
	struct vp_kvm_reason_key key, next, *prev = NULL;
	struct vp_kvm_reason_stats *vals = calloc(k->ncpu, sizeof(*vals));

	while (vals && bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct vp_kvm_reason_stats s = {};
		struct kvm_reason_row *r = NULL;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		for (int c = 0; c < k->ncpu; c++) {
			s.count += vals[c].count;
			s.handle_ns += vals[c].handle_ns;
		}
		r = array_find_or_add((void **)&k->reasons, &k->nr, &k->rcap, sizeof(*r), &key,
				      sizeof(key));
		if (!r)
			break;
		r->delta.count = s.count - r->total.count;
		r->delta.handle_ns = s.handle_ns - r->total.handle_ns;
		r->total = s;
	}
	free(vals);
}

/*
 * Everything in a plain hash of (key -> count, handling time), deleted as read: the rows are the
 * deltas since the last collect, and the map never fills over a long session.
 */
static int drain(int fd, size_t ksz, void **rows, int *n, int *cap, size_t rsz)
{
	char key[sizeof(struct vp_kvm_rip_key)], next[sizeof(key)];
	struct vp_kvm_reason_stats v;

	*n = 0;
	if (ksz > sizeof(key))
		return -EINVAL;
	/* take the first key each time: the one before it is gone */
	while (bpf_map_get_next_key(fd, NULL, next) == 0) {
		char *r;

		memcpy(key, next, ksz);
		if (bpf_map_lookup_and_delete_elem(fd, key, &v)) {
			if (bpf_map_lookup_elem(fd, key, &v) || bpf_map_delete_elem(fd, key))
				return -errno;
		}
		r = array_grow(*rows, cap, *n, rsz);
		if (!r)
			return -ENOMEM;
		*rows = r;
		r += (size_t)(*n)++ * rsz;
		memcpy(r, key, ksz);
		memcpy(r + rsz - sizeof(v), &v, sizeof(v));
	}
	return 0;
}

#define KVM_DEBUGFS "/sys/kernel/debug/kvm"

/* One VM's halt statistics: the sum over its debugfs directories (PID-FD, one per VM fd). */
static void read_halt(struct kvmexit *k, struct kvm_halt_row *h, DIR *d)
{
	static const char *const files[KVM_HALT_MAX] = { "halt_poll_success_ns",
							 "halt_poll_fail_ns", "halt_wait_ns" };
	uint64_t sum[KVM_HALT_MAX] = { 0 };
	bool has[KVM_HALT_MAX] = { false };
	struct dirent *e;
	char pre[16];

	snprintf(pre, sizeof(pre), "%u-", h->tgid);
	rewinddir(d);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, pre, strlen(pre)))
			continue;
		for (int i = 0; i < KVM_HALT_MAX; i++) {
			char path[320], *v;

			snprintf(path, sizeof(path), KVM_DEBUGFS "/%s/%s", e->d_name, files[i]);
			v = read_file(path, NULL);
			if (v) {
				sum[i] += strtoull(v, NULL, 10);
				has[i] = true;
				free(v);
			}
		}
	}
	for (int i = 0; i < KVM_HALT_MAX; i++) {
		/* first sight is the baseline */
		h->delta[i] = has[i] && h->has[i] && sum[i] >= h->total[i] ? sum[i] - h->total[i] :
									     0;
		h->total[i] = sum[i];
		h->has[i] = has[i];
	}
	if (!has[KVM_HALT_POLL_OK] && !vp_na_is(&k->halt_na))
		vp_na_set(&k->halt_na, VP_NA_KERNEL,
			  "halt polling: this kernel's KVM has no halt_poll_success_ns statistic "
			  "in " KVM_DEBUGFS " (added in 5.8)");
}

static void collect_halt(struct kvmexit *k)
{
	DIR *d = opendir(KVM_DEBUGFS);

	vp_na_clear(&k->halt_na);
	if (!d) {
		vp_na_set(&k->halt_na,
			  errno == EACCES || errno == EPERM ? VP_NA_PERMISSION : VP_NA_KERNEL,
			  "halt polling: " KVM_DEBUGFS ": %s (KVM's statistics are in debugfs: "
			  "mount -t debugfs none /sys/kernel/debug)",
			  strerror(errno));
		return;
	}
	for (int i = 0; i < k->n; i++) {
		uint32_t tgid = k->rows[i].key.tgid;
		struct kvm_halt_row *h = NULL;

		for (int j = 0; j < k->nhalt && !h; j++)
			if (k->halts[j].tgid == tgid)
				h = &k->halts[j];
		if (!h) {
			h = array_push((void **)&k->halts, &k->nhalt, &k->haltcap, sizeof(*h));
			if (!h)
				break;
			h->tgid = tgid;
		}
	}
	for (int j = 0; j < k->nhalt; j++)
		read_halt(k, &k->halts[j], d);
	closedir(d);
}

_Static_assert(sizeof(struct kvm_rip_row) ==
		       sizeof(struct vp_kvm_rip_key) + sizeof(struct vp_kvm_reason_stats),
	       "drain() copies key then value");
_Static_assert(sizeof(struct kvm_io_row) ==
		       sizeof(struct vp_kvm_io_key) + sizeof(struct vp_kvm_reason_stats),
	       "drain() copies key then value");

int kvmexit_collect(struct kvmexit *k)
{
	int dfd = bpf_map__fd(k->skel->maps.kvm_drops);
	uint64_t per[VP_MAX_CPUS];

	collect_threads(k);
	collect_reasons(k);
	drain(bpf_map__fd(k->skel->maps.kvm_rips), sizeof(struct vp_kvm_rip_key), (void **)&k->rips,
	      &k->nrip, &k->ripcap, sizeof(*k->rips));
	drain(bpf_map__fd(k->skel->maps.kvm_ios), sizeof(struct vp_kvm_io_key), (void **)&k->ios,
	      &k->nio, &k->iocap, sizeof(*k->ios));
	collect_halt(k);
	kvmexit_check_exits(k);
	for (__u32 i = 0; i < VP_KVM_DROP_MAX; i++) {
		uint64_t sum = 0;

		if (k->ncpu <= VP_MAX_CPUS && bpf_map_lookup_elem(dfd, &i, per) == 0)
			for (int c = 0; c < k->ncpu; c++)
				sum += per[c];
		k->drops_delta[i] = sum - k->drops[i];
		k->drops[i] = sum;
	}
	return 0;
}

void kvmexit_check_exits(struct kvmexit *k)
{
	char *cmdline;
	bool pvm;

	if (!k->exits)
		return; /* configure said why */
	if (k->life_exits || !k->life_io) {
		vp_na_clear(&k->exit_na);
		return;
	}
	if (vp_na_is(&k->exit_na))
		return; /* said already; /proc/cmdline does not change */
	cmdline = read_file("/proc/cmdline", NULL);
	pvm = cmdline && strstr(cmdline, "nested_pvm");
	free(cmdline);
	vp_na_set(&k->exit_na, VP_NA_KERNEL,
		  "kvm_exit/kvm_entry: attached but never fired while kvm_pio/kvm_mmio did -- this "
		  "KVM does not take the VMX/SVM exit path%s",
		  pvm ? " (nested PVM: nested_pvm=1 on the kernel command line)" : "");
}

enum {
	KC_ENT,
	KC_ROLE,
	KC_THREAD,
	KC_TID,
	KC_VCPU,
	KC_PIN,
	KC_POUT,
	KC_MR,
	KC_MW,
	KC_EXITS,
	KC_HAVG,
	KC_GUEST
};

void kvmexit_for_each_tid(const struct kvmexit *k, io_tid_fn fn, void *ctx)
{
	for (int i = 0; i < k->n; i++)
		fn(ctx, k->rows[i].key.tid);
	for (int i = 0; i < k->nr; i++)
		if (k->reasons[i].delta.count)
			fn(ctx, k->reasons[i].key.tid);
}

static void render_threads(const struct kvmexit *k, io_owner_fn owner, void *ctx, struct out *o)
{
	const struct vp_na *xna = vp_na_is(&k->exit_na) ? &k->exit_na : NULL;
	struct table t;

	table_init(&t, "kvm", "KVM per vCPU thread");
	table_col(&t, "entity", "ENTITY", 0, true);
	table_col(&t, "role", "ROLE", 0, true);
	table_col(&t, "thread", "THREAD", 0, true);
	table_col(&t, "tid", "TID", 0, false);
	table_col(&t, "vcpu_id", "VCPU", 0, false);
	table_col(&t, "pio_in", "PIO_IN", 0, false);
	table_col(&t, "pio_out", "PIO_OUT", 0, false);
	table_col(&t, "mmio_read", "MMIO_RD", 0, false);
	table_col(&t, "mmio_write", "MMIO_WR", 0, false);
	table_col(&t, "exits", "EXITS", 0, false);
	table_col(&t, "exit_handle_avg_us", "EXIT_AVG_US", 2, false);
	table_col(&t, "guest_ms", "GUEST_MS", 2, false);
	for (int i = 0; i < k->n; i++) {
		const struct kvm_row *r = &k->rows[i];
		const struct vp_kvm_stats *s = &r->delta;
		char ent[64] = "", role[32] = "";
		int row;

		if (!s->pio[0] && !s->pio[1] && !s->mmio[0] && !s->mmio[1] && !s->mmio[2] &&
		    !s->exits && !s->entries)
			continue;
		if (owner)
			owner(ctx, &(struct io_owner_key){ .tid = r->key.tid }, ent, sizeof(ent),
			      role, sizeof(role));
		if (!ent[0])
			snprintf(ent, sizeof(ent), "pid:%u", r->key.tgid);
		row = table_row(&t);
		table_str(&t, row, KC_ENT, ent);
		table_str(&t, row, KC_ROLE, role[0] ? role : "vcpu");
		table_str(&t, row, KC_THREAD, r->total.comm);
		table_u64(&t, row, KC_TID, r->key.tid);
		if (r->total.has_vcpu_id)
			table_u64(&t, row, KC_VCPU, r->total.vcpu_id);
		else
			table_na(&t, row, KC_VCPU,
				 VP_NA_LIT(VP_NA_KERNEL,
					   "VCPU: the vCPU index comes from kvm_exit/kvm_entry"));
		if (k->pio) {
			table_u64(&t, row, KC_PIN, s->pio[0]);
			table_u64(&t, row, KC_POUT, s->pio[1]);
		} else {
			table_na(&t, row, KC_PIN, &k->pio_na);
			table_na(&t, row, KC_POUT, &k->pio_na);
		}
		if (k->mmio) {
			table_u64(&t, row, KC_MR, s->mmio[0] + s->mmio[1]);
			table_u64(&t, row, KC_MW, s->mmio[2]);
		} else {
			table_na(&t, row, KC_MR, &k->mmio_na);
			table_na(&t, row, KC_MW, &k->mmio_na);
		}
		if (xna) {
			table_na(&t, row, KC_EXITS, xna);
			table_na(&t, row, KC_HAVG, xna);
			table_na(&t, row, KC_GUEST, xna);
		} else {
			table_u64(&t, row, KC_EXITS, s->exits);
			if (s->entries && s->exits)
				table_f64(&t, row, KC_HAVG, s->handle_ns / 1e3 / s->exits);
			else
				table_na(&t, row, KC_HAVG,
					 VP_NA_LIT(VP_NA_UNMEASURED,
						   "no completed exit in the interval"));
			table_f64(&t, row, KC_GUEST, s->guest_ns / 1e6);
		}
	}
	if (!t.nrows) {
		table_note(&t, "no vCPU did port or MMIO I/O in this period");
		if (xna)
			table_note_na(&t, xna);
		if (!k->pio)
			table_note_na(&t, &k->pio_na);
		if (!k->mmio)
			table_note_na(&t, &k->mmio_na);
	}
	for (int i = 0; i < VP_KVM_DROP_MAX; i++)
		if (k->drops_delta[i])
			table_note(&t, "%llu KVM events dropped (map full, kind %d)",
				   (unsigned long long)k->drops_delta[i], i);
	table_render(&t, o);
	table_free(&t);
}

static void render_reasons(const struct kvmexit *k, io_owner_fn owner, void *ctx, struct out *o)
{
	const struct vp_na *xna = vp_na_is(&k->exit_na) ? &k->exit_na : NULL;
	struct table t;

	table_init(&t, "kvm_exits", "KVM exits by reason");
	table_col(&t, "entity", "ENTITY", 0, true);
	table_col(&t, "tid", "TID", 0, false);
	table_col(&t, "reason", "REASON", 0, false);
	table_col(&t, "name", "NAME", 0, true);
	table_col(&t, "count", "COUNT", 0, false);
	table_col(&t, "handle_avg_us", "AVG_US", 2, false);
	if (xna) {
		/* One row saying so: an empty table would read as "no exits". */
		int r = table_row(&t);

		table_str(&t, r, 0, "*");
		for (int c = 1; c < t.ncols; c++)
			table_na(&t, r, c, xna);
	}
	for (int i = 0; !xna && i < k->nr; i++) {
		const struct kvm_reason_row *rr = &k->reasons[i];
		const char *name = kvmexit_reason_name(rr->key.isa, rr->key.reason);
		char ent[64] = "", role[32] = "", num[16];
		int r;

		if (!rr->delta.count)
			continue;
		if (owner)
			owner(ctx, &(struct io_owner_key){ .tid = rr->key.tid }, ent, sizeof(ent),
			      role, sizeof(role));
		if (!ent[0])
			snprintf(ent, sizeof(ent), "pid:%u", rr->key.tgid);
		r = table_row(&t);
		table_str(&t, r, 0, ent);
		table_u64(&t, r, 1, rr->key.tid);
		table_u64(&t, r, 2, rr->key.reason);
		snprintf(num, sizeof(num), "#%u", rr->key.reason);
		table_str(&t, r, 3, name ? name : num);
		table_u64(&t, r, 4, rr->delta.count);
		table_f64(&t, r, 5, rr->delta.handle_ns / 1e3 / rr->delta.count);
	}
	table_render(&t, o);
	table_free(&t);
}

void kvmexit_render(const struct kvmexit *k, io_owner_fn owner, void *ctx, double interval_s,
		    struct out *o)
{
	(void)interval_s;
	render_threads(k, owner, ctx, o);
	render_reasons(k, owner, ctx, o);
}

int kvmexit_pending_fd(const struct kvmexit *k)
{
	return k && k->exits ? bpf_map__fd(k->skel->maps.kvm_pending) : -1;
}
