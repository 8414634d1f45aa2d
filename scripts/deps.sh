#!/usr/bin/env bash
# Installs every Debian package virtprof's build, tests and demo need, and prepares the kernel
# interfaces it uses.  Idempotent: installs only what is missing, mounts only what is unmounted.
set -euo pipefail

PKGS=(
	# build
	make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev libcurl4-openssl-dev
	libjansson-dev # reads saved sessions back (virtprof report, diff, --html)
	# serve: the /metrics HTTP server (embedded, event-driven, no own HTTP parser to maintain)
	libmicrohttpd-dev
	# serve --web-config: the exporter-toolkit YAML (libyaml), bcrypt password hashes (libxcrypt)
	libyaml-dev libcrypt-dev
	# tests
	libcmocka-dev jq iproute2 nginx-light procps kmod util-linux e2fsprogs curl
	python3-jsonschema # validates the session JSON against docs/session.schema.json
	chromium           # loads the HTML report headless: no console error, no request, the DOM
	prometheus # serve: a real Prometheus scrapes the agent (the test starts its own instance)
	openssl    # serve: the TLS test makes its own CA and certificate
	# testbed: one rootfs for a qemu VM (TCG/KVM) and a docker container
	qemu-system-x86 docker.io linux-image-amd64 busybox-static cpio
	# tests: the container runtimes real hosts run (podman with runc: crun refuses hybrid cgroups)
	podman runc conmon containerd lxc slirp4netns
	# benchmarks: the peers virtprof is held against
	wrk nghttp2-client bpftrace
	# tests: --load-cmd with the load generators people bring (wrk and h2load above, ab, hey);
	# JMeter, the study's generator, with a JDK for the one class it needs (scripts/jmeter/jmeter)
	apache2-utils hey jmeter jmeter-http default-jdk-headless
	# tests: the pprof files load in `go tool pprof`
	golang-go
)

[ "$(id -u)" -eq 0 ] || { echo "deps.sh: run as root (apt-get, mount)" >&2; exit 2; }

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "deps.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Several installs may run at once (parallel test runs): wait for the dpkg lock, do not fail.
	apt-get -o DPkg::Lock::Timeout=600 update -qq
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Tracepoint ids and formats live in tracefs; it is not mounted on these machines.
if ! mountpoint -q /sys/kernel/tracing; then
	mount -t tracefs nodev /sys/kernel/tracing
fi
if ! mountpoint -q /sys/kernel/debug && [ -d /sys/kernel/debug ]; then
	mount -t debugfs nodev /sys/kernel/debug 2>/dev/null || true
fi
# nginx from the package must not hold port 80 on the host: tests start their own instances.
# Likewise prometheus must not keep port 9090 nor scrape anything: the serve test runs its own.
for unit in nginx prometheus; do
	if command -v systemctl >/dev/null && systemctl is-active -q "$unit" 2>/dev/null; then
		systemctl stop "$unit" || true
	fi
done
if command -v systemctl >/dev/null && systemctl is-enabled -q prometheus 2>/dev/null; then
	systemctl disable -q prometheus 2>/dev/null || true
fi
echo "deps.sh: ready"
