#!/usr/bin/env bash
# cos-sign-core on a Cortex-M4: builds examples/firmware for thumbv7em-none-eabihf, runs it
# under QEMU (mps2-an386) and checks what it prints through semihosting:
#   - the Authorization of the doc-put-no-date vector (crates/cos-sign-core/tests/data)
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
SUITE=firmware
FW=$ROOT/examples/firmware
TARGET=thumbv7em-none-eabihf
TEXT_MAX=$((10 * 1024))
STACK_MAX=$((2 * 1024))
export CARGO_TARGET_DIR=$ROOT/target/firmware
ELF=$CARGO_TARGET_DIR/$TARGET/release/cos-sign-firmware
STOCK_MEM=0
[ "${1:-}" = "--stock-mem" ] && STOCK_MEM=1
# shellcheck source=lib/common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source=lib/firmware-checks.sh
. "$ROOT/scripts/lib/firmware-checks.sh"

# --- what the test needs --------------------------------------------------------------
need_rust_target "$FW" "$TARGET"
need_packages "qemu-system-arm qemu-system-arm"
need_venv

# --- build ------------------------------------------------------------------------------
if [ "$STOCK_MEM" -eq 1 ]; then
  if (cd "$FW" && CARGO_TARGET_DIR=$ROOT/target/firmware-stock-mem \
      cargo build --release --target "$TARGET" --no-default-features); then
    echo "text-stock-mem: $(python3 "$FW/elf_size.py" "$ROOT/target/firmware-stock-mem/$TARGET/release/cos-sign-firmware" .text) bytes (compiler-builtins' mem routines; not checked)"
  else
    echo "stock-mem build failed (not checked)"
  fi
fi
if ! (cd "$FW" && cargo build --release --target "$TARGET"); then
  fail "cargo build --release --target $TARGET in examples/firmware"
  finish
fi
python3 "$FW/elf_size.py" "$ELF"

# --- run and compare ---------------------------------------------------------------------
fw_run firmware qemu-system-arm -machine mps2-an386 -cpu cortex-m4
fw_check_exit
fw_check_texts firmware
fw_check_text_size firmware "$TEXT_MAX"
fw_check_stack firmware "$STACK_MAX"

finish
