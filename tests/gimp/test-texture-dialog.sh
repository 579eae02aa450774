#!/bin/bash
# gimp-texture-dialog (GIMP 2.10): the real Neural Texture dialog, in the real GUI under Xvfb.
# Opens Filters › Render › Pattern › Neural Texture on an image (an interactive call through the
# Script-Fu server) with the InfoGAN fixture installed beside the DCGAN (MODEL), so the dialog
# opens on the InfoGAN (first by name) and shows its code sliders. Checks, with the keyboard as
# a person would use it:
#   - the dialog window appears (VKSTYLE_SCREENSHOT=FILE keeps a picture of it, for docs/);
#   - "Preview on canvas" (Alt+P) shows a preview layer on the canvas, and "New Seed" (Alt+N)
#     renders another one there; Escape cancels and leaves the image untouched (one layer, not
#     dirty, the pixels bit-identical);
#   - opened again: seed 7 typed into the seed field (Alt+S), the first code slider ("pattern",
#     two Tabs on) moved to its end (2), Tileable (Alt+I) on, Return applies: the layer holds
#     the texture a script gets for those values, which is not one flat colour.
# Needs xvfb, xdotool, python3 and ImageMagick's import (skipped with 77 without them).
source "$(dirname "$0")/common.sh"
source "$here/dialog-session.sh"
title="Neural Texture"
infogan=$(dirname "$model")/texture_infogan32.safetensors
[ -f "$infogan" ] || fail "no InfoGAN model $infogan"

[ "$gimp_flavour" = 2.10 ] ||
  { echo "SKIP: the GIMP 2.10 dialog test needs a GIMP 2.10 plug-in"; exit 77; }
for tool in xvfb-run xdotool python3 import $gimp_gui; do
  if ! command -v $tool >/dev/null 2>&1; then
    echo "SKIP: $tool not found"
    exit 77
  fi
done

top=$(cd "$here/../.." && pwd)
sample=$top/data/sample.png
[ -f "$sample" ] || fail "no $sample"
# Headless run first: makes the profile with our plug-in-path, and the texture the dialog's
# choices must give (seed 7, tileable, pattern 2) on an image of the sample's size.
scheme make.scm <<SCM
(let* ((image (vks-load "$sample")))
  (vks-texture image "$infogan" 7 1 "pattern=2,scale=0,tilt=0")
  (vks-save image "$work/expected.png"))
SCM
run_gimp "$work/make.scm"
mkdir -p "$work/profile/vkstyle/models"
cp "$model" "$work/profile/vkstyle/models/Test-Texture.safetensors"
cp "$infogan" "$work/profile/vkstyle/models/"
echo '(single-window-mode no)' >>"$work/profile/sessionrc"

scheme setup.scm <<SCM
(let* ((image (vks-load "$sample")))
  (gimp-display-new image)
  (gimp-image-clean-all image))
SCM

# 2.10 ignores the other arguments in an interactive call: the dialog starts from its last values
call='(let* ((image (car (vks-images)))) (plug-in-vkstyle-texture RUN-INTERACTIVE image (vks-layer image) "" 0 0 "" ""))'
cat >"$work/steps.sh" <<'STEPS'
pass_cancel () {
  import -window root "$work/screen.png"
  keys alt+p
  wait_for_canvas "$work/screen.png" preview "$work/screen-preview.png" || return 1
  keys alt+n
  wait_for_canvas "$work/screen-preview.png" "new seed" "$work/screen-seed.png" || return 1
  keys Escape
}
pass_apply () {
  # the picture for the docs: the dialog as it opens
  import -window $window "$work/dialog.png"
  keys alt+s ctrl+a 7 Tab Tab End alt+i
  sleep 1
  keys Return
}
dialog cancel || return 1
ask "(let* ((image (car (vks-images)))) (vks-save image \"$work/after-cancel.png\") (list (vks-n-layers image) (car (gimp-image-is-dirty image))))" >"$work/cancel.txt" || return 1
dialog apply || return 1
ask "(let* ((image (car (vks-images)))) (vks-save image \"$work/after-apply.png\") (vks-n-layers image))" >"$work/apply.txt"
STEPS
run_dialog_session "$title" "$call" "$work/steps.sh"

[ -f "$work/dialog.png" ] || fail "no screenshot of the dialog"
# the docs keep it small: gray, 256 levels, like docs/plugin-dialog.png
[ -n "${VKSTYLE_SCREENSHOT:-}" ] &&
  convert "$work/dialog.png" -colorspace Gray -colors 256 "$VKSTYLE_SCREENSHOT"
grep -q '(1 0)' "$work/cancel.txt" || fail "Cancel left the image changed: $(cat "$work/cancel.txt")"
expect_identical "$sample" "$work/after-cancel.png" "Cancel changed the pixels"
# Script-Fu answers #t for a procedure that succeeded, #f for one cancelled
grep -q '(#f)$' "$work/call-cancel.txt" || fail "Cancel: $(cat "$work/call-cancel.txt")"
grep -q '(#t)$' "$work/call-apply.txt" || fail "Apply failed: $(cat "$work/call-apply.txt")"
grep -q '>1$' "$work/apply.txt" || fail "Apply changed the layers: $(cat "$work/apply.txt")"
levels=$(convert "$work/after-apply.png" -format '%[fx:standard_deviation]' info:)
awk -v s="$levels" 'BEGIN { exit !(s > 0.01) }' || fail "the rendered layer is flat (sd $levels)"
expect_identical "$work/expected.png" "$work/after-apply.png" \
  "the dialog's texture is not the script's for seed 7, pattern 2, tileable"
echo "PASS"
