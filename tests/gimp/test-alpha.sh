#!/bin/bash
# gimp-alpha: on a layer with alpha (a left-to-right ramp, plus a fully transparent hole) the
# alpha channel comes back bit-identical, and the colour is stylized as the CLI does it.
source "$(dirname "$0")/common.sh"

scheme alpha.scm <<SCM
(let* ((image (vks-new-image 67 45 RGB))
       (layer (vks-layer image)))
  (gimp-layer-add-alpha layer)
  (let* ((mask (car (gimp-layer-create-mask layer ADD-MASK-WHITE))))
    (gimp-layer-add-mask layer mask)
    (gimp-context-set-foreground '(255 255 255))
    (gimp-context-set-background '(0 0 0))
    (gimp-context-set-gradient-fg-bg-rgb)
    (gimp-drawable-edit-gradient-fill mask GRADIENT-LINEAR 0 FALSE 1 0 TRUE 0 0 66 0)
    (gimp-layer-remove-mask layer MASK-APPLY))
  (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 50 30 10 10)
  (gimp-drawable-edit-clear layer)
  (gimp-selection-none image)
  (vks-save image "$work/in.png")
  (vks-apply image "$model" 100 1.0 0)
  (vks-save image "$work/out.png"))
SCM
run_gimp "$work/alpha.scm"

[ "$(identify -format '%A' "$work/out.png")" != False ] || fail "out.png lost its alpha channel"
convert "$work/in.png" -alpha extract -depth 16 gray:"$work/in.alpha"
convert "$work/out.png" -alpha extract -depth 16 gray:"$work/out.alpha"
[ "$(convert "$work/in.png" -alpha extract -format '%[fx:minima]' info:)" = 0 ] ||
  fail "bad test: no transparent pixels in the input"
cmp -s "$work/in.alpha" "$work/out.alpha" || fail "alpha changed"
convert "$work/in.png" -alpha off "$work/in-rgb.png"
convert "$work/out.png" -alpha off "$work/out-rgb.png"
expect_different "$work/in-rgb.png" "$work/out-rgb.png" "colour not stylized"
if have_cli; then
  cli_reference "$work/in.png" "$work/ref.png"
  convert "$work/ref.png" -alpha off "$work/ref-rgb.png"
  expect_close "$work/ref-rgb.png" "$work/out-rgb.png" 0.0039216 "plug-in and CLI disagree"
fi
echo "PASS"
