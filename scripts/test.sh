#!/bin/sh
# The whole test suite: install what is missing, build, run every test; build
# with clang and run the threaded tests there; build with AddressSanitizer and
# UndefinedBehaviorSanitizer and run the whole suite under them; build with
# ThreadSanitizer and run the threaded tests it can follow (the "threads"
# suite: the API unit tests and a stress run); cross-build for aarch64 and run
# its suite under qemu-user (tests/emulated says what runs there).
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh aarch64
[ -d build ] || meson setup build >/dev/null
ninja -C build
meson test -C build --print-errorlogs
# the runtime builds warning-free with clang too; its threaded tests run on that build
[ -d build-clang ] || CC=clang meson setup build-clang --werror >/dev/null
ninja -C build-clang
meson test -C build-clang --suite threads --print-errorlogs
[ -d build-asan ] || meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
ninja -C build-asan
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --print-errorlogs
[ -d build-tsan ] || meson setup build-tsan -Db_sanitize=thread -Db_lundef=false >/dev/null
ninja -C build-tsan
TSAN_OPTIONS=halt_on_error=1:report_signal_unsafe=0:suppressions=$PWD/tests/tsan.supp \
	meson test -C build-tsan --suite threads --print-errorlogs
# aarch64 under qemu-user: the cross build and its emulated suite
[ -d build-a64 ] || meson setup --cross-file cross/aarch64.ini build-a64 >/dev/null
ninja -C build-a64
meson test -C build-a64 --print-errorlogs
