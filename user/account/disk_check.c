// SPDX-License-Identifier: GPL-2.0
/* The kernel's own block I/O figure per target (see disk_check.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account/disk_check.h"
#include "sys/cgroup.h"
#include "sys/procfs.h"
#include "sys/util.h"

int kdisk_parse_proc_io(const char *text, uint64_t *rd, uint64_t *wr)
{
	const char *r = text ? strstr(text, "\nread_bytes: ") : NULL;
	const char *w = text ? strstr(text, "\nwrite_bytes: ") : NULL;

	if (!r || !w)
		return -EINVAL;
	*rd = strtoull(r + 13, NULL, 10);
	*wr = strtoull(w + 14, NULL, 10);
	return 0;
}

int kdisk_parse_blkio(const char *text, uint64_t *rd, uint64_t *wr)
{
	const char *p = text;
	bool seen = false;

	*rd = *wr = 0;
	if (!text)
		return -EINVAL;
	/* "254:0 Read 4096" per device and kind; "Total N" lines (per device and overall) skipped */
	while (*p) {
		unsigned int maj, min;
		char kind[16];
		uint64_t v;

		if (sscanf(p, "%u:%u %15s %" SCNu64, &maj, &min, kind, &v) == 4) {
			if (!strcmp(kind, "Read"))
				*rd += v;
			else if (!strcmp(kind, "Write"))
				*wr += v;
			seen = true;
		} else if (!strncmp(p, "Total ", 6)) {
			seen = true;
		}
		p += strcspn(p, "\n");
		if (*p)
			p++;
	}
	return seen ? 0 : -EINVAL;
}

static uint64_t kv(const char *line, size_t len, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = line; p && p < line + len; p = strchr(p, ' ')) {
		if (*p == ' ')
			p++;
		if (!strncmp(p, key, kl) && p[kl] == '=')
			return strtoull(p + kl + 1, NULL, 10);
	}
	return 0;
}

int kdisk_parse_iostat(const char *text, uint64_t *rd_bytes, uint64_t *wr_bytes, uint64_t *rd_ops,
		       uint64_t *wr_ops)
{
	const char *p = text;

	*rd_bytes = *wr_bytes = *rd_ops = *wr_ops = 0;
	if (!text)
		return -EINVAL;
	/* an empty io.stat is a cgroup that did no I/O yet: zeros */
	while (*p) {
		size_t len = strcspn(p, "\n");

		*rd_bytes += kv(p, len, "rbytes");
		*wr_bytes += kv(p, len, "wbytes");
		*rd_ops += kv(p, len, "rios");
		*wr_ops += kv(p, len, "wios");
		p += len;
		if (*p)
			p++;
	}
	return 0;
}

bool kdisk_cmdline_has_disk(const char *args, size_t len)
{
	static const char *const opts[] = { "-drive", "-blockdev", "-hda", "-hdb", "-hdc", "-hdd" };

	for (size_t off = 0; off < len; off += strnlen(args + off, len - off) + 1) {
		const char *a = args + off;

		/* "--drive" is qemu's spelling too */
		if (a[0] == '-' && a[1] == '-')
			a++;
		for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
			if (!strcmp(a, opts[i]))
				return true;
	}
	return false;
}

bool kdisk_vm_has_disk(pid_t pid)
{
	char path[64], *buf;
	size_t len = 0;
	bool has;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	buf = read_file(path, &len);
	has = buf && kdisk_cmdline_has_disk(buf, len);
	free(buf);
	return has;
}

static void read_process(const struct target *t, struct kdisk_reading *r)
{
	char path[64], *buf;

	snprintf(path, sizeof(path), "/proc/%d/io", (int)t->pid);
	buf = read_file(path, NULL);
	if (!kdisk_parse_proc_io(buf, &r->rd_bytes, &r->wr_bytes)) {
		r->ok = true;
		snprintf(r->source, sizeof(r->source), "/proc/<pid>/io");
	} else {
		vp_na_set(&r->na, VP_NA_OTHER, "%s: %s unreadable (%s)", t->entity, path,
			  buf ? "no read_bytes/write_bytes" : strerror(errno));
	}
	free(buf);
}

/* A pid in the target's cgroup: its own, else one listed in its v1 cpu or v2 directory. */
static pid_t cgroup_pid(const struct target *t)
{
	const struct cgroup_mounts *m = cgroup_mounts();
	char path[1024];
	pid_t pid = t->pid;

	if (!pid && t->cgroup_v1[0] && m->v1_cpu[0]) {
		snprintf(path, sizeof(path), "%s/%s", m->v1_cpu, t->cgroup_v1);
		if (cgroup_pids(path, &pid, 1) != 1)
			pid = 0;
	}
	if (!pid && t->cgroup_v2[0] && m->v2[0]) {
		snprintf(path, sizeof(path), "%s/%s", m->v2, t->cgroup_v2);
		if (cgroup_pids(path, &pid, 1) != 1)
			pid = 0;
	}
	return pid;
}

static void read_cgroup(const struct target *t, struct kdisk_reading *r)
{
	const struct cgroup_mounts *m = cgroup_mounts();
	char path[1200], rel[512], *buf;

	if (m->v1_blkio[0]) {
		/* the bio's blkcg is on the v1 blkio hierarchy: the task's own path there */
		pid_t pid = cgroup_pid(t);
		char pcg[64], *cg;
		uint64_t rb, wb;
		int err;

		snprintf(pcg, sizeof(pcg), "/proc/%d/cgroup", (int)pid);
		cg = pid ? read_file(pcg, NULL) : NULL;
		err = cg ? proc_parse_cgroup_ctrl(cg, "blkio", rel, sizeof(rel)) : -ENOENT;
		free(cg);
		if (err) {
			vp_na_set(&r->na, VP_NA_NO_TARGET, "%s: no blkio cgroup found (pid %d)",
				  t->entity, (int)pid);
			return;
		}
		snprintf(path, sizeof(path), "%s%s/blkio.throttle.io_service_bytes_recursive",
			 m->v1_blkio, rel);
		buf = read_file(path, NULL);
		err = kdisk_parse_blkio(buf, &rb, &wb);
		free(buf);
		if (err) {
			vp_na_set(&r->na, VP_NA_OTHER, "%s: %.100s unreadable", t->entity, path);
			return;
		}
		r->rd_bytes = rb;
		r->wr_bytes = wb;
		snprintf(path, sizeof(path), "%s%s/blkio.throttle.io_serviced_recursive",
			 m->v1_blkio, rel);
		buf = read_file(path, NULL);
		r->ops_known = !kdisk_parse_blkio(buf, &r->rd_ops, &r->wr_ops);
		free(buf);
		r->ok = true;
		snprintf(r->source, sizeof(r->source), "blkio.throttle");
		return;
	}
	if (t->cgroup_v2[0] && m->v2[0]) {
		snprintf(path, sizeof(path), "%s/%s/io.stat", m->v2, t->cgroup_v2);
		buf = read_file(path, NULL);
		if (buf &&
		    !kdisk_parse_iostat(buf, &r->rd_bytes, &r->wr_bytes, &r->rd_ops, &r->wr_ops)) {
			r->ok = r->ops_known = true;
			snprintf(r->source, sizeof(r->source), "io.stat");
		} else {
			vp_na_set(
				&r->na, VP_NA_KERNEL,
				"%s: no io.stat (the io controller is not enabled for its cgroup)",
				t->entity);
		}
		free(buf);
		return;
	}
	vp_na_set(&r->na, VP_NA_KERNEL, "%s: no blkio (v1) or io.stat (v2) for its cgroup",
		  t->entity);
}

void kdisk_read(const struct targets *ts, struct kdisk_reading *out)
{
	for (int i = 0; i < ts->n; i++) {
		const struct target *t = &ts->t[i];
		struct kdisk_reading *r = &out[i];

		memset(r, 0, sizeof(*r));
		if (t->gone)
			vp_na_set(&r->na, VP_NA_NO_TARGET, "%s is gone", t->entity);
		else if (t->kind == TARGET_VM)
			read_process(t, r);
		else
			read_cgroup(t, r);
	}
}

void kdisk_delta_set(struct kdisk_delta *d, const struct kdisk_reading *a,
		     const struct kdisk_reading *b, uint64_t rd_bytes, uint64_t wr_bytes,
		     uint64_t rd_ops, uint64_t wr_ops)
{
	memset(d, 0, sizeof(*d));
	d->rd_bytes = rd_bytes;
	d->wr_bytes = wr_bytes;
	d->rd_ops = rd_ops;
	d->wr_ops = wr_ops;
	if (!a->ok || !b->ok) {
		d->na = a->ok ? b->na : a->na;
		return;
	}
	snprintf(d->source, sizeof(d->source), "%s", b->source);
	d->ok = true;
	d->ops_known = a->ops_known && b->ops_known;
	d->k_rd_bytes = b->rd_bytes - a->rd_bytes;
	d->k_wr_bytes = b->wr_bytes - a->wr_bytes;
	d->k_rd_ops = b->rd_ops - a->rd_ops;
	d->k_wr_ops = b->wr_ops - a->wr_ops;
	/*
	 * Since Linux 6.10 blk-throttle is set up on a queue at its first rule, and v1 blkio counts
	 * a cgroup's bios only on such a queue: silence there is not "no I/O".
	 */
	if (!strcmp(d->source, "blkio.throttle") && !d->k_rd_bytes && !d->k_wr_bytes &&
	    rd_bytes + wr_bytes) {
		d->ok = false;
		vp_na_set(
			&d->na, VP_NA_KERNEL,
			"v1 blkio counted nothing: it counts a cgroup's bios only on a disk where "
			"some cgroup has a blkio.throttle rule (Linux 6.10+)");
	}
}

double kdisk_diff_pct(uint64_t ours, uint64_t kernel)
{
	if (!kernel)
		return ours ? 100.0 : 0.0;
	return ((double)ours - (double)kernel) * 100.0 / (double)kernel;
}

bool kdisk_flagged(uint64_t ours, uint64_t kernel)
{
	uint64_t d = ours > kernel ? ours - kernel : kernel - ours;

	return d > KDISK_FLOOR_BYTES && d * 100.0 > KDISK_FLAG_PCT * (double)kernel;
}

static uint64_t abs_diff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

enum kdisk_agreement kdisk_agreement_of(const struct kdisk_delta *d, const struct kdisk_inflight *f)
{
	bool rd = kdisk_flagged(d->rd_bytes, d->k_rd_bytes);
	bool wr = kdisk_flagged(d->wr_bytes, d->k_wr_bytes);

	if (!rd && !wr)
		return KDISK_AGREE;
	if ((rd && abs_diff(d->rd_bytes, d->k_rd_bytes) > f->rd) ||
	    (wr && abs_diff(d->wr_bytes, d->k_wr_bytes) > f->wr))
		return KDISK_DIFFERS;
	return KDISK_IN_FLIGHT;
}

struct kdisk_inflight kdisk_inflight(const struct kdisk_load *load, int i,
				     const struct kdisk_delta *d)
{
	if (!load || load->target != i || !load->requests)
		return (struct kdisk_inflight){ 0, 0 };
	return (struct kdisk_inflight){ .rd = load->users * (d->rd_bytes / load->requests),
					.wr = load->users * (d->wr_bytes / load->requests) };
}

const char *kdisk_agreement_name(enum kdisk_agreement a)
{
	static const char *const names[] = {
		[KDISK_AGREE] = "within 1%",
		[KDISK_IN_FLIGHT] = "in flight",
		[KDISK_DIFFERS] = "DIFFERS",
	};

	return a <= KDISK_DIFFERS ? names[a] : "DIFFERS";
}
