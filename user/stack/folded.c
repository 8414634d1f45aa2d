// SPDX-License-Identifier: GPL-2.0
/* Folded stacks, one file per owner (entity, role). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stack/output.h"
#include "stack/sampler.h"
#include "sys/util.h"

struct owner_file {
	char entity[ENTITY_LEN];
	char role[ROLE_LEN];
	char *buf;
	size_t len;
	int cap;
};

static int append(struct owner_file *o, const char *fmt, const char *a, const char *b,
		  const char *c, const char *d, unsigned long long n)
{
	int need = snprintf(NULL, 0, fmt, a, b, c, d, n);
	char *p = array_reserve(o->buf, &o->cap, o->len + need + 1, 1);

	if (!p)
		return -ENOMEM;
	o->buf = p;
	snprintf(o->buf + o->len, o->cap - o->len, fmt, a, b, c, d, n);
	o->len += need;
	return 0;
}

static void file_name(char *out, size_t len, const char *entity, const char *role)
{
	snprintf(out, len, "%s.%s", entity, role);
	for (char *p = out; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'))
			*p = '_';
}

int stack_write_folded(const char *dir, const struct stack_source *src, int n)
{
	struct owner_file *files = NULL;
	int nf = 0, cap = 0, err = 0, dfd;

	for (int s = 0; s < n && !err; s++) {
		const struct stack_profile *p = src[s].p;

		for (int i = 0; p && i < p->n && !err; i++) {
			const struct stack_prow *r = &p->rows[i];
			struct owner_file *o = NULL;

			for (int k = 0; k < nf && !o; k++)
				if (!strcmp(files[k].entity, r->entity) &&
				    !strcmp(files[k].role, r->role))
					o = &files[k];
			if (!o) {
				o = array_grow(files, &cap, nf, sizeof(*o));
				if (!o) {
					err = -ENOMEM;
					break;
				}
				files = o;
				o = &files[nf++];
				memset(o, 0, sizeof(*o));
				snprintf(o->entity, sizeof(o->entity), "%s", r->entity);
				snprintf(o->role, sizeof(o->role), "%s", r->role);
			}
			err = append(o, "%s;%s;%s;%s %llu\n", r->entity, r->role,
				     stack_ctx_name(r->ctx), r->stack,
				     (unsigned long long)r->count);
		}
	}
	dfd = err ? -1 : vp_dir_open(dir);
	if (dfd < 0 && !err)
		err = dfd;
	for (int k = 0; k < nf; k++) {
		char name[ENTITY_LEN + ROLE_LEN + 2], file[ENTITY_LEN + ROLE_LEN + 10];

		file_name(name, sizeof(name), files[k].entity, files[k].role);
		snprintf(file, sizeof(file), "%s.folded", name);
		if (!err)
			err = write_file_atomic_at(dfd, file, files[k].buf, files[k].len);
		free(files[k].buf);
	}
	if (dfd >= 0)
		close(dfd);
	free(files);
	return err;
}

/* pre, then name with ';' made '_', at out[at]; what does not fit is counted, not written */
static size_t put_frame(char *out, size_t len, size_t at, const char *pre, const char *name,
			bool raw)
{
	for (const char *p = pre; *p; p++, at++)
		if (at + 1 < len)
			out[at] = *p;
	for (const char *p = name; *p; p++, at++)
		if (at + 1 < len)
			out[at] = *p == ';' && !raw ? '_' : *p;
	return at;
}

int stack_fold_exit(char *out, size_t len, const char *func, const char *reason, const char *host)
{
	size_t at = put_frame(out, len, 0, "[guest] ", func, false);

	at = put_frame(out, len, at, ";[exit] ", reason, false);
	/* the host stack is folded already: its ';' are frame boundaries */
	if (host && *host)
		at = put_frame(out, len, at, ";", host, true);
	else
		at = put_frame(out, len, at, ";", "[no host stack]", true);
	if (len)
		out[at < len ? at : len - 1] = '\0';
	return (int)at;
}

size_t stack_exit_head(const char *stack)
{
	const char *e;

	if (strncmp(stack, "[guest] ", 8) || !(e = strstr(stack, ";[exit] ")))
		return 0;
	e += 8;
	return (size_t)(e - stack) + strcspn(e, ";");
}

int stack_write_exit_folded(const char *path, const struct stack_source *src, int n)
{
	struct owner_file o = { 0 };
	int err = 0;

	for (int s = 0; s < n && !err; s++) {
		const struct stack_profile *p = src[s].p;

		for (int i = 0; p && i < p->n && !err; i++)
			err = append(&o, "%s;%s%s%s %llu\n", p->rows[i].entity, p->rows[i].stack,
				     "", "", (unsigned long long)p->rows[i].count);
	}
	if (!err)
		err = write_file_atomic(path, o.buf ? o.buf : "", o.len);
	free(o.buf);
	return err;
}
