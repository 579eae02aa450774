#!/usr/bin/env bash
# README command 2: installs what is missing, builds in build-test/ and runs the whole suite
# (validation layers on), then the C unit tests again under ASan + UBSan (build-asan/); on
# Debian 12 then the whole suite once more in a Debian 13 root (scripts/debian13-root.sh: GIMP 3,
# Mesa 25, json-glib 1.10, newer validation layers; build-d13/). Prints "N passed, N failed[,
# N skipped]" over all runs' meson results. A Debian 13 root that cannot be made (no debootstrap,
# no network) counts as a failure; VKSTYLE_SKIP_DEBIAN13=1 leaves it out, counted as skipped.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
bash scripts/install-deps.sh || exit 1
if [ -d build-test ]; then
  meson setup --reconfigure build-test >/dev/null || exit 1
else
  meson setup build-test >/dev/null || exit 1
fi
ninja -C build-test || exit 1
meson test -C build-test --num-processes 2 --print-errorlogs
status=$?
# The C unit tests once more under AddressSanitizer + UndefinedBehaviorSanitizer (issue 7).
bash scripts/sanitize-test.sh || status=1
logs=(build-test/meson-logs/testlog.json build-asan/meson-logs/sanitize*.json)

# The whole suite again in a Debian 13 root, from a Debian 12 host (on Debian 13 the run above
# already was that).
d13=none
release=$(. /etc/os-release 2>/dev/null && echo "${VERSION_ID:-}")
if [ "$release" = 12 ]; then
  if [ "${VKSTYLE_SKIP_DEBIAN13:-}" = 1 ]; then
    echo "Debian 13 root: left out (VKSTYLE_SKIP_DEBIAN13=1)"
    d13=skipped
  else
    d13_log=build-d13/build/meson-logs/testlog.json
    rm -f "$d13_log"
    start=$SECONDS
    bash scripts/debian13-root.sh test || status=1
    echo "Debian 13 root: $((SECONDS - start)) s"
    if [ -s "$d13_log" ]; then
      logs+=("$d13_log")
    else
      echo "Debian 13 root: no test results (the root or its build failed, see above)"
      d13=failed
      status=1
    fi
  fi
fi
python3 - "$d13" "${logs[@]}" <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
# A Debian 13 run that could not happen counts as one failed (or, when left out, skipped) test.
if sys.argv[1] in ("failed", "skipped"):
    counts[sys.argv[1]] += 1
for path in sys.argv[2:]:
    for line in open(path):
        r = json.loads(line)["result"]
        key = {"OK": "passed", "EXPECTEDFAIL": "passed", "SKIP": "skipped"}.get(r, "failed")
        counts[key] += 1
line = "%d passed, %d failed" % (counts["passed"], counts["failed"])
if counts["skipped"]:
    line += ", %d skipped" % counts["skipped"]
print(line)
PY
exit $status
