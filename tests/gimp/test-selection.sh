#!/bin/bash
# gimp-selection: only the selection changes. With a hard rectangle, every pixel outside it is
# bit-identical; with a feathered ellipse the result is mixed in by the selection's value
# (GIMP's shadow-buffer merge), and far outside the feather nothing changes.
source "$(dirname "$0")/common.sh"

scheme selection.scm <<SCM
(let* ((image (vks-new-image 67 45 RGB)))
  (vks-save image "$work/in.png")
  (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 10 8 30 20)
  (vks-apply image "$model" 100 1.0 0)
  (vks-save image "$work/rect.png"))
(let* ((soft (vks-new-image 67 45 RGB))
       (hard (vks-new-image 67 45 RGB)))
  (gimp-context-set-feather TRUE)
  (gimp-context-set-feather-radius 8 8)
  (gimp-image-select-ellipse soft CHANNEL-OP-REPLACE 12 6 44 32)
  (gimp-context-set-feather FALSE)
  (vks-save-drawable soft (car (gimp-image-get-selection soft)) "$work/mask.png")
  (vks-apply soft "$model" 100 1.0 0)
  (vks-save soft "$work/soft.png")
  ; the network sees the selection's bounding box, so the unblended result to compare with is
  ; that of a hard selection of the same box
  (let* ((bounds (cdr (gimp-selection-bounds soft)))
         (x1 (car bounds)) (y1 (cadr bounds)) (x2 (caddr bounds)) (y2 (cadddr bounds)))
    (gimp-image-select-rectangle hard CHANNEL-OP-REPLACE x1 y1 (- x2 x1) (- y2 y1))
    (vks-apply hard "$model" 100 1.0 0)
    (vks-save hard "$work/full.png")))
SCM
run_gimp "$work/selection.scm"

# hard rectangle: outside untouched, inside changed
convert "$work/in.png" "$work/rect.png" -compose difference -composite "$work/diff.png"
# (-alpha off: ImageMagick 7's -draw adds an opaque alpha channel, which %[max] would count)
outside=$(convert "$work/diff.png" -fill black -draw "rectangle 10,8 39,27" -alpha off \
            -format '%[max]' info:)
inside=$(convert "$work/diff.png" -crop 30x20+10+8 +repage -format '%[max]' info:)
[ "$outside" = 0 ] || fail "pixels outside the rectangular selection changed (max diff $outside)"
[ "$inside" != 0 ] || fail "nothing changed inside the rectangular selection"

# (tail: ImageMagick 7's -fx prints a stray line "List" first)
# feathered: where the selection is full the pixels equal the unblended result, where it is
# empty the original, and in the feather they lie between the two (GIMP mixes in its own
# colour space, so "between" is what a test can demand without copying GIMP's maths)
convert "$work/mask.png" -threshold 99.9% "$work/mask-full.png"
convert "$work/mask.png" -negate -threshold 99.9% "$work/mask-empty.png"
for m in mask-full mask-empty; do
  [ "$(convert "$work/$m.png" -format '%[max]' info:)" != 0 ] || fail "$m.png is empty: bad test"
done
# (GIMP mixes in linear light and an 8-bit mask of 255 may stand for 254.5/255: compare linear
# values with that slack, 0.006 = 393/65535)
at_full=$(convert \( "$work/full.png" -colorspace RGB \) \( "$work/soft.png" -colorspace RGB \) \
            -compose difference -composite "$work/mask-full.png" -compose multiply -composite \
            -format '%[max]' info:)
at_empty=$(convert "$work/in.png" "$work/soft.png" -compose difference -composite \
             "$work/mask-empty.png" -compose multiply -composite -format '%[max]' info:)
outside_range=$(convert "$work/in.png" "$work/full.png" "$work/soft.png" \
                  -fx '(u[2] < min(u[0],u[1]) - 1/255 || u[2] > max(u[0],u[1]) + 1/255) ? 1 : 0' \
                  -format '%[max]' info: | tail -n 1)
blended=$(convert "$work/in.png" "$work/full.png" "$work/soft.png" \
            -fx '(abs(u[2] - u[0]) > 2/255 && abs(u[2] - u[1]) > 2/255) ? 1 : 0' \
            -format '%[max]' info: | tail -n 1)
awk -v v="$at_full" 'BEGIN { exit !(v <= 393) }' ||
  fail "fully selected pixels differ from the unblended result"
[ "$at_empty" = 0 ] || fail "unselected pixels changed"
[ "$outside_range" = 0 ] || fail "feathered pixels are not between original and result"
[ "$blended" != 0 ] || fail "no pixel is a mix: the feather was ignored"
corner=$(convert "$work/in.png" "$work/soft.png" -compose difference -composite \
           -crop 4x4+0+0 +repage -format '%[max]' info:)
[ "$corner" = 0 ] || fail "a corner far outside the feathered selection changed"
echo "PASS"
