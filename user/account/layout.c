// SPDX-License-Identifier: GPL-2.0
/*
 * The table of cgroup layouts (layout.h).  Each rule is a pattern over the cgroup path: literal
 * text and {field}s, each field checked by its own syntax (an id is 64 hex digits, a qos one of
 * Kubernetes' two named classes, ...), matched with backtracking so "{rt}-{id}" splits
 * "cri-containerd-<id>" right.  "**" as the first component: any ancestors (a runtime's cgroups
 * may sit below a slice or a delegated user service).  First matching rule wins: the more
 * specific ones come first.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "account/layout.h"
#include "sys/util.h"

enum rule_flag {
	R_POD = 1,
	R_HELPER = 2,
	R_VM = 4,
	R_EVIDENCE = 8,
};

static const struct layout_rule {
	const char *name;
	const char *runtime; /* NULL: from the {rt} field */
	const char *pattern;
	unsigned int flags;
} rules[] = {
	/*
	 * Kata Containers: a pod whose sandbox is a VM.  kata-containers' Go runtime
	 * (src/runtime/virtcontainers/sandbox.go, createResourceController) puts the shim, the VMM
	 * and virtiofsd in one sandbox cgroup (sandbox_cgroup_only=true): the sandbox's OCI
	 * cgroupsPath with its base renamed "kata_<base>" (pkg/resourcecontrol RenameCgroupPath,
	 * CgroupKataPrefix "kata") -- on the cgroupfs driver /kubepods/<qos>/pod<uid>/kata_<id>;
	 * with a systemd path (slice:prefix:name) it keeps the runtime's own scope
	 * cri-containerd-<id>.scope, matched by the k8s-systemd rule below (then the VMM inside is
	 * the evidence, account/targets.c).  runtime-rs keeps the cgroupsPath as it is.
	 */
	{ "k8s-kata", "kata", "**/kubepods/{qos}/pod{uid}/kata_{id}", R_POD },
	{ "k8s-kata", "kata", "**/kubepods/pod{uid}/kata_{id}", R_POD },
	{ "k8s-kata", "kata", "**/kubepods-{qos}-pod{uid}.slice/kata_{id}", R_POD },
	{ "k8s-kata", "kata", "**/kubepods-pod{uid}.slice/kata_{id}", R_POD },
	/* Kubernetes, systemd cgroup driver; guaranteed pods have no qos slice */
	{ "k8s-systemd", NULL, "**/kubepods-{qos}-pod{uid}.slice/{rt}-{id}.scope", R_POD },
	{ "k8s-systemd", NULL, "**/kubepods-pod{uid}.slice/{rt}-{id}.scope", R_POD },
	/* Kubernetes, cgroupfs driver: containerd and docker use the bare id, CRI-O crio-<id> */
	{ "k8s-cgroupfs", NULL, "**/kubepods/{qos}/pod{uid}/{rt}-{id}", R_POD },
	{ "k8s-cgroupfs", NULL, "**/kubepods/pod{uid}/{rt}-{id}", R_POD },
	{ "k8s-cgroupfs", "kubernetes", "**/kubepods/{qos}/pod{uid}/{id}", R_POD },
	{ "k8s-cgroupfs", "kubernetes", "**/kubepods/pod{uid}/{id}", R_POD },
	/* docker: cgroupfs and systemd drivers */
	{ "docker-cgroupfs", "docker", "**/docker/{id}", 0 },
	{ "docker-systemd", "docker", "**/docker-{id}.scope", 0 },
	/* CRI-O outside a pod slice, its conmon beside each container */
	{ "crio", "cri-o", "**/crio-conmon-{id}.scope", R_HELPER },
	{ "crio", "cri-o", "**/crio-{id}.scope", 0 },
	/* podman: systemd manager (rootful machine.slice, rootless user@<uid>.service), cgroupfs */
	{ "podman-systemd", "podman", "**/libpod-conmon-{id}.scope", R_HELPER },
	{ "podman-systemd", "podman", "**/libpod-{id}.scope", 0 },
	{ "podman-cgroupfs", "podman", "/libpod_parent/libpod-conmon-{id}", R_HELPER },
	{ "podman-cgroupfs", "podman", "/libpod_parent/libpod-{id}", 0 },
	/* LXC 4+: payload and monitor side by side; LXC 3 and older: /lxc/<name> */
	{ "lxc", "lxc", "**/lxc.monitor.{name}", R_HELPER },
	{ "lxc", "lxc", "**/lxc.payload.{name}", 0 },
	{ "lxc-legacy", "lxc", "/lxc/{name}", 0 },
	/* libvirt's qemu domains, then systemd-nspawn (and other machined machines) */
	{ "libvirt", "libvirt", "**/machine-qemu\\x2d{n}\\x2d{name}.scope", R_VM },
	{ "nspawn", "nspawn", "**/machine-{name}.scope", 0 },
	/* plain containerd (ctr run): /<namespace>/<id>, only with a containerd-shim parent */
	{ "containerd", "containerd", "/{ns}/{cid}", R_EVIDENCE },
};

static const char *const runtimes[][2] = {
	/* {rt} prefix -> runtime; crio-conmon is CRI-O's helper */
	{ "cri-containerd", "containerd" },
	{ "crio-conmon", "cri-o" },
	{ "crio", "cri-o" },
	{ "docker", "docker" },
};

struct caps {
	const char *at[8];
	size_t len[8];
	char key[8][8];
	int n;
};

static bool all(const char *s, size_t n, int (*ok)(int))
{
	for (size_t i = 0; i < n; i++)
		if (!ok((unsigned char)s[i]))
			return false;
	return n > 0;
}

static int uid_char(int c)
{
	return isxdigit(c) || c == '-' || c == '_';
}

static int ctr_id_char(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.';
}

static int name_char(int c)
{
	return c != '/' && c != '\0';
}

static bool field_ok(const char *key, const char *s, size_t n)
{
	if (!strcmp(key, "id"))
		return n == 64 && all(s, n, isxdigit);
	if (!strcmp(key, "uid"))
		return n == 36 && all(s, n, uid_char);
	if (!strcmp(key, "qos"))
		return (n == 9 && !strncmp(s, "burstable", 9)) ||
		       (n == 10 && !strncmp(s, "besteffort", 10));
	if (!strcmp(key, "rt")) {
		for (size_t i = 0; i < ARRAY_SIZE(runtimes); i++)
			if (strlen(runtimes[i][0]) == n && !strncmp(s, runtimes[i][0], n))
				return true;
		return false;
	}
	if (!strcmp(key, "n"))
		return all(s, n, isdigit);
	if (!strcmp(key, "cid") || !strcmp(key, "ns"))
		return n < 64 && all(s, n, ctr_id_char) && s[0] != '.';
	return n < 64 && all(s, n, name_char); /* name */
}

/* Backtracking match of pattern p against s (both NUL-terminated), fields into c. */
static bool match(const char *p, const char *s, struct caps *c)
{
	while (*p && *p != '{') {
		if (*p != *s)
			return false;
		p++;
		s++;
	}
	if (!*p)
		return !*s;
	{
		const char *close = strchr(p, '}');
		size_t kl = close ? (size_t)(close - p - 1) : 0;
		char key[8];
		int slot = c->n;

		if (!close || kl >= sizeof(key) || slot >= 8)
			return false;
		memcpy(key, p + 1, kl);
		key[kl] = '\0';
		for (size_t n = 1; s[n - 1] && s[n - 1] != '/'; n++) {
			if (!field_ok(key, s, n))
				continue;
			c->at[slot] = s;
			c->len[slot] = n;
			snprintf(c->key[slot], sizeof(c->key[slot]), "%s", key);
			c->n = slot + 1;
			if (match(close + 1, s + n, c))
				return true;
			c->n = slot;
		}
		return false;
	}
}

static bool rule_match(const char *pattern, const char *path, struct caps *c)
{
	memset(c, 0, sizeof(*c));
	if (strncmp(pattern, "**/", 3))
		return match(pattern, path, c);
	/* any ancestors: try the pattern at every component boundary */
	for (const char *s = path; s; s = strchr(s + 1, '/'))
		if (*s == '/' && match(pattern + 2, s, c))
			return true;
	return false;
}

static void cap_copy(const struct caps *c, const char *key, char *buf, size_t len)
{
	for (int i = 0; i < c->n; i++) {
		if (strcmp(c->key[i], key))
			continue;
		snprintf(buf, len, "%.*s", (int)c->len[i], c->at[i]);
		return;
	}
}

void layout_unescape(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	if (!len)
		return;
	while (*s && o + 1 < len) {
		unsigned int v;

		if (s[0] == '\\' && s[1] == 'x' && isxdigit((unsigned char)s[2]) &&
		    isxdigit((unsigned char)s[3]) && sscanf(s + 2, "%2x", &v) == 1 && v) {
			buf[o++] = (char)v;
			s += 4;
		} else {
			buf[o++] = *s++;
		}
	}
	buf[o] = '\0';
}

int layout_match(const char *path, struct layout_match *m)
{
	char rt[32] = "", raw[64] = "";
	struct caps c;

	memset(m, 0, sizeof(*m));
	if (!path || path[0] != '/')
		return -ENOENT;
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		const struct layout_rule *r = &rules[i];

		if (!rule_match(r->pattern, path, &c))
			continue;
		m->rule = r->name;
		m->runtime = r->runtime;
		m->kind = r->flags & R_VM     ? LAYOUT_VM :
			  r->flags & R_HELPER ? LAYOUT_HELPER :
						LAYOUT_CTR;
		m->pod = r->flags & R_POD;
		m->needs_evidence = r->flags & R_EVIDENCE;
		cap_copy(&c, "rt", rt, sizeof(rt));
		for (size_t k = 0; rt[0] && k < ARRAY_SIZE(runtimes); k++)
			if (!strcmp(rt, runtimes[k][0]))
				m->runtime = runtimes[k][1];
		if (!strcmp(rt, "crio-conmon"))
			m->kind = LAYOUT_HELPER;
		cap_copy(&c, "id", m->id, sizeof(m->id));
		cap_copy(&c, "cid", m->id, sizeof(m->id));
		cap_copy(&c, "ns", m->ns, sizeof(m->ns));
		cap_copy(&c, "n", m->vm_index, sizeof(m->vm_index));
		cap_copy(&c, "name", raw, sizeof(raw));
		layout_unescape(raw, m->name, sizeof(m->name));
		if (m->name[0] && !m->id[0])
			snprintf(m->id, sizeof(m->id), "%s", m->name);
		cap_copy(&c, "uid", m->pod_uid, sizeof(m->pod_uid));
		for (char *u = m->pod_uid; *u; u++)
			if (*u == '_')
				*u = '-';
		cap_copy(&c, "qos", m->qos, sizeof(m->qos));
		if (m->pod && !m->qos[0])
			snprintf(m->qos, sizeof(m->qos), "guaranteed");
		return 0;
	}
	return -ENOENT;
}

int layout_vm_scope(const char *path, char *scope, size_t len, struct layout_match *m)
{
	char pre[512];
	size_t n;

	if (!path || path[0] != '/' || strlen(path) >= sizeof(pre))
		return -ENOENT;
	/* each prefix that ends a component, shortest first: the scope is the outermost match */
	for (const char *s = path + 1;; s++) {
		if (*s && *s != '/')
			continue;
		n = (size_t)(s - path);
		memcpy(pre, path, n);
		pre[n] = '\0';
		if (!layout_match(pre, m) && m->kind == LAYOUT_VM) {
			if (n >= len)
				return -ENAMETOOLONG;
			snprintf(scope, len, "%s", pre);
			return 0;
		}
		if (!*s)
			break;
	}
	memset(m, 0, sizeof(*m));
	return -ENOENT;
}

/* "vcpu12" with prefix "vcpu": the prefix and a number, nothing else */
static bool numbered(const char *dir, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strncmp(dir, prefix, n) && dir[n] && all(dir + n, strlen(dir + n), isdigit);
}

const char *layout_libvirt_role(const char *dir)
{
	if (numbered(dir, "vcpu"))
		return "vcpu";
	if (!strcmp(dir, "emulator"))
		return "emul";
	if (numbered(dir, "iothread"))
		return "io";
	return NULL;
}

bool layout_looks_like_container(const char *path)
{
	const char *base = strrchr(path, '/'), *s;
	size_t run = 0;

	base = base ? base + 1 : path;
	for (s = base; *s; s++) {
		run = isxdigit((unsigned char)*s) ? run + 1 : 0;
		if (run >= 64)
			return true;
	}
	return false;
}
