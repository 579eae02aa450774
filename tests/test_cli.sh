#!/bin/sh
# End-to-end test of the vkstyle command line: exit codes, messages, image formats, atomic output.
# Usage: test_cli.sh VKSTYLE MODEL IMAGE_HELPER
#   VKSTYLE       the built vkstyle binary
#   MODEL         a small valid generator checkpoint (.safetensors)
#   IMAGE_HELPER  the built tests/image_helper (makes and inspects test images with GEGL)
# Output is TAP (one "ok N - check" line per check, then the plan) for meson's protocol 'tap';
# exits 1 if anything failed.
set -u

if [ $# -ne 3 ]; then
  echo "usage: $0 VKSTYLE MODEL IMAGE_HELPER" >&2
  exit 2
fi
vkstyle=$1
model=$2
helper=$3
for program in "$vkstyle" "$helper"; do
  [ -x "$program" ] || { echo "Bail out! $program is not an executable"; exit 1; }
done
[ -f "$model" ] || { echo "Bail out! model $model not found"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vkstyle-cli-test.XXXXXX") || exit 1
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT INT TERM
out=$work/out
mkdir "$out"
passed=0
failed=0

count=0
pass () { passed=$((passed + 1)); count=$((count + 1)); echo "ok $count - $1"; }
fail () {
  failed=$((failed + 1)); count=$((count + 1)); echo "not ok $count - $1"; shift
  for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
}
skip () { count=$((count + 1)); echo "ok $count - $1 # SKIP $2"; }

# run CMD...: runs it with stdout/stderr captured in $work/stdout and $work/stderr; sets $status.
run () {
  "$@" >"$work/stdout" 2>"$work/stderr"
  status=$?
}
stderr_text () { cat "$work/stderr"; }

# expect_status NAME CODE: checks the last run's exit status.
expect_status () {
  if [ "$status" -eq "$2" ]; then pass "$1"; else fail "$1" "exit status $status, expected $2" "stderr: $(stderr_text)"; fi
}

# expect_error NAME CODE PATTERN: exit status CODE and stderr matching PATTERN (grep -Ei).
expect_error () {
  if [ "$status" -ne "$2" ]; then
    fail "$1" "exit status $status, expected $2" "stderr: $(stderr_text)"
  elif ! grep -Eiq -- "$3" "$work/stderr"; then
    fail "$1" "stderr does not match /$3/" "stderr: $(stderr_text)"
  else
    pass "$1"
  fi
}

# expect_clean_output_dir NAME: nothing in $out but the files named after NAME (no temp files).
expect_no_files () {
  leftovers=$(ls -A "$out")
  if [ -z "$leftovers" ]; then pass "$1"; else fail "$1" "left behind: $leftovers"; fi
}

# expect_success NAME: exit 0 and nothing on stderr (so also no validation-layer message).
expect_success () {
  if [ "$status" -ne 0 ]; then
    fail "$1" "exit status $status" "stderr: $(stderr_text)"
  elif [ -s "$work/stderr" ]; then
    fail "$1" "unexpected stderr: $(stderr_text)"
  else
    pass "$1"
  fi
}

# expect_info NAME FILE "WxH FORMAT"
expect_info () {
  got=$("$helper" info "$2" 2>&1)
  if [ "$got" = "$3" ]; then pass "$1"; else fail "$1" "got '$got', expected '$3'"; fi
}

# expect_alpha_unchanged NAME A B
expect_alpha_unchanged () {
  got=$("$helper" compare "$2" "$3" 2>&1)
  case $got in
    *" a=0") pass "$1" ;;
    *) fail "$1" "difference per channel (1/65535): $got" ;;
  esac
}

make_image () {
  "$helper" make "$@" || { echo "image_helper make $* failed" >&2; exit 1; }
}

make_image "$work/rgb.png" 37 23 "R'G'B' u8"
make_image "$work/rgba.png" 33 17 "R'G'B'A u8"
make_image "$work/rgba16.png" 19 21 "R'G'B'A u16"
make_image "$work/rgb16.png" 20 12 "R'G'B' u16"
make_image "$work/gray.png" 18 14 "Y' u8"
make_image "$work/graya16.png" 15 9 "Y'A u16"
make_image "$work/one.png" 1 1 "R'G'B'A u8"
make_image "$work/photo.jpg" 40 30 "R'G'B' u8"
make_image "$work/deep.tif" 16 16 "R'G'B'A u16"
"$helper" huge-png "$work/huge.png" 50000 50000 || exit 1
printf 'this is not an image\n' >"$work/text.png"
head -c 300 "$work/photo.jpg" >"$work/truncated.jpg"
printf 'not a checkpoint' >"$work/corrupt.safetensors"
model_size=$(wc -c <"$model")
head -c $((model_size / 2)) "$model" >"$work/truncated.safetensors"

# --- usage errors: exit 2 ---
run "$vkstyle"; expect_status "no command: exit 2" 2
run "$vkstyle" frobnicate; expect_error "unknown command: exit 2" 2 "unknown command"
run "$vkstyle" apply "$work/rgb.png" "$out/x.png"; expect_error "apply without --model: exit 2" 2 "--model"
run "$vkstyle" apply --model "$model" "$work/rgb.png"; expect_error "apply with one file: exit 2" 2 "INPUT and OUTPUT"
run "$vkstyle" apply --model "$model" a.png b.png c.png; expect_status "apply with three files: exit 2" 2
run "$vkstyle" apply --no-such-option; expect_error "unknown option: exit 2" 2 "no-such-option"
run "$vkstyle" bench --model "$model" --size 0; expect_error "bench --size 0: exit 2" 2 "size"
run "$vkstyle" bench --model "$model" --runs nine; expect_status "bench --runs nine: exit 2" 2
run "$vkstyle" devices extra; expect_status "devices with an argument: exit 2" 2
expect_no_files "usage errors write nothing"

# --- help and version: exit 0 on stdout ---
run "$vkstyle" --help; expect_success "--help"
grep -q "apply" "$work/stdout" && pass "--help lists the commands" || fail "--help lists the commands"
run "$vkstyle" apply --help; expect_success "apply --help"
grep -q -- "--model" "$work/stdout" && pass "apply --help shows --model" || fail "apply --help shows --model"
run "$vkstyle" --version; expect_success "--version"
grep -Eq "^vkstyle [0-9]+\.[0-9]+" "$work/stdout" && pass "--version prints the version" || fail "--version prints the version" "$(cat "$work/stdout")"

# --- bad inputs: exit 1 with a message naming the file, nothing written ---
run "$vkstyle" apply --model "$model" "$work/missing.png" "$out/x.png"
expect_error "missing input" 1 "missing\.png: cannot read image: No such file"
run "$vkstyle" apply --model "$model" "$work/text.png" "$out/x.png"
expect_error "input that is not an image" 1 "text\.png: cannot read image"
run "$vkstyle" apply --model "$model" "$work/truncated.jpg" "$out/x.jpg"
expect_error "truncated JPEG (GEGL would hang)" 1 "truncated\.jpg: cannot read image"
run "$vkstyle" apply --model "$model" "$work/huge.png" "$out/x.png"
expect_error "image too large is refused before allocating" 1 "too large"
run "$vkstyle" apply --model "$work/corrupt.safetensors" "$work/rgb.png" "$out/x.png"
expect_error "corrupt model" 1 "corrupt\.safetensors"
run "$vkstyle" apply --model "$work/truncated.safetensors" "$work/rgb.png" "$out/x.png"
expect_error "truncated model" 1 "truncated\.safetensors"
run "$vkstyle" apply --model "$work/no-model.safetensors" "$work/rgb.png" "$out/x.png"
expect_error "missing model" 1 "no-model\.safetensors"
run "$vkstyle" apply --model "$model" "$work/rgb.png" "$out/x.xyz"
expect_error "unknown output extension" 1 "unknown output image format"
run "$vkstyle" apply --model "$model" "$work/rgb.png" "$out/no-extension"
expect_error "output without extension" 1 "extension"
run "$vkstyle" apply --model "$model" "$work/rgb.png" "$work/no/such/dir/x.png"
expect_error "output in a missing folder" 1 "cannot write .*x\.png"
expect_no_files "failed runs leave no file and no temporary file"

# An existing output survives a failed run untouched.
printf 'previous content' >"$out/keep.png"
run "$vkstyle" apply --model "$work/corrupt.safetensors" "$work/rgb.png" "$out/keep.png"
if [ "$status" -eq 1 ] && [ "$(cat "$out/keep.png")" = "previous content" ]; then
  pass "failed run keeps the existing output"
else
  fail "failed run keeps the existing output" "status $status"
fi
rm -f "$out/keep.png"

if [ "$(id -u)" -ne 0 ]; then
  mkdir "$work/readonly"
  chmod a-w "$work/readonly"
  run "$vkstyle" apply --model "$model" "$work/rgb.png" "$work/readonly/x.png"
  expect_error "read-only output folder" 1 "cannot write"
  leftovers=$(ls -A "$work/readonly")
  [ -z "$leftovers" ] && pass "read-only folder stays empty" || fail "read-only folder stays empty" "$leftovers"
else
  skip "read-only output folder" "running as root, permissions are not enforced"
fi

# --- devices ---
VKSTYLE_DEVICE=nope run "$vkstyle" apply --model "$model" "$work/rgb.png" "$out/x.png"
expect_error "VKSTYLE_DEVICE=nope: apply fails" 1 "device"
grep -q "nope" "$work/stderr" && pass "no-device message names the selector" || fail "no-device message names the selector" "$(stderr_text)"
VKSTYLE_DEVICE=nope run "$vkstyle" devices
expect_error "VKSTYLE_DEVICE=nope: devices fails" 1 "nope"
run "$vkstyle" apply --device nope --model "$model" "$work/rgb.png" "$out/x.png"
expect_error "--device nope" 1 "nope"
expect_no_files "no-device runs write nothing"
run "$vkstyle" devices
expect_success "devices"
grep -q '^\* ' "$work/stdout" && pass "devices marks the chosen device" || fail "devices marks the chosen device" "$(cat "$work/stdout")"

# --- round trips: size, channels, bit depth and alpha survive ---
run "$vkstyle" apply --model "$model" "$work/rgb.png" "$out/rgb.png"
expect_success "RGB PNG"
expect_info "RGB PNG keeps size and format" "$out/rgb.png" "37x23 R'G'B' u8"

run "$vkstyle" apply --model "$model" "$work/rgba.png" "$out/rgba.png"
expect_success "RGBA PNG"
expect_info "RGBA PNG keeps its alpha channel" "$out/rgba.png" "33x17 R'G'B'A u8"
expect_alpha_unchanged "RGBA PNG alpha is bit-exact" "$work/rgba.png" "$out/rgba.png"

run "$vkstyle" apply --model "$model" "$work/rgba16.png" "$out/rgba16.png"
expect_success "16-bit RGBA PNG"
expect_info "16-bit RGBA PNG stays 16-bit" "$out/rgba16.png" "19x21 R'G'B'A u16"
expect_alpha_unchanged "16-bit alpha is bit-exact" "$work/rgba16.png" "$out/rgba16.png"

run "$vkstyle" apply --model "$model" "$work/rgb16.png" "$out/rgb16.png"
expect_success "16-bit RGB PNG"
expect_info "16-bit PNG in, 16-bit PNG out" "$out/rgb16.png" "20x12 R'G'B' u16"

run "$vkstyle" apply --model "$model" "$work/gray.png" "$out/gray.png"
expect_success "grey PNG"
expect_info "grey in, grey out" "$out/gray.png" "18x14 Y' u8"

run "$vkstyle" apply --model "$model" "$work/graya16.png" "$out/graya16.png"
expect_success "16-bit grey+alpha PNG"
expect_info "16-bit grey+alpha stays so" "$out/graya16.png" "15x9 Y'A u16"
expect_alpha_unchanged "grey alpha is bit-exact" "$work/graya16.png" "$out/graya16.png"

run "$vkstyle" apply --model "$model" "$work/one.png" "$out/one.png"
expect_success "1x1 image"
expect_info "1x1 image keeps its size" "$out/one.png" "1x1 R'G'B'A u8"

run "$vkstyle" apply --model "$model" "$work/photo.jpg" "$out/photo.png"
expect_success "JPEG in, PNG out"
expect_info "JPEG to PNG keeps the size" "$out/photo.png" "40x30 R'G'B' u8"

run "$vkstyle" apply --model "$model" "$work/rgb.png" "$out/rgb.jpg"
expect_success "PNG in, JPEG out"
expect_info "JPEG output is a JPEG of the same size" "$out/rgb.jpg" "37x23 R'G'B' u8"

run "$vkstyle" apply --model "$model" "$work/deep.tif" "$out/deep.tif"
expect_success "16-bit TIFF with alpha"
expect_info "TIFF keeps 16 bits and alpha" "$out/deep.tif" "16x16 R'G'B'A u16"
expect_alpha_unchanged "TIFF alpha is bit-exact" "$work/deep.tif" "$out/deep.tif"

# Same file as input and output: read fully before it is replaced.
cp "$work/rgba.png" "$out/inplace.png"
run "$vkstyle" apply --model "$model" "$out/inplace.png" "$out/inplace.png"
expect_success "input and output the same file"
expect_alpha_unchanged "in-place alpha is bit-exact" "$work/rgba.png" "$out/inplace.png"

leftovers=$(ls -A "$out" | grep '^\.' || true)
[ -z "$leftovers" ] && pass "no temporary files after successful runs" || fail "no temporary files after successful runs" "$leftovers"

# --- bench ---
run "$vkstyle" bench --model "$model" --size 12 --runs 2
expect_success "bench"
last=$(tail -n 1 "$work/stdout")
echo "$last" | grep -Eq '^median_ms=[0-9]+(\.[0-9]+)?$' && pass "bench ends with median_ms=<number>" || fail "bench ends with median_ms=<number>" "last line: $last"
grep -q '^first_run_ms=' "$work/stdout" && pass "bench reports the warm-up separately" || fail "bench reports the warm-up separately"
[ "$(grep -c '^run [0-9]*:' "$work/stdout")" -eq 2 ] && pass "bench prints one line per run" || fail "bench prints one line per run" "$(cat "$work/stdout")"

echo "1..$count"
echo "# $passed passed, $failed failed"
[ "$failed" -eq 0 ]
