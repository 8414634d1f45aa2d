#!/usr/bin/env bash
# The main job on the built-in testbed: the same nginx in a qemu VM and in a docker container,
# compared step by step under the same closed-model load, ending with the side-by-side table.
#
# The study's light / medium / heavy were 1,000 / 5,000-7,000 / 10,000 JMeter threads on a big
# server.  Scaled to a 2-core machine running the guest under TCG: light, medium, heavy =
# 10, 50, 200 users; each step 10 s with a 1 s ramp-up (as in the study) inside a 2 s warm-up
# that is left out of every figure.  Reports land in $VIRTPROF_DEMO_OUT (default
# /tmp/virtprof-demo): compare.json (schema docs/session.schema.json), summary.csv,
# timeline.csv, compare.html (the page: open it in a browser, it needs no network).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${VIRTPROF_DEMO_OUT:-/tmp/virtprof-demo}
mkdir -p "$out"
"${VIRTPROF:-./build/virtprof}" compare --testbed --steps light,medium,heavy --duration 10s --warmup 2s \
	--json "$out/compare.json" --csv "$out" --html "$out/compare.html" "$@"
echo "demo: report $out/compare.html (JSON $out/compare.json)"
