#!/bin/sh
# Install what building and testing ftrace_rt needs on Debian 12 (run as root).
# `scripts/deps.sh aarch64` also installs the aarch64 cross build: GCC's cross
# compiler (clang's aarch64 target uses its sysroot), qemu-user to run the
# programs, and the arm64 multiarch packages of the runtime's dependencies
# (not libjemalloc-dev:arm64: it is not co-installable with the amd64 one, and
# the jemalloc option is off by default).
set -eu
pkgs="build-essential gcc clang meson ninja-build pkg-config python3
      liburcu-dev libelf-dev check libjemalloc-dev uftrace clang-format libclang-rt-14-dev
      dpkg-dev"
arm64=""
for a in "$@"; do
	case "$a" in
	aarch64 | arm64)
		pkgs="$pkgs gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user libc6:arm64
		      liburcu-dev:arm64 libelf-dev:arm64 check:arm64
		      libsubunit-dev:arm64 zlib1g-dev:arm64"
		arm64=1
		;;
	*)
		echo "deps.sh: unknown architecture '$a' (known: aarch64)" >&2
		exit 2
		;;
	esac
done
if [ -n "$arm64" ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
fi
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends --no-remove $missing >/dev/null
fi
