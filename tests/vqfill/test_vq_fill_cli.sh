#!/bin/sh
# `vkstyle vq fill` end to end on the 13 x 15 image of the VQGAN fixture (made here, as
# tests/vqgan/test_vq_cli.sh does) with tests/fixtures/mingpt_small.safetensors as the prior:
# the pixels beyond the mask's feathered edge stay bit for bit, an empty mask changes nothing,
# --seed / --count, and the errors.
# Usage: test_vq_fill_cli.sh VKSTYLE VQGAN_FIXTURE_SCRIPT TOOLS_DIR FIXTURES
set -u
vkstyle=$1
prior=$4/mingpt_small.safetensors
work=$(mktemp -d "${TMPDIR:-/tmp}/vkstyle-vqfill-test.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
. "$(dirname "$0")/../tap.sh"
/usr/bin/python3 "$2" "$work" >/dev/null || exit 1
export PYTHONPATH=$3
model=$work/vqgan_small.safetensors
in=$work/vqgan_cli.png

# masks: a 4 x 5 rectangle, an empty one, one of another size; a file that is no image; a prior
# of another vocabulary
/usr/bin/python3 - "$work" <<'PY' || exit 1
import sys
from PIL import Image
d = sys.argv[1]
m = Image.new("L", (13, 15), 0)
for y in range(5, 10):
    for x in range(4, 8):
        m.putpixel((x, y), 255)
m.save(d + "/mask.png")
Image.new("L", (13, 15), 0).save(d + "/empty.png")
Image.new("L", (12, 15), 255).save(d + "/small.png")
open(d + "/text.png", "w").write("not an image\n")
PY
/usr/bin/python3 - "$prior" "$work/prior40.safetensors" <<'PY' || exit 1
import sys, safetensors
t, meta = safetensors.load(sys.argv[1])
meta["vkstyle.vocab_size"] = "40"
safetensors.save(sys.argv[2], {k: (list(v.shape), list(v.values())) for k, v in t.items()}, meta)
PY

# kept OUT MASK: pixels more than 2 from the mask (Chebyshev) identical to IN's, and (with a
# mask) most inside changed
kept () {
  /usr/bin/python3 - "$in" "$1" "$2" <<'PY'
import sys
from PIL import Image
a, b, m = (Image.open(p).convert("RGB") for p in sys.argv[1:4])
assert a.size == b.size == m.size == (13, 15), (a.size, b.size, m.size)
pa, pb, pm = a.load(), b.load(), m.load()
inside = [(x, y) for y in range(15) for x in range(13) if sum(pm[x, y]) / 3 > 127.5]
kept = changed = 0
for y in range(15):
    for x in range(13):
        d = min((max(abs(x - i), abs(y - j)) for i, j in inside), default=99)
        if d > 2:
            assert pa[x, y] == pb[x, y], ((x, y), pa[x, y], pb[x, y])
            kept += 1
        elif d == 0:
            changed += pa[x, y] != pb[x, y]
print("%d pixels kept, %d of %d in the mask changed" % (kept, changed, len(inside)))
assert changed > len(inside) // 2
PY
}
fill () { "$vkstyle" vq fill --model "$model" --prior "$prior" "$@"; }

check "fill --seed 3" fill --mask "$work/mask.png" --seed 3 "$in" "$work/a.png"
check "fill: pixels beyond the feather unchanged, the mask's new" \
  kept "$work/a.png" "$work/mask.png"
check "--count 2 --seed 3: OUT-0 is --seed 3's, OUT-1 another" \
  sh -c '"$1" vq fill --model "$2" --prior "$3" --mask "$4" --seed 3 --count 2 "$5" "$6/b.png" &&
         cmp "$6/a.png" "$6/b-0.png" && ! cmp -s "$6/b-0.png" "$6/b-1.png"' \
  - "$vkstyle" "$model" "$prior" "$work/mask.png" "$in" "$work"
check "empty mask: the image unchanged" \
  sh -c '"$1" vq fill --model "$2" --prior "$3" --mask "$4" "$5" "$6" &&
         /usr/bin/python3 -c "
import sys
from PIL import Image
a, b = (Image.open(p).convert(\"RGB\") for p in sys.argv[1:3])
assert list(a.getdata()) == list(b.getdata())" "$5" "$6"' \
  - "$vkstyle" "$model" "$prior" "$work/empty.png" "$in" "$work/e.png"
check "a mask of another size: refused" \
  expect 1 "mask.*is 12x15, the image 13x15" fill --mask "$work/small.png" "$in" "$work/x.png"
check "a mask that is no image: refused" \
  expect 1 "^vkstyle: --mask: .*text.png" fill --mask "$work/text.png" "$in" "$work/x.png"
check "a prior of another vocabulary: refused" \
  expect 1 "vocabulary of 40 tokens does not match the VQGAN's 32 codes" \
  "$vkstyle" vq fill --model "$model" --prior "$work/prior40.safetensors" --mask "$work/mask.png" \
  "$in" "$work/x.png"
check "fill without --mask: usage error" \
  expect 2 "fill takes --prior and --mask" fill "$in" "$work/x.png"
check "no output on errors" test ! -e "$work/x.png"

echo "1..$count"
[ "$failed" -eq 0 ]
