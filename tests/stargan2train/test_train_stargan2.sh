#!/bin/sh
# vkstyle-train --arch stargan2 on a tiny generated folder (two domains of two images): a run,
# a run stopped and resumed that ends with the same bits, the model `vkstyle apply --domain`
# loads, and the usage errors.
# Usage: test_train_stargan2.sh VKSTYLE_TRAIN VKSTYLE FIXTURES
# Output is TAP; exits 1 if anything failed.
set -u

if [ $# -ne 3 ]; then
  echo "usage: $0 VKSTYLE_TRAIN VKSTYLE FIXTURES" >&2
  exit 2
fi
train=$1
vkstyle=$2
fixtures=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/vkstyle-stargan2-train.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
. "$(dirname "$0")/../tap.sh"

mkdir -p "$work/data/cat" "$work/data/dog"
cp "$fixtures/stargan2_cli_in.png" "$work/data/cat/a.png"
cp "$fixtures/stargan2_cli_ref.png" "$work/data/cat/b.png"
cp "$fixtures/stargan2_cli_ref_out.png" "$work/data/dog/a.png"
cp "$fixtures/stargan2_cli_z_out.png" "$work/data/dog/b.png"
tiny="--arch stargan2 --data $work/data --image-size 32 --dim-in 4 --max-conv-dim 8"
tiny="$tiny --style-dim 8 --latent-dim 4 --mapping-dim 16 --batch 2 --ds-iter 1 --print-every 1"
run () { "$train" $tiny "$@"; }

check "2 iterations: model, state, losses, plot, a samples grid each, index" sh -c \
  "'$train' $tiny --steps 2 --sample-every 1 --out '$work/full' &&
   for f in latest.safetensors latest_state.safetensors losses.csv losses.png index.html \
            samples/step_000001.png samples/step_000002.png samples/latest.png; do
     test -s '$work/full/'\$f || { echo missing \$f; exit 1; }; done &&
   test \$(wc -l < '$work/full/losses.csv') -eq 3"
check "lambda_ds decays linearly to 0 over --ds-iter 1" sh -c \
  "cut -d, -f17 '$work/full/losses.csv' | tr '\n' ' ' | grep -x 'G/lambda_ds 1 0 '"
check "stopped after 1 and resumed: the same state, model and losses as the run through" sh -c \
  "'$train' $tiny --steps 2 --sample-every 0 --stop-after 1 --out '$work/part' >/dev/null &&
   '$train' $tiny --steps 2 --sample-every 0 --resume --out '$work/part' &&
   cmp '$work/full/latest_state.safetensors' '$work/part/latest_state.safetensors' &&
   cmp '$work/full/latest.safetensors' '$work/part/latest.safetensors' &&
   cut -d, -f1-17 '$work/full/losses.csv' > '$work/a.csv' &&
   cut -d, -f1-17 '$work/part/losses.csv' > '$work/b.csv' && cmp '$work/a.csv' '$work/b.csv'"
check "vkstyle apply --domain loads the trained model, domains by folder name" \
  "$vkstyle" apply --model "$work/full/latest.safetensors" --domain dog --seed 1 \
  "$fixtures/stargan2_cli_in.png" "$work/dog.png"

mkdir -p "$work/flat"
cp "$fixtures/stargan2_cli_in.png" "$work/flat/a.png"
check "a folder without domain subfolders" expect 1 "one subfolder of images per domain" \
  "$train" --arch stargan2 --data "$work/flat" --out "$work/o1" --steps 1
check "--image-size must be a power of two from 32" expect 2 "img_size is 48" \
  run --image-size 48 --steps 1 --out "$work/o2"
check "--data is required" expect 2 "data is required" "$train" --arch stargan2 --out "$work/o3"
check "--resume of a different run is refused" expect 1 "saved by another run" \
  run --steps 2 --resume --batch 1 --out "$work/part"

echo "1..$count"
[ "$failed" -eq 0 ]
