#!/bin/sh
# Build vkstyle's art training sets: domain B from artwork shipped in Debian 12 packages
# (art_sources.tsv), domain A from the photographs of sources.tsv.
#
#   weights/recipes/make_artsets.sh OUT [STYLE,STYLE...]     (styles: painted,clipart)
#
# OUT/photos (domain A: the photos marked A or B in sources.tsv, never the test ones), OUT/test
# (held-out photos), OUT/<style>, OUT/MANIFEST.tsv (source, licence, author of every file) and
# OUT/SHA256SUMS. Installs python3-pil if missing (root or sudo); the photo and art packages are
# not installed but downloaded with `apt-get download` and unpacked under OUT/.debs (unless
# installed already). Running it again with the same recipe and package versions does nothing.
set -eu

usage() { echo "usage: $0 OUT_DIR [STYLE,...]   (styles: painted,clipart)" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
OUT=$1
STYLES=${2:-painted,clipart}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
SOURCES=$HERE/sources.tsv
ART=$HERE/art_sources.tsv
. "$HERE/debs.sh"

$PY -c 'import PIL' 2>/dev/null || apt_install python3-pil

mkdir -p "$OUT/.debs"
OUT=$(cd "$OUT" && pwd)
ROOTS=$OUT/.debs/roots.tsv
unpack_roots "$OUT/.debs" "$ROOTS" \
    $( { grep -v '^#' "$SOURCES" | cut -f3; grep -v '^#' "$ART" | cut -f4; } | sort -u)

stamp=$( { cat "$HERE/make_artsets.py" "$HERE/make_datasets.py" "$SOURCES" "$ART"; echo "$STYLES";
           cut -f1,2 "$ROOTS"; dpkg-query -W -f='${Version}\n' python3-pil; } | sha256sum | cut -d' ' -f1)
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$stamp" ]; then
    echo "$OUT is up to date (recipe $stamp)"
    exit 0
fi

# Build beside the old folders, then swap, so an interrupted run leaves no half-made set.
BUILD=$OUT/.build
rm -rf "$BUILD" && mkdir -p "$BUILD"
( cd "$HERE" && $PY make_artsets.py --sources "$SOURCES" --art "$ART" --roots "$ROOTS" \
      --out "$BUILD" --styles "$STYLES" )
rm -f "$OUT/.stamp"
for d in "$BUILD"/*; do rm -rf "${OUT:?}/$(basename "$d")"; mv "$d" "$OUT/"; done
rmdir "$BUILD"
echo "$stamp" > "$OUT/.stamp"
echo "wrote $OUT (recipe $stamp)"
