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
#include "io/iosec.h"
#include "kvm.skel.h"
#include "io/kvmexit.h"
#include "net.skel.h"
#include "io/netpath.h"
#include "sys/util.h"

struct iosec {
	struct iosec_opts opts;
	struct netpath *net;
	struct blockio *block;
	struct kvmexit *kvm;
	struct vp_na na[IOSEC_PARTS];
	uint64_t last_ns;
};

int iosec_open(struct iosec **out, const struct iosec_opts *o)
{
	struct iosec *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->opts = *o;
	if (o->off) {
		for (int p = 0; p < IOSEC_PARTS; p++)
			s->na[p] = *o->off;
		s->last_ns = now_mono_ns();
		*out = s;
		return 0;
	}
	if (!o->net)
		vp_na_set(&s->na[IOSEC_NET], VP_NA_OPTION, "not opened");
	else if ((err = netpath_open(&s->net, o->account_cpu_state_fd, o->napi)))
		vp_na_set(&s->na[IOSEC_NET], vp_na_code_of_errno(err),
			  "network programs did not load: %s", strerror(-err));
	if (!o->block)
		vp_na_set(&s->na[IOSEC_BLOCK], VP_NA_OPTION, "not opened");
	else if ((err = blockio_open(&s->block)))
		vp_na_set(&s->na[IOSEC_BLOCK], vp_na_code_of_errno(err),
			  "block programs did not load: %s", strerror(-err));
	if (!o->kvm)
		vp_na_set(&s->na[IOSEC_KVM], VP_NA_OPTION, "not opened");
	else if ((err = kvmexit_open(&s->kvm)) == -ENOTSUP)
		vp_na_set(&s->na[IOSEC_KVM], VP_NA_KERNEL,
			  "KVM tracepoints not in this kernel (KVM not built in or module not "
			  "loaded)");
	else if (err)
		vp_na_set(&s->na[IOSEC_KVM], vp_na_code_of_errno(err),
			  "KVM programs did not load: %s", strerror(-err));
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
	memcpy(v->na, s->na, sizeof(v->na));
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

const struct vp_na *iosec_na(const struct iosec *s, enum iosec_part part)
{
	return &s->na[part];
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
