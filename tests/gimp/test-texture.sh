#!/bin/bash
# gimp-texture: Filters › Render › Pattern › Neural Texture from a script (no dialog), with the
# small random-weight models of tests/fixtures/make_texture_test_model.py (MODEL is the DCGAN;
# the InfoGAN lies beside it). Checks: the texture fills the layer (opaque, even where the layer
# was transparent) and is the same for the same seed, on another image too, and differs for
# another seed; in a selection it is the texture of the selection's bounding box (what the
# filter renders) with every pixel outside bit-identical; a tileable texture has no seam where
# it wraps (the seam's pixel differences are those inside it), while a plain one has; the
# InfoGAN codes change the texture, and named and generic code names mean the same.
source "$(dirname "$0")/common.sh"
infogan=$(dirname "$model")/texture_infogan32.safetensors
[ -f "$infogan" ] || fail "no InfoGAN model $infogan"

scheme texture.scm <<SCM
(define (render name width height seed tileable)
  (let* ((image (vks-new-image width height RGB)))
    (vks-texture image "$model" seed tileable "")
    (vks-save image (string-append "$work/" name ".png"))
    (gimp-image-delete image)))
(render "seed5" 67 45 5 0)
(render "seed5-again" 67 45 5 0)
(render "seed6" 67 45 6 0)
(render "box" 30 20 5 0)
(render "tiled" 64 48 9 1)
(render "plain" 64 48 9 0)
; a transparent layer: the texture is opaque
(let* ((image (vks-new-image 67 45 RGB))
       (layer (vks-layer image)))
  (gimp-layer-add-alpha layer)
  (gimp-drawable-edit-clear layer)
  (vks-texture image "$model" 5 0 "")
  (vks-save image "$work/on-transparent.png"))
(let* ((image (vks-new-image 67 45 RGB)))
  (vks-save image "$work/in.png")
  (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 10 8 30 20)
  (vks-texture image "$model" 5 0 "")
  (vks-save image "$work/rect.png"))
(define (render-codes name codes)
  (let* ((image (vks-new-image 40 40 RGB)))
    (vks-texture image "$infogan" 3 0 codes)
    (vks-save image (string-append "$work/" name ".png"))
    (gimp-image-delete image)))
(render-codes "codes-default" "")
(render-codes "codes-zero" "pattern=0,scale=0,tilt=0")
(render-codes "codes-named" "pattern=2,tilt=0.75")
(render-codes "codes-generic" "category=2,code2=0.75")
(render-codes "codes-other" "pattern=1,scale=-1.5")
SCM
run_gimp "$work/texture.scm"

expect_different "$work/in.png" "$work/seed5.png" "the texture did not replace the layer"
expect_identical "$work/seed5.png" "$work/seed5-again.png" "the same seed gave another texture"
expect_different "$work/seed5.png" "$work/seed6.png" "another seed gave the same texture"
opaque=$(convert "$work/on-transparent.png" -alpha extract -format '%[min]' info:)
[ "$opaque" = 65535 ] || [ "$opaque" = 255 ] ||
  fail "the texture on a transparent layer is not opaque (alpha min $opaque)"
expect_identical "$work/seed5.png" "$work/on-transparent.png" \
  "the texture depends on the layer's pixels"

# selection: outside untouched, inside the texture of a 30 x 20 area
convert "$work/in.png" "$work/rect.png" -compose difference -composite "$work/diff.png"
outside=$(convert "$work/diff.png" -fill black -draw "rectangle 10,8 39,27" -alpha off \
            -format '%[max]' info:)
[ "$outside" = 0 ] || fail "pixels outside the rectangular selection changed (max diff $outside)"
convert "$work/rect.png" -crop 30x20+10+8 +repage "$work/rect-inside.png"
expect_identical "$work/box.png" "$work/rect-inside.png" \
  "inside the selection is not the texture of the selection's size"

# The seam: the mean |difference| across the wrap (last column against the first, last row
# against the first) against the same for each pair of neighbouring columns (rows) inside. A
# texture that repeats seamlessly has a seam like one of its inside pairs, so no larger than the
# largest; an unrelated edge pair of these smooth textures is far larger.
pair_means () {  # FILE CROP_A CROP_B SCALE: largest and mean per-column (row) mean difference
  convert \( "$1" -crop "$2" +repage \) \( "$1" -crop "$3" +repage \) -alpha off \
    -compose difference -composite -colorspace gray -scale "$4" -format '%[fx:maxima]' info:
}
seam_ratios () {  # FILE W H: seam over the largest inside pair, "columns rows"
  local f=$1 w=$2 h=$3 inside_x seam_x inside_y seam_y
  inside_x=$(pair_means "$f" "$((w - 1))x$h+0+0" "$((w - 1))x$h+1+0" "$((w - 1))x1!")
  seam_x=$(pair_means "$f" "1x$h+$((w - 1))+0" "1x$h+0+0" "1x1!")
  inside_y=$(pair_means "$f" "${w}x$((h - 1))+0+0" "${w}x$((h - 1))+0+1" "1x$((h - 1))!")
  seam_y=$(pair_means "$f" "${w}x1+0+$((h - 1))" "${w}x1+0+0" "1x1!")
  awk -v a="$seam_x" -v b="$inside_x" -v c="$seam_y" -v d="$inside_y" \
    'BEGIN { printf "%.2f %.2f\n", a / b, c / d }'
}
read -r tiled_x tiled_y <<<"$(seam_ratios "$work/tiled.png" 64 48)"
read -r plain_x plain_y <<<"$(seam_ratios "$work/plain.png" 64 48)"
echo "seam / largest inside pair: tileable $tiled_x (columns) $tiled_y (rows)," \
  "plain $plain_x $plain_y"
awk -v x="$tiled_x" -v y="$tiled_y" 'BEGIN { exit !(x <= 1 && y <= 1) }' ||
  fail "the tileable texture has a seam (ratios $tiled_x, $tiled_y)"
awk -v x="$plain_x" -v y="$plain_y" 'BEGIN { exit !(x > 1.5 && y > 1.5) }' ||
  fail "the plain texture has no seam either (ratios $plain_x, $plain_y): the check sees nothing"

expect_identical "$work/codes-default.png" "$work/codes-zero.png" "omitted codes are not 0"
expect_identical "$work/codes-named.png" "$work/codes-generic.png" \
  "the model's code names and the generic ones give different textures"
expect_different "$work/codes-default.png" "$work/codes-named.png" "the codes changed nothing"
expect_different "$work/codes-named.png" "$work/codes-other.png" "the codes changed nothing"
echo "PASS"
