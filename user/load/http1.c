// SPDX-License-Identifier: GPL-2.0
/*
 * Incremental HTTP/1.x response parser (http1.h).  A byte-at-a-time state machine for the head
 * (status line and headers: a few hundred bytes), bulk skips for the body.  No allocation, no
 * copy beyond the two small buffers that hold an interesting header's name and value.
 */
#include <string.h>
#include <strings.h>

#include "load/http1.h"

enum {
	S_VER,	    /* "HTTP/1." */
	S_MINOR,    /* one digit */
	S_SP1,	    /* ' ' */
	S_CODE,	    /* three digits */
	S_SP2,	    /* ' ' or end of line (empty reason) */
	S_REASON,   /* to end of line */
	S_LF,	    /* '\n' after a status-line '\r' */
	S_HSTART,   /* start of a header line, or the empty line */
	S_NAME,	    /* header name up to ':' */
	S_OWS,	    /* spaces before the value */
	S_VAL,	    /* value to end of line */
	S_VLF,	    /* '\n' after a header '\r' */
	S_HEND_LF,  /* '\n' of the empty line */
	S_BODY_LEN, /* Content-Length bytes */
	S_BODY_EOF, /* until the peer closes */
	S_CSIZE,    /* chunk size, hex */
	S_CEXT,	    /* chunk extension or spaces to end of line */
	S_CSIZE_LF, /* '\n' after the size line's '\r' */
	S_CDATA,    /* chunk payload */
	S_CDATA_CR, /* '\r' (or '\n') after the payload */
	S_CDATA_LF, /* '\n' after it */
	S_TSTART,   /* start of a trailer line, or the final empty line */
	S_TLINE,    /* trailer line to '\n' */
	S_TEND_LF,  /* '\n' of the final empty line */
	S_DONE,
	S_ERR,
};

enum { HDR_OTHER, HDR_CLEN, HDR_TE, HDR_CONN };

static const char ver[] = "HTTP/1.";

void h1_init(struct h1_resp *r)
{
	memset(r, 0, sizeof(*r));
}

/* A fresh response head on the same stream (after a 1xx); results so far are kept. */
static void head_reset(struct h1_resp *r)
{
	r->st = S_VER;
	r->idx = 0;
	r->status = 0;
	r->head = 0;
	r->chunked = r->has_len = r->te_other = r->conn_close = r->conn_ka = false;
	r->clen = 0;
}

static int fail(struct h1_resp *r, const char *why)
{
	r->st = S_ERR;
	r->err = why;
	return H1_ERROR;
}

/* RFC 9110 token characters */
static const bool tchar[256] = {
	['a' ... 'z'] = 1, ['A' ... 'Z'] = 1, ['0' ... '9'] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1,
	['%'] = 1,	   ['&'] = 1,	      ['\''] = 1,	 ['*'] = 1, ['+'] = 1, ['-'] = 1,
	['.'] = 1,	   ['^'] = 1,	      ['_'] = 1,	 ['`'] = 1, ['|'] = 1, ['~'] = 1,
};

static bool is_tchar(unsigned char c)
{
	return tchar[c];
}

static char lower(unsigned char c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
}

/* Text of a status reason or a header value: visible, space, tab, obs-text (no CR, LF, DEL). */
static bool is_text(unsigned char c)
{
	return c >= ' ' ? c != 0x7f : c == '\t';
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Does the comma-separated list v (NUL-terminated) hold token t?  Case-insensitive. */
static bool has_token(const char *v, const char *t, bool last_only)
{
	size_t tl = strlen(t);
	bool found = false;

	while (*v) {
		const char *e;
		size_t l;

		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		e = v;
		while (*e && *e != ',')
			e++;
		l = (size_t)(e - v);
		while (l && (v[l - 1] == ' ' || v[l - 1] == '\t'))
			l--;
		if (l) {
			found = l == tl && !strncasecmp(v, t, tl);
			if (found && !last_only)
				return true;
		}
		v = e;
	}
	return found;
}

/* A header line ended: act on the ones that frame the response. */
static int header_done(struct h1_resp *r)
{
	uint64_t v = 0;

	r->val[r->vlen] = 0;
	while (r->vlen && (r->val[r->vlen - 1] == ' ' || r->val[r->vlen - 1] == '\t'))
		r->val[--r->vlen] = 0;
	switch (r->hdr) {
	case HDR_CLEN:
		if (!r->vlen)
			return fail(r, "empty Content-Length");
		for (unsigned i = 0; i < r->vlen; i++) {
			unsigned char c = (unsigned char)r->val[i];

			if (c < '0' || c > '9')
				return fail(r, "bad Content-Length");
			if (v > (UINT64_MAX - 9) / 10)
				return fail(r, "Content-Length too large");
			v = v * 10 + (c - '0');
		}
		if (r->has_len && v != r->clen)
			return fail(r, "conflicting Content-Length headers");
		r->has_len = true;
		r->clen = v;
		break;
	case HDR_TE:
		/* only a final "chunked" frames the body; any other coding ends at the close */
		if (has_token(r->val, "chunked", true)) {
			r->chunked = true;
			r->te_other = false;
		} else {
			r->chunked = false;
			r->te_other = true;
		}
		break;
	case HDR_CONN:
		if (has_token(r->val, "close", false))
			r->conn_close = true;
		if (has_token(r->val, "keep-alive", false))
			r->conn_ka = true;
		break;
	}
	return H1_MORE;
}

static void name_done(struct h1_resp *r)
{
	r->hdr = HDR_OTHER;
	if (r->nlen == 14 && !memcmp(r->name, "content-length", 14))
		r->hdr = HDR_CLEN;
	else if (r->nlen == 17 && !memcmp(r->name, "transfer-encoding", 17))
		r->hdr = HDR_TE;
	else if (r->nlen == 10 && !memcmp(r->name, "connection", 10))
		r->hdr = HDR_CONN;
	r->vlen = 0;
}

/* The empty line after the headers: decide how the body is framed. */
static int head_done(struct h1_resp *r)
{
	if (r->status >= 100 && r->status < 200) {
		if (r->status == 101)
			return fail(r, "101 Switching Protocols (no upgrade was asked for)");
		head_reset(r); /* interim: the real response follows */
		return H1_MORE;
	}
	r->keep_alive = r->minor >= 1 ? !r->conn_close : r->conn_ka && !r->conn_close;
	r->body = 0;
	if (r->status == 204 || r->status == 304) {
		r->st = S_DONE;
		return H1_DONE;
	}
	if (r->chunked) {
		/* Content-Length beside chunked is ignored, the connection not trusted after it */
		if (r->has_len)
			r->keep_alive = false;
		r->st = S_CSIZE;
		r->idx = 0;
		r->remaining = 0;
		return H1_MORE;
	}
	if (r->has_len && !r->te_other) {
		if (!r->clen) {
			r->st = S_DONE;
			return H1_DONE;
		}
		r->remaining = r->clen;
		r->st = S_BODY_LEN;
		return H1_MORE;
	}
	r->keep_alive = false;
	r->st = S_BODY_EOF;
	return H1_MORE;
}

/* End of the run of header-name bytes from p[i]; the name is kept lower-cased (its prefix). */
static size_t name_run(struct h1_resp *r, const unsigned char *p, size_t i, size_t n)
{
	for (; i < n && is_tchar(p[i]); i++)
		if (r->nlen < sizeof(r->name))
			r->name[r->nlen++] = lower(p[i]);
	return i;
}

/* End of the run of text bytes (reason phrase, header value) from p[i]. */
static size_t text_run(const unsigned char *p, size_t i, size_t n)
{
	while (i < n && is_text(p[i]))
		i++;
	return i;
}

static void size_line_done(struct h1_resp *r)
{
	r->idx = 0;
	r->st = r->remaining ? S_CDATA : S_TSTART;
}

int h1_feed(struct h1_resp *r, const char *buf, size_t n, size_t *used)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t i = 0;
	int rc = H1_MORE;

	if (r->st == S_ERR || r->st == S_DONE) {
		*used = 0;
		return r->st == S_DONE ? H1_DONE : H1_ERROR;
	}
	while (i < n && rc == H1_MORE) {
		unsigned char c = p[i];
		size_t k;

		/* the body: in bulk */
		switch (r->st) {
		case S_BODY_LEN:
		case S_CDATA:
			k = n - i < r->remaining ? n - i : (size_t)r->remaining;
			r->remaining -= k;
			r->body += k;
			i += k;
			if (!r->remaining) {
				if (r->st == S_CDATA) {
					r->st = S_CDATA_CR;
				} else {
					r->st = S_DONE;
					rc = H1_DONE;
				}
			}
			continue;
		case S_BODY_EOF:
			r->body += n - i;
			i = n;
			continue;
		/*
		 * The bulk of a head: the reason phrase, header names, values we do not look at.
		 * Run through them in a tight loop (a third of the parser's instructions per
		 * response, callgrind); their ends and anything odd go through the switch below.
		 */
		case S_REASON:
		case S_VAL:
		case S_NAME:
			if (r->st == S_VAL && r->hdr != HDR_OTHER)
				break;
			k = r->st == S_NAME ? name_run(r, p, i, n) : text_run(p, i, n);
			r->head += (uint32_t)(k - i);
			i = k;
			if (r->head > H1_MAX_HEAD) {
				rc = fail(r, "response head larger than 64 KiB");
				break;
			}
			if (i == n)
				continue;
			c = p[i];
			break;
		default:
			break;
		}
		if (rc != H1_MORE)
			break;
		i++;
		if (r->st <= S_HEND_LF && ++r->head > H1_MAX_HEAD) {
			rc = fail(r, "response head larger than 64 KiB");
			break;
		}
		switch (r->st) {
		case S_VER:
			if (c != (unsigned char)ver[r->idx])
				rc = fail(r, "not an HTTP/1.x status line");
			else if (++r->idx == sizeof(ver) - 1)
				r->st = S_MINOR;
			break;
		case S_MINOR:
			if (c < '0' || c > '9') {
				rc = fail(r, "bad HTTP version");
				break;
			}
			r->minor = (uint8_t)(c - '0');
			r->st = S_SP1;
			break;
		case S_SP1:
			if (c != ' ') {
				rc = fail(r, "bad status line");
				break;
			}
			r->st = S_CODE;
			r->idx = 0;
			break;
		case S_CODE:
			if (c < '0' || c > '9') {
				rc = fail(r, "bad status code");
				break;
			}
			r->status = (uint16_t)(r->status * 10 + (c - '0'));
			if (++r->idx == 3) {
				if (r->status < 100)
					rc = fail(r, "bad status code");
				r->st = S_SP2;
			}
			break;
		case S_SP2:
			if (c == ' ')
				r->st = S_REASON;
			else if (c == '\r')
				r->st = S_LF;
			else if (c == '\n')
				r->st = S_HSTART;
			else
				rc = fail(r, "bad status code");
			break;
		case S_REASON: /* text_run() took the text: a line end, or a control byte or DEL */
			if (c == '\r')
				r->st = S_LF;
			else if (c == '\n')
				r->st = S_HSTART;
			else
				rc = fail(r, "control character in the status line");
			break;
		case S_LF:
			if (c != '\n')
				rc = fail(r, "CR without LF");
			else
				r->st = S_HSTART;
			break;
		case S_VLF:
			if (c != '\n')
				rc = fail(r, "CR without LF");
			else if (!(rc = header_done(r)))
				r->st = S_HSTART;
			break;
		case S_HSTART:
			if (c == '\r') {
				r->st = S_HEND_LF;
			} else if (c == '\n') {
				rc = head_done(r);
			} else if (c == ' ' || c == '\t') {
				rc = fail(r, "obsolete header line folding");
			} else if (!is_tchar(c)) {
				rc = fail(r, "bad header name");
			} else {
				r->nlen = 0;
				r->name[r->nlen++] = lower(c);
				r->st = S_NAME;
			}
			break;
		case S_NAME: /* name_run() took the token bytes: this is the name's end */
			if (c == ':') {
				name_done(r);
				r->st = S_OWS;
			} else {
				rc = fail(r, "bad header name");
			}
			break;
		case S_OWS:
			if (c == ' ' || c == '\t')
				break;
			r->st = S_VAL;
			/* c is the value's first byte (or its end) */
			__attribute__((fallthrough));
		case S_VAL:
			if (c == '\r') {
				r->st = S_VLF;
			} else if (c == '\n') {
				rc = header_done(r);
				if (!rc)
					r->st = S_HSTART;
			} else if ((c < ' ' && c != '\t') || c == 0x7f) {
				rc = fail(r, "control character in a header value");
			} else if (r->hdr != HDR_OTHER) {
				if (r->vlen + 1u >= sizeof(r->val))
					rc = fail(r, "framing header value too long");
				else
					r->val[r->vlen++] = (char)c;
			}
			break;
		case S_HEND_LF:
			if (c != '\n')
				rc = fail(r, "CR without LF");
			else
				rc = head_done(r);
			break;
		case S_CSIZE: {
			int h = hexval(c);

			if (h >= 0) {
				if (r->remaining >> 59)
					rc = fail(r, "chunk size too large");
				r->remaining = r->remaining << 4 | (uint64_t)h;
				r->idx = 1;
			} else if (!r->idx) {
				rc = fail(r, "bad chunk size");
			} else if (c == ';' || c == ' ' || c == '\t') {
				r->st = S_CEXT;
			} else if (c == '\r') {
				r->st = S_CSIZE_LF;
			} else if (c == '\n') {
				size_line_done(r);
			} else {
				rc = fail(r, "bad chunk size");
			}
			break;
		}
		case S_CEXT:
			if (c == '\r')
				r->st = S_CSIZE_LF;
			else if (c == '\n')
				size_line_done(r);
			break;
		case S_CSIZE_LF:
			if (c != '\n')
				rc = fail(r, "CR without LF");
			else
				size_line_done(r);
			break;
		case S_CDATA_CR:
			if (c == '\r')
				r->st = S_CDATA_LF;
			else if (c == '\n')
				r->st = S_CSIZE;
			else
				rc = fail(r, "chunk longer than its size");
			break;
		case S_CDATA_LF:
			if (c != '\n')
				rc = fail(r, "CR without LF");
			else
				r->st = S_CSIZE;
			break;
		case S_TSTART:
			if (c == '\r') {
				r->st = S_TEND_LF;
			} else if (c == '\n') {
				r->st = S_DONE;
				rc = H1_DONE;
			} else {
				r->st = S_TLINE;
			}
			break;
		case S_TLINE:
			if (c == '\n')
				r->st = S_TSTART;
			break;
		case S_TEND_LF:
			if (c != '\n') {
				rc = fail(r, "CR without LF");
				break;
			}
			r->st = S_DONE;
			rc = H1_DONE;
			break;
		}
	}
	r->got += i;
	*used = i;
	return rc;
}

int h1_eof(struct h1_resp *r)
{
	if (r->st == S_BODY_EOF) {
		r->st = S_DONE;
		return H1_DONE;
	}
	if (r->st == S_DONE)
		return H1_DONE;
	if (r->st == S_ERR)
		return H1_ERROR;
	return fail(r, r->got ? "connection closed inside the response" :
				"connection closed before any response (empty reply)");
}
