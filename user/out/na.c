// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "out/na.h"

void vp_na_set(struct vp_na *na, enum vp_na_code code, const char *fmt, ...)
{
	va_list ap;
	int n;

	na->code = code == VP_NA_NONE ? VP_NA_OTHER : code;
	va_start(ap, fmt);
	n = vsnprintf(na->detail, sizeof(na->detail), fmt, ap);
	va_end(ap);
	if (n < 0) {
		na->detail[0] = '\0';
	} else if ((size_t)n >= sizeof(na->detail)) {
		/* cut before a character the limit split, so JSON gets no half of one */
		size_t end = sizeof(na->detail) - 1, lead = end;
		unsigned char c;

		while (lead > 0 && ((unsigned char)na->detail[lead - 1] & 0xc0) == 0x80)
			lead--;
		if (lead > 0 && ((c = (unsigned char)na->detail[lead - 1]) & 0xc0) == 0xc0 &&
		    lead - 1 +
				    (c >= 0xf0 ? 4 :
				     c >= 0xe0 ? 3 :
						 2) >
			    end)
			na->detail[lead - 1] = '\0';
	}
}

void vp_na_clear(struct vp_na *na)
{
	na->code = VP_NA_NONE;
	na->detail[0] = '\0';
}

enum vp_na_code vp_na_code_of_errno(int err)
{
	switch (err < 0 ? -err : err) {
	case ENOENT:
	case ENOTSUP:
	case ENODEV:
		return VP_NA_KERNEL;
	case EPERM:
	case EACCES:
		return VP_NA_PERMISSION;
	default:
		return VP_NA_OTHER;
	}
}
