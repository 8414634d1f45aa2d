// SPDX-License-Identifier: GPL-2.0
/*
 * serve --web-config (cmd/webconfig.c): the exporter-toolkit YAML in its usual spellings,
 * relative certificate paths, refusals with a line number, and bcrypt checks through libxcrypt
 * (real hashes made here with crypt_gensalt_rn at the lowest cost).  No root.
 */
#include <crypt.h>
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

#include "cmd/webconfig.h"

static char dir[64], hash[CRYPT_OUTPUT_SIZE];

static void put(const char *name, const char *text)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int load(const char *text, struct web_config *wc, char *why, size_t wlen)
{
	char p[128];

	put("web.yml", text);
	snprintf(p, sizeof(p), "%s/web.yml", dir);
	return web_config_load(p, wc, why, wlen);
}

static int setup(void **state)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd = { 0 };

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vp-sec-webcfg.XXXXXX");
	if (!mkdtemp(dir) || !crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof(salt)) ||
	    !crypt_rn("right horse", salt, &cd, sizeof(cd)))
		return -1;
	snprintf(hash, sizeof(hash), "%s", cd.output);
	put("s.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	put("s.key", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static void test_full(void **state)
{
	struct web_config wc;
	char text[512], why[320] = "";

	(void)state;
	/* block style, a quoted hash, relative paths, a comment */
	snprintf(
		text, sizeof(text),
		"# exporter-toolkit\ntls_server_config:\n  cert_file: s.crt\n  key_file: \"s.key\"\n"
		"basic_auth_users:\n  prom: '%s'\n  other: %s\n",
		hash, hash);
	assert_int_equal(load(text, &wc, why, sizeof(why)), 0);
	assert_non_null(wc.cert_pem);
	assert_non_null(strstr(wc.cert_pem, "BEGIN CERTIFICATE"));
	assert_non_null(strstr(wc.key_pem, "PRIVATE KEY"));
	assert_int_equal(wc.nusers, 2);
	assert_true(web_config_auth(&wc, "prom", "right horse"));
	assert_true(web_config_auth(&wc, "prom", "right horse")); /* the remembered one */
	assert_false(web_config_auth(&wc, "prom", "right horsE"));
	assert_false(web_config_auth(&wc, "prom", "right horse "));
	assert_false(web_config_auth(&wc, "prom", ""));
	assert_false(web_config_auth(&wc, "nobody", "right horse"));
	assert_true(web_config_auth(&wc, "other", "right horse"));
	web_config_free(&wc);
}

static void test_flow_and_empty(void **state)
{
	struct web_config wc;
	char text[512], why[320] = "";

	(void)state;
	snprintf(text, sizeof(text), "{basic_auth_users: {u: \"%s\"}}\n", hash);
	assert_int_equal(load(text, &wc, why, sizeof(why)), 0);
	assert_null(wc.cert_pem);
	assert_int_equal(wc.nusers, 1);
	web_config_free(&wc);
	/* an empty file, or null sections: nothing asked, nothing enabled */
	assert_int_equal(load("", &wc, why, sizeof(why)), 0);
	assert_int_equal(wc.nusers, 0);
	web_config_free(&wc);
	assert_int_equal(load("tls_server_config:\nbasic_auth_users: ~\n", &wc, why, sizeof(why)),
			 0);
	assert_null(wc.cert_pem);
	assert_false(web_config_auth(&wc, "u", "x"));
	web_config_free(&wc);
}

static void expect_bad(const char *text, const char *want)
{
	struct web_config wc;
	char why[320] = "";

	assert_int_equal(load(text, &wc, why, sizeof(why)), -EINVAL);
	if (!strstr(why, want))
		fail_msg("'%s' lacks '%s'", why, want);
	assert_null(strchr(why, '\n'));
}

static void test_refusals(void **state)
{
	char text[512];

	(void)state;
	expect_bad("http_server_config:\n  http2: false\n",
		   "line 1: http_server_config is not supported");
	expect_bad(
		"tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n  min_version: TLS13\n",
		"line 4: tls_server_config: min_version is not supported");
	expect_bad("tls_server_config:\n  cert_file: s.crt\n", "both cert_file and key_file");
	expect_bad("tls_server_config:\n  cert_file: none.crt\n  key_file: s.key\n",
		   "none.crt: No such file");
	expect_bad("basic_auth_users:\n  u: plaintext\n", "line 2: user 'u': not a bcrypt hash");
	expect_bad("basic_auth_users: [a, b]\n", "give user: bcrypt-hash pairs");
	expect_bad("basic_auth_users: {u: [\n", "not YAML");
	expect_bad("- a\n- b\n", "give a mapping");
	snprintf(text, sizeof(text), "basic_auth_users:\n  'a:b': '%s'\n", hash);
	expect_bad(text, "no ':'");
	snprintf(text, sizeof(text), "basic_auth_users:\n  u: '%s'\n  u: '%s'\n", hash, hash);
	expect_bad(text, "named twice");
	snprintf(text, sizeof(text), "tls_server_config:\n  cert_file: %s\n  key_file: s.key\n",
		 dir);
	expect_bad(text, "not a regular file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_flow_and_empty),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests_name("webconfig", tests, setup, teardown);
}
