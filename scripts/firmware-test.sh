#!/usr/bin/env bash
# cos-sign-core on a Cortex-M4: builds examples/firmware for thumbv7em-none-eabihf, runs it
# under QEMU (mps2-an386) and checks what it prints through semihosting:
#   - the Authorization of the doc-put-no-date vector (examples/firmware/data/signatures.json)
#   - a pre-signed query, against the official SDK (qcloud_cos get_presigned_url, time frozen)
#   - the firmware exits through SYS_EXIT with success
#   - .text of the release ELF <= 10 KiB, stack high-water mark of signing <= 2 KiB
#   - the stack measurement reports a known 1024-byte use as 1024 plus a small frame
# Installs what is missing: the rustup target, qemu-system-arm (apt-get), the test venv.
# Usage: scripts/firmware-test.sh [--stock-mem]
#   --stock-mem  also builds with compiler-builtins' memcpy/memset (no `compact-mem`
#                feature) and prints that .text size, for comparison (not checked).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FW=$ROOT/examples/firmware
TARGET=thumbv7em-none-eabihf
TEXT_MAX=$((10 * 1024))
STACK_MAX=$((2 * 1024))
QEMU_TIMEOUT=${QEMU_TIMEOUT:-60}
export CARGO_TARGET_DIR=$ROOT/target/firmware
ELF=$CARGO_TARGET_DIR/$TARGET/release/cos-sign-firmware
STOCK_MEM=0
[ "${1:-}" = "--stock-mem" ] && STOCK_MEM=1

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok:   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
finish() {
  echo "firmware: $passed passed, $failed failed"
  if [ "$failed" -eq 0 ]; then exit 0; else exit 1; fi
}
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# --- what the test needs --------------------------------------------------------------
# rustup picks the toolchain of rust-toolchain.toml from the working directory.
(cd "$FW" && rustup show active-toolchain) || { fail "no Rust toolchain"; finish; }
if ! (cd "$FW" && rustup target list --installed | grep -qx "$TARGET"); then
  (cd "$FW" && rustup target add "$TARGET") || { fail "rustup target add $TARGET"; finish; }
fi
if ! command -v qemu-system-arm >/dev/null; then
  as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y qemu-system-arm \
    || { fail "apt-get install qemu-system-arm"; finish; }
fi
if ! .venv/bin/python -c 'import qcloud_cos' 2>/dev/null; then
  scripts/venv.sh || { fail "scripts/venv.sh"; finish; }
fi

# --- build ------------------------------------------------------------------------------
text_size() { python3 "$FW/elf_size.py" "$1" .text; }
if [ "$STOCK_MEM" -eq 1 ]; then
  if (cd "$FW" && CARGO_TARGET_DIR=$ROOT/target/firmware-stock-mem \
      cargo build --release --target "$TARGET" --no-default-features); then
    echo "text-stock-mem: $(text_size "$ROOT/target/firmware-stock-mem/$TARGET/release/cos-sign-firmware") bytes (compiler-builtins' mem routines; not checked)"
  else
    echo "stock-mem build failed (not checked)"
  fi
fi
if ! (cd "$FW" && cargo build --release --target "$TARGET"); then
  fail "cargo build --release --target $TARGET in examples/firmware"
  finish
fi
python3 "$FW/elf_size.py" "$ELF"

# --- run ---------------------------------------------------------------------------------
out=$(timeout "$QEMU_TIMEOUT" qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
  -semihosting-config enable=on,target=native -kernel "$ELF" </dev/null)
rc=$?
echo "--- firmware output (qemu exit $rc) ---"
printf '%s\n' "$out"
echo "---"
field() { printf '%s\n' "$out" | sed -n "s/^$1: //p" | head -n 1; }

if [ "$rc" -eq 0 ]; then
  pass "firmware exited through semihosting SYS_EXIT with success"
elif [ "$rc" -eq 124 ]; then
  fail "firmware did not exit within ${QEMU_TIMEOUT}s"
else
  fail "firmware exit status $rc"
fi

# --- compare ---------------------------------------------------------------------------
want_auth=$(python3 - "$FW/data/signatures.json" <<'EOF'
import json, sys
vectors = json.load(open(sys.argv[1], encoding="utf-8"))["vectors"]
print(next(v for v in vectors if v["name"] == "doc-put-no-date")["authorization"])
EOF
)
got_auth=$(field authorization)
if [ -n "$want_auth" ] && [ "$got_auth" = "$want_auth" ]; then
  pass "doc-put-no-date authorization equals the vector"
else
  fail "doc-put-no-date authorization"
  echo "  want: $want_auth"
  echo "  got:  $got_auth"
fi

want_query=$(.venv/bin/python "$FW/presign_oracle.py")
got_query=$(field presigned-query)
if [ -n "$want_query" ] && [ "$got_query" = "$want_query" ]; then
  pass "pre-signed query equals qcloud_cos get_presigned_url"
else
  fail "pre-signed query"
  echo "  want: $want_query"
  echo "  got:  $got_query"
fi

text=$(text_size "$ELF")
echo "text: ${text:-?} bytes (limit $TEXT_MAX)"
if [ -n "$text" ] && [ "$text" -le "$TEXT_MAX" ]; then
  pass ".text $text <= $TEXT_MAX bytes"
else
  fail ".text ${text:-?} > $TEXT_MAX bytes"
fi

stack=$(field stack)
echo "stack: ${stack:-?} bytes (limit $STACK_MAX; authorization $(field stack-authorization), presigned $(field stack-presigned))"
if [[ "$stack" =~ ^[0-9]+$ ]] && [ "$stack" -le "$STACK_MAX" ]; then
  pass "stack $stack <= $STACK_MAX bytes"
else
  fail "stack ${stack:-?} > $STACK_MAX bytes"
fi

# The method itself: a function that puts a zeroed 1024-byte array on its stack must be
# measured at 1024 bytes plus its frame and the memclr it calls (a few dozen bytes).
cal=$(field stack-calibration)
if [[ "$cal" =~ ^[0-9]+$ ]] && [ "$cal" -gt 1024 ] && [ "$cal" -le 1152 ]; then
  pass "stack measurement calibrated: 1024-byte array measured as $cal bytes"
else
  fail "stack measurement: 1024-byte array measured as ${cal:-?} bytes (want 1025..1152)"
fi

finish
