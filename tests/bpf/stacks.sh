#!/usr/bin/env bash
# Stack sampling against programs with a known profile (tests/helpers/stack_hot.c), in one
# `virtprof top --freq 999` session:
#   - two hot functions in a 70/30 split are sampled 70/30 +- 5 % and named from .symtab;
#   - the same program stripped, its symbols found in a separate debug file through
#     .gnu_debuglink, through build-id (a debug dir given by VIRTPROF_DEBUG_DIRS), and through
#     build-id with zlib-compressed debug sections; a stripped copy without any debug file shows
#     `module+0xoffset` frames, never drops them;
#   - a loop of getppid(): its kernel function is on the thread's kernel stacks;
#   - a process that exits in the middle of the session is still symbolized;
#   - the pprof file loads in `go tool pprof` with the labels entity, role, context, target, step.
# And bad input: --freq 0, an unwritable --pprof: exit 2, one line, nothing written.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd gcc objcopy awk
[ -x "$VIRTPROF" ] || fail "$VIRTPROF not built"
tmp=$(mktemp -d /tmp/vpstk.XXXXXX)
[ -n "${KEEP:-}" ] || on_exit "rm -rf $tmp"
mkdir -p "$tmp/bin" "$tmp/debug" "$tmp/fg"

# --- bad input first: nothing may be loaded or written ---
out=$("$VIRTPROF" top 1 1 --freq 0 2>&1); rc=$?
assert_eq "$rc" 2 "--freq 0 exit code"
[ "$(wc -l <<<"$out")" -eq 1 ] && grep -q -- "--freq" <<<"$out" || fail "--freq 0 message: $out"
out=$("$VIRTPROF" run --url http://127.0.0.1:9/ --duration 1s --pprof /proc/vp-nope/p.pb.gz 2>&1); rc=$?
assert_eq "$rc" 2 "unwritable --pprof exit code"
grep -q -- "--pprof" <<<"$out" || fail "unwritable --pprof message: $out"
out=$("$VIRTPROF" top 1 1 --pprof "$tmp" 2>&1); rc=$?
assert_eq "$rc" 2 "--pprof on a directory exit code"
out=$("$VIRTPROF" top 1 1 --folded /proc/vp-nope 2>&1); rc=$?
assert_eq "$rc" 2 "unwritable --folded exit code"
[ -z "$(ls -A "$tmp/fg")" ] || fail "files written on bad input"

# --- the program in five builds, each with its own build-id (symbols are cached per build-id) ---
src="$REPO/tests/helpers/stack_hot.c"
gcc -O2 -g -c "$src" -o "$tmp/hot.o" || fail "gcc"
build() { gcc "$tmp/hot.o" -Wl,--build-id=0x$2 -o "$tmp/bin/$1" || fail "link $1"; }
debug_by_id() { # binary debugfile
	local id
	id=$(readelf -n "$1" | sed -n 's/.*Build ID: //p')
	mkdir -p "$tmp/debug/.build-id/${id:0:2}"
	mv "$2" "$tmp/debug/.build-id/${id:0:2}/${id:2}.debug"
}
build hot_sym 11111111111111111111111111111111aaaaaaaa
build hot_link 22222222222222222222222222222222bbbbbbbb
build hot_bid 33333333333333333333333333333333cccccccc
build hot_zlib 44444444444444444444444444444444dddddddd
build hot_none 55555555555555555555555555555555eeeeeeee
build hot_sys 66666666666666666666666666666666ffffffff
cp "$tmp/bin/hot_sym" "$tmp/bin/hot_exit"
(
	cd "$tmp/bin" || exit 1
	objcopy --only-keep-debug hot_link hot_link.debug &&
		objcopy --strip-all --add-gnu-debuglink=hot_link.debug hot_link &&
		objcopy --only-keep-debug hot_bid hot_bid.debug && objcopy --strip-all hot_bid &&
		objcopy --only-keep-debug --compress-debug-sections=zlib hot_zlib hot_zlib.debug &&
		objcopy --strip-all hot_zlib && objcopy --strip-all hot_none
) || fail "objcopy"
debug_by_id "$tmp/bin/hot_bid" "$tmp/bin/hot_bid.debug"
debug_by_id "$tmp/bin/hot_zlib" "$tmp/bin/hot_zlib.debug"
readelf -SW "$tmp/debug/.build-id/44/"*.debug 2>/dev/null | grep -q " C " ||
	fail "the zlib debug file has no compressed (C) section"
for b in hot_link hot_bid hot_zlib hot_none; do
	readelf -S "$tmp/bin/$b" | grep -q '\.symtab' && fail "$b still has .symtab"
done

# top first: the programs start once it samples, so each is seen alive at an interval's end
# -v: the symbolizer's reads of /proc/PID/maps in top.err, shown when a binary goes unnamed
VIRTPROF_DEBUG_DIRS="$tmp/debug" "$VIRTPROF" top 1 8 -v --no-io --freq 4999 --folded "$tmp/fg" \
	--pprof "$tmp/p.pb.gz" --json >"$tmp/top.json" 2>"$tmp/top.err" &
top=$!
on_exit "kill $top"
wait_for 300 test -s "$tmp/top.json" || { cat "$tmp/top.err"; fail "top --stacks did not start"; }
pids=()
declare -A pid_of
for b in hot_sym hot_link hot_bid hot_zlib hot_none; do
	"$tmp/bin/$b" hot 4.5 &
	pids+=($!)
	pid_of[$b]=$!
done
"$tmp/bin/hot_sys" sys 4.5 &
pids+=($!)
"$tmp/bin/hot_exit" hot 2.5 &
exitpid=$!
on_exit "kill ${pids[*]} $exitpid"
wait $top || { cat "$tmp/top.err"; fail "top --stacks exited $?"; }
kill -0 $exitpid 2>/dev/null && fail "hot_exit should have exited during the session"

# samples whose leaf frame is $2 in folded file $1
leaf() { awk -v f="$2" '{ n = $NF; $NF = ""; sub(/ $/, ""); k = split($0, a, ";"); if (a[k] == f) s += n } END { print s + 0 }' "$1"; }
for b in hot_sym hot_link hot_bid hot_zlib; do
	f="$tmp/fg/other.$b.folded"
	[ -s "$f" ] || fail "no folded file for $b"
	a=$(leaf "$f" hot_a)
	bb=$(leaf "$f" hot_b)
	share=$(awk -v a="$a" -v b="$bb" 'BEGIN { if (a + b) printf "%.1f", 100 * a / (a + b); else print 0 }')
	echo "$b: hot_a $a, hot_b $bb samples: hot_a ${share}%"
	[ $((a + bb)) -ge 300 ] || grep -E "stacks: (/proc/)?${pid_of[$b]}[:/ ]" "$tmp/top.err" | sort | uniq -c | head -n 20
	assert_ge "$((a + bb))" 300 "$b: samples in hot_a/hot_b (its heaviest stacks: $(awk '{ print $NF, $0 }' "$f" | sort -nr | head -n 3 | cut -c1-200 | tr '\n' '|'))"
	assert_ge "$share" 65 "$b: hot_a share"
	assert_le "$share" 75 "$b: hot_a share"
done
f="$tmp/fg/other.hot_none.folded"
grep -q 'hot_none+0x' "$f" || fail "stripped binary without debug info: no module+offset frames"
grep -q 'hot_a' "$f" && fail "stripped binary without debug info was named (from where?)"
f="$tmp/fg/other.hot_exit.folded"
[ "$(leaf "$f" hot_a)" -gt 0 ] || fail "a process that exited mid-session was not symbolized"
f="$tmp/fg/other.hot_sys.folded"
grep -q 'getppid_\[k\]' "$f" || fail "getppid's kernel function is not on hot_sys's stacks"
echo "hot_sys kernel stack: $(grep -o '[^;]*getppid_\[k\][^ ]*' "$f" | head -n 1)"

# the per-interval JSON names the owners too
jq -e -s '[.[] | .top_functions[]? | select(.role == "hot_sym" and .function == "hot_a")] | length > 0' \
	"$tmp/top.json" >/dev/null || fail "top --json: no top_functions row for hot_sym/hot_a"

if command -v go >/dev/null; then
	# -raw loads the whole profile and prints every sample's labels
	timeout 120 go tool pprof -raw "$tmp/p.pb.gz" >"$tmp/pprof.txt" 2>&1 || { tail "$tmp/pprof.txt"; fail "go tool pprof"; }
	grep -q 'hot_a' "$tmp/pprof.txt" || fail "pprof: no hot_a"
	for l in entity role context target step; do
		grep -q "$l:\[" "$tmp/pprof.txt" || fail "pprof label $l missing"
	done
	grep -q "role:\[hot_sym\]" "$tmp/pprof.txt" || fail "pprof role label hot_sym missing"
else
	echo "go not installed: pprof not loaded (scripts/deps.sh installs golang-go)"
fi
echo ok
