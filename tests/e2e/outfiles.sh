#!/usr/bin/env bash
# Output files in a folder another user can write (docs/security.md): an unprivileged user
# (uid 65534) plants symbolic links to a root-only victim file at every temporary name the old
# writer used (<out>.tmp.<pid> for the next few hundred pids), at the outputs themselves and
# inside the --csv folder, and offers its own links as --csv / --folded / the folder of an -o
# file.  For every output flag -- run --json --csv --html --folded --pprof, report -o, diff
# --json --html, load --json -- in a sticky world-writable folder (/tmp's mode 1777) and a
# plain one (0777): the victim keeps its bytes, each output is a regular file, or the command
# fails with one line naming the link.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/nginx/nginx.sh"
need_root
need_cmd jq setpriv sha256sum
[ -x "$VIRTPROF" ] || skip "$VIRTPROF not built"
port=18271
tmp=$(mktemp -d)
on_exit "rm -rf '$tmp'"
chmod 711 "$tmp"
nginx_start $port 1 1024
nginx_cgroup vp-sec-out-$$
url=http://127.0.0.1:$port/

victim=$tmp/victim
printf 'root-only bytes\n' >"$victim"
chmod 600 "$victim"
sum=$(sha256sum <"$victim")
mkdir -m 700 "$tmp/rootdir"
as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
check_victim() { # what
	[ "$(sha256sum <"$victim")" = "$sum" ] || fail "$1: the victim file was overwritten"
	[ -z "$(ls -A "$tmp/rootdir")" ] || fail "$1: files appeared in a folder only a link led to"
}
regular() { # what FILE...
	local what=$1 f
	shift
	for f in "$@"; do
		[ -f "$f" ] && [ ! -L "$f" ] || fail "$what: $f is not a regular file"
	done
}
# Links to the victim at <out>.tmp.<pid> for the pids the next commands will get, and at the
# output itself; made by the other user.
plant() { # FILE...
	local last f
	last=$(cat /proc/sys/kernel/ns_last_pid)
	for f in "$@"; do
		as_user ln -sf "$victim" "$f" || fail "plant $f"
		as_user bash -c 'for ((p = $2; p < $2 + 400; p++)); do ln -s "$1" "$3.tmp.$p"; done' \
			_ "$victim" "$last" "$f" || fail "plant $f.tmp.*"
	done
}
one_line_err() { # what errfile regex
	[ "$(grep -c . "$2")" = 1 ] || fail "$1: want one line on stderr, got: $(cat "$2")"
	grep -Eq "$3" "$2" || fail "$1: message '$(cat "$2")' lacks /$3/"
}

# A session to read back (report, diff), written in a private folder.
"$VIRTPROF" run --url "$url" --container "$NGX_CG" --users 2 --loops 100 --ramp-up 0s \
	--json "$tmp/s.json" >/dev/null 2>"$tmp/s.err" || fail "run exited $?: $(cat "$tmp/s.err")"

for mode in 1777 0777; do
	d=$tmp/shared-$mode
	mkdir "$d" && chmod "$mode" "$d"
	# the other user's own folder, for --csv, with links inside it too
	as_user mkdir "$d/csv"
	plant "$d/r.json" "$d/r.html" "$d/p.pb.gz" "$d/o.html" "$d/d.json" "$d/d.html" "$d/l.json" \
		"$d/csv/timeline.csv" "$d/csv/summary.csv"
	"$VIRTPROF" run --url "$url" --container "$NGX_CG" --users 2 --loops 100 --ramp-up 0s \
		--json "$d/r.json" --csv "$d/csv" --html "$d/r.html" --folded "$d/fg" \
		--pprof "$d/p.pb.gz" >/dev/null 2>"$d/run.err" ||
		fail "run ($mode) exited $?: $(cat "$d/run.err")"
	check_victim "run ($mode)"
	regular "run ($mode)" "$d/r.json" "$d/r.html" "$d/p.pb.gz" "$d/csv/timeline.csv" \
		"$d/csv/summary.csv"
	jq -e '.schema == "virtprof-session/1"' "$d/r.json" >/dev/null || fail "run ($mode): r.json"
	ls "$d"/fg/*.folded >/dev/null 2>&1 || fail "run ($mode): no folded files"
	regular "run ($mode)" "$d"/fg/*.folded

	"$VIRTPROF" report "$tmp/s.json" -o "$d/o.html" 2>"$d/rep.err" ||
		fail "report ($mode) exited $?: $(cat "$d/rep.err")"
	"$VIRTPROF" diff "$tmp/s.json" "$tmp/s.json" --json "$d/d.json" --html "$d/d.html" \
		>/dev/null 2>"$d/diff.err" || fail "diff ($mode) exited $?: $(cat "$d/diff.err")"
	"$VIRTPROF" load "$url" --users 2 --loops 10 --json "$d/l.json" >/dev/null 2>"$d/load.err" ||
		fail "load ($mode) exited $?: $(cat "$d/load.err")"
	check_victim "report/diff/load ($mode)"
	regular "report/diff/load ($mode)" "$d/o.html" "$d/d.json" "$d/d.html" "$d/l.json"
	jq -e '.verdict == "pass"' "$d/d.json" >/dev/null || fail "diff ($mode): d.json"
	# the links at the old temporary names are left alone (not followed, not removed)
	n=$(find "$d" -maxdepth 1 -type l -name 'r.json.tmp.*' | wc -l)
	assert_eq "$n" 400 "planted links left in place ($mode)"
	# nothing of virtprof's own is left behind: no temporary file
	left=$(find "$d" -name '.*.tmp.*' | head -n 3)
	[ -z "$left" ] || fail "temporary files left ($mode): $left"

	# folders offered through the other user's links: refused with one line, exit 2, before any
	# probe; nothing written where they point
	as_user ln -s "$tmp/rootdir" "$d/csvlink"
	as_user ln -s "$tmp/rootdir" "$d/fglink"
	as_user ln -s "$tmp/rootdir" "$d/dirlink"
	for args in "--csv $d/csvlink" "--folded $d/fglink" "--json $d/dirlink/r.json" \
		"--html $d/dirlink/r.html" "--pprof $d/dirlink/p.pb.gz"; do
		# shellcheck disable=SC2086
		"$VIRTPROF" run --url "$url" --container "$NGX_CG" --loops 1 $args >/dev/null 2>"$d/bad.err"
		rc=$?
		assert_eq "$rc" 2 "run $args ($mode): exit code"
		one_line_err "run $args ($mode)" "$d/bad.err" "symbolic link owned by uid 65534"
	done
	"$VIRTPROF" report "$tmp/s.json" -o "$d/dirlink/o.html" >/dev/null 2>"$d/bad.err"
	assert_eq "$?" 2 "report -o through a link ($mode): exit code"
	one_line_err "report -o through a link ($mode)" "$d/bad.err" "owned by uid 65534"
	"$VIRTPROF" diff "$tmp/s.json" "$tmp/s.json" --json "$d/dirlink/d.json" >/dev/null 2>"$d/bad.err"
	[ $? -ne 0 ] || fail "diff --json through a link ($mode) succeeded"
	one_line_err "diff --json through a link ($mode)" "$d/bad.err" "owned by uid 65534"
	"$VIRTPROF" load "$url" --loops 1 --json "$d/dirlink/l.json" >/dev/null 2>"$d/bad.err"
	assert_eq "$?" 2 "load --json through a link ($mode): exit code"
	one_line_err "load --json through a link ($mode)" "$d/bad.err" "owned by uid 65534"
	check_victim "links as folders ($mode)"
	echo "ok: mode $mode: every output a regular file, victim intact, foreign folder links refused"
done
