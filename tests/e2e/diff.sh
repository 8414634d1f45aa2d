#!/usr/bin/env bash
# virtprof diff as a CI gate: two `run` sessions against the same real nginx (on loopback, in a
# cgroup of its own given as the container target); in the second nginx rewrites each response
# on the way out (sub_filter) -- a deliberate extra cost of the target's own per request.  diff
# flags own_us as up beyond its uncertainty and --fail-if 'own_us>+10%' exits 1; a gate that
# holds passes; the JSON and the page agree with the text.  Also `run --html`.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/nginx/nginx.sh"
need_root
need_cmd jq
port=18233
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
nginx_start $port 1 1024
nginx_cgroup vp-diff-e2e-$$
cg=$NGX_CG

session() { # OUT.json PATH [run options]
	local out=$1 path=$2
	shift 2
	"$VIRTPROF" run --url "http://127.0.0.1:$port$path" --container "$cg" --users 4 \
		--ramp-up 0s --duration 4s --json "$out" "$@" >"$out.txt" 2>"$out.err" ||
		fail "run exited $?: $(cat "$out.err")"
}
# 68 KB of text, served as it is (A), then through sub_filter (B): nginx scans every byte of
# every response for a pattern -- CPU of the target's own in proportion to the requests, the
# shape of a real per-request regression
mkdir -p "$NGX_DIR/www"
for i in $(seq 700); do echo "abracadabra abracadabra abracadabra abracadabra abracadabra abracadabr"; done \
	>"$NGX_DIR/www/doc.txt"
session "$tmp/a.json" /plain/doc.txt --html "$tmp/a.html"
# run --html: the page of the session, its verdict bar the JSON's own_us
own=$(jq '.comparison[0].own_us' "$tmp/a.json")
grep -q "data-key=\"own_us\" data-value=\"$own\"" "$tmp/a.html" || fail "run --html: no own_us bar of $own"
session "$tmp/b.json" /rewritten/doc.txt

"$VIRTPROF" diff "$tmp/a.json" "$tmp/b.json" --fail-if 'own_us>+10%' --fail-if 'loadgen_us<-90%' \
	--json "$tmp/d.json" --html "$tmp/d.html" >"$tmp/d.txt" 2>"$tmp/d.err"
rc=$?
cat "$tmp/d.txt"
assert_eq "$rc" 1 "diff with the extra cost and --fail-if 'own_us>+10%'"
ent=$NGX_ENT
row() { jq -r --arg e "$ent" --arg m "$1" ".changes[] | select(.target == \$e and .metric == \$m) | .$2" "$tmp/d.json"; }
assert_eq "$(row own_us change)" up "own_us flagged"
assert_ge "$(row own_us delta_pct)" 10 "own_us change"
assert_eq "$(jq '.gates[0].violations' "$tmp/d.json")" 1 "own_us gate violations"
assert_eq "$(jq '.gates[1].violations' "$tmp/d.json")" 0 "loadgen_us gate violations"
assert_eq "$(jq -r .verdict "$tmp/d.json")" fail "verdict"
grep -q "^FAIL --fail-if 'own_us>+10%'" "$tmp/d.txt" || fail "text does not say which gate failed"
grep -q 'FAIL own_us&gt;+10%' "$tmp/d.html" || fail "the page does not show the failed gate"
# the same two sessions without that gate pass
"$VIRTPROF" diff "$tmp/a.json" "$tmp/b.json" --fail-if 'loadgen_us<-90%' >/dev/null ||
	fail "a gate that holds exited $?"
echo "ok: own_us $(row own_us a) -> $(row own_us b) us/req (+-$(row own_us u)), gate exit 1"
