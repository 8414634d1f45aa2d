// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/where.h"
#include "sys/util.h"

#define KSUFFIX "_[k]"

static struct func_stat *func_of(struct func_stats *fs, const char *frame, size_t len)
{
	size_t sl = strlen(KSUFFIX);
	struct func_stat *f;
	uint32_t id;

	if (!intern_n(&fs->names, frame, len, &id))
		return NULL;
	if ((int)id < fs->n)
		return &fs->f[id];
	f = array_push((void **)&fs->f, &fs->n, &fs->cap, sizeof(*f));
	if (!f)
		return NULL;
	f->last = -1;
	f->kernel = len > sl && !strncmp(frame + len - sl, KSUFFIX, sl);
	/* the displayed name, without the kernel suffix */
	f->name = intern_n(&fs->disp, frame, f->kernel ? len - sl : len, NULL);
	return f->name ? f : NULL;
}

int stack_where(const struct stack_profile *p, stack_filter_fn keep, void *ctx,
		struct func_stats *out)
{
	memset(out, 0, sizeof(*out));
	intern_init(&out->names);
	intern_init(&out->disp);
	for (int i = 0; i < p->n; i++) {
		const struct stack_prow *r = &p->rows[i];
		const char *s = r->stack, *end;
		struct func_stat *f = NULL;

		if (keep && !keep(r, ctx))
			continue;
		out->total += r->count;
		for (; *s; s = *end ? end + 1 : end) {
			end = strchr(s, ';');
			if (!end)
				end = s + strlen(s);
			f = func_of(out, s, end - s);
			if (!f)
				return -ENOMEM;
			/* recursion: a function counts once per stack in its inclusive figure */
			if (f->last != i) {
				f->incl += r->count;
				f->last = i;
			}
		}
		if (f)
			f->self += r->count;
	}
	return 0;
}

static int by_self(const void *x, const void *y)
{
	const struct func_stat *a = x, *b = y;

	if (a->self != b->self)
		return a->self < b->self ? 1 : -1;
	if (a->incl != b->incl)
		return a->incl < b->incl ? 1 : -1;
	return strcmp(a->name, b->name);
}

void func_stats_sort(struct func_stats *fs)
{
	if (fs->n)
		qsort(fs->f, fs->n, sizeof(*fs->f), by_self);
}

const struct func_stat *func_stats_find(const struct func_stats *fs, const char *name, bool kernel)
{
	for (int i = 0; i < fs->n; i++)
		if (fs->f[i].kernel == kernel && fs->f[i].incl && !strcmp(fs->f[i].name, name))
			return &fs->f[i];
	return NULL;
}

void func_stats_free(struct func_stats *fs)
{
	intern_free(&fs->names);
	intern_free(&fs->disp);
	free(fs->f);
	memset(fs, 0, sizeof(*fs));
}
