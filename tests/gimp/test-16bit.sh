#!/bin/bash
# gimp-16bit: a 16-bit image keeps its precision: the result is still 16 bits per channel and
# uses values an 8-bit image cannot hold; it matches the CLI on the same 16-bit file.
source "$(dirname "$0")/common.sh"

scheme 16bit.scm <<SCM
(let* ((image (vks-new-image 67 45 RGB)))
  (vks-to-16bit image)
  ; a blur fills in the values between the 8-bit steps
  (vks-blur image (vks-layer image))
  (vks-save image "$work/in.png")
  (vks-apply image "$model" 100 1.0 0)
  (vks-assert (vks-16bit? image) "precision changed")
  (vks-save image "$work/out.png"))
SCM
run_gimp "$work/16bit.scm"

# a 16-bit sample holds an 8-bit value exactly when it is a multiple of 257 (either byte order)
count_fine () {
  convert "$1" -depth 16 rgb:- | od -An -v -tu2 |
    awk '{ for (i = 1; i <= NF; i++) if ($i % 257) n++ } END { print n + 0 }'
}
[ "$(identify -format '%z' "$work/out.png")" = 16 ] || fail "out.png is not 16 bits per channel"
[ "$(count_fine "$work/in.png")" -gt 0 ] || fail "bad test: the input has only 8-bit values"
[ "$(count_fine "$work/out.png")" -gt 0 ] || fail "the result was rounded to 8 bits"
expect_different "$work/in.png" "$work/out.png" "the plug-in changed nothing"
if have_cli; then
  cli_reference "$work/in.png" "$work/ref.png"
  expect_close "$work/ref.png" "$work/out.png" 0.0039216 "plug-in and CLI disagree"
fi
echo "PASS"
