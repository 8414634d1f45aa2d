// SPDX-License-Identifier: GPL-2.0
/*
 * serve's --web-config (webconfig.h).  YAML through libyaml: the file is the one Prometheus
 * exporters share, written by hand or by config management in any of YAML's quoting styles
 * (bcrypt hashes hold '$', '/' and '.', and are often quoted); a hand parser of a subset would
 * misread the rest silently.
 */
#include <crypt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "cmd/webconfig.h"
#include "sys/util.h"

#define WEB_CONFIG_MAX (64 << 10) /* the config file */
#define PEM_MAX (1 << 20)	  /* a certificate chain or a key */
#define WEB_USERS_MAX 1000
#define WEB_FIELD_MAX 256 /* a user name, a password */

struct parse {
	const char *path;
	yaml_document_t doc;
	char *why;
	size_t wlen;
};

static int bad(struct parse *p, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(struct parse *p, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		snprintf(p->why, p->wlen, "--web-config %s: line %zu: %s", p->path,
			 n->start_mark.line + 1, msg);
	else
		snprintf(p->why, p->wlen, "--web-config %s: %s", p->path, msg);
	return -EINVAL;
}

static bool is_null(const yaml_node_t *n)
{
	const char *v;

	if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return !n;
	v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

/* A scalar's text, or NULL (why filled) when the node is not a non-empty string. */
static const char *scalar(struct parse *p, const yaml_node_t *n, const char *what)
{
	if (!n || n->type != YAML_SCALAR_NODE || is_null(n) ||
	    strlen((const char *)n->data.scalar.value) != n->data.scalar.length) {
		bad(p, n, "%s: give a string", what);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

/* A file named in the config: relative to the config file's folder, at most PEM_MAX bytes. */
static int read_pem(struct parse *p, const yaml_node_t *n, const char *what, char **out)
{
	const char *name = scalar(p, n, what), *slash;
	char path[4096];
	struct stat st;
	size_t len;

	if (!name)
		return -EINVAL;
	slash = strrchr(p->path, '/');
	if (name[0] == '/' || !slash)
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - p->path), p->path, name);
	if (stat(path, &st))
		return bad(p, n, "%s %s: %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size > PEM_MAX)
		return bad(p, n, "%s %s: not a regular file of at most 1 MiB", what, path);
	*out = read_file(path, &len);
	if (!*out)
		return bad(p, n, "%s %s: %s", what, path, strerror(errno));
	if (!len || len > PEM_MAX)
		return bad(p, n, "%s %s: empty or larger than 1 MiB", what, path);
	return 0;
}

static int parse_tls(struct parse *p, const yaml_node_t *m, struct web_config *wc)
{
	const yaml_node_t *cert = NULL, *key = NULL;
	int err;

	if (is_null(m))
		return 0;
	if (m->type != YAML_MAPPING_NODE)
		return bad(p, m, "tls_server_config: give cert_file and key_file");
	for (yaml_node_pair_t *kv = m->data.mapping.pairs.start; kv < m->data.mapping.pairs.top;
	     kv++) {
		yaml_node_t *k = yaml_document_get_node(&p->doc, kv->key);
		yaml_node_t *v = yaml_document_get_node(&p->doc, kv->value);
		const char *name = scalar(p, k, "a key");

		if (!name)
			return -EINVAL;
		if (!strcmp(name, "cert_file"))
			cert = v;
		else if (!strcmp(name, "key_file"))
			key = v;
		else
			return bad(p, k,
				   "tls_server_config: %s is not supported by virtprof (only "
				   "cert_file and key_file)",
				   name);
	}
	if (!cert || !key)
		return bad(p, m, "tls_server_config: give both cert_file and key_file");
	err = read_pem(p, cert, "cert_file", &wc->cert_pem);
	return err ? err : read_pem(p, key, "key_file", &wc->key_pem);
}

static bool is_bcrypt(const char *h)
{
	return strlen(h) == 60 && h[0] == '$' && h[1] == '2' && strchr("aby", h[2]) && h[3] == '$';
}

static int parse_users(struct parse *p, const yaml_node_t *m, struct web_config *wc)
{
	int n;

	if (is_null(m))
		return 0;
	if (m->type != YAML_MAPPING_NODE)
		return bad(p, m, "basic_auth_users: give user: bcrypt-hash pairs");
	n = (int)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
	if (n > WEB_USERS_MAX)
		return bad(p, m, "basic_auth_users: more than %d users", WEB_USERS_MAX);
	wc->users = calloc(n ? n : 1, sizeof(*wc->users));
	if (!wc->users)
		return -ENOMEM;
	for (yaml_node_pair_t *kv = m->data.mapping.pairs.start; kv < m->data.mapping.pairs.top;
	     kv++) {
		yaml_node_t *k = yaml_document_get_node(&p->doc, kv->key);
		yaml_node_t *v = yaml_document_get_node(&p->doc, kv->value);
		const char *user = scalar(p, k, "a user name"), *hash;
		struct web_user *u;

		if (!user)
			return -EINVAL;
		if (strchr(user, ':') || strlen(user) > WEB_FIELD_MAX)
			return bad(p, k, "user '%.40s': no ':' and at most %d bytes", user,
				   WEB_FIELD_MAX);
		hash = scalar(p, v, "a password hash");
		if (!hash)
			return -EINVAL;
		if (!is_bcrypt(hash))
			return bad(p, v,
				   "user '%s': not a bcrypt hash ($2y$..., 60 characters; "
				   "e.g. from htpasswd -nBC 10 '' | tr -d ':')",
				   user);
		for (int i = 0; i < wc->nusers; i++)
			if (!strcmp(wc->users[i].name, user))
				return bad(p, k, "user '%s' is named twice", user);
		u = &wc->users[wc->nusers];
		u->name = strdup(user);
		u->hash = strdup(hash);
		if (!u->name || !u->hash) {
			free(u->name);
			free(u->hash);
			return -ENOMEM;
		}
		wc->nusers++;
	}
	return 0;
}

int web_config_load(const char *path, struct web_config *wc, char *why, size_t wlen)
{
	struct parse p = { .path = path, .why = why, .wlen = wlen };
	yaml_parser_t parser;
	yaml_node_t *root;
	struct stat st;
	size_t len = 0;
	char *buf;
	int err = 0;

	memset(wc, 0, sizeof(*wc));
	pthread_mutex_init(&wc->lock, NULL);
	if (stat(path, &st)) {
		snprintf(why, wlen, "--web-config %s: %s", path, strerror(errno));
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > WEB_CONFIG_MAX) {
		snprintf(why, wlen, "--web-config %s: not a regular file of at most 64 KiB", path);
		return -EINVAL;
	}
	buf = read_file(path, &len);
	if (!buf) {
		snprintf(why, wlen, "--web-config %s: %s", path, strerror(errno));
		return -EINVAL;
	}
	if (len > WEB_CONFIG_MAX) {
		free(buf);
		snprintf(why, wlen, "--web-config %s: larger than 64 KiB", path);
		return -EINVAL;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &p.doc)) {
		snprintf(why, wlen, "--web-config %s: line %zu: not YAML: %s", path,
			 parser.problem_mark.line + 1, parser.problem ? parser.problem : "?");
		yaml_parser_delete(&parser);
		free(buf);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&p.doc);
	if (root && !is_null(root) && root->type != YAML_MAPPING_NODE)
		err = bad(&p, root, "give a mapping (tls_server_config:, basic_auth_users:)");
	for (yaml_node_pair_t *kv = root && root->type == YAML_MAPPING_NODE ?
					    root->data.mapping.pairs.start :
					    NULL;
	     !err && kv && kv < root->data.mapping.pairs.top; kv++) {
		yaml_node_t *k = yaml_document_get_node(&p.doc, kv->key);
		yaml_node_t *v = yaml_document_get_node(&p.doc, kv->value);
		const char *name = scalar(&p, k, "a key");

		if (!name)
			err = -EINVAL;
		else if (!strcmp(name, "tls_server_config"))
			err = wc->cert_pem ? bad(&p, k, "tls_server_config twice") :
					     parse_tls(&p, v, wc);
		else if (!strcmp(name, "basic_auth_users"))
			err = wc->users ? bad(&p, k, "basic_auth_users twice") :
					  parse_users(&p, v, wc);
		else
			err = bad(&p, k,
				  "%s is not supported by virtprof (only tls_server_config and "
				  "basic_auth_users)",
				  name);
	}
	yaml_document_delete(&p.doc);
	yaml_parser_delete(&parser);
	free(buf);
	if (err == -ENOMEM)
		snprintf(why, wlen, "--web-config %s: out of memory", path);
	if (err)
		web_config_free(wc);
	return err;
}

/* Equal strings, in a time that depends on their lengths only. */
static bool same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return !d;
}

bool web_config_auth(struct web_config *wc, const char *user, const char *pass)
{
	struct web_user *u = NULL;
	struct crypt_data *cd;
	const char *r;
	bool ok;

	if (!wc->nusers || strlen(user) > WEB_FIELD_MAX || strlen(pass) > WEB_FIELD_MAX)
		return false;
	for (int i = 0; i < wc->nusers; i++)
		if (!strcmp(wc->users[i].name, user))
			u = &wc->users[i];
	if (u) {
		pthread_mutex_lock(&wc->lock);
		ok = u->good && same_secret(u->good, pass);
		pthread_mutex_unlock(&wc->lock);
		if (ok)
			return true;
	}
	/* an unknown user costs the same bcrypt run as a known one: no user-name oracle */
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return false;
	r = crypt_rn(pass, u ? u->hash : wc->users[0].hash, cd, sizeof(*cd));
	ok = u && r && r[0] != '*' && same_secret(r, u->hash);
	free(cd);
	if (ok) {
		char *good = strdup(pass);

		pthread_mutex_lock(&wc->lock);
		free(u->good);
		u->good = good;
		pthread_mutex_unlock(&wc->lock);
	}
	return ok;
}

void web_config_free(struct web_config *wc)
{
	for (int i = 0; i < wc->nusers; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
		free(wc->users[i].good);
	}
	free(wc->users);
	free(wc->cert_pem);
	if (wc->key_pem)
		explicit_bzero(wc->key_pem, strlen(wc->key_pem));
	free(wc->key_pem);
	wc->users = NULL;
	wc->nusers = 0;
	wc->cert_pem = wc->key_pem = NULL;
	pthread_mutex_destroy(&wc->lock);
}
