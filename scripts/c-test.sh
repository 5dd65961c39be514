#!/usr/bin/env bash
# The C API (crates/cos-sign-c) on the host and on a Cortex-M4:
#   - fmt and clippy of the crate; include/cos_sign.h equals what cbindgen generates now
#   - the host C test (crates/cos-sign-c/tests/test_c_api.c) built with the system cc,
#     -fsanitize=address,undefined -Wall -Wextra -Werror: every vector of signatures.json and
#     post-policy.json, and the error paths (NULL, short buffers, invalid UTF-8, too many
#     headers and params)
#   - the same test built by a CMake project that adds crates/cos-sign-c/CMakeLists.txt
#   - examples/c-firmware: C with arm-none-eabi-gcc and newlib linking the library built for
#     thumbv7em-none-eabihf, run under qemu-system-arm -M mps2-an386 with semihosting; its
#     doc-put-no-date Authorization equals the vector, its pre-signed query equals
#     qcloud_cos's (examples/firmware/presign_oracle.py), .text and stack within limits
# Installs what is missing: apt packages (cc, cmake, gcc-arm-none-eabi, newlib, qemu), the
# rustup target, cbindgen (cargo install, pinned), the test venv.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
C=$ROOT/crates/cos-sign-c
FW=$ROOT/examples/c-firmware
OUT=$ROOT/target/c
export CARGO_TARGET_DIR=$OUT
TARGET=thumbv7em-none-eabihf
CBINDGEN_VERSION=0.29.4
# The firmware's whole .text (newlib's printf and semihosting included) and the part of it
# that comes from libcos_sign_c.a.
TEXT_MAX=$((48 * 1024))
LIB_TEXT_MAX=$((24 * 1024))
STACK_MAX=$((4 * 1024))
SUITE=c-test
# shellcheck source=lib/common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source=lib/firmware-checks.sh
. "$ROOT/scripts/lib/firmware-checks.sh"

# --- what the test needs --------------------------------------------------------------
need_packages "cc gcc libc6-dev" "cmake cmake" "arm-none-eabi-gcc gcc-arm-none-eabi" \
  "/usr/lib/arm-none-eabi/newlib/thumb/v7e-m+fp/hard/librdimon_nano.a libnewlib-arm-none-eabi" \
  "qemu-system-arm qemu-system-arm"
need_rust_target "$C" "$TARGET"
need_cargo_tool cbindgen cbindgen "$CBINDGEN_VERSION"
need_venv

# --- the crate ------------------------------------------------------------------------
if (cd "$C" && cargo fmt --check && cargo clippy --release --locked -- -D warnings \
    && cargo clippy --release --locked --target "$TARGET" -- -D warnings); then
  pass "cos-sign-c: fmt and clippy (host, $TARGET)"
else
  fail "cos-sign-c: fmt or clippy"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if (cd "$C" && cbindgen --config cbindgen.toml --crate cos-sign-c --output "$tmp/cos_sign.h" \
    --quiet) && diff -u "$C/include/cos_sign.h" "$tmp/cos_sign.h"; then
  pass "include/cos_sign.h is what cbindgen $CBINDGEN_VERSION generates"
else
  fail "include/cos_sign.h is stale: regenerate with (cd crates/cos-sign-c && cbindgen --config cbindgen.toml --crate cos-sign-c --output include/cos_sign.h)"
fi

# --- host: the C test with sanitizers --------------------------------------------------
python3 "$C/tests/gen_vectors.py" "$C/tests/data" "$tmp/vectors.h" || { fail "gen_vectors.py"; finish; }
if (cd "$C" && cargo build --release --locked) \
  && cc -std=c11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
       -fno-omit-frame-pointer -Wall -Wextra -Werror -I"$C/include" -I"$tmp" \
       "$C/tests/test_c_api.c" "$OUT/release/libcos_sign_c.a" -o "$tmp/test_c_api"; then
  if "$tmp/test_c_api"; then
    pass "host C test (cc, ASan+UBSan)"
  else
    fail "host C test (cc, ASan+UBSan)"
  fi
else
  fail "build of the host C test"
fi

if cmake -S "$C/tests" -B "$tmp/cmake" -DVECTORS_DIR="$tmp" \
     -DCOS_SIGN_CARGO_TARGET_DIR="$OUT" >/dev/null \
   && cmake --build "$tmp/cmake" >/dev/null && "$tmp/cmake/test_c_api"; then
  pass "CMake project with add_subdirectory(crates/cos-sign-c): builds and passes"
else
  fail "CMake project with add_subdirectory(crates/cos-sign-c)"
fi

# --- Cortex-M4: C firmware under QEMU ----------------------------------------------------
LIB=$OUT/$TARGET/release/libcos_sign_c.a
ELF=$OUT/c-firmware.elf
MAP=$OUT/c-firmware.map
ARCH=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16)
if (cd "$C" && cargo build --release --locked --target "$TARGET") \
  && arm-none-eabi-gcc "${ARCH[@]}" -std=c11 -Os -ffunction-sections -fdata-sections \
       -Wall -Wextra -Werror -I"$C/include" "$FW/main.c" "$FW/startup.c" "$LIB" \
       -nostartfiles --specs=nano.specs --specs=rdimon.specs -T "$FW/link.ld" \
       -Wl,--gc-sections -Wl,-Map="$MAP" -o "$ELF"; then
  pass "C firmware built (arm-none-eabi-gcc, newlib-nano, libcos_sign_c.a for $TARGET)"
else
  fail "C firmware build"
  finish
fi
arm-none-eabi-size -A "$ELF" | grep -E '^\.(vectors|text|rodata|data|bss) '

fw_run c-firmware qemu-system-arm -machine mps2-an386 -cpu cortex-m4
if [ "$rc" -eq 0 ] && [ "$(fw_field result)" = ok ]; then
  pass "C firmware ran to the end and exited through semihosting"
else
  fail "C firmware: exit $rc, result '$(fw_field result)'"
fi
# The same requests and time as examples/firmware (see main.c).
fw_check_texts "C firmware"
text=$(python3 "$ROOT/examples/firmware/elf_size.py" "$ELF" .text)
lib_text=$(python3 "$FW/map_text.py" "$MAP" libcos_sign_c.a)
echo "text: ${text:-?} bytes in all (limit $TEXT_MAX), ${lib_text:-?} from libcos_sign_c.a (limit $LIB_TEXT_MAX)"
if [ -n "$text" ] && [ "$text" -le "$TEXT_MAX" ] && [ -n "$lib_text" ] && [ "$lib_text" -gt 0 ] \
   && [ "$lib_text" -le "$LIB_TEXT_MAX" ]; then
  pass "C firmware: .text $text <= $TEXT_MAX, library .text $lib_text <= $LIB_TEXT_MAX"
else
  fail "C firmware: .text ${text:-?} / library ${lib_text:-?}"
fi
fw_check_stack "C firmware" "$STACK_MAX"

finish
