// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "stack/intern.h"
#include "stack/symbolize.h"
#include "sys/util.h"

#ifndef NT_GNU_BUILD_ID
#define NT_GNU_BUILD_ID 3
#endif
#define BUILD_ID_MAX 20

struct sym {
	uint64_t addr, size;
	const char *name;
};

struct symtab {
	int n, cap;
	struct sym *s;
};

struct load_seg {
	uint64_t off, vaddr, filesz;
};

/* One mapped ELF file (cached per device:inode), its symbols shared per build-id. */
struct elf_file {
	uint64_t dev, ino;
	const char *path;
	uint8_t build_id[BUILD_ID_MAX];
	int build_id_len;
	int nload;
	struct load_seg load[16];
	struct symtab *syms; /* may be shared with another file of the same build-id */
	bool owns_syms;
	const char *source; /* "symtab", "build-id", "debuglink", "dynsym", "none" */
};

struct vmap {
	uint64_t start, end, off, dev, ino;
	const char *path; /* interned; "[vdso]" etc. for special mappings */
	struct elf_file *elf;
	bool tried;
};

struct proc_maps {
	uint32_t tgid;
	int n, cap;
	struct vmap *m;
	bool gone;	/* its /proc entry vanished: the mappings are what was captured */
	uint32_t epoch; /* of the last read: re-read at most once per drain */
};

struct cache_ent {
	uint32_t tgid;
	uint64_t ip; /* with bit 63 = return address */
	const char *name;
};

struct symbolizer {
	struct intern names;
	/* kernel */
	bool kloaded;
	struct symtab ksyms;
	char *knames; /* the kernel's names, one arena: 100k+ of them, never looked up by text */
	/* processes, by tgid (open addressing) */
	struct proc_maps *procs;
	uint32_t nprocs, capprocs;
	/* ELF files */
	struct elf_file **elfs;
	int nelfs, capelfs;
	/* (tgid, ip) -> name */
	struct cache_ent *cache;
	uint32_t ncache, capcache;
	char debug_dirs[1024];
	double secs;
	size_t bytes;
	uint32_t epoch;
};

/*
 * The symbolizer's cost is the CPU its threads spend in it, not wall time: on a loaded host the
 * wall clock would count the time other threads ran.
 */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

struct symbolizer *symbolizer_new(void)
{
	struct symbolizer *s = calloc(1, sizeof(*s));
	const char *dd = getenv("VIRTPROF_DEBUG_DIRS");

	if (!s)
		return NULL;
	elf_version(EV_CURRENT);
	intern_init(&s->names);
	snprintf(s->debug_dirs, sizeof(s->debug_dirs), "%s", dd && *dd ? dd : "/usr/lib/debug");
	return s;
}

static void symtab_free(struct symtab *t)
{
	if (t) {
		free(t->s);
		free(t);
	}
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	free(s->ksyms.s);
	free(s->knames);
	for (uint32_t i = 0; i < s->capprocs; i++)
		free(s->procs[i].m);
	free(s->procs);
	for (int i = 0; i < s->nelfs; i++) {
		if (s->elfs[i]->owns_syms)
			symtab_free(s->elfs[i]->syms);
		free(s->elfs[i]);
	}
	free(s->elfs);
	free(s->cache);
	intern_free(&s->names);
	free(s);
}

static int sym_add(struct symbolizer *z, struct symtab *t, uint64_t addr, uint64_t size,
		   const char *name)
{
	struct sym *p = array_push((void **)&t->s, &t->n, &t->cap, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->addr = addr;
	p->size = size;
	p->name = intern(&z->names, name, NULL);
	z->bytes += sizeof(*p);
	return p->name ? 0 : -ENOMEM;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The symbol containing addr; with sizes unknown (0), the closest one below. */
static const struct sym *sym_find(const struct symtab *t, uint64_t addr)
{
	int lo = 0, hi = t ? t->n - 1 : -1, best = -1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (t->s[mid].addr <= addr) {
			best = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	if (best < 0)
		return NULL;
	/* aliases share an address: any sized one that contains addr will do */
	for (int i = best; i >= 0 && t->s[i].addr == t->s[best].addr; i--)
		if (!t->s[i].size || addr < t->s[i].addr + t->s[i].size)
			return &t->s[i];
	return NULL;
}

/* ---- kernel ---- */

/*
 * Text symbols of a kallsyms-format file ("ffffffff81000000 T _stext"): how many were read, or
 * -ENOMEM with none kept (a partial table would name every later function after the last one
 * read).
 */
static int parse_kallsyms(struct symbolizer *z, FILE *f)
{
	size_t nlen = 0, len;
	int ncap = 0;
	struct sym *p;
	char *a;
	char line[512];

	/* modules' with "\t[mod]": parsed by hand, 100k+ lines */
	while (fgets(line, sizeof(line), f)) {
		char *e, *name, type;
		unsigned long long addr = strtoull(line, &e, 16);

		if (!addr || e[0] != ' ' || !e[1] || e[2] != ' ')
			continue;
		type = e[1];
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		name = e + 3;
		len = strcspn(name, " \t\n");
		a = array_reserve(z->knames, &ncap, nlen + len + 1, 1);
		if (a)
			z->knames = a;
		p = a ? array_grow(z->ksyms.s, &z->ksyms.cap, z->ksyms.n, sizeof(*p)) : NULL;
		if (!p) {
			free(z->knames);
			free(z->ksyms.s);
			z->knames = NULL;
			z->ksyms = (struct symtab){ 0 };
			return -ENOMEM;
		}
		memcpy(z->knames + nlen, name, len);
		z->knames[nlen + len] = 0;
		z->ksyms.s = p;
		/* an offset while the arena may still move; made a pointer below */
		z->ksyms.s[z->ksyms.n++] = (struct sym){ addr, 0, (const char *)(uintptr_t)nlen };
		nlen += len + 1;
	}
	for (int i = 0; i < z->ksyms.n; i++)
		z->ksyms.s[i].name = z->knames + (uintptr_t)z->ksyms.s[i].name;
	z->bytes += (size_t)ncap + z->ksyms.cap * sizeof(struct sym);
	if (z->ksyms.n)
		qsort(z->ksyms.s, z->ksyms.n, sizeof(*z->ksyms.s), sym_cmp);
	return z->ksyms.n;
}

static void load_kallsyms(struct symbolizer *z)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	int n;

	z->kloaded = true;
	if (!f) {
		vp_warn("stacks: /proc/kallsyms: %s: kernel frames stay addresses",
			strerror(errno));
		return;
	}
	n = parse_kallsyms(z, f);
	if (n == -ENOMEM)
		vp_warn("stacks: /proc/kallsyms: out of memory: kernel frames stay addresses");
	else if (!n)
		vp_warn("stacks: /proc/kallsyms shows no addresses (kptr_restrict)");
	fclose(f);
}

/* ---- the (tgid, ip) result cache ---- */

static struct cache_ent *cache_slot(struct symbolizer *z, uint32_t tgid, uint64_t ip)
{
	uint64_t k[2] = { tgid, ip };
	uint32_t h;

	if ((z->ncache + 1) * 2 > z->capcache) {
		uint32_t cap = z->capcache ? z->capcache * 2 : 4096;
		struct cache_ent *c = calloc(cap, sizeof(*c));

		if (!c)
			return NULL;
		for (uint32_t i = 0; i < z->capcache; i++) {
			struct cache_ent *e = &z->cache[i];
			uint64_t kk[2] = { e->tgid, e->ip };

			if (!e->name)
				continue;
			h = intern_hash(kk, sizeof(kk), INTERN_HASH_SEED) & (cap - 1);
			while (c[h].name)
				h = (h + 1) & (cap - 1);
			c[h] = *e;
		}
		free(z->cache);
		z->bytes += (cap - z->capcache) * sizeof(*c);
		z->cache = c;
		z->capcache = cap;
	}
	h = intern_hash(k, sizeof(k), INTERN_HASH_SEED) & (z->capcache - 1);
	while (z->cache[h].name && (z->cache[h].tgid != tgid || z->cache[h].ip != ip))
		h = (h + 1) & (z->capcache - 1);
	return &z->cache[h];
}

static const char *cache_put(struct symbolizer *z, struct cache_ent *e, uint32_t tgid, uint64_t ip,
			     const char *name)
{
	if (e && name && !e->name) {
		e->tgid = tgid;
		e->ip = ip;
		e->name = name;
		z->ncache++;
	}
	return name ? name : "[no memory]";
}

const char *sym_kernel(struct symbolizer *z, uint64_t ip)
{
	struct cache_ent *e = cache_slot(z, 0, ip);
	const struct sym *sy;
	char buf[320];
	uint64_t t0;

	if (e && e->name)
		return e->name;
	t0 = cpu_ns();
	if (!z->kloaded)
		load_kallsyms(z);
	sy = sym_find(&z->ksyms, ip);
	if (sy)
		snprintf(buf, sizeof(buf), "%s_[k]", sy->name);
	else
		snprintf(buf, sizeof(buf), "[kernel]+0x%llx_[k]", (unsigned long long)ip);
	z->secs += (cpu_ns() - t0) / 1e9;
	return cache_put(z, e, 0, ip, intern(&z->names, buf, NULL));
}

/* ---- another kernel's symbols (a guest's) ---- */

static int read_syms(struct symbolizer *z, Elf *e, Elf32_Word type, struct symtab *t);

int sym_kernel_load(struct symbolizer *z, const char *path, char *why, size_t wlen)
{
	unsigned char magic[4] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC), n = 0;
	FILE *f;

	if (fd < 0) {
		snprintf(why, wlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	z->kloaded = true;
	if (pread(fd, magic, 4, 0) == 4 && !memcmp(magic, ELFMAG, SELFMAG)) {
		Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);

		if (e && elf_kind(e) == ELF_K_ELF)
			n = read_syms(z, e, SHT_SYMTAB, &z->ksyms);
		if (e)
			elf_end(e);
		close(fd);
		if (n > 0) {
			qsort(z->ksyms.s, z->ksyms.n, sizeof(*z->ksyms.s), sym_cmp);
			return 0;
		}
		snprintf(why, wlen, "%s: an ELF file without a symbol table (a stripped vmlinux?)",
			 path);
		return -EINVAL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		snprintf(why, wlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	n = parse_kallsyms(z, f);
	fclose(f);
	if (n > 0)
		return 0;
	if (n == -ENOMEM) {
		snprintf(why, wlen, "%s: out of memory reading its symbols", path);
		return n;
	}
	snprintf(
		why, wlen,
		"%s: not a symbol map (no 'ADDRESS T name' text lines with an address: a System.map, "
		"a /proc/kallsyms copied as root, or a vmlinux with symbols)",
		path);
	return -EINVAL;
}

const char *sym_kernel_func(struct symbolizer *z, uint64_t ip)
{
	const struct sym *sy;

	if (!z->kloaded)
		load_kallsyms(z);
	sy = sym_find(&z->ksyms, ip);
	return sy ? sy->name : NULL;
}

bool sym_kernel_text(struct symbolizer *z, uint64_t *lo, uint64_t *hi)
{
	const struct symtab *t = &z->ksyms;

	if (!z->kloaded)
		load_kallsyms(z);
	if (!t->n)
		return false;
	*lo = t->s[0].addr;
	*hi = t->s[t->n - 1].addr + (t->s[t->n - 1].size ? t->s[t->n - 1].size : 1);
	return true;
}

/* ---- processes ---- */

static struct proc_maps *proc_slot(struct symbolizer *z, uint32_t tgid, bool add)
{
	uint32_t h;

	if (add && (z->nprocs + 1) * 2 > z->capprocs) {
		uint32_t cap = z->capprocs ? z->capprocs * 2 : 256;
		struct proc_maps *p = calloc(cap, sizeof(*p));

		if (!p)
			return NULL;
		for (uint32_t i = 0; i < z->capprocs; i++) {
			if (!z->procs[i].tgid)
				continue;
			h = z->procs[i].tgid * 2654435761u & (cap - 1);
			while (p[h].tgid)
				h = (h + 1) & (cap - 1);
			p[h] = z->procs[i];
		}
		free(z->procs);
		z->procs = p;
		z->capprocs = cap;
	}
	if (!z->capprocs)
		return NULL;
	h = tgid * 2654435761u & (z->capprocs - 1);
	while (z->procs[h].tgid && z->procs[h].tgid != tgid)
		h = (h + 1) & (z->capprocs - 1);
	if (z->procs[h].tgid)
		return &z->procs[h];
	if (!add)
		return NULL;
	z->procs[h].tgid = tgid;
	z->nprocs++;
	return &z->procs[h];
}

/* One line of /proc/PID/maps: "start-end perms offset maj:min inode   path". */
static bool parse_maps_line(char *line, struct vmap *m, char **name)
{
	char *p = line, *e;

	m->start = strtoull(p, &e, 16);
	if (*e != '-')
		return false;
	m->end = strtoull(e + 1, &p, 16);
	if (*p != ' ' || strlen(p) < 5 || p[3] != 'x')
		return false;
	m->off = strtoull(p + 5, &e, 16);
	m->dev = strtoull(e, &p, 16) << 32;
	if (*p != ':')
		return false;
	m->dev |= strtoull(p + 1, &e, 16);
	m->ino = strtoull(e, &p, 10);
	while (*p == ' ')
		p++;
	p[strcspn(p, "\n")] = 0;
	*name = p;
	return true;
}

/*
 * (Re)read /proc/TGID/maps: executable mappings only.  Every new process on the host is read
 * once (announced by the programs), so this is parsed by hand, not with sscanf.  -errno when
 * the maps cannot be read.
 */
static int read_maps(struct symbolizer *z, struct proc_maps *p)
{
	char path[64], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/maps", p->tgid);
	f = fopen(path, "r");
	if (!f) {
		int err = -errno;

		/* only a vanished process is gone: a read refused while it execs is retried later */
		snprintf(path, sizeof(path), "/proc/%u", p->tgid);
		if (access(path, F_OK))
			p->gone = true;
		vp_debug("stacks: %s/maps: %s%s", path, strerror(-err), p->gone ? " (gone)" : "");
		return err;
	}
	/* a read that failed (a process in exec) may be retried at once; a good one once a drain */
	p->epoch = z->epoch;
	p->n = 0;
	vp_debug("stacks: %s read (epoch %u)", path, z->epoch);
	while (fgets(line, sizeof(line), f)) {
		struct vmap v = { 0 }, *m;
		char *name;

		if (!parse_maps_line(line, &v, &name))
			continue;
		m = array_grow(p->m, &p->cap, p->n, sizeof(*m));
		if (!m)
			break;
		p->m = m;
		v.path = intern(&z->names, *name ? name : "[anon]", NULL);
		p->m[p->n++] = v;
		z->bytes += sizeof(v);
	}
	fclose(f);
	return 0;
}

void sym_new_epoch(struct symbolizer *z)
{
	z->epoch++;
}

void sym_proc_seen(struct symbolizer *z, uint32_t tgid)
{
	uint64_t t0 = cpu_ns();
	struct proc_maps *p;

	if (!tgid || proc_slot(z, tgid, false))
		return;
	p = proc_slot(z, tgid, true);
	if (p)
		read_maps(z, p);
	z->secs += (cpu_ns() - t0) / 1e9;
}

void sym_proc_refresh(struct symbolizer *z, uint32_t tgid)
{
	uint64_t t0 = cpu_ns();
	struct proc_maps *p = tgid ? proc_slot(z, tgid, true) : NULL;

	if (p) {
		p->gone = false;
		read_maps(z, p);
	}
	z->secs += (cpu_ns() - t0) / 1e9;
}

/* ---- ELF ---- */

static void read_build_id(Elf *e, Elf_Scn *scn, GElf_Shdr *sh, struct elf_file *f)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t off = 0, noff, doff;
	GElf_Nhdr nh;

	if (!d || sh->sh_type != SHT_NOTE)
		return;
	(void)e;
	while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp((char *)d->d_buf + noff, "GNU", 4) && nh.n_descsz <= BUILD_ID_MAX) {
			memcpy(f->build_id, (char *)d->d_buf + doff, nh.n_descsz);
			f->build_id_len = nh.n_descsz;
			return;
		}
	}
}

/* The data of a section, inflated when it is SHF_COMPRESSED (libelf calls zlib). */
static Elf_Data *section_data(Elf_Scn *scn)
{
	GElf_Shdr sh;

	if (!gelf_getshdr(scn, &sh))
		return NULL;
	if ((sh.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
		return NULL;
	return elf_getdata(scn, NULL);
}

/* Function symbols of the section of type `type` (SHT_SYMTAB / SHT_DYNSYM); count added. */
static int read_syms(struct symbolizer *z, Elf *e, Elf32_Word type, struct symtab *t)
{
	Elf_Scn *scn = NULL;
	int added = 0;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize)
			continue;
		d = section_data(scn);
		if (!d)
			continue;
		/* the names: inflate the string table too if it is compressed */
		section_data(elf_getscn(e, sh.sh_link));
		n = d->d_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym s;
			const char *name;
			char vname[256];
			int st;

			if (!gelf_getsym(d, i, &s))
				continue;
			st = GELF_ST_TYPE(s.st_info);
			if ((st != STT_FUNC && st != STT_GNU_IFUNC) || !s.st_value ||
			    s.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(e, sh.sh_link, s.st_name);
			if (!name || !*name)
				continue;
			/* "memcpy@@GLIBC_2.14": the version is not part of the function's name */
			if (strchr(name, '@')) {
				snprintf(vname, sizeof(vname), "%.*s", (int)strcspn(name, "@"),
					 name);
				name = vname;
			}
			if (sym_add(z, t, s.st_value, s.st_size, name))
				return added;
			added++;
		}
	}
	return added;
}

/* Symbols of a separate debug file at path; NULL when it does not open or has none. */
static struct symtab *debug_syms(struct symbolizer *z, const char *path, uint32_t want_crc,
				 bool check_crc)
{
	int fd = open_regular(path);
	struct symtab *t = NULL;
	Elf *e;

	if (fd < 0)
		return NULL;
	if (check_crc) {
		unsigned char buf[65536];
		uLong crc = crc32(0, Z_NULL, 0);
		ssize_t r;

		while ((r = read(fd, buf, sizeof(buf))) > 0)
			crc = crc32(crc, buf, (uInt)r);
		if ((uint32_t)crc != want_crc) {
			vp_debug("stacks: %s: CRC does not match the .gnu_debuglink", path);
			close(fd);
			return NULL;
		}
	}
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (e) {
		t = calloc(1, sizeof(*t));
		if (t && !read_syms(z, e, SHT_SYMTAB, t)) {
			symtab_free(t);
			t = NULL;
		}
		elf_end(e);
	}
	close(fd);
	return t;
}

/* Try every debug directory with fmt's path under it. */
static struct symtab *find_by_build_id(struct symbolizer *z, const struct elf_file *f)
{
	char dirs[sizeof(z->debug_dirs)], *save, *dir, hex[2 * BUILD_ID_MAX + 1], path[4096];

	if (f->build_id_len < 2)
		return NULL;
	for (int i = 0; i < f->build_id_len; i++)
		sprintf(hex + 2 * i, "%02x", f->build_id[i]);
	snprintf(dirs, sizeof(dirs), "%s", z->debug_dirs);
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		struct symtab *t;

		snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", dir, hex, hex + 2);
		t = debug_syms(z, path, 0, false);
		if (t)
			return t;
	}
	return NULL;
}

static struct symtab *find_by_debuglink(struct symbolizer *z, const char *bin, const char *link,
					uint32_t crc)
{
	char dirs[sizeof(z->debug_dirs)], *save, *dir, bindir[2048], path[4096];
	const char *slash = strrchr(bin, '/');
	struct symtab *t;

	snprintf(bindir, sizeof(bindir), "%.*s", slash ? (int)(slash - bin) : 1, slash ? bin : ".");
	/* gdb's order: next to the binary, its .debug/, then each debug dir + the binary's dir */
	snprintf(path, sizeof(path), "%s/%s", bindir, link);
	if (strcmp(path, bin) && (t = debug_syms(z, path, crc, true)))
		return t;
	snprintf(path, sizeof(path), "%s/.debug/%s", bindir, link);
	if ((t = debug_syms(z, path, crc, true)))
		return t;
	snprintf(dirs, sizeof(dirs), "%s", z->debug_dirs);
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s%s/%s", dir, bindir, link);
		if ((t = debug_syms(z, path, crc, true)))
			return t;
		snprintf(path, sizeof(path), "%s/%s", dir, link);
		if ((t = debug_syms(z, path, crc, true)))
			return t;
	}
	return NULL;
}

static struct elf_file *elf_by_build_id(struct symbolizer *z, const struct elf_file *f)
{
	for (int i = 0; i < z->nelfs; i++) {
		struct elf_file *o = z->elfs[i];

		if (o != f && o->syms && o->build_id_len == f->build_id_len && f->build_id_len &&
		    !memcmp(o->build_id, f->build_id, f->build_id_len))
			return o;
	}
	return NULL;
}

/* Read one ELF file (fd) whose path in its own mount namespace is `path`. */
static void elf_load(struct symbolizer *z, struct elf_file *f, int fd, const char *path)
{
	char link[256] = "";
	uint32_t link_crc = 0;
	const struct elf_file *same;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	size_t nph = 0;
	Elf *e;

	f->source = "none";
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		return;
	}
	if (!elf_getphdrnum(e, &nph)) {
		for (size_t i = 0; i < nph && f->nload < (int)ARRAY_SIZE(f->load); i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(e, i, &ph) && ph.p_type == PT_LOAD)
				f->load[f->nload++] =
					(struct load_seg){ ph.p_offset, ph.p_vaddr, ph.p_filesz };
		}
	}
	elf_getshdrstrndx(e, &shstrndx);
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (sh.sh_type == SHT_NOTE && !f->build_id_len)
			read_build_id(e, scn, &sh, f);
		if (name && !strcmp(name, ".gnu_debuglink")) {
			Elf_Data *d = section_data(scn);

			if (d && d->d_size >= 8) {
				size_t l = strnlen(d->d_buf, d->d_size);

				/* a file name, as gdb reads it: no folder ("../../dev/zero") */
				if (memchr(d->d_buf, '/', l))
					continue;
				snprintf(link, sizeof(link), "%.*s", (int)l, (char *)d->d_buf);
				l = (l + 4) & ~(size_t)3;
				if (l + 4 <= d->d_size)
					memcpy(&link_crc, (char *)d->d_buf + l, 4);
			}
		}
	}
	same = elf_by_build_id(z, f);
	if (same) {
		f->syms = same->syms;
		f->source = same->source;
		elf_end(e);
		return;
	}
	f->owns_syms = true;
	f->syms = calloc(1, sizeof(*f->syms));
	if (f->syms && read_syms(z, e, SHT_SYMTAB, f->syms)) {
		f->source = "symtab";
	} else {
		struct symtab *t = find_by_build_id(z, f);

		if (t) {
			f->source = "build-id";
		} else if (link[0] && (t = find_by_debuglink(z, path, link, link_crc))) {
			f->source = "debuglink";
		}
		if (t) {
			symtab_free(f->syms);
			f->syms = t;
		} else if (f->syms && read_syms(z, e, SHT_DYNSYM, f->syms)) {
			f->source = "dynsym";
		}
	}
	if (f->syms && f->syms->n)
		qsort(f->syms->s, f->syms->n, sizeof(*f->syms->s), sym_cmp);
	elf_end(e);
}

/* The ELF file behind a mapping of process p, loaded on first use. */
static struct elf_file *map_elf(struct symbolizer *z, struct proc_maps *p, struct vmap *m)
{
	char path[4200];
	struct elf_file *f, **arr;
	int fd = -1;

	if (m->tried)
		return m->elf;
	m->tried = true;
	if (m->path[0] != '/')
		return NULL;
	for (int i = 0; i < z->nelfs; i++) {
		if (z->elfs[i]->dev == m->dev && z->elfs[i]->ino == m->ino &&
		    !strcmp(z->elfs[i]->path, m->path))
			return m->elf = z->elfs[i];
	}
	/* map_files opens the very file mapped (even deleted or in another mount namespace) */
	if (!p->gone) {
		snprintf(path, sizeof(path), "/proc/%u/map_files/%llx-%llx", p->tgid,
			 (unsigned long long)m->start, (unsigned long long)m->end);
		fd = open_regular(path);
		if (fd < 0) {
			snprintf(path, sizeof(path), "/proc/%u/root%s", p->tgid, m->path);
			fd = open_regular(path);
		}
	}
	if (fd < 0)
		fd = open_regular(m->path);
	if (fd < 0)
		return NULL;
	arr = array_grow(z->elfs, &z->capelfs, z->nelfs, sizeof(*arr));
	f = calloc(1, sizeof(*f));
	if (!arr || !f) {
		free(f);
		close(fd);
		return NULL;
	}
	z->elfs = arr;
	f->dev = m->dev;
	f->ino = m->ino;
	f->path = m->path;
	elf_load(z, f, fd, m->path);
	close(fd);
	z->elfs[z->nelfs++] = f;
	z->bytes += sizeof(*f) + (f->owns_syms && f->syms ? f->syms->cap * sizeof(struct sym) : 0);
	vp_debug("stacks: %s: symbols from %s", m->path, f->source);
	return m->elf = f;
}

static struct vmap *find_map(struct proc_maps *p, uint64_t ip)
{
	for (int i = 0; i < p->n; i++)
		if (ip >= p->m[i].start && ip < p->m[i].end)
			return &p->m[i];
	return NULL;
}

/* *final: false when a later read of a live process's mappings could name it (not cached). */
static const char *resolve_user(struct symbolizer *z, uint32_t tgid, uint64_t ip, char *buf,
				size_t len, bool *final)
{
	struct proc_maps *p = proc_slot(z, tgid, false);
	const struct sym *sy;
	struct elf_file *f;
	struct vmap *m;
	const char *base;
	uint64_t off, vaddr;

	if (!p) {
		sym_proc_seen(z, tgid);
		p = proc_slot(z, tgid, false);
	}
	m = p ? find_map(p, ip) : NULL;
	/*
	 * A library loaded after the mappings were captured; or a process taken for gone whose
	 * /proc entry is there (its pid reused by one the programs did not announce again because
	 * its mm landed at the old one's address): read again, at most once a drain.
	 */
	if (p && !m && p->epoch != z->epoch) {
		char path[32];

		snprintf(path, sizeof(path), "/proc/%u", tgid);
		if (p->gone && !access(path, F_OK)) {
			vp_debug("stacks: %u is alive again: its mappings re-read", tgid);
			p->gone = false;
		}
		if (!p->gone && !read_maps(z, p))
			m = find_map(p, ip);
		else if (p->gone)
			p->epoch = z->epoch; /* checked for this drain */
	}
	/*
	 * No mapping (a frame-pointer walk through code built without them reads garbage) or an
	 * anonymous one (JIT code, e.g. qemu's TCG): an offset would name nothing and make every
	 * such stack unique, so these are "[unknown]" and "[anon]" as perf shows them.
	 */
	if (!m) {
		*final = !p || p->gone;
		vp_debug("stacks: %u: no mapping holds %#llx (%d mappings%s)", tgid,
			 (unsigned long long)ip, p ? p->n : -1, p && p->gone ? ", gone" : "");
		snprintf(buf, len, "[unknown]");
		return buf;
	}
	if (m->path[0] != '/') {
		snprintf(buf, len, "%s", m->path);
		return buf;
	}
	off = ip - m->start + m->off;
	base = strrchr(m->path, '/');
	base = base ? base + 1 : m->path;
	f = map_elf(z, p, m);
	if (f) {
		vaddr = off;
		for (int i = 0; i < f->nload; i++) {
			if (off >= f->load[i].off && off < f->load[i].off + f->load[i].filesz) {
				vaddr = off - f->load[i].off + f->load[i].vaddr;
				break;
			}
		}
		sy = f->syms ? sym_find(f->syms, vaddr) : NULL;
		if (sy) {
			snprintf(buf, len, "%s", sy->name);
			return buf;
		}
	}
	/* an ELF without a symbol here: its file offset; not an ELF (a memfd of JIT code): the file */
	if (f && f->nload)
		snprintf(buf, len, "%s+0x%llx", base, (unsigned long long)off);
	else
		snprintf(buf, len, "%s", base);
	return buf;
}

const char *sym_user(struct symbolizer *z, uint32_t tgid, uint64_t ip, int ret_addr)
{
	uint64_t key = ip | (ret_addr ? 1ULL << 63 : 0);
	struct cache_ent *e = cache_slot(z, tgid, key);
	bool final = true;
	uint64_t t0;
	char buf[512];
	const char *name;

	if (e && e->name)
		return e->name;
	t0 = cpu_ns();
	name = intern(&z->names,
		      resolve_user(z, tgid, ret_addr && ip ? ip - 1 : ip, buf, sizeof(buf), &final),
		      NULL);
	z->secs += (cpu_ns() - t0) / 1e9;
	/* not named yet, but a live process: a later drain may read the mapping that names it */
	if (!final)
		return name ? name : "[no memory]";
	return cache_put(z, e, tgid, key, name);
}

const char *sym_elf_source(struct symbolizer *z, const char *path)
{
	for (int i = 0; i < z->nelfs; i++)
		if (!strcmp(z->elfs[i]->path, path))
			return z->elfs[i]->source;
	return "none";
}

double sym_seconds(const struct symbolizer *z)
{
	return z->secs;
}

size_t sym_bytes(const struct symbolizer *z)
{
	return z->bytes + z->names.bytes;
}
