// SPDX-License-Identifier: GPL-2.0
/* The cgroup layout table (account/layout.c), one case per rule and the near misses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "account/layout.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID "8e5d2b1c-3f4a-4b5c-9d6e-7f8091a2b3c4"
#define UID_ "8e5d2b1c_3f4a_4b5c_9d6e_7f8091a2b3c4"

static struct layout_match m;

static void want(const char *path, const char *rule, const char *runtime, enum layout_kind kind,
		 const char *id)
{
	assert_int_equal(layout_match(path, &m), 0);
	assert_string_equal(m.rule, rule);
	assert_string_equal(m.runtime, runtime);
	assert_int_equal(m.kind, kind);
	assert_string_equal(m.id, id);
}

static void none(const char *path)
{
	assert_int_equal(layout_match(path, &m), -ENOENT);
}

static void k8s_systemd(void **state)
{
	(void)state;
	want("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	     ".slice/cri-containerd-" ID ".scope",
	     "k8s-systemd", "containerd", LAYOUT_CTR, ID);
	assert_true(m.pod);
	assert_string_equal(m.pod_uid, UID);
	assert_string_equal(m.qos, "burstable");
	want("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	     ".slice/crio-" ID ".scope",
	     "k8s-systemd", "cri-o", LAYOUT_CTR, ID);
	assert_string_equal(m.qos, "besteffort");
	want("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	     ".slice/crio-conmon-" ID ".scope",
	     "k8s-systemd", "cri-o", LAYOUT_HELPER, ID);
	want("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	     ".slice/docker-" ID ".scope",
	     "k8s-systemd", "docker", LAYOUT_CTR, ID);
	/* the kubelet's own slice above (kubelet.slice/kubelet-kubepods.slice) */
	want("/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
	     "kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" ID ".scope",
	     "k8s-systemd", "containerd", LAYOUT_CTR, ID);
}

/* Kata's sandbox cgroup: the cgroupfs driver's path with its base renamed kata_<sandbox id> */
static void k8s_kata(void **state)
{
	(void)state;
	want("/kubepods/burstable/pod" UID "/kata_" ID, "k8s-kata", "kata", LAYOUT_CTR, ID);
	assert_true(m.pod);
	assert_string_equal(m.pod_uid, UID);
	assert_string_equal(m.qos, "burstable");
	want("/kubepods/pod" UID "/kata_" ID, "k8s-kata", "kata", LAYOUT_CTR, ID);
	assert_string_equal(m.qos, "guaranteed");
	want("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	     ".slice/kata_" ID,
	     "k8s-kata", "kata", LAYOUT_CTR, ID);
	assert_string_equal(m.pod_uid, UID);
	want("/kubepods.slice/kubepods-pod" UID_ ".slice/kata_" ID, "k8s-kata", "kata", LAYOUT_CTR,
	     ID);
	/* a systemd cgroupsPath keeps the runtime's scope: a pod container like runc's */
	want("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	     ".slice/cri-containerd-" ID ".scope",
	     "k8s-systemd", "containerd", LAYOUT_CTR, ID);
	/* near misses: a short id, another prefix, no pod */
	none("/kubepods/burstable/pod" UID "/kata_0123");
	none("/kubepods/burstable/pod" UID "/kat_" ID);
	none("/kata_" ID);
}

static void k8s_systemd_guaranteed(void **state)
{
	(void)state;
	want("/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope",
	     "k8s-systemd", "containerd", LAYOUT_CTR, ID);
	assert_string_equal(m.qos, "guaranteed");
	assert_string_equal(m.pod_uid, UID);
}

static void k8s_cgroupfs(void **state)
{
	(void)state;
	want("/kubepods/burstable/pod" UID "/" ID, "k8s-cgroupfs", "kubernetes", LAYOUT_CTR, ID);
	assert_string_equal(m.pod_uid, UID);
	assert_string_equal(m.qos, "burstable");
	want("/kubepods/pod" UID "/" ID, "k8s-cgroupfs", "kubernetes", LAYOUT_CTR, ID);
	assert_string_equal(m.qos, "guaranteed");
	want("/kubepods/besteffort/pod" UID "/crio-" ID, "k8s-cgroupfs", "cri-o", LAYOUT_CTR, ID);
	want("/kubepods/pod" UID "/crio-conmon-" ID, "k8s-cgroupfs", "cri-o", LAYOUT_HELPER, ID);
	/* an unknown qos class is not a pod */
	none("/kubepods/golden/pod" UID "/" ID);
}

static void docker(void **state)
{
	(void)state;
	want("/docker/" ID, "docker-cgroupfs", "docker", LAYOUT_CTR, ID);
	assert_false(m.pod);
	want("/system.slice/docker-" ID ".scope", "docker-systemd", "docker", LAYOUT_CTR, ID);
	/* an id that is one digit short is no id */
	none("/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"
	     ".scope");
	/* at the root it is only plain containerd's shape, which needs a shim's evidence */
	want("/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
	     "containerd", "containerd", LAYOUT_CTR,
	     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde");
	assert_true(m.needs_evidence);
}

static void crio(void **state)
{
	(void)state;
	want("/machine.slice/crio-" ID ".scope", "crio", "cri-o", LAYOUT_CTR, ID);
	want("/machine.slice/crio-conmon-" ID ".scope", "crio", "cri-o", LAYOUT_HELPER, ID);
}

static void podman(void **state)
{
	(void)state;
	want("/machine.slice/libpod-" ID ".scope", "podman-systemd", "podman", LAYOUT_CTR, ID);
	want("/machine.slice/libpod-conmon-" ID ".scope", "podman-systemd", "podman", LAYOUT_HELPER,
	     ID);
	/* rootless: below the user's systemd instance */
	want("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope",
	     "podman-systemd", "podman", LAYOUT_CTR, ID);
	want("/libpod_parent/libpod-" ID, "podman-cgroupfs", "podman", LAYOUT_CTR, ID);
	want("/libpod_parent/libpod-conmon-" ID, "podman-cgroupfs", "podman", LAYOUT_HELPER, ID);
}

static void lxc(void **state)
{
	(void)state;
	want("/lxc.payload.web1", "lxc", "lxc", LAYOUT_CTR, "web1");
	assert_string_equal(m.name, "web1");
	want("/lxc.monitor.web1", "lxc", "lxc", LAYOUT_HELPER, "web1");
	want("/lxc/old-box", "lxc-legacy", "lxc", LAYOUT_CTR, "old-box");
}

static void nspawn_and_libvirt(void **state)
{
	(void)state;
	want("/machine.slice/machine-build\\x2dbox.scope", "nspawn", "nspawn", LAYOUT_CTR,
	     "build-box");
	want("/machine.slice/machine-qemu\\x2d3\\x2dweb\\x2d1.scope", "libvirt", "libvirt",
	     LAYOUT_VM, "web-1");
	assert_string_equal(m.vm_index, "3");
	assert_string_equal(m.name, "web-1");
}

/* A qemu thread's cgroup -> libvirt's machine scope above it, v2 (libvirt/) and v1 forms. */
static void libvirt_scope_of_thread(void **state)
{
	char scope[256];

	(void)state;
	assert_int_equal(layout_vm_scope("/machine.slice/machine-qemu\\x2d3\\x2dweb\\x2d1.scope/"
					 "libvirt/vcpu0",
					 scope, sizeof(scope), &m),
			 0);
	assert_string_equal(scope, "/machine.slice/machine-qemu\\x2d3\\x2dweb\\x2d1.scope");
	assert_string_equal(m.name, "web-1");
	assert_string_equal(m.vm_index, "3");
	assert_string_equal(m.runtime, "libvirt");
	/* v1: the sub-cgroups sit right under the scope; below any ancestors */
	assert_int_equal(
		layout_vm_scope("/vp/machine.slice/machine-qemu\\x2d12\\x2ddb.scope/emulator",
				scope, sizeof(scope), &m),
		0);
	assert_string_equal(scope, "/vp/machine.slice/machine-qemu\\x2d12\\x2ddb.scope");
	assert_string_equal(m.name, "db");
	/* the scope itself */
	assert_int_equal(layout_vm_scope("/machine.slice/machine-qemu\\x2d1\\x2da.scope", scope,
					 sizeof(scope), &m),
			 0);
	assert_string_equal(m.name, "a");
	/* not a VM scope: a container's, nspawn's, nothing; too small a buffer */
	assert_int_equal(layout_vm_scope("/machine.slice/machine-build.scope/x", scope,
					 sizeof(scope), &m),
			 -ENOENT);
	assert_int_equal(layout_vm_scope("/system.slice/docker-" ID ".scope", scope, sizeof(scope),
					 &m),
			 -ENOENT);
	assert_int_equal(layout_vm_scope("/", scope, sizeof(scope), &m), -ENOENT);
	assert_int_equal(layout_vm_scope("", scope, sizeof(scope), &m), -ENOENT);
	assert_int_equal(layout_vm_scope(NULL, scope, sizeof(scope), &m), -ENOENT);
	assert_int_equal(layout_vm_scope("/machine.slice/machine-qemu\\x2d1\\x2da.scope/emulator",
					 scope, 8, &m),
			 -ENAMETOOLONG);
}

/* libvirt's per-thread sub-cgroup names -> roles; near misses have none. */
static void libvirt_thread_roles(void **state)
{
	(void)state;
	assert_string_equal(layout_libvirt_role("vcpu0"), "vcpu");
	assert_string_equal(layout_libvirt_role("vcpu127"), "vcpu");
	assert_string_equal(layout_libvirt_role("emulator"), "emul");
	assert_string_equal(layout_libvirt_role("iothread1"), "io");
	assert_null(layout_libvirt_role("vcpu"));
	assert_null(layout_libvirt_role("vcpu1a"));
	assert_null(layout_libvirt_role("iothread"));
	assert_null(layout_libvirt_role("emulator0"));
	assert_null(layout_libvirt_role("libvirt"));
	assert_null(layout_libvirt_role(""));
}

static void containerd_plain(void **state)
{
	(void)state;
	want("/default/vp-job", "containerd", "containerd", LAYOUT_CTR, "vp-job");
	assert_true(m.needs_evidence);
	assert_string_equal(m.ns, "default");
	/* three levels are not ctr's layout */
	none("/default/vp-job/sub");
}

static void unknown(void **state)
{
	(void)state;
	none("/");
	none("/system.slice/nginx.service/x");
	none("relative/docker/" ID);
	none("/garden/runc-" ID "/x");
	assert_true(layout_looks_like_container("/garden/runc-" ID));
	assert_false(layout_looks_like_container("/system.slice/nginx.service"));
}

static void unescape(void **state)
{
	char buf[16];

	(void)state;
	layout_unescape("a\\x2db\\x2", buf, sizeof(buf));
	assert_string_equal(buf, "a-b\\x2");
	layout_unescape("0123456789abcdefXYZ", buf, sizeof(buf));
	assert_string_equal(buf, "0123456789abcde");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(k8s_systemd),
		cmocka_unit_test(k8s_systemd_guaranteed),
		cmocka_unit_test(k8s_cgroupfs),
		cmocka_unit_test(docker),
		cmocka_unit_test(crio),
		cmocka_unit_test(podman),
		cmocka_unit_test(lxc),
		cmocka_unit_test(nspawn_and_libvirt),
		cmocka_unit_test(k8s_kata),
		cmocka_unit_test(libvirt_scope_of_thread),
		cmocka_unit_test(libvirt_thread_roles),
		cmocka_unit_test(containerd_plain),
		cmocka_unit_test(unknown),
		cmocka_unit_test(unescape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
