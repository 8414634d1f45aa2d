// SPDX-License-Identifier: GPL-2.0
/*
 * Root test of the block I/O section: O_DIRECT writes of known size to a loop device the test
 * creates, from a child process in a fresh cgroup; the bytes must match exactly and the owner must
 * be that cgroup.  On a hybrid layout the bio's blkcg comes from the hierarchy that has the blkio
 * (io) controller -- v1 /sys/fs/cgroup/blkio here -- so that is where the cgroup is created and
 * whose id is compared.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "io/block.h"
#include "harness.h"
#include "io/iosec.h"
#include "iotest.h"
#include "out/table.h"
#include "report/io.h"
#include "sys/util.h"

#define NWRITES 48
#define WSIZE (64 * 1024)

static int id;
static uint64_t want_cgid;

/* The lead's owner lookup, reduced to this test's one cgroup. */
static int owner(void *ctx, const struct io_owner_key *k, char *entity, size_t elen, char *role,
		 size_t rlen)
{
	(void)ctx;
	if (!k->cgid || k->cgid != want_cgid)
		return -1;
	snprintf(entity, elen, "ctr:blktest");
	snprintf(role, rlen, "app");
	return 0;
}

/* Directory under which a fresh cgroup gets its own blkcg; "" if none. */
static int blkio_root(char *root, size_t len, bool *v1)
{
	char *s = read_file("/proc/self/mounts", NULL);
	int ok = -1;

	if (!s)
		return -1;
	for (char *l = strtok(s, "\n"); l; l = strtok(NULL, "\n")) {
		char dev[64], mnt[256], type[32], opts[256];

		if (sscanf(l, "%63s %255s %31s %255s", dev, mnt, type, opts) != 4)
			continue;
		if (!strcmp(type, "cgroup") && strstr(opts, "blkio")) {
			snprintf(root, len, "%s", mnt);
			*v1 = true;
			ok = 0;
			break;
		}
		if (!strcmp(type, "cgroup2") && ok) {
			char p[300], *c;

			snprintf(p, sizeof(p), "%s/cgroup.controllers", mnt);
			c = read_file(p, NULL);
			if (c && strstr(c, "io")) {
				snprintf(root, len, "%s", mnt);
				*v1 = false;
				ok = 0;
			}
			free(c);
		}
	}
	free(s);
	return ok;
}

static int child_write(const char *cgdir, const char *dev)
{
	char p[512], pid[32];
	void *buf;
	int fd;

	snprintf(p, sizeof(p), "%s/cgroup.procs", cgdir);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	fd = open(p, O_WRONLY);
	if (fd < 0 || write(fd, pid, strlen(pid)) < 0) {
		perror("join cgroup");
		return 1;
	}
	close(fd);
	if (posix_memalign(&buf, 4096, WSIZE))
		return 1;
	memset(buf, 0xa5, WSIZE);
	fd = open(dev, O_WRONLY | O_DIRECT);
	if (fd < 0) {
		perror("open loop O_DIRECT");
		return 1;
	}
	for (int i = 0; i < NWRITES; i++)
		if (pwrite(fd, buf, WSIZE, (off_t)i * WSIZE) != WSIZE) {
			perror("pwrite");
			return 1;
		}
	close(fd);
	return 0;
}

static int test_odirect_cgroup(void)
{
	struct iosec_opts o = { .account_cpu_state_fd = -1, .block = true };
	char img[64], dev[64] = "", root[256], cgdir[320], name[32] = "";
	uint64_t bytes = 0, ops = 0, other_bytes = 0;
	struct iosec *io = NULL;
	struct blockio *b;
	struct stat st;
	unsigned int kdev;
	bool v1 = false, ok;
	int status, ret = 1, mark = iot_cleanup_mark();
	pid_t pid;

	if (geteuid() != 0)
		TEST_SKIP("needs root");
	if (!iot_have("losetup"))
		TEST_SKIP("losetup not installed");
	if (blkio_root(root, sizeof(root), &v1))
		TEST_SKIP("no cgroup hierarchy with the blkio/io controller");
	snprintf(img, sizeof(img), "/tmp/vpio-blk-%d.img", id);
	iot_on_exit("rm -f %s", img);
	if (!ASSERT_OK(iot_sh("truncate -s 16M %s", img), "image"))
		goto cleanup;
	{
		FILE *p;
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "losetup -f --show %s", img);
		p = popen(cmd, "r");
		ok = ASSERT_TRUE(p && fgets(dev, sizeof(dev), p), "losetup");
		if (p)
			pclose(p);
		if (!ok)
			goto cleanup;
		dev[strcspn(dev, "\n")] = 0;
	}
	iot_on_exit("losetup -d %s", dev);
	if (!ASSERT_TRUE(stat(dev, &st) == 0 && S_ISBLK(st.st_mode), "%s is a block device", dev))
		goto cleanup;
	kdev = major(st.st_rdev) << 20 | minor(st.st_rdev);
	snprintf(cgdir, sizeof(cgdir), "%s/vpio-blk-%d", root, id);
	if (!ASSERT_TRUE(mkdir(cgdir, 0755) == 0, "mkdir %s: %s", cgdir, strerror(errno)))
		goto cleanup;
	iot_on_exit("rmdir %s", cgdir);
	if (!ASSERT_TRUE(stat(cgdir, &st) == 0, "stat cgroup"))
		goto cleanup;

	if (!ASSERT_TRUE(iosec_open(&io, &o) == 0 && (b = iosec_block(io)),
			 "block section loads") ||
	    !ASSERT_OK(iosec_collect(io), "baseline"))
		goto cleanup;
	pid = fork();
	if (!ASSERT_GE(pid, 0, "fork"))
		goto cleanup;
	if (pid == 0)
		_exit(child_write(cgdir, dev));
	if (!ASSERT_TRUE(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
				 !WEXITSTATUS(status),
			 "writer ok"))
		goto cleanup;
	iot_sleep_ms(100);
	if (!ASSERT_OK(iosec_collect(io), "collect"))
		goto cleanup;
	for (int i = 0; i < b->n; i++) {
		const struct blk_row *r = &b->rows[i];

		if (r->key.dev != kdev || r->key.op != 1 || !r->delta.ops)
			continue;
		printf("  %s write: tid %u cgid %llu ops %llu bytes %llu avg %.1f us (%s)\n", dev,
		       r->key.tid, (unsigned long long)r->key.cgid,
		       (unsigned long long)r->delta.ops, (unsigned long long)r->delta.bytes,
		       r->delta.lat_ns / 1e3 / r->delta.ops, r->delta.comm);
		if (r->key.cgid == (uint64_t)st.st_ino && r->key.tid == (uint32_t)pid) {
			bytes += r->delta.bytes;
			ops += r->delta.ops;
		} else {
			other_bytes += r->delta.bytes;
		}
	}
	blockio_dev_name(kdev, name, sizeof(name));
	printf("  cgroup %s (%s, id %llu): %llu bytes in %llu ops; elsewhere %llu; dev name %s\n",
	       cgdir, v1 ? "v1 blkio" : "v2 io", (unsigned long long)st.st_ino,
	       (unsigned long long)bytes, (unsigned long long)ops, (unsigned long long)other_bytes,
	       name);
	if (!ASSERT_EQ(bytes, (uint64_t)NWRITES * WSIZE, "bytes from the cgroup") ||
	    !ASSERT_EQ(other_bytes, 0, "bytes elsewhere") ||
	    !ASSERT_TRUE(strncmp(name, "loop", 4) == 0, "device name %s", name))
		goto cleanup;
	{
		/* Rendered: the cgroup's entity owns exactly those bytes on that device. */
		char *buf = NULL, want[160];
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		struct block_view v;
		struct out o;

		if (!ASSERT_TRUE(f, "open_memstream"))
			goto cleanup;
		want_cgid = st.st_ino;
		out_init(&o, f, OUT_JSON, false);
		jw_obj_begin(&o.jw);
		blockio_view(b, owner, NULL, &v);
		report_io_block(&v, 1.0, &o);
		block_view_free(&v);
		jw_obj_end(&o.jw);
		fclose(f);
		snprintf(want, sizeof(want),
			 "\"entity\":\"ctr:blktest\",\"role\":\"app\","
			 "\"dev\":\"%s\",\"op\":\"write\",\"cgroup_id\":%llu,\"ops\":%d,"
			 "\"bytes\":%d",
			 name, (unsigned long long)st.st_ino, NWRITES, NWRITES * WSIZE);
		ok = ASSERT_TRUE(strstr(buf, want), "rendered JSON has %s:\n%s", want, buf);
		free(buf);
		if (!ok)
			goto cleanup;
	}
	ret = 0;
cleanup:
	iosec_destroy(io);
	iot_cleanup_to(mark);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct test_case tc[] = {
		{ "block_odirect_cgroup", test_odirect_cgroup },
	};

	iot_init();
	id = getpid() % 100000;
	return run_tests(tc, ARRAY_SIZE(tc), argc, argv);
}
