#!/usr/bin/env bash
# `make bench`: every benchmark, one after the other (each compares against its peer in the same
# run; absolute numbers drift on shared machines, the ratios are the result).
set -u
here=$(cd "$(dirname "$0")" && pwd)
rc=0
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
for b in overhead.sh bpf-cost.sh io-probes.sh floor.sh loadgen.sh serve.sh stacks.sh; do
	echo "=== $b"
	"$here/$b" | tee -a "$rows" | grep -v '^goal|'
	[ "${PIPESTATUS[0]}" = 0 ] || rc=1
	echo
done
# every goal row of the benchmarks above, in one table (issue 12's)
echo "=== goals"
grep '^goal|' "$rows" | awk -F'|' 'BEGIN { printf "%-62s %-22s %-44s %s\n", "WHAT", "GOAL", "MEASURED", "" }
	{ printf "%-62s %-22s %-44s %s\n", $2, $3, $4, $5 }'
exit $rc
