#!/bin/sh
# End-to-end test of `vkstyle generate` and `vkstyle vary` with a diffusion model: PyTorch's
# DDIM sample from PyTorch's x_T (within 1/255), seeds, counts, grids, DDPM, guidance, variations
# and the errors.
# Usage: test_diffusion_cli.sh VKSTYLE FIXTURES IMAGE_HELPER
#   FIXTURES  tests/fixtures (diffusion_*: tests/fixtures/make_diffusion_fixture.py)
# Output is TAP; exits 1 if anything failed.
set -u

if [ $# -ne 3 ]; then
  echo "usage: $0 VKSTYLE FIXTURES IMAGE_HELPER" >&2
  exit 2
fi
vkstyle=$1
fixtures=$2
helper=$3
model=$fixtures/diffusion_unet16.safetensors
work=$(mktemp -d "${TMPDIR:-/tmp}/vkstyle-diffusion-cli.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
. "$(dirname "$0")/../tap.sh"
# within_1_255 A B: every channel of A within 1/255 of B's (image_helper reports 1/65535 units)
within_1_255 () {
  line=$("$helper" compare "$1" "$2") || return 1
  echo "$line"
  echo "$line" | awk '{ for (i = 1; i <= 4; i++) { split($i, kv, "="); if (kv[2] > 257) exit 1 } }'
}
gen () { "$vkstyle" generate --model "$model" "$@"; }
"$helper" make "$work/small.png" 12 20 "R'G'B' u8" >/dev/null || exit 1
vary () { "$vkstyle" vary --model "$model" "$@"; }

check "--noise: PyTorch's x_T, DDIM 10 steps, hero=1" \
  gen --noise "$fixtures/diffusion_unet16_xT.safetensors" --steps 10 --context hero=1 \
  "$work/torch.png"
check "image 0 within 1/255 of PyTorch's sample_ddim" \
  within_1_255 "$work/torch-0.png" "$fixtures/diffusion_cli_0.png"
check "class indices mean the same as names" sh -c \
  "'$vkstyle' generate --model '$model' --noise '$fixtures/diffusion_unet16_xT.safetensors' \
     --steps 10 --context 0=1 '$work/idx.png' && cmp '$work/idx-0.png' '$work/torch-0.png'"
check "a seed gives the same image every time" sh -c \
  "'$vkstyle' generate --model '$model' --seed 9 --steps 5 '$work/a.png' &&
   '$vkstyle' generate --model '$model' --seed 9 --steps 5 '$work/b.png' &&
   cmp '$work/a.png' '$work/b.png'"
check "image 1 of a batch of 3 is image 1 of a batch of 2" sh -c \
  "'$vkstyle' generate --model '$model' --seed 4 --steps 2 --count 3 '$work/c.png' &&
   '$vkstyle' generate --model '$model' --seed 4 --steps 2 --count 2 '$work/d.png' &&
   cmp '$work/c-1.png' '$work/d-1.png'"
check "DDPM (50 timesteps) writes a 16x16 image" sh -c \
  "'$vkstyle' generate --model '$model' --seed 4 --sampler ddpm '$work/p.png' &&
   '$helper' info '$work/p.png' | grep -q '^16x16 '"
check "--grid: 3 images of 16x16 in a 2x2 grid, guided" sh -c \
  "'$vkstyle' generate --model '$model' --seed 1 --count 3 --steps 5 --guidance 2 \
     --context 'food=1,spell=0.5' --grid '$work/g.png' &&
   '$helper' info '$work/g.png' | grep -q '^38x38 '"
check "vary --strength 0 returns the image" sh -c \
  "'$vkstyle' vary --model '$model' --strength 0 '$work/a.png' '$work/v0.png' &&
   '$helper' compare '$work/v0.png' '$work/a.png' | grep -q 'r=0 g=0 b=0'"
check "vary --strength 0.6 writes a 16x16 image" sh -c \
  "'$vkstyle' vary --model '$model' --strength 0.6 --steps 5 --seed 2 --context spell \
     '$work/a.png' '$work/v.png' && '$helper' info '$work/v.png' | grep -q '^16x16 '"
check "vary does a 32x32 image in tiles" sh -c \
  "'$vkstyle' vary --model '$model' --strength 0.5 --steps 3 '$fixtures/dcgan_cli_0.png' \
     '$work/t.png' && '$helper' info '$work/t.png' | grep -q '^32x32 '"
check "vary --strength 0 in tiles returns the image" sh -c \
  "'$vkstyle' vary --model '$model' --strength 0 '$fixtures/dcgan_cli_0.png' '$work/t0.png' &&
   '$helper' compare '$work/t0.png' '$fixtures/dcgan_cli_0.png' | grep -q 'r=0 g=0 b=0'"
check "vary refuses an image smaller than the model" expect 1 "needs at least 16x16" \
  vary --strength 0.5 "$work/small.png" "$work/x.png"
check "and writes nothing" test ! -e "$work/x.png"
check "an unknown class" expect 1 'no class "wizard"' gen --seed 1 --context wizard=1 "$work/x.png"
check "a class index out of range" expect 1 'no class "7"' gen --seed 1 --context 7=1 "$work/x.png"
check "a bad weight" expect 1 "number from -10 to 10" gen --seed 1 --context hero=x "$work/x.png"
check "--seed or --noise" expect 2 "give --seed or --noise" gen "$work/x.png"
check "no --latent for a diffusion model" expect 2 "takes no --latent" \
  gen --latent "$model" "$work/x.png"
check "a bad sampler" expect 2 "ddim or ddpm" gen --seed 1 --sampler euler "$work/x.png"
check "--noise of the wrong shape" expect 1 "must have shape \[N, 3, 16, 16\]" \
  gen --noise "$fixtures/dcgan_cli_z.safetensors" "$work/x.png"
check "diffusion options on a GAN" expect 2 "for diffusion models" \
  "$vkstyle" generate --model "$fixtures/dcgan_cli_G.safetensors" --seed 1 --steps 4 "$work/x.png"
check "vary needs --strength" expect 2 "strength" vary "$work/a.png" "$work/x.png"
check "vary with a GAN model" expect 1 "context_unet" \
  "$vkstyle" vary --model "$fixtures/dcgan_cli_G.safetensors" --strength 0.5 "$work/a.png" \
  "$work/x.png"
echo "1..$count"
[ "$failed" -eq 0 ]
