# Start a throw-away nginx on 127.0.0.1 for the load tests (source after tests/lib.sh).
#   nginx_start PORT [WORKERS] [CONNS]   -> sets NGX_DIR (logs in $NGX_DIR/access.log), NGX_PID
# It is stopped and its directory removed on exit.
PATH=$PATH:/usr/sbin:/sbin

# 10,000 users from this host need the open files and ephemeral ports for them (else skip).
need_10k_sockets() {
	local hard ports
	hard=$(ulimit -Hn)
	[ "$hard" = unlimited ] || [ "$hard" -ge 10200 ] || skip "open-file hard limit $hard < 10200"
	ports=$(awk '{print $2 - $1 + 1}' /proc/sys/net/ipv4/ip_local_port_range)
	[ "$ports" -ge 10000 ] || skip "only $ports ephemeral ports"
}

nginx_start() {
	local port=$1 workers=${2:-1} conns=${3:-4096} nofile
	need_cmd nginx
	NGX_DIR=$(mktemp -d /tmp/vp-load-nginx.XXXXXX)
	on_exit "rm -rf '$NGX_DIR'"
	mkdir -p "$NGX_DIR/tmp"
	nofile=$((conns * 2 + 64))
	sed -e "s|@PREFIX@|$NGX_DIR|g" -e "s|@PORT@|$port|g" -e "s|@WORKERS@|$workers|g" \
		-e "s|@CONNS@|$conns|g" -e "s|@NOFILE@|$nofile|g" \
		"$REPO/tests/nginx/load.conf.in" >"$NGX_DIR/nginx.conf"
	(ulimit -n "$(ulimit -Hn)"; exec nginx -p "$NGX_DIR" -c "$NGX_DIR/nginx.conf" \
		>"$NGX_DIR/stdout" 2>&1) &
	NGX_PID=$!
	on_exit "kill $NGX_PID; wait $NGX_PID"
	if ! wait_for 50 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"; then
		cat "$NGX_DIR/stdout" "$NGX_DIR/error.log" >&2 2>/dev/null
		fail "nginx did not start on 127.0.0.1:$port"
	fi
}

# Requests nginx logged so far, and distinct connections among them.
nginx_log_lines() { wc -l <"$NGX_DIR/access.log" | tr -d ' '; }
nginx_log_conns() { awk '{print $1}' "$NGX_DIR/access.log" | sort -u | wc -l | tr -d ' '; }
# nginx writes its access log through a buffer-less write per request, but give it a moment.
nginx_log_settle() { sleep 0.3; }

# Move the nginx of nginx_start into a fresh cgroup v2 $1 (a container without a container
# runtime) -> NGX_CG (its path), NGX_ENT (its entity, ctr:$1); undone at exit.
nginx_cgroup() {
	local v2 p
	v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$v2" ] || skip "no cgroup v2 hierarchy mounted"
	NGX_CG=$v2/$1
	NGX_ENT=ctr:$1
	mkdir "$NGX_CG" || fail "mkdir $NGX_CG"
	on_exit "rmdir $NGX_CG"
	on_exit "for p in \$(cat $NGX_CG/cgroup.procs); do echo \$p > $v2/cgroup.procs; done"
	for p in "$NGX_PID" $(pgrep -P "$NGX_PID"); do
		echo "$p" >"$NGX_CG/cgroup.procs"
	done
	grep -q . "$NGX_CG/cgroup.procs" || fail "nginx not moved into $NGX_CG"
}

# 10,000 users of `virtprof load` against a fresh nginx (port, workers, worker_connections) for
# DURATION; the report in $tmp/k.json and $tmp/k.txt (tmp made and removed here), nginx's log
# settled.
load_10k_users() { # port workers conns duration
	need_10k_sockets
	nginx_start "$1" "$2" "$3"
	tmp=$(mktemp -d)
	on_exit "rm -rf '$tmp'"
	"$VIRTPROF" load "http://127.0.0.1:$1/" --users 10000 --ramp-up 1s --duration "$4" \
		--json "$tmp/k.json" >"$tmp/k.txt" 2>&1 || fail "10k run failed: $(tail "$tmp/k.txt")"
	nginx_log_settle
}
