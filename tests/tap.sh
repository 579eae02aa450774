# TAP helpers for the shell tests, sourced after they set $work (a scratch folder):
#   check NAME COMMAND...           ok when COMMAND succeeds (its output as # comments)
#   expect STATUS PATTERN COMMAND...  the command exits with STATUS and stderr matches PATTERN
# A test ends with: echo "1..$count"; [ "$failed" -eq 0 ]
count=0
failed=0
check () {
  name=$1; shift
  count=$((count + 1))
  if "$@" >"$work/log" 2>&1; then
    echo "ok $count - $name"; sed 's/^/# /' "$work/log"
  else
    failed=$((failed + 1)); echo "not ok $count - $name"; sed 's/^/#   /' "$work/log"
  fi
}
expect () {
  want=$1; pattern=$2; shift 2
  "$@" >/dev/null 2>"$work/err"
  got=$?
  [ "$got" -eq "$want" ] && grep -q -- "$pattern" "$work/err" && return 0
  echo "exit $got, stderr:"; cat "$work/err"; return 1
}
