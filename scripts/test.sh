#!/usr/bin/env bash
# README command 2: installs what is missing, builds in build-test/ and runs the whole suite
# (validation layers on), then the C unit tests again under ASan + UBSan (build-asan/), and
# prints "N passed, N failed[, N skipped]" from both runs' meson results.
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
python3 - build-test/meson-logs/testlog.json build-asan/meson-logs/sanitize*.json <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
for path in sys.argv[1:]:
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
