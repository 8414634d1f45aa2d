#!/usr/bin/env bash
# Each failure lands in its own error class with exact counts: a refusing port (connect,
# ECONNREFUSED), a server that resets mid-response (receive), an nginx location returning 500
# (HTTP 5xx), a stalled server with --timeout (timeout_response), a listener whose accept queue
# is full (timeout_connect).  Each case on both engines (--engine fast and curl).
source "$(dirname "$0")/../lib.sh"
source "$REPO/tests/nginx/nginx.sh"
need_testsrv
only() { # file class count: that class has count, every other error class 0
	local f=$1 cls=$2 n=$3 k
	for k in connect resolve send receive timeout_connect timeout_response other http_4xx http_5xx; do
		if [ "$k" = "$cls" ]; then
			assert_eq "$(jq ".errors.$k" "$f")" "$n" "$e: $cls count"
		else
			assert_eq "$(jq ".errors.$k" "$f")" 0 "$e: $k count (expected only $cls)"
		fi
	done
}

"$SRV" 18087 reset 1 &
on_exit "kill $!"
"$SRV" 18088 reset 3 &
on_exit "kill $!"
# the server stalls 600 ms on every 2nd request (an even number of requests per engine)
"$SRV" 18089 stall 2 600 &
on_exit "kill $!"
"$SRV" 18099 noaccept &
on_exit "kill $!"
nginx_start 18085 1 1024
for p in 18087 18088 18089; do
	wait_for 50 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" || fail "test server $p did not start"
done
wait_for 50 bash -c "ss -ltnH 'sport = :18099' | grep -q LISTEN" || fail "noaccept server did not start"
# connect timeout: backlog 0, never accepts; one connection fills the queue, later SYNs are dropped
exec 3<>/dev/tcp/127.0.0.1/18099 || fail "cannot fill the accept queue"

for e in fast curl; do
eng=(--engine $e)
# refused: nothing listens on 18086
"$VIRTPROF" load http://127.0.0.1:18086/ "${eng[@]}" --users 3 --loops 4 --json "$tmp/refused.json" \
	>/dev/null 2>"$tmp/err" || fail "$e: refused run: $(cat "$tmp/err")"
assert_eq "$(jq -r .config.engine "$tmp/refused.json")" "$e" "engine"
only "$tmp/refused.json" connect 12
assert_eq "$(jq '.errors.connect_errno.ECONNREFUSED' "$tmp/refused.json")" 12 "$e: ECONNREFUSED"
assert_eq "$(jq .connections.established "$tmp/refused.json")" 0 "$e: no connection established"
grep -q "only 0 of 3 requested connections" "$tmp/err" || fail "$e: no warning about missing connections"

# reset mid-response on every request
# two workers: an epoll error event once reached libcurl as a send error (fixed in xfer_curl.c)
"$VIRTPROF" load http://127.0.0.1:18087/ "${eng[@]}" --users 2 --workers 2 --loops 5 \
	--json "$tmp/reset.json" >/dev/null 2>&1 || fail "$e: reset run failed"
only "$tmp/reset.json" receive 10
assert_eq "$(jq .totals.requests "$tmp/reset.json")" 0 "$e: no complete response"

# reset on every 3rd of 30 requests, one user: 10 receive errors, 20 responses
"$VIRTPROF" load http://127.0.0.1:18088/ "${eng[@]}" --users 1 --loops 30 \
	--json "$tmp/reset3.json" >/dev/null 2>&1 || fail "$e: reset-3 run failed"
only "$tmp/reset3.json" receive 10
assert_eq "$(jq '.totals.responses."2xx"' "$tmp/reset3.json")" 20 "$e: 2xx between resets"

# HTTP 500 from nginx
"$VIRTPROF" load http://127.0.0.1:18085/500 "${eng[@]}" --users 2 --loops 7 --json "$tmp/500.json" \
	>/dev/null 2>&1 || fail "$e: 500 run failed"
only "$tmp/500.json" http_5xx 14
assert_eq "$(jq '.totals.responses."5xx"' "$tmp/500.json")" 14 "$e: 5xx responses"
assert_eq "$(jq '.totals.responses."2xx"' "$tmp/500.json")" 0 "$e: 2xx responses"
"$VIRTPROF" load http://127.0.0.1:18085/404 "${eng[@]}" --users 1 --loops 3 --json "$tmp/404.json" \
	>/dev/null 2>&1 || fail "$e: 404 run failed"
only "$tmp/404.json" http_4xx 3

# response timeout: --timeout 200ms against the 600 ms stalls; the 1 s think time lets the
# (single-threaded) server wake before the next request
"$VIRTPROF" load http://127.0.0.1:18089/ "${eng[@]}" --users 1 --loops 4 --timeout 200ms --think 1s \
	--json "$tmp/timeout.json" >/dev/null 2>&1 || fail "$e: timeout run failed"
only "$tmp/timeout.json" timeout_response 2
assert_eq "$(jq '.totals.responses."2xx"' "$tmp/timeout.json")" 2 "$e: 2xx around the timeouts"
# connect timeout
"$VIRTPROF" load http://127.0.0.1:18099/ "${eng[@]}" --users 3 --loops 2 --timeout 300ms \
	--json "$tmp/ctimeout.json" >/dev/null 2>&1 || fail "$e: connect-timeout run failed"
only "$tmp/ctimeout.json" timeout_connect 6
done
exec 3>&-
echo "PASS: error classes"
