# Sourced by the tests/gimp/test-*.sh scripts: arguments, scratch folder, pixel checks.
#
# Every test takes: PLUGIN_DIR MODEL [CLI]
#   PLUGIN_DIR  build folder with the `vkstyle` plug-in executable, for GIMP 2.10 or GIMP 3
#   MODEL       a style model (.safetensors) the engine can run (small is fine: tests are slow
#               on a CPU device)
#   CLI         optional: the `vkstyle` command line tool, for "same result as the CLI" checks
# Set VKSTYLE_KEEP_TEST_DIR=1 to keep the scratch folder (it is kept anyway when a test fails).

set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ $# -lt 2 ]; then
  echo "usage: $0 PLUGIN_DIR MODEL [CLI]" >&2
  exit 1
fi
plugin_dir=$1
model=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
cli=${3:-}
if [ ! -f "$model" ]; then
  echo "FAIL: no model file $model"
  exit 1
fi

# Which GIMP runs the test: the one whose libgimp the plug-in links (VKSTYLE_GIMP=2.10|3 says it
# instead). GIMP 3 takes tests/gimp3/'s runner and Script-Fu helpers, which have the same names
# as ours, so the test bodies serve both.
gimp_flavour=${VKSTYLE_GIMP:-}
if [ -z "$gimp_flavour" ]; then
  if ldd "$plugin_dir/vkstyle" 2>/dev/null | grep -q 'libgimp-3\.0'; then
    gimp_flavour=3
  else
    gimp_flavour=2.10
  fi
fi
# For the tests that start the real GUI (undo, dialog): its command, profile variable and the
# option that makes -b commands Script-Fu.
case $gimp_flavour in
  3)
    flavour_dir=$(cd "$here/../gimp3" && pwd)
    gimp_gui=gimp-3.0 profile_var=GIMP3_DIRECTORY
    batch_option=--batch-interpreter=plug-in-script-fu-eval
    ;;
  *)
    flavour_dir=$here
    gimp_gui=gimp-2.10 profile_var=GIMP2_DIRECTORY
    batch_option=
    ;;
esac

for tool in convert compare identify; do
  if ! command -v $tool >/dev/null 2>&1; then
    echo "SKIP: ImageMagick's $tool is needed to check pixels (Debian package imagemagick)"
    exit 77
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/vkstyle-gimp-test.XXXXXX")
keep_work=${VKSTYLE_KEEP_TEST_DIR:-}
cleanup () {
  if [ -n "$keep_work" ]; then
    echo "scratch folder kept: $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

fail () {
  echo "FAIL: $*"
  keep_work=1
  exit 1
}

# Writes a Script-Fu file that first loads the helpers; the body comes on stdin.
scheme () {
  { printf '(load "%s/helpers.scm")\n' "$flavour_dir"; cat; } >"$work/$1"
}

run_gimp () {
  "$flavour_dir/run-gimp-test.sh" "$plugin_dir" "$work" "$@"
  local status=$?
  [ $status -eq 77 ] && exit 77
  [ $status -eq 0 ] || fail "GIMP run failed (log: $work/gimp.log)"
}

# Largest difference of any channel between two images, 0..1 (ImageMagick's "peak absolute
# error"). Different sizes are a failure.
peak_error () {
  local out
  out=$(compare -metric PAE "$1" "$2" null: 2>&1)
  case $out in
    *"("*")"*) echo "$out" | sed 's/.*(\(.*\)).*/\1/' ;;
    *) fail "cannot compare $1 and $2: $out" ;;
  esac
}

# FAILs unless peak_error A B <= TOLERANCE.
expect_close () {
  local err
  err=$(peak_error "$1" "$2")
  awk -v e="$err" -v t="$3" 'BEGIN { exit !(e <= t) }' ||
    fail "$(basename "$1") and $(basename "$2") differ by $err (> $3): $4"
}

# Every pixel and channel (alpha included, and colour under zero alpha) equal, at 16 bits.
expect_identical () {
  convert "$1" -depth 16 rgba:"$work/a.raw" || fail "cannot read $1"
  convert "$2" -depth 16 rgba:"$work/b.raw" || fail "cannot read $2"
  cmp -s "$work/a.raw" "$work/b.raw" || fail "$(basename "$1") and $(basename "$2") differ: $3"
}

expect_different () {
  convert "$1" -depth 16 rgba:"$work/a.raw" || fail "cannot read $1"
  convert "$2" -depth 16 rgba:"$work/b.raw" || fail "cannot read $2"
  ! cmp -s "$work/a.raw" "$work/b.raw" || fail "$(basename "$1") equals $(basename "$2"): $3"
}

expect_same_size () {
  local a b
  a=$(identify -format '%wx%h' "$1") b=$(identify -format '%wx%h' "$2")
  [ "$a" = "$b" ] || fail "$(basename "$1") is $a, $(basename "$2") is $b"
}

# The reference result for an input file: the CLI's output on the same image and model.
cli_reference () {
  "$cli" apply --model "$model" "$1" "$2" || fail "the CLI failed on $1"
}

have_cli () {
  [ -n "$cli" ] && [ -x "$cli" ]
}
