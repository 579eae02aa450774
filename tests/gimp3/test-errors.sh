#!/bin/bash
# gimp-errors (GIMP 3): a corrupt model file, an unknown style name and an out-of-range argument
# each make the call fail with a message a person understands, and leave the image bit-identical
# (same pixels, same single layer, not dirty). The first two are called from Python-Fu, which
# sees the failure and goes on to check the image; the range check is GIMP's own, from Script-Fu,
# and ends GIMP with status 70 as a failed script does.
source "$(dirname "$0")/../gimp/common.sh"

# A header length far past the end of the file, then junk.
printf '\377\377\377\0\0\0\0\0{"junk' >"$work/corrupt.safetensors"

scheme make.scm <<SCM
(let* ((image (vks-new-image 67 45 RGB)))
  (vks-save image "$work/in.png")
  (gimp-image-delete image))
SCM
run_gimp "$work/make.scm"

cat >"$work/calls.py" <<PY
exec(open("$flavour_dir/helpers.py").read())
for name, model in (("corrupt", "$work/corrupt.safetensors"), ("unknown", "no-such-style")):
    image = vks_load("$work/in.png")
    image.clean_all()
    status, message = vks_apply(image, model)
    print("vkstyle-test %s: status %s: %s" % (name, status.value_nick, message))
    assert status != Gimp.PDBStatusType.SUCCESS, name + ": the call succeeded"
    vks_check_untouched(image, "$work/after-%s.png" % name)
print("vkstyle-test: checks done")
PY
# GIMP logs each failure ("Calling error for procedure"); the script goes on and GIMP exits 0
EXPECT_ERROR="error for procedure 'plug-in-vkstyle'" EXPECT_STATUS=0 run_gimp "$work/calls.py"
log=$work/gimp.log
grep -q "vkstyle-test: checks done" "$log" || fail "the checks did not run (log: $log)"
grep -q "vkstyle-test corrupt: status execution-error: Could not use this style model" "$log" ||
  fail "no understandable message for the corrupt model (log: $log)"
grep -q "vkstyle-test unknown: status execution-error: No style model named .no-such-style. was found" \
  "$log" || fail "no message for the unknown style name (log: $log)"
for name in corrupt unknown; do
  expect_identical "$work/in.png" "$work/after-$name.png" "$name: a failed call changed the pixels"
done

scheme range.scm <<SCM
(let* ((image (vks-load "$work/in.png")))
  (vks-apply image "$model" 150 1.0 0))
SCM
EXPECT_ERROR="value 150.0* out of range: 0.0* to 100.0*" run_gimp "$work/range.scm"
echo "PASS"
