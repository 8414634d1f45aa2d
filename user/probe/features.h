/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What this kernel has, asked of BTF (vmlinux and every module's) and tracefs: tracepoints a
 * tp_btf or raw_tp program can attach to, functions fentry can attach to.  The one place the
 * user side asks; the BPF side's own CO-RE checks are in bpf/core_fixes.bpf.h.
 */
#ifndef VP_FEATURES_H
#define VP_FEATURES_H

#include <stdbool.h>

/* "btf_trace_<tp>" typedef in vmlinux or a module's BTF: tp_btf can attach. */
bool feature_has_tp_btf(const char *tp);
/* Prototype parameter count of btf_trace_<tp> (including the leading void *), -1 if absent. */
int feature_tp_nargs(const char *tp);
/* A kernel function in BTF (fentry/fexit can attach). */
bool feature_has_func(const char *fn);
/* tracefs events/<sys>/<name> exists. */
bool feature_has_event(const char *sys, const char *name);
/* A struct (or union) in vmlinux or a module's BTF: CO-RE relocations against it resolve. */
bool feature_has_struct(const char *name);
/* A struct in BTF with a member of that name (directly, not in a nested anonymous member). */
bool feature_has_member(const char *type, const char *member);

#endif
