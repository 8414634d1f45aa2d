/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How the I/O sections name the owner of a thread or a cgroup without knowing attribution: the
 * session passes a lookup of verdicts it already made (it never classifies while rendering).
 */
#ifndef VP_IO_OWNER_H
#define VP_IO_OWNER_H

#include <stddef.h>
#include <stdint.h>

/* Entity and role of a thread id or of a cgroup id (0: none); empty strings when unknown. */
typedef void (*io_owner_fn)(void *ctx, uint32_t tid, uint64_t cgid, char *entity, size_t elen,
			    char *role, size_t rlen);
/* Called for every thread id the sections' current deltas name. */
typedef void (*io_tid_fn)(void *ctx, uint32_t tid);

#endif
