#!/bin/bash
# gimp-strength-scale: strength 0 changes nothing, strength 50 lies halfway between the original
# and strength 100; processing scales below 1 (down to a network input of 4x3 pixels) give a
# result of the layer's size.
source "$(dirname "$0")/common.sh"

scheme strength.scm <<SCM
(define (run strength scale path)
  (let* ((image (vks-new-image 67 45 RGB)))
    (vks-apply image "$model" strength scale 0)
    (vks-save image path)))
(let* ((image (vks-new-image 67 45 RGB)))
  (vks-save image "$work/in.png"))
(run 100 1.0 "$work/full.png")
(run 50 1.0 "$work/half.png")
(run 0 1.0 "$work/none.png")
(run 100 0.5 "$work/scale-half.png")
(run 100 0.05 "$work/scale-min.png")
SCM
run_gimp "$work/strength.scm"

expect_identical "$work/in.png" "$work/none.png" "strength 0 must leave the pixels alone"
# out = in + s (styled - in): at s = 1/2 the mean of the original and the full-strength result
# (rounding: 1/2 from each 8-bit file, halved for the mean, plus 1/2 for half.png: < 1/255)
convert -quiet "$work/in.png" "$work/full.png" -evaluate-sequence mean -depth 16 "$work/mean.png"
expect_close "$work/mean.png" "$work/half.png" 0.0039216 "strength 50 is not halfway"
for f in scale-half scale-min; do
  expect_same_size "$work/in.png" "$work/$f.png"
  expect_different "$work/in.png" "$work/$f.png" "$f changed nothing"
done
echo "PASS"
