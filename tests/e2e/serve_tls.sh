#!/usr/bin/env bash
# virtprof serve exposed the Prometheus way (docs/serve.md): --web-config with a TLS certificate
# from a CA this test makes (openssl) and a bcrypt password (python3's crypt, libxcrypt).
# curl --cacert with the right password gets 200, a wrong or missing one 401 with a Basic
# challenge, plain HTTP gets no answer; POST 405, a long path 414; 2,000 connections held open
# from 127.0.0.1 (half of them with an unfinished request) while a scrape from 127.0.0.2 still
# answers within 2 s; a real Prometheus scrapes it over TLS with basic auth (up == 1); bad web
# configs exit 2 with one line before any probe loads; binding a non-loopback address without
# TLS and a password warns (in a network namespace of its own: nothing is exposed).
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd curl jq openssl python3 prometheus promtool unshare
python3 -W ignore -c 'import crypt' 2>/dev/null || skip "python3 has no crypt module"

tmp=$(mktemp -d)
on_exit "rm -rf '$tmp'"
aport=$(free_port 3) || fail "no free port"
pport=$(free_port 4) || fail "no free port"
[ "$aport" != "$pport" ] || pport=$((pport + 1))

# --- a CA, a server certificate for 127.0.0.1, a bcrypt password ---
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj "/CN=vp-sec test CA" -keyout "$tmp/ca.key" -out "$tmp/ca.crt" 2>/dev/null ||
	fail "openssl: CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
	-keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null || fail "openssl: CSR"
printf 'subjectAltName=IP:127.0.0.1,IP:127.0.0.2\n' >"$tmp/san.ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
	-CAcreateserial -days 2 -extfile "$tmp/san.ext" -out "$tmp/server.crt" 2>/dev/null ||
	fail "openssl: sign"
pass='s3cret-vp'
hash=$(python3 -W ignore -c 'import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2**6)))' "$pass")
[[ $hash == '$2'* ]] || fail "no bcrypt hash from python3: $hash"
# relative paths: relative to the config file's folder, as in exporter-toolkit
cat >"$tmp/web.yml" <<EOF
# exporter-toolkit format
tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  prom: '$hash'
EOF

# --- bad web configs: one line, exit 2, before any probe ---
bad() { # name regex yaml
	printf '%s\n' "$3" >"$tmp/$1.yml"
	"$VIRTPROF" serve --listen "127.0.0.1:$aport" --web-config "$tmp/$1.yml" >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || fail "$1: exit $rc, want 2 ($(cat "$tmp/err"))"
	[ "$(grep -c . "$tmp/err")" = 1 ] || fail "$1: want one line: $(cat "$tmp/err")"
	grep -Eq "$2" "$tmp/err" || fail "$1: '$(cat "$tmp/err")' lacks /$2/"
}
bad unknown "http_server_config is not supported" "http_server_config: {http2: false}"
bad tlskey "client_ca_file is not supported" "tls_server_config: {cert_file: a, key_file: b, client_ca_file: c}"
bad nokey "both cert_file and key_file" "tls_server_config: {cert_file: $tmp/server.crt}"
bad plainpw "not a bcrypt hash" "basic_auth_users: {prom: plaintext}"
bad notyaml "line 1: not YAML" "basic_auth_users: {prom: [}"
bad nocert "cert_file $tmp/none.crt: No such file" "tls_server_config: {cert_file: $tmp/none.crt, key_file: $tmp/server.key}"
printf 'garbage\n' >"$tmp/garbage.crt"
bad badcert "did not start" "tls_server_config: {cert_file: $tmp/garbage.crt, key_file: $tmp/server.key}"
"$VIRTPROF" serve --web-config "$tmp/absent.yml" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "a missing --web-config did not exit 2"

# --- binding beyond loopback: a warning without TLS + password, none with them ---
warned() { # args...: the first line serve prints before it loads probes, in an empty netns
	timeout -s KILL 5 unshare -n "$VIRTPROF" serve "$@" 2>&1 >/dev/null | head -n 1
}
warned --listen "0.0.0.0:$aport" | grep -q "reachable from other hosts without TLS or a password" ||
	fail "no warning for 0.0.0.0 without --web-config"
warned --listen "0.0.0.0:$aport" --web-config "$tmp/web.yml" | grep -q "reachable from other" &&
	fail "a warning despite TLS and a password"
warned --listen "127.0.0.1:$aport" | grep -q "reachable from other" && fail "a warning for loopback"

# --- the agent, over TLS with basic auth ---
"$VIRTPROF" serve --listen "127.0.0.1:$aport" --web-config "$tmp/web.yml" --interval 1s --no-io \
	>"$tmp/agent.out" 2>"$tmp/agent.err" &
agent=$!
on_exit "kill $agent; wait $agent"
url=https://127.0.0.1:$aport
get() { # user:pass path [curl args] -> http code
	local up=$1 path=$2
	shift 2
	curl -s -o "$tmp/body" -w '%{http_code}' --max-time 5 --cacert "$tmp/ca.crt" \
		${up:+-u "$up"} "$@" "$url$path"
}
healthy() { kill -0 $agent || return 2; [ "$(get "prom:$pass" /healthz)" = 200 ]; }
wait_for 1200 healthy || fail "agent not healthy over TLS: $(cat "$tmp/agent.err")"
grep -q "serving https://127.0.0.1:$aport/metrics.*basic auth" "$tmp/agent.err" ||
	fail "start line: $(cat "$tmp/agent.err")"
assert_eq "$(get "prom:$pass" /metrics)" 200 "right password"
grep -q '^virtprof_cpu_seconds_total{' "$tmp/body" || fail "no metrics in the body"
assert_eq "$(get "prom:wrong" /metrics)" 401 "wrong password"
assert_eq "$(get "nobody:$pass" /metrics)" 401 "unknown user"
assert_eq "$(get "" /metrics)" 401 "no password"
curl -s -D - -o /dev/null --cacert "$tmp/ca.crt" "$url/metrics" | grep -qi '^www-authenticate: basic realm="virtprof"' ||
	fail "401 without a Basic challenge"
assert_eq "$(get "prom:$pass" /metrics -X POST)" 405 "POST"
assert_eq "$(get "prom:$pass" "/$(printf 'a%.0s' $(seq 100))")" 414 "a 101-byte path"
assert_eq "$(get "prom:$pass" "/metrics?$(seq -s '&' 1 20 | sed 's/\([0-9]*\)/a\1=1/g')")" 400 "20 query arguments"
assert_eq "$(get "prom:$pass" /metrics -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' x)")" 431 "a 20 KB header"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$aport/metrics")
[ "$code" = 200 ] && fail "plain HTTP answered 200"
echo "plain HTTP: http_code $code (no answer)"
curl -s --max-time 5 -o /dev/null "$url/metrics" 2>/dev/null && fail "a certificate from no CA was accepted"

# --- 2,000 idle connections from 127.0.0.1; a scrape from 127.0.0.2 within 2 s ---
python3 - "$aport" "$tmp/flood" <<'PY' &
import os, resource, socket, sys, time
port, flag = int(sys.argv[1]), sys.argv[2]
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
held = []
for i in range(2000):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    held.append(s)
time.sleep(0.5)
for s in held[::2]:  # half of them: the start of a request, never finished
    try:
        s.send(b"\x16\x03\x01\x00")
    except OSError:
        pass
open(flag, "w").close()
time.sleep(12)  # held while the scrapes run
PY
flood=$!
on_exit "kill $flood"
wait_for 300 test -e "$tmp/flood" || fail "the flood did not start"
est=$(ss -Htn state established "( dport = :$aport and src 127.0.0.1 )" | wc -l)
worst=0
for i in 1 2 3 4 5; do
	t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 --interface 127.0.0.2 \
		--cacert "$tmp/ca.crt" -u "prom:$pass" "$url/metrics")
	[ "${t% *}" = 200 ] || fail "scrape $i during the flood: $t"
	worst=$(awk -v a="$worst" -v b="${t#* }" 'BEGIN { print (b > a ? b : a) }')
	sleep 0.5
done
echo "2,000 connections from 127.0.0.1 ($est established client ends): slowest of 5 scrapes from 127.0.0.2 ${worst}s"
assert_le "$worst" 2 "scrape time during the flood"
kill $flood
wait $flood 2>/dev/null

# --- a real Prometheus over TLS with basic auth ---
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: virtprof
    scheme: https
    basic_auth:
      username: prom
      password: '$pass'
    tls_config:
      ca_file: $tmp/ca.crt
    static_configs:
      - targets: ['127.0.0.1:$aport']
EOF
prometheus_start "$tmp/prometheus.yml" "$pport" "$tmp"
up() {
	curl -sf --get "http://127.0.0.1:$pport/api/v1/query" --data-urlencode 'query=up{job="virtprof"}' |
		jq -e '.data.result[0].value[1] == "1"' >/dev/null
}
wait_for 300 up || fail "prometheus never scraped it: $(curl -s "http://127.0.0.1:$pport/api/v1/targets" | jq -c '.data.activeTargets[0].lastError')"
n=$(curl -sf --get "http://127.0.0.1:$pport/api/v1/query" \
	--data-urlencode 'query=count(virtprof_cpu_seconds_total)' | jq -r '.data.result[0].value[1]')
assert_ge "$n" 1 "series Prometheus got over TLS"
echo "prometheus over TLS + basic auth: up == 1, $n CPU series"
kill -TERM $agent
wait $agent
assert_eq "$?" 0 "exit after SIGTERM"
