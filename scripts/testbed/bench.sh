#!/usr/bin/env bash
# Hand-run numbers for the testbed (not a test): how long up/status/down take, how long the VM
# takes from qemu start to nginx's first answer, and what each server does under wrk from inside
# the namespace (keep-alive, 1 thread, 50 connections, 5 s), so the two targets can be seen side
# by side.  Usage: scripts/testbed/bench.sh [VIRTPROF]   (root)
set -euo pipefail
vp=${1:-$(cd "$(dirname "$0")/../.." && pwd)/virtprof}
name=vptb-bench
trap '"$vp" testbed down --name $name >/dev/null 2>&1' EXIT
"$vp" testbed down --name "$name" >/dev/null 2>&1 || true
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f", e - s }'; }
echo "up:     $(t "$vp" testbed up --name "$name")s"
echo "up2:    $(t "$vp" testbed up --name "$name")s (already up)"
echo "status: $(t "$vp" testbed status --name "$name")s"
st=$("$vp" testbed status --name "$name" --json)
jq -r '.targets[] | "\(.target): \(.kind) accel=\(.accel) vhost=\(.vhost) boot_s=\(.boot_s)"' <<<"$st"
for tg in vm container; do
	u=$(jq -r ".targets[] | select(.target == \"$tg\") | .url" <<<"$st")
	for path in "" bytes/65536; do
		r=$(nsenter --net="/run/netns/$name" wrk -t1 -c50 -d5s "$u$path" | awk '/Requests\/sec/ { print $2 }')
		echo "wrk $tg /$path: $r req/s"
	done
done
echo "down:   $(t "$vp" testbed down --name "$name")s"
