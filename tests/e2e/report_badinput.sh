#!/usr/bin/env bash
# `virtprof report` and `virtprof diff` on files a user may hand them: missing, not JSON, another
# schema, truncated, members of the wrong type or absent.  Bad input exits 2 with one line and
# writes no page; a session with odd members still renders (every member is read defensively).
# No root, no probes: run under ASan by `make check-san`.
. "$(dirname "$0")/../lib.sh"
need_cmd jq
[ -x "$VIRTPROF" ] || skip "$VIRTPROF not built"
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"

expect2() { # what args...
	local what=$1 rc
	shift
	"$VIRTPROF" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	assert_eq "$rc" 2 "$what: exit code"
	[ "$(wc -l <"$tmp/err")" -ge 1 ] || fail "$what: no message"
	grep -q 'AddressSanitizer\|runtime error' "$tmp/err" && fail "$what: $(cat "$tmp/err")"
	return 0
}

echo '{"schema": "virtprof-session/1", "steps": [' >"$tmp/trunc.json"
echo 'not json' >"$tmp/text.json"
echo '[1, 2]' >"$tmp/array.json"
echo '{"steps": []}' >"$tmp/noschema.json"
echo '{"schema": "virtprof-session/2", "steps": []}' >"$tmp/v2.json"
echo '{"schema": "virtprof-session/1"}' >"$tmp/nosteps.json"
expect2 "missing file" report "$tmp/nope.json" -o "$tmp/x.html"
expect2 "truncated" report "$tmp/trunc.json" -o "$tmp/x.html"
expect2 "not JSON" report "$tmp/text.json" -o "$tmp/x.html"
expect2 "an array" report "$tmp/array.json" -o "$tmp/x.html"
expect2 "no schema" report "$tmp/noschema.json" -o "$tmp/x.html"
grep -q 'virtprof-session/1' "$tmp/err" || fail "the message does not name the schema it reads"
expect2 "newer schema" report "$tmp/v2.json" -o "$tmp/x.html"
grep -q 'virtprof-session/2.*virtprof-session/1' "$tmp/err" || fail "no schema names: $(cat "$tmp/err")"
expect2 "no steps" report "$tmp/nosteps.json" -o "$tmp/x.html"
expect2 "no -o" report "$tmp/v2.json"
expect2 "two inputs" report "$tmp/v2.json" "$tmp/v2.json" -o "$tmp/x.html"
expect2 "unwritable -o" report "$tmp/v2.json" -o /nonexistent/dir/x.html
[ -e "$tmp/x.html" ] && fail "a page was written for bad input"

# odd but well-formed: wrong member types everywhere, nulls, empty arrays, a markup-laden label
cat >"$tmp/odd.json" <<'J'
{"schema": "virtprof-session/1", "command": 7, "testbed": null, "interval_s": "1",
 "accounting_mode": "x", "targets": [1, "a", null], "bpf_programs": {},
 "steps": [1, "x", null, {}, {"label": "</script><b>x", "target": "vm:a", "load": 5,
   "cpu": {"overhead": [{"target": "vm:a", "emul_us": "3"}], "entities": [[]]},
   "io": {"net_paths": [], "net_paths_notes": ["a note", 3]},
   "timeline": [{"t_s": 1, "interval_s": 0, "entities": [{"entity": 1}]}, 5],
   "stacks": {"folded": [{"entity": "vm:a", "role": "vcpu", "context": "task",
                          "stack": "a;</script>;b", "count": 3}, 7]}}],
 "comparison": [{"step": "</script><b>x", "target": "vm:a", "own_us": 1e308, "loadgen_us": 1e308, "req_per_s": 1e308},
                {"step": 1}, null]}
J
"$VIRTPROF" report "$tmp/odd.json" -o "$tmp/odd.html" 2>"$tmp/err" || fail "odd session: exit $? $(cat "$tmp/err")"
grep -q '</script><b>x' "$tmp/odd.html" && fail "a label was not escaped"
grep -c '</script>' "$tmp/odd.html" >/dev/null
[ "$(grep -c '<script' "$tmp/odd.html")" = "$(grep -c '</script>' "$tmp/odd.html")" ] ||
	fail "unbalanced script elements: markup from the data broke out"
echo '{"schema": "virtprof-session/1", "steps": []}' >"$tmp/empty.json"
"$VIRTPROF" report "$tmp/empty.json" -o "$tmp/empty.html" || fail "empty session: exit $?"
grep -q 'no comparison rows' "$tmp/empty.html" || fail "empty session: no 'no comparison rows'"

# diff: the same files
expect2 "diff, one file" diff "$tmp/empty.json"
expect2 "diff, nothing to compare" diff "$tmp/empty.json" "$tmp/empty.json"
expect2 "diff, bad schema" diff "$tmp/v2.json" "$tmp/empty.json"
expect2 "diff, odd vs empty" diff "$tmp/odd.json" "$tmp/empty.json"
expect2 "diff, steps without a label" diff "$tmp/odd.json" "$tmp/odd.json"
grep -q 'no label' "$tmp/err" || fail "diff: $(cat "$tmp/err")"
# the labelled step alone: odd members, yet comparable with itself
jq '.steps |= map(select(type == "object" and has("label"))) |
	.comparison |= map(select(type == "object" and has("target")))' "$tmp/odd.json" >"$tmp/odd1.json"
"$VIRTPROF" diff "$tmp/odd1.json" "$tmp/odd1.json" --json "$tmp/d.json" --html "$tmp/d.html" \
	>/dev/null 2>"$tmp/err" || fail "diff of an odd session with itself: exit $? $(cat "$tmp/err")"
jq -e '.verdict == "pass"' "$tmp/d.json" >/dev/null || fail "odd self-diff verdict"
echo "ok"
