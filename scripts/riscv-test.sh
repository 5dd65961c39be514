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
SUITE=riscv
FW=$ROOT/examples/riscv-firmware
TARGET=riscv32imc-unknown-none-elf
TEXT_MAX=$((16 * 1024))
STACK_MAX=$((3 * 1024))
export CARGO_TARGET_DIR=$ROOT/target/riscv-firmware
ELF=$CARGO_TARGET_DIR/$TARGET/release/cos-sign-riscv-firmware
# shellcheck source=lib/common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source=lib/firmware-checks.sh
. "$ROOT/scripts/lib/firmware-checks.sh"

# --- what the test needs --------------------------------------------------------------
need_rust_target "$FW" "$TARGET"
need_packages "qemu-system-riscv32 qemu-system-misc"
need_venv

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

# --- run and compare ---------------------------------------------------------------------
fw_run "riscv firmware" qemu-system-riscv32 -machine virt -cpu rv32 -bios none
fw_check_exit
fw_check_texts riscv
fw_check_text_size riscv "$TEXT_MAX"
fw_check_stack riscv "$STACK_MAX"

finish
