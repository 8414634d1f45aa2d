/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small streaming JSON writer in the manner of bpftool's: it tracks nesting so callers never
 * place commas by hand, escapes strings, and writes non-finite doubles as null (JSON has no NaN).
 */
#ifndef VP_JSON_H
#define VP_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 32

struct jw {
	FILE *f;
	bool pretty;
	int depth;
	bool first[JW_MAX_DEPTH];
	bool after_key;
};

void jw_init(struct jw *w, FILE *f, bool pretty);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s);
void jw_u64(struct jw *w, uint64_t v);
void jw_i64(struct jw *w, int64_t v);
void jw_double(struct jw *w, double v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* A complete JSON value produced elsewhere (e.g. rendered earlier into a string). */
void jw_raw(struct jw *w, const char *json);
/* End a top-level value with a newline (one object per line for --json streams). */
void jw_end_line(struct jw *w);

/* key + value shorthands */
static inline void jw_kstr(struct jw *w, const char *k, const char *v)
{
	jw_key(w, k);
	jw_str(w, v);
}
static inline void jw_ku64(struct jw *w, const char *k, uint64_t v)
{
	jw_key(w, k);
	jw_u64(w, v);
}
static inline void jw_ki64(struct jw *w, const char *k, int64_t v)
{
	jw_key(w, k);
	jw_i64(w, v);
}
static inline void jw_kdouble(struct jw *w, const char *k, double v)
{
	jw_key(w, k);
	jw_double(w, v);
}
static inline void jw_kbool(struct jw *w, const char *k, bool v)
{
	jw_key(w, k);
	jw_bool(w, v);
}

/* key + value, or key + null when the value is absent (not measured / does not apply) */
static inline void jw_kopt_u64(struct jw *w, const char *k, bool have, uint64_t v)
{
	jw_key(w, k);
	if (have)
		jw_u64(w, v);
	else
		jw_null(w);
}

static inline void jw_kopt_double(struct jw *w, const char *k, bool have, double v)
{
	jw_key(w, k);
	if (have)
		jw_double(w, v);
	else
		jw_null(w);
}

/* Escape s as a JSON string body (no quotes) into f. */
void json_escape(FILE *f, const char *s);

/*
 * Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates, <= U+10FFFF),
 * 0 when the bytes are not one.
 */
int utf8_len(const unsigned char *p);

#endif
