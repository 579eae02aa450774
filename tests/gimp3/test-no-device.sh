#!/bin/bash
# gimp-no-device (GIMP 3): when the Vulkan device asked for does not exist (here through
# VKSTYLE_DEVICE, which "automatic" follows), the call fails with a message saying what to do,
# and the image is left bit-identical. Called from Python-Fu, which goes on after the failure.
source "$(dirname "$0")/../gimp/common.sh"

scheme make.scm <<SCM
(let* ((image (vks-new-image 67 45 RGB)))
  (vks-save image "$work/in.png")
  (gimp-image-delete image))
SCM
run_gimp "$work/make.scm"

cat >"$work/apply.py" <<PY
exec(open("$flavour_dir/helpers.py").read())
image = vks_load("$work/in.png")
image.clean_all()
status, message = vks_apply(image, "$model")
print("vkstyle-test: status %s: %s" % (status.value_nick, message.replace("\n", " ")))
assert status == Gimp.PDBStatusType.EXECUTION_ERROR, "expected an execution error"
vks_check_untouched(image, "$work/after.png")
print("vkstyle-test: checks done")
PY
VKSTYLE_DEVICE=no-such-device-anywhere EXPECT_ERROR="error for procedure 'plug-in-vkstyle'" \
  EXPECT_STATUS=0 run_gimp "$work/apply.py"
log=$work/gimp.log
grep -q "vkstyle-test: checks done" "$log" || fail "the checks did not run (log: $log)"
grep -q "vkstyle-test: status execution-error: .*VKSTYLE_DEVICE" "$log" ||
  fail "the message does not say that VKSTYLE_DEVICE chose the device (log: $log)"
expect_identical "$work/in.png" "$work/after.png" "the failed call changed the pixels"
echo "PASS"
