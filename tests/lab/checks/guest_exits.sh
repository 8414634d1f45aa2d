#!/usr/bin/env bash
# Why the VM exits, on this kernel: the guest does known work -- N one-byte writes to I/O port
# 0x80 through /dev/port (the testbed's cgi-bin/pio?N on port 8080: one dd per write), each a PIO
# exit from the guest kernel's write_port -- inside one request of `virtprof run`.  The exits by
# GUEST-FUNCTION name write_port with N exits (within 5 %), N per request, reason IOIO; the device
# table names port 0x80's device (qemu's ioport80) from qemu's memory tree over QMP.  Symbols: the
# guest's /proc/kallsyms the testbed fetched (beside its QMP socket).  Without them the functions
# are addresses with a note how to get names; a map of another kernel is said not to match (never
# wrong names); a missing file or one that is no symbol map is refused before any probe (exit 2).
# With the stack sampler on, the exit profile (--exit-folded, --exit-pprof, kvm_exit_profile,
# stacks.exit_folded) has `VM;[guest] write_port;[exit] IO...;<host frames>` with samples.
source "$REPO/tests/lab/lib.sh"
tb_up "$LAB_TB_ON" || skip "lab testbed not up"
lab_vm
n=${LAB_PIO_WRITES:-400}
ip=${VM_URL#http://}
ip=${ip%%/*}
syms=/var/lib/virtprof/testbed/run/$LAB_TB_ON/guest-kallsyms
[ -s "$syms" ] || fail "the testbed did not fetch the guest's kallsyms ($syms; testbed_$LAB_TB_ON.log)"
pio_run() { # name writes [virtprof options...] -> $LAB_OUT/name.json
	local name=$1 writes=$2
	shift 2
	"$VIRTPROF" run --url "http://$ip:8080/cgi-bin/pio?$writes" --netns "$LAB_TB_ON" --vm "$VM_PID" \
		--users 1 --loops 1 --warmup 0s --timeout 200s "$@" --json "$LAB_OUT/$name.json" \
		>"$LAB_OUT/$name.txt" 2>&1 || fail "$name: run failed: $(tail -n 3 "$LAB_OUT/$name.txt")"
	grep -A 8 'KVM exits by guest function (top by count)' "$LAB_OUT/$name.txt"
	grep -A 8 'KVM port and MMIO exits by device' "$LAB_OUT/$name.txt"
}
within5() { # what got want
	echo "$1: $2 (want $3 +-5 %)"
	[ "$2" -ge $(($3 * 95 / 100)) ] && [ "$2" -le $(($3 * 105 / 100)) ] || fail "$1: $2, want $3 +-5 %"
}
fn() { jq --arg e "$VM_ENTITY" --arg f "$2" '[.steps[0].io.kvm_guest_functions[]? | select(.entity == $e and .function == $f)] | first // empty' "$LAB_OUT/$1.json"; }

# 1. symbols from the testbed; the stack sampler on (999 Hz: ~0.3 s of PIO exits at 760 us each)
# for the exit profile -- guest function -> exit reason -> the host's handling stack
xf=$LAB_OUT/guest_exits.exit.folded
xp=$LAB_OUT/guest_exits.exit.pb.gz
pio_run guest_exits "$n" --freq 999 --exit-folded "$xf" --exit-pprof "$xp"
row=$(fn guest_exits write_port)
[ -n "$row" ] || fail "no write_port row: $(jq -c '.steps[0].io.kvm_guest_functions[:5], .steps[0].io.kvm_guest_functions_notes' "$LAB_OUT/guest_exits.json")"
# The PIO exits among them: a timer interrupt that lands while the vCPU is in write_port is an
# exit there too (INTR/VINTR: 21 more in a loaded 6.1 run, 760 us per PIO exit)
pio=$(jq -r '.reasons | capture("(IOIO|IO_INSTRUCTION) (?<n>[0-9]+)").n // 0' <<<"$row")
within5 "write_port PIO exits" "$pio" "$n"
assert_ge "$(jq '.exits' <<<"$row")" "$pio" "write_port exits, all reasons"
within5 "write_port exits per request" "$(jq --argjson p "$pio" '.exits_per_req * $p / .exits | floor' <<<"$row")" "$n"
dev=$(jq -c --arg e "$VM_ENTITY" '[.steps[0].io.kvm_devices[]? | select(.entity == $e and .kind == "pio" and .dir == "out" and .address == "0x80")] | first // empty' "$LAB_OUT/guest_exits.json")
[ -n "$dev" ] || fail "no row for port 0x80: $(jq -c '.steps[0].io.kvm_devices, .steps[0].io.kvm_devices_notes' "$LAB_OUT/guest_exits.json")"
[ "$(jq -r .device <<<"$dev")" = ioport80 ] || fail "port 0x80 named $(jq -r .device <<<"$dev"), want ioport80"
[ "$(jq .exits <<<"$dev")" -ge $((n * 95 / 100)) ] || fail "port 0x80: $(jq .exits <<<"$dev") exits, want >= $n"
echo "ok: $(jq -c '{function, exits, exits_per_req, handle_avg_us, reasons}' <<<"$row") $dev"

# 1b. the exit profile: the folded file well formed (VM;[guest] f;[exit] R;host frames count),
# write_port's PIO exits in it with host frames and samples, the same in the JSON's table and
# stacks, and the pprof file readable by go tool pprof
[ -s "$xf" ] || fail "--exit-folded $xf empty: $(jq -c '.steps[0].stacks | {exit_samples, exit_reason}' "$LAB_OUT/guest_exits.json")"
bad=$(grep -cvE '^[^;]+;\[guest\] [^;]+;\[exit\] [^;]+;.+ [0-9]+$' "$xf")
assert_eq "$bad" 0 "malformed lines in $xf: $(grep -vE '^[^;]+;\[guest\] [^;]+;\[exit\] [^;]+;.+ [0-9]+$' "$xf" | head -n 3)"
wp=$(grep -E "^$VM_ENTITY;\[guest\] write_port;\[exit\] (IO_INSTRUCTION|IOIO);" "$xf" | awk '{ s += $NF } END { print s + 0 }')
echo "exit profile: $wp samples in write_port's PIO exits; top stacks:"
awk '{ print $NF "\t" $0 }' "$xf" | sort -nr | head -n 5 | cut -c1-240
assert_ge "$wp" 1 "samples in [guest] write_port;[exit] IO... in $xf"
prow=$(jq -c --arg e "$VM_ENTITY" '[.steps[0].io.kvm_exit_profile[]? | select(.entity == $e and (.folded | test("^\\[guest\\] write_port;\\[exit\\] (IO_INSTRUCTION|IOIO)$")))] | first // empty' "$LAB_OUT/guest_exits.json")
[ -n "$prow" ] || fail "no write_port PIO row in kvm_exit_profile: $(jq -c '.steps[0].io.kvm_exit_profile[:5], .steps[0].io.kvm_exit_profile_notes' "$LAB_OUT/guest_exits.json")"
assert_ge "$(jq '.exits' <<<"$prow")" "$pio" "kvm_exit_profile write_port exits"
assert_ge "$(jq '.samples' <<<"$prow")" 1 "kvm_exit_profile write_port samples"
js=$(jq --arg e "$VM_ENTITY" '[.steps[0].stacks.exit_folded[] | select(.entity == $e and (.stack | test("^\\[guest\\] write_port;\\[exit\\] (IO_INSTRUCTION|IOIO);."))) | .count] | add // 0' "$LAB_OUT/guest_exits.json")
assert_eq "$js" "$wp" "stacks.exit_folded write_port samples against the folded file"
echo "kvm_exit_profile: $prow"
if command -v go >/dev/null; then
	timeout 120 go tool pprof -traces "$xp" >"$LAB_OUT/guest_exits.pprof.txt" 2>&1 ||
		fail "go tool pprof -traces $xp: $(tail -n 3 "$LAB_OUT/guest_exits.pprof.txt")"
	grep -q '\[guest\] write_port' "$LAB_OUT/guest_exits.pprof.txt" || fail "pprof: no [guest] write_port frame"
else
	echo "go not installed here: --exit-pprof not loaded (its bytes: $(stat -c %s "$xp"))"
	[ -s "$xp" ] || fail "--exit-pprof $xp empty"
fi

# 2. no symbols: addresses, and a note how to get names (a few exits are enough to name, or not)
few=${LAB_PIO_FEW:-20}
mv "$syms" "$syms.hidden"
pio_run guest_exits_nosyms "$few"
mv "$syms.hidden" "$syms"
jq -e --arg e "$VM_ENTITY" '[.steps[0].io.kvm_guest_functions[] | select(.entity == $e) | .function | test("^0xffff")] | any' "$LAB_OUT/guest_exits_nosyms.json" >/dev/null ||
	fail "without symbols: no address rows: $(jq -c '.steps[0].io.kvm_guest_functions[:3]' "$LAB_OUT/guest_exits_nosyms.json")"
jq -e '.steps[0].io.kvm_guest_functions_notes | map(test("--guest-symbols")) | any' "$LAB_OUT/guest_exits_nosyms.json" >/dev/null ||
	fail "without symbols: no note how to get names: $(jq -c '.steps[0].io.kvm_guest_functions_notes' "$LAB_OUT/guest_exits_nosyms.json")"
[ -z "$(fn guest_exits_nosyms write_port)" ] || fail "without symbols a function was named"

# 3. another kernel's map (every address moved out of the guest's text): said, never wrong names
other=$LAB_OUT/other-kernel.kallsyms
sed 's/^ffffffff/fffffffe/' "$syms" >"$other"
pio_run guest_exits_other "$few" --guest-symbols "$VM_PID=$other"
jq -e '.steps[0].io.kvm_guest_functions_notes | map(test("symbols do not match the guest kernel")) | any' "$LAB_OUT/guest_exits_other.json" >/dev/null ||
	fail "another kernel's map: no mismatch note: $(jq -c '.steps[0].io.kvm_guest_functions_notes' "$LAB_OUT/guest_exits_other.json")"
jq -e --arg e "$VM_ENTITY" '[.steps[0].io.kvm_guest_functions[] | select(.entity == $e) | .function | test("^0x|^\\[")] | all' "$LAB_OUT/guest_exits_other.json" >/dev/null ||
	fail "another kernel's map gave names: $(jq -c '.steps[0].io.kvm_guest_functions[:3]' "$LAB_OUT/guest_exits_other.json")"

# 4. missing / not a symbol map: one line, exit 2, before any probe
for f in /nonexistent/kallsyms /etc/passwd; do
	out=$("$VIRTPROF" run --url "$VM_URL" --vm "$VM_PID" --guest-symbols "$VM_PID=$f" --duration 1s 2>&1)
	rc=$?
	[ $rc = 2 ] && [ "$(wc -l <<<"$out")" = 1 ] || fail "--guest-symbols $f: rc=$rc: $out"
	echo "--guest-symbols $f: $out"
done
echo ok
