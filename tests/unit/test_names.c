// SPDX-License-Identifier: GPL-2.0
/* Container names from runtime records (account/names.c): the pure parsers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "account/names.h"

static void crio_annotations(void **state)
{
	struct kube_names kn;

	(void)state;
	assert_int_equal(
		oci_kube_names("{\"annotations\":{\"io.kubernetes.pod.namespace\":\"shop\","
			       "\"io.kubernetes.pod.name\":\"cart-7d9\","
			       "\"io.kubernetes.container.name\":\"nginx\"}}",
			       &kn),
		0);
	assert_string_equal(kn.pod_ns, "shop");
	assert_string_equal(kn.pod_name, "cart-7d9");
	assert_string_equal(kn.container, "nginx");
	assert_false(kn.sandbox);
}

static void containerd_sandbox(void **state)
{
	struct kube_names kn;

	(void)state;
	assert_int_equal(oci_kube_names("{\"annotations\":{"
					"\"io.kubernetes.cri.container-type\":\"sandbox\","
					"\"io.kubernetes.cri.sandbox-namespace\":\"kube-system\","
					"\"io.kubernetes.cri.sandbox-name\":\"coredns-1\"}}",
					&kn),
			 0);
	assert_true(kn.sandbox);
	assert_string_equal(kn.pod_ns, "kube-system");
	assert_string_equal(kn.pod_name, "coredns-1");
	assert_string_equal(kn.container, "");
}

static void no_names(void **state)
{
	struct kube_names kn;

	(void)state;
	/* podman's own config.json: annotations, but none that names a pod */
	assert_int_equal(oci_kube_names("{\"annotations\":{\"io.container.manager\":\"libpod\"}}",
					&kn),
			 -ENOENT);
	assert_int_equal(oci_kube_names("not json", &kn), -ENOENT);
	assert_int_equal(oci_kube_names("{\"annotations\":{\"io.kubernetes.pod.name\":7}}", &kn),
			 -ENOENT);
}

static void storage_names(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(storage_parse_name("[{\"id\":\"aa\",\"names\":[\"web\"]},"
					    "{\"id\":\"bb\",\"names\":[\"db\",\"db2\"]}]",
					    "bb", buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "db");
	assert_int_equal(storage_parse_name("[{\"id\":\"aa\",\"names\":[]}]", "aa", buf,
					    sizeof(buf)),
			 -ENOENT);
	assert_int_equal(storage_parse_name("{}", "aa", buf, sizeof(buf)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crio_annotations),
		cmocka_unit_test(containerd_sandbox),
		cmocka_unit_test(no_names),
		cmocka_unit_test(storage_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
