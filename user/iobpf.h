/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small libbpf helpers shared by the I/O sections (netpath, blockio, kvmexit): what this kernel
 * has (BTF, tracefs), picking the tp_btf or raw_tp flavour of a program, running a program on
 * every CPU.
 */
#ifndef VP_IOBPF_H
#define VP_IOBPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_object;
struct bpf_program;

/* "btf_trace_<tp>" typedef in vmlinux or a module's BTF: tp_btf can attach. */
bool iobpf_has_tp_btf(const char *tp);
/* Prototype parameter count of btf_trace_<tp> (including the leading void *), -1 if absent. */
int iobpf_tp_nargs(const char *tp);
/* A kernel function in BTF (fentry/fexit can attach). */
bool iobpf_has_func(const char *fn);
/* tracefs events/<sys>/<name> exists. */
bool iobpf_has_event(const char *sys, const char *name);

/*
 * Keep one flavour of a tp_btf/raw_tp pair: tp_btf when BTF has the tracepoint, raw_tp when only
 * tracefs has it.  Returns "tp_btf", "raw_tp", or NULL with both turned off (tracepoint absent).
 */
const char *iobpf_pick(struct bpf_program *tp_btf, struct bpf_program *raw, const char *tp,
		       const char *sys, bool prefer_raw);

/* Run a raw_tp program once on every possible CPU (BPF_F_TEST_RUN_ON_CPU). */
int iobpf_run_on_cpus(struct bpf_program *p);

/* Sum a per-CPU value of `size` bytes made of u64 counters: dst[i] = sum over CPUs. */
void iobpf_sum_u64(const void *percpu, int ncpu, size_t size, void *dst);

#endif
