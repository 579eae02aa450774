#!/bin/sh
# Build the training set of vkstyle's shipped sprite model: 32 x 32 tiles of Dungeon Crawl Stone
# Soup (Debian's crawl-tiles-data), one folder per class (vkstyle-train --arch ddpm --data OUT).
#
#   weights/recipes/make_sprites.sh OUT
#
# OUT/{monsters,items,features,terrain}/, OUT/MANIFEST.tsv (sheet, position, licence of every
# tile) and OUT/SHA256SUMS. Installs python3-pil and python3-numpy if missing (root or sudo); the
# package is not installed but downloaded with `apt-get download` and unpacked under OUT/.debs
# (unless installed already). Running it again with the same recipe and package does nothing.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
OUT=$1
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
. "$HERE/debs.sh"

$PY -c 'import PIL, numpy' 2>/dev/null || apt_install python3-pil python3-numpy

mkdir -p "$OUT/.debs"
OUT=$(cd "$OUT" && pwd)
ROOTS=$OUT/.debs/roots.tsv
unpack_roots "$OUT/.debs" "$ROOTS" crawl-tiles-data

stamp=$( { cat "$HERE/make_sprites.py" "$HERE/make_datasets.py"; cut -f1,2 "$ROOTS";
           dpkg-query -W -f='${Version}\n' python3-pil; } | sha256sum | cut -d' ' -f1)
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$stamp" ]; then
    echo "$OUT is up to date (recipe $stamp)"
    exit 0
fi

# Build beside the old folders, then swap, so an interrupted run leaves no half-made set.
BUILD=$OUT/.build
rm -rf "$BUILD" && mkdir -p "$BUILD"
( cd "$HERE" && $PY make_sprites.py --roots "$ROOTS" --out "$BUILD" )
rm -f "$OUT/.stamp"
for d in "$BUILD"/*; do rm -rf "${OUT:?}/$(basename "$d")"; mv "$d" "$OUT/"; done
rmdir "$BUILD"
echo "$stamp" > "$OUT/.stamp"
echo "wrote $OUT (recipe $stamp)"
