// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "out/table.h"
#include "sys/util.h"

void table_init(struct table *t, const char *key, const char *title)
{
	memset(t, 0, sizeof(*t));
	t->key = key;
	t->title = title;
}

void table_col(struct table *t, const char *key, const char *head, int prec, bool left)
{
	if (t->ncols >= TABLE_MAX_COLS || t->nrows)
		return;
	t->cols[t->ncols++] = (struct tcol){ key, head, prec, left, false };
}

void table_col_json_only(struct table *t)
{
	if (t->ncols)
		t->cols[t->ncols - 1].json_only = true;
}

int table_row(struct table *t)
{
	if (t->nrows == t->cap) {
		int cap = t->cap ? t->cap * 2 : 16;
		struct cell *c = realloc(t->cells, (size_t)cap * t->ncols * sizeof(*c));

		if (!c)
			return -1;
		t->cells = c;
		t->cap = cap;
	}
	memset(&t->cells[(size_t)t->nrows * t->ncols], 0, t->ncols * sizeof(struct cell));
	return t->nrows++;
}

static struct cell *at(struct table *t, int row, int col)
{
	if (row < 0 || row >= t->nrows || col < 0 || col >= t->ncols)
		return NULL;
	return &t->cells[(size_t)row * t->ncols + col];
}

static void clear(struct cell *c)
{
	if (c->kind == CELL_STR)
		free(c->s);
	c->kind = CELL_NA;
}

void table_str(struct table *t, int row, int col, const char *s)
{
	struct cell *c = at(t, row, col);

	if (!c)
		return;
	clear(c);
	c->s = strdup(s ? s : "");
	c->kind = c->s ? CELL_STR : CELL_NA;
}

void table_u64(struct table *t, int row, int col, uint64_t v)
{
	struct cell *c = at(t, row, col);

	if (!c)
		return;
	clear(c);
	c->kind = CELL_U64;
	c->u = v;
}

void table_f64(struct table *t, int row, int col, double v)
{
	struct cell *c = at(t, row, col);

	if (!c)
		return;
	clear(c);
	if (!isfinite(v))
		return;
	c->kind = CELL_F64;
	c->f = v;
}

void table_pct(struct table *t, int row, int col, uint64_t part, uint64_t whole)
{
	if (whole)
		table_f64(t, row, col, pct_of(part, whole));
	else
		table_na(t, row, col,
			 VP_NA_LIT(VP_NA_UNMEASURED,
				   "empty window: no CPU time was measured to divide by"));
}

void table_none(struct table *t, int row, int col)
{
	struct cell *c = at(t, row, col);

	if (c) {
		clear(c);
		c->kind = CELL_NONE;
	}
}

void table_na(struct table *t, int row, int col, const struct vp_na *na)
{
	struct cell *c = at(t, row, col);

	if (c)
		clear(c);
	table_note_na(t, na);
}

void table_note_na(struct table *t, const struct vp_na *na)
{
	const char *reason = vp_na_text(na);

	if (!reason)
		return;
	for (int i = 0; i < t->nnotes; i++)
		if (strcmp(t->notes[i], reason) == 0)
			return;
	table_note(t, "%s", reason);
}

void table_note(struct table *t, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (t->nnotes >= TABLE_MAX_NOTES)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) >= 0)
		t->notes[t->nnotes++] = s;
	va_end(ap);
}

void table_free(struct table *t)
{
	for (int r = 0; r < t->nrows; r++)
		for (int c = 0; c < t->ncols; c++)
			clear(&t->cells[(size_t)r * t->ncols + c]);
	free(t->cells);
	for (int i = 0; i < t->nnotes; i++)
		free(t->notes[i]);
	free(t->own_key);
	free(t->own_title);
	memset(t, 0, sizeof(*t));
}

void out_init(struct out *o, FILE *f, enum out_mode mode, bool pretty)
{
	memset(o, 0, sizeof(*o));
	o->mode = mode;
	o->f = f;
	jw_init(&o->jw, f, pretty);
}

void out_init_keep(struct out *o, struct table_set *set)
{
	out_init(o, NULL, OUT_KEEP, false);
	o->keep = set;
}

static int table_copy(struct table *d, const struct table *s)
{
	size_t ncell = (size_t)s->nrows * s->ncols;

	*d = *s;
	d->cap = s->nrows;
	d->cells = calloc(ncell ? ncell : 1, sizeof(*d->cells));
	d->own_key = strdup(s->key ? s->key : "");
	d->own_title = s->title ? strdup(s->title) : NULL;
	d->nnotes = 0;
	if (!d->cells || !d->own_key) {
		free(d->cells);
		free(d->own_key);
		free(d->own_title);
		memset(d, 0, sizeof(*d));
		return -1;
	}
	d->key = d->own_key;
	d->title = d->own_title;
	for (size_t i = 0; i < ncell; i++) {
		d->cells[i] = s->cells[i];
		if (s->cells[i].kind == CELL_STR) {
			d->cells[i].s = strdup(s->cells[i].s);
			if (!d->cells[i].s)
				d->cells[i].kind = CELL_NA;
		}
	}
	for (int i = 0; i < s->nnotes; i++)
		if ((d->notes[d->nnotes] = strdup(s->notes[i])))
			d->nnotes++;
	return 0;
}

static void keep_table(const struct table *t, struct table_set *set)
{
	if (set->n == set->cap) {
		int cap = set->cap ? set->cap * 2 : 8;
		struct table *n = realloc(set->t, cap * sizeof(*n));

		if (!n)
			return;
		set->t = n;
		set->cap = cap;
	}
	if (!table_copy(&set->t[set->n], t))
		set->n++;
}

void table_set_render(const struct table_set *s, struct out *o)
{
	for (int i = 0; s && i < s->n; i++)
		table_render(&s->t[i], o);
}

void table_set_free(struct table_set *s)
{
	for (int i = 0; i < s->n; i++)
		table_free(&s->t[i]);
	free(s->t);
	memset(s, 0, sizeof(*s));
}

/*
 * Text shows control characters and bytes that are not UTF-8 as '?' (as ps does): a name with a
 * newline stays one row, and a terminal gets nothing it could interpret.
 */
static size_t text_safe(char *buf, size_t len, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	while (*p && o + 1 < len) {
		int n = *p >= 0x80 ? utf8_len(p) : 1;

		if (n > 1 && o + n < len) {
			memcpy(buf + o, p, n);
			o += n;
			p += n;
			continue;
		}
		buf[o++] = n == 1 && *p >= 0x20 && *p != 0x7f ? (char)*p : '?';
		p++;
	}
	buf[o] = '\0';
	return o;
}

void table_format_f64(char *buf, size_t len, double v, int prec)
{
	snprintf(buf, len, "%.*f", prec, v);
}

static void cell_text(const struct cell *c, int prec, char *buf, size_t len)
{
	switch (c->kind) {
	case CELL_STR:
		text_safe(buf, len, c->s);
		break;
	case CELL_U64:
		snprintf(buf, len, "%" PRIu64, c->u);
		break;
	case CELL_F64:
		table_format_f64(buf, len, c->f, prec);
		break;
	case CELL_NONE:
		snprintf(buf, len, "-");
		break;
	default:
		snprintf(buf, len, "n/a");
	}
}

static void render_text(const struct table *t, FILE *f)
{
	int width[TABLE_MAX_COLS];
	char buf[256];

	for (int c = 0; c < t->ncols; c++) {
		width[c] = (int)strlen(t->cols[c].head);
		for (int r = 0; r < t->nrows; r++) {
			cell_text(&t->cells[(size_t)r * t->ncols + c], t->cols[c].prec, buf,
				  sizeof(buf));
			if ((int)strlen(buf) > width[c])
				width[c] = (int)strlen(buf);
		}
	}
	if (t->title)
		fprintf(f, "%s\n", t->title);
	for (int c = 0, first = 1; c < t->ncols; c++) {
		if (t->cols[c].json_only)
			continue;
		fprintf(f, "%s%*s", first ? "" : "  ", t->cols[c].left ? -width[c] : width[c],
			t->cols[c].head);
		first = 0;
	}
	fputc('\n', f);
	for (int r = 0; r < t->nrows; r++) {
		for (int c = 0, first = 1; c < t->ncols; c++) {
			if (t->cols[c].json_only)
				continue;
			cell_text(&t->cells[(size_t)r * t->ncols + c], t->cols[c].prec, buf,
				  sizeof(buf));
			fprintf(f, "%s%*s", first ? "" : "  ",
				t->cols[c].left ? -width[c] : width[c], buf);
			first = 0;
		}
		fputc('\n', f);
	}
	for (int i = 0; i < t->nnotes; i++) {
		size_t n = strlen(t->notes[i]) + 1;
		char *note = malloc(n);

		if (!note)
			continue;
		text_safe(note, n, t->notes[i]);
		fprintf(f, "  note: %s\n", note);
		free(note);
	}
}

static bool col_has_f64(const struct table *t, int c)
{
	for (int r = 0; r < t->nrows; r++)
		if (t->cells[(size_t)r * t->ncols + c].kind == CELL_F64)
			return true;
	return false;
}

static void render_decimals(const struct table *t, struct jw *w)
{
	char nkey[128];
	bool open = false;

	for (int c = 0; c < t->ncols; c++) {
		if (!col_has_f64(t, c))
			continue;
		if (!open) {
			snprintf(nkey, sizeof(nkey), "%s_decimals", t->key);
			jw_key(w, nkey);
			jw_obj_begin(w);
			open = true;
		}
		jw_key(w, t->cols[c].key);
		jw_u64(w, (uint64_t)t->cols[c].prec);
	}
	if (open)
		jw_obj_end(w);
}

static void render_json(const struct table *t, struct jw *w, bool decimals)
{
	char nkey[128];

	jw_key(w, t->key);
	jw_arr_begin(w);
	for (int r = 0; r < t->nrows; r++) {
		jw_obj_begin(w);
		for (int c = 0; c < t->ncols; c++) {
			const struct cell *cell = &t->cells[(size_t)r * t->ncols + c];

			jw_key(w, t->cols[c].key);
			switch (cell->kind) {
			case CELL_STR:
				jw_str(w, cell->s);
				break;
			case CELL_U64:
				jw_u64(w, cell->u);
				break;
			case CELL_F64:
				jw_double(w, cell->f);
				break;
			default:
				jw_null(w);
			}
		}
		jw_obj_end(w);
	}
	jw_arr_end(w);
	if (t->nnotes) {
		snprintf(nkey, sizeof(nkey), "%s_notes", t->key);
		jw_key(w, nkey);
		jw_arr_begin(w);
		for (int i = 0; i < t->nnotes; i++)
			jw_str(w, t->notes[i]);
		jw_arr_end(w);
	}
	if (decimals)
		render_decimals(t, w);
}

static void csv_field(FILE *f, const struct cell *c)
{
	switch (c->kind) {
	case CELL_STR:
		fputc('"', f);
		for (const char *p = c->s; *p; p++) {
			if (*p == '"')
				fputc('"', f);
			fputc(*p, f);
		}
		fputc('"', f);
		break;
	case CELL_U64:
		fprintf(f, "%" PRIu64, c->u);
		break;
	case CELL_F64:
		if (isfinite(c->f))
			fprintf(f, "%.9g", c->f);
		break;
	default:
		break; /* empty: not available, or does not apply -- never a made-up 0 */
	}
}

static void render_csv(const struct table *t, FILE *f)
{
	for (int c = 0; c < t->ncols; c++)
		fprintf(f, "%s%s", c ? "," : "", t->cols[c].key);
	fputc('\n', f);
	for (int r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			if (c)
				fputc(',', f);
			csv_field(f, &t->cells[(size_t)r * t->ncols + c]);
		}
		fputc('\n', f);
	}
}

void table_render(const struct table *t, struct out *o)
{
	switch (o->mode) {
	case OUT_JSON:
		render_json(t, &o->jw, o->decimals);
		break;
	case OUT_CSV:
		render_csv(t, o->f);
		break;
	case OUT_KEEP:
		keep_table(t, o->keep);
		break;
	default:
		render_text(t, o->f);
	}
}
