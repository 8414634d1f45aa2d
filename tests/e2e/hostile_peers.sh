#!/usr/bin/env bash
# What another user's process can make root's virtprof do (docs/security.md): uid 65534 runs a
# fake "qemu-system-x86_64" (a copy of bash) whose command line is 1.5 MB long (execve allows a quarter of the stack limit) and names, as its
# QMP socket, a socket root serves (this test's listener, which counts what it receives).
# `virtprof top` takes it for a VM, as designed -- a process may label itself -- but sends not a
# byte to root's socket, says why in the VM's roles note, and finishes its interval on time.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd jq python3 setpriv
[ -x "$VIRTPROF" ] || skip "$VIRTPROF not built"
tmp=$(mktemp -d)
on_exit "rm -rf '$tmp'"
chmod 755 "$tmp"

# root's socket, counting the bytes any client sends it
python3 - "$tmp/root.sock" "$tmp/got" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); s.listen(8); s.settimeout(0.2)
got, end = 0, time.time() + 60
while time.time() < end and not os.path.exists(sys.argv[2] + ".stop"):
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    c.settimeout(1.5)
    try:
        got += len(c.recv(4096))
    except OSError:
        pass
    c.close()
    open(sys.argv[2], "w").write(str(got))
open(sys.argv[2], "w").write(str(got))
PY
listener=$!
on_exit "touch '$tmp/got.stop'; kill $listener"
wait_for 50 test -S "$tmp/root.sock" || fail "listener did not start"

# the other user's "qemu": 12 arguments of 128 KB - 1 (the kernel's limit per argument)
cp /bin/bash "$tmp/qemu-system-x86_64"
big=$(head -c $((128 * 1024 - 1)) /dev/zero | tr '\0' a)
args=()
for _ in $(seq 12); do args+=("$big"); done
setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/qemu-system-x86_64" -c 'sleep 60; :' \
	-name evil -qmp "unix:$tmp/root.sock,server=on,wait=off" "${args[@]}" &
fake=$!
on_exit "kill $fake"
wait_for 50 grep -q evil "/proc/$fake/cmdline" || fail "the fake qemu did not start"
len=$(wc -c <"/proc/$fake/cmdline")
assert_ge "$len" 1000000 "the fake qemu's command line"

start=$(date +%s.%N)
"$VIRTPROF" top 1 1 --json --no-io --vm "$fake" >"$tmp/top.json" 2>"$tmp/top.err" ||
	fail "top exited $?: $(cat "$tmp/top.err")"
secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
note=$(jq -r '.targets[0].roles // empty' "$tmp/top.json")
echo "fake qemu (uid 65534, ${len}-byte command line): top took ${secs}s; note: $note"
grep -q "not asked" <<<"$note" || fail "the roles note does not say the socket was not asked: $note"
sleep 0.3
got=$(cat "$tmp/got" 2>/dev/null || echo 0)
assert_eq "$got" 0 "bytes root's socket received from virtprof"
assert_le "$secs" 60 "top's run time"
