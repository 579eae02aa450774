#!/bin/bash
# gimp-no-device: when the Vulkan device asked for does not exist (here through VKSTYLE_DEVICE,
# which "automatic" follows), the call fails with a message saying what to do, and the image is
# left bit-identical.
source "$(dirname "$0")/common.sh"

scheme make.scm <<SCM
(let* ((image (vks-new-image 67 45 RGB)))
  (vks-save image "$work/in.png")
  (gimp-image-delete image))
SCM
scheme apply.scm <<SCM
(let* ((image (vks-load "$work/in.png")))
  (vks-apply image "$model" 100 1.0 0))
SCM
scheme check.scm <<SCM
(let* ((image (vector-ref (cadr (gimp-image-list)) 0)))
  (vks-assert (= (vks-n-layers image) 1) "a layer was added")
  (vks-save image "$work/after.png"))
SCM

VKSTYLE_DEVICE=no-such-device-anywhere EXPECT_ERROR="plug-in-vkstyle failed" \
  run_gimp "$work/make.scm" "$work/apply.scm" "$work/check.scm"
grep -q "VKSTYLE_DEVICE" "$work/gimp.log" ||
  fail "the message does not say that VKSTYLE_DEVICE chose the device (log: $work/gimp.log)"
grep -q "assertion failed" "$work/gimp.log" && fail "$(grep 'assertion failed' "$work/gimp.log")"
expect_identical "$work/in.png" "$work/after.png" "the failed call changed the pixels"
echo "PASS"
