/* SPDX-License-Identifier: GPL-2.0 */
/* Map helpers every virtprof BPF object uses. */
#ifndef VP_MAPS_BPF_H
#define VP_MAPS_BPF_H

#include <bpf/bpf_helpers.h>

/*
 * Count one event in a per-CPU array of u64 counters (drop reasons): per-CPU, so a plain add.
 * `map` is a compile-time constant in every caller (always_inline).
 */
static __always_inline void vp_count(void *map, __u32 key)
{
	__u64 *v = bpf_map_lookup_elem(map, &key);

	if (v)
		(*v)++;
}

#endif
