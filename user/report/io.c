// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O tables from io/'s typed rows: every figure is a named field of struct net_dev_row,
 * net_path_row or blk_group; what io/ could not measure arrives with its reason and is rendered
 * as n/a.
 */
#include <stdio.h>
#include <string.h>

#include "io/kvmexit.h"
#include "out/table.h"
#include "report/io.h"
#include "session/capture.h"
#include "session/exits.h"
#include "session/session.h"

enum {
	DC_NETNS,
	DC_DEV,
	DC_KIND,
	DC_OWNER,
	DC_PEER,
	DC_RXP,
	DC_RXB,
	DC_TXP,
	DC_TXB,
	DC_RXMS,
	DC_TXMS,
	DC_PROCP,
	DC_TAPMS,
	DC_NAPI
};

static void net_devices(const struct net_view *v, struct table *t)
{
	bool phys = false;

	table_init(t, "net_devices", "Network devices");
	table_col(t, "netns", "NETNS", 0, false);
	table_col(t, "dev", "DEV", 0, true);
	table_col(t, "kind", "KIND", 0, true);
	table_col(t, "owner", "OWNER", 0, true);
	table_col(t, "peer", "PEER/HOLDER", 0, true);
	table_col(t, "rx_pkts", "RX_PKTS", 0, false);
	table_col(t, "rx_bytes", "RX_BYTES", 0, false);
	table_col(t, "tx_pkts", "TX_PKTS", 0, false);
	table_col(t, "tx_bytes", "TX_BYTES", 0, false);
	table_col(t, "net_rx_ms", "NET_RX_MS", 2, false);
	table_col(t, "net_tx_ms", "NET_TX_MS", 2, false);
	table_col(t, "proc_pkts", "PROC_PKTS", 0, false);
	table_col(t, "proc_rx_ms", "PROC_RX_MS", 2, false);
	table_col(t, "napi_polls", "NAPI", 0, false);
	for (int i = 0; i < v->ndev; i++) {
		const struct net_dev_row *d = &v->dev[i];
		const struct vp_net_stats *s = &d->delta;
		char buf[96];
		int r = table_row(t);

		table_u64(t, r, DC_NETNS, d->key.netns);
		if (d->have_info)
			table_str(t, r, DC_DEV, d->name);
		else
			table_na(t, r, DC_DEV,
				 VP_NA_LIT(VP_NA_OTHER, "device facts not recorded (map full)"));
		table_str(t, r, DC_KIND, net_kind_name(d->kind));
		table_str(t, r, DC_OWNER, d->owner[0] ? d->owner : "-");
		buf[0] = 0;
		if (d->kind == NET_VETH)
			snprintf(buf, sizeof(buf), "%s@%u", d->peer_known ? d->peer : "?",
				 d->peer_netns);
		else if (d->kind == NET_TAP && d->holder)
			snprintf(buf, sizeof(buf), "pid %d vhost=%s", (int)d->holder,
				 vhost_mode_name(d->vhost));
		table_str(t, r, DC_PEER, buf[0] ? buf : "-");
		table_u64(t, r, DC_RXP, s->rx_pkts);
		table_u64(t, r, DC_RXB, s->rx_bytes);
		table_u64(t, r, DC_TXP, s->tx_pkts);
		table_u64(t, r, DC_TXB, s->tx_bytes);
		if (v->runs) {
			table_f64(t, r, DC_RXMS, s->sirq_ns[1] / 1e6);
			table_f64(t, r, DC_TXMS, s->sirq_ns[0] / 1e6);
			table_u64(t, r, DC_PROCP, s->proc_pkts);
		} else {
			table_na(t, r, DC_RXMS, &v->runs_na);
			table_na(t, r, DC_TXMS, &v->runs_na);
			table_na(t, r, DC_PROCP, &v->runs_na);
		}
		if (!v->proc_timed)
			table_na(t, r, DC_TAPMS, &v->proc_na);
		else
			table_f64(t, r, DC_TAPMS, s->proc_ns / 1e6);
		if (v->napi)
			table_u64(t, r, DC_NAPI, s->napi_polls);
		else
			table_na(t, r, DC_NAPI, &v->napi_na);
		if (d->kind == NET_PHYS)
			phys = true;
	}
	if (phys)
		table_note(t, "phys RX_PKTS count skbs after GRO; the driver's statistics count "
			      "wire packets");
	if (v->drops[VP_NET_DROP_DEVS_FULL])
		table_note(t, "%llu packets not counted: device map full",
			   (unsigned long long)v->drops[VP_NET_DROP_DEVS_FULL]);
	if (v->drops[VP_NET_DROP_TAIL])
		table_note(t, "%llu softirq run tails not split (run end no longer known)",
			   (unsigned long long)v->drops[VP_NET_DROP_TAIL]);
	if (v->drops[VP_NET_DROP_UNCACHED])
		table_note(t,
			   "%llu packets counted without a share of their softirq run's time "
			   "(nested handler or more than %d devices in one run)",
			   (unsigned long long)v->drops[VP_NET_DROP_UNCACHED], VP_NET_SLOTS);
	if (v->drops[VP_NET_DROP_PROC])
		table_note(t, "%llu process-context receives not timed (unbalanced entry/exit)",
			   (unsigned long long)v->drops[VP_NET_DROP_PROC]);
	if (v->runs)
		table_note(t, "PROC_PKTS: packets sent or received in process context (not in a "
			      "softirq)");
	if (v->proc_timed)
		table_note(t, "PROC_RX_MS: receive work run in process context with bottom halves "
			      "disabled (tap writes by qemu / vhost); also inside that thread's "
			      "system time");
}

enum { PC_PATH, PC_KIND, PC_OWNER, PC_VHOST, PC_INP, PC_INB, PC_OUTP, PC_OUTB, PC_SIRQ, PC_TAPMS };

static void net_paths(const struct net_view *v, struct table *t)
{
	table_init(t, "net_paths", "Network paths (toward / from what each device serves)");
	table_col(t, "path", "PATH", 0, true);
	table_col(t, "kind", "KIND", 0, true);
	table_col(t, "owner", "OWNER", 0, true);
	table_col(t, "vhost", "VHOST", 0, true);
	table_col(t, "in_pkts", "IN_PKTS", 0, false);
	table_col(t, "in_bytes", "IN_BYTES", 0, false);
	table_col(t, "out_pkts", "OUT_PKTS", 0, false);
	table_col(t, "out_bytes", "OUT_BYTES", 0, false);
	table_col(t, "softirq_ms", "SOFTIRQ_MS", 2, false);
	table_col(t, "proc_rx_ms", "PROC_RX_MS", 2, false);
	for (int i = 0; i < v->npath; i++) {
		const struct net_path_row *p = &v->path[i];
		char name[96];
		int r = table_row(t);

		if (p->inner[0])
			snprintf(name, sizeof(name), "%s<->%s", p->host, p->inner);
		else
			snprintf(name, sizeof(name), "%s", p->host);
		table_str(t, r, PC_PATH, name);
		table_str(t, r, PC_KIND, net_kind_name(p->kind));
		table_str(t, r, PC_OWNER, p->owner[0] ? p->owner : "-");
		table_str(t, r, PC_VHOST, p->kind == NET_TAP ? vhost_mode_name(p->vhost) : "-");
		table_u64(t, r, PC_INP, p->in_pkts);
		table_u64(t, r, PC_INB, p->in_bytes);
		table_u64(t, r, PC_OUTP, p->out_pkts);
		table_u64(t, r, PC_OUTB, p->out_bytes);
		if (v->runs)
			table_f64(t, r, PC_SIRQ, p->softirq_ns / 1e6);
		else
			table_na(t, r, PC_SIRQ, &v->runs_na);
		if (!v->proc_timed)
			table_na(t, r, PC_TAPMS, &v->proc_na);
		else
			table_f64(t, r, PC_TAPMS, p->proc_ns / 1e6);
	}
	table_note(t,
		   "IN = transmitted by the host-side device (toward the owner), OUT = received; "
		   "veth softirq time sums both ends");
	if (!v->vhost_net)
		table_note(t, "vhost-net not available in this kernel (/dev/vhost-net absent)");
}

void report_io_net(const struct net_view *v, struct out *o)
{
	struct table t;

	net_devices(v, &t);
	table_render(&t, o);
	table_free(&t);
	net_paths(v, &t);
	table_render(&t, o);
	table_free(&t);
}

enum {
	BC_ENT,
	BC_ROLE,
	BC_DEV,
	BC_OP,
	BC_CGID,
	BC_OPS,
	BC_BYTES,
	BC_IOPS,
	BC_MBS,
	BC_AVG,
	BC_P50,
	BC_P99,
	BC_MAX,
	BC_ERR,
	BC_HIST
};

void report_io_block(const struct block_view *v, double interval_s, struct out *o)
{
	struct table t;

	table_init(&t, "block", "Block I/O");
	table_col(&t, "entity", "ENTITY", 0, true);
	table_col(&t, "role", "ROLE", 0, true);
	table_col(&t, "dev", "DEV", 0, true);
	table_col(&t, "op", "OP", 0, true);
	table_col(&t, "cgroup_id", "CGID", 0, false);
	table_col(&t, "ops", "OPS", 0, false);
	table_col(&t, "bytes", "BYTES", 0, false);
	table_col(&t, "iops", "IOPS", 1, false);
	table_col(&t, "mb_s", "MB/S", 2, false);
	table_col(&t, "lat_avg_us", "AVG_US", 1, false);
	table_col(&t, "lat_p50_us", "P50_US<=", 0, false);
	table_col(&t, "lat_p99_us", "P99_US<=", 0, false);
	table_col(&t, "lat_max_us", "MAX_US", 1, false);
	table_col(&t, "errors", "ERR", 0, false);
	table_col(&t, "lat_hist_us", "HIST", 0, true);
	table_col_json_only(&t);
	for (int j = 0; j < v->n; j++) {
		const struct blk_group *g = &v->group[j];
		const struct vp_blk_stats *s = &g->s;
		const uint64_t *hist = (const uint64_t *)s->hist;
		char h[512];
		int r = table_row(&t);

		table_str(&t, r, BC_ENT, g->entity);
		table_str(&t, r, BC_ROLE, g->role[0] ? g->role : "-");
		table_str(&t, r, BC_DEV, g->dev);
		table_str(&t, r, BC_OP, blockio_op_name(g->op));
		if (g->cgid)
			table_u64(&t, r, BC_CGID, g->cgid);
		else
			table_na(&t, r, BC_CGID,
				 VP_NA_LIT(VP_NA_UNMEASURED,
					   "CGID n/a: the bio carried no (non-root) blkcg; owner "
					   "is the submitting thread"));
		table_u64(&t, r, BC_OPS, s->ops);
		table_u64(&t, r, BC_BYTES, s->bytes);
		if (interval_s > 0) {
			table_f64(&t, r, BC_IOPS, s->ops / interval_s);
			table_f64(&t, r, BC_MBS, s->bytes / interval_s / 1e6);
		} else {
			table_na(&t, r, BC_IOPS,
				 VP_NA_LIT(VP_NA_UNMEASURED, "rates need an interval"));
			table_na(&t, r, BC_MBS,
				 VP_NA_LIT(VP_NA_UNMEASURED, "rates need an interval"));
		}
		table_f64(&t, r, BC_AVG, s->lat_ns / 1e3 / s->ops);
		table_u64(&t, r, BC_P50, blockio_hist_pct(hist, VP_BLK_HIST, 50));
		table_u64(&t, r, BC_P99, blockio_hist_pct(hist, VP_BLK_HIST, 99));
		table_f64(&t, r, BC_MAX, s->lat_max_ns / 1e3);
		table_u64(&t, r, BC_ERR, s->errors);
		blockio_hist_str(hist, VP_BLK_HIST, h, sizeof(h));
		table_str(&t, r, BC_HIST, h);
	}
	table_note(&t,
		   "latency: bio submit (block_bio_queue) to completion; percentiles are log2 "
		   "bucket upper bounds (lat_hist_us in JSON: \"upper_us:count ...\"); MAX since "
		   "start");
	if (v->drops[VP_BLK_DROP_INFLIGHT_FULL] || v->drops[VP_BLK_DROP_KEYS_FULL])
		table_note(&t, "%llu I/Os not timed, %llu not counted: maps full",
			   (unsigned long long)v->drops[VP_BLK_DROP_INFLIGHT_FULL],
			   (unsigned long long)v->drops[VP_BLK_DROP_KEYS_FULL]);
	if (v->purged)
		table_note(&t,
			   "%llu I/Os never completed within 60 s (no completion event): dropped",
			   (unsigned long long)v->purged);
	table_render(&t, o);
	table_free(&t);
}

/* A part asked for that did not load: one row saying why, never an empty (all-quiet) table. */
static void part_na(const char *key, const char *title, const struct vp_na *reason, struct out *o)
{
	enum { NA_SOURCE, NA_AVAILABLE };
	struct table t;
	int r;

	table_init(&t, key, title);
	table_col(&t, "source", "SOURCE", 0, true);
	table_col(&t, "available", "AVAILABLE", 0, true);
	r = table_row(&t);
	table_str(&t, r, NA_SOURCE, key);
	table_na(&t, r, NA_AVAILABLE, reason);
	table_render(&t, o);
	table_free(&t);
}

void report_io_view(const struct io_view *v, struct out *o)
{
	if (v->net_on) {
		if (v->has_net)
			report_io_net(&v->net, o);
		else
			part_na("net_devices", "Network devices", &v->na[IOSEC_NET], o);
	}
	if (v->block_on) {
		if (v->has_block)
			report_io_block(&v->block, v->interval_s, o);
		else
			part_na("block", "Block I/O", &v->na[IOSEC_BLOCK], o);
	}
	if (v->kvm_on && !v->has_kvm)
		part_na("kvm", "KVM", &v->na[IOSEC_KVM], o);
}

void report_io(struct capture *s, double interval_s, struct out *o)
{
	struct io_view v;

	if (!s->io)
		return;
	iosec_view(s->io, capture_io_owner, s, interval_s, &v);
	report_io_view(&v, o);
	io_view_free(&v);
	if (iosec_kvm(s->io)) {
		kvmexit_render(iosec_kvm(s->io), capture_io_owner, s, interval_s, o);
		exits_render(iosec_kvm(s->io), capture_io_owner, s, 0, 0, NULL,
			     VP_NA_LIT(VP_NA_OPTION, "host stacks inside exits: run and compare "
						     "only (--exit-folded)"),
			     o);
	}
}

bool report_io_step_has(const struct sess_step *st)
{
	return st->io_view.taken || st->io.n;
}

void report_io_step(const struct sess_step *st, struct out *o)
{
	if (st->io_view.taken)
		report_io_view(&st->io_view, o);
	table_set_render(&st->io, o);
}
