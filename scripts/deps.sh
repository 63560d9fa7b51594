#!/bin/sh
# Install what building and testing ftrace_rt needs on Debian 12 (run as root).
set -eu
pkgs="build-essential gcc clang meson ninja-build pkg-config python3
      liburcu-dev libelf-dev check libjemalloc-dev uftrace clang-format libclang-rt-14-dev
      dpkg-dev"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
