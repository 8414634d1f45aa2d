// SPDX-License-Identifier: GPL-2.0
/*
 * Stack profiles without the kernel: merging rows, the self / inclusive formula (recursion
 * counted once), folded files (names, line format) and the pprof encoding (protobuf fields,
 * labels, leaf-first locations).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "stack/intern.h"
#include "stack/output.h"
#include "stack/profile.h"
#include "stack/where.h"
#include "sys/util.h"

static struct intern names;

static const char *S(const char *s)
{
	return intern(&names, s, NULL);
}

static void fill(struct stack_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->on = true;
	p->hz = 99;
	assert_int_equal(stack_profile_add(p, "vm:a", "emul", 0, S("main;f;g"), 3), 0);
	assert_int_equal(stack_profile_add(p, "vm:a", "emul", 0, S("main;f;f;h_[k]"), 2), 0);
	assert_int_equal(stack_profile_add(p, "vm:a", "vcpu", 0, S("main;g"), 5), 0);
	/* the same (owner, context, stack) again: one row */
	assert_int_equal(stack_profile_add(p, "vm:a", "emul", 0, S("main;f;g"), 1), 0);
	p->samples = 11;
}

static bool emul(const struct stack_prow *r, void *ctx)
{
	(void)ctx;
	return !strcmp(r->role, "emul");
}

/* The stack buffers' growth: room for what is asked at once, never past INT_MAX. */
static void test_array_reserve(void **state)
{
	char *p = NULL, *q;
	int cap = 0;

	(void)state;
	p = array_reserve(p, &cap, 1, 1);
	assert_non_null(p);
	assert_int_equal(cap, 32);
	p = array_reserve(p, &cap, 1000, 1); /* one folded stack of 1000 bytes: 32 -> 1024 */
	assert_non_null(p);
	assert_int_equal(cap, 1024);
	memset(p, 'x', 1000);
	q = array_reserve(p, &cap, 1000, 1); /* room already: the same buffer */
	assert_ptr_equal(q, p);
	q = array_reserve(p, &cap, (size_t)INT_MAX + 1, 1); /* refused, the old one untouched */
	assert_null(q);
	assert_int_equal(cap, 1024);
	assert_int_equal(p[999], 'x');
	q = array_grow(p, &cap, 1024, 1); /* array_grow: room for element n */
	assert_non_null(q);
	assert_int_equal(cap, 2048);
	free(q);
}

static void test_where(void **state)
{
	struct stack_profile p;
	struct func_stats fs;
	const struct func_stat *f;

	(void)state;
	fill(&p);
	assert_int_equal(p.n, 3);
	assert_int_equal(stack_where(&p, emul, NULL, &fs), 0);
	assert_int_equal(fs.total, 6);
	f = func_stats_find(&fs, "f", false);
	assert_non_null(f);
	assert_int_equal(f->incl, 6); /* f;f counts once per stack */
	assert_int_equal(f->self, 0);
	f = func_stats_find(&fs, "g", false);
	assert_int_equal(f->self, 4);
	f = func_stats_find(&fs, "h", true); /* a kernel frame, shown without its suffix */
	assert_non_null(f);
	assert_int_equal(f->self, 2);
	assert_null(func_stats_find(&fs, "h", false));
	func_stats_sort(&fs);
	assert_string_equal(fs.f[0].name, "g");
	func_stats_free(&fs);
	stack_profile_free(&p);
}

static void test_merge(void **state)
{
	struct stack_profile a = { 0 }, b;

	(void)state;
	fill(&b);
	assert_int_equal(stack_profile_merge(&a, &b), 0);
	assert_int_equal(stack_profile_merge(&a, &b), 0);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.samples, 22);
	stack_profile_sort(&a);
	assert_string_equal(a.rows[0].role, "emul");
	assert_int_equal(a.rows[0].count, 8); /* largest first within an owner */
	stack_profile_free(&a);
	stack_profile_free(&b);
}

/*
 * The sampler empties its stack table every drain (an always-on top --stacks stays bounded): a
 * profile keeps its own copy of each stack, so rows outlive the table they came from, and the
 * same stack text from two drains (two tables, two pointers) is one row when merged.
 */
static void test_own_copy(void **state)
{
	struct stack_profile a = { 0 }, iv = { 0 };
	struct intern drain1, drain2;
	char text[64];

	(void)state;
	intern_init(&drain1);
	intern_init(&drain2);
	snprintf(text, sizeof(text), "main;serve;read_[k]");
	iv.on = true;
	assert_int_equal(
		stack_profile_add(&iv, "ctr:web", "app", 0, intern(&drain1, text, NULL), 4), 0);
	intern_free(&drain1); /* the next drain */
	memset(text, 'x', sizeof(text) - 1);
	assert_string_equal(iv.rows[0].stack, "main;serve;read_[k]");
	assert_int_equal(stack_profile_merge(&a, &iv), 0);
	stack_profile_free(&iv);
	assert_int_equal(stack_profile_add(&a, "ctr:web", "app", 0,
					   intern(&drain2, "main;serve;read_[k]", NULL), 1),
			 0);
	intern_free(&drain2);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.rows[0].count, 5);
	assert_string_equal(a.rows[0].stack, "main;serve;read_[k]");
	stack_profile_free(&a);
}

static void test_folded(void **state)
{
	char dir[] = "/tmp/vp-unit-folded.XXXXXX", path[256], line[256];
	struct stack_profile p;
	struct stack_source src;
	FILE *f;

	(void)state;
	fill(&p);
	src = (struct stack_source){ &p, "light", "vm:a" };
	assert_non_null(mkdtemp(dir));
	assert_int_equal(stack_write_folded(dir, &src, 1), 0);
	snprintf(path, sizeof(path), "%s/vm_a.vcpu.folded", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "vm:a;vcpu;task;main;g 5\n");
	fclose(f);
	unlink(path);
	snprintf(path, sizeof(path), "%s/vm_a.emul.folded", dir);
	assert_int_equal(unlink(path), 0);
	rmdir(dir);
	stack_profile_free(&p);
}

/* A varint at *p, advanced. */
static uint64_t varint(const uint8_t **p)
{
	uint64_t v = 0;
	int s = 0;

	while (**p & 0x80)
		v |= (uint64_t)(*(*p)++ & 0x7f) << (s += 7, s - 7);
	v |= (uint64_t)(*(*p)++) << s;
	return v;
}

static void test_pprof(void **state)
{
	struct stack_profile p;
	struct stack_source src;
	int nsample = 0, nfunc = 0, nloc = 0, nstr = 0;
	bool has_label_key = false, empty_first = false;
	const uint8_t *q, *end;
	size_t len;
	uint8_t *buf;

	(void)state;
	fill(&p);
	src = (struct stack_source){ &p, "light", "vm:a" };
	buf = stack_pprof_encode(&src, 1, NSEC_PER_SEC, &len);
	assert_non_null(buf);
	for (q = buf, end = buf + len; q < end;) {
		uint64_t key = varint(&q), field = key >> 3, l;

		if ((key & 7) == 0) {
			varint(&q);
			continue;
		}
		assert_int_equal(key & 7, 2);
		l = varint(&q);
		if (field == 2)
			nsample++;
		if (field == 4)
			nloc++;
		if (field == 5)
			nfunc++;
		if (field == 6) {
			if (!nstr++)
				empty_first = l == 0;
			if (l == 6 && !memcmp(q, "entity", 6))
				has_label_key = true;
		}
		q += l;
	}
	assert_true(q == end);
	assert_int_equal(nsample, 3);
	assert_int_equal(nfunc, 4); /* main, f, g, h */
	assert_int_equal(nloc, 4);
	assert_true(empty_first);
	assert_true(has_label_key);
	free(buf);
	stack_profile_free(&p);
}

/* An exit profile stack: guest function, exit reason, then the host's folded stack as it is. */
static void test_fold_exit(void **state)
{
	char buf[128], small[24];
	int n;

	(void)state;
	n = stack_fold_exit(buf, sizeof(buf), "write_port", "IO_INSTRUCTION",
			    "kvm_vcpu_thread_fn;ioctl;vmx_handle_exit");
	assert_string_equal(buf,
			    "[guest] write_port;[exit] IO_INSTRUCTION;kvm_vcpu_thread_fn;ioctl;"
			    "vmx_handle_exit");
	assert_int_equal(n, (int)strlen(buf));
	assert_int_equal(stack_exit_head(buf), strlen("[guest] write_port;[exit] IO_INSTRUCTION"));
	/* no host stack recorded: a frame that says so, never an empty one */
	stack_fold_exit(buf, sizeof(buf), "0xffffffff81000000", "#99", "");
	assert_string_equal(buf, "[guest] 0xffffffff81000000;[exit] #99;[no host stack]");
	/* a ';' in a name would make two frames */
	stack_fold_exit(buf, sizeof(buf), "a;b", "HLT", NULL);
	assert_string_equal(buf, "[guest] a_b;[exit] HLT;[no host stack]");
	/* too small: cut and terminated, the length it needs returned */
	n = stack_fold_exit(small, sizeof(small), "write_port", "IO_INSTRUCTION", "x;y");
	assert_int_equal(n, (int)strlen("[guest] write_port;[exit] IO_INSTRUCTION;x;y"));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	/* an ordinary stack has no head */
	assert_int_equal(stack_exit_head("main;f;g"), 0);
	assert_int_equal(stack_exit_head("[guest] f;g"), 0);
}

/* --exit-folded: one file, "entity;stack count" per row, every step's rows. */
static void test_exit_folded_file(void **state)
{
	char path[] = "/tmp/vp-unit-exitfolded.XXXXXX", *text;
	struct stack_profile a = { 0 }, b = { 0 };
	struct stack_source src[2];
	int fd;

	(void)state;
	assert_int_equal(stack_profile_add(&a, "vm:a", "vcpu", 0,
					   "[guest] write_port;[exit] IO_INSTRUCTION;ioctl;k", 4),
			 0);
	assert_int_equal(stack_profile_add(&b, "vm:a", "vcpu", 0, "[guest] f;[exit] HLT;k", 1), 0);
	src[0] = (struct stack_source){ &a, "s1", "vm:a" };
	src[1] = (struct stack_source){ &b, "s2", "vm:a" };
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(stack_write_exit_folded(path, src, 2), 0);
	text = read_file(path, NULL);
	assert_non_null(text);
	assert_string_equal(text, "vm:a;[guest] write_port;[exit] IO_INSTRUCTION;ioctl;k 4\n"
				  "vm:a;[guest] f;[exit] HLT;k 1\n");
	free(text);
	/* nothing sampled in an exit: an empty file, still written */
	assert_int_equal(stack_write_exit_folded(path, src, 0), 0);
	text = read_file(path, NULL);
	assert_non_null(text);
	assert_string_equal(text, "");
	free(text);
	unlink(path);
	stack_profile_free(&a);
	stack_profile_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_where),	  cmocka_unit_test(test_merge),
		cmocka_unit_test(test_folded),	  cmocka_unit_test(test_pprof),
		cmocka_unit_test(test_own_copy),  cmocka_unit_test(test_array_reserve),
		cmocka_unit_test(test_fold_exit), cmocka_unit_test(test_exit_folded_file),
	};
	int rc;

	intern_init(&names);
	rc = cmocka_run_group_tests_name("stacks", tests, NULL, NULL);
	intern_free(&names);
	return rc;
}
