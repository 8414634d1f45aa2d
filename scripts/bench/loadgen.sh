#!/usr/bin/env bash
# CPU per request and peak RSS of virtprof's load generator beside wrk and h2load, against the
# same loopback nginx in the same run, keep-alive, one generator thread each.
#   scripts/bench/loadgen.sh [SECONDS] [CONNS...]      (default 5 s; 100 1000 10000)
# Prints one line per tool and connection count: requests, req/s, user+sys CPU s, us/request,
# peak RSS.  CPU and RSS come from /usr/bin/time (getrusage of the whole process).
# ROUNDS (default 3) interleaved rounds; the goal rows at the end compare virtprof with wrk by the
# median of the per-round ratios (CPU/request <= 1.25x, throughput at 10,000 >= 0.9x, RSS <= 2x).
# Env: VIRTPROF (binary), VP_WORKERS (virtprof --workers, default 1), NGX_WORKERS (default 1),
# VP_ENGINE (virtprof --engine: auto (default, the fast engine here), fast or curl),
# CALLGRIND=1 also counts virtprof's user-space instructions and L1 read misses per request under
# valgrind (two --loops runs, the difference divided by the extra requests): unlike CPU time on a
# shared machine, these are stable enough to compare small engine changes.
set -u
cd "$(dirname "$0")/../.."
REPO=$PWD
VP_BIN=${VIRTPROF:-$REPO/build/virtprof}
source tests/lib.sh
source tests/nginx/nginx.sh
source scripts/bench/goal.sh
VIRTPROF=$VP_BIN
secs=${1:-5}
shift || true
conns=("$@")
[ ${#conns[@]} -eq 0 ] && conns=(100 1000 10000)
port=18095
need_cmd wrk h2load /usr/bin/time
[ -x "$VIRTPROF" ] || { echo "build first: make all" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"
nginx_start $port "${NGX_WORKERS:-1}" 12000
url=http://127.0.0.1:$port/
tmp=$(mktemp -d)
on_exit "rm -rf '$tmp'"

measure() { # tool conns cmd...
	local tool=$1 c=$2 reqs
	shift 2
	/usr/bin/time -f "%U %S %M" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err"
	case $tool in
	wrk) reqs=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$tmp/out") ;;
	h2load) reqs=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$tmp/out") ;;
	virtprof) reqs=$(jq '.totals.requests + .totals.warmup_requests' "$tmp/vp.json" 2>/dev/null) ;;
	esac
	read -r u s rss < <(tail -n 1 "$tmp/time")
	echo "$tool $c ${reqs:-0} $u $s $rss" >>"$tmp/results"
	awk -v t="$tool" -v c="$c" -v r="${reqs:-0}" -v u="$u" -v s="$s" -v m="$rss" -v d="$secs" \
		'BEGIN { printf "%-9s conns=%-6d requests=%-9d req/s=%-9.0f cpu=%.2fs (user %.2f sys %.2f) us/req=%.2f rss=%.1fMB\n",
			t, c, r, r / d, u + s, u, s, r ? (u + s) * 1e6 / r : 0, m / 1024 }'
	[ "${reqs:-0}" -gt 0 ] || { echo "  ($tool produced no count:)"; tail -n 5 "$tmp/out" "$tmp/err"; }
}

for r in $(seq "${ROUNDS:-3}"); do
	for c in "${conns[@]}"; do
		measure wrk "$c" wrk -t1 -c"$c" -d"${secs}s" "$url"
		measure h2load "$c" h2load --h1 -t1 -c"$c" -D"$secs" "$url"
		measure virtprof "$c" "$VIRTPROF" load "$url" --users "$c" --workers "${VP_WORKERS:-1}" \
			--engine "${VP_ENGINE:-auto}" --duration "${secs}s" --json "$tmp/vp.json"
		if [ -s "$tmp/vp.json" ]; then
			jq -r '"          virtprof (\(.config.engine) engine): established \(.connections.established)/\(.connections.requested), errors \(.totals.errors), p99 \(.latency.corrected.p99_us) us"' "$tmp/vp.json"
		fi
		rm -f "$tmp/vp.json"
	done
done

# per round, virtprof / wrk: CPU per request, requests, RSS; the median over the rounds
ratios() { # conns -> "cpu_ratio_median min max  rps_ratio_median  rss_ratio_median vp_rss wrk_rss
	#           rps_min rps_max"
	awk -v c="$1" '$2 == c && ($1 == "wrk" || $1 == "virtprof") {
		n[$1]++; k = n[$1]; req[$1, k] = $3; cpu[$1, k] = $4 + $5; rss[$1, k] = $6 }
	function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
	END { m = n["wrk"] < n["virtprof"] ? n["wrk"] : n["virtprof"]; lo = tlo = 1e9; hi = thi = 0
		for (k = 1; k <= m; k++) {
			if (!req["wrk", k] || !req["virtprof", k]) continue
			q++; x = (cpu["virtprof", k] / req["virtprof", k]) / (cpu["wrk", k] / req["wrk", k])
			cr[q] = x; if (x < lo) lo = x; if (x > hi) hi = x
			tr[q] = req["virtprof", k] / req["wrk", k]; rr[q] = rss["virtprof", k] / rss["wrk", k]
			if (tr[q] < tlo) tlo = tr[q]; if (tr[q] > thi) thi = tr[q]
			vr[q] = rss["virtprof", k]; wr[q] = rss["wrk", k] }
		if (!q) { print "0 0 0 0 0 0 0 0 0"; exit }
		print med(cr, q), lo, hi, med(tr, q), med(rr, q), med(vr, q) / 1024, med(wr, q) / 1024,
			tlo, thi }' "$tmp/results"
}
le() { awk -v a="$1" -v b="$2" 'BEGIN{print (a > 0 && a <= b) ? 1 : 0}'; }
for c in "${conns[@]}"; do
	read -r cr lo hi tr rr vr wr tlo thi < <(ratios "$c")
	goal "load generator CPU/request vs wrk, $c users" "<= 1.25x" \
		"$(printf '%.2fx (%.2f-%.2f over %s rounds)' "$cr" "$lo" "$hi" "${ROUNDS:-3}")" "$(le "$cr" 1.25)"
	if [ "$c" -ge 10000 ]; then
		goal "load generator throughput at $c users" ">= 0.9x wrk" \
			"$(printf '%.2fx (%.2f-%.2f)' "$tr" "$tlo" "$thi")" \
			"$(awk -v a="$tr" 'BEGIN{print (a >= 0.9) ? 1 : 0}')"
		goal "load generator RSS at $c users" "<= 2x wrk" \
			"$(printf '%.0f MB vs %.0f MB (%.1fx)' "$vr" "$wr" "$rr")" "$(le "$rr" 2)"
	fi
done

if [ "${CALLGRIND:-0}" = 1 ] && command -v valgrind >/dev/null; then
	for c in "${conns[@]}"; do
		tot() { # loops -> "Ir D1mr"
			valgrind --tool=callgrind --cache-sim=yes --callgrind-out-file="$tmp/cg.out" \
				"$VIRTPROF" load "$url" --users "$c" --workers 1 --loops "$1" \
				--engine "${VP_ENGINE:-auto}" >/dev/null 2>&1
			callgrind_annotate "$tmp/cg.out" 2>/dev/null | sed -n '/PROGRAM TOTALS/p' |
				awk '{gsub(",", "", $1); gsub(",", "", $9); print $1, $9}'
		}
		n1=$((4000 / c + 1)) n2=$((3 * (4000 / c + 1)))
		read -r i1 m1 < <(tot $n1)
		read -r i2 m2 < <(tot $n2)
		awk -v c="$c" -v i1="$i1" -v i2="$i2" -v m1="$m1" -v m2="$m2" -v r=$(((n2 - n1) * c)) \
			'BEGIN { printf "callgrind conns=%-6d user instructions/req=%.0f L1 read misses/req=%.0f\n",
				c, (i2 - i1) / r, (m2 - m1) / r }'
	done
fi
