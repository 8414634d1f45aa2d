#!/usr/bin/env bash
# 10,000 users against nginx (worker_connections and worker_rlimit_nofile raised) for a few
# seconds: all 10,000 connections established, none refused or reset, nginx saw 10,000.
source "$(dirname "$0")/../lib.sh"
source "$REPO/tests/nginx/nginx.sh"
need_root
need_cmd jq
[ -x "$VIRTPROF" ] || skip "$VIRTPROF not built"
load_10k_users 18091 2 12000 8s
jq -c '.connections, .totals' "$tmp/k.json"
assert_eq "$(jq .connections.requested "$tmp/k.json")" 10000 "requested"
assert_eq "$(jq .connections.established "$tmp/k.json")" 10000 "established"
assert_eq "$(jq .connections.peak_open "$tmp/k.json")" 10000 "open at once"
assert_eq "$(jq '.totals.errors + .errors.http_4xx + .errors.http_5xx' "$tmp/k.json")" 0 \
	"generator-side errors"
assert_eq "$(nginx_log_conns)" 10000 "distinct connections nginx served"
assert_ge "$(jq .totals.requests "$tmp/k.json")" 10000 "every user got a response"
echo "PASS: 10,000 connections"
