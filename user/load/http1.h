/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small, strict, incremental HTTP/1.x response parser for the fast load engine
 * (docs/load.md "Engines").  It keeps no copy of the response: the caller feeds whatever read()
 * returned, in pieces of any size (one byte at a time included), and learns when the response
 * ends, its status, its body length and whether the connection may carry the next request.
 *
 *   struct h1_resp r;
 *   h1_init(&r);
 *   rc = h1_feed(&r, buf, n, &used);   H1_MORE: feed more; H1_DONE: complete after `used` bytes
 *                                      (bytes past it are not part of this response);
 *                                      H1_ERROR: r.err says why
 *   rc = h1_eof(&r);                   the peer closed: H1_DONE if the body was delimited by the
 *                                      close (no Content-Length, not chunked), else H1_ERROR
 *
 * Understood: status line (HTTP/1.0 and 1.1, empty reason), Content-Length, Transfer-Encoding:
 * chunked (extensions and trailers skipped), Connection: close / keep-alive with HTTP/1.0's and
 * 1.1's defaults, interim 1xx responses (skipped; 101 is an error: no upgrade was asked for),
 * 204/304 without a body.  Refused with a reason: anything else on the status line, header
 * folding, a bad header name, an unparsable or conflicting Content-Length, a bad chunk size, a
 * header section over H1_MAX_HEAD bytes.  Requests are always GET, so no HEAD rule is needed.
 */
#ifndef VP_LOAD_HTTP1_H
#define VP_LOAD_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { H1_ERROR = -1, H1_MORE = 0, H1_DONE = 1 };

#define H1_MAX_HEAD (64 * 1024) /* bytes of one response's status line and headers */

struct h1_resp {
	/* results */
	uint16_t status; /* final status code (1xx interim responses skipped) */
	uint8_t minor;	 /* HTTP/1.minor of the final response */
	bool keep_alive; /* the connection may carry another request after this response */
	uint64_t body;	 /* body bytes (chunked: the payload, without framing) */
	uint64_t got;	 /* every byte fed, interim responses and framing included */
	const char *err; /* H1_ERROR: why, one phrase */

	/* parser state */
	uint8_t st, idx, hdr, nlen, vlen;
	bool chunked, has_len, te_other, conn_close, conn_ka;
	uint32_t head;	    /* header bytes of the current response */
	uint64_t clen;	    /* Content-Length */
	uint64_t remaining; /* body or chunk bytes still to come */
	char name[20];	    /* lower-cased header name (prefix) */
	char val[64];	    /* value of an interesting header */
};

void h1_init(struct h1_resp *r);
int h1_feed(struct h1_resp *r, const char *p, size_t n, size_t *used);
int h1_eof(struct h1_resp *r);

#endif
