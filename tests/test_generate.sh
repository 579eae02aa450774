#!/bin/sh
# End-to-end test of `vkstyle generate`: PyTorch's images from PyTorch's latents (within 1/255),
# seeds, counts, grids, textures, and the errors.
# Usage: test_generate.sh VKSTYLE FIXTURES IMAGE_HELPER
#   FIXTURES      tests/fixtures (dcgan_cli_*: tests/fixtures/make_dcgan_fixture.py)
# Output is TAP; exits 1 if anything failed.
set -u

if [ $# -ne 3 ]; then
  echo "usage: $0 VKSTYLE FIXTURES IMAGE_HELPER" >&2
  exit 2
fi
vkstyle=$1
fixtures=$2
helper=$3
model=$fixtures/dcgan_cli_G.safetensors
work=$(mktemp -d "${TMPDIR:-/tmp}/vkstyle-generate-test.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
. "$(dirname "$0")/tap.sh"
# within_1_255 A B: every channel of A within 1/255 of B's (image_helper reports 1/65535 units)
within_1_255 () {
  line=$("$helper" compare "$1" "$2") || return 1
  echo "$line"
  echo "$line" | awk '{ for (i = 1; i <= 4; i++) { split($i, kv, "="); if (kv[2] > 257) exit 1 } }'
}
gen () { "$vkstyle" generate --model "$model" "$@"; }

check "--latent: PyTorch's latents give PyTorch's images" \
  gen --latent "$fixtures/dcgan_cli_z.safetensors" "$work/torch.png"
for i in 0 1 2; do
  check "image $i within 1/255 of PyTorch's" \
    within_1_255 "$work/torch-$i.png" "$fixtures/dcgan_cli_$i.png"
done
check "a seed gives the same image every time" sh -c \
  "'$vkstyle' generate --model '$model' --seed 9 '$work/a.png' &&
   '$vkstyle' generate --model '$model' --seed 9 '$work/b.png' && cmp '$work/a.png' '$work/b.png'"
check "image 1 of a batch of 3 is image 1 of a batch of 2" sh -c \
  "'$vkstyle' generate --model '$model' --seed 9 --count 3 '$work/c.png' &&
   '$vkstyle' generate --model '$model' --seed 9 --count 2 '$work/d.png' &&
   cmp '$work/c-1.png' '$work/d-1.png' && cmp '$work/c-0.png' '$work/a.png'"
check "--grid: 3 images of 32x32 in a 2x2 grid" sh -c \
  "'$vkstyle' generate --model '$model' --seed 1 --count 3 --grid '$work/g.png' &&
   '$helper' info '$work/g.png' | grep -q '^70x70 '"
check "--size --tileable: a 50x40 texture" sh -c \
  "'$vkstyle' generate --model '$model' --seed 1 --size 50x40 --tileable '$work/t.png' &&
   '$helper' info '$work/t.png' | grep -q '^50x40 '"
check "20000x20000 is refused" expect 1 "too large" gen --seed 1 --size 20000x20000 "$work/h.png"
check "and writes nothing" test ! -e "$work/h.png"
check "--model is required" expect 2 "model is required" "$vkstyle" generate --seed 1 "$work/x.png"
check "--seed or --latent" expect 2 "either --seed or --latent" gen "$work/x.png"
check "--tileable needs --size" expect 2 "needs --size" gen --seed 1 --tileable "$work/x.png"
check "a DCGAN has no codes" expect 1 "no code \"c1\"" gen --seed 1 --code c1=0.5 "$work/x.png"
check "--latent of the wrong shape" expect 1 "must have shape \[N, 12\]" \
  gen --latent "$model" "$work/x.png"
check "a style model is not a GAN" expect 1 "expected \"dcgan\"" \
  "$vkstyle" generate --model "$fixtures/gen_ngf8_nb2.safetensors" --seed 1 "$work/x.png"
check "--count 0 is refused" expect 2 "from 1 to" gen --seed 1 --count 0 "$work/x.png"
check "a bad size" expect 1 "expected WIDTHxHEIGHT" gen --seed 1 --size 12by3 "$work/x.png"
echo "1..$count"
[ "$failed" -eq 0 ]
