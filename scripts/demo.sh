#!/bin/sh
# The main job: install what is missing, build, trace the bundled example
# (examples/demo.c) with function_graph and show what it did.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
out=$(mktemp -d)/demo.data
build/tools/ftrace-rt record -d "$out" -- build/examples/demo
echo
echo "== ftrace-rt report:"
build/tools/ftrace-rt report -d "$out"
if command -v uftrace >/dev/null; then
	echo
	echo "== uftrace replay -d $out:"
	uftrace replay -d "$out"
fi
