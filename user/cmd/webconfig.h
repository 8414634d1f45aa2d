/* SPDX-License-Identifier: GPL-2.0 */
/*
 * serve's --web-config FILE: the Prometheus exporter-toolkit format (docs/serve.md), the subset
 * virtprof implements:
 *
 *   tls_server_config:
 *     cert_file: server.crt      # PEM; relative paths are relative to the config file's folder
 *     key_file: server.key
 *   basic_auth_users:
 *     alice: $2y$10$...          # bcrypt, checked with libcrypt
 *
 * Any other key is an error, not silently ignored: a setting that looks applied but is not is
 * worse than a refusal.
 */
#ifndef VP_WEBCONFIG_H
#define VP_WEBCONFIG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct web_user {
	char *name;
	char *hash; /* bcrypt */
	char *good; /* the last password that matched: a scrape every 15 s costs no bcrypt run */
};

struct web_config {
	char *cert_pem, *key_pem; /* NULL: no TLS */
	struct web_user *users;
	int nusers;
	pthread_mutex_t lock; /* guards users[].good */
};

/* Read and check FILE; 0, or -errno with one line in why. */
int web_config_load(const char *path, struct web_config *wc, char *why, size_t wlen);
/* Does user / password match a basic_auth_users entry?  Thread-safe. */
bool web_config_auth(struct web_config *wc, const char *user, const char *pass);
void web_config_free(struct web_config *wc);

#endif
