#!/bin/sh
# Build vkstyle's unpaired training sets from photographs shipped in Debian 12 packages.
#
#   weights/recipes/make_datasets.sh OUT [STYLE,STYLE...]
#
# OUT/photos (domain A), OUT/<style> (domain B, one folder per style), OUT/test (held-out
# photos), OUT/MANIFEST.tsv and OUT/SHA256SUMS. Installs gegl and python3-pil if missing (needs
# root or sudo); the photo packages are not installed but downloaded with `apt-get download`
# and unpacked under OUT/.debs (unless they are installed already). Running it again with the
# same recipe and package versions does nothing; anything else rebuilds all the folders.
set -eu

usage() { echo "usage: $0 OUT_DIR [STYLE,...]   (styles: cartoon,oilpaint,ink)" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
OUT=$1
STYLES=${2:-cartoon,oilpaint,ink}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3            # Debian's python, where python3-pil installs
SOURCES=$HERE/sources.tsv

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else echo "need root to run: $*" >&2; exit 1
    fi
}

apt_install() {
    as_root apt-get install -y --no-install-recommends "$@" ||
        { as_root apt-get update && as_root apt-get install -y --no-install-recommends "$@"; }
}

missing=""
command -v gegl >/dev/null 2>&1 || missing="$missing gegl"
$PY -c 'import PIL' 2>/dev/null || missing="$missing python3-pil"
[ -z "$missing" ] || apt_install $missing

mkdir -p "$OUT/.debs"
OUT=$(cd "$OUT" && pwd)
DEBS=$OUT/.debs
ROOTS=$DEBS/roots.tsv
: > "$ROOTS.new"

# One root per photo package: / if installed, else its .deb unpacked under $DEBS.
for pkg in $(grep -v '^#' "$SOURCES" | cut -f3 | sort -u); do
    if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ]; then
        printf '%s\t%s\t/\n' "$pkg" "$(dpkg-query -W -f='${Version}' "$pkg")" >> "$ROOTS.new"
        continue
    fi
    deb=$(ls "$DEBS"/"${pkg}"_*.deb 2>/dev/null | head -n 1 || true)
    if [ -z "$deb" ]; then
        ( cd "$DEBS" && { apt-get download "$pkg" 2>/dev/null ||
                          { as_root apt-get update >/dev/null && apt-get download "$pkg"; }; } )
        deb=$(ls "$DEBS"/"${pkg}"_*.deb | head -n 1)
    fi
    version=$(dpkg-deb -f "$deb" Version)
    root=$DEBS/root-$pkg
    if [ ! -f "$root/.version" ] || [ "$(cat "$root/.version")" != "$version" ]; then
        rm -rf "$root" && mkdir -p "$root"
        dpkg-deb -x "$deb" "$root"
        echo "$version" > "$root/.version"
    fi
    printf '%s\t%s\t%s\n' "$pkg" "$version" "$root" >> "$ROOTS.new"
done
mv "$ROOTS.new" "$ROOTS"

# The recipe: generator code, source list, styles, and the versions of the photo packages and
# of the tools whose output bytes they decide.
stamp=$( { cat "$HERE/make_datasets.py" "$SOURCES"; echo "$STYLES"; cut -f1,2 "$ROOTS";
           dpkg-query -W -f='${Version}\n' gegl libgegl-0.4-0 libbabl-0.1-0 python3-pil; } | sha256sum | cut -d' ' -f1)
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$stamp" ]; then
    echo "$OUT is up to date (recipe $stamp)"
    exit 0
fi

# Build beside the old folders, then swap, so an interrupted run leaves no half-made set.
BUILD=$OUT/.build
rm -rf "$BUILD" && mkdir -p "$BUILD"
$PY "$HERE/make_datasets.py" --sources "$SOURCES" --roots "$ROOTS" --out "$BUILD" --styles "$STYLES"
rm -f "$OUT/.stamp"
for d in photos test cartoon oilpaint ink MANIFEST.tsv SHA256SUMS; do rm -rf "${OUT:?}/$d"; done
for d in "$BUILD"/* ; do mv "$d" "$OUT/"; done
rmdir "$BUILD"
echo "$stamp" > "$OUT/.stamp"
echo "wrote $OUT (recipe $stamp)"
