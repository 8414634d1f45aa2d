// SPDX-License-Identifier: GPL-2.0
/* Request counters read from the server's status page (reqcount.h). */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/reqcount.h"
#include "sys/util.h"

#define BODY_MAX (8 << 20)

const char *const reqcount_kind_names[4] = { "unknown", "nginx stub_status", "apache mod_status",
					     "prometheus" };

int reqcount_parse_spec(const char *spec, struct reqcount_src *src, char *err, size_t errlen)
{
	const char *hash = strchr(spec, '#');
	size_t ulen = hash ? (size_t)(hash - spec) : strlen(spec);

	memset(src, 0, sizeof(*src));
	if (strncmp(spec, "http://", 7) && strncmp(spec, "https://", 8)) {
		snprintf(err, errlen, "--requests-from %s: want an http:// or https:// URL", spec);
		return -EINVAL;
	}
	if (ulen >= sizeof(src->url) || (hash && strlen(hash + 1) >= sizeof(src->series))) {
		snprintf(err, errlen, "--requests-from: too long");
		return -EINVAL;
	}
	if (hash && !hash[1]) {
		snprintf(err, errlen,
			 "--requests-from %s: nothing after '#' (want #metric{labels})", spec);
		return -EINVAL;
	}
	memcpy(src->url, spec, ulen);
	if (hash)
		snprintf(src->series, sizeof(src->series), "%s", hash + 1);
	return 0;
}

static int no_data(struct reqcount_read *r, const char *why)
{
	r->ok = false;
	snprintf(r->err, sizeof(r->err), "%s", why);
	return -ENODATA;
}

int reqcount_value(const char *body, const char *series, struct reqcount_read *r)
{
	unsigned long long a, h, n;
	const char *p;

	r->kind = RC_UNKNOWN;
	if (series && *series) {
		size_t sl = strlen(series);

		r->kind = RC_PROMETHEUS;
		for (p = body; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			char *end;
			double v;

			if (strncmp(p, series, sl) || (p[sl] != ' ' && p[sl] != '\t'))
				continue;
			v = strtod(p + sl, &end);
			if (end == p + sl || !isfinite(v) || v < 0)
				return no_data(r, "the series' value is not a non-negative number");
			r->value = (uint64_t)llround(v);
			r->ok = true;
			return 0;
		}
		snprintf(r->err, sizeof(r->err), "no series %.120s in the page", series);
		return -ENODATA;
	}
	if ((p = strstr(body, "server accepts handled requests"))) {
		r->kind = RC_NGINX;
		p = strchr(p, '\n');
		if (!p || sscanf(p, " %llu %llu %llu", &a, &h, &n) != 3)
			return no_data(r, "nginx stub_status without its three counters");
		r->value = n;
		r->ok = true;
		return 0;
	}
	if ((p = strstr(body, "Total Accesses:"))) {
		r->kind = RC_APACHE;
		if (sscanf(p, "Total Accesses: %llu", &n) != 1)
			return no_data(r, "mod_status \"Total Accesses:\" without a number");
		r->value = n;
		r->ok = true;
		return 0;
	}
	return no_data(r, "neither nginx stub_status nor Apache mod_status ?auto: for a "
			  "Prometheus page name the series (URL#name{labels})");
}

struct body {
	char *buf;
	size_t len;
};

static size_t body_cb(char *p, size_t size, size_t n, void *userp)
{
	struct body *b = userp;
	size_t add = size * n;
	char *g;

	if (b->len + add > BODY_MAX)
		return 0;
	g = realloc(b->buf, b->len + add + 1);
	if (!g)
		return 0;
	memcpy(g + b->len, p, add);
	b->buf = g;
	b->len += add;
	b->buf[b->len] = '\0';
	return add;
}

int reqcount_read(const struct reqcount_src *src, struct reqcount_read *r)
{
	struct body b = { 0 };
	CURL *c = curl_easy_init();
	uint64_t t1;
	CURLcode rc;
	long code = 0;
	int ret;

	memset(r, 0, sizeof(*r));
	if (!c)
		return no_data(r, "libcurl could not start");
	curl_easy_setopt(c, CURLOPT_URL, src->url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)REQCOUNT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	r->mono_ns = now_mono_ns();
	rc = curl_easy_perform(c);
	t1 = now_mono_ns();
	r->latency_ms = (t1 - r->mono_ns) / 1e6;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		snprintf(r->err, sizeof(r->err), "reading %.200s: %s after %.0f ms", src->url,
			 curl_easy_strerror(rc), r->latency_ms);
		ret = -EIO;
	} else if (code != 200) {
		snprintf(r->err, sizeof(r->err), "reading %.200s: HTTP %ld", src->url, code);
		ret = -EIO;
	} else {
		ret = reqcount_value(b.buf ? b.buf : "", src->series, r);
	}
	free(b.buf);
	return ret;
}

int reqcount_delta(const struct reqcount_read *before, const struct reqcount_read *after,
		   uint64_t *out, char *err, size_t errlen)
{
	uint64_t own;

	if (!before->ok || !after->ok) {
		snprintf(err, errlen, "%s", !before->ok ? before->err : after->err);
		return -ENODATA;
	}
	if (after->value < before->value) {
		snprintf(err, errlen, "the counter went back (%llu -> %llu): the server restarted?",
			 (unsigned long long)before->value, (unsigned long long)after->value);
		return -ENODATA;
	}
	own = before->kind == RC_NGINX || before->kind == RC_APACHE ? 1 : 0;
	*out = after->value - before->value >= own ? after->value - before->value - own : 0;
	return 0;
}
