/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names a person recognizes for a container found in the cgroup tree, from what its runtime
 * leaves on disk or answers on its socket; each source optional (absent: the caller keeps the
 * 12-hex id).  docker: the Engine API on /var/run/docker.sock (libcurl over the unix socket);
 * containerd and CRI-O: the OCI bundle's config.json annotations (Kubernetes pod namespace, pod
 * and container name); podman and CRI-O: containers/storage's containers.json names.
 */
#ifndef VP_NAMES_H
#define VP_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define DOCKER_SOCK "/var/run/docker.sock"

struct docker_info {
	char id[72];
	char name[128];
	pid_t pid;
	bool running;
	char ip[48];
};

/* GET /containers/<ref>/json: 0, -ENOENT (no such container / no daemon), or -errno. */
int docker_api_inspect(const char *ref, struct docker_info *out);

struct kube_names {
	char pod_ns[64], pod_name[128], container[64];
	bool sandbox;
};

/* Parse an OCI config.json's annotations (pure: the text is given); 0 when any name was set. */
int oci_kube_names(const char *json, struct kube_names *out);
/*
 * A container's bundle config.json: containerd and Kata
 * (/run/containerd/io.containerd.runtime.v2.task/
 * <ns>/<id>/config.json, ns "" = k8s.io), CRI-O and podman (overlay-containers/<id>/userdata/);
 * malloc'd text or NULL.  Bounded: files above 4 MiB are not read.
 */
char *oci_bundle_config(const char *runtime, const char *ns, const char *id);
/* containers/storage's names of a container (podman, CRI-O): first name into buf; 0 if found. */
int storage_container_name(const char *id, char *buf, size_t len);
/* Pure: the first name of container id in containers.json text. */
int storage_parse_name(const char *json, const char *id, char *buf, size_t len);

#endif
