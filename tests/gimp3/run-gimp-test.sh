#!/bin/bash
# Runs batch scripts in a real, headless GIMP 3 that sees the plug-in from the build folder.
#
# usage: run-gimp-test.sh PLUGIN_DIR WORK_DIR SCRIPT...
#   PLUGIN_DIR  folder holding the built `vkstyle` plug-in executable
#   WORK_DIR    scratch folder; gets profile/ (a throw-away GIMP3_DIRECTORY), plug-ins/ and
#               gimp.log
#   SCRIPT      .scm files run by Script-Fu, or .py files by Python-Fu (all of one kind), each as
#               its own batch command (-b), in order. GIMP 3 stops at the first failing one.
# environment:
#   EXPECT_ERROR  extended regex: the log must contain it and GIMP must exit with a failure
#                 status (64 calling error, 70 execution error), or with EXPECT_STATUS: a
#                 Python-Fu script that checks a failed call itself and goes on exits 0
#   VKSTYLE_VALIDATE=1 and the like pass through to the plug-in; any vkstyle-WARNING or
#                 vkstyle-CRITICAL in the log fails the test
# Exit status: 0 pass, 1 fail, 77 skip (no gimp-console-3.0).
#
# Unlike 2.10, GIMP 3 with --quit exits with a status that means something, and without --quit
# a failed command leaves it waiting forever: always --quit, always under timeout.
set -u

if [ $# -lt 3 ]; then
  echo "usage: $0 PLUGIN_DIR WORK_DIR SCRIPT..." >&2
  exit 1
fi
plugin_dir=$(cd "$1" && pwd) || exit 1
work=$(cd "$2" && pwd) || exit 1
shift 2

gimp=${GIMP_CONSOLE:-gimp-console-3.0}
if ! command -v "$gimp" >/dev/null 2>&1; then
  echo "SKIP: $gimp not found (Debian package gimp, version 3)"
  exit 77
fi
if [ ! -x "$plugin_dir/vkstyle" ]; then
  echo "FAIL: no plug-in executable $plugin_dir/vkstyle"
  exit 1
fi

gimplibdir=$(pkg-config --variable=gimplibdir gimp-3.0 2>/dev/null)
system_plugins=${gimplibdir:-/usr/lib/x86_64-linux-gnu/gimp/3.0}/plug-ins

export GIMP3_DIRECTORY="$work/profile"
# Messages in English whatever the tester's locale: the tests grep for them.
export LANG=C LC_ALL=C LANGUAGE=C
unset DISPLAY
unset G_DEBUG

# GIMP 3 only loads a plug-in from a folder named like its binary; the build folder is not one.
mkdir -p "$work/plug-ins/vkstyle"
cp "$plugin_dir/vkstyle" "$work/plug-ins/vkstyle/vkstyle"

# Let GIMP create a complete profile first; a gimprc written before that would be the only file.
if [ ! -f "$GIMP3_DIRECTORY/gimprc.done" ]; then
  timeout 300 "$gimp" -i -n -d -f --quit --batch-interpreter=plug-in-script-fu-eval \
    -b '(gimp-message "profile ready")' >"$work/profile.log" 2>&1
  printf '(plug-in-path "%s:%s")\n' "$system_plugins" "$work/plug-ins" >>"$GIMP3_DIRECTORY/gimprc"
  touch "$GIMP3_DIRECTORY/gimprc.done"
fi

batch=()
interpreter=plug-in-script-fu-eval
for script in "$@"; do
  script=$(cd "$(dirname "$script")" && pwd)/$(basename "$script")
  case $script in
    *.py) interpreter=python-fu-eval; batch+=(-b "exec(open('$script').read())") ;;
    *) batch+=(-b "(load \"$script\")") ;;
  esac
done

log="$work/gimp.log"
timeout "${VKSTYLE_GIMP_TIMEOUT:-900}" "$gimp" -i -n -d -f --quit \
  --batch-interpreter=$interpreter "${batch[@]}" >"$log" 2>&1
status=$?
if [ $status -eq 124 ]; then
  echo "FAIL: $gimp did not finish in time; log:"
  cat "$log"
  exit 1
fi
if grep -q "plug-in-vkstyle.*not found\|unbound variable: plug-in-vkstyle" "$log"; then
  echo "FAIL: GIMP did not register plug-in-vkstyle from $work/plug-ins; log:"
  cat "$log"
  exit 1
fi
if grep -Eq "vkstyle-(WARNING|CRITICAL)" "$log"; then
  echo "FAIL: the plug-in or the engine warned; log:"
  cat "$log"
  exit 1
fi
if [ -n "${EXPECT_ERROR:-}" ]; then
  if [ -n "${EXPECT_STATUS:-}" ]; then
    if [ $status -ne "$EXPECT_STATUS" ]; then
      echo "FAIL: expected GIMP to exit with status $EXPECT_STATUS, not $status; log:"
      cat "$log"
      exit 1
    fi
  elif [ $status -ne 64 ] && [ $status -ne 70 ]; then
    echo "FAIL: expected GIMP to fail (status 64 or 70), it exited with $status; log:"
    cat "$log"
    exit 1
  fi
  if ! grep -Eq "$EXPECT_ERROR" "$log"; then
    echo "FAIL: expected an error matching /$EXPECT_ERROR/; log:"
    cat "$log"
    exit 1
  fi
elif [ $status -ne 0 ] || grep -Eq "execution error|calling error|Error:" "$log"; then
  echo "FAIL: $gimp exited with status $status; log:"
  cat "$log"
  exit 1
fi
exit 0
