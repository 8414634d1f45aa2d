// SPDX-License-Identifier: GPL-2.0
/*
 * A deliberately misbehaving HTTP/1.1 server for the load-generator tests (loopback only).
 *   load_testsrv PORT stall K MS   every K-th request stalls the whole server MS milliseconds
 *   load_testsrv PORT reset K      every K-th request gets half a response, then a TCP RST
 *   load_testsrv PORT close K      every K-th request gets its whole response (keep-alive, no
 *                                  Connection: close), then the server closes the connection:
 *                                  the client's next request on it races the FIN
 *   load_testsrv PORT noaccept     listens with a backlog of 0 and never accepts: once one
 *                                  connection fills the queue, SYNs are dropped (connect hangs)
 * One thread, epoll, keep-alive.  Runs until SIGTERM/SIGINT.  Real sockets, no mocks: it exists
 * because nginx cannot be told to stall every K requests or to reset mid-response.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char ok_resp[] =
	"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n";
/* promises 1000 bytes, sends 5 */
static const char half_resp[] =
	"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nhalf-";

static volatile sig_atomic_t quit;

static void on_sig(int s)
{
	(void)s;
	quit = 1;
}

struct conn {
	char buf[8192];
	size_t len;
};

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct epoll_event ev, evs[256];
	unsigned long nreq = 0, every;
	struct conn **conns;
	int ls, ep, one = 1, stall_ms = 0;
	bool reset, closing;

	if (argc == 3 && !strcmp(argv[2], "noaccept")) {
		signal(SIGTERM, on_sig);
		signal(SIGINT, on_sig);
		a.sin_port = htons((unsigned short)atoi(argv[1]));
		ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 0)) {
			perror("bind/listen");
			return 1;
		}
		while (!quit)
			pause();
		return 0;
	}
	if (argc < 4 ||
	    (strcmp(argv[2], "stall") && strcmp(argv[2], "reset") && strcmp(argv[2], "close")) ||
	    (!strcmp(argv[2], "stall") && argc < 5)) {
		fprintf(stderr,
			"usage: %s PORT stall K MS | PORT reset K | PORT close K | PORT noaccept\n",
			argv[0]);
		return 2;
	}
	reset = !strcmp(argv[2], "reset");
	closing = !strcmp(argv[2], "close");
	every = strtoul(argv[3], NULL, 10);
	if (!strcmp(argv[2], "stall"))
		stall_ms = atoi(argv[4]);
	if (!every)
		return 2;
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	signal(SIGPIPE, SIG_IGN);
	conns = calloc(65536, sizeof(*conns));
	a.sin_port = htons((unsigned short)atoi(argv[1]));
	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 4096)) {
		perror("bind/listen");
		return 1;
	}
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = ls;
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	while (!quit) {
		int n = epoll_wait(ep, evs, 256, 200);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			struct conn *c;
			ssize_t r;
			char *end;

			if (fd == ls) {
				int cfd;

				while ((cfd = accept4(ls, NULL, NULL,
						      SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					if (cfd >= 65536) {
						close(cfd);
						continue;
					}
					setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one,
						   sizeof(one));
					conns[cfd] = calloc(1, sizeof(struct conn));
					ev.events = EPOLLIN;
					ev.data.fd = cfd;
					epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
				}
				continue;
			}
			c = conns[fd];
			r = read(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				goto drop;
			}
			c->len += (size_t)r;
			c->buf[c->len] = 0;
			/* one GET at a time per connection (no pipelining from the generator) */
			while ((end = strstr(c->buf, "\r\n\r\n"))) {
				size_t used = (size_t)(end + 4 - c->buf);

				nreq++;
				memmove(c->buf, c->buf + used, c->len - used + 1);
				c->len -= used;
				if (nreq % every == 0) {
					if (reset) {
						struct linger l = { 1, 0 };

						if (write(fd, half_resp, sizeof(half_resp) - 1) < 0)
							goto drop;
						/* linger 0: close() sends RST instead of FIN */
						setsockopt(fd, SOL_SOCKET, SO_LINGER, &l,
							   sizeof(l));
						goto drop;
					}
					if (closing) {
						if (write(fd, ok_resp, sizeof(ok_resp) - 1) < 0)
							goto drop;
						goto drop;
					}
					struct timespec ts = { stall_ms / 1000,
							       (stall_ms % 1000) * 1000000L };

					nanosleep(&ts, NULL);
				}
				if (write(fd, ok_resp, sizeof(ok_resp) - 1) < 0)
					goto drop;
			}
			continue;
drop:
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			close(fd);
			free(conns[fd]);
			conns[fd] = NULL;
		}
	}
	return 0;
}
