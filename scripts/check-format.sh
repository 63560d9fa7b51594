#!/bin/sh
# Fail if a C source of the project is not as clang-format (.clang-format) would write it.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' '*.cc' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
clang-format --dry-run -Werror $files
