#!/bin/bash
# gimp-new-layer: with new-layer = 1 the result goes to a new layer right above the drawable
# (inside its layer group), named after the style and made the active layer; the original layer
# keeps its pixels; the new layer holds what replace mode would have written.
source "$(dirname "$0")/common.sh"

scheme new-layer.scm <<SCM
(let* ((image (vks-new-image 67 45 RGB))
       (original (vks-layer image)))
  (vks-save image "$work/in.png")
  (vks-apply image "$model" 100 1.0 0)
  (vks-save image "$work/replaced.png"))
(let* ((image (vks-new-image 67 45 RGB))
       (original (vks-layer image))
       (group (vks-group-new image))
       (top (vks-new-layer image "top" 67 45 RGBA-IMAGE)))
  ; original inside a group, another layer above the group: the result must land in the group
  (gimp-image-insert-layer image group 0 0)
  (gimp-image-reorder-item image original group 0)
  (gimp-image-insert-layer image top 0 0)
  (vks-apply-to image original "$model" 100 1.0 1)
  (let* ((result (vks-selected-layer image)))
    (vks-assert (not (= result original)) "the new layer must be the active one")
    (vks-assert (= (car (gimp-item-get-parent result)) group) "new layer not in the group")
    (vks-assert (= (car (gimp-image-get-item-position image result)) 0) "new layer not on top")
    (vks-assert (= (car (gimp-image-get-item-position image original)) 1) "original moved")
    (vks-assert (> (string-length (car (gimp-item-get-name result))) 0) "new layer has no name")
    (vks-save-drawable image original "$work/original-after.png")
    (vks-save-drawable image result "$work/new-layer.png")))
SCM
run_gimp "$work/new-layer.scm"

expect_identical "$work/in.png" "$work/original-after.png" "the original layer was modified"
expect_identical "$work/replaced.png" "$work/new-layer.png" "new layer differs from replace mode"
echo "PASS"
