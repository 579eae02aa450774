#!/bin/bash
# gimp-texture-errors: Neural Texture with a corrupt model file, an unknown model name, a style
# model instead of a texture model, and codes the model does not have each fail with a message
# a person understands, and leave the image bit-identical (same pixels, one layer, clean).
# (GIMP 3: tests/gimp3/test-texture-errors.sh, since a failed call ends its batch.)
source "$(dirname "$0")/common.sh"
infogan=$(dirname "$model")/texture_infogan32.safetensors
style=$(cd "$here/../fixtures" && pwd)/gen_ngf8_nb2.safetensors

printf '\377\377\377\0\0\0\0\0{"junk' >"$work/corrupt.safetensors"

scheme make.scm <<SCM
(let* ((image (vks-new-image 67 45 RGB)))
  (vks-save image "$work/in.png")
  (gimp-image-delete image))
SCM
# each failing call is a batch command of its own: an error ends the command it is in
calls=()
for call in "\"$work/corrupt.safetensors\" 1 0 \"\"" "\"no-such-texture\" 1 0 \"\"" \
            "\"$style\" 1 0 \"\"" "\"$infogan\" 1 0 \"pattern=1,size=2\"" \
            "\"$infogan\" 1 0 \"pattern=3\"" "\"$model\" 1 0 \"category=1\""; do
  n=${#calls[@]}
  scheme "call-$n.scm" <<SCM
(let* ((image (vks-load "$work/in.png")))
  (gimp-image-clean-all image)
  (vks-texture image $call))
SCM
  calls+=("$work/call-$n.scm")
done
scheme check.scm <<SCM
(let* ((images (vks-images)))
  (vks-assert (= (length images) ${#calls[@]}) "expected one image per call")
  (for-each
    (lambda (image)
      (vks-assert (= (vks-n-layers image) 1) "a layer was added")
      (vks-assert (= (car (gimp-image-is-dirty image)) FALSE) "the image was modified")
      (vks-save image (string-append "$work/after-" (number->string image) ".png")))
    images))
SCM

EXPECT_ERROR="execution error" run_gimp "$work/make.scm" "${calls[@]}" "$work/check.scm"
log=$work/gimp.log
for message in "Could not use this texture model" \
               "No texture model named .no-such-texture. was found" \
               "not a DCGAN or InfoGAN model" \
               "The model has no code named .size.. This model's codes are: pattern \(0.2\), scale, tilt" \
               "The category must be a whole number from 0 to 2, not 3" \
               "This model \(a DCGAN\) has no codes"; do
  grep -Eq "$message" "$log" ||
    fail "no message /$message/ (log: $log)"
done
grep -q "assertion failed" "$log" && fail "an image was changed: $(grep 'assertion failed' "$log")"
n=0
for f in "$work"/after-*.png; do
  [ -f "$f" ] || fail "the images were not saved after the failed calls (log: $log)"
  expect_identical "$work/in.png" "$f" "a failed call changed the pixels"
  n=$((n + 1))
done
[ $n -eq ${#calls[@]} ] || fail "expected ${#calls[@]} images after the failed calls, found $n"
echo "PASS"
