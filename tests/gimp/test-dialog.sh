#!/bin/bash
# gimp-dialog (GIMP 2.10): the real Style Transfer dialog, in the real GUI under Xvfb. Opens
# Filters › Artistic › Style Transfer on data/sample.png (an interactive call through the
# Script-Fu server) with the bundled style installed beside the test's model, so the dialog
# opens on the first by name, the bundled one. Checks, with the keyboard as a person would:
#   - the dialog window appears (VKSTYLE_SCREENSHOT=FILE keeps a picture of it, for docs/);
#   - "Preview on canvas" (Alt+P) shows the preview on the canvas; Escape cancels and leaves
#     the image untouched (one layer, not dirty, the pixels bit-identical);
#   - opened again, Apply (Alt+A) writes what `vkstyle apply` gives (within 1/255).
# (GIMP 3: tests/gimp3/test-dialog.sh.) Needs xvfb, xdotool, python3 and ImageMagick's import.
source "$(dirname "$0")/common.sh"
source "$here/dialog-session.sh"
title="Style Transfer"

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
bundled=$top/weights/cartoon.safetensors
[ -f "$sample" ] && [ -f "$bundled" ] || fail "no $sample or $bundled"
have_cli || { echo "SKIP: the vkstyle CLI is needed for the expected result"; exit 77; }
"$cli" apply --model "$bundled" "$sample" "$work/expected.png" || fail "the CLI failed"

scheme make.scm <<SCM
(gimp-message "profile and plug-in folder ready")
SCM
run_gimp "$work/make.scm"
mkdir -p "$work/profile/vkstyle/models"
cp "$model" "$work/profile/vkstyle/models/Test-Style.safetensors"
cp "$bundled" "$work/profile/vkstyle/models/"
echo '(single-window-mode no)' >>"$work/profile/sessionrc"
scheme setup.scm <<SCM
(let* ((image (vks-load "$sample")))
  (gimp-display-new image)
  (gimp-image-clean-all image))
SCM

# 2.10 ignores the other arguments in an interactive call: the dialog starts from its last values
call='(let* ((image (car (vks-images)))) (plug-in-vkstyle RUN-INTERACTIVE image (vks-layer image) "" 100 1.0 0 ""))'
cat >"$work/steps.sh" <<'STEPS'
pass_cancel () {
  # the picture for the docs: the dialog as it opens
  import -window $window "$work/dialog.png"
  import -window root "$work/screen.png"
  keys alt+p
  wait_for_canvas "$work/screen.png" preview "$work/screen-preview.png" || return 1
  keys Escape
}
pass_apply () {
  # Alt+A: the style list has the focus, where Return would open it
  keys alt+a
}
dialog cancel || return 1
ask "(let* ((image (car (vks-images)))) (vks-save image \"$work/after-cancel.png\") (list (vks-n-layers image) (car (gimp-image-is-dirty image))))" >"$work/cancel.txt" || return 1
dialog apply || return 1
ask "(let* ((image (car (vks-images)))) (vks-save image \"$work/after-apply.png\") (vks-n-layers image))" >"$work/apply.txt"
STEPS
run_dialog_session "$title" "$call" "$work/steps.sh"

[ -f "$work/dialog.png" ] || fail "no screenshot of the dialog"
# the docs keep it small: gray, 256 levels
[ -n "${VKSTYLE_SCREENSHOT:-}" ] &&
  convert "$work/dialog.png" -colorspace Gray -colors 256 "$VKSTYLE_SCREENSHOT"
grep -q '(1 0)' "$work/cancel.txt" || fail "Cancel left the image changed: $(cat "$work/cancel.txt")"
expect_identical "$sample" "$work/after-cancel.png" "Cancel changed the pixels"
# Script-Fu answers #t for a procedure that succeeded, #f for one cancelled
grep -q '(#f)$' "$work/call-cancel.txt" || fail "Cancel: $(cat "$work/call-cancel.txt")"
grep -q '(#t)$' "$work/call-apply.txt" || fail "Apply failed: $(cat "$work/call-apply.txt")"
grep -q '>1$' "$work/apply.txt" || fail "Apply changed the layers: $(cat "$work/apply.txt")"
expect_close "$work/expected.png" "$work/after-apply.png" 0.0039216 \
  "the dialog's result is not the CLI's for the bundled style"
echo "PASS"
