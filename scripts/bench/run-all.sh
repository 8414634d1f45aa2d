#!/usr/bin/env bash
# `make bench`: every benchmark, one after the other (each compares against its peer in the same
# run; absolute numbers drift on shared machines, the ratios are the result).
set -u
here=$(cd "$(dirname "$0")" && pwd)
rc=0
for b in bpf-cost.sh io-probes.sh loadgen.sh serve.sh; do
	echo "=== $b"
	"$here/$b" || rc=1
	echo
done
exit $rc
