#!/bin/sh
# vkstyle-train --arch dcgan (or ARCH: infogan): 3 iterations in one go and 2 + resume to 3
# write the same bytes (generator, discriminator, state), for the example's loss, WGAN-GP and
# WGAN (RMSprop, clipping). InfoGAN: its codes are drawn from the step counters too, and its Q
# head's Adam state is in G's scope of the state. TAP.
#   test_gan_resume.sh VKSTYLE_TRAIN [ARCH]
set -u
TRAIN=$1
ARCH=${2:-dcgan}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/images"
i=0
while [ $i -lt 6 ]; do
  # a 12x10 P6 image of arbitrary bytes
  { printf 'P6\n12 10\n255\n'; head -c 360 /dev/urandom; } > "$TMP/images/im$i.ppm"
  i=$((i + 1))
done
# InfoGAN: WGAN adds no state of its own beyond what DCGAN's round checks
if [ "$ARCH" = infogan ]; then MODES="vanilla wgan-gp"; else MODES="vanilla wgan-gp wgan"; fi
set -- $MODES
echo "1..$#"
n=0
for mode in $MODES; do
  n=$((n + 1))
  args="--arch $ARCH --gan-mode $mode --data $TMP/images --image-size 32 --batch-size 4 --ngf 8 --ndf 8 --nz 8 --print-every 100 --sample-every 100"
  ok=1
  "$TRAIN" $args --out "$TMP/a/$mode" --max-steps 3 >/dev/null || ok=0
  "$TRAIN" $args --out "$TMP/b/$mode" --max-steps 2 >/dev/null || ok=0
  "$TRAIN" $args --out "$TMP/b/$mode" --max-steps 3 --resume >/dev/null || ok=0
  for f in latest_G latest_D latest_state; do
    cmp -s "$TMP/a/$mode/$f.safetensors" "$TMP/b/$mode/$f.safetensors" || ok=0
  done
  if [ $ok = 1 ]; then echo "ok $n - $ARCH $mode resume is byte-identical"; else echo "not ok $n - $ARCH $mode resume"; fi
done
