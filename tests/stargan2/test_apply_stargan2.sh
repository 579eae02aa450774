#!/bin/sh
# End-to-end test of `vkstyle apply` with a StarGAN v2 model: PyTorch's translations with a
# reference image's style and with a latent's (within 1/255), seeds, variations, --psi, domain
# names and indices, an image over the memory budget (tiled), and the usage errors.
# Usage: test_apply_stargan2.sh VKSTYLE FIXTURES IMAGE_HELPER
#   FIXTURES      tests/fixtures (stargan2_*: tests/fixtures/make_stargan2_fixture.py)
# Output is TAP; exits 1 if anything failed.
set -u

if [ $# -ne 3 ]; then
  echo "usage: $0 VKSTYLE FIXTURES IMAGE_HELPER" >&2
  exit 2
fi
vkstyle=$1
fixtures=$2
helper=$3
model=$fixtures/stargan2_s32.safetensors
in=$fixtures/stargan2_cli_in.png
work=$(mktemp -d "${TMPDIR:-/tmp}/vkstyle-stargan2-test.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
. "$(dirname "$0")/../tap.sh"
# within_1_255 A B: every channel of A within 1/255 of B's (image_helper reports 1/65535 units)
within_1_255 () {
  line=$("$helper" compare "$1" "$2") || return 1
  echo "$line"
  echo "$line" | awk '{ for (i = 1; i <= 4; i++) { split($i, kv, "="); if (kv[2] > 257) exit 1 } }'
}
apply () { "$vkstyle" apply --model "$model" "$@"; }
# tiled_apply BUDGET IN OUT: domain cat, seed 4 under BUDGET MiB; fails unless the tiler ran
# (GLib logs debug messages to stdout)
tiled_apply () {
  env G_MESSAGES_DEBUG=vkstyle VKSTYLE_MEMORY_BUDGET="$1" "$vkstyle" apply --model "$model" \
    --domain cat --seed 4 "$2" "$3" >"$work/tiled.log" 2>&1 || { cat "$work/tiled.log"; return 1; }
  grep "image in [0-9]* tiles" "$work/tiled.log"
}

check "--reference: a 64x64 reference resized to 32x32, domain by name: PyTorch's image" \
  apply --domain wild --reference "$fixtures/stargan2_cli_ref.png" "$in" "$work/ref.png"
check "  within 1/255 (the resize runs in float, PIL's in 8 bits)" \
  within_1_255 "$work/ref.png" "$fixtures/stargan2_cli_ref_out.png"
check "--latent, domain by index (1: dog): PyTorch's latent gives PyTorch's image" \
  apply --domain 1 --latent "$fixtures/stargan2_cli_z.safetensors" "$in" "$work/z.png"
check "  within 1/255" within_1_255 "$work/z.png" "$fixtures/stargan2_cli_z_out.png"
check "variation 0 of 3 is the single image of the seed, the others differ" sh -c \
  "'$vkstyle' apply --model '$model' --domain cat --seed 9 '$in' '$work/s.png' &&
   '$vkstyle' apply --model '$model' --domain cat --seed 9 --count 3 '$in' '$work/c.png' &&
   cmp '$work/c-0.png' '$work/s.png' && ! cmp -s '$work/c-0.png' '$work/c-1.png' &&
   ! cmp -s '$work/c-1.png' '$work/c-2.png' && ! test -e '$work/c-3.png'"
check "--psi 1 changes nothing" sh -c \
  "'$vkstyle' apply --model '$model' --domain cat --seed 9 --psi 1 '$in' '$work/p1.png' &&
   cmp '$work/p1.png' '$work/s.png'"
check "--psi 0 is the mean style, whatever the latent" sh -c \
  "'$vkstyle' apply --model '$model' --domain wild --seed 1 --count 2 --psi 0 '$in' '$work/p.png' &&
   cmp '$work/p-0.png' '$work/p-1.png'"

# An image whose plan exceeds the memory budget (224x160 takes 14 MiB with this model): tiled
# with statistics refined from a smaller copy, the untiled image's within 1/255.
check "a 224x160 input" "$helper" make "$work/big.png" 224 160 "R'G'B' u8"
check "  translated whole under the default budget" \
  apply --domain cat --seed 4 "$work/big.png" "$work/big-whole.png"
check "  translated in tiles under 10 MiB, not refused" \
  tiled_apply 10 "$work/big.png" "$work/big-tiled.png"
check "  within 1/255 of the whole image's" within_1_255 "$work/big-tiled.png" "$work/big-whole.png"

check "an unknown domain lists the model's" \
  expect 1 'no domain "zebra": this model has cat, dog, wild' \
  apply --domain zebra --seed 1 "$in" "$work/x.png"
check "--domain is required" expect 2 "needs --domain" apply --seed 1 "$in" "$work/x.png"
check "one style source only" expect 2 "one style source" \
  apply --domain 0 --seed 1 --latent "$fixtures/stargan2_cli_z.safetensors" "$in" "$work/x.png"
check "--count takes --seed" expect 2 "count takes --seed" \
  apply --domain 0 --count 2 --reference "$fixtures/stargan2_cli_ref.png" "$in" "$work/x.png"
check "--psi from 0 to 1" expect 2 "psi must be" \
  apply --domain 0 --seed 1 --psi 2 "$in" "$work/x.png"
check "a latent of the wrong shape" expect 1 "tensor z must have shape \[1, 16\]" \
  apply --domain 0 --latent "$fixtures/dcgan_cli_z.safetensors" "$in" "$work/x.png"
check "StarGAN options with a CycleGAN model" expect 2 "are for StarGAN v2 models" \
  "$vkstyle" apply --model "$fixtures/gen_ngf8_nb2.safetensors" --domain 0 --seed 1 "$in" \
  "$work/x.png"
head -c 5000 "$model" >"$work/truncated.safetensors"
check "a truncated model file" expect 1 "truncated.safetensors: " \
  "$vkstyle" apply --model "$work/truncated.safetensors" --domain 0 --seed 1 "$in" "$work/x.png"
check "nothing written on errors" sh -c "! test -e '$work/x.png'"

echo "1..$count"
[ "$failed" -eq 0 ]
