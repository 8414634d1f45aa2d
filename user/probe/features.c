// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "probe/features.h"

static struct btf *vmlinux_btf;

static struct btf *vmlinux(void)
{
	if (!vmlinux_btf) {
		vmlinux_btf = btf__load_vmlinux_btf();
		if (!vmlinux_btf)
			vmlinux_btf = NULL;
	}
	return vmlinux_btf;
}

/* Find name/kind in vmlinux, then in every module's BTF. Returns the type (or NULL). */
static const struct btf_type *find_type(const char *name, int kind, struct btf **owner)
{
	struct btf *v = vmlinux();
	struct dirent *de;
	DIR *d;
	int id;

	if (!v)
		return NULL;
	id = btf__find_by_name_kind(v, name, kind);
	if (id > 0) {
		*owner = v;
		return btf__type_by_id(v, id);
	}
	d = opendir("/sys/kernel/btf");
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		struct btf *m;

		if (de->d_name[0] == '.' || strcmp(de->d_name, "vmlinux") == 0)
			continue;
		m = btf__load_module_btf(de->d_name, v);
		if (!m)
			continue;
		id = btf__find_by_name_kind(m, name, kind);
		if (id > 0) {
			/* Module BTFs are few and small; keep the one that matched for the caller. */
			closedir(d);
			*owner = m;
			return btf__type_by_id(m, id);
		}
		btf__free(m);
	}
	closedir(d);
	return NULL;
}

static void release(struct btf *b)
{
	if (b && b != vmlinux_btf)
		btf__free(b);
}

int feature_tp_nargs(const char *tp)
{
	const struct btf_type *t;
	struct btf *b = NULL;
	char name[128];
	int n = -1;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	t = find_type(name, BTF_KIND_TYPEDEF, &b);
	if (!t)
		return -1;
	/* typedef -> pointer -> func_proto */
	t = btf__type_by_id(b, t->type);
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(b, t->type);
	if (t && btf_is_func_proto(t))
		n = btf_vlen(t);
	release(b);
	return n;
}

bool feature_has_tp_btf(const char *tp)
{
	return feature_tp_nargs(tp) >= 0;
}

bool feature_has_func(const char *fn)
{
	struct btf *b = NULL;
	bool ok = find_type(fn, BTF_KIND_FUNC, &b) != NULL;

	release(b);
	return ok;
}

bool feature_has_event(const char *sys, const char *name)
{
	char p[256];

	snprintf(p, sizeof(p), "/sys/kernel/tracing/events/%s/%s", sys, name);
	if (access(p, F_OK) == 0)
		return true;
	snprintf(p, sizeof(p), "/sys/kernel/debug/tracing/events/%s/%s", sys, name);
	return access(p, F_OK) == 0;
}

bool feature_has_struct(const char *name)
{
	struct btf *b = NULL;
	bool ok = find_type(name, BTF_KIND_STRUCT, &b) != NULL;

	release(b);
	return ok;
}

bool feature_has_member(const char *type, const char *member)
{
	struct btf *b = NULL;
	const struct btf_type *t = find_type(type, BTF_KIND_STRUCT, &b);
	bool ok = false;

	if (t) {
		const struct btf_member *m = btf_members(t);

		for (int i = 0; i < btf_vlen(t) && !ok; i++, m++)
			ok = !strcmp(btf__name_by_offset(b, m->name_off), member);
	}
	release(b);
	return ok;
}
