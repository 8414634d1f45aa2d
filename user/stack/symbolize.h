/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Addresses to function names.  Kernel frames from /proc/kallsyms (modules included).  User
 * frames through the process's mappings (/proc/PID/maps, captured when the process is first
 * seen and kept after it exits) and each mapped ELF file's symbols, read with libelf: .symtab,
 * else a separate debug file found by build-id (DIR/.build-id/xx/rest.debug) or .gnu_debuglink
 * (checked with its CRC-32), else .dynsym.  SHF_COMPRESSED sections are inflated by libelf
 * (elf_compress, zlib).  Symbols are cached per build-id (else per file).  A frame that cannot be
 * named is `module+0xoffset` (its ELF file and offset), or `[unknown]` (no mapping), `[anon]`
 * (anonymous code: JIT), `[vdso]` -- never dropped.
 *
 * Debug directories: VIRTPROF_DEBUG_DIRS (colon-separated), default /usr/lib/debug.
 */
#ifndef VP_STACK_SYMBOLIZE_H
#define VP_STACK_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct symbolizer;

struct symbolizer *symbolizer_new(void);
void symbolizer_free(struct symbolizer *s);
/* A new batch of addresses (a drain): a process's mappings may be re-read once per epoch. */
void sym_new_epoch(struct symbolizer *s);
/* Capture a process's mappings now (first sight), so its frames resolve after it exits. */
void sym_proc_seen(struct symbolizer *s, uint32_t tgid);
/* Read a process's mappings again now (it was announced new, or it exec'd). */
void sym_proc_refresh(struct symbolizer *s, uint32_t tgid);
/* A kernel address: "func", or "[kernel]+0x..." (pointer valid until symbolizer_free). */
const char *sym_kernel(struct symbolizer *s, uint64_t ip);
/*
 * A user address of process tgid: "func", "module+0xoffset", "[anon]", "[unknown]".  ret_addr:
 * the address is a return address (not the leaf): look up ip - 1, inside the call.
 */
const char *sym_user(struct symbolizer *s, uint32_t tgid, uint64_t ip, int ret_addr);

/*
 * Another kernel's symbols in place of this host's /proc/kallsyms (a guest's): a kallsyms copy or
 * System.map ("ADDRESS T name"), or a vmlinux ELF's .symtab.  0, or -errno / -EINVAL (not a symbol
 * map) with `why` filled.  Then sym_kernel* name that kernel's addresses.
 */
int sym_kernel_load(struct symbolizer *s, const char *path, char *why, size_t wlen);
/* The kernel function containing ip, or NULL when no symbol does (the caller shows the address). */
const char *sym_kernel_func(struct symbolizer *s, uint64_t ip);
/* The span of the kernel's text symbols [lo, hi); false when there are none. */
bool sym_kernel_text(struct symbolizer *s, uint64_t *lo, uint64_t *hi);

/* What one ELF file gave, for tests and -v: "symtab", "debuglink", "build-id", "dynsym", "none". */
const char *sym_elf_source(struct symbolizer *s, const char *path);
/* CPU seconds spent symbolizing (every thread) and bytes held, for the benchmark. */
double sym_seconds(const struct symbolizer *s);
size_t sym_bytes(const struct symbolizer *s);

#endif
