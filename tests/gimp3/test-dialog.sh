#!/bin/bash
# gimp-dialog (GIMP 3): the real dialog, in the real GUI under Xvfb. Opens Filters › Artistic ›
# Style Transfer on an image (an interactive call through the Script-Fu server), checks that
# the dialog appears (its window and a screenshot of it), turns on "Preview on canvas" (Alt+P)
# and waits until the preview layer shows on the canvas, cancels and checks that the image is
# untouched (preview layer gone, not dirty), then opens the dialog again and applies with
# Return, which stylizes the image. Needs xvfb, xdotool,
# python3 and ImageMagick's import. VKSTYLE_SCREENSHOT=FILE keeps the screenshot (for docs/),
# VKSTYLE_DIALOG_STYLE names the style the dialog opens with (default: the test's model).
# VKSTYLE_DIALOG_FILTER=texture checks Filters › Render › Pattern › Neural Texture the same way
# (MODEL a texture model; the InfoGAN beside it is installed too and opened, so the screenshot
# shows its code sliders): test-texture-dialog.sh; VKSTYLE_DIALOG_FILTER=reference Filters ›
# Artistic › Style from Reference (MODEL a StarGAN v2 model; random styles, the first domain):
# test-reference-dialog.sh.
source "$(dirname "$0")/../gimp/common.sh"
if [ "${VKSTYLE_DIALOG_FILTER:-}" = texture ]; then
  title="Neural Texture" procedure=plug-in-vkstyle-texture installed=Test-Texture
  opened=${VKSTYLE_DIALOG_STYLE:-Test InfoGAN Texture}
elif [ "${VKSTYLE_DIALOG_FILTER:-}" = reference ]; then
  title="Style from Reference" procedure=plug-in-vkstyle-reference installed=Test-Reference
  opened=${VKSTYLE_DIALOG_STYLE:-Test-Reference}
else
  title="Style Transfer" procedure=plug-in-vkstyle installed=Test-Style
  opened=${VKSTYLE_DIALOG_STYLE:-Test-Style}
fi

[ "$gimp_flavour" = 3 ] || { echo "SKIP: the GIMP 3 dialog test needs a GIMP 3 plug-in"; exit 77; }
for tool in xvfb-run xdotool python3 import $gimp_gui; do
  if ! command -v $tool >/dev/null 2>&1; then
    echo "SKIP: $tool not found"
    exit 77
  fi
done

# the bundled style, as a user has it, so the list and the screenshot show a real entry
top=$(cd "$here/../.." && pwd)
sample=$top/data/sample.png
[ -f "$sample" ] || fail "no $sample"
scheme make.scm <<SCM
(gimp-message "profile and plug-in folder ready")
SCM
run_gimp "$work/make.scm"
mkdir -p "$work/plug-ins/vkstyle/weights" "$work/profile/vkstyle/models"
cp "$model" "$work/profile/vkstyle/models/$installed.safetensors"
if [ "$installed" = Test-Texture ]; then
  cp "$(dirname "$model")/texture_infogan32.safetensors" "$work/profile/vkstyle/models/"
elif [ -f "$top/weights/cartoon.safetensors" ]; then
  cp "$top/weights/cartoon.safetensors" "$work/plug-ins/vkstyle/weights/"
fi
echo '(single-window-mode no)' >>"$work/profile/sessionrc"

scheme setup.scm <<SCM
(let* ((image (vks-load "$sample")))
  (gimp-display-new image)
  (gimp-image-clean-all image))
SCM

port=$((20000 + $$ % 20000))
client="$here/script-fu-client.py"  # tests/gimp/, shared by both GIMPs
call="(let* ((image (car (vks-images)))) ($procedure #:run-mode RUN-INTERACTIVE #:image image #:drawables (vector (vks-layer image)) #:model \"$opened\"))"

cat >"$work/session.sh" <<SESSION
#!/bin/bash
export $profile_var="$work/profile" LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=C
unset G_DEBUG
setsid $gimp_gui --no-splash -d -f $batch_option -b '(load "$work/setup.scm")' \\
  -b '(begin (load "$flavour_dir/helpers.scm") (vks-start-server $port))' \\
  >"$work/gui.log" 2>&1 &
gimp_pid=\$!
ask () { python3 "$client" $port "(begin (load \"$flavour_dir/helpers.scm\") \$1)" "\${2:-120}"; }
# Opens the dialog (the call returns when it closes), waits for its window, then presses KEY.
dialog () {
  ask '$call' 600 >"$work/call-\$1.txt" 2>&1 &
  local caller=\$! window=
  for try in \$(seq 60); do
    window=\$(xdotool search --onlyvisible --name "^$title" | head -1)
    [ -n "\$window" ] && break
    sleep 1
  done
  if [ -z "\$window" ]; then
    echo "no dialog window; windows:"; xdotool search --name . getwindowname %@ | sort -u
    import -window root "$work/screen-\$1.png"
    return 1
  fi
  sleep 3   # the style list and the device list are filled
  if [ "\$1" = cancel ]; then
    import -window root "$work/screen.png"
    preview \$window || { kill \$caller; return 1; }
  fi
  xdotool windowfocus --sync \$window key --clearmodifiers "\$2"
  wait \$caller
}
# Turns the preview on and waits for it: the screen changes by far more than the check box.
preview () {
  xdotool windowfocus --sync \$1 key --clearmodifiers alt+p
  for try in \$(seq 90); do
    sleep 2
    import -window root "$work/screen-preview.png"
    changed=\$(compare -metric AE "$work/screen.png" "$work/screen-preview.png" null: 2>&1)
    echo "preview: \$changed pixels changed"
    [ "\${changed%%.*}" -gt 20000 ] 2>/dev/null && return 0
  done
  echo "the preview did not show on the canvas"
  return 1
}
status=1
for try in \$(seq 150); do
  ask '(gimp-version)' 1 >/dev/null 2>&1 && { status=0; break; }
  kill -0 \$gimp_pid 2>/dev/null || break
  sleep 2
done
if [ \$status = 0 ]; then
  dialog cancel Escape || status=1
  ask '(let* ((image (car (vks-images)))) (vks-save image "$work/after-cancel.png") (list (vks-n-layers image) (car (gimp-image-is-dirty image))))' >"$work/cancel.txt" || status=1
  dialog apply Return || status=1
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

[ -f "$work/screen.png" ] || fail "no screenshot of the dialog"
# the dialog's own GTK and GIMP warnings go to GIMP's log, not to the test's (GTK 2's missing
# pixmap theme engine is the machine's, not ours)
grep -E '^\(vkstyle:[0-9]+\): .*(CRITICAL|WARNING)' "$work/gui.log" |
  grep -v 'Unable to locate theme engine' && fail "the plug-in warned (log: $work/gui.log)"
[ -n "${VKSTYLE_SCREENSHOT:-}" ] && cp "$work/screen.png" "$VKSTYLE_SCREENSHOT"
grep -q '(1 0)' "$work/cancel.txt" || fail "Cancel left the image changed: $(cat "$work/cancel.txt")"
expect_identical "$sample" "$work/after-cancel.png" "Cancel changed the pixels"
grep -q "$procedure\|Error" "$work/call-apply.txt" && fail "Apply failed: $(cat "$work/call-apply.txt")"
expect_different "$sample" "$work/after-apply.png" "Apply changed nothing"
echo "PASS"
