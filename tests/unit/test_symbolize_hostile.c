// SPDX-License-Identifier: GPL-2.0
/*
 * Symbolizing another user's process (stack/symbolize.c, docs/security.md): a stripped binary
 * (a copy of /bin/sleep without symbols or build-id) whose .gnu_debuglink names a file beside
 * it that is a FIFO, or a link to /dev/zero, and a debuglink with a folder in it.  Before,
 * virtprof blocked in open() on the FIFO or read /dev/zero for its CRC without end; now each
 * lookup returns at once with "dynsym"/"none".  Real processes, real ELF files (objcopy);
 * skipped where objcopy is missing.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "stack/symbolize.h"
#include "sys/util.h"

static char dir[64];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vp-sec-sym.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return sh("rm -rf '%s'", dir) ? -1 : 0;
}

/* The first executable mapping of pid's main binary: an address inside it. */
static uint64_t text_addr(pid_t pid, const char *bin)
{
	char path[64], line[512];
	uint64_t lo = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " r-xp ") && strstr(line, bin)) {
			sscanf(line, "%" SCNx64, &lo);
			break;
		}
	fclose(f);
	return lo ? lo + 0x10 : 0;
}

/* Make bin with debuglink `link` (a real file at first, for objcopy's CRC), then `plant`. */
static void run_case(const char *name, const char *link, const char *plant)
{
	char bin[128], maps_bin[128];
	struct symbolizer *z;
	uint64_t ip, t0, ms;
	pid_t pid;
	int st;

	snprintf(bin, sizeof(bin), "%s/%s", dir, name);
	assert_int_equal(sh("cd '%s' && cp /bin/sleep '%s' && objcopy --strip-all "
			    "--remove-section=.gnu_debuglink --remove-section=.note.gnu.build-id "
			    "'%s' && %s",
			    dir, name, name, plant),
			 0);
	/* objcopy keeps only a base name: a name with folders is written as the raw section */
	if (strchr(link, '/'))
		assert_int_equal(sh("cd '%s' && printf '%s\\0\\0\\0\\0\\0\\0\\0\\0' >sec && "
				    "objcopy --add-section .gnu_debuglink=sec '%s'",
				    dir, link, name),
				 0);
	else
		assert_int_equal(sh("cd '%s' && mv '%s' keep && : >'%s' && "
				    "objcopy --add-gnu-debuglink='%s' '%s' && rm -f '%s' && "
				    "mv keep '%s'",
				    dir, link, link, link, name, link, link),
				 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		execl(bin, bin, "30", (char *)NULL);
		_exit(127);
	}
	usleep(200000);
	snprintf(maps_bin, sizeof(maps_bin), "/%s", name);
	ip = text_addr(pid, maps_bin);
	assert_true(ip != 0);
	z = symbolizer_new();
	assert_non_null(z);
	t0 = now_mono_ns();
	sym_proc_seen(z, (uint32_t)pid);
	assert_non_null(sym_user(z, (uint32_t)pid, ip, 0));
	ms = (now_mono_ns() - t0) / NSEC_PER_MSEC;
	print_message("%s: debuglink '%s': symbols from %s, %llu ms\n", name, link,
		      sym_elf_source(z, bin) ? sym_elf_source(z, bin) : "(none)",
		      (unsigned long long)ms);
	assert_true(ms < 5000);
	symbolizer_free(z);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

static void test_hostile_debuglinks(void **state)
{
	(void)state;
	if (sh("command -v objcopy >/dev/null"))
		skip();
	/* a FIFO beside the binary: open() without O_NONBLOCK waits for a writer forever */
	run_case("fifo", "fifo.debug", "mkfifo fifo.debug");
	/* a link to a device: its "CRC" never ends */
	run_case("zero", "zero.debug", "ln -s /dev/zero zero.debug");
	/* a folder in the link: gdb takes a file name only; here it led to a device */
	run_case("up", "../../../../../../../../dev/zero", "true");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_debuglinks),
	};

	/* a hang is the failure this test exists for: end it rather than wait */
	alarm(60);
	return cmocka_run_group_tests_name("symbolize_hostile", tests, setup, teardown);
}
