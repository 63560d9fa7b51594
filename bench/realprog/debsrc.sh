# Sourced by build-sqlite.sh and build-lua.sh: fetch a Debian 12 source
# package with apt-get source (adding a deb-src entry when none lists it), as
# build-redis.sh does for redis. Callers set NAME (for messages) first.
#   need_pkgs PKG...           install the missing ones (apt-get, as root)
#   fetch_src SRCPKG WORK TEST  unpack SRCPKG into WORK (reused if WORK/SRCPKG-*/TEST
#                               exists); sets SRCDIR and VERSION. A copy of the
#                               source package in $FTRACE_RT_SRC_CACHE (default
#                               /var/cache/ftrace-rt/src, where scripts/deps.sh puts
#                               lua5.4's) is unpacked without network.
export DEBIAN_FRONTEND=noninteractive
log() { echo "$NAME: $*" >&2; }
die() { echo "$NAME: error: $*" >&2; exit 1; }
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
need_pkgs() {
	missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	log "installing:$missing"
	# shellcheck disable=SC2086
	as_root apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 || {
		apt_update
		# shellcheck disable=SC2086
		as_root apt-get install -y -qq --no-install-recommends $missing ||
			die "apt-get install$missing failed"
	}
}
# a deb-src stanza for every 'Types: deb' one of debian.sources (the file
# build-redis.sh writes: the same name, so either script reuses the other's)
ensure_deb_src() {
	[ -n "$(apt-cache showsrc "$1" 2>/dev/null | head -1)" ] && return 0
	SRC_FILE=/etc/apt/sources.list.d/ftrace-rt-src.sources
	if [ ! -f "$SRC_FILE" ]; then
		tmp=$(mktemp)
		if [ -f /etc/apt/sources.list.d/debian.sources ]; then
			awk 'BEGIN { RS = ""; ORS = "\n\n" }
			     /(^|\n)Types:[ \t]*deb[ \t]*(\n|$)/ {
			         sub(/Types:[ \t]*deb[ \t]*(\n|$)/, "Types: deb-src\n"); print }' \
				/etc/apt/sources.list.d/debian.sources >"$tmp"
		fi
		if [ ! -s "$tmp" ]; then
			codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
			printf '%s\n' "Types: deb-src" "URIs: http://deb.debian.org/debian" \
				"Suites: $codename" "Components: main" \
				"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" >"$tmp"
		fi
		log "adding $SRC_FILE"
		as_root cp "$tmp" "$SRC_FILE"
		as_root chmod 644 "$SRC_FILE"
		rm -f "$tmp"
	fi
	apt_update
	[ -n "$(apt-cache showsrc "$1" 2>/dev/null | head -1)" ] ||
		die "apt-get source is impossible here: no deb-src index lists '$1' (see $SRC_FILE)"
}
fetch_src() {
	SRCDIR=$(find "$2" -maxdepth 1 -type d -name "$1-[0-9]*" | head -1)
	if [ -z "$SRCDIR" ] || [ ! -f "$SRCDIR/debian/changelog" ] || [ ! -e "$SRCDIR/$3" ]; then
		rm -rf "$2/$1"-[0-9]* "$2/$1"_*
		cache=${FTRACE_RT_SRC_CACHE:-/var/cache/ftrace-rt/src}
		dsc=$(ls "$cache/$1"_*.dsc 2>/dev/null | tail -1)
		if [ -n "$dsc" ]; then
			log "unpacking $dsc (in $2)"
			(cd "$2" && dpkg-source -q -x "$dsc" >/dev/null 2>&1) ||
				die "dpkg-source -x $dsc failed"
		else
			ensure_deb_src "$1"
			log "apt-get source $1 (in $2)"
			(cd "$2" && apt-get source -qq "$1" >/dev/null 2>&1) ||
				die "apt-get source $1 failed: cannot get the Debian source of $1"
		fi
		SRCDIR=$(find "$2" -maxdepth 1 -type d -name "$1-[0-9]*" | head -1)
		[ -n "$SRCDIR" ] || die "apt-get source $1 unpacked no $1-* directory"
	fi
	VERSION=$(dpkg-parsechangelog -l "$SRCDIR/debian/changelog" -S Version)
	log "$1 source $VERSION in $SRCDIR"
}
has_pfe() { LC_ALL=C readelf -SW "$1" | grep -q __patchable_function_entries; }
