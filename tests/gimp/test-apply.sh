#!/bin/bash
# gimp-apply: the plug-in on a whole RGB layer gives the same pixels as `vkstyle apply` on the
# same image and model (within 1/255), at the layer's size.
source "$(dirname "$0")/common.sh"

scheme apply.scm <<SCM
(let* ((image (vks-new-image 67 45 RGB)))
  (vks-save image "$work/in.png")
  (vks-apply image "$model" 100 1.0 0)
  (vks-assert (= (vks-n-layers image) 1) "replace mode must not add a layer")
  (vks-save image "$work/out.png"))
SCM
run_gimp "$work/apply.scm"

expect_same_size "$work/in.png" "$work/out.png"
expect_different "$work/in.png" "$work/out.png" "the plug-in changed nothing"
if have_cli; then
  cli_reference "$work/in.png" "$work/ref.png"
  expect_close "$work/ref.png" "$work/out.png" 0.0039216 "plug-in and CLI disagree"
else
  echo "note: no CLI given, the result was not compared with \`vkstyle apply\`"
fi
echo "PASS"
