#!/bin/bash
# gimp-errors: a corrupt model file, an unknown style name and an out-of-range argument each
# make the call fail with a message a person understands, and leave the image bit-identical
# (same pixels, same single layer).
source "$(dirname "$0")/common.sh"

# A header length far past the end of the file, then junk.
printf '\377\377\377\0\0\0\0\0{"junk' >"$work/corrupt.safetensors"

scheme make.scm <<SCM
(let* ((image (vks-new-image 67 45 RGB)))
  (vks-save image "$work/in.png")
  (gimp-image-delete image))
SCM
# each failing call is a batch command of its own: an error ends the command it is in
scheme corrupt.scm <<SCM
(let* ((image (vks-load "$work/in.png")))
  (gimp-image-clean-all image)
  (vks-apply image "$work/corrupt.safetensors" 100 1.0 0))
SCM
scheme unknown.scm <<SCM
(let* ((image (vks-load "$work/in.png")))
  (gimp-image-clean-all image)
  (vks-apply image "no-such-style" 100 1.0 1))
SCM
scheme range.scm <<SCM
(let* ((image (vks-load "$work/in.png")))
  (gimp-image-clean-all image)
  (vks-apply image "$model" 150 1.0 0))
SCM
scheme check.scm <<SCM
(let* ((images (vector->list (cadr (gimp-image-list)))))
  (vks-assert (= (length images) 3) "expected the 3 loaded images")
  (for-each
    (lambda (image)
      (vks-assert (= (vks-n-layers image) 1) "a layer was added")
      (vks-assert (= (car (gimp-image-is-dirty image)) FALSE) "the image was modified")
      (vks-save image (string-append "$work/after-" (number->string image) ".png")))
    images))
SCM

EXPECT_ERROR="execution error" run_gimp "$work/make.scm" "$work/corrupt.scm" \
  "$work/unknown.scm" "$work/range.scm" "$work/check.scm"
log=$work/gimp.log

grep -q "plug-in-vkstyle failed: Could not use this style model" "$log" ||
  fail "no understandable message for the corrupt model (log: $log)"
grep -q "No style model named .no-such-style. was found" "$log" ||
  fail "no message for the unknown style name (log: $log)"
grep -q "Strength must be between 0 and 100" "$log" ||
  fail "no message for strength 150 (log: $log)"
grep -q "assertion failed" "$log" && fail "an image was changed: $(grep 'assertion failed' "$log")"
n=0
for f in "$work"/after-*.png; do
  [ -f "$f" ] || fail "the images were not saved after the failed calls (log: $log)"
  expect_identical "$work/in.png" "$f" "a failed call changed the pixels"
  n=$((n + 1))
done
[ $n -eq 3 ] || fail "expected 3 images after the failed calls, found $n"
echo "PASS"
