// SPDX-License-Identifier: GPL-2.0
/*
 * The fast engine's HTTP/1.x response parser: framing (Content-Length, chunked, until close),
 * keep-alive rules, interim responses, bad input -- and every split of a response into two
 * reads, and byte by byte, giving the same result as one read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "load/http1.h"

struct res {
	int rc;
	size_t used; /* bytes of the input that belonged to the response */
	uint16_t status;
	uint64_t body;
	bool keep_alive;
};

/* Feed s in pieces: first `split` bytes, then the rest in `step`-byte reads; eof at the end. */
static struct res run(const char *s, size_t len, size_t split, size_t step, bool eof)
{
	struct h1_resp r;
	struct res o = { 0 };
	size_t off = 0, used;

	h1_init(&r);
	while (off < len) {
		size_t n = off < split ? split - off : step;

		if (n > len - off)
			n = len - off;
		o.rc = h1_feed(&r, s + off, n, &used);
		assert_true(used <= n);
		off += used;
		if (o.rc != H1_MORE)
			break;
		assert_int_equal(used, n);
	}
	if (o.rc == H1_MORE && eof)
		o.rc = h1_eof(&r);
	if (o.rc == H1_ERROR)
		assert_non_null(r.err);
	o.used = off;
	o.status = r.status;
	o.body = r.body;
	o.keep_alive = r.keep_alive;
	return o;
}

static struct res one(const char *s, bool eof)
{
	return run(s, strlen(s), 0, strlen(s) ? strlen(s) : 1, eof);
}

/* The result of one read must be the result of every two-read split and of byte-wise reads. */
static void same_at_every_split(const char *s, bool eof)
{
	size_t len = strlen(s);
	struct res a = run(s, len, 0, len, eof), b;

	for (size_t k = 0; k <= len; k++) {
		b = run(s, len, k, len, eof);
		assert_int_equal(b.rc, a.rc);
		assert_int_equal(b.used, a.used);
		assert_int_equal(b.status, a.status);
		assert_int_equal(b.body, a.body);
		assert_int_equal(b.keep_alive, a.keep_alive);
	}
	b = run(s, len, 0, 1, eof);
	assert_int_equal(b.rc, a.rc);
	assert_int_equal(b.used, a.used);
	assert_int_equal(b.body, a.body);
	assert_int_equal(b.keep_alive, a.keep_alive);
}

static const char nginx_ok[] = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
			       "Date: Sun, 29 Nov 2026 22:00:00 GMT\r\n"
			       "Content-Type: text/plain\r\nContent-Length: 3\r\n"
			       "Connection: keep-alive\r\n\r\nok\n";

static const char chunked[] = "HTTP/1.1 100 Continue\r\n\r\n"
			      "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
			      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
			      "5;name=value\r\nhello\r\n"
			      "A \r\n0123456789\r\n"
			      "0\r\nX-Trailer: 1\r\n\r\n";

/* A 200 response kept alive, with `body` bytes of body: read whole, and the same at every split. */
static void expect_whole_200(const char *name, const char *s, uint64_t body)
{
	struct res o = one(s, false);

	if (o.rc != H1_DONE || o.status != 200 || o.body != body || !o.keep_alive ||
	    o.used != strlen(s))
		fail_msg("%s: rc %d status %u body %llu keep-alive %d used %zu of %zu, want rc %d "
			 "status 200 body %llu kept alive all used",
			 name, o.rc, o.status, (unsigned long long)o.body, o.keep_alive, o.used,
			 strlen(s), H1_DONE, (unsigned long long)body);
	same_at_every_split(s, false);
}

static void test_content_length(void **state)
{
	(void)state;
	expect_whole_200("nginx_ok", nginx_ok, 3);
}

static void test_chunked_and_interim(void **state)
{
	struct res o;

	(void)state;
	expect_whole_200("chunked", chunked, 15);
	/* bare LF line ends are taken as well */
	o = one("HTTP/1.1 200 OK\ntransfer-encoding: chunked\n\n3\nabc\n0\n\n", false);
	assert_int_equal(o.rc, H1_DONE);
	assert_int_equal(o.body, 3);
}

static void test_keep_alive_rules(void **state)
{
	(void)state;
	assert_false(one("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 0)
			     .keep_alive);
	assert_false(
		one("HTTP/1.1 200 OK\r\nconnection: Upgrade, CLOSE\r\ncontent-length: 0\r\n\r\n", 0)
			.keep_alive);
	assert_false(one("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 0).keep_alive);
	assert_true(one("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", 0)
			    .keep_alive);
	assert_true(one("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0).keep_alive);
	/* chunked beside a Content-Length: chunked wins, the connection is not trusted after */
	assert_false(
		one("HTTP/1.1 200 OK\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "0\r\n\r\n",
		    0)
			.keep_alive);
}

static void test_no_body_and_until_close(void **state)
{
	static const char eofbody[] = "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nbody until the close";
	struct res o;

	(void)state;
	o = one("HTTP/1.1 204 No Content\r\n\r\n", false);
	assert_int_equal(o.rc, H1_DONE);
	assert_int_equal(o.body, 0);
	o = one("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n", false);
	assert_int_equal(o.rc, H1_DONE);
	o = one("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false); /* empty reason */
	assert_int_equal(o.rc, H1_DONE);
	assert_int_equal(o.status, 200);
	o = one(eofbody, true);
	assert_int_equal(o.rc, H1_DONE);
	assert_int_equal(o.body, 20);
	assert_false(o.keep_alive);
	same_at_every_split(eofbody, true);
	/* a transfer coding other than chunked last: the body ends at the close too */
	o = one("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\nabcd",
		true);
	assert_int_equal(o.rc, H1_DONE);
	assert_int_equal(o.body, 4);
}

static void test_excess_is_not_consumed(void **state)
{
	static const char two[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabHTTP/1.1 200 OK";
	struct res o = one(two, false);

	(void)state;
	assert_int_equal(o.rc, H1_DONE);
	assert_int_equal(o.used, strlen(two) - strlen("HTTP/1.1 200 OK"));
	assert_int_equal(o.body, 2);
}

static void test_bad_responses(void **state)
{
	static const char *const bad[] = {
		"",
		"HTTP/2 200 OK\r\n\r\n",
		"http/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 099 Low\r\n\r\n",
		"HTTP/1.1 200 OK\r\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
		"HTTP/1.1 200 OK\r\n folded: value\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\x01b\r\n\r\n",
		"HTTP/1.1 200 O\x7fK\r\n\r\n", /* DEL is no text, in a reason as in a value */
		"HTTP/1.1 200 O\x01K\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", /* then the close */
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n",	      /* closed in the head */
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", /* inside a chunk */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct res o = one(bad[i], true);

		if (o.rc != H1_ERROR)
			fail_msg("accepted bad response #%zu: %s", i, bad[i]);
		same_at_every_split(bad[i], true);
	}
}

static void test_head_limit(void **state)
{
	static char big[H1_MAX_HEAD + 200];
	struct h1_resp r;
	size_t used;

	(void)state;
	memset(big, 'a', sizeof(big));
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	h1_init(&r);
	assert_int_equal(h1_feed(&r, big, sizeof(big), &used), H1_ERROR);
	assert_non_null(strstr(r.err, "64 KiB"));
	/* once failed, it stays failed and consumes nothing */
	assert_int_equal(h1_feed(&r, "x", 1, &used), H1_ERROR);
	assert_int_equal(used, 0);
}

static void test_large_body_in_bulk(void **state)
{
	static char buf[70000];
	int hl = snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", 65536);
	struct res o;

	(void)state;
	memset(buf + hl, 'x', 65536);
	o = run(buf, (size_t)hl + 65536, 10, 4096, false);
	assert_int_equal(o.rc, H1_DONE);
	assert_int_equal(o.body, 65536);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_chunked_and_interim),
		cmocka_unit_test(test_keep_alive_rules),
		cmocka_unit_test(test_no_body_and_until_close),
		cmocka_unit_test(test_excess_is_not_consumed),
		cmocka_unit_test(test_bad_responses),
		cmocka_unit_test(test_head_limit),
		cmocka_unit_test(test_large_body_in_bulk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
