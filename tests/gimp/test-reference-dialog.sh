#!/bin/bash
# gimp-reference-dialog (GIMP 2.10): the real Style from Reference dialog, in the real GUI under
# Xvfb. Opens Filters › Artistic › Style from Reference on data/sample.png (an interactive call
# through the Script-Fu server) with a second image open, the reference, and the StarGAN v2
# fixture (MODEL) installed. Checks, with the keyboard as a person would use it:
#   - the dialog window appears (VKSTYLE_SCREENSHOT=FILE keeps a picture of it, for docs/);
#   - "From a layer" (Alt+Y) picks the other image's layer, Return applies: the layer holds what
#     a script gets with that reference and the first domain;
#   - opened again: "Random" (Alt+O), 3 variations (Alt+V), Return: three new layers above.
# Needs xvfb, xdotool, python3 and ImageMagick's import (skipped with 77 without them).
source "$(dirname "$0")/common.sh"
title="Style from Reference"
fixtures=$(cd "$here/../fixtures" && pwd)
ref=$fixtures/stargan2_cli_ref.png

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
# Headless run first: makes the profile with our plug-in-path, and the result the dialog's
# choices must give.
scheme make.scm <<SCM
(let* ((image (vks-load "$sample"))
       (reference (vks-load "$ref")))
  (vks-reference image "$model" "cat" (vks-layer reference) 0 0 1)
  (vks-save image "$work/expected.png"))
SCM
run_gimp "$work/make.scm"
mkdir -p "$work/profile/vkstyle/models"
cp "$model" "$work/profile/vkstyle/models/"
echo '(single-window-mode no)' >>"$work/profile/sessionrc"

# the reference and the image the dialog works on (found by name: vks-image-named)
scheme setup.scm <<SCM
(let* ((reference (vks-load "$ref")))
  (gimp-display-new reference)
  (gimp-image-clean-all reference))
(let* ((image (vks-load "$sample")))
  (gimp-display-new image)
  (gimp-image-clean-all image))
SCM

port=$((20000 + $$ % 20000))
client="$here/script-fu-client.py"
# 2.10 ignores the other arguments in an interactive call: the dialog starts from its last values
call='(let* ((image (vks-image-named "sample"))) (plug-in-vkstyle-reference RUN-INTERACTIVE image (vks-layer image) "" "" -1 0 100 0 1 1.0 ""))'
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
pass_layer () {
  # the picture for the docs: the dialog as it opens
  import -window \$window "$work/dialog.png"
  keys alt+y
  sleep 1
  keys Return
}
pass_variations () {
  keys alt+o alt+v ctrl+a 3 Tab
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
  dialog layer || status=1
  ask '(let* ((image (vks-image-named "sample"))) (vks-save image "$work/after-layer.png") (vks-n-layers image))' >"$work/layer.txt" || status=1
  dialog variations || status=1
  ask '(let* ((image (vks-image-named "sample"))) (vks-n-layers image))' >"$work/variations.txt" || status=1
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
# Script-Fu answers #t for a procedure that succeeded
grep -q '(#t)$' "$work/call-layer.txt" || fail "Apply failed: $(cat "$work/call-layer.txt")"
grep -q '>1$' "$work/layer.txt" || fail "Apply changed the layers: $(cat "$work/layer.txt")"
expect_identical "$work/expected.png" "$work/after-layer.png" \
  "the dialog's result is not the script's for the other image's layer"
grep -q '(#t)$' "$work/call-variations.txt" ||
  fail "Apply of variations failed: $(cat "$work/call-variations.txt")"
grep -q '>4$' "$work/variations.txt" ||
  fail "3 variations did not add 3 layers: $(cat "$work/variations.txt")"
echo "PASS"
