// SPDX-License-Identifier: GPL-2.0
/*
 * pprof's profile.proto (github.com/google/pprof/proto/profile.proto), encoded by hand: it is
 * a handful of messages, and a protobuf library would be a dependency for 150 lines.  Fields:
 *   Profile: 1 sample_type, 2 sample, 4 location, 5 function, 6 string_table,
 *            9 time_nanos, 10 duration_nanos, 11 period_type, 12 period
 *   ValueType: 1 type, 2 unit (string indexes)       Sample: 1 location_id (packed), 2 value
 *   (packed), 3 label       Label: 1 key, 2 str      Location: 1 id, 4 line
 *   Line: 1 function_id     Function: 1 id, 2 name, 3 system_name, 4 filename
 * gzip'd with zlib, as `go tool pprof` and the profile servers expect.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "stack/intern.h"
#include "stack/output.h"
#include "stack/sampler.h"
#include "sys/util.h"

/* A protobuf being written; out of memory sticks (oom) and the whole profile is refused. */
struct pb {
	uint8_t *p;
	size_t len;
	int cap;
	bool oom;
};

static void pb_raw(struct pb *b, const void *d, size_t n)
{
	uint8_t *p;

	if (b->oom || !n)
		return;
	p = array_reserve(b->p, &b->cap, b->len + n, 1);
	if (!p) {
		b->oom = true;
		return;
	}
	b->p = p;
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void pb_varint(struct pb *b, uint64_t v)
{
	uint8_t tmp[10];
	int n = 0;

	do {
		tmp[n] = v & 0x7f;
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	pb_raw(b, tmp, n);
}

static void pb_uint(struct pb *b, int field, uint64_t v)
{
	pb_varint(b, (uint64_t)field << 3);
	pb_varint(b, v);
}

/* A length-delimited field: a nested message (taken and reset) or bytes. */
static void pb_bytes(struct pb *b, int field, const void *d, size_t n)
{
	pb_varint(b, (uint64_t)field << 3 | 2);
	pb_varint(b, n);
	pb_raw(b, d, n);
}

static void pb_msg(struct pb *b, int field, struct pb *m)
{
	b->oom |= m->oom;
	pb_bytes(b, field, m->p, m->len);
	m->len = 0;
}

struct enc {
	struct intern str;  /* string table */
	struct intern func; /* frame text -> function id - 1 */
	struct pb out, m, sub, ids;
};

static uint64_t str_id(struct enc *e, const char *s)
{
	uint32_t id = 0;

	if (!intern(&e->str, s, &id))
		e->out.oom = true;
	return id;
}

static void value_type(struct enc *e, int field, const char *type, const char *unit)
{
	pb_uint(&e->sub, 1, str_id(e, type));
	pb_uint(&e->sub, 2, str_id(e, unit));
	pb_msg(&e->out, field, &e->sub);
}

static void label(struct enc *e, const char *key, const char *val)
{
	pb_uint(&e->sub, 1, str_id(e, key));
	pb_uint(&e->sub, 2, str_id(e, val));
	pb_msg(&e->m, 3, &e->sub);
}

/* One sample message per profile row: location ids leaf first. */
static void sample(struct enc *e, const struct stack_source *s, const struct stack_prow *r,
		   uint64_t period)
{
	const char *frames[VP_STACK_DEPTH * 2 + 2];
	size_t flen[VP_STACK_DEPTH * 2 + 2];
	int nf = 0;

	for (const char *p = r->stack, *end; *p && nf < (int)ARRAY_SIZE(frames);
	     p = *end ? end + 1 : end) {
		end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		frames[nf] = p;
		flen[nf++] = end - p;
	}
	for (int i = nf - 1; i >= 0; i--) {
		uint32_t id = 0;

		if (!intern_n(&e->func, frames[i], flen[i], &id))
			e->out.oom = true;
		pb_varint(&e->ids, id + 1);
	}
	pb_msg(&e->m, 1, &e->ids);
	pb_varint(&e->sub, r->count);
	pb_varint(&e->sub, r->count * period);
	pb_msg(&e->m, 2, &e->sub);
	label(e, "entity", r->entity);
	label(e, "role", r->role);
	label(e, "context", stack_ctx_name(r->ctx));
	label(e, "target", s->target ? s->target : "-");
	label(e, "step", s->step ? s->step : "-");
	pb_msg(&e->out, 2, &e->m);
}

uint8_t *stack_pprof_encode(const struct stack_source *src, int n, uint64_t duration_ns,
			    size_t *len)
{
	unsigned int hz = STACK_DEFAULT_HZ;
	struct enc e = { 0 };
	uint64_t period;

	intern_init(&e.str);
	intern_init(&e.func);
	str_id(&e, ""); /* string_table[0] must be "" */
	for (int s = 0; s < n; s++)
		if (src[s].p && src[s].p->on && src[s].p->hz)
			hz = src[s].p->hz;
	period = NSEC_PER_SEC / hz;
	value_type(&e, 1, "samples", "count");
	value_type(&e, 1, "cpu", "nanoseconds");
	for (int s = 0; s < n; s++)
		for (int i = 0; src[s].p && i < src[s].p->n; i++)
			sample(&e, &src[s], &src[s].p->rows[i], period);
	/* one location and one function per distinct frame, same id */
	for (uint32_t id = 0; id < e.func.n; id++) {
		const char *f = e.func.by_id[id];
		size_t l = strlen(f), sl = strlen("_[k]");
		bool k = l > sl && !strcmp(f + l - sl, "_[k]");
		char name[512];

		snprintf(name, sizeof(name), "%.*s", (int)(k ? l - sl : l), f);
		pb_uint(&e.m, 1, id + 1);
		pb_uint(&e.m, 2, str_id(&e, name));
		pb_uint(&e.m, 3, str_id(&e, name));
		pb_uint(&e.m, 4, str_id(&e, k ? "[kernel]" : ""));
		pb_msg(&e.out, 5, &e.m);
		pb_uint(&e.sub, 1, id + 1);
		pb_msg(&e.m, 4, &e.sub);
		pb_uint(&e.m, 1, id + 1);
		pb_msg(&e.out, 4, &e.m);
	}
	pb_uint(&e.out, 9, now_real_ns() - duration_ns);
	pb_uint(&e.out, 10, duration_ns);
	value_type(&e, 11, "cpu", "nanoseconds");
	pb_uint(&e.out, 12, period);
	/* the string table last: every string above is in it now */
	for (uint32_t i = 0; i < e.str.n; i++)
		pb_bytes(&e.out, 6, e.str.by_id[i], strlen(e.str.by_id[i]));
	intern_free(&e.str);
	intern_free(&e.func);
	free(e.m.p);
	free(e.sub.p);
	free(e.ids.p);
	if (e.out.oom) {
		free(e.out.p);
		return NULL;
	}
	*len = e.out.len;
	return e.out.p;
}

uint8_t *stack_pprof_gzip(const struct stack_source *src, int n, uint64_t duration_ns, size_t *len)
{
	size_t rawlen = 0;
	uint8_t *raw = stack_pprof_encode(src, n, duration_ns, &rawlen), *gz = NULL;
	z_stream z = { 0 };

	if (!raw)
		return NULL;
	/* windowBits 15 + 16: a gzip wrapper, not zlib's */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		goto out;
	z.avail_out = deflateBound(&z, rawlen);
	gz = malloc(z.avail_out);
	if (gz) {
		z.next_in = raw;
		z.avail_in = rawlen;
		z.next_out = gz;
		if (deflate(&z, Z_FINISH) == Z_STREAM_END) {
			*len = z.total_out;
		} else {
			free(gz);
			gz = NULL;
		}
	}
	deflateEnd(&z);
out:
	free(raw);
	return gz;
}

int stack_write_pprof(const char *path, const struct stack_source *src, int n, uint64_t duration_ns)
{
	size_t len = 0;
	uint8_t *gz = stack_pprof_gzip(src, n, duration_ns, &len);
	int err;

	if (!gz)
		return -ENOMEM;
	err = write_file_atomic(path, (const char *)gz, len);
	free(gz);
	return err;
}
