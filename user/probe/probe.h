/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lifecycle every BPF object of virtprof goes through -- open, configure, load, attach --
 * with its shared pieces in one place: the precondition checks, the one libbpf print callback,
 * the tp_btf -> raw_tp fallback, running a program on every CPU, per-CPU sums and the kernel's
 * per-program run-time counters.
 */
#ifndef VP_PROBE_H
#define VP_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_object;
struct bpf_program;

/* Precondition checks shared by every command that loads BPF; messages printed. */
int probe_check_privileges(void);
int probe_check_btf(void);

/*
 * Install the one libbpf print callback: warnings always (they explain a load failure), info
 * with -v, debug with -vv.  Warnings of an attempt that has a fallback, or of an optional object
 * (whose failure is reported as "not available"), are shown with -v only.
 */
void probe_libbpf_init(void);

/* The flavour a tracing program pair is loaded in. */
enum probe_flavour { PROBE_TP_BTF, PROBE_RAW_TP };
const char *probe_flavour_name(enum probe_flavour f);

/*
 * Open -> configure -> load -> attach, first as tp_btf then, when that fails, as raw_tp.
 * VIRTPROF_BPF_FLAVOUR=raw_tp (or the older VIRTPROF_IO_RAW=1) starts with raw_tp, so the
 * fallback is tested on kernels that have both.  configure() returning an error other than one
 * from load/attach (e.g. -ENOTSUP: a tracepoint this kernel lacks) ends the attempts.  The
 * skeleton goes to *skel (NULL on failure), the flavour loaded to *flavour unless that is NULL.
 */
struct probe_obj_ops {
	const char *what; /* "network", for messages */
	bool optional;	  /* its failure is "not available", not an error of the command */
	void *(*open)(void);
	int (*configure)(void *skel, void *ctx, enum probe_flavour f);
	int (*load)(void *skel);
	int (*attach)(void *skel);
	void (*destroy)(void *skel);
};
int probe_open_fallback(const struct probe_obj_ops *ops, void *ctx, void **skel,
			enum probe_flavour *flavour);

/*
 * A skeleton's open/load/attach/destroy as probe_obj_ops members: PROBE_SKEL_WRAPPERS(net_bpf)
 * once in the module, then { PROBE_SKEL_OPS(net_bpf), .what = ..., .configure = ... }.
 */
#define PROBE_SKEL_WRAPPERS(skel)            \
	static void *skel##_open_(void)      \
	{                                    \
		return skel##__open();       \
	}                                    \
	static int skel##_load_(void *s)     \
	{                                    \
		return skel##__load(s);      \
	}                                    \
	static int skel##_attach_(void *s)   \
	{                                    \
		return skel##__attach(s);    \
	}                                    \
	static void skel##_destroy_(void *s) \
	{                                    \
		skel##__destroy(s);          \
	}
#define PROBE_SKEL_OPS(skel)                                                  \
	.open = skel##_open_, .load = skel##_load_, .attach = skel##_attach_, \
	.destroy = skel##_destroy_

/* Every program of obj comes as a tp_btf/raw_tp pair: keep f's, switch the other off. */
void probe_keep_flavour(struct bpf_object *obj, enum probe_flavour f);
/*
 * Keep one program of a tp_btf/raw_tp pair for tracepoint tp (in tracefs subsystem sys): the
 * wanted flavour when the kernel has what it needs (BTF for tp_btf, the tracepoint for raw_tp),
 * raw_tp when only tracefs knows it.  Returns the flavour's name, or NULL with both off
 * (tracepoint absent).
 */
const char *probe_pick(struct bpf_program *tp_btf, struct bpf_program *raw, const char *tp,
		       const char *sys, enum probe_flavour want);

/* Run a raw_tp program once on every possible CPU (BPF_F_TEST_RUN_ON_CPU). */
int probe_run_on_cpus(struct bpf_program *p);
/* Sum a per-CPU value of `size` bytes made of u64 counters: dst[i] = sum over CPUs. */
void probe_sum_u64(const void *percpu, int ncpu, size_t size, void *dst);
/* Kernel bpf_stats for one program fd: cumulative run time and count. */
int probe_prog_stats(int prog_fd, uint64_t *run_ns, uint64_t *run_cnt);

#endif
