#!/bin/bash
# gimp-undo: the plug-in's change is one undo step: a single Undo gives back the input
# bit-identical, for both replace and new-layer output. GIMP's PDB has no "undo" procedure, so
# this test runs the real GIMP under Xvfb, presses Ctrl+Z in the image window with xdotool and
# reads the result through the Script-Fu server. Skipped when xvfb-run, xdotool or python3 is
# missing (Debian packages xvfb, xdotool, python3). VKSTYLE_UNDO_FILTER=texture checks Neural
# Texture instead (MODEL a texture model; it has no new-layer output): test-texture-undo.sh.
source "$(dirname "$0")/common.sh"

if [ "${VKSTYLE_UNDO_FILTER:-}" = texture ]; then
  cases="replace"
  apply_call='(vks-texture image "'"$model"'" 5 0 "")'
else
  cases="replace new-layer"
  apply_call='(vks-apply image "'"$model"'" 100 1.0 new-layer)'
fi

for tool in xvfb-run xdotool python3 $gimp_gui; do
  if ! command -v $tool >/dev/null 2>&1; then
    echo "SKIP: $tool not found"
    exit 77
  fi
done

# Headless run first: makes the input images and the profile with our plug-in-path.
scheme make.scm <<SCM
(let* ((image (vks-new-image 67 45 RGB)))
  (vks-save image "$work/undo-replace.png")
  (vks-save image "$work/undo-new-layer.png"))
SCM
run_gimp "$work/make.scm"
# one window per image, so each has its own Ctrl+Z target and a title naming it
echo '(single-window-mode no)' >>"$work/profile/sessionrc"

scheme setup.scm <<SCM
(define (open-and-apply path new-layer after)
  (let* ((image (vks-load path)))
    (gimp-display-new image)
    (gimp-image-clean-all image)
    $apply_call
    (vks-save image after)))
(open-and-apply "$work/undo-replace.png" 0 "$work/after-replace.png")
(open-and-apply "$work/undo-new-layer.png" 1 "$work/after-new-layer.png")
SCM

port=$((20000 + $$ % 20000))
client="$here/script-fu-client.py"

# Runs inside Xvfb: GIMP with the server, then the key presses and the read-back.
cat >"$work/session.sh" <<SESSION
#!/bin/bash
# UTF-8, or GTK cannot put the image names (next to an en dash) into the window titles
export $profile_var="$work/profile" LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=C
# GTK warns about missing theme engines; fatal warnings would crash GIMP's GUI
unset G_DEBUG
# own process group, so the Script-Fu server and other plug-ins go with GIMP at the end
setsid $gimp_gui --no-splash -d -f $batch_option -b '(load "$work/setup.scm")' \\
  -b '(begin (load "$flavour_dir/helpers.scm") (vks-start-server $port))' \\
  >"$work/gui.log" 2>&1 &
gimp_pid=\$!
status=1
# the server starts after setup.scm ran, so once it answers both images are stylized
server_up () {
  for try in \$(seq 150); do
    kill -0 \$gimp_pid 2>/dev/null || { echo "GIMP ended early"; return 1; }
    python3 "$client" $port '(gimp-version)' 1 >/dev/null 2>&1 && return 0
    sleep 2
  done
  echo "the Script-Fu server did not answer"
  return 1
}
if server_up; then
  status=0
  for name in $(printf 'undo-%s ' $cases); do
    window=
    for try in \$(seq 30); do
      window=\$(xdotool search --onlyvisible --name "\$name" | head -1)
      [ -n "\$window" ] && break
      sleep 1
    done
    if [ -z "\$window" ]; then
      echo "no image window for \$name; windows:"
      xdotool search --name . getwindowname %@ 2>/dev/null | sort -u
      command -v import >/dev/null && import -window root "$work/screen.png"
      status=1; continue
    fi
    xdotool windowfocus --sync \$window key --clearmodifiers ctrl+z
    sleep 1
  done
  # the answer lists "name layers: n" per image
  python3 "$client" $port '(begin (load "$flavour_dir/helpers.scm")
    (map (lambda (image)
           (let* ((name (vks-image-key image)))
             (vks-save-drawable image (vks-layer image)
               (string-append "$work/undone-" name ".png"))
             (string-append name " layers: " (number->string (vks-n-layers image)))))
         (vks-images)))' >"$work/layers.txt" || status=1
  python3 "$client" $port '(gimp-quit TRUE)' 10 >/dev/null 2>&1
fi
sleep 2
kill -- -\$gimp_pid 2>/dev/null
wait \$gimp_pid 2>/dev/null
exit \$status
SESSION
chmod +x "$work/session.sh"
timeout 600 xvfb-run -a -s "-screen 0 1280x900x24" "$work/session.sh" >"$work/session.log" 2>&1 ||
  fail "GUI session failed: $(cat "$work/session.log") (GIMP log: $work/gui.log)"

for name in $cases; do
  after=$work/after-$name.png
  undone=$work/undone-undo-$name.png
  [ -f "$after" ] || fail "the plug-in did not run in the GUI session (log: $work/gui.log)"
  [ -f "$undone" ] || fail "nothing saved after Undo (log: $work/gui.log, $work/session.log)"
  expect_different "$work/undo-$name.png" "$after" "$name: the plug-in changed nothing"
  expect_identical "$work/undo-$name.png" "$undone" "$name: one Undo does not restore the input"
done
[ "$cases" = replace ] || grep -q "undo-new-layer layers: 1" "$work/layers.txt" ||
  fail "Undo did not remove the new layer"
echo "PASS"
