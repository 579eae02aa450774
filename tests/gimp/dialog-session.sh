# Sourced by the GIMP 2.10 dialog tests (after common.sh): the real GUI under Xvfb, driven from
# the keyboard with xdotool and read back through the Script-Fu server.
#
#   run_dialog_session TITLE CALL STEPS_FILE
#     starts GIMP with $work/setup.scm and the Script-Fu server, waits until the server answers,
#     sources STEPS_FILE (bash, run inside the session: it defines pass_NAME functions and calls
#     `dialog NAME` and `ask` in order; $work, $title and the functions below are there) and
#     quits GIMP. FAILs when the session fails. Functions for STEPS_FILE:
#       ask EXPR [SECONDS]     evaluate a Script-Fu expression in GIMP (helpers.scm loaded)
#       dialog NAME            run CALL (an interactive call, which returns when the dialog
#                              closes), wait for the window named TITLE, run pass_NAME;
#                              CALL's answer goes to $work/call-NAME.txt
#       keys KEY...            keys to the dialog window ($window)
#       wait_for_canvas BEFORE WHAT AFTER   wait until the screen differs from the screenshot
#                              BEFORE by far more than a check box (a new preview), keep it in AFTER
# Any GTK or GIMP warning of the plug-in in GIMP's log fails the test (GTK 2's missing pixmap
# theme engine is the machine's, not ours).
run_dialog_session () {
  local port=$((20000 + $$ % 20000))
  cat >"$work/session.sh" <<SESSION
#!/bin/bash
export $profile_var="$work/profile" LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=C
unset G_DEBUG
work="$work" title="$1"
setsid $gimp_gui --no-splash -d -f -b '(load "$work/setup.scm")' \\
  -b '(begin (load "$flavour_dir/helpers.scm") (vks-start-server $port))' \\
  >"$work/gui.log" 2>&1 &
gimp_pid=\$!
ask () { python3 "$here/script-fu-client.py" $port "(begin (load \"$flavour_dir/helpers.scm\") \$1)" "\${2:-120}"; }
keys () { xdotool windowfocus --sync \$window key --clearmodifiers "\$@"; }
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
dialog () {
  ask '$2' 600 >"$work/call-\$1.txt" 2>&1 &
  local caller=\$!
  window=
  for try in \$(seq 60); do
    window=\$(xdotool search --onlyvisible --name "^$1" | head -1)
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
status=1
for try in \$(seq 150); do
  ask '(gimp-version)' 1 >/dev/null 2>&1 && { status=0; break; }
  kill -0 \$gimp_pid 2>/dev/null || break
  sleep 2
done
[ \$status = 0 ] && { source "$3" || status=1; }
ask '(gimp-quit TRUE)' 10 >/dev/null 2>&1
sleep 2
kill -- -\$gimp_pid 2>/dev/null
wait \$gimp_pid 2>/dev/null
exit \$status
SESSION
  chmod +x "$work/session.sh"
  timeout 900 xvfb-run -a -s "-screen 0 1280x900x24" "$work/session.sh" >"$work/session.log" 2>&1 ||
    fail "GUI session failed: $(cat "$work/session.log") (GIMP log: $work/gui.log)"
  grep -E '^\(vkstyle:[0-9]+\): .*(CRITICAL|WARNING)' "$work/gui.log" |
    grep -v 'Unable to locate theme engine' && fail "the plug-in warned (log: $work/gui.log)"
  return 0
}
