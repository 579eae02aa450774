#!/bin/bash
# gimp-gray: a grayscale image is stylized (through RGB, back to luminance) and stays grayscale;
# the result matches the CLI on the same grayscale file.
source "$(dirname "$0")/common.sh"

scheme gray.scm <<SCM
(let* ((image (vks-new-image 67 45 GRAY)))
  (vks-save image "$work/in.png")
  (vks-apply image "$model" 100 1.0 0)
  (vks-assert (vks-gray? image) "the image or the layer is no longer grayscale")
  (vks-save image "$work/out.png"))
SCM
run_gimp "$work/gray.scm"

case $(identify -format '%[colorspace]' "$work/out.png") in
  Gray|LinearGray) ;;
  *) fail "out.png is not a grayscale PNG" ;;
esac
expect_same_size "$work/in.png" "$work/out.png"
expect_different "$work/in.png" "$work/out.png" "the plug-in changed nothing"
if have_cli; then
  cli_reference "$work/in.png" "$work/ref.png"
  expect_close "$work/ref.png" "$work/out.png" 0.0039216 "plug-in and CLI disagree"
fi
echo "PASS"
