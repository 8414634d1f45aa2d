/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O tables: network devices and paths, block I/O, and the parts that did not load, from
 * the typed rows io/ hands out (struct io_view); KVM through io/kvmexit.c and session/exits.c.  One
 * path for text, JSON and CSV (out/table.h).
 */
#ifndef VP_REPORT_IO_H
#define VP_REPORT_IO_H

#include "io/iosec.h"

struct capture;
struct out;
struct sess_step;

/* Tables net_devices and net_paths. */
void report_io_net(const struct net_view *v, struct out *o);
/* Table block; rates over interval_s (n/a when 0). */
void report_io_block(const struct block_view *v, double interval_s, struct out *o);
/* net_devices + net_paths, block, each part asked for that did not load as "not available". */
void report_io_view(const struct io_view *v, struct out *o);
/* Every I/O table of the interval just captured (top): the above, then KVM and its exits. */
void report_io(struct capture *s, double interval_s, struct out *o);
/* A step's I/O tables, kept when the step ended; report_io_step_has: whether there are any. */
bool report_io_step_has(const struct sess_step *st);
void report_io_step(const struct sess_step *st, struct out *o);

#endif
