#!/usr/bin/env bash
# A host where veth, vhost_net and kvm are not loaded (a stock Debian host that runs only VMs
# has no veth loaded): every section still loads, and what is absent says why -- never zeros.
source "$REPO/tests/lab/lib.sh"
for m in veth vhost_net kvm; do
	[ -d "/sys/module/$m" ] && skip "module $m already loaded: this check needs a fresh L1"
done
out=$LAB_OUT/modules_absent.json
"$VIRTPROF" top 1 2 --json >"$out" 2>"$LAB_OUT/modules_absent.err" ||
	fail "virtprof top failed: $(tail -n 3 "$LAB_OUT/modules_absent.err")"
last=$(tail -n 1 "$out")
jq -e . <<<"$last" >/dev/null || fail "top --json: not JSON"
# network programs loaded although struct veth_priv's BTF is absent (bug: CO-RE relocation
# against a module type made the whole object fail)
jq -e '(.net_devices | length == 0 or (.[0] | has("dev"))) and
	((.net_devices_notes // []) | all(test("did not load") | not))' <<<"$last" >/dev/null ||
	fail "network section not available without the veth module: $(jq -c '.net_devices_notes' <<<"$last")"
grep -q 'load network BPF programs\|failed to resolve CO-RE' "$LAB_OUT/modules_absent.err" &&
	fail "network load errors on stderr: $(head -n 2 "$LAB_OUT/modules_absent.err")"
[ "$(jq -r '.accounting_mode[0].vhost' <<<"$last")" = none ] || fail "vhost mode should be none"
jq -e '.kvm[0].available == null and (.kvm_notes | join(" ") | test("not loaded|not in this kernel"))' \
	<<<"$last" >/dev/null || fail "KVM section should be not available with the reason: $(jq -c '.kvm, .kvm_notes' <<<"$last")"
echo "ok: net loaded without veth; vhost none; KVM: $(jq -r '.kvm_notes[0]' <<<"$last")"
