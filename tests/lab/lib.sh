# Sourced by tests/lab/checks/*.sh (inside a kernel-lab host): the e2e helpers plus the lab's
# two testbeds, brought up once by tests/lab/inside.sh -- a KVM guest with vhost-net and one
# without, each with a native container (veth) on its bridge.
source "$REPO/tests/lib.sh"
LAB_TB_ON=labon
LAB_TB_OFF=laboff
need_cmd jq

tb_json() { "$VIRTPROF" testbed status --name "$1" --json; }
tb_up() { [ "$(tb_json "$1" 2>/dev/null | jq -r '.testbed[0].state // empty')" = up ]; }
# vhost mode this kernel runs: kthread before 6.4, user worker since (vhost_task)
expected_vhost_mode() {
	local maj min
	IFS=. read -r maj min _ <<<"$(uname -r)"
	if ((maj > 6 || (maj == 6 && min >= 4))); then echo "user worker"; else echo kthread; fi
}
