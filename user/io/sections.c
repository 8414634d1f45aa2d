// SPDX-License-Identifier: GPL-2.0
/*
 * Entry point of the I/O sections for `virtprof top` / `run`: owns the three parts (network,
 * block, KVM), each optional -- opens them, collects their interval, names the threads their
 * deltas hold and hands the network and block deltas out as typed rows (iosec_view) with the
 * owners the session named; report/io.c renders those.  A part this kernel cannot support is
 * kept as "not available" with the reason (rendered as such, never as zeros).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "block.skel.h"
#include "io/block.h"
#include "io/sections.h"
#include "kvm.skel.h"
#include "io/kvm.h"
#include "net.skel.h"
#include "io/net.h"
#include "sys/util.h"

struct iosec {
	struct iosec_opts opts;
	struct netpath *net;
	struct blockio *block;
	struct kvmexit *kvm;
	char net_na[160], block_na[160], kvm_na[160];
	uint64_t last_ns;
};

int iosec_open(struct iosec **out, const struct iosec_opts *o)
{
	struct iosec *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->opts = *o;
	if (o->off_why) {
		snprintf(s->net_na, sizeof(s->net_na), "%s", o->off_why);
		snprintf(s->block_na, sizeof(s->block_na), "%s", o->off_why);
		snprintf(s->kvm_na, sizeof(s->kvm_na), "%s", o->off_why);
		s->last_ns = now_mono_ns();
		*out = s;
		return 0;
	}
	if (o->net) {
		err = netpath_open(&s->net, o->account_cpu_state_fd, o->napi);
		if (err)
			snprintf(s->net_na, sizeof(s->net_na), "network programs did not load: %s",
				 strerror(-err));
	}
	if (o->block) {
		err = blockio_open(&s->block);
		if (err)
			snprintf(s->block_na, sizeof(s->block_na),
				 "block programs did not load: %s", strerror(-err));
	}
	if (o->kvm) {
		err = kvmexit_open(&s->kvm);
		if (err == -ENOTSUP)
			snprintf(s->kvm_na, sizeof(s->kvm_na),
				 "KVM tracepoints not in this kernel (KVM not built in or module "
				 "not loaded)");
		else if (err)
			snprintf(s->kvm_na, sizeof(s->kvm_na), "KVM programs did not load: %s",
				 strerror(-err));
	}
	s->last_ns = now_mono_ns();
	*out = s;
	return 0;
}

int iosec_collect(struct iosec *s)
{
	int err = 0, e;

	if (s->net && (e = netpath_collect(s->net)))
		err = e;
	if (s->block && (e = blockio_collect(s->block)))
		err = e;
	if (s->kvm && (e = kvmexit_collect(s->kvm)))
		err = e;
	return err;
}

void iosec_for_each_tid(const struct iosec *s, io_tid_fn fn, void *ctx)
{
	if (s->block)
		blockio_for_each_tid(s->block, fn, ctx);
	if (s->kvm)
		kvmexit_for_each_tid(s->kvm, fn, ctx);
}

int iosec_view(const struct iosec *s, io_owner_fn owner, void *ctx, double interval_s,
	       struct io_view *v)
{
	int err = 0, e;

	memset(v, 0, sizeof(*v));
	v->taken = true;
	v->interval_s = interval_s;
	v->net_on = s->opts.net;
	v->block_on = s->opts.block;
	v->kvm_on = s->opts.kvm;
	snprintf(v->net_na, sizeof(v->net_na), "%s", s->net_na);
	snprintf(v->block_na, sizeof(v->block_na), "%s", s->block_na);
	snprintf(v->kvm_na, sizeof(v->kvm_na), "%s", s->kvm_na);
	v->has_net = s->net != NULL;
	v->has_block = s->block != NULL;
	v->has_kvm = s->kvm != NULL;
	if (s->net && (e = netpath_view(s->net, owner, ctx, &v->net)))
		err = e;
	if (s->block && (e = blockio_view(s->block, owner, ctx, &v->block)))
		err = e;
	return err;
}

void io_view_free(struct io_view *v)
{
	net_view_free(&v->net);
	block_view_free(&v->block);
	v->taken = false;
}

const char *iosec_na(const struct iosec *s, const char *part)
{
	if (!strcmp(part, "net"))
		return s->net ? NULL : s->opts.net ? s->net_na : "not opened";
	if (!strcmp(part, "block"))
		return s->block ? NULL : s->opts.block ? s->block_na : "not opened";
	return s->kvm ? NULL : s->opts.kvm ? s->kvm_na : "not opened";
}

void iosec_destroy(struct iosec *s)
{
	if (!s)
		return;
	netpath_close(s->net);
	blockio_close(s->block);
	kvmexit_close(s->kvm);
	free(s);
}

int iosec_objects(const struct iosec *s, struct bpf_object **objs, int max)
{
	int n = 0;

	if (s->net && n < max)
		objs[n++] = s->net->skel->obj;
	if (s->block && n < max)
		objs[n++] = s->block->skel->obj;
	if (s->kvm && n < max)
		objs[n++] = s->kvm->skel->obj;
	return n;
}

struct netpath *iosec_net(struct iosec *s)
{
	return s->net;
}

struct blockio *iosec_block(struct iosec *s)
{
	return s->block;
}

struct kvmexit *iosec_kvm(struct iosec *s)
{
	return s->kvm;
}
