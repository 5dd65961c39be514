#!/usr/bin/env bash
# cos-sign for JavaScript (crates/cos-sign-wasm): builds it for wasm32-unknown-unknown,
# generates the bindings with wasm-bindgen (--target nodejs), optimises the .wasm with
# wasm-opt (binaryen) when that makes it smaller, and runs tests/node/test.js under the
# installed node: the shared vectors, the recorded qcloud_cos calls it can express
# (tests/py/binding/data/qcloud_cos-1.9.44.json), the wrapper's checks. Prints the .wasm
# sizes; fails above WASM_MAX.
# Installs what is missing: the rustup target, wasm-bindgen-cli at the crate's wasm-bindgen
# version (cargo install), binaryen and nodejs (apt-get).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
W=$ROOT/crates/cos-sign-wasm
TARGET=wasm32-unknown-unknown
export CARGO_TARGET_DIR=$ROOT/target/wasm
PKG=$CARGO_TARGET_DIR/pkg
WASM_MAX=$((160 * 1024))

SUITE=wasm-test
# shellcheck source=lib/common.sh
. "$ROOT/scripts/lib/common.sh"

# --- what the test needs --------------------------------------------------------------
need_packages "wasm-opt binaryen" "node nodejs"
need_rust_target "$W" "$TARGET"
# The CLI must be the version of the wasm-bindgen crate in the lock file.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print }' "$W/Cargo.lock")
[ -n "$WB_VERSION" ] || { fail "no wasm-bindgen in crates/cos-sign-wasm/Cargo.lock"; finish; }
# (0.2.130's own lock file names a webpki-roots that was withdrawn: need_cargo_tool retries
# without --locked.)
need_cargo_tool wasm-bindgen wasm-bindgen-cli "$WB_VERSION"

# --- build ------------------------------------------------------------------------------
if (cd "$W" && cargo fmt --check && cargo clippy --release --locked --target "$TARGET" -- -D warnings); then
  pass "cos-sign-wasm: fmt and clippy ($TARGET)"
else
  fail "cos-sign-wasm: fmt or clippy"
fi
# tests/alloc.rs on the host: the signing calls' heap allocations, counted.
if (cd "$W" && CARGO_TARGET_DIR=$ROOT/target/wasm-host cargo clippy --release --locked --all-targets -- -D warnings \
    && CARGO_TARGET_DIR=$ROOT/target/wasm-host cargo test --release --locked); then
  pass "cos-sign-wasm: allocation counts on the host (cargo test)"
else
  fail "cos-sign-wasm: cargo test on the host"
fi
if ! (cd "$W" && cargo build --release --locked --target "$TARGET"); then
  fail "cargo build --release --target $TARGET"
  finish
fi
RAW=$CARGO_TARGET_DIR/$TARGET/release/cos_sign_wasm.wasm
rm -rf "$PKG"
# --remove-name-section: the function names (~25 KiB) are for debuggers only. (Not strip = true
# in the profile: that also drops the target_features section wasm-bindgen reads.)
if wasm-bindgen --target nodejs --remove-name-section --out-dir "$PKG" "$RAW"; then
  cp "$W/js/index.js" "$W/js/package.json" "$PKG/"
  pass "wasm-bindgen $WB_VERSION --target nodejs"
else
  fail "wasm-bindgen"
  finish
fi
BG=$PKG/cos_sign_wasm_bg.wasm
size() { stat -c %s "$1"; }
echo "wasm: $(size "$RAW") bytes from rustc, $(size "$BG") after wasm-bindgen"

# --- node --------------------------------------------------------------------------------
echo "node $(node --version)"
# The recorded calls with the Params and Headers dicts as [name, value] pairs: Python keeps
# the dicts' order, JavaScript's JSON.parse would put integer-like names first.
RECORDED=$CARGO_TARGET_DIR/qcloud_cos-1.9.44-pairs.json
python3 - "$ROOT/tests/py/binding/data/qcloud_cos-1.9.44.json" "$RECORDED" <<'PY' \
  || { fail "converting the recorded calls"; finish; }
import json, sys
data = json.load(open(sys.argv[1], encoding="utf-8"))
for case in data["cases"]:
    kw = case.get("kwargs", {})
    for k in ("Params", "Headers"):
        if isinstance(kw.get(k), dict):
            kw[k] = [[n, v] for n, v in kw[k].items()]
json.dump(data, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
PY
node_tests() { node "$W/tests/node/test.js" "$1" "$W/tests/data" "$RECORDED"; }
if node_tests "$PKG"; then
  pass "node tests (wasm-bindgen's .wasm)"
else
  fail "node tests (wasm-bindgen's .wasm)"
fi

# --- size: wasm-opt, kept only when smaller and the tests pass with it -------------------
OPT=$CARGO_TARGET_DIR/pkg-opt
rm -rf "$OPT"
cp -r "$PKG" "$OPT"
# The features rustc's wasm32 target enables by default.
if wasm-opt -Oz --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
     --enable-mutable-globals --enable-reference-types --enable-multivalue \
     -o "$OPT/cos_sign_wasm_bg.wasm" "$BG"; then
  echo "wasm: $(size "$OPT/cos_sign_wasm_bg.wasm") bytes after wasm-opt -Oz ($(wasm-opt --version))"
  if [ "$(size "$OPT/cos_sign_wasm_bg.wasm")" -lt "$(size "$BG")" ] && node_tests "$OPT" >"$OPT.log" 2>&1; then
    rm -rf "$PKG" && mv "$OPT" "$PKG"
    pass "node tests (wasm-opt's .wasm, kept in the package)"
  else
    echo "wasm-opt's .wasm fails the node tests (tail of $OPT.log below) or is not smaller: the package keeps wasm-bindgen's"
    tail -n 3 "$OPT.log" 2>/dev/null
  fi
else
  echo "wasm-opt failed: the package keeps wasm-bindgen's .wasm"
fi
wasm=$(size "$BG")
gz=$(gzip -9 -c "$BG" | wc -c)
echo "wasm: $wasm bytes in the package $PKG ($gz gzipped; limit $WASM_MAX)"
if [ "$wasm" -le "$WASM_MAX" ]; then
  pass ".wasm $wasm <= $WASM_MAX bytes"
else
  fail ".wasm $wasm > $WASM_MAX bytes"
fi

finish
