#!/bin/sh
# vkstyle-train --arch vqgan and --arch vqgan-transformer on a tiny generated folder: a few
# steps, a run stopped after one step and resumed ends with the same bits as one that was not,
# the outputs load in `vkstyle vq reconstruct` / `vkstyle vq sample`, and the errors.
# Usage: test_vqtrain_cli.sh VKSTYLE_TRAIN VKSTYLE IMAGE_HELPER. Output is TAP.
set -u
if [ $# -ne 3 ]; then
  echo "usage: $0 VKSTYLE_TRAIN VKSTYLE IMAGE_HELPER" >&2
  exit 2
fi
train=$1
vkstyle=$2
helper=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/vkstyle-vqtrain-cli.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
. "$(dirname "$0")/../tap.sh"
mkdir "$work/data"
for size in 8 9 10; do
  "$helper" make "$work/data/$size.png" "$size" 8 "R'G'B' u8" >/dev/null || exit 1
done
# the smallest VQGAN GroupNorm(32) allows, on 8x8 images; GAN losses from step 1
vq () {
  "$train" --arch vqgan --data "$work/data" --steps 2 --batch 2 --size 8 --ch 32 --ch-mult 1,2 \
    --res-blocks 1 --attn "" --z-channels 4 --n-embed 8 --embed-dim 4 --disc-ndf 4 \
    --disc-layers 1 --disc-start 1 --seed 3 "$@"
}
prior () {
  "$train" --arch vqgan-transformer --vq "$work/a/latest.safetensors" --data "$work/data" \
    --steps 2 --batch 2 --n-layer 1 --n-head 2 --n-embd 16 --seed 3 "$@"
}
same () {
  cmp "$1/latest.safetensors" "$2/latest.safetensors" &&
  cmp "$1/latest_state.safetensors" "$2/latest_state.safetensors" &&
  # losses.csv up to its last column, it_per_s (timing)
  sed 's/,[^,]*$//' "$1/losses.csv" >"$work/l1" && sed 's/,[^,]*$//' "$2/losses.csv" >"$work/l2" &&
  cmp "$work/l1" "$work/l2"
}
logs () {   # the files a run leaves
  for f in latest.safetensors latest_state.safetensors losses.csv losses.png index.html \
           samples/latest.png; do
    [ -s "$1/$f" ] || { echo "no $1/$f"; return 1; }
  done
  grep -q "perplexity,dead_codes" "$1/losses.csv" || [ "$2" = prior ]
}

check "vqgan: 2 steps" vq --out "$work/a"
check "vqgan: the run's files, perplexity and dead codes logged" logs "$work/a" vqgan
vq --out "$work/b" --stop-after 1 >"$work/stopped.log" 2>&1
check "vqgan: says the perceptual weight is 0" grep -q "perceptual weight 0" "$work/stopped.log"
check "vqgan: resume" vq --out "$work/b" --resume
check "vqgan: bit-identical" same "$work/a" "$work/b"
check "vq reconstruct loads the VQGAN" "$vkstyle" vq reconstruct --model "$work/a/latest.safetensors" \
  "$work/data/8.png" "$work/rec.png"

check "transformer: 2 steps" prior --out "$work/p"
check "transformer: the run's files" logs "$work/p" prior
prior --out "$work/q" --stop-after 1 >/dev/null 2>&1
check "transformer: resume" prior --out "$work/q" --resume
check "transformer: bit-identical" same "$work/p" "$work/q"
check "vq sample loads the prior" "$vkstyle" vq sample --model "$work/a/latest.safetensors" \
  --prior "$work/p/latest.safetensors" --seed 1 "$work/sample.png"

check "vqgan: --ch 48 refused" expect 2 "multiple of 32" vq --out "$work/x" --ch 48
check "transformer: --vq required" expect 2 "vq is required" "$train" --arch vqgan-transformer \
  --data "$work/data" --out "$work/x"
check "transformer: not a VQGAN refused" expect 1 "VQGAN" "$train" --arch vqgan-transformer \
  --vq "$work/p/latest.safetensors" --data "$work/data" --out "$work/x"
echo "1..$count"
[ "$failed" -eq 0 ]
