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

. "$HERE/debs.sh"

missing=""
command -v gegl >/dev/null 2>&1 || missing="$missing gegl"
$PY -c 'import PIL' 2>/dev/null || missing="$missing python3-pil"
[ -z "$missing" ] || apt_install $missing

mkdir -p "$OUT/.debs"
OUT=$(cd "$OUT" && pwd)
ROOTS=$OUT/.debs/roots.tsv
unpack_roots "$OUT/.debs" "$ROOTS" $(grep -v '^#' "$SOURCES" | cut -f3 | sort -u)

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
