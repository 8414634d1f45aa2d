// SPDX-License-Identifier: GPL-2.0
/*
 * Exits by guest function and device: a guest kernel's symbol map (real /proc/kallsyms lines),
 * qemu's flat memory views (a real `info mtree -f` of the testbed VM, captured over QMP), and
 * which symbol file applies to a qemu command line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "account/qmp.h"
#include "session/exits.h"
#include "stack/symbolize.h"
#include "sys/util.h"

#define DATA "tests/unit/data/"

static void test_kallsyms(void **state)
{
	struct symbolizer *z = symbolizer_new();
	uint64_t lo, hi;
	char why[512];

	(void)state;
	assert_int_equal(sym_kernel_load(z, DATA "kallsyms-excerpt.txt", why, sizeof(why)), 0);
	/* inside acpi_os_write_port (0xffffffff81cb02a0 .. the next symbol) */
	assert_string_equal(sym_kernel_func(z, 0xffffffff81cb02a0ULL + 0x13), "acpi_os_write_port");
	assert_string_equal(sym_kernel_func(z, 0xffffffff81cb0000ULL), "acpi_os_read_port");
	assert_null(sym_kernel_func(z, 0xffffffff81000000ULL)); /* below every symbol */
	assert_true(sym_kernel_text(z, &lo, &hi));
	assert_true(lo <= 0xffffffff81cafe30ULL && hi > 0xffffffff81cb0630ULL);
	symbolizer_free(z);
}

static void test_not_a_map(void **state)
{
	char why[512], path[] = "/tmp/vp-unit-exits.XXXXXX";
	struct symbolizer *z = symbolizer_new();
	int fd;

	(void)state;
	/* missing */
	assert_int_equal(sym_kernel_load(z, "/nonexistent/System.map", why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "/nonexistent/System.map"));
	/* a text file that is no symbol map: qemu's memory tree */
	assert_int_equal(sym_kernel_load(z, DATA "mtree-f-testbed.txt", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "not a symbol map"));
	symbolizer_free(z);
	/* Debian's /boot/System.map stub, and kallsyms read without root (addresses all 0) */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	dprintf(fd, "ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg "
		    "package\n0000000000000000 T _stext\n0000000000000000 T write_port\n");
	close(fd);
	z = symbolizer_new();
	assert_int_equal(sym_kernel_load(z, path, why, sizeof(why)), -EINVAL);
	symbolizer_free(z);
	unlink(path);
	/* an ELF with a symbol table loads (this test binary) */
	z = symbolizer_new();
	assert_int_equal(sym_kernel_load(z, "/proc/self/exe", why, sizeof(why)), 0);
	symbolizer_free(z);
}

static void test_mtree(void **state)
{
	char *text = read_file(DATA "mtree-f-testbed.txt", NULL), name[96];
	const struct devmap_range *r;
	struct devmap m = { 0 };

	(void)state;
	assert_non_null(text);
	assert_true(devmap_parse_mtree(&m, text) > 20);
	r = devmap_find(&m, true, 0x80);
	assert_non_null(r);
	assert_string_equal(r->name, "ioport80");
	r = devmap_find(&m, true, 0x3fd);
	assert_non_null(r);
	assert_string_equal(r->name, "serial");
	r = devmap_find(&m, false, 0xfebff004ULL); /* a virtio queue notify */
	assert_non_null(r);
	devmap_name(r, name, sizeof(name));
	assert_string_equal(name, "virtio-net-pci notify");
	r = devmap_find(&m, false, 0xfebfc010ULL);
	assert_non_null(r);
	devmap_name(r, name, sizeof(name));
	assert_string_equal(name, "virtio-net-pci common");
	r = devmap_find(&m, true, 0xc010);
	assert_non_null(r);
	devmap_name(r, name, sizeof(name));
	assert_string_equal(name, "virtio-pci legacy I/O");
	r = devmap_find(&m, false, 0xfee00300ULL);
	assert_non_null(r);
	assert_string_equal(r->name, "apic-msi");
	/* the unclaimed rest of the I/O space, and RAM, are no device */
	assert_null(devmap_find(&m, true, 0x10));
	assert_null(devmap_find(&m, false, 0x100000));
	/* the memory view is "memory", not the SMM one: a port is not an address */
	assert_null(devmap_find(&m, false, 0x80));
	devmap_free(&m);
	free(text);
}

static void test_map_for(void **state)
{
	const char on[] = "qemu\0-kernel\0/boot/vmlinuz-6.1.0-57-amd64\0-append\0console=ttyS0 "
			  "nokaslr vp.ip=1.2.3.4/24\0";
	const char off[] = "qemu\0-kernel\0/boot/vmlinuz-6.1.0-57-amd64\0-append\0quiet\0";
	const char none[] = "qemu\0-hda\0disk.img\0";
	char map[512], why[512], dir[] = "/tmp/vp-unit-exits.XXXXXX", f[600], cmd[1024];
	size_t n;
	FILE *k;

	(void)state;
	assert_int_equal(exits_guest_map_for(on, sizeof(on), map, sizeof(map), why, sizeof(why)),
			 0);
	assert_string_equal(map, "/boot/System.map-6.1.0-57-amd64");
	assert_int_equal(exits_guest_map_for(off, sizeof(off), map, sizeof(map), why, sizeof(why)),
			 -ENOENT);
	assert_non_null(strstr(why, "KASLR"));
	assert_int_equal(exits_guest_map_for(none, sizeof(none), map, sizeof(map), why,
					     sizeof(why)),
			 -ENOENT);
	/* a testbed's extracted vmlinux: the `kernel` file beside it names the package's */
	assert_non_null(mkdtemp(dir));
	snprintf(f, sizeof(f), "%s/kernel", dir);
	k = fopen(f, "w");
	assert_non_null(k);
	fputs("/boot/vmlinuz-6.12.1-amd64\n", k);
	fclose(k);
	n = (size_t)snprintf(cmd, sizeof(cmd), "qemu%c-kernel%c%s/vmlinux%c-append%cnokaslr", 0, 0,
			     dir, 0, 0) +
	    1;
	assert_int_equal(exits_guest_map_for(cmd, n, map, sizeof(map), why, sizeof(why)), 0);
	assert_string_equal(map, "/boot/System.map-6.12.1-amd64");
	unlink(f);
	rmdir(dir);
}

/*
 * A sample inside an exit, named as the exits tables name it: the function from the VM's symbols
 * (--guest-symbols by name), an address outside their text never named, an unknown reason as #N.
 * The pids are above any live one here, so nothing of /proc applies.
 */
static void test_sample_stack(void **state)
{
	const uint64_t ip = 0xffffffff81cb02a0ULL + 0x13;
	char buf[256];

	(void)state;
	assert_int_equal(exits_guest_symbols_add("unit=" DATA "kallsyms-excerpt.txt"), 0);
	exits_sample_stack(4194303, "vm:unit", 1, 30, ip, "ioctl;vmx_handle_exit", buf,
			   sizeof(buf));
	assert_string_equal(
		buf, "[guest] acpi_os_write_port;[exit] IO_INSTRUCTION;ioctl;vmx_handle_exit");
	/* another kernel's addresses: outside the symbols' text, so an address */
	exits_sample_stack(4194303, "vm:unit", 2, 0x7b, ip - (1ULL << 32), "k", buf, sizeof(buf));
	assert_string_equal(buf, "[guest] 0xfffffffe81cb02b3;[exit] IOIO;k");
	exits_sample_stack(4194303, "vm:unit", 2, 0x999, 0, "k", buf, sizeof(buf));
	assert_string_equal(buf, "[guest] [guest ip unknown];[exit] #2457;k");
	exits_sample_stack(4194303, "vm:unit", 1, 12, 0x401000, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "[guest] [guest user space];[exit] HLT;[no host stack]");
	/* a VM with no symbols at all: addresses */
	exits_sample_stack(4194302, "vm:other", 1, 30, ip, "k", buf, sizeof(buf));
	assert_string_equal(buf, "[guest] 0xffffffff81cb02b3;[exit] IO_INSTRUCTION;k");
	exits_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kallsyms),     cmocka_unit_test(test_not_a_map),
		cmocka_unit_test(test_mtree),	     cmocka_unit_test(test_map_for),
		cmocka_unit_test(test_sample_stack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
