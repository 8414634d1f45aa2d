#!/usr/bin/env bash
# The truth about users: 10,000 users against a one-worker nginx that holds at most 1,024
# connections (worker_connections) for a few seconds.  The others wait in the kernel's accept
# queue -- TCP up, never answered -- or never get their handshake done; the report says so
# (users answered / connected but never answered / never connected, the longest wait, a WARNING
# line), the requests in flight at the end are counted with their age (censored latency, kept
# out of the latency table), and every user answered is a distinct connection nginx logged a
# response on.  10 users against the same server: all answered, no warning.
source "$(dirname "$0")/../lib.sh"
source "$REPO/tests/nginx/nginx.sh"
need_root
need_cmd jq
[ -x "$VIRTPROF" ] || skip "$VIRTPROF not built"
load_10k_users 18247 1 1024 4s
j=$tmp/k.json
jq -c '.users, .connections, {censored: .latency.censored.count, cancelled: .totals.cancelled}' "$j"
jq -e '.users.fewer_answered and .users.answered < 10000' "$j" >/dev/null ||
	fail "fewer users answered not reported: $(jq -c .users "$j")"
# on a loaded host the workers may not even start every user within the 4 s (never started)
started=$(jq '.users.started' "$j")
assert_ge "$started" 2048 "users started"
assert_eq "$(jq '.users.answered + .users.connected_unanswered + .users.never_connected' "$j")" \
	"$started" "every started user is answered, connected-unanswered or never connected"
assert_ge "$(jq '.users.connected_unanswered + .users.never_connected' "$j")" $((started / 2)) \
	"users the 1,024-connection server could not hold"
jq -e '.users.connected_unanswered == 0 or .users.longest_unanswered_wait_s > 1' "$j" >/dev/null ||
	fail "longest wait: $(jq -c .users "$j")"
assert_eq "$(jq '.latency.censored.count' "$j")" "$(jq '.totals.cancelled' "$j")" \
	"censored = in flight at the end"
# an in-flight request's age runs from its send on its current connection: where the kernel
# reset queued connections and users reconnected (established > started), the oldest may be
# young; where every user kept its first connection it has waited since the ramp-up
assert_le "$(jq '.latency.censored.max_us' "$j")" 6000000 "the oldest in-flight request's age (at most the run)"
assert_ge "$(jq '.latency.censored.max_us' "$j")" 1 "the oldest in-flight request's age"
if [ "$(jq '.connections.established' "$j")" -le "$started" ]; then
	assert_ge "$(jq '.latency.censored.max_us' "$j")" 1000000 "the oldest in-flight request's age"
fi
# a user answered once holds its kept-alive connection: nginx logged a response on each of them
# (and, on a loaded host, also on connections it took from its queue after the run had left)
assert_ge "$(nginx_log_conns)" "$(jq '.users.answered' "$j")" "nginx's connections vs users answered"
grep -q "WARNING: $(jq .users.answered "$j") of 10000 users were answered at least once; $(jq .users.connected_unanswered "$j") connected but never answered" "$tmp/k.txt" ||
	fail "no warning line: $(head -5 "$tmp/k.txt")"
grep -q "^Users and requests in flight at the end" "$tmp/k.txt" || fail "no users table"

"$VIRTPROF" load http://127.0.0.1:18247/ --users 10 --duration 1s --json "$tmp/s.json" \
	>"$tmp/s.txt" 2>&1 || fail "10-user run failed"
jq -e '.users.answered == 10 and .users.connected_unanswered == 0 and .users.never_connected == 0 and (.users.fewer_answered | not)' \
	"$tmp/s.json" >/dev/null || fail "10 users: $(jq -c .users "$tmp/s.json")"
grep -q WARNING "$tmp/s.txt" && fail "a warning with every user answered"
"$VIRTPROF" load http://127.0.0.1:18247/ --rate 100 --duration 1s --json "$tmp/o.json" \
	>/dev/null 2>&1 || fail "open-model run failed"
jq -e '.users.answered == null and (.users.fewer_answered | not)' "$tmp/o.json" >/dev/null ||
	fail "open model users: $(jq -c .users "$tmp/o.json")"
echo ok
