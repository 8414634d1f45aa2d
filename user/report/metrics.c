// SPDX-License-Identifier: GPL-2.0
/*
 * Every metric name of `virtprof serve` is written in this file and nowhere else.  Families are
 * rendered one after the other (the format wants a family's samples together); a family whose
 * source is not available is left out entirely, never rendered as zeros.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/kvmexit.h"
#include "io/netpath.h"
#include "io/iosec.h"
#include "report/metrics.h"
#include "report/sections.h"
#include "sys/util.h"

/* Softirq vectors as the `vector` label: the kernel's names, lower case. */
static const char *const vector_names[VP_NR_SOFTIRQS] = {
	"hi",	    "timer",   "net_tx", "net_rx",  "block",
	"irq_poll", "tasklet", "sched",	 "hrtimer", "rcu",
};

static const char *const net_drop_names[VP_NET_DROP_MAX] = {
	[VP_NET_DROP_DEVS_FULL] = "device_map_full",
	[VP_NET_DROP_TAIL] = "run_tail_unsplit",
	[VP_NET_DROP_PROC] = "process_rx_untimed",
	[VP_NET_DROP_UNCACHED] = "packet_without_run_share",
};
static const char *const blk_drop_names[VP_BLK_DROP_MAX] = {
	[VP_BLK_DROP_INFLIGHT_FULL] = "inflight_map_full",
	[VP_BLK_DROP_KEYS_FULL] = "stats_map_full",
};
static const char *const kvm_drop_names[VP_KVM_DROP_MAX] = {
	[VP_KVM_DROP_THREADS_FULL] = "threads_map_full",
	[VP_KVM_DROP_REASONS_FULL] = "reasons_map_full",
	[VP_KVM_DROP_PENDING_FULL] = "pending_map_full",
	[VP_KVM_DROP_RIPS_FULL] = "guest_ip_map_full",
	[VP_KVM_DROP_IOS_FULL] = "io_address_map_full",
};

struct mw {
	FILE *f;
	char host[256]; /* escaped */
	char ts[32];	/* " <ms>": the interval's end, after every value */
	int n;
};

void metrics_escape(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 3 < len; in++) {
		unsigned char ch = (unsigned char)*in;

		if (ch == '\\' || ch == '"') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			/* comm is bytes, the format wants UTF-8: keep printable ASCII only */
			out[o++] = ch < 0x20 || ch >= 0x7f ? '?' : (char)ch;
		}
	}
	out[o] = 0;
}

static void family(struct mw *w, const char *name, const char *type, const char *help)
{
	fprintf(w->f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{host="...",label="value",...} -- labels: name/value pairs, NULL-terminated; empty values
 * are left out (an empty label is the same as none to Prometheus). */
static void series(struct mw *w, const char *name, const char *const *l)
{
	char esc[256];

	fprintf(w->f, "%s{host=\"%s\"", name, w->host);
	for (; l && l[0]; l += 2) {
		if (!l[1] || !l[1][0])
			continue;
		metrics_escape(l[1], esc, sizeof(esc));
		fprintf(w->f, ",%s=\"%s\"", l[0], esc);
	}
	fputs("} ", w->f);
	w->n++;
}

static void s_u64(struct mw *w, const char *name, const char *const *l, uint64_t v)
{
	series(w, name, l);
	fprintf(w->f, "%llu%s\n", (unsigned long long)v, w->ts);
}

static void s_sec(struct mw *w, const char *name, const char *const *l, uint64_t ns)
{
	series(w, name, l);
	fprintf(w->f, "%.9f%s\n", ns / 1e9, w->ts);
}

static void s_f64(struct mw *w, const char *name, const char *const *l, double v)
{
	series(w, name, l);
	fprintf(w->f, "%.17g%s\n", v, w->ts);
}

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* ---- where the CPU goes: per (entity, role) ---- */

#define CPU_LABELS(s)                                                                              \
	"entity", (s)->key.entity, "role", (s)->key.role, "kind", totals_kind_of((s)->key.entity), \
		"target", (s)->target

static void render_cpu(struct mw *w, const struct totals *t, const struct capture *c)
{
	family(w, "virtprof_cpu_seconds_total", "counter",
	       c->light ? "CPU time charged to an owner (entity, role); " CAPTURE_LIGHT_IRQ_NA
			  ": context task only" :
			  "CPU time charged to an owner (entity, role) by context: task, hardirq, "
			  "softirq by vector");
	for (int i = 0; i < t->ncpu; i++) {
		const struct tot_cpu *s = &t->cpu[i];

		s_sec(w, "virtprof_cpu_seconds_total", L(CPU_LABELS(s), "context", "task"),
		      s->task_ns);
		if (s->hardirq_ns)
			s_sec(w, "virtprof_cpu_seconds_total",
			      L(CPU_LABELS(s), "context", "hardirq"), s->hardirq_ns);
		/* a vector appears once it ran: ten zero series per owner would be noise */
		for (int v = 0; v < VP_NR_SOFTIRQS; v++)
			if (s->softirq_ns[v])
				s_sec(w, "virtprof_cpu_seconds_total",
				      L(CPU_LABELS(s), "context", "softirq", "vector",
					vector_names[v]),
				      s->softirq_ns[v]);
	}
	family(w, "virtprof_runqueue_delay_seconds", "summary",
	       "Run-queue delay (wakeup or preemption to on-CPU) of an owner's threads: sum and "
	       "count of waits");
	for (int i = 0; i < t->ncpu; i++) {
		s_sec(w, "virtprof_runqueue_delay_seconds_sum", L(CPU_LABELS(&t->cpu[i])),
		      t->cpu[i].rq_delay_ns);
		s_u64(w, "virtprof_runqueue_delay_seconds_count", L(CPU_LABELS(&t->cpu[i])),
		      t->cpu[i].nr_rq);
	}
	family(w, "virtprof_context_switches_total", "counter",
	       "Context switches of an owner's threads: voluntary (slept) or involuntary "
	       "(preempted)");
	for (int i = 0; i < t->ncpu; i++) {
		s_u64(w, "virtprof_context_switches_total",
		      L(CPU_LABELS(&t->cpu[i]), "type", "voluntary"), t->cpu[i].nvcsw);
		s_u64(w, "virtprof_context_switches_total",
		      L(CPU_LABELS(&t->cpu[i]), "type", "involuntary"), t->cpu[i].nivcsw);
	}
}

/*
 * Each VM-backed pod's overhead since the agent started (session/cost.h: its CPU but its vCPU
 * threads' time; no KVM guest-time split here), from the same counters as
 * virtprof_cpu_seconds_total.  An n/a pod has no series; its reason is in the target's roles.
 */
static void render_pod_overhead(struct mw *w, const struct totals *t, const struct capture *c)
{
	/* the family always: a host without a Kata pod has no series, not an undocumented gap */
	family(w, "virtprof_pod_overhead_seconds_total", "counter",
	       "A VM-backed pod's (Kata) CPU but its vCPU threads' time: the VMM's other threads, "
	       "the shim, virtiofsd");
	for (int i = 0; i < c->targets.n; i++) {
		struct pod_overhead po;

		if (!pod_overhead_begin(&po, &c->targets.t[i]))
			continue;
		for (int k = 0; k < t->ncpu; k++) {
			const struct tot_cpu *s = &t->cpu[k];
			uint64_t busy = s->task_ns + s->hardirq_ns;

			if (s->tindex != i)
				continue;
			for (int v = 0; v < VP_NR_SOFTIRQS; v++)
				busy += s->softirq_ns[v];
			pod_overhead_add(&po, s->key.role, busy);
		}
		pod_overhead_end(&po, NULL);
		if (po.ok)
			s_sec(w, "virtprof_pod_overhead_seconds_total",
			      L("entity", c->targets.t[i].entity), po.overhead_ns);
	}
}

/* ---- the host: coverage, idle, steal ---- */

static void render_host(struct mw *w, const struct totals *t)
{
	char cpu[16];

	family(w, "virtprof_cpu_busy_seconds_total", "counter",
	       "CPU time charged to any owner, summed over CPUs");
	s_sec(w, "virtprof_cpu_busy_seconds_total", NULL, t->busy_ns);
	family(w, "virtprof_cpu_idle_seconds_total", "counter",
	       "CPU time in the idle task, summed over CPUs");
	s_sec(w, "virtprof_cpu_idle_seconds_total", NULL, t->idle_ns);
	family(w, "virtprof_cpu_span_seconds_total", "counter",
	       "CPUs x wall time between interval boundaries: (busy + idle + steal) / span is "
	       "the coverage (steal: the scheduler's, left out of every task as the kernel does)");
	s_sec(w, "virtprof_cpu_span_seconds_total", NULL, t->span_ns);
	if (!isnan(t->last_coverage_pct)) {
		family(w, "virtprof_coverage_ratio", "gauge",
		       "Share of the last interval's CPU time accounted to an owner or idle (1 = all)");
		s_f64(w, "virtprof_coverage_ratio", NULL, t->last_coverage_pct / 100.0);
	}
	if (t->nsteal > 0) {
		family(w, "virtprof_steal_seconds_total", "counter",
		       "Time the hypervisor ran something else on this CPU (/proc/stat steal)");
		for (int i = 0; i < t->nsteal; i++) {
			snprintf(cpu, sizeof(cpu), "%d", i);
			s_f64(w, "virtprof_steal_seconds_total", L("cpu", cpu),
			      (double)t->steal[i] / t->clk_tck);
		}
	}
}

/* ---- what is measured and how ---- */

static void available(struct mw *w, const char *source, const struct vp_na *why)
{
	const char *na = vp_na_text(why);

	s_u64(w, "virtprof_source_available", L("source", source, "reason", na), na ? 0 : 1);
}

static void render_sources(struct mw *w, const struct totals *t, const struct capture *c)
{
	const struct kernel_mode *m = &c->mode;
	struct netpath *np = c->io ? iosec_net(c->io) : NULL;
	struct kvmexit *k = c->io ? iosec_kvm(c->io) : NULL;
	const struct vp_na *no_io = VP_NA_LIT(VP_NA_OPTION, "I/O programs not loaded (--no-io)");
	char hz[16], ncpu[16];

	family(w, "virtprof_kernel_info", "gauge",
	       "The kernel's accounting mode (labels); the value is always 1");
	snprintf(hz, sizeof(hz), "%d", m->hz);
	snprintf(ncpu, sizeof(ncpu), "%d", m->ncpus);
	s_u64(w, "virtprof_kernel_info",
	      L("kernel", m->kernel, "cpus", ncpu, "cgroup", m->cgroup, "irq_time_accounting",
		m->irq_time < 0 ? "unknown" :
		m->irq_time	? "on" :
				  "off",
		"hz", m->hz ? hz : "unknown", "vhost", m->vhost, "kvm_dev",
		m->kvm_dev ? "yes" : "no", "kvm_tracepoints", m->kvm_tp ? "yes" : "no",
		"bpf_flavour", m->flavour, "accounting", m->light ? "light" : "full"),
	      1);
	family(w, "virtprof_source_available", "gauge",
	       "1 when a source is measured on this host, 0 (with the reason) when its metrics are "
	       "absent");
	available(w, "cpu", NULL);
	available(w, "bpf_stats",
		  c->stats_on ? NULL : VP_NA_LIT(VP_NA_KERNEL, "kernel bpf_stats off"));
	available(w, "steal",
		  t->nsteal > 0 ? NULL :
				  VP_NA_LIT(VP_NA_KERNEL, "/proc/stat has no per-CPU steal"));
	available(w, "softirq", &c->irq_na);
	available(w, "hardirq", &c->irq_na);
	if (c->light)
		available(w, "stacks", &c->stacks_na);
	available(w, "net", c->io ? iosec_na(c->io, IOSEC_NET) : no_io);
	if (np) {
		available(w, "net_softirq_split", np->runs ? NULL : &np->runs_na);
		available(w, "net_process_rx", np->proc_timed ? NULL : &np->proc_na);
	}
	available(w, "block", c->io ? iosec_na(c->io, IOSEC_BLOCK) : no_io);
	available(w, "kvm", c->io ? iosec_na(c->io, IOSEC_KVM) : no_io);
	if (k) {
		available(w, "kvm_pio", k->pio ? NULL : &k->pio_na);
		available(w, "kvm_mmio", k->mmio ? NULL : &k->mmio_na);
		available(w, "kvm_exit", &k->exit_na);
	}
	family(w, "virtprof_target_info", "gauge",
	       "A VM or container the agent watches (labels); 1 while it runs, 0 once gone");
	for (int i = 0; i < c->targets.n; i++) {
		const struct target *tg = &c->targets.t[i];
		char pid[16];

		snprintf(pid, sizeof(pid), "%d", (int)tg->pid);
		s_u64(w, "virtprof_target_info",
		      L("entity", tg->entity, "kind", totals_kind_of(tg->entity), "target",
			tg->name, "pid", tg->pid ? pid : ""),
		      tg->gone ? 0 : 1);
	}
	family(w, "virtprof_targets_untracked", "gauge",
	       "VMs and containers the last look found past --max-targets: not tracked, their "
	       "threads in other");
	s_u64(w, "virtprof_targets_untracked", NULL, (uint64_t)c->targets.untracked);
	family(w, "virtprof_targets_max", "gauge", "The bound on tracked VMs and containers");
	s_u64(w, "virtprof_targets_max", NULL, (uint64_t)targets_max(&c->targets));
}

/* ---- the profiler's own cost ---- */

static void render_self(struct mw *w, const struct totals *t, const struct capture *c)
{
	if (c->stats_on && t->nprog) {
		family(w, "virtprof_bpf_run_seconds_total", "counter",
		       "Run time of one of virtprof's BPF programs (kernel bpf_stats)");
		for (int i = 0; i < t->nprog; i++)
			s_sec(w, "virtprof_bpf_run_seconds_total", L("program", t->prog[i].name),
			      t->prog[i].run_ns);
		family(w, "virtprof_bpf_run_events_total", "counter",
		       "Runs of one of virtprof's BPF programs (kernel bpf_stats)");
		for (int i = 0; i < t->nprog; i++)
			s_u64(w, "virtprof_bpf_run_events_total", L("program", t->prog[i].name),
			      t->prog[i].run_cnt);
	}
	family(w, "virtprof_drops_total", "counter",
	       "Events the BPF side could not count, by object and reason (never silent)");
	for (int k = 0; k < VP_DROP_MAX; k++)
		s_u64(w, "virtprof_drops_total",
		      L("source", "account", "reason", report_drop_names[k]), t->drops[k]);
	if (c->io && iosec_net(c->io))
		for (int k = 0; k < VP_NET_DROP_MAX; k++)
			s_u64(w, "virtprof_drops_total",
			      L("source", "net", "reason", net_drop_names[k]), t->net_drops[k]);
	if (c->io && iosec_block(c->io))
		for (int k = 0; k < VP_BLK_DROP_MAX; k++)
			s_u64(w, "virtprof_drops_total",
			      L("source", "block", "reason", blk_drop_names[k]), t->blk_drops[k]);
	if (c->io && iosec_kvm(c->io))
		for (int k = 0; k < VP_KVM_DROP_MAX; k++)
			s_u64(w, "virtprof_drops_total",
			      L("source", "kvm", "reason", kvm_drop_names[k]), t->kvm_drops[k]);
	family(w, "virtprof_agent_cpu_seconds_total", "counter",
	       "CPU time of the agent's own process (getrusage), BPF programs not included");
	s_sec(w, "virtprof_agent_cpu_seconds_total", L("mode", "user"), t->self_utime_ns);
	s_sec(w, "virtprof_agent_cpu_seconds_total", L("mode", "system"), t->self_stime_ns);
	family(w, "virtprof_agent_resident_bytes", "gauge", "Resident memory of the agent");
	s_u64(w, "virtprof_agent_resident_bytes", NULL, t->self_rss_bytes);
	family(w, "virtprof_agent_start_time_seconds", "gauge",
	       "When the agent started (Unix time): every counter counts from here");
	s_f64(w, "virtprof_agent_start_time_seconds", NULL, t->t0_real / 1e9);
	family(w, "virtprof_intervals_total", "counter", "Intervals the agent has closed");
	s_u64(w, "virtprof_intervals_total", NULL, t->intervals);
	family(w, "virtprof_interval_seconds", "gauge", "Length of the last closed interval");
	s_sec(w, "virtprof_interval_seconds", NULL, t->last_interval_ns);
	family(w, "virtprof_last_interval_end_seconds", "gauge",
	       "When the last interval closed (Unix time): the scrape shows counters up to here");
	s_f64(w, "virtprof_last_interval_end_seconds", NULL, t->last_end_real_ns / 1e9);
	family(w, "virtprof_series_dropped_total", "counter",
	       "Series dropped after the grace period or pushed out of the top N of other");
	s_u64(w, "virtprof_series_dropped_total", NULL, t->evicted);
}

/* ---- network devices and paths ---- */

#define NET_LABELS(s)                                                                              \
	"dev", (s)->key.dev, "netns", ns, "dev_kind", (s)->kind, "owner", (s)->key.owner, "vhost", \
		(s)->key.vhost

static void render_net(struct mw *w, const struct totals *t, const struct netpath *np)
{
	char ns[16];

	family(w, "virtprof_net_packets_total", "counter",
	       "Packets a network device received (netif_receive_skb) or sent (net_dev_xmit)");
	for (int i = 0; i < t->nnet; i++) {
		const struct tot_net *s = &t->net[i];

		snprintf(ns, sizeof(ns), "%u", s->key.netns);
		s_u64(w, "virtprof_net_packets_total", L(NET_LABELS(s), "direction", "rx"),
		      s->rx_pkts);
		s_u64(w, "virtprof_net_packets_total", L(NET_LABELS(s), "direction", "tx"),
		      s->tx_pkts);
	}
	family(w, "virtprof_net_bytes_total", "counter",
	       "Bytes a network device received or sent (with the Ethernet header)");
	for (int i = 0; i < t->nnet; i++) {
		const struct tot_net *s = &t->net[i];

		snprintf(ns, sizeof(ns), "%u", s->key.netns);
		s_u64(w, "virtprof_net_bytes_total", L(NET_LABELS(s), "direction", "rx"),
		      s->rx_bytes);
		s_u64(w, "virtprof_net_bytes_total", L(NET_LABELS(s), "direction", "tx"),
		      s->tx_bytes);
	}
	if (np->runs) {
		family(w, "virtprof_net_softirq_seconds_total", "counter",
		       "NET_RX / NET_TX softirq time split among the devices whose packets it "
		       "handled");
		for (int i = 0; i < t->nnet; i++) {
			const struct tot_net *s = &t->net[i];

			snprintf(ns, sizeof(ns), "%u", s->key.netns);
			s_sec(w, "virtprof_net_softirq_seconds_total",
			      L(NET_LABELS(s), "vector", "net_rx"), s->sirq_ns[1]);
			s_sec(w, "virtprof_net_softirq_seconds_total",
			      L(NET_LABELS(s), "vector", "net_tx"), s->sirq_ns[0]);
		}
	}
	if (np->proc_timed) {
		family(w, "virtprof_net_process_seconds_total", "counter",
		       "Receive work in process context with bottom halves off (a tap write by qemu "
		       "or a vhost worker)");
		for (int i = 0; i < t->nnet; i++) {
			snprintf(ns, sizeof(ns), "%u", t->net[i].key.netns);
			s_sec(w, "virtprof_net_process_seconds_total", L(NET_LABELS(&t->net[i])),
			      t->net[i].proc_ns);
		}
		family(w, "virtprof_net_process_packets_total", "counter",
		       "Packets received in process context");
		for (int i = 0; i < t->nnet; i++) {
			snprintf(ns, sizeof(ns), "%u", t->net[i].key.netns);
			s_u64(w, "virtprof_net_process_packets_total", L(NET_LABELS(&t->net[i])),
			      t->net[i].proc_pkts);
		}
	}
}

/* ---- block I/O ---- */

#define BLK_LABELS(s)                                                                              \
	"entity", (s)->key.entity, "role", (s)->key.role, "kind", totals_kind_of((s)->key.entity), \
		"dev", (s)->key.dev, "op", (s)->key.op

static void render_block(struct mw *w, const struct totals *t)
{
	family(w, "virtprof_block_ops_total", "counter", "Block I/O requests completed, by owner");
	for (int i = 0; i < t->nblk; i++)
		s_u64(w, "virtprof_block_ops_total", L(BLK_LABELS(&t->blk[i])), t->blk[i].ops);
	family(w, "virtprof_block_bytes_total", "counter",
	       "Bytes of block I/O completed, by owner");
	for (int i = 0; i < t->nblk; i++)
		s_u64(w, "virtprof_block_bytes_total", L(BLK_LABELS(&t->blk[i])), t->blk[i].bytes);
	family(w, "virtprof_block_errors_total", "counter", "Block I/O requests that failed");
	for (int i = 0; i < t->nblk; i++)
		s_u64(w, "virtprof_block_errors_total", L(BLK_LABELS(&t->blk[i])),
		      t->blk[i].errors);
	family(w, "virtprof_block_latency_seconds", "histogram",
	       "Block I/O latency, issue to completion (log2 buckets from 2 us)");
	for (int i = 0; i < t->nblk; i++) {
		const struct tot_blk *s = &t->blk[i];
		uint64_t cum = 0;
		char le[32];

		/* bucket h holds [2^h, 2^(h+1)) us (h = 0: below 2 us): its upper bound is le */
		for (int h = 0; h < VP_BLK_HIST; h++) {
			cum += s->hist[h];
			snprintf(le, sizeof(le), "%g", (double)(2ULL << h) / 1e6);
			s_u64(w, "virtprof_block_latency_seconds_bucket",
			      L(BLK_LABELS(s), "le", le), cum);
		}
		s_u64(w, "virtprof_block_latency_seconds_bucket", L(BLK_LABELS(s), "le", "+Inf"),
		      s->ops);
		s_sec(w, "virtprof_block_latency_seconds_sum", L(BLK_LABELS(s)), s->lat_ns);
		s_u64(w, "virtprof_block_latency_seconds_count", L(BLK_LABELS(s)), s->ops);
	}
}

/* ---- KVM ---- */

static void render_kvm(struct mw *w, const struct totals *t, const struct kvmexit *k)
{
	bool exits = !vp_na_is(&k->exit_na);

	if (k->pio) {
		family(w, "virtprof_kvm_pio_total", "counter",
		       "Port I/O exits (kvm_pio) of a VM's vCPU thread");
		for (int i = 0; i < t->nkvm; i++) {
			const struct tot_kvm *s = &t->kvm[i];

			if (s->key.reason[0])
				continue;
			s_u64(w, "virtprof_kvm_pio_total",
			      L("entity", s->key.entity, "thread", s->key.thread, "direction",
				"in"),
			      s->pio_in);
			s_u64(w, "virtprof_kvm_pio_total",
			      L("entity", s->key.entity, "thread", s->key.thread, "direction",
				"out"),
			      s->pio_out);
		}
	}
	if (k->mmio) {
		family(w, "virtprof_kvm_mmio_total", "counter",
		       "MMIO accesses handled outside the guest (kvm_mmio) of a vCPU thread");
		for (int i = 0; i < t->nkvm; i++) {
			const struct tot_kvm *s = &t->kvm[i];

			if (s->key.reason[0])
				continue;
			s_u64(w, "virtprof_kvm_mmio_total",
			      L("entity", s->key.entity, "thread", s->key.thread, "op", "read"),
			      s->mmio_read);
			s_u64(w, "virtprof_kvm_mmio_total",
			      L("entity", s->key.entity, "thread", s->key.thread, "op", "write"),
			      s->mmio_write);
		}
	}
	if (exits) {
		family(w, "virtprof_kvm_exits_total", "counter", "VM exits (kvm_exit) by reason");
		for (int i = 0; i < t->nkvm; i++)
			if (t->kvm[i].key.reason[0])
				s_u64(w, "virtprof_kvm_exits_total",
				      L("entity", t->kvm[i].key.entity, "reason",
					t->kvm[i].key.reason),
				      t->kvm[i].exits);
		family(w, "virtprof_kvm_exit_handling_seconds_total", "counter",
		       "Time from kvm_exit to the next kvm_entry on the same vCPU, by reason");
		for (int i = 0; i < t->nkvm; i++)
			if (t->kvm[i].key.reason[0])
				s_sec(w, "virtprof_kvm_exit_handling_seconds_total",
				      L("entity", t->kvm[i].key.entity, "reason",
					t->kvm[i].key.reason),
				      t->kvm[i].handle_ns);
	}
}

int metrics_render(const struct totals *t, const struct capture *c, const char *host,
		   struct metrics_text *out)
{
	struct mw w = {};
	struct netpath *np = c->io ? iosec_net(c->io) : NULL;
	struct kvmexit *k = c->io ? iosec_kvm(c->io) : NULL;

	memset(out, 0, sizeof(*out));
	w.f = open_memstream(&out->buf, &out->len);
	if (!w.f)
		return -ENOMEM;
	metrics_escape(host, w.host, sizeof(w.host));
	/*
	 * Every sample is stamped with the end of the interval it counts up to.  Without it
	 * Prometheus stamps the scrape time, which lags the data by 0 to 1 interval at random: a
	 * 10 s rate() at a 1 s interval would be off by up to 10 % on a steady load.  (cAdvisor
	 * stamps its samples for the same reason.)
	 */
	if (t->last_end_real_ns)
		snprintf(w.ts, sizeof(w.ts), " %llu",
			 (unsigned long long)(t->last_end_real_ns / NSEC_PER_MSEC));
	render_cpu(&w, t, c);
	render_pod_overhead(&w, t, c);
	render_host(&w, t);
	render_sources(&w, t, c);
	render_self(&w, t, c);
	if (np)
		render_net(&w, t, np);
	if (c->io && iosec_block(c->io))
		render_block(&w, t);
	if (k)
		render_kvm(&w, t, k);
	family(&w, "virtprof_series", "gauge", "Samples in this exposition, this one included");
	s_u64(&w, "virtprof_series", NULL, (uint64_t)w.n + 1);
	if (fclose(w.f) || !out->buf) {
		metrics_text_free(out);
		return -ENOMEM;
	}
	out->nseries = w.n;
	return 0;
}

void metrics_text_free(struct metrics_text *m)
{
	free(m->buf);
	memset(m, 0, sizeof(*m));
}
