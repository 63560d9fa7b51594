#!/bin/sh
# build-redis.sh OUTDIR
#
# Builds Debian 12's redis (source package from apt) twice:
#   - instrumented: redis's own code (src/*.c) compiled with the ftrace_rt flags
#     -fpatchable-function-entry=13,8 -falign-functions=8
#   - plain: the same build without those flags (baseline)
# and leaves in OUTDIR:
#   redis-server redis-benchmark redis-cli   (instrumented)
#   redis-server.plain                       (baseline)
#   redis-server.pfe5                        (-fpatchable-function-entry=5, the
#                                             layout uftrace 0.13 can patch)
#   VERSION                                  (Debian package version)
# Both builds: -O2 -g, MALLOC=libc (see below), no TLS, no systemd, no tests.
# Work files (source, build trees, logs) go to OUTDIR/work.
#
# Idempotent: exits 0 at once when OUTDIR already holds all the results.
# Needs root (apt-get) unless everything is already installed.
#
# Environment:
#   JOBS=N          parallel make jobs (default 2)
#   VARIANTS=       which builds (default "instr plain pfe5"; the tests need "instr")
#   REDIS_MALLOC=   libc (default) or jemalloc (Debian's shared libjemalloc, as
#                   the Debian package links it). Redis's bundled jemalloc cannot
#                   be used: Debian's patch 0004 (USE_SYSTEM_JEMALLOC) renames
#                   je_* calls to the unprefixed names unconditionally, so a
#                   bundled-jemalloc link fails with undefined mallctl/mallocx.
set -eu

usage() { echo "usage: $0 OUTDIR" >&2; exit 2; }
log() { echo "build-redis: $*" >&2; }
die() { echo "build-redis: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || usage
mkdir -p "$1"
OUTDIR=$(cd "$1" && pwd)
JOBS=${JOBS:-2}
REDIS_MALLOC=${REDIS_MALLOC:-libc}
TRACE_FLAGS="-fpatchable-function-entry=13,8 -falign-functions=8"
VARIANTS=${VARIANTS:-instr plain pfe5}
RESULTS="redis-server redis-benchmark redis-cli"
case " $VARIANTS " in *" plain "*) RESULTS="$RESULTS redis-server.plain" ;; esac
case " $VARIANTS " in *" pfe5 "*) RESULTS="$RESULTS redis-server.pfe5" ;; esac

# --- 0. nothing to do if the results are there -----------------------------
done_already=1
for f in $RESULTS; do [ -x "$OUTDIR/$f" ] || done_already=0; done
[ -s "$OUTDIR/VERSION" ] || done_already=0
if [ $done_already = 1 ]; then
    log "already built in $OUTDIR (redis $(cat "$OUTDIR/VERSION")); nothing to do"
    exit 0
fi

START=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
# The redis Makefiles read these from the environment: keep the build exact.
unset CFLAGS CPPFLAGS LDFLAGS CC MAKEFLAGS MFLAGS 2>/dev/null || true

case $REDIS_MALLOC in
    libc) MALLOC_PKGS=""; MALLOC_MAKE="MALLOC=libc" ;;
    jemalloc) MALLOC_PKGS="libjemalloc-dev"
              MALLOC_MAKE="MALLOC=jemalloc USE_SYSTEM_JEMALLOC=yes" ;;
    *) die "REDIS_MALLOC must be libc or jemalloc, not '$REDIS_MALLOC'" ;;
esac

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root to run: $*"
    fi
}

APT_UPDATED=0
apt_update() {
    [ $APT_UPDATED = 1 ] && return 0
    log "apt-get update"
    as_root apt-get update -qq || die "apt-get update failed"
    APT_UPDATED=1
}

# --- 1. build tools ----------------------------------------------------------
# dpkg-dev: dpkg-source (apt-get source) and dpkg-parsechangelog.
NEED_PKGS="dpkg-dev gcc make libc6-dev pkg-config $MALLOC_PKGS"
missing=""
for p in $NEED_PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || missing="$missing $p"
done
if [ -n "$missing" ]; then
    log "installing:$missing"
    # Try with the current package lists first; update them only on failure.
    # shellcheck disable=SC2086
    as_root apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 || {
        apt_update
        # shellcheck disable=SC2086
        as_root apt-get install -y -qq --no-install-recommends $missing \
            || die "apt-get install$missing failed"
    }
fi

# --- 2. a deb-src entry ------------------------------------------------------
have_redis_src() { [ -n "$(apt-cache showsrc redis 2>/dev/null | head -1)" ]; }

SRC_FILE=/etc/apt/sources.list.d/ftrace-rt-src.sources
if ! have_redis_src; then
    if [ ! -f "$SRC_FILE" ]; then
        DEB_SOURCES=/etc/apt/sources.list.d/debian.sources
        tmp=$(mktemp)
        if [ -f "$DEB_SOURCES" ]; then
            # Same stanzas as the existing 'Types: deb' entries (URIs, Suites,
            # Components, Signed-By), as deb-src.
            awk 'BEGIN { RS = ""; ORS = "\n\n" }
                 /(^|\n)Types:[ \t]*deb[ \t]*(\n|$)/ {
                     sub(/Types:[ \t]*deb[ \t]*(\n|$)/, "Types: deb-src\n"); print }' \
                "$DEB_SOURCES" > "$tmp"
        fi
        if [ ! -s "$tmp" ]; then
            # No deb822 entry to copy: Debian's main archive for this release.
            codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
            printf '%s\n' "Types: deb-src" "URIs: http://deb.debian.org/debian" \
                "Suites: $codename" "Components: main" \
                "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" > "$tmp"
        fi
        log "adding $SRC_FILE"
        as_root cp "$tmp" "$SRC_FILE"
        as_root chmod 644 "$SRC_FILE"
        rm -f "$tmp"
    fi
    apt_update
    have_redis_src || die "apt-get source is impossible here: no deb-src index lists 'redis' (see $SRC_FILE and 'apt-get update' output)"
fi

# --- 3. fetch the source package --------------------------------------------
WORK=$OUTDIR/work
mkdir -p "$WORK"
SRCDIR=$(find "$WORK" -maxdepth 1 -type d -name 'redis-[0-9]*' | head -1)
if [ -z "$SRCDIR" ] || [ ! -f "$SRCDIR/debian/changelog" ] || [ ! -f "$SRCDIR/src/Makefile" ]; then
    rm -rf "$WORK"/redis-[0-9]* "$WORK"/redis_*
    log "apt-get source redis (in $WORK)"
    (cd "$WORK" && apt-get source -qq redis) \
        || die "apt-get source redis failed: cannot get the Debian source of redis"
    SRCDIR=$(find "$WORK" -maxdepth 1 -type d -name 'redis-[0-9]*' | head -1)
    [ -n "$SRCDIR" ] || die "apt-get source redis unpacked no redis-* directory"
fi
VERSION=$(dpkg-parsechangelog -l "$SRCDIR/debian/changelog" -S Version)
log "redis source $VERSION in $SRCDIR"

# --- 4. build both variants --------------------------------------------------
# make -C src (not the top Makefile: it starts one sub-make per target, and
# with -j those race on deps/ and .make-settings).  REDIS_CFLAGS reaches only
# the compile lines of src/*.c, not deps/ (hiredis, lua, linenoise, hdr_histogram).
build() { # build VARIANT EXTRA_REDIS_CFLAGS
    dir=$WORK/build-$1
    if [ -f "$dir/.built" ]; then log "$1: already built"; return 0; fi
    rm -rf "$dir"
    cp -a "$SRCDIR" "$dir"
    log "$1: building (log: $WORK/build-$1.log)"
    # shellcheck disable=SC2086
    make -C "$dir/src" -j"$JOBS" V=1 OPTIMIZATION=-O2 DEBUG="-g -ggdb" \
        $MALLOC_MAKE BUILD_TLS=no USE_SYSTEMD=no REDIS_CFLAGS="$2" \
        redis-server redis-benchmark redis-cli > "$WORK/build-$1.log" 2>&1 \
        || { tail -30 "$WORK/build-$1.log" >&2; die "$1: make failed (see $WORK/build-$1.log)"; }
    touch "$dir/.built"
}
build instr "$TRACE_FLAGS"
case " $VARIANTS " in *" plain "*) build plain "" ;; esac
case " $VARIANTS " in *" pfe5 "*) build pfe5 "-fpatchable-function-entry=5" ;; esac

# Check that the flags did reach (only) the instrumented compile lines.
# (src/Makefile compiles with '-MMD -o X.o -c X.c'; deps/ Makefiles do not.)
SRC_CC='-MMD -o [A-Za-z0-9_-]+\.o -c [A-Za-z0-9_-]+\.c$'
lines=$(grep -c -E -e "$SRC_CC" "$WORK/build-instr.log" || true)
without=$(grep -E -e "$SRC_CC" "$WORK/build-instr.log" | grep -c -v -e "$TRACE_FLAGS" || true)
[ "$lines" -gt 0 ] && [ "$without" = 0 ] \
    || die "instr: $without of $lines src/*.c compile lines lack '$TRACE_FLAGS'"
has_pfe() { LC_ALL=C readelf -SW "$1" | grep -q __patchable_function_entries; }
has_pfe "$WORK/build-instr/src/redis-server" || die "instr: redis-server has no __patchable_function_entries"
if [ -f "$WORK/build-plain/.built" ]; then
    if grep -q -e '-fpatchable-function-entry' "$WORK/build-plain.log"; then
        die "plain: a compile line has -fpatchable-function-entry"
    fi
    ! has_pfe "$WORK/build-plain/src/redis-server" || die "plain: redis-server has __patchable_function_entries"
fi

# --- 5. results (VERSION last: its presence marks a complete OUTDIR) --------
rm -f "$OUTDIR/VERSION"
for f in redis-server redis-benchmark redis-cli; do
    cp "$WORK/build-instr/src/$f" "$OUTDIR/$f.tmp" && mv "$OUTDIR/$f.tmp" "$OUTDIR/$f"
done
for v in plain pfe5; do
    [ -f "$WORK/build-$v/.built" ] || continue
    cp "$WORK/build-$v/src/redis-server" "$OUTDIR/redis-server.$v.tmp"
    mv "$OUTDIR/redis-server.$v.tmp" "$OUTDIR/redis-server.$v"
done
echo "$VERSION" > "$OUTDIR/VERSION"

log "done in $(( $(date +%s) - START ))s: redis $VERSION ($REDIS_MALLOC malloc) in $OUTDIR"
