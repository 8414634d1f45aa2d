#!/usr/bin/env bash
# Bad input: one clear line on stderr and exit 2, before any traffic (nothing listens on the
# port the runs would use, and nginx is not needed).  Also --help and an open-file limit error.
source "$(dirname "$0")/../lib.sh"
[ -x "$VIRTPROF" ] || skip "$VIRTPROF not built"
u=http://127.0.0.1:18092/
bad() { # expected-substring args...
	local want=$1 out rc
	shift
	out=$("$VIRTPROF" load "$@" 2>&1 >/dev/null)
	rc=$?
	assert_eq "$rc" 2 "exit code for: load $*"
	assert_eq "$(printf '%s\n' "$out" | wc -l)" 1 "one line for: load $* ($out)"
	[[ $out == *"$want"* ]] || fail "load $*: '$out' does not mention '$want'"
}
bad "no URL"
bad "malformed" "http://exa mple.com/"
bad "scheme" ftp://127.0.0.1/
bad "scheme" "gopher2://127.0.0.1/"
bad "cannot resolve" http://no-such-host.invalid/ --loops 1
bad "--users" "$u" --users 0
bad "--users" "$u" --users -5
bad "--rate" "$u" --rate 0
bad "--rate" "$u" --rate -10
bad "unit" "$u" --duration 10
bad "unit" "$u" --think 5
bad "--users" "$u" --rate 10 --users 5
bad "--loops" "$u" --rate 10 --loops 5
bad "--max-inflight" "$u" --max-inflight 5
bad "--warmup" "$u" --duration 2s --warmup 3s
bad "--engine" "$u" --engine quic
bad "--engine fast speaks plain http" https://127.0.0.1:18092/ --engine fast
bad "--engine fast speaks plain http" http://user:pw@127.0.0.1:18092/ --engine fast
bad "unknown option" "$u" --bogus
bad "one URL" "$u" "$u"
bad "--netns" "$u" --netns no-such-ns-vp --loops 1
bad "--json" "$u" --loops 1 --json /nonexistent-dir/x.json
# more users than the open-file limit allows: a clear error before any load
out=$(ulimit -n 256; ulimit -Hn 256; "$VIRTPROF" load "$u" --users 1000 --loops 1 2>&1)
rc=$?
assert_eq "$rc" 2 "exit code for too many users"
[[ $out == *"open files"* ]] || fail "too many users: '$out'"
"$VIRTPROF" load --help | grep -q -- "--ramp-up" || fail "--help lacks the options"
echo "PASS: bad input"
