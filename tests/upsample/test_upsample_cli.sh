#!/bin/sh
# vkstyle-train --upsample end to end: a resize-conv run writes generators that say so in their
# metadata and that `vkstyle apply` (the plug-in's loader) runs; wrong values and mismatched
# --init files are refused with a message.
# A resize-conv generator tiled (VKSTYLE_TILE) gives the whole image's result to one level.
# Usage: test_upsample_cli.sh VKSTYLE_TRAIN VKSTYLE FIXTURES IMAGE_HELPER SAMPLE_PNG
# Output is TAP.
set -u
[ $# -eq 5 ] || { echo "usage: $0 VKSTYLE_TRAIN VKSTYLE FIXTURES IMAGE_HELPER SAMPLE_PNG" >&2; exit 2; }
train=$1
vkstyle=$2
fx=$3/train_step
model=$3/gen_ngf8_nb2.safetensors
helper=$4
sample=$5
work=$(mktemp -d "${TMPDIR:-/tmp}/vkstyle-upsample-test.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
. "$(dirname "$0")/../tap.sh"
small="--data-a $fx/a --data-b $fx/b --load-size 32 --crop-size 32 --ngf 4 --ndf 4 --n-blocks 1 --max-steps 1 --sample-every 100"
run_and_apply () {
  "$train" $small --out "$work/run" --upsample resize-conv || return 1
  # the safetensors header is plain JSON at the start of the file
  head -c 8192 "$work/run/latest_G_A.safetensors" | grep -a -q '"vkstyle.upsample":"resize-conv"' ||
    { echo "latest_G_A.safetensors has no vkstyle.upsample = resize-conv"; return 1; }
  "$vkstyle" apply --model "$work/run/latest_G_A.safetensors" "$fx/a/0.png" "$work/out.png" &&
    [ -s "$work/out.png" ]
}
check "a resize-conv run writes vkstyle.upsample and vkstyle apply runs its generator" run_and_apply
tiled_matches () {
  "$vkstyle" apply --model "$model" "$sample" "$work/whole.png" &&
    VKSTYLE_TILE=128 "$vkstyle" apply --model "$model" "$sample" "$work/tiled.png" || return 1
  diff=$("$helper" compare "$work/whole.png" "$work/tiled.png") || return 1
  echo "whole vs 128-px tiles, largest difference per channel (1/65535): $diff"
  # one 8-bit level is 257
  echo "$diff" | tr ' ' '\n' | cut -d= -f2 | awk '$1 > 257 { bad = 1 } END { exit bad }'
}
check "a resize-conv generator in 128-px tiles matches the whole image to one level" tiled_matches
check "--upsample takes transposed or resize-conv" expect 2 "upsample must be transposed or resize-conv, not bilinear" \
  "$train" $small --out "$work/bad" --upsample bilinear
check "--init with transposed generators in a resize-conv run says which is which" \
  expect 1 "transposed up-sampling, this run trains .* resize-conv" \
  "$train" --init "$fx/../../train_step/init" --data-a "$fx/a" --data-b "$fx/b" --out "$work/init" \
  --load-size 32 --crop-size 32 --ngf 8 --ndf 8 --n-blocks 2 --max-steps 1 --upsample resize-conv
check "--resume of a resize-conv run without --upsample is refused" expect 1 "upsample" \
  "$train" $small --out "$work/run" --resume --max-steps 2
echo "1..$count"
[ "$failed" -eq 0 ]
