// SPDX-License-Identifier: GPL-2.0
/*
 * Output files (sys/util.c, docs/security.md): created exclusively under an unpredictable name,
 * renamed over the target, never written through a symbolic link; folders reached through
 * another user's link refused.  Real files in a scratch folder; the cases that need a second
 * user (a link owned by uid 65534) run only as root and are skipped otherwise.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "sys/util.h"

#define VICTIM "victim bytes\n"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vp-sec-unit.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return chmod(dir, 01777); /* world-writable and sticky, like /tmp */
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static void path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static void make_victim(char *path, size_t len)
{
	FILE *f;

	path_of(path, len, "victim");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(VICTIM, f);
	fclose(f);
}

static void assert_victim(const char *path)
{
	size_t len = 0;
	char *s = read_file(path, &len);

	assert_non_null(s);
	assert_string_equal(s, VICTIM);
	free(s);
}

/* Entries of the scratch folder, but for `keep1` and `keep2`: none may be left. */
static int strays(const char *keep1, const char *keep2)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, keep1) && (!keep2 || strcmp(de->d_name, keep2)))
			n++;
	closedir(d);
	return n;
}

static void test_new_file(void **state)
{
	char p[128];
	struct stat st;
	mode_t old = umask(027);
	size_t len;
	char *s;

	(void)state;
	path_of(p, sizeof(p), "out.json");
	assert_int_equal(write_file_atomic(p, "{}\n", 3), 0);
	umask(old);
	s = read_file(p, &len);
	assert_non_null(s);
	assert_string_equal(s, "{}\n");
	free(s);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0640); /* 0644 less the umask */
	assert_int_equal(strays("out.json", NULL), 0);
	unlink(p);
}

/* A link planted at the target is replaced by the file; what it points to is untouched. */
static void test_target_link_replaced(void **state)
{
	char p[128], v[128];
	struct stat st;

	(void)state;
	make_victim(v, sizeof(v));
	path_of(p, sizeof(p), "out.html");
	assert_int_equal(symlink(v, p), 0);
	assert_int_equal(write_file_atomic(p, "<html>\n", 7), 0);
	assert_victim(v);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(strays("out.html", "victim"), 0);
	unlink(p);
	unlink(v);
}

/* Links at every name the old scheme used (<path>.tmp.<pid>) are neither followed nor removed. */
static void test_planted_tmp_links(void **state)
{
	char p[128], v[128], l[160];
	pid_t me = getpid();
	int planted = 0;

	(void)state;
	make_victim(v, sizeof(v));
	path_of(p, sizeof(p), "out.csv");
	for (pid_t q = me > 200 ? me - 200 : 1; q < me + 200; q++, planted++) {
		snprintf(l, sizeof(l), "%s.tmp.%d", p, (int)q);
		assert_int_equal(symlink(v, l), 0);
	}
	assert_int_equal(write_file_atomic(p, "a,b\n", 4), 0);
	assert_victim(v);
	/* the links are still there: nothing but the target was created or removed */
	assert_int_equal(strays("out.csv", "victim"), planted);
}

static void test_bad_names(void **state)
{
	char p[128];
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	(void)state;
	assert_true(dfd >= 0);
	assert_int_equal(write_file_atomic_at(dfd, "a/b", "x", 1), -EINVAL);
	assert_int_equal(write_file_atomic_at(dfd, "..", "x", 1), -EINVAL);
	assert_int_equal(write_file_atomic_at(dfd, "", "x", 1), -EINVAL);
	close(dfd);
	assert_int_equal(write_file_atomic(dir, "x", 1), -EISDIR);
	path_of(p, sizeof(p), "sub/");
	assert_int_equal(write_file_atomic(p, "x", 1), -EISDIR);
	assert_int_equal(vp_out_check(dir, false), -EISDIR);
	assert_int_equal(vp_out_check(dir, true), 0);
	assert_int_equal(vp_out_check("/nonexistent-vp-sec/x.json", false), -ENOENT);
	assert_int_equal(strays("-", NULL), 0);
}

/* A folder through a link: followed when it is ours, refused when another user planted it. */
static void test_folder_links(void **state)
{
	char real[128], mine[128], theirs[128], p[192], grp[128], inner[192];
	int fd, err;

	(void)state;
	path_of(real, sizeof(real), "real");
	path_of(mine, sizeof(mine), "mine");
	path_of(theirs, sizeof(theirs), "theirs");
	assert_int_equal(mkdir(real, 0755), 0);
	assert_int_equal(symlink(real, mine), 0);
	fd = vp_dir_open(mine);
	assert_true(fd >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/timeline.csv", mine);
	assert_int_equal(write_file_atomic(p, "x\n", 2), 0);
	unlink(p);

	/* our own link, but in a folder others can write and not sticky: could be swapped */
	path_of(grp, sizeof(grp), "grp");
	assert_int_equal(mkdir(grp, 0777), 0);
	assert_int_equal(chmod(grp, 0777), 0);
	snprintf(inner, sizeof(inner), "%s/link", grp);
	assert_int_equal(symlink(real, inner), 0);
	err = vp_dir_open(inner);
	assert_int_equal(err, -ELOOP);
	assert_non_null(strstr(vp_file_error(err), "other users can write"));
	unlink(inner);
	rmdir(grp);

	if (geteuid() != 0) {
		rmdir(real);
		unlink(mine);
		skip(); /* needs a link owned by another user */
	}
	assert_int_equal(symlink(real, theirs), 0);
	assert_int_equal(lchown(theirs, 65534, 65534), 0);
	err = vp_dir_open(theirs);
	assert_int_equal(err, -ELOOP);
	assert_non_null(strstr(vp_file_error(err), "owned by uid 65534"));
	snprintf(p, sizeof(p), "%s/out.html", theirs);
	assert_int_equal(write_file_atomic(p, "x", 1), -ELOOP);
	assert_int_equal(vp_out_check(p, false), -ELOOP);
	assert_int_equal(vp_out_check(theirs, true), -ELOOP);
	snprintf(p, sizeof(p), "%s/out.html", real);
	assert_int_equal(access(p, F_OK), -1); /* nothing written where it pointed */
	unlink(theirs);
	unlink(mine);
	rmdir(real);
}

/*
 * The attacker of a folder others can write without the sticky bit: the moment the temporary
 * file appears, it is moved away and a link to the victim put in its place.  Either the swap
 * comes too late (the output is the regular file written) or the write fails; the victim keeps
 * its bytes either way.
 */
struct swapper {
	int ino;
	char v[128];
	int swapped;
};

static void *swap_thread(void *arg)
{
	struct swapper *sw = arg;
	char buf[4096], from[512], to[512];
	ssize_t n = read(sw->ino, buf, sizeof(buf));

	for (char *p = buf; n > 0 && p < buf + n;) {
		struct inotify_event *e = (struct inotify_event *)p;

		if (e->len && strstr(e->name, ".tmp.")) {
			snprintf(from, sizeof(from), "%s/%s", dir, e->name);
			snprintf(to, sizeof(to), "%s/moved-away", dir);
			if (!rename(from, to) && !symlink(sw->v, from))
				sw->swapped = 1;
			break;
		}
		p += sizeof(*e) + e->len;
	}
	return NULL;
}

static void test_swapped_tmp(void **state)
{
	size_t big = 64 << 20;
	char *buf = malloc(big), p[128], to[160];
	struct swapper sw = { 0 };
	struct stat st;
	pthread_t th;
	int err;

	(void)state;
	assert_non_null(buf);
	memset(buf, 'x', big);
	assert_int_equal(chmod(dir, 0777), 0);
	make_victim(sw.v, sizeof(sw.v));
	path_of(p, sizeof(p), "big.out");
	sw.ino = inotify_init1(IN_CLOEXEC);
	assert_true(sw.ino >= 0);
	assert_true(inotify_add_watch(sw.ino, dir, IN_CREATE) >= 0);
	assert_int_equal(pthread_create(&th, NULL, swap_thread, &sw), 0);
	err = write_file_atomic(p, buf, big);
	pthread_join(th, NULL);
	close(sw.ino);
	assert_victim(sw.v);
	if (err) {
		assert_int_equal(err, -EEXIST);
		assert_non_null(strstr(vp_file_error(err), "replaced"));
		assert_int_equal(lstat(p, &st), -1);
	} else {
		assert_int_equal(lstat(p, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal((size_t)st.st_size, big);
	}
	print_message("swap %s, write %s\n", sw.swapped ? "done" : "missed",
		      err ? "refused" : "kept its own file");
	assert_int_equal(chmod(dir, 01777), 0);
	snprintf(to, sizeof(to), "%s/moved-away", dir);
	unlink(to);
	unlink(p);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_link_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_planted_tmp_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_folder_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swapped_tmp, setup, teardown),
	};

	return cmocka_run_group_tests_name("outfile", tests, NULL, NULL);
}
