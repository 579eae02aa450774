#!/bin/sh
# `vkstyle metrics checkerboard IN STYLED` end to end: a photo against itself is 0 dB, a
# checkerboard of 8 levels drawn over it shows at period 2 only, and the errors.
# Usage: test_checkerboard_cli.sh VKSTYLE SAMPLE_PNG PYTHON   (PYTHON with PIL)
# Output is TAP; exits 1 if anything failed.
set -u
[ $# -eq 3 ] || { echo "usage: $0 VKSTYLE SAMPLE_PNG PYTHON" >&2; exit 2; }
vkstyle=$1
sample=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/vkstyle-checkerboard-test.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
"$3" - "$sample" "$work" <<'PY' || { echo "Bail out! could not write the test images"; exit 1; }
import sys
from PIL import Image
src = Image.open(sys.argv[1]).convert("RGB")
w, h = src.size
out = src.copy()
px = out.load()
for y in range(h):
    for x in range(w):
        d = 8 if (x + y) % 2 else -8
        px[x, y] = tuple(min(255, max(0, c + d)) for c in px[x, y])
out.save(sys.argv[2] + "/checkered.png")
src.crop((0, 0, w - 2, h)).save(sys.argv[2] + "/narrow.png")
PY
. "$(dirname "$0")/../tap.sh"
# figures LINE LOW2 HIGH2 LOW4 HIGH4: both figures of the line within their ranges
figures () {
  echo "stdout: $1"
  echo "$1" | awk -v l2="$2" -v h2="$3" -v l4="$4" -v h4="$5" '
    /^period2_db=[-0-9.]+ period4_db=[-0-9.]+$/ {
      split ($1, a, "="); split ($2, b, "=")
      ok = a[2] >= l2 && a[2] <= h2 && b[2] >= l4 && b[2] <= h4 }
    END { exit !ok }'
}
same () { figures "$("$vkstyle" metrics checkerboard "$sample" "$sample")" 0 0 0 0; }
# +-8 levels against the photo's own fine detail; clipping at 0 and 255 leaks a little into 4 px
checkered () { figures "$("$vkstyle" metrics checkerboard "$sample" "$work/checkered.png")" 10 60 -0.5 0.5; }
check "an image against itself is 0.00 dB at both periods" same
check "a drawn 2-px checkerboard shows at period 2, not at period 4" checkered
check "images of two sizes are refused" expect 1 "is 510x384 but .* is 512x384" \
  "$vkstyle" metrics checkerboard "$sample" "$work/narrow.png"
check "a missing image is named" expect 1 "nowhere.png" \
  "$vkstyle" metrics checkerboard "$sample" "$work/nowhere.png"
check "checkerboard takes two images" expect 2 "checkerboard takes 2 images, got 1" \
  "$vkstyle" metrics checkerboard "$sample"
echo "1..$count"
[ "$failed" -eq 0 ]
