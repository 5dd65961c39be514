# Running a firmware under QEMU and checking what it printed through semihosting, shared by
# scripts/firmware-test.sh, riscv-test.sh and c-test.sh (sourced after lib/common.sh):
#   authorization: <the doc-put-no-date Authorization>
#   presigned-query: <the query after '?' of examples/firmware/presign_oracle.py's URL>
#   stack: N, stack-authorization: N, stack-presigned: N, stack-calibration: N

# fw_run LABEL QEMU ARG...: runs `QEMU ARG... -kernel $ELF` with semihosting for at most
# QEMU_TIMEOUT seconds (60 by default); shows the output and sets `out` and `rc`.
fw_run() {
  local label=$1
  shift
  out=$(timeout "${QEMU_TIMEOUT:-60}" "$@" -nographic -semihosting-config enable=on,target=native \
    -kernel "$ELF" </dev/null)
  rc=$?
  echo "--- $label output (qemu exit $rc) ---"
  printf '%s\n' "$out"
  echo "---"
}

# fw_check_exit: the firmware ended through semihosting SYS_EXIT with success.
fw_check_exit() {
  if [ "$rc" -eq 0 ]; then
    pass "firmware exited through semihosting SYS_EXIT with success"
  elif [ "$rc" -eq 124 ]; then
    fail "firmware did not exit within ${QEMU_TIMEOUT:-60}s"
  else
    fail "firmware exit status $rc"
  fi
}

# The value of a `key: value` line of the output.
fw_field() { printf '%s\n' "$out" | sed -n "s/^$1: //p" | head -n 1; }

# fw_check_texts LABEL: the Authorization against the vector, the query against qcloud_cos.
fw_check_texts() {
  local want_auth
  want_auth=$(python3 - "$ROOT/crates/cos-sign-core/tests/data/signatures.json" <<'PY'
import json, sys
vectors = json.load(open(sys.argv[1], encoding="utf-8"))["vectors"]
print(next(v for v in vectors if v["name"] == "doc-put-no-date")["authorization"])
PY
)
  expect_equal "$1: doc-put-no-date authorization equals the vector" \
    "$want_auth" "$(fw_field authorization)"
  expect_equal "$1: pre-signed query equals qcloud_cos get_presigned_url" \
    "$("$ROOT/.venv/bin/python" "$ROOT/examples/firmware/presign_oracle.py")" \
    "$(fw_field presigned-query)"
}

# fw_check_text_size LABEL MAX: the .text of $ELF.
fw_check_text_size() {
  local text
  text=$(python3 "$ROOT/examples/firmware/elf_size.py" "$ELF" .text)
  echo "text: ${text:-?} bytes (limit $2)"
  if [ -n "$text" ] && [ "$text" -le "$2" ]; then
    pass "$1: .text $text <= $2 bytes"
  else
    fail "$1: .text ${text:-?} > $2 bytes"
  fi
}

# fw_check_stack LABEL STACK_MAX: the high-water mark, and the method's calibration (a
# zeroed 1024-byte array must be measured as 1024 bytes, plus at most a small frame).
fw_check_stack() {
  local label=$1 max=$2 stack cal
  stack=$(fw_field stack)
  echo "stack: ${stack:-?} bytes (limit $max; authorization $(fw_field stack-authorization), presigned $(fw_field stack-presigned))"
  if [[ "$stack" =~ ^[0-9]+$ ]] && [ "$stack" -gt 0 ] && [ "$stack" -le "$max" ]; then
    pass "$label: stack $stack <= $max bytes"
  else
    fail "$label: stack ${stack:-?} > $max bytes"
  fi
  cal=$(fw_field stack-calibration)
  if [[ "$cal" =~ ^[0-9]+$ ]] && [ "$cal" -ge 1024 ] && [ "$cal" -le 1152 ]; then
    pass "$label: stack measurement calibrated (1024-byte array measured as $cal)"
  else
    fail "$label: 1024-byte array measured as ${cal:-?} bytes (want 1024..1152)"
  fi
}
