#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""lib/ is layered (lib/README.md): a file in lib/LAYER/ may include the
headers of its own layer and of the layers it stands on, never those of a
layer above it. Headers are found by name (every layer directory is on the
include path), so a header name must also be unique across lib/.

    lib_layers.py SOURCE_ROOT
"""
import os
import re
import sys

# each layer and the layers below it that it may include (lib/README.md)
BELOW = {
    'base': [],
    'scan': ['base'],
    'core': ['base', 'scan'],
    'dispatch': ['base', 'scan', 'core'],
    'trace': ['base', 'scan', 'core', 'dispatch'],
    'control': ['base', 'scan', 'core', 'dispatch', 'trace'],
}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def main():
    lib = os.path.join(sys.argv[1], 'lib')
    owner, errors = {}, []
    dirs = sorted(d for d in os.listdir(lib) if os.path.isdir(os.path.join(lib, d)))
    for d in dirs:
        if d not in BELOW:
            errors.append(f'lib/{d}/: not a known layer (add it to BELOW and lib/README.md)')
            continue
        for f in os.listdir(os.path.join(lib, d)):
            if f.endswith('.h'):
                if f in owner:
                    errors.append(f'{f}: in lib/{owner[f]}/ and lib/{d}/ (names must be unique)')
                owner[f] = d
    checked = 0
    for d in dirs:
        if d not in BELOW:
            continue
        for f in sorted(os.listdir(os.path.join(lib, d))):
            if not f.endswith(('.c', '.h')):
                continue
            path = os.path.join(lib, d, f)
            with open(path, encoding='utf-8') as fh:
                text = fh.read()
            for m in INCLUDE.finditer(text):
                inc = os.path.basename(m.group(1))
                up = owner.get(inc)
                checked += 1
                if up is None or up == d or up in BELOW[d]:
                    continue  # own layer, below, or not a layer's (arch/, lib/hooks.h, public)
                line = text.count('\n', 0, m.start()) + 1
                errors.append(f'lib/{d}/{f}:{line}: includes "{inc}" of lib/{up}/, '
                              f'a layer above {d}')
    for e in errors:
        print(e)
    print(f'{checked} includes checked in {len(dirs)} layers: {len(errors)} problem(s)')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
