#!/usr/bin/env bash
# compare and testbed options: malformed targets (including the @netns:NAME suffix) and a bad
# --vhost are refused with one line and exit 2, before any probe, packet or testbed piece.
source "$(dirname "$0")/../lib.sh"
[ -x "$VIRTPROF" ] || skip "$VIRTPROF not built"
bad() { # expected-substring command args...
	local want=$1 out rc
	shift
	out=$("$VIRTPROF" "$@" 2>&1 >/dev/null)
	rc=$?
	assert_eq "$rc" 2 "exit code for: $*"
	assert_eq "$(printf '%s\n' "$out" | wc -l)" 1 "one line for: $* ($out)"
	[[ $out == *"$want"* ]] || fail "$*: '$out' does not mention '$want'"
}
bad "--target" compare --target "a=http://10.0.0.2/@vm:1@netns:"
bad "--target" compare --target "a=http://10.0.0.2/@netns:x"
bad "--target" compare --target "=http://10.0.0.2/@vm:1@netns:ns"
bad "--target" compare --target "a=http://10.0.0.2/@box:1@netns:ns"
bad "--vhost" testbed up --vhost maybe
echo ok
