/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How the I/O sections name the owner of what they counted without knowing attribution: the
 * session passes a lookup of verdicts and targets it already has (it never classifies while
 * the sections collect or render).  The one way io/ finds an owner: block rows (thread, blkcg),
 * KVM rows (vCPU thread) and network devices (a tap's holder, a veth end's netns) alike.
 */
#ifndef VP_IO_OWNER_H
#define VP_IO_OWNER_H

#include <stddef.h>
#include <stdint.h>

/*
 * What an owner is asked for; a field left 0 is not part of the question.  A thread always has
 * an owner ("other" at least); a cgroup, a process or a netns has one only when it is a target's.
 */
struct io_owner_key {
	uint32_t tid;	/* a thread: its verdict */
	uint64_t cgid;	/* a bio's blkcg cgroup: the target holding it, before tid's verdict */
	uint32_t tgid;	/* a process (the qemu holding a tap): the target it is */
	uint64_t netns; /* a network namespace (inode): the container living in it -- a VM's
			 * netns is only where its VMM runs, a VM is reached by its tap (tgid) */
};

/*
 * Entity and role of the owner (empty strings when none; entity/role may be NULL with length
 * 0); returns the owner's target index in the session's target table, -1 when it is none.
 */
typedef int (*io_owner_fn)(void *ctx, const struct io_owner_key *k, char *entity, size_t elen,
			   char *role, size_t rlen);
/* Called for every thread id the sections' current deltas name. */
typedef void (*io_tid_fn)(void *ctx, uint32_t tid);

#endif
