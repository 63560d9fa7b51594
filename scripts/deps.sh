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
		      libsubunit-dev:arm64 zlib1g-dev:arm64 libstdc++6:arm64"
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
# Debian's lua5.4 source package (370 KB), kept for tests/test_lua_counts.py, which builds
# the interpreter with patchable entries (bench/realprog/build-lua.sh) and needs no network
cache=/var/cache/ftrace-rt/src
if ! ls "$cache"/lua5.4_*.dsc >/dev/null 2>&1; then
	NAME=deps.sh
	. "$(dirname "$0")/../bench/realprog/debsrc.sh"
	if (ensure_deb_src lua5.4) && mkdir -p "$cache" &&
		(cd "$cache" && apt-get source -qq --download-only lua5.4 >/dev/null 2>&1); then
		:
	else
		echo "deps.sh: could not fetch lua5.4's source package: the lua-counts test will be skipped" >&2
	fi
fi
