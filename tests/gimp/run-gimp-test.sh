#!/bin/bash
# Runs Script-Fu files in a real, headless GIMP 2.10 that sees the plug-in from the build folder.
#
# usage: run-gimp-test.sh PLUGIN_DIR WORK_DIR SCRIPT.scm...
#   PLUGIN_DIR  folder holding the built `vkstyle` plug-in executable
#   WORK_DIR    scratch folder; gets profile/ (a throw-away GIMP2_DIRECTORY) and gimp.log
#   SCRIPT.scm  each is loaded as its own batch command (-b), in order; a failing one does not
#               stop the next, so a later script can inspect what an earlier one left behind
# environment:
#   EXPECT_ERROR  extended regex: the log must contain it (for tests of failures); other
#                 errors are then tolerated, since the expected one produces several lines
#   VKSTYLE_VALIDATE=1 and the like pass through to the plug-in; any vkstyle-WARNING or
#                 vkstyle-CRITICAL in the log fails the test
# Exit status: 0 pass, 1 fail, 77 skip (no gimp-console-2.10).
#
# GIMP exits 0 even when a batch command failed, hence the log checks.
set -u

if [ $# -lt 3 ]; then
  echo "usage: $0 PLUGIN_DIR WORK_DIR SCRIPT.scm..." >&2
  exit 1
fi
plugin_dir=$(cd "$1" && pwd) || exit 1
work=$(cd "$2" && pwd) || exit 1
shift 2

gimp=${GIMP_CONSOLE:-gimp-console-2.10}
if ! command -v "$gimp" >/dev/null 2>&1; then
  echo "SKIP: $gimp not found (Debian package gimp)"
  exit 77
fi
if [ ! -x "$plugin_dir/vkstyle" ]; then
  echo "FAIL: no plug-in executable $plugin_dir/vkstyle"
  exit 1
fi

# The system plug-in folder must stay in the path, or file-png-load/save and friends vanish.
gimplibdir=$(pkg-config --variable=gimplibdir gimp-2.0 2>/dev/null)
system_plugins=${gimplibdir:-/usr/lib/gimp/2.0}/plug-ins

export GIMP2_DIRECTORY="$work/profile"
# Messages in English whatever the tester's locale: the tests grep for them.
export LANG=C LC_ALL=C LANGUAGE=C
unset DISPLAY
# GIMP itself warns at exit (GEGL buffer cache); fatal warnings would crash it. Our own warnings
# (G_LOG_DOMAIN "vkstyle", e.g. Vulkan validation messages with VKSTYLE_VALIDATE=1) are caught
# in the log below instead.
unset G_DEBUG

# Let GIMP create a complete profile first; a gimprc written before that would be the only file.
if [ ! -f "$GIMP2_DIRECTORY/pluginrc" ]; then
  timeout 300 "$gimp" -i -d -f -b '(gimp-quit 0)' >"$work/profile.log" 2>&1
  printf '(plug-in-path "%s:%s")\n' "$system_plugins" "$plugin_dir" >>"$GIMP2_DIRECTORY/gimprc"
fi

batch=()
for script in "$@"; do
  script=$(cd "$(dirname "$script")" && pwd)/$(basename "$script")
  batch+=(-b "(load \"$script\")")
done

log="$work/gimp.log"
timeout "${VKSTYLE_GIMP_TIMEOUT:-900}" "$gimp" -i -d -f "${batch[@]}" -b '(gimp-quit 0)' \
  >"$log" 2>&1
status=$?
if [ $status -ne 0 ]; then
  echo "FAIL: $gimp exited with status $status; log:"
  cat "$log"
  exit 1
fi
if grep -q "plug-in-vkstyle.*not found\|unbound variable: plug-in-vkstyle" "$log"; then
  echo "FAIL: GIMP did not register plug-in-vkstyle from $plugin_dir; log:"
  cat "$log"
  exit 1
fi
if grep -Eq "vkstyle-(WARNING|CRITICAL)" "$log"; then
  echo "FAIL: the plug-in or the engine warned; log:"
  cat "$log"
  exit 1
fi
# GIMP starts a fresh profile by querying every plug-in it has; one of Debian's file loaders that
# fails to start under load ("Unable to run plug-in "file-rawtherapee"") is not this test's error.
if [ -n "${EXPECT_ERROR:-}" ]; then
  if ! grep -Eq "$EXPECT_ERROR" "$log"; then
    echo "FAIL: expected an error matching /$EXPECT_ERROR/; log:"
    cat "$log"
    exit 1
  fi
elif grep -v 'Unable to run plug-in "file-' "$log" | grep -Eq "execution error|Error"; then
  echo "FAIL: a batch command failed; log:"
  cat "$log"
  exit 1
fi
exit 0
