/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The session JSON (schema virtprof-session/1) described once: every member name the document
 * has outside the load section's own schema (virtprof-load/1, docs/load.md) and the I/O
 * sections' rows, with its JSON types and its unit.  The writer (report/session_report.c) and the
 * readers (doc.c, diff.c, html.c) spell a member only as SK(name), which does not compile for
 * a name that is not described here; tests/unit/test_schema.c holds this list and
 * docs/session.schema.json to the same names and types.
 *
 * Units: ns, us, ms, s; us/req (CPU microseconds per completed request), X/req (per request);
 * % (of the host: every CPU over the window, unless the table says otherwise); count; bytes;
 * "" for a name, a flag or a container (not a quantity).
 * A table (an array of row objects, out/table.h) has two companions: "<table>_notes" (an array
 * of strings) and "<table>_decimals" (the text's precision of each number column).
 */
#ifndef VP_REPORT_SCHEMA_H
#define VP_REPORT_SCHEMA_H

/* The JSON types a member may have; "number" (SKT_NUM) includes integers. */
enum skt {
	SKT_NULL = 1 << 0,
	SKT_BOOL = 1 << 1,
	SKT_INT = 1 << 2,
	SKT_NUM = 1 << 3,
	SKT_STR = 1 << 4,
	SKT_ARR = 1 << 5,
	SKT_OBJ = 1 << 6,
};

/* X(name, types, unit) */
#define SESSION_KEYS(X)                                              \
	X(a, SKT_STR, "")                                            \
	X(a_us_per_req, SKT_NUM, "us/req")                           \
	X(accounting, SKT_STR, "")                                   \
	X(accounting_mode, SKT_ARR, "")                              \
	X(after, SKT_OBJ, "")                                        \
	X(agreement, SKT_NULL | SKT_STR, "")                         \
	X(b, SKT_STR, "")                                            \
	X(b_us_per_req, SKT_NUM, "us/req")                           \
	X(baseline_pct, SKT_NULL | SKT_NUM, "%")                     \
	X(baselines, SKT_ARR, "")                                    \
	X(before, SKT_OBJ, "")                                       \
	X(before_pct, SKT_NULL | SKT_NUM, "%")                       \
	X(block, SKT_ARR, "")                                        \
	X(block_us, SKT_NULL | SKT_NUM, "us")                        \
	X(bpf_flavour, SKT_STR, "")                                  \
	X(bpf_ns, SKT_NULL | SKT_INT, "ns")                          \
	X(bpf_programs, SKT_ARR, "")                                 \
	X(breakdown, SKT_ARR, "")                                    \
	X(bridge_us, SKT_NULL | SKT_NUM, "us/req")                   \
	X(busy_ns, SKT_INT, "ns")                                    \
	X(category, SKT_STR, "")                                     \
	X(cgroup, SKT_NULL | SKT_STR, "")                            \
	X(cgroup_ids, SKT_INT, "count")                              \
	X(command, SKT_STR, "")                                      \
	X(comparison, SKT_ARR, "")                                   \
	X(context, SKT_STR, "")                                      \
	X(corrected, SKT_OBJ, "")                                    \
	X(count, SKT_INT, "count")                                   \
	X(coverage_pct, SKT_NULL | SKT_NUM, "%")                     \
	X(cpu, SKT_OBJ, "")                                          \
	X(cpu_pct, SKT_NUM, "%")                                     \
	X(cpus, SKT_INT, "count")                                    \
	X(delta_us_per_req, SKT_NUM, "us/req")                       \
	X(diff_pct, SKT_NULL | SKT_NUM, "%")                         \
	X(disk, SKT_ARR, "")                                         \
	X(disk_check, SKT_ARR, "")                                   \
	X(disk_io_threads_us, SKT_NULL | SKT_NUM, "us/req")          \
	X(disk_softirq_us, SKT_NULL | SKT_NUM, "us/req")             \
	X(disk_us, SKT_NULL | SKT_NUM, "us/req")                     \
	X(drops, SKT_ARR, "")                                        \
	X(elapsed_s, SKT_NULL | SKT_NUM, "s")                        \
	X(emul_us, SKT_NULL | SKT_NUM, "us/req")                     \
	X(entities, SKT_ARR, "")                                     \
	X(entity, SKT_STR, "")                                       \
	X(error, SKT_NULL | SKT_STR, "")                             \
	X(errors, SKT_NULL | SKT_INT, "count")                       \
	X(events, SKT_INT, "count")                                  \
	X(exit_status, SKT_NULL | SKT_INT, "status")                 \
	X(exit_folded, SKT_ARR, "")                                  \
	X(exit_reason, SKT_NULL | SKT_STR, "")                       \
	X(exit_samples, SKT_NULL | SKT_INT, "count")                 \
	X(exits_us, SKT_NULL | SKT_NUM, "us/req")                    \
	X(folded, SKT_ARR, "")                                       \
	X(freq_hz, SKT_NULL | SKT_INT, "Hz")                         \
	X(function, SKT_STR, "")                                     \
	X(gone_after_s, SKT_NULL | SKT_NUM, "s")                     \
	X(guest_ns, SKT_NULL | SKT_INT, "ns")                        \
	X(hardirq_ns, SKT_NULL | SKT_INT, "ns")                      \
	X(hardirq_pct, SKT_NULL | SKT_NUM, "%")                      \
	X(helper_cgroup, SKT_NULL | SKT_STR, "")                     \
	X(histogram, SKT_OBJ, "")                                    \
	X(hi_us, SKT_NULL | SKT_NUM, "us")                           \
	X(host_busy_pct, SKT_NULL | SKT_NUM, "%")                    \
	X(host_pct, SKT_NULL | SKT_NUM, "%")                         \
	X(hrtimer_us, SKT_NULL | SKT_NUM, "us")                      \
	X(hz, SKT_NULL | SKT_INT, "Hz")                              \
	X(id, SKT_NULL | SKT_STR, "")                                \
	X(idle_ns, SKT_INT, "ns")                                    \
	X(idle_pct, SKT_NULL | SKT_NUM, "%")                         \
	X(incl_pct, SKT_NULL | SKT_NUM, "%")                         \
	X(interrupted, SKT_BOOL, "")                                 \
	X(interval_s, SKT_NUM, "s")                                  \
	X(io, SKT_NULL | SKT_OBJ, "")                                \
	X(io_us, SKT_NULL | SKT_NUM, "us/req")                       \
	X(irq_poll_us, SKT_NULL | SKT_NUM, "us")                     \
	X(irq_time_accounting, SKT_NULL | SKT_STR, "")               \
	X(isolation, SKT_NULL | SKT_STR | SKT_ARR, "")               \
	X(ivcsw, SKT_NULL | SKT_INT, "count")                        \
	X(kernel, SKT_STR, "")                                       \
	X(kernel_check, SKT_ARR, "")                                 \
	X(kernel_ms, SKT_NULL | SKT_NUM, "ms")                       \
	X(kernel_ns, SKT_NULL | SKT_INT, "ns")                       \
	X(kernel_read_bytes, SKT_NULL | SKT_INT, "bytes")            \
	X(kernel_read_ops, SKT_NULL | SKT_INT, "count")              \
	X(kernel_write_bytes, SKT_NULL | SKT_INT, "bytes")           \
	X(kernel_write_ops, SKT_NULL | SKT_INT, "count")             \
	X(killed, SKT_BOOL, "")                                      \
	X(killed_by, SKT_NULL | SKT_STR, "")                         \
	X(kind, SKT_STR, "")                                         \
	X(kvm, SKT_ARR, "")                                          \
	X(kvm_devices, SKT_ARR, "")                                  \
	X(kvm_exits, SKT_ARR, "")                                    \
	X(kvm_guest_functions, SKT_ARR, "")                          \
	X(kvm_guest_functions_time, SKT_ARR, "")                     \
	X(kvm_exit_profile, SKT_ARR, "")                             \
	X(kvm_halt_poll, SKT_ARR, "")                                \
	X(kvm_tracepoints, SKT_STR, "")                              \
	X(kvm_us, SKT_NULL | SKT_NUM, "us/req")                      \
	X(label, SKT_STR, "")                                        \
	X(lat_avg_us, SKT_NULL | SKT_NUM, "us")                      \
	X(lat_p50_us, SKT_NULL | SKT_NUM, "us")                      \
	X(lat_p99_us, SKT_NULL | SKT_NUM, "us")                      \
	X(latency, SKT_OBJ, "")                                      \
	X(latency_ms, SKT_OBJ, "ms")                                 \
	X(layout, SKT_NULL | SKT_STR, "")                            \
	X(leftovers_killed, SKT_NULL | SKT_INT, "count")             \
	X(load, SKT_NULL | SKT_OBJ, "")                              \
	X(load_cmd, SKT_NULL | SKT_OBJ, "")                          \
	X(loaded, SKT_STR, "")                                       \
	X(loadgen_bound, SKT_NULL | SKT_STR, "")                     \
	X(loadgen_busy_pct, SKT_NULL | SKT_NUM, "%")                 \
	X(loadgen_pct, SKT_NULL | SKT_NUM, "%")                      \
	X(loadgen_rq_pct, SKT_NULL | SKT_NUM, "%")                   \
	X(loadgen_us, SKT_NULL | SKT_NUM, "us/req")                  \
	X(lost, SKT_NULL | SKT_INT, "count")                         \
	X(max, SKT_NULL | SKT_NUM, "ms")                             \
	X(max_us, SKT_NULL | SKT_NUM, "us")                          \
	X(mean, SKT_NULL | SKT_NUM, "ms")                            \
	X(mean_ms, SKT_NULL | SKT_NUM, "ms")                         \
	X(mean_us, SKT_NULL | SKT_NUM, "us")                         \
	X(measured_s, SKT_NULL | SKT_NUM, "s")                       \
	X(min, SKT_NULL | SKT_NUM, "ms")                             \
	X(min_us, SKT_NULL | SKT_NUM, "us")                          \
	X(mono_ns, SKT_INT, "ns")                                    \
	X(net_devices, SKT_ARR, "")                                  \
	X(net_paths, SKT_ARR, "")                                    \
	X(net_rx_us, SKT_NULL | SKT_NUM, "us")                       \
	X(net_softirq_ns, SKT_NULL | SKT_INT, "ns")                  \
	X(net_tx_us, SKT_NULL | SKT_NUM, "us")                       \
	X(network_available, SKT_BOOL, "")                           \
	X(network_paths, SKT_ARR, "")                                \
	X(network_reason, SKT_NULL | SKT_STR, "")                    \
	X(ns, SKT_NULL | SKT_INT, "ns")                              \
	X(ns_per_event, SKT_NULL | SKT_NUM, "ns")                    \
	X(other_ops_per_req, SKT_NULL | SKT_NUM, "other/req")        \
	X(other_us, SKT_NULL | SKT_NUM, "us/req")                    \
	X(overhead, SKT_ARR, "")                                     \
	X(overhead_ns, SKT_NULL | SKT_INT, "ns")                     \
	X(overhead_pct, SKT_NULL | SKT_NUM, "%")                     \
	X(overhead_us, SKT_NULL | SKT_NUM, "us/req")                 \
	X(overhead_us_per_req, SKT_NULL | SKT_NUM, "us/req")         \
	X(own_pct, SKT_NULL | SKT_NUM, "%")                          \
	X(own_us, SKT_NULL | SKT_NUM, "us/req")                      \
	X(owner, SKT_STR, "")                                        \
	X(p50, SKT_NULL | SKT_NUM, "ms")                             \
	X(p50_ms, SKT_NULL | SKT_NUM, "ms")                          \
	X(p50_us, SKT_NULL | SKT_NUM, "us")                          \
	X(p90, SKT_NULL | SKT_NUM, "ms")                             \
	X(p90_us, SKT_NULL | SKT_NUM, "us")                          \
	X(p95, SKT_NULL | SKT_NUM, "ms")                             \
	X(p99, SKT_NULL | SKT_NUM, "ms")                             \
	X(p99_9_us, SKT_NULL | SKT_NUM, "us")                        \
	X(p99_ms, SKT_NULL | SKT_NUM, "ms")                          \
	X(p99_us, SKT_NULL | SKT_NUM, "us")                          \
	X(packets_per_req, SKT_NULL | SKT_NUM, "packets/req")        \
	X(part, SKT_STR, "")                                         \
	X(part_samples, SKT_NULL | SKT_INT, "count")                 \
	X(path_us, SKT_NULL | SKT_NUM, "us/req")                     \
	X(pid, SKT_INT, "")                                          \
	X(pod_overhead, SKT_ARR, "")                                 \
	X(proc_ns, SKT_NULL | SKT_INT, "ns")                         \
	X(proc_us, SKT_NULL | SKT_NUM, "us/req")                     \
	X(program, SKT_STR, "")                                      \
	X(ran, SKT_BOOL, "")                                         \
	X(rcu_us, SKT_NULL | SKT_NUM, "us")                          \
	X(read_bytes, SKT_NULL | SKT_INT, "bytes")                   \
	X(read_bytes_per_req, SKT_NULL | SKT_NUM, "read/req")        \
	X(read_diff_pct, SKT_NULL | SKT_NUM, "%")                    \
	X(read_ms, SKT_NUM, "ms")                                    \
	X(read_ops, SKT_NULL | SKT_INT, "count")                     \
	X(read_ops_diff_pct, SKT_NULL | SKT_NUM, "%")                \
	X(read_ops_per_req, SKT_NULL | SKT_NUM, "ops/req")           \
	X(real_ns, SKT_INT, "ns")                                    \
	X(reason, SKT_NULL | SKT_STR, "")                            \
	X(req_per_s, SKT_NULL | SKT_NUM, "s")                        \
	X(requests, SKT_NULL | SKT_INT, "count")                     \
	X(requests_from, SKT_NULL | SKT_OBJ, "")                     \
	X(requests_reason, SKT_NULL | SKT_STR, "")                   \
	X(requests_source, SKT_NULL | SKT_STR, "")                   \
	X(role, SKT_STR, "")                                         \
	X(roles, SKT_NULL | SKT_STR, "")                             \
	X(rq_delay_avg_us, SKT_NULL | SKT_NUM, "us")                 \
	X(rq_delay_max_us, SKT_NULL | SKT_NUM, "us")                 \
	X(run_ns, SKT_INT, "ns")                                     \
	X(runtime, SKT_NULL | SKT_STR, "")                           \
	X(runtime_us, SKT_NULL | SKT_NUM, "us/req")                  \
	X(samples, SKT_NULL | SKT_INT, "count")                      \
	X(sched_us, SKT_NULL | SKT_NUM, "us")                        \
	X(schema, SKT_STR, "")                                       \
	X(sec, SKT_INT, "s")                                         \
	X(self_pct, SKT_NULL | SKT_NUM, "%")                         \
	X(self_samples, SKT_NULL | SKT_INT, "count")                 \
	X(series, SKT_NULL | SKT_STR, "")                            \
	X(settle_s, SKT_NULL | SKT_NUM, "s")                         \
	X(settled, SKT_NULL | SKT_BOOL, "")                          \
	X(signal, SKT_NULL | SKT_INT, "")                            \
	X(skip_reason, SKT_NULL | SKT_STR, "")                       \
	X(skipped, SKT_BOOL, "")                                     \
	X(softirq, SKT_ARR, "")                                      \
	X(softirq_ns, SKT_NULL | SKT_INT, "ns")                      \
	X(softirq_pct, SKT_NULL | SKT_NUM, "%")                      \
	X(softirq_us, SKT_NULL | SKT_NUM, "us/req")                  \
	X(source, SKT_NULL | SKT_STR, "")                            \
	X(span_ns, SKT_INT, "ns")                                    \
	X(stack, SKT_STR, "")                                        \
	X(stacks, SKT_NULL | SKT_OBJ, "")                            \
	X(status, SKT_STR, "")                                       \
	X(stddev, SKT_NULL | SKT_NUM, "ms")                          \
	X(stddev_ms, SKT_NULL | SKT_NUM, "ms")                       \
	X(stddev_us, SKT_NULL | SKT_NUM, "us")                       \
	X(steal_ns, SKT_INT, "ns")                                   \
	X(step, SKT_STR, "")                                         \
	X(step_pct, SKT_NULL | SKT_NUM, "%")                         \
	X(steps, SKT_ARR, "")                                        \
	X(t_end_s, SKT_NUM, "s")                                     \
	X(t_s, SKT_NUM, "s")                                         \
	X(t_start_s, SKT_NUM, "s")                                   \
	X(target, SKT_NULL | SKT_STR, "")                            \
	X(target_lost, SKT_BOOL, "")                                 \
	X(target_lost_at_s, SKT_NULL | SKT_NUM, "s")                 \
	X(target_pct, SKT_NULL | SKT_NUM, "%")                       \
	X(targets, SKT_ARR, "")                                      \
	X(task_ns, SKT_NULL | SKT_INT, "ns")                         \
	X(task_pct, SKT_NULL | SKT_NUM, "%")                         \
	X(tasklet_us, SKT_NULL | SKT_NUM, "us")                      \
	X(testbed, SKT_NULL | SKT_STR, "")                           \
	X(threads, SKT_INT, "count")                                 \
	X(timeline, SKT_ARR, "")                                     \
	X(timer_us, SKT_NULL | SKT_NUM, "us")                        \
	X(tool, SKT_STR, "")                                         \
	X(total_ns, SKT_NULL | SKT_INT, "ns")                        \
	X(total_pct, SKT_NULL | SKT_NUM, "%")                        \
	X(totals, SKT_OBJ, "")                                       \
	X(truncated, SKT_NULL | SKT_INT, "count")                    \
	X(uncorrected, SKT_OBJ, "")                                  \
	X(unknown_us, SKT_NULL | SKT_NUM, "us/req")                  \
	X(url, SKT_STR, "")                                          \
	X(us_per_req, SKT_NULL | SKT_NUM, "us/req")                  \
	X(users, SKT_NULL | SKT_INT, "count")                        \
	X(value, SKT_NULL | SKT_INT, "count")                        \
	X(vcpu_ns, SKT_NULL | SKT_INT, "ns")                         \
	X(vcpu_pct, SKT_NULL | SKT_NUM, "%")                         \
	X(vcsw, SKT_NULL | SKT_INT, "count")                         \
	X(vhost, SKT_STR, "")                                        \
	X(vhost_us, SKT_NULL | SKT_NUM, "us/req")                    \
	X(virt_us, SKT_NULL | SKT_NUM, "us/req")                     \
	X(virtprof_ms, SKT_NUM, "ms")                                \
	X(virtprof_ns, SKT_INT, "ns")                                \
	X(warmup, SKT_BOOL, "")                                      \
	X(where, SKT_ARR, "")                                        \
	X(where_diff, SKT_ARR, "")                                   \
	X(where_steps, SKT_ARR, "")                                  \
	X(workload, SKT_NULL | SKT_STR, "")                          \
	X(write_bytes, SKT_NULL | SKT_INT, "bytes")                  \
	X(write_bytes_per_req, SKT_NULL | SKT_NUM, "write/req")      \
	X(write_diff_pct, SKT_NULL | SKT_NUM, "%")                   \
	X(write_meta_bytes_per_req, SKT_NULL | SKT_NUM, "write/req") \
	X(write_ops, SKT_NULL | SKT_INT, "count")                    \
	X(write_ops_diff_pct, SKT_NULL | SKT_NUM, "%")               \
	X(write_ops_per_req, SKT_NULL | SKT_NUM, "write/req")        \
	X(writeback_bytes, SKT_NULL | SKT_INT, "bytes")

enum session_key {
#define SK_ENUM(name, types, unit) SKI_##name,
	SESSION_KEYS(SK_ENUM)
#undef SK_ENUM
		SK_N
};

/* The member name, as a constant a static table may hold; an undescribed name does not compile. */
#define SK(name) (#name + 0 * SKI_##name)

#define SK_NOTES_SUFFIX "_notes"
#define SK_DECIMALS_SUFFIX "_decimals"

struct session_key_desc {
	const char *name;
	unsigned types; /* enum skt */
	const char *unit;
};
extern const struct session_key_desc session_keys[SK_N];

/* The description of member name, or NULL. */
const struct session_key_desc *session_key_find(const char *name);

#endif
