// SPDX-License-Identifier: GPL-2.0
/* Container names from the runtimes' own records (names.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "account/names.h"
#include "sys/util.h"

#define DOCKER_MAX_BODY (1 << 20)
#define FILE_MAX (4 << 20)

struct body {
	char *buf;
	size_t len;
	bool overflow;
};

static size_t body_write(char *p, size_t sz, size_t nm, void *ctx)
{
	struct body *b = ctx;
	size_t n = sz * nm;
	char *nb;

	if (b->len + n > DOCKER_MAX_BODY) {
		b->overflow = true;
		return 0; /* aborts the transfer */
	}
	nb = realloc(b->buf, b->len + n + 1);
	if (!nb)
		return 0;
	b->buf = nb;
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

/* One GET on the Engine API; the body (malloc'd) on 200, -ENOENT on 404 or no daemon. */
static int docker_get(const char *path, char **out)
{
	struct body b = { 0 };
	char url[512];
	long code = 0;
	CURLcode rc;
	CURL *c;

	*out = NULL;
	if (access(DOCKER_SOCK, F_OK))
		return -ENOENT;
	c = curl_easy_init();
	if (!c)
		return -ENOMEM;
	snprintf(url, sizeof(url), "http://localhost%s", path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, DOCKER_SOCK);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 500L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK || code != 200) {
		if (rc != CURLE_OK && vp_verbose)
			fprintf(stderr, "virtprof: docker API %s: %s%s\n", path,
				curl_easy_strerror(rc),
				b.overflow ? " (response above 1 MiB)" : "");
		free(b.buf);
		return rc == CURLE_OK && code != 404 ? -EIO : -ENOENT;
	}
	*out = b.buf;
	return 0;
}

int docker_api_inspect(const char *ref, struct docker_info *out)
{
	json_t *root, *st, *nets, *v;
	char path[256], *body;
	const char *key, *name;
	int err;

	memset(out, 0, sizeof(*out));
	for (const char *p = ref; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    *p))
			return -EINVAL;
	if (!ref[0] || strlen(ref) > 128)
		return -EINVAL;
	snprintf(path, sizeof(path), "/containers/%s/json", ref);
	err = docker_get(path, &body);
	if (err)
		return err;
	root = json_loads(body, 0, NULL);
	free(body);
	if (!json_is_object(root)) {
		json_decref(root);
		return -EIO;
	}
	snprintf(out->id, sizeof(out->id), "%s",
		 json_string_value(json_object_get(root, "Id")) ?: "");
	name = json_string_value(json_object_get(root, "Name")) ?: "";
	snprintf(out->name, sizeof(out->name), "%s", name[0] == '/' ? name + 1 : name);
	st = json_object_get(root, "State");
	out->pid = (pid_t)json_integer_value(json_object_get(st, "Pid"));
	out->running = json_is_true(json_object_get(st, "Running"));
	nets = json_object_get(json_object_get(root, "NetworkSettings"), "Networks");
	json_object_foreach(nets, key, v)
	{
		const char *ip = json_string_value(json_object_get(v, "IPAddress"));

		if (ip && ip[0]) {
			snprintf(out->ip, sizeof(out->ip), "%s", ip);
			break;
		}
	}
	json_decref(root);
	return out->id[0] ? 0 : -EIO;
}

static const char *ann(json_t *a, const char *k1, const char *k2)
{
	const char *v = json_string_value(json_object_get(a, k1));

	if (!v || !v[0])
		v = json_string_value(json_object_get(a, k2));
	return v && v[0] ? v : NULL;
}

int oci_kube_names(const char *text, struct kube_names *out)
{
	json_t *root = json_loads(text, 0, NULL), *a;
	const char *ns, *pod, *ctr, *type;

	memset(out, 0, sizeof(*out));
	a = json_object_get(root, "annotations");
	/* CRI-O (and the kubelet's labels) say io.kubernetes.*; containerd's CRI io.kubernetes.cri.* */
	ns = ann(a, "io.kubernetes.pod.namespace", "io.kubernetes.cri.sandbox-namespace");
	pod = ann(a, "io.kubernetes.pod.name", "io.kubernetes.cri.sandbox-name");
	ctr = ann(a, "io.kubernetes.container.name", "io.kubernetes.cri.container-name");
	type = ann(a, "io.kubernetes.cri.container-type", "io.kubernetes.cri-o.ContainerType");
	out->sandbox = type && !strcmp(type, "sandbox");
	if (ns)
		snprintf(out->pod_ns, sizeof(out->pod_ns), "%s", ns);
	if (pod)
		snprintf(out->pod_name, sizeof(out->pod_name), "%s", pod);
	if (ctr && !out->sandbox)
		snprintf(out->container, sizeof(out->container), "%s", ctr);
	json_decref(root);
	return ns || pod || ctr || out->sandbox ? 0 : -ENOENT;
}

static char *read_bounded(const char *path)
{
	struct stat st;

	if (stat(path, &st) || !S_ISREG(st.st_mode) || st.st_size > FILE_MAX)
		return NULL;
	return read_file(path, NULL);
}

char *oci_bundle_config(const char *runtime, const char *ns, const char *id)
{
	char path[512];
	char *buf = NULL;

	/* Kata's shim is a containerd shim v2: its sandbox's bundle is where runc's would be */
	if (!strcmp(runtime, "containerd") || !strcmp(runtime, "kubernetes") ||
	    !strcmp(runtime, "kata")) {
		snprintf(path, sizeof(path),
			 "/run/containerd/io.containerd.runtime.v2.task/%s/%s/config.json",
			 ns && ns[0] ? ns : "k8s.io", id);
		buf = read_bounded(path);
	}
	if (!buf && strcmp(runtime, "containerd")) {
		/* CRI-O keeps the bundle under the run root, podman under the storage root */
		snprintf(path, sizeof(path),
			 "/run/containers/storage/overlay-containers/%s/userdata/config.json", id);
		buf = read_bounded(path);
		if (!buf) {
			snprintf(
				path, sizeof(path),
				"/var/lib/containers/storage/overlay-containers/%s/userdata/config.json",
				id);
			buf = read_bounded(path);
		}
	}
	return buf;
}

int storage_parse_name(const char *text, const char *id, char *buf, size_t len)
{
	json_t *root = json_loads(text, 0, NULL), *c;
	size_t i;
	int err = -ENOENT;

	json_array_foreach(root, i, c)
	{
		const char *cid = json_string_value(json_object_get(c, "id"));
		const char *n = json_string_value(json_array_get(json_object_get(c, "names"), 0));

		if (cid && !strcmp(cid, id) && n && n[0]) {
			snprintf(buf, len, "%s", n);
			err = 0;
			break;
		}
	}
	json_decref(root);
	return err;
}

int storage_container_name(const char *id, char *buf, size_t len)
{
	char *text = read_bounded("/var/lib/containers/storage/overlay-containers/containers.json");
	int err = text ? storage_parse_name(text, id, buf, len) : -ENOENT;

	free(text);
	return err;
}
