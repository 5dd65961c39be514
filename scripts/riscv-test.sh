#!/usr/bin/env bash
# cos-sign-core on RISC-V: builds examples/riscv-firmware for riscv32imc-unknown-none-elf,
# runs it under QEMU (qemu-system-riscv32 -machine virt, semihosting) and checks what it
# prints:
#   - the Authorization of the doc-put-no-date vector (crates/cos-sign-core/tests/data)
#   - a pre-signed query, against the official SDK (examples/firmware/presign_oracle.py:
#     qcloud_cos get_presigned_url, time frozen; the same request as the Cortex-M firmware)
#   - the firmware exits through semihosting SYS_EXIT with success
#   - .text of the release ELF <= 16 KiB, stack high-water mark of signing <= 3 KiB, and the
#     stack measurement reports a known 1024-byte use as 1024 plus a small frame
# Also fmt and clippy of the example. Installs what is missing: the rustup target,
# qemu-system-misc (apt-get), the test venv.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FW=$ROOT/examples/riscv-firmware
TARGET=riscv32imc-unknown-none-elf
TEXT_MAX=$((16 * 1024))
STACK_MAX=$((3 * 1024))
QEMU_TIMEOUT=${QEMU_TIMEOUT:-60}
export CARGO_TARGET_DIR=$ROOT/target/riscv-firmware
ELF=$CARGO_TARGET_DIR/$TARGET/release/cos-sign-riscv-firmware

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok:   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
finish() {
  echo "riscv: $passed passed, $failed failed"
  if [ "$failed" -eq 0 ]; then exit 0; else exit 1; fi
}
# shellcheck source=lib/apt.sh
. "$ROOT/scripts/lib/apt.sh"

# --- what the test needs --------------------------------------------------------------
(cd "$FW" && rustup show active-toolchain >/dev/null) || { fail "no Rust toolchain"; finish; }
(cd "$FW" && rustup target list --installed | grep -qx "$TARGET") \
  || (cd "$FW" && rustup target add "$TARGET") || { fail "rustup target add $TARGET"; finish; }
if ! command -v qemu-system-riscv32 >/dev/null; then
  apt_install qemu-system-misc || { fail "apt-get install qemu-system-misc"; finish; }
fi
if ! .venv/bin/python -c 'import qcloud_cos' 2>/dev/null; then
  scripts/venv.sh || { fail "scripts/venv.sh"; finish; }
fi

# --- build ------------------------------------------------------------------------------
if (cd "$FW" && cargo fmt --check && cargo clippy --release --locked -- -D warnings); then
  pass "riscv-firmware: fmt and clippy"
else
  fail "riscv-firmware: fmt or clippy"
fi
if ! (cd "$FW" && cargo build --release --locked); then
  fail "cargo build --release --target $TARGET in examples/riscv-firmware"
  finish
fi
python3 "$ROOT/examples/firmware/elf_size.py" "$ELF"

# --- run ---------------------------------------------------------------------------------
out=$(timeout "$QEMU_TIMEOUT" qemu-system-riscv32 -machine virt -cpu rv32 -bios none -nographic \
  -semihosting-config enable=on,target=native -kernel "$ELF" </dev/null)
rc=$?
echo "--- riscv firmware output (qemu exit $rc) ---"
printf '%s\n' "$out"
echo "---"
if [ "$rc" -eq 0 ]; then
  pass "firmware exited through semihosting SYS_EXIT with success"
elif [ "$rc" -eq 124 ]; then
  fail "firmware did not exit within ${QEMU_TIMEOUT}s"
else
  fail "firmware exit status $rc"
fi

# --- compare ---------------------------------------------------------------------------
# shellcheck source=lib/firmware-checks.sh
. "$ROOT/scripts/lib/firmware-checks.sh"
fw_check_texts riscv
text=$(python3 "$ROOT/examples/firmware/elf_size.py" "$ELF" .text)
echo "text: ${text:-?} bytes (limit $TEXT_MAX)"
if [ -n "$text" ] && [ "$text" -le "$TEXT_MAX" ]; then
  pass "riscv: .text $text <= $TEXT_MAX bytes"
else
  fail "riscv: .text ${text:-?} > $TEXT_MAX bytes"
fi
fw_check_stack riscv "$STACK_MAX"

finish
