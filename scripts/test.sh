#!/usr/bin/env bash
# Runs every test of the workspace on a fresh machine: installs what it needs first
# (toolchain target and components from rust-toolchain.toml, qemu-system-arm, the test venv).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
step() { printf '\n==> %s\n' "$*"; }
start=$(date +%s)

step "toolchain (rust-toolchain.toml)"
rustup show active-toolchain >/dev/null 2>&1 || rustup toolchain install
rustup target add thumbv7em-none-eabihf >/dev/null
rustup component add clippy rustfmt >/dev/null

step "test venv (.venv: qcloud_cos 1.9.44, coscmd 1.9.0.6, boto3 1.44.8, awscli 1.46.3, maturin, pytest, hypothesis)"
bash scripts/venv.sh

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "layout: no module circle, no too_many_arguments waiver outside the binding"
.venv/bin/python scripts/check_layout.py
.venv/bin/python -m pytest -q tests/py/layout

step "cargo test (workspace)"
cargo test --workspace --locked

step "cos-sign-core for thumbv7em-none-eabihf"
cargo build -p cos-sign-core --target thumbv7em-none-eabihf --release --locked

step "firmware under qemu-system-arm (mps2-an386, Cortex-M4)"
(cd examples/firmware && cargo fmt --check && cargo clippy --release --locked -- -D warnings)
bash scripts/firmware-test.sh

step "cos_sign wheel (maturin, abi3) and its tests against the live qcloud_cos"
rm -rf target/wheels-test
.venv/bin/maturin build --release --locked -m crates/cos-sign-py/Cargo.toml -o target/wheels-test
.venv/bin/pip install --quiet --force-reinstall --no-deps target/wheels-test/cos_sign-*.whl
.venv/bin/python -m pytest -q tests/py/binding

step "OpenDAL's COS service, the client of tests/py/server/test_opendal.py (tests/opendal, its own lock file)"
(cd tests/opendal && cargo fmt --check && cargo build --locked)

step "pytest: the official SDK, coscmd, boto3, the AWS CLI, rclone and OpenDAL against the local server"
command -v rclone >/dev/null 2>&1 || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rclone >/dev/null
}
.venv/bin/python -m pytest -q tests/py/server

step "node: the official Node.js SDK (cos-nodejs-sdk-v5 3.0.0) and @aws-sdk/client-s3 3.1175.0 against the local server"
bash scripts/node-sdk-test.sh

step "RISC-V firmware under qemu-system-riscv32 (virt, riscv32imc)"
bash scripts/riscv-test.sh

step "C API: host test (ASan/UBSan), CMake consumer, C firmware under qemu-system-arm"
bash scripts/c-test.sh

step "WebAssembly package under node (vectors, recorded qcloud_cos calls)"
bash scripts/wasm-test.sh

step "headless Chromium: POST Object form and the browser SDK (cos-js-sdk-v5 1.10.1) cross-origin"
command -v chromium >/dev/null 2>&1 || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
}
# The lock file pins the browser SDK and everything under it; no package runs install scripts.
(cd tests/browser-sdk && npm ci --ignore-scripts --no-audit --no-fund)
.venv/bin/python -m pytest -q tests/py/browser

step "install lines, cargo package --workspace, maturin sdist (scripts/install-test.sh)"
bash scripts/install-test.sh

step "done in $(( $(date +%s) - start )) s"
