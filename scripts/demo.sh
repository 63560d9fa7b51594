#!/bin/sh
# The main job: install what is missing, build, trace the bundled example and
# show what it did.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
echo "== functions the runtime can trace in examples/demo:"
build/tools/ftrace-rt list -- build/examples/demo
