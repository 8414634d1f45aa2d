/* SPDX-License-Identifier: GPL-2.0 */
/* The built-in testbed's state as tables (virtprof testbed status): text or JSON, one path. */
#ifndef VP_REPORT_TESTBED_STATUS_H
#define VP_REPORT_TESTBED_STATUS_H

struct testbed_info;
struct out;

/* Tables testbed, targets, devices, container_cgroups. */
void report_testbed_status(const struct testbed_info *in, struct out *o);

#endif
