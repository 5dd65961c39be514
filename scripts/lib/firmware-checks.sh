# Checks of what a firmware printed through semihosting, shared by scripts/riscv-test.sh and
# scripts/c-test.sh (sourced; the caller defines pass/fail, ROOT, and `out`, the output):
#   authorization: <the doc-put-no-date Authorization>
#   presigned-query: <the query after '?' of examples/firmware/presign_oracle.py's URL>
#   stack: N, stack-authorization: N, stack-presigned: N, stack-calibration: N

# The value of a `key: value` line of the output.
fw_field() { printf '%s\n' "$out" | sed -n "s/^$1: //p" | head -n 1; }

# fw_check_texts LABEL: the Authorization against the vector, the query against qcloud_cos.
fw_check_texts() {
  local label=$1 want_auth got_auth want_query got_query
  want_auth=$(python3 - "$ROOT/crates/cos-sign-core/tests/data/signatures.json" <<'PY'
import json, sys
vectors = json.load(open(sys.argv[1], encoding="utf-8"))["vectors"]
print(next(v for v in vectors if v["name"] == "doc-put-no-date")["authorization"])
PY
)
  got_auth=$(fw_field authorization)
  if [ -n "$want_auth" ] && [ "$got_auth" = "$want_auth" ]; then
    pass "$label: doc-put-no-date authorization equals the vector"
  else
    fail "$label: doc-put-no-date authorization"
    echo "  want: $want_auth"
    echo "  got:  $got_auth"
  fi
  want_query=$("$ROOT/.venv/bin/python" "$ROOT/examples/firmware/presign_oracle.py")
  got_query=$(fw_field presigned-query)
  if [ -n "$want_query" ] && [ "$got_query" = "$want_query" ]; then
    pass "$label: pre-signed query equals qcloud_cos get_presigned_url"
  else
    fail "$label: pre-signed query"
    echo "  want: $want_query"
    echo "  got:  $got_query"
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
