#!/bin/sh
# `vkstyle vq encode|decode|reconstruct` against PyTorch on an 8-bit 13 x 15 image (extended to
# 14 x 16 and cropped back), `vq sample` with the minGPT fixture as the prior, and the errors.
# VKSTYLE FIXTURE_SCRIPT TOOLS_DIR
set -u
vkstyle=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 "$2" "$dir" >/dev/null
export PYTHONPATH=$3
echo "1..9"
n=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
fail () { n=$((n + 1)); echo "not ok $n - $1"; }
model=$dir/vqgan_small.safetensors

# codes: identical to PyTorch's; images: within one 8-bit level
"$vkstyle" vq encode --model "$model" "$dir/vqgan_cli.png" "$dir/codes.safetensors" &&
/usr/bin/python3 - "$dir" <<'PY' && ok "encode: indices identical" || fail "encode"
import sys, safetensors
d = sys.argv[1]
got, meta = safetensors.load(d + "/codes.safetensors")
want, _ = safetensors.load(d + "/vqgan_cli_expect.safetensors")
assert got["indices"].shape == (8, 7), got["indices"].shape
assert list(got["indices"].values()) == list(want["indices"].values())
assert meta["vkstyle.width"] == "13" and meta["vkstyle.height"] == "15", meta
PY

compare () {
  /usr/bin/python3 - "$dir" "$1" <<'PY'
import sys, safetensors
from PIL import Image
d, name = sys.argv[1], sys.argv[2]
img = Image.open(d + "/" + name).convert("RGB")
assert img.size == (13, 15), img.size
rec = safetensors.load(d + "/vqgan_cli_expect.safetensors")[0]["rec"].values()
px = img.load()
worst = max(abs(px[x, y][c] / 255 - min(max(rec[(c * 15 + y) * 13 + x], 0), 1))
            for c in range(3) for y in range(15) for x in range(13))
print("# %s: max |diff| %.4f (one 8-bit level: %.4f)" % (name, worst, 1 / 255))
assert worst <= 1 / 255 + 1e-4
PY
}
"$vkstyle" vq decode --model "$model" "$dir/codes.safetensors" "$dir/dec.png" && compare dec.png &&
  ok "decode: PyTorch's reconstruction" || fail "decode"
"$vkstyle" vq reconstruct --model "$model" "$dir/vqgan_cli.png" "$dir/rec.png" &&
  compare rec.png && ok "reconstruct: PyTorch's reconstruction" || fail "reconstruct"

# errors: a usage error exits 2, others 1 with one line naming the problem
"$vkstyle" vq squash --model "$model" a b 2>"$dir/err"; s=$?
[ $s -eq 2 ] && grep -q "expected encode, decode, reconstruct, sample or fill" "$dir/err" &&
  ok "unknown subcommand: usage error" || fail "unknown subcommand ($s: $(cat "$dir/err"))"
"$vkstyle" vq encode --model "$dir/codes.safetensors" "$dir/vqgan_cli.png" "$dir/x.safetensors" \
  2>"$dir/err"; s=$?
[ $s -eq 1 ] && grep -q "not a VQGAN (taming VQModel)" "$dir/err" &&
  ok "a codes file as the model: refused" || fail "codes as model ($s: $(cat "$dir/err"))"
/usr/bin/python3 -c "
import sys, safetensors
safetensors.save(sys.argv[1], {'indices': ([2, 2], [0, 1, 40, 3])})" "$dir/bad.safetensors"
"$vkstyle" vq decode --model "$model" "$dir/bad.safetensors" "$dir/bad.png" 2>"$dir/err"; s=$?
[ $s -eq 1 ] && grep -q "code 2 is 40, not one of the model's 32 codes" "$dir/err" &&
  [ ! -e "$dir/bad.png" ] && ok "codes outside the codebook: refused" ||
  fail "bad codes ($s: $(cat "$dir/err"))"
"$vkstyle" vq decode --model "$model" "$model" "$dir/bad.png" 2>"$dir/err"; s=$?
[ $s -eq 1 ] && grep -q "no tensor \"indices\"" "$dir/err" &&
  ok "decode of a file without indices: refused" || fail "no indices ($s: $(cat "$dir/err"))"

# sample: greedy (top-k 1) codes do not depend on the seed; a 16 x 16 image (an 8 x 8 grid)
prior=$3/../tests/fixtures/mingpt_small.safetensors
"$vkstyle" vq sample --model "$model" --prior "$prior" --top-k 1 --seed 1 "$dir/s1.png" &&
"$vkstyle" vq sample --model "$model" --prior "$prior" --top-k 1 --seed 2 "$dir/s2.png" &&
cmp -s "$dir/s1.png" "$dir/s2.png" &&
/usr/bin/python3 -c "
import sys
from PIL import Image
assert Image.open(sys.argv[1]).size == (16, 16)" "$dir/s1.png" &&
  ok "sample: greedy, 16x16" || fail "sample"
"$vkstyle" vq sample --model "$model" --prior "$prior" --temperature 0 "$dir/s3.png" 2>"$dir/err"
s=$?
[ $s -eq 2 ] && grep -q "temperature in (0, 100]" "$dir/err" && [ ! -e "$dir/s3.png" ] &&
  ok "sample --temperature 0: usage error" || fail "temperature 0 ($s: $(cat "$dir/err"))"
