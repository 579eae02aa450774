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

port=$((20000 + $$ % 20000))
client="$here/script-fu-client.py"
# 2.10 ignores the other arguments in an interactive call: the dialog starts from its last values
call='(let* ((image (car (vks-images)))) (plug-in-vkstyle-texture RUN-INTERACTIVE image (vks-layer image) "" 0 0 "" ""))'

cat >"$work/session.sh" <<SESSION
#!/bin/bash
export $profile_var="$work/profile" LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=C
unset G_DEBUG
setsid $gimp_gui --no-splash -d -f -b '(load "$work/setup.scm")' \\
  -b '(begin (load "$flavour_dir/helpers.scm") (vks-start-server $port))' \\
  >"$work/gui.log" 2>&1 &
gimp_pid=\$!
ask () { python3 "$client" $port "(begin (load \"$flavour_dir/helpers.scm\") \$1)" "\${2:-120}"; }
keys () { xdotool windowfocus --sync \$window key --clearmodifiers "\$@"; }
# Waits until the screen differs from screen FILE by far more than a check box: a new preview.
wait_for_canvas () {
  for try in \$(seq 90); do
    sleep 2
    import -window root "$work/screen-now.png"
    changed=\$(compare -metric AE "\$1" "$work/screen-now.png" null: 2>&1)
    echo "\$2: \$changed pixels changed"
    [ "\${changed%%.*}" -gt 20000 ] 2>/dev/null && { mv "$work/screen-now.png" "\$3"; return 0; }
  done
  echo "\$2: nothing new showed on the canvas"
  return 1
}
# Opens the dialog (the call returns when it closes), waits for its window, runs PASS.
dialog () {
  ask '$call' 600 >"$work/call-\$1.txt" 2>&1 &
  local caller=\$!
  window=
  for try in \$(seq 60); do
    window=\$(xdotool search --onlyvisible --name "^$title" | head -1)
    [ -n "\$window" ] && break
    sleep 1
  done
  if [ -z "\$window" ]; then
    echo "no dialog window; windows:"; xdotool search --name . getwindowname %@ | sort -u
    import -window root "$work/screen-\$1.png"
    kill \$caller; return 1
  fi
  sleep 3   # the model list and the device list are filled
  # the pointer off the dialog: a tooltip would cover part of the screenshots
  xdotool mousemove 0 0
  pass_\$1 || { kill \$caller; return 1; }
  wait \$caller
}
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
  import -window \$window "$work/dialog.png"
  keys alt+s ctrl+a 7 Tab Tab End alt+i
  sleep 1
  keys Return
}
status=1
for try in \$(seq 150); do
  ask '(gimp-version)' 1 >/dev/null 2>&1 && { status=0; break; }
  kill -0 \$gimp_pid 2>/dev/null || break
  sleep 2
done
if [ \$status = 0 ]; then
  dialog cancel || status=1
  ask '(let* ((image (car (vks-images)))) (vks-save image "$work/after-cancel.png") (list (vks-n-layers image) (car (gimp-image-is-dirty image))))' >"$work/cancel.txt" || status=1
  dialog apply || status=1
  ask '(let* ((image (car (vks-images)))) (vks-save image "$work/after-apply.png") (vks-n-layers image))' >"$work/apply.txt" || status=1
fi
ask '(gimp-quit TRUE)' 10 >/dev/null 2>&1
sleep 2
kill -- -\$gimp_pid 2>/dev/null
wait \$gimp_pid 2>/dev/null
exit \$status
SESSION
chmod +x "$work/session.sh"
timeout 900 xvfb-run -a -s "-screen 0 1280x900x24" "$work/session.sh" >"$work/session.log" 2>&1 ||
  fail "GUI session failed: $(cat "$work/session.log") (GIMP log: $work/gui.log)"

[ -f "$work/dialog.png" ] || fail "no screenshot of the dialog"
# the dialog's own GTK and GIMP warnings go to GIMP's log, not to the test's (GTK 2's missing
# pixmap theme engine is the machine's, not ours)
grep -E '^\(vkstyle:[0-9]+\): .*(CRITICAL|WARNING)' "$work/gui.log" |
  grep -v 'Unable to locate theme engine' && fail "the plug-in warned (log: $work/gui.log)"
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
