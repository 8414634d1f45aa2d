// SPDX-License-Identifier: GPL-2.0
/* Exits by guest function and by device (exits.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account/qmp.h"
#include "account/targets.h"
#include "io/kvmexit.h"
#include "out/table.h"
#include "session/exits.h"
#include "stack/output.h"
#include "stack/profile.h"
#include "stack/symbolize.h"
#include "sys/util.h"

#define TOP_FUNCS 20	       /* per VM and table; the rest summed in a note, never dropped */
#define USER_HALF (1ULL << 47) /* x86-64: canonical user addresses are below */

struct gsym_arg {
	char spec[128], path[512];
};

#define GUEST_SYMBOLS_MAX 64 /* --guest-symbols given */

static struct gsym_arg gargs[GUEST_SYMBOLS_MAX];
static int ngargs;

/* What is known of one VM process: its kernel's symbols and its device map. */
struct guest {
	uint32_t tgid;
	struct symbolizer *z; /* NULL: no symbols */
	char sym_note[320];   /* where the names come from, or how to get them */
	bool mismatch;	      /* no kernel exit address inside the symbols' text */
	bool map_tried;
	uint64_t map_seq; /* the render that last asked qemu */
	struct devmap map;
	struct vp_na map_na;
};

static struct guest *guests;
static int nguests, capguests;
static uint64_t render_seq;

int exits_guest_symbols_add(const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct symbolizer *z;
	char why[512];
	int err;

	if (!eq || eq == arg || !eq[1] || (size_t)(eq - arg) >= sizeof(gargs[0].spec) ||
	    strlen(eq + 1) >= sizeof(gargs[0].path)) {
		vp_err("--guest-symbols %s: VM=FILE (VM a pid or name as --vm takes; FILE the "
		       "guest's /proc/kallsyms, System.map or vmlinux)",
		       arg);
		return -EINVAL;
	}
	if (ngargs >= GUEST_SYMBOLS_MAX) {
		vp_err("--guest-symbols: at most %d", GUEST_SYMBOLS_MAX);
		return -EINVAL;
	}
	z = symbolizer_new();
	if (!z)
		return -ENOMEM;
	err = sym_kernel_load(z, eq + 1, why, sizeof(why));
	symbolizer_free(z);
	if (err) {
		vp_err("--guest-symbols %s", why);
		return -EINVAL;
	}
	snprintf(gargs[ngargs].spec, sizeof(gargs[0].spec), "%.*s", (int)(eq - arg), arg);
	snprintf(gargs[ngargs].path, sizeof(gargs[0].path), "%s", eq + 1);
	ngargs++;
	return 0;
}

/* the n-th argument of a NUL-separated argv after the option `opt`, or NULL */
static const char *arg_after(const char *cmdline, size_t len, const char *opt)
{
	const char *end = cmdline + len;

	for (const char *p = cmdline; p < end; p += strlen(p) + 1) {
		const char *a = p[0] == '-' && p[1] == '-' ? p + 1 : p;
		const char *next = p + strlen(p) + 1;

		if (!strcmp(a, opt) && next < end)
			return next;
	}
	return NULL;
}

int exits_guest_map_for(const char *cmdline, size_t len, char *map, size_t mlen, char *why,
			size_t wlen)
{
	const char *kernel = arg_after(cmdline, len, "-kernel");
	const char *append = arg_after(cmdline, len, "-append");
	char kfile[512], dir[512], *named = NULL, *base;
	size_t n;

	if (!kernel) {
		snprintf(why, wlen, "qemu boots no -kernel");
		return -ENOENT;
	}
	snprintf(kfile, sizeof(kfile), "%s", kernel);
	/* a testbed's extracted vmlinux: its directory's `kernel` file names the package's */
	base = strrchr(kfile, '/');
	if (base && !strcmp(base + 1, "vmlinux")) {
		snprintf(dir, sizeof(dir), "%.*s/kernel", (int)(base - kfile), kfile);
		named = read_file(dir, NULL);
		if (named) {
			named[strcspn(named, "\n")] = '\0';
			snprintf(kfile, sizeof(kfile), "%s", named);
			free(named);
		}
	}
	base = strrchr(kfile, '/');
	base = base ? base + 1 : kfile;
	if (strncmp(base, "vmlinuz-", 8)) {
		snprintf(why, wlen,
			 "its -kernel %s is not a vmlinuz-VERSION with a System.map beside it",
			 kfile);
		return -ENOENT;
	}
	if (!append || !strstr(append, "nokaslr")) {
		snprintf(
			why, wlen,
			"its kernel %s runs with KASLR (no nokaslr on -append): the System.map does "
			"not apply",
			kfile);
		return -ENOENT;
	}
	n = (size_t)(base - kfile);
	snprintf(map, mlen, "%.*sSystem.map-%s", (int)n, kfile, base + 8);
	return 0;
}

static const char *const how_to_name =
	"guest functions are addresses: give --guest-symbols VM=FILE with the guest's "
	"/proc/kallsyms (copied as root), its System.map or its vmlinux";

static void guest_symbols(struct guest *g, const char *entity)
{
	char path[512], why[512] = "", map[512], *cmdline;
	size_t len = 0;

	for (int i = 0; i < ngargs; i++) {
		char num[16];

		snprintf(num, sizeof(num), "%u", g->tgid);
		if (strcmp(gargs[i].spec, num) &&
		    strcmp(entity + (strncmp(entity, "vm:", 3) ? 0 : 3), gargs[i].spec))
			continue;
		g->z = symbolizer_new();
		if (g->z && !sym_kernel_load(g->z, gargs[i].path, why, sizeof(why))) {
			snprintf(g->sym_note, sizeof(g->sym_note), "%s: guest symbols from %s",
				 entity, gargs[i].path);
			return;
		}
		snprintf(g->sym_note, sizeof(g->sym_note), "%s: %s", entity, why);
		symbolizer_free(g->z);
		g->z = NULL;
		return;
	}
	snprintf(path, sizeof(path), "/proc/%u/cmdline", g->tgid);
	cmdline = read_file(path, &len);
	/* the testbed keeps its guest's /proc/kallsyms beside the QMP socket (testbed.sh) */
	if (cmdline && !qmp_socket_path(cmdline, len, map, sizeof(map)) && strrchr(map, '/')) {
		snprintf(strrchr(map, '/') + 1, sizeof(map) - (strrchr(map, '/') + 1 - map),
			 "guest-kallsyms");
		g->z = symbolizer_new();
		if (g->z && !access(map, R_OK) && !sym_kernel_load(g->z, map, why, sizeof(why))) {
			snprintf(g->sym_note, sizeof(g->sym_note),
				 "%s: guest symbols from %s (the guest's /proc/kallsyms)", entity,
				 map);
			free(cmdline);
			return;
		}
		symbolizer_free(g->z);
		g->z = NULL;
		why[0] = '\0';
	}
	if (cmdline && !exits_guest_map_for(cmdline, len, map, sizeof(map), why, sizeof(why))) {
		g->z = symbolizer_new();
		if (g->z && !sym_kernel_load(g->z, map, why, sizeof(why))) {
			snprintf(g->sym_note, sizeof(g->sym_note),
				 "%s: guest symbols from %s (its -kernel, booted with nokaslr)",
				 entity, map);
			free(cmdline);
			return;
		}
		symbolizer_free(g->z);
		g->z = NULL;
	}
	free(cmdline);
	snprintf(g->sym_note, sizeof(g->sym_note), "%s: %s%s%s", entity, how_to_name,
		 why[0] ? " (none found: " : "", why[0] ? why : "");
	if (why[0])
		snprintf(g->sym_note + strlen(g->sym_note),
			 sizeof(g->sym_note) - strlen(g->sym_note), ")");
}

static struct guest *guest_get(uint32_t tgid, const char *entity)
{
	struct guest *g;

	for (int i = 0; i < nguests; i++)
		if (guests[i].tgid == tgid)
			return &guests[i];
	g = array_push((void **)&guests, &nguests, &capguests, sizeof(*g));
	if (!g)
		return NULL;
	g->tgid = tgid;
	guest_symbols(g, entity);
	return g;
}

void exits_free(void)
{
	for (int i = 0; i < nguests; i++) {
		symbolizer_free(guests[i].z);
		devmap_free(&guests[i].map);
	}
	free(guests);
	guests = NULL;
	nguests = capguests = 0;
}

static void entity_of(io_owner_fn owner, void *ctx, uint32_t tid, uint32_t tgid, char *ent,
		      size_t elen)
{
	char role[32] = "";

	ent[0] = '\0';
	if (owner)
		owner(ctx, &(struct io_owner_key){ .tid = tid }, ent, elen, role, sizeof(role));
	if (!ent[0])
		snprintf(ent, elen, "pid:%u", tgid);
}

/* ---- by guest function ---- */

#define MAX_REASONS 6

struct frow {
	uint32_t tgid;
	char entity[64], func[128];
	uint64_t count, ns;
	int nr;
	struct {
		uint32_t isa, reason;
		uint64_t count;
	} r[MAX_REASONS];
	uint64_t other_reasons;
};

static bool by_time;

/*
 * Rows sorted by entity, each with a char entity[] and a uint64_t count at those offsets: past
 * an entity's TOP_FUNCS-th row, one note counts the rest of its rows and exits, and *i moves to
 * its last row (never dropped silently).  True when row *i is not to be shown.
 */
static bool past_top(struct table *t, const void *rows, size_t size, size_t ent_off, size_t cnt_off,
		     int n, int *i, int *shown, const char *what)
{
#define ROW_ENT(k) ((const char *)rows + (size_t)(k)*size + ent_off)
#define ROW_CNT(k) (*(const uint64_t *)((const char *)rows + (size_t)(k)*size + cnt_off))
	const char *ent = ROW_ENT(*i);
	uint64_t c = 0, m = 0;
	int j;

	*shown = *i && !strcmp(ent, ROW_ENT(*i - 1)) ? *shown + 1 : 1;
	if (*shown <= TOP_FUNCS)
		return false;
	for (j = *i; j < n && !strcmp(ROW_ENT(j), ent); j++, m++)
		c += ROW_CNT(j);
	table_note(t, "%s: %llu more %s with %llu exits not shown", ent, (unsigned long long)m,
		   what, (unsigned long long)c);
	*i = j - 1;
	return true;
#undef ROW_ENT
#undef ROW_CNT
}

static int frow_cmp(const void *a, const void *b)
{
	const struct frow *x = a, *y = b;
	int c = strcmp(x->entity, y->entity);
	uint64_t vx = by_time ? x->ns : x->count, vy = by_time ? y->ns : y->count;

	if (c)
		return c;
	if (vx != vy)
		return vx < vy ? 1 : -1;
	return strcmp(x->func, y->func);
}

/* Was any kernel exit address of this VM inside its symbols' text?  (Else: another kernel.) */
static void check_match(const struct kvmexit *k, struct guest *g)
{
	uint64_t lo, hi, kern = 0, inside = 0;

	if (!g->z || g->mismatch || !sym_kernel_text(g->z, &lo, &hi))
		return;
	for (int i = 0; i < k->nrip; i++) {
		uint64_t ip = k->rips[i].key.rip;

		if (k->rips[i].key.tgid != g->tgid || ip < USER_HALF)
			continue;
		kern++;
		inside += ip >= lo && ip < hi;
	}
	if (kern && !inside) {
		g->mismatch = true;
		snprintf(g->sym_note + strlen(g->sym_note),
			 sizeof(g->sym_note) - strlen(g->sym_note),
			 " -- but symbols do not match the guest kernel (no exit address inside "
			 "their text): shown as addresses");
	}
}

static void func_name(struct guest *g, uint64_t ip, char *buf, size_t len)
{
	const char *name = NULL;

	if (!ip) {
		snprintf(buf, len, "[guest ip unknown]");
		return;
	}
	if (ip < USER_HALF) {
		snprintf(buf, len, "[guest user space]");
		return;
	}
	if (g && g->z && !g->mismatch)
		name = sym_kernel_func(g->z, ip);
	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)ip);
}

static void reason_text(uint32_t isa, uint32_t reason, char *buf, size_t len)
{
	const char *name = kvmexit_reason_name(isa, reason);

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "#%u", reason);
}

int exits_sample_stack(uint32_t tgid, const char *entity, uint32_t isa, uint32_t reason,
		       uint64_t rip, const char *host, char *out, size_t len)
{
	struct guest *g = guest_get(tgid, entity);
	char func[128], why[16];
	uint64_t lo, hi;

	func_name(g, rip, func, sizeof(func));
	/*
	 * The exits tables learn a mismatch at the step's end; a sample is folded while the step
	 * runs, so an address outside the symbols' text is never named from them.
	 */
	if (g && g->z && rip >= USER_HALF && sym_kernel_text(g->z, &lo, &hi) &&
	    (rip < lo || rip >= hi))
		snprintf(func, sizeof(func), "0x%llx", (unsigned long long)rip);
	reason_text(isa, reason, why, sizeof(why));
	return stack_fold_exit(out, len, func, why, host);
}

static int build_funcs(const struct kvmexit *k, io_owner_fn owner, void *ctx, struct frow **out)
{
	struct frow *rows = NULL;
	int n = 0, cap = 0;

	for (int i = 0; i < k->nrip; i++) {
		const struct kvm_rip_row *rr = &k->rips[i];
		char ent[64], func[128];
		struct guest *g;
		struct frow *f = NULL;
		int j;

		if (!rr->delta.count)
			continue;
		entity_of(owner, ctx, rr->key.tid, rr->key.tgid, ent, sizeof(ent));
		g = guest_get(rr->key.tgid, ent);
		if (g)
			check_match(k, g);
		func_name(g, rr->key.rip, func, sizeof(func));
		for (j = 0; j < n; j++)
			if (rows[j].tgid == rr->key.tgid && !strcmp(rows[j].func, func))
				break;
		if (j == n) {
			f = array_grow(rows, &cap, n, sizeof(*rows));
			if (!f)
				break;
			rows = f;
			f = &rows[n++];
			memset(f, 0, sizeof(*f));
			f->tgid = rr->key.tgid;
			snprintf(f->entity, sizeof(f->entity), "%s", ent);
			snprintf(f->func, sizeof(f->func), "%s", func);
		}
		f = &rows[j];
		f->count += rr->delta.count;
		f->ns += rr->delta.handle_ns;
		for (j = 0; j < f->nr; j++)
			if (f->r[j].isa == rr->key.isa && f->r[j].reason == rr->key.reason)
				break;
		if (j == f->nr && f->nr < MAX_REASONS) {
			f->r[j].isa = rr->key.isa;
			f->r[j].reason = rr->key.reason;
			f->r[j].count = 0;
			f->nr++;
		}
		if (j < f->nr)
			f->r[j].count += rr->delta.count;
		else
			f->other_reasons += rr->delta.count;
	}
	*out = rows;
	return n;
}

static void reasons_text(const struct frow *f, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < f->nr && used < len; i++) {
		const char *name = kvmexit_reason_name(f->r[i].isa, f->r[i].reason);
		char num[16];

		snprintf(num, sizeof(num), "#%u", f->r[i].reason);
		used += snprintf(buf + used, len - used, "%s%s %llu", i ? ", " : "",
				 name ? name : num, (unsigned long long)f->r[i].count);
	}
	if (f->other_reasons && used < len)
		snprintf(buf + used, len - used, ", other %llu",
			 (unsigned long long)f->other_reasons);
}

static void render_funcs(struct frow *rows, int n, bool time, uint64_t requests, uint32_t req_tgid,
			 struct out *o)
{
	struct table t;
	int shown = 0;

	by_time = time;
	if (n)
		qsort(rows, n, sizeof(*rows), frow_cmp);
	table_init(&t, time ? "kvm_guest_functions_time" : "kvm_guest_functions",
		   time ? "KVM exits by guest function (top by handling time)" :
			  "KVM exits by guest function (top by count)");
	table_col(&t, "entity", "ENTITY", 0, true);
	table_col(&t, "function", "GUEST-FUNCTION", 0, true);
	table_col(&t, "exits", "EXITS", 0, false);
	table_col(&t, "exits_per_req", "PER_REQ", 2, false);
	table_col(&t, "handle_ms", "HANDLE_MS", 2, false);
	table_col(&t, "handle_avg_us", "AVG_US", 2, false);
	table_col(&t, "handle_us_per_req", "US_PER_REQ", 2, false);
	table_col(&t, "reasons", "REASONS", 0, true);
	for (int i = 0; i < n; i++) {
		const struct frow *f = &rows[i];
		bool per = requests && (!req_tgid || f->tgid == req_tgid);
		char reasons[256];
		int r;

		if (past_top(&t, rows, sizeof(*rows), offsetof(struct frow, entity),
			     offsetof(struct frow, count), n, &i, &shown, "guest functions"))
			continue;
		r = table_row(&t);
		table_str(&t, r, 0, f->entity);
		table_str(&t, r, 1, f->func);
		table_u64(&t, r, 2, f->count);
		if (per)
			table_f64(&t, r, 3, (double)f->count / requests);
		else
			table_none(&t, r, 3);
		table_f64(&t, r, 4, f->ns / 1e6);
		table_f64(&t, r, 5, f->ns / 1e3 / f->count);
		if (per)
			table_f64(&t, r, 6, f->ns / 1e3 / requests);
		else
			table_none(&t, r, 6);
		reasons_text(f, reasons, sizeof(reasons));
		table_str(&t, r, 7, reasons);
	}
	for (int i = 0; i < nguests; i++) {
		bool used = false;

		for (int j = 0; j < n && !used; j++)
			used = rows[j].tgid == guests[i].tgid;
		if (used)
			table_note(&t, "%s", guests[i].sym_note);
	}
	if (!n)
		table_note(&t, "no KVM exit in this period");
	table_render(&t, o);
	table_free(&t);
}

/* ---- by device ---- */

struct drow {
	uint32_t tgid;
	char entity[64], device[96];
	unsigned int kind, write;
	uint64_t addr, count, ns;
};

static int drow_cmp(const void *a, const void *b)
{
	const struct drow *x = a, *y = b;
	int c = strcmp(x->entity, y->entity);

	if (c)
		return c;
	return x->count != y->count ? (x->count < y->count ? 1 : -1) : (x->addr > y->addr);
}

static void guest_map(struct guest *g)
{
	char path[512], sock[256], *cmdline;
	size_t len = 0;

	g->map_tried = true;
	g->map_seq = render_seq;
	devmap_free(&g->map);
	snprintf(path, sizeof(path), "/proc/%u/cmdline", g->tgid);
	cmdline = read_file(path, &len);
	if (!cmdline || qmp_socket_path(cmdline, len, sock, sizeof(sock)))
		vp_na_set(&g->map_na, VP_NA_NO_TARGET,
			  "qemu %u has no QMP unix socket (-qmp unix:PATH,server=on,wait=off): "
			  "devices not named",
			  g->tgid);
	else if (qmp_mtree((pid_t)g->tgid, sock, &g->map, path, sizeof(path)))
		vp_na_set(&g->map_na, VP_NA_OTHER, "devices not named: %s", path);
	else
		vp_na_clear(&g->map_na);
	free(cmdline);
}

static void render_devices(const struct kvmexit *k, io_owner_fn owner, void *ctx, uint64_t requests,
			   uint32_t req_tgid, struct out *o)
{
	struct drow *rows = NULL;
	int n = 0, cap = 0;
	struct table t;

	for (int i = 0; i < k->nio; i++) {
		const struct kvm_io_row *io = &k->ios[i];
		const struct devmap_range *dr = NULL;
		char ent[64], dev[96] = "?";
		struct guest *g;
		struct drow *d;
		int j;

		if (!io->delta.count)
			continue;
		entity_of(owner, ctx, 0, io->key.tgid, ent, sizeof(ent));
		for (j = 0; j < k->n; j++) /* a vCPU thread of the VM names its entity */
			if (k->rows[j].key.tgid == io->key.tgid) {
				entity_of(owner, ctx, k->rows[j].key.tid, io->key.tgid, ent,
					  sizeof(ent));
				break;
			}
		g = guest_get(io->key.tgid, ent);
		if (g && !g->map_tried)
			guest_map(g);
		if (g) {
			dr = devmap_find(&g->map, io->key.kind == VP_KVM_IO_PIO, io->key.addr);
			/* BARs are placed while the guest boots: ask again (once per render) */
			if (!dr && !vp_na_is(&g->map_na) && g->map_seq != render_seq) {
				guest_map(g);
				dr = devmap_find(&g->map, io->key.kind == VP_KVM_IO_PIO,
						 io->key.addr);
			}
		}
		if (dr)
			devmap_name(dr, dev, sizeof(dev));
		for (j = 0; j < n; j++)
			if (rows[j].tgid == io->key.tgid && rows[j].kind == io->key.kind &&
			    rows[j].write == io->key.write && !strcmp(rows[j].device, dev) &&
			    (dr || rows[j].addr == io->key.addr))
				break;
		if (j == n) {
			d = array_grow(rows, &cap, n, sizeof(*rows));
			if (!d)
				break;
			rows = d;
			d = &rows[n++];
			memset(d, 0, sizeof(*d));
			d->tgid = io->key.tgid;
			d->kind = io->key.kind;
			d->write = io->key.write;
			d->addr = dr ? dr->lo : io->key.addr;
			snprintf(d->entity, sizeof(d->entity), "%s", ent);
			snprintf(d->device, sizeof(d->device), "%s", dev);
		}
		rows[j].count += io->delta.count;
		rows[j].ns += io->delta.handle_ns;
	}
	if (n)
		qsort(rows, n, sizeof(*rows), drow_cmp);
	table_init(&t, "kvm_devices", "KVM port and MMIO exits by device");
	table_col(&t, "entity", "ENTITY", 0, true);
	table_col(&t, "kind", "KIND", 0, true);
	table_col(&t, "dir", "DIR", 0, true);
	table_col(&t, "address", "ADDRESS", 0, true);
	table_col(&t, "device", "DEVICE", 0, true);
	table_col(&t, "exits", "EXITS", 0, false);
	table_col(&t, "exits_per_req", "PER_REQ", 2, false);
	table_col(&t, "handle_avg_us", "AVG_US", 2, false);
	for (int i = 0; i < n; i++) {
		const struct drow *d = &rows[i];
		bool pio = d->kind == VP_KVM_IO_PIO;
		char addr[32];
		int r = table_row(&t);

		table_str(&t, r, 0, d->entity);
		table_str(&t, r, 1, pio ? "pio" : "mmio");
		table_str(&t, r, 2,
			  pio ? (d->write ? "out" : "in") : (d->write ? "write" : "read"));
		snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)d->addr);
		table_str(&t, r, 3, addr);
		table_str(&t, r, 4, d->device);
		table_u64(&t, r, 5, d->count);
		if (requests && (!req_tgid || d->tgid == req_tgid))
			table_f64(&t, r, 6, (double)d->count / requests);
		else
			table_none(&t, r, 6);
		table_f64(&t, r, 7, d->ns / 1e3 / d->count);
	}
	for (int i = 0; i < nguests; i++)
		if (guests[i].map_tried)
			table_note_na(&t, &guests[i].map_na);
	if (!n)
		table_note(&t, "no port or MMIO exit in this period");
	table_render(&t, o);
	table_free(&t);
	free(rows);
}

/* ---- the exit profile: guest function -> exit reason (-> the host's stacks: stacks JSON) ---- */

struct prow {
	char entity[64], head[192]; /* "[guest] function;[exit] REASON" */
	uint64_t count, ns, samples;
};

static int prow_cmp(const void *a, const void *b)
{
	const struct prow *x = a, *y = b;
	int c = strcmp(x->entity, y->entity);

	if (c)
		return c;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->samples != y->samples)
		return x->samples < y->samples ? 1 : -1;
	return strcmp(x->head, y->head);
}

static struct prow *prow_get(struct prow **rows, int *n, int *cap, const char *entity,
			     const char *head, size_t hlen)
{
	struct prow *p;

	for (int i = 0; i < *n; i++)
		if (!strcmp((*rows)[i].entity, entity) && strlen((*rows)[i].head) == hlen &&
		    !strncmp((*rows)[i].head, head, hlen))
			return &(*rows)[i];
	p = array_push((void **)rows, n, cap, sizeof(*p));
	if (!p)
		return NULL;
	snprintf(p->entity, sizeof(p->entity), "%s", entity);
	snprintf(p->head, sizeof(p->head), "%.*s", (int)hlen, head);
	return p;
}

static void render_profile(const struct kvmexit *k, io_owner_fn owner, void *ctx,
			   const struct stack_profile *xs, const struct vp_na *xs_na, struct out *o)
{
	const struct vp_na *sampling_off =
		vp_na_is(xs_na) ? xs_na : VP_NA_LIT(VP_NA_OPTION, "stack sampling off (--stacks)");
	struct prow *rows = NULL, *p;
	int n = 0, cap = 0, shown = 0;
	struct table t;

	for (int i = 0; i < k->nrip; i++) {
		const struct kvm_rip_row *rr = &k->rips[i];
		char ent[64], func[128], why[16], head[192];

		if (!rr->delta.count)
			continue;
		entity_of(owner, ctx, rr->key.tid, rr->key.tgid, ent, sizeof(ent));
		func_name(guest_get(rr->key.tgid, ent), rr->key.rip, func, sizeof(func));
		reason_text(rr->key.isa, rr->key.reason, why, sizeof(why));
		stack_fold_exit(head, sizeof(head), func, why, NULL);
		p = prow_get(&rows, &n, &cap, ent, head, stack_exit_head(head));
		if (!p)
			break;
		p->count += rr->delta.count;
		p->ns += rr->delta.handle_ns;
	}
	for (int i = 0; xs && i < xs->n; i++) {
		size_t hl = stack_exit_head(xs->rows[i].stack);

		if (hl &&
		    (p = prow_get(&rows, &n, &cap, xs->rows[i].entity, xs->rows[i].stack, hl)))
			p->samples += xs->rows[i].count;
	}
	if (n)
		qsort(rows, n, sizeof(*rows), prow_cmp);
	table_init(
		&t, "kvm_exit_profile",
		"KVM exit profile: guest function -> exit reason (host samples inside the exits)");
	table_col(&t, "entity", "ENTITY", 0, true);
	table_col(&t, "folded", "GUEST-FUNCTION;EXIT", 0, true);
	table_col(&t, "exits", "EXITS", 0, false);
	table_col(&t, "handle_avg_us", "AVG_US", 2, false);
	table_col(&t, "samples", "SAMPLES", 0, false);
	table_col(&t, "sampled_ms", "SAMPLED_MS", 2, false);
	for (int i = 0; i < n; i++) {
		const struct prow *f = &rows[i];
		int r;

		if (past_top(&t, rows, sizeof(*rows), offsetof(struct prow, entity),
			     offsetof(struct prow, count), n, &i, &shown, "functions and reasons"))
			continue;
		r = table_row(&t);
		table_str(&t, r, 0, f->entity);
		table_str(&t, r, 1, f->head);
		table_u64(&t, r, 2, f->count);
		if (f->count)
			table_f64(&t, r, 3, f->ns / 1e3 / f->count);
		else
			table_none(&t, r, 3);
		if (xs && xs->on && xs->hz) {
			table_u64(&t, r, 4, f->samples);
			table_f64(&t, r, 5, f->samples * 1e3 / xs->hz);
		} else {
			table_na(&t, r, 4, sampling_off);
			table_na(&t, r, 5, sampling_off);
		}
	}
	if (!n)
		table_note(&t, "no KVM exit in this period");
	if (xs && xs->on)
		table_note(
			&t,
			"SAMPLES: stack samples of the vCPU threads between kvm_exit and "
			"kvm_entry (%u Hz per CPU); their host stacks: --exit-folded, --exit-pprof, "
			"the JSON's stacks.exit_folded and the HTML report's flame graphs",
			xs->hz);
	if (xs && xs->on)
		table_note(&t, "EXTERNAL_INTERRUPT / INTR samples include the sampler's own timer "
			       "taking the vCPU out of the guest: guest time, with no host kernel "
			       "stack, more than handling");
	table_render(&t, o);
	table_free(&t);
	free(rows);
}

/* ---- halt polling ---- */

static void render_halt(const struct kvmexit *k, io_owner_fn owner, void *ctx, uint64_t requests,
			uint32_t req_tgid, struct out *o)
{
	struct table t;

	table_init(&t, "kvm_halt_poll", "KVM halt polling (host CPU polling for a halted vCPU)");
	table_col(&t, "entity", "ENTITY", 0, true);
	table_col(&t, "poll_ms", "POLL_MS", 2, false);
	table_col(&t, "poll_ok_ms", "POLL_OK_MS", 2, false);
	table_col(&t, "poll_fail_ms", "POLL_FAIL_MS", 2, false);
	table_col(&t, "wait_ms", "WAIT_MS", 2, false);
	table_col(&t, "poll_us_per_req", "POLL_US_PER_REQ", 2, false);
	for (int i = 0; i < k->nhalt; i++) {
		const struct kvm_halt_row *h = &k->halts[i];
		uint64_t poll = h->delta[KVM_HALT_POLL_OK] + h->delta[KVM_HALT_POLL_FAIL];
		char ent[64];
		int r;

		for (int j = 0; j < k->n; j++)
			if (k->rows[j].key.tgid == h->tgid) {
				entity_of(owner, ctx, k->rows[j].key.tid, h->tgid, ent,
					  sizeof(ent));
				break;
			}
		r = table_row(&t);
		table_str(&t, r, 0, ent);
		if (!h->has[KVM_HALT_POLL_OK] || !h->has[KVM_HALT_POLL_FAIL]) {
			for (int c = 1; c < t.ncols; c++)
				table_na(&t, r, c,
					 vp_na_is(&k->halt_na) ?
						 &k->halt_na :
						 VP_NA_LIT(VP_NA_UNMEASURED,
							   "halt polling: no debugfs "
							   "statistics for this VM"));
			continue;
		}
		table_f64(&t, r, 1, poll / 1e6);
		table_f64(&t, r, 2, h->delta[KVM_HALT_POLL_OK] / 1e6);
		table_f64(&t, r, 3, h->delta[KVM_HALT_POLL_FAIL] / 1e6);
		if (h->has[KVM_HALT_WAIT])
			table_f64(&t, r, 4, h->delta[KVM_HALT_WAIT] / 1e6);
		else
			table_na(
				&t, r, 4,
				VP_NA_LIT(
					VP_NA_KERNEL,
					"WAIT_MS: no halt_wait_ns statistic in this kernel (5.16+)"));
		if (requests && (!req_tgid || h->tgid == req_tgid))
			table_f64(&t, r, 5, poll / 1e3 / requests);
		else
			table_none(&t, r, 5);
	}
	if (!k->nhalt) {
		int r = table_row(&t);

		table_str(&t, r, 0, "*");
		for (int c = 1; c < t.ncols; c++)
			table_na(&t, r, c,
				 vp_na_is(&k->halt_na) ?
					 &k->halt_na :
					 VP_NA_LIT(VP_NA_UNMEASURED,
						   "halt polling: no vCPU seen in this period"));
	}
	table_note(&t, "KVM's debugfs statistics, summed over each VM's vCPUs: part of the vCPU "
		       "threads' time outside the guest (EXITS), shown apart");
	{
		char *hp = read_file("/sys/module/kvm/parameters/halt_poll_ns", NULL);

		/* no poll at all: the host's limit is 0, or the guest turned host polling off */
		table_note(&t,
			   "halt_poll_ns %s; a VM that never polls has it 0, or its guest turned "
			   "host polling off (MSR_KVM_POLL_CONTROL: the guest's cpuidle-haltpoll)",
			   hp ? strtok(hp, "\n") : "unknown");
		free(hp);
	}
	table_render(&t, o);
	table_free(&t);
}

/* a table of one row, "*" and n/a for the reason */
static void na_table(const char *key, const char *title, const char *col, const char *head,
		     const struct vp_na *na, struct out *o)
{
	struct table t;
	int r;

	table_init(&t, key, title);
	table_col(&t, "entity", "ENTITY", 0, true);
	table_col(&t, col, head, 0, true);
	r = table_row(&t);
	table_str(&t, r, 0, "*");
	table_na(&t, r, 1, na);
	table_render(&t, o);
	table_free(&t);
}

void exits_render(const struct kvmexit *k, io_owner_fn owner, void *ctx, uint64_t requests,
		  uint32_t req_tgid, const struct stack_profile *xs, const struct vp_na *xs_na,
		  struct out *o)
{
	const struct vp_na *na = !k ? VP_NA_LIT(VP_NA_OTHER, "KVM programs not loaded") :
				      &k->exit_na;
	struct frow *rows = NULL;
	int n;

	render_seq++;
	if (vp_na_is(na)) {
		na_table("kvm_guest_functions", "KVM exits by guest function", "function",
			 "GUEST-FUNCTION", na, o);
		na_table("kvm_exit_profile", "KVM exit profile", "folded", "GUEST-FUNCTION;EXIT",
			 na, o);
		return;
	}
	n = build_funcs(k, owner, ctx, &rows);
	render_funcs(rows, n, false, requests, req_tgid, o);
	render_funcs(rows, n, true, requests, req_tgid, o);
	free(rows);
	render_profile(k, owner, ctx, xs, xs_na, o);
	render_devices(k, owner, ctx, requests, req_tgid, o);
	render_halt(k, owner, ctx, requests, req_tgid, o);
}
