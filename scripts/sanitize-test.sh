#!/usr/bin/env bash
# Builds build-asan/ with AddressSanitizer + UndefinedBehaviorSanitizer and runs the C unit tests
# (meson suite 'unit') under them, then prints a one-line summary. Any sanitizer report fails the
# run: ASan and UBSan stop the test at the first error, LeakSanitizer at exit.
#   scripts/sanitize-test.sh                 the 'unit' suite
#   scripts/sanitize-test.sh checkpoint ops  other meson test arguments instead
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
root=$PWD
dir=build-asan

options=(-Db_sanitize=address,undefined -Db_lundef=false)
if [ -d "$dir" ]; then
  meson setup --reconfigure "$dir" "${options[@]}" >/dev/null || exit 1
else
  meson setup "$dir" "${options[@]}" >/dev/null || exit 1
fi
ninja -C "$dir" >/dev/null || { ninja -C "$dir"; exit 1; }

# The Vulkan loader unloads the driver and the validation layer when an instance is destroyed;
# LeakSanitizer would then see their still-referenced globals as gone and report what those
# globals point to, with unsymbolisable stacks that no suppression can match. Preloading them
# keeps them mapped. With gcc the ASan runtime is a shared library and must come first.
preload=()
probe=$(find "$dir/tests" -maxdepth 1 -name 'test-*' -type f -perm -u+x | head -n 1)
if [ -n "$probe" ]; then
  asan_runtime=$(ldd "$probe" | awk '/libasan\.so/ { print $3; exit }')
  [ -n "$asan_runtime" ] && preload+=("$asan_runtime")
fi
for lib in libvulkan_lvp.so libVkLayer_khronos_validation.so; do
  for libdir in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib; do
    if [ -e "$libdir/$lib" ]; then
      preload+=("$libdir/$lib")
      break
    fi
  done
done
wrapper=()
if [ ${#preload[@]} -gt 0 ]; then
  wrapper=(--wrapper "env LD_PRELOAD=$(IFS=:; echo "${preload[*]}")")
fi

# G_SLICE=always-malloc: GLib's slice allocator would hide leaks and use-after-free of its blocks.
export G_SLICE=always-malloc
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:strict_init_order=1:detect_stack_use_after_return=1
export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

if [ $# -eq 0 ]; then
  set -- --suite unit
fi
# Sanitized code runs several times slower: one test at a time, generous timeouts. meson names
# the log sanitize[-<wrapper>].json.
rm -f "$dir"/meson-logs/sanitize*.json
meson test -C "$dir" --logbase sanitize --num-processes "$(nproc)" --timeout-multiplier 4 --print-errorlogs "${wrapper[@]}" "$@"
status=$?

log=$(ls -t "$dir"/meson-logs/sanitize*.json 2>/dev/null | head -n 1)
[ -n "$log" ] || { echo "sanitizers: no test log (did meson test run?)"; exit 1; }
python3 - "$log" <<'PY'
import json, re, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
reports = {"AddressSanitizer": 0, "LeakSanitizer": 0, "UndefinedBehaviorSanitizer": 0}
for line in open(sys.argv[1]):
    test = json.loads(line)
    key = {"OK": "passed", "EXPECTEDFAIL": "passed", "SKIP": "skipped"}.get(test["result"], "failed")
    counts[key] += 1
    out = (test.get("stdout") or "") + (test.get("stderr") or "")
    reports["AddressSanitizer"] += len(re.findall(r"ERROR: AddressSanitizer", out))
    reports["LeakSanitizer"] += len(re.findall(r"ERROR: LeakSanitizer", out))
    reports["UndefinedBehaviorSanitizer"] += len(re.findall(r"runtime error:", out))
line = "sanitizers: %d passed, %d failed" % (counts["passed"], counts["failed"])
if counts["skipped"]:
    line += ", %d skipped" % counts["skipped"]
line += "; reports: %d ASan, %d LSan, %d UBSan" % tuple(reports.values())
print(line)
PY
exit $status
