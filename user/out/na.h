/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Why a figure is not available: a reason code (what kind of cause, the same everywhere) plus its
 * detail (the text every output prints: the table's notes, a warning, a metric's label).  Held
 * by value where a part keeps its reason (io/, session/), passed by pointer to the renderers
 * (table_na, table_note_na).  A cleared one (code VP_NA_NONE) means "available".
 */
#ifndef VP_NA_H
#define VP_NA_H

#include <stdbool.h>
#include <stddef.h>

enum vp_na_code {
	VP_NA_NONE = 0,	  /* available: nothing to say */
	VP_NA_KERNEL,	  /* a tracepoint or kernel feature this kernel lacks */
	VP_NA_OPTION,	  /* a part left off by an option (or not asked for) */
	VP_NA_LIGHT,	  /* light mode: the part is not attached */
	VP_NA_NO_TARGET,  /* no such device, target or process (or it is gone) */
	VP_NA_PERMISSION, /* not readable or not allowed */
	VP_NA_UNMEASURED, /* nothing measured (yet): an empty window, nothing to divide by */
	VP_NA_OTHER,	  /* anything else: a load failure, out of memory */
};

/* Longest detail kept; a longer one is cut at a character boundary (see vp_na_set). */
#define VP_NA_DETAIL 320

struct vp_na {
	enum vp_na_code code;
	char detail[VP_NA_DETAIL];
};

/* A reason spelled in place: VP_NA_LIT(VP_NA_UNMEASURED, "nothing in the window"). */
#define VP_NA_LIT(c, text) (&(const struct vp_na){ .code = (c), .detail = text })

/* Not available for code (not VP_NA_NONE), the detail printf-formatted (cut to fit). */
void vp_na_set(struct vp_na *na, enum vp_na_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Available again. */
void vp_na_clear(struct vp_na *na);
/* Not available (NULL counts as available). */
static inline bool vp_na_is(const struct vp_na *na)
{
	return na && na->code != VP_NA_NONE;
}
/* The detail to print, or NULL when available. */
static inline const char *vp_na_text(const struct vp_na *na)
{
	return vp_na_is(na) ? na->detail : NULL;
}
/* The cause an errno (either sign) names: absent (ENOENT, ENOTSUP, ENODEV), not allowed (EPERM,
 * EACCES), else other. */
enum vp_na_code vp_na_code_of_errno(int err);

#endif
