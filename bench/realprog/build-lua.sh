#!/bin/sh
# build-lua.sh OUTDIR
#
# Builds the Lua interpreter from Debian 12's lua5.4 source package (Debian's
# patches applied by apt-get source): every src/*.c but luac.c, compiled as Lua's
# own `make linux` does (-O2 -Wall -Wextra -DLUA_COMPAT_5_3 -DLUA_USE_LINUX,
# -Wl,-E -ldl -lm) with -g, statically (no liblua.so), three times:
#   lua        -fpatchable-function-entry=13,8 -falign-functions=8 (ftrace_rt)
#   lua.plain  no patchable entries (baseline)
#   lua.pfe5   -fpatchable-function-entry=5 (the layout uftrace 0.13 patches)
#   VERSION    Debian package version (written last: marks a complete OUTDIR)
# Work files go to OUTDIR/work. Idempotent. Environment: VARIANTS= (default
# "instr plain pfe5"; the tests need "instr").
set -eu
NAME=build-lua
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
OUTDIR=$(cd "$1" && pwd)
. "$(dirname "$0")/debsrc.sh"
unset CFLAGS CPPFLAGS LDFLAGS CC MAKEFLAGS MFLAGS 2>/dev/null || true
VARIANTS=${VARIANTS:-instr plain pfe5}
out_name() { case $1 in instr) echo lua ;; *) echo "lua.$1" ;; esac; }
done_already=1
for v in $VARIANTS; do [ -x "$OUTDIR/$(out_name "$v")" ] || done_already=0; done
[ -s "$OUTDIR/VERSION" ] || done_already=0
if [ $done_already = 1 ]; then
	log "already built in $OUTDIR (lua5.4 $(cat "$OUTDIR/VERSION")); nothing to do"
	exit 0
fi
START=$(date +%s)
need_pkgs dpkg-dev gcc libc6-dev binutils
WORK=$OUTDIR/work
mkdir -p "$WORK"
fetch_src lua5.4 "$WORK" src/lua.c
# the header debian/rules writes at configure time (luaconf.h includes it)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
printf '#ifndef _LUA_DEB_MULTIARCH_\n#define _LUA_DEB_MULTIARCH_\n#define DEB_HOST_MULTIARCH "%s"\n#endif\n' \
	"$MA" >"$SRCDIR/src/lua5.4-deb-multiarch.h"

build() { # VARIANT EXTRA_FLAGS
	o=$WORK/lua.$1
	[ -x "$o" ] && [ -f "$o.flags" ] && [ "$(cat "$o.flags")" = "$2" ] && return 0
	log "$1: compiling (log: $o.log)"
	srcs=$(ls "$SRCDIR"/src/*.c | grep -v '/luac\.c$')
	# shellcheck disable=SC2086
	gcc -std=gnu99 -O2 -g -Wall -Wextra -DLUA_COMPAT_5_3 -DLUA_USE_LINUX $2 -o "$o.tmp" \
		$srcs -Wl,-E -ldl -lm >"$o.log" 2>&1 || { tail -20 "$o.log" >&2; die "$1: compile failed"; }
	mv "$o.tmp" "$o"
	echo "$2" >"$o.flags"
}
for v in $VARIANTS; do
	case $v in
	instr) build instr "-fpatchable-function-entry=13,8 -falign-functions=8" ;;
	plain) build plain "" ;;
	pfe5) build pfe5 "-fpatchable-function-entry=5" ;;
	*) die "unknown variant $v" ;;
	esac
done
case " $VARIANTS " in *" instr "*) has_pfe "$WORK/lua.instr" || die "instr: no __patchable_function_entries" ;; esac
case " $VARIANTS " in *" pfe5 "*) has_pfe "$WORK/lua.pfe5" || die "pfe5: no __patchable_function_entries" ;; esac
case " $VARIANTS " in *" plain "*) ! has_pfe "$WORK/lua.plain" || die "plain: has __patchable_function_entries" ;; esac

rm -f "$OUTDIR/VERSION"
for v in $VARIANTS; do
	n=$(out_name "$v")
	cp "$WORK/lua.$v" "$OUTDIR/$n.tmp" && mv "$OUTDIR/$n.tmp" "$OUTDIR/$n"
done
echo "$VERSION" >"$OUTDIR/VERSION"
log "done in $(($(date +%s) - START))s: lua5.4 $VERSION in $OUTDIR"
