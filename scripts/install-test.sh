#!/usr/bin/env bash
# The install lines of the README, as a new user runs them, plus what publishing needs:
#   1. `cargo package --workspace` (every crate packs and builds from its package; unpublished
#      workspace siblings are resolved locally by cargo's workspace packaging, cargo >= 1.90);
#   2. the Rust examples of the crate READMEs compile and run;
#   3. `cargo install --path crates/cos-sign-cli` into a fresh CARGO_INSTALL_ROOT, then the
#      installed `cos-sign` works;
#   4. `pip install ./crates/cos-sign-py` (PEP 517 through maturin) into a fresh venv, then the
#      module gives qcloud_cos's answer byte for byte;
#   5. `maturin sdist`, then `pip install` of that sdist into another fresh venv, same check.
# Builds reuse the workspace target dir (CARGO_TARGET_DIR) to stay fast. Needs the test venv
# (.venv, from scripts/venv.sh) for maturin and for qcloud_cos as the reference.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
step() { printf '\n--> %s\n' "$*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x .venv/bin/python ] || bash scripts/venv.sh

step "cargo package --workspace"
# Cargo verifies each package against the others through a local registry at a fixed path
# (target/package/tmp-registry). Like any registry crate, a name-version is unpacked under
# $CARGO_HOME/registry/src and built once: cargo does not unpack or build it again when it finds
# it there, so a second run on the same path would build against the sources of the first.
# Our crates are not on crates.io: drop every unpacked copy, and every build of one.
# the published crates (each checked below), then the workspace's one unpublished package
published=(cos-sign-core cos-sign-std cos-sign-qcloud cos-sign-http cos-sign-server cos-sign-cli cos-sign-py)
for c in "${published[@]}" cos-sign-benches; do
  rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$c"-[0-9]*
done
for d in "$CARGO_TARGET_DIR"/debug/deps/cos_sign_*-*.d; do
  [ -e "$d" ] && grep -q '/registry/src/' "$d" || continue
  h=${d%.d}; h=${h##*-}
  rm -rf "$CARGO_TARGET_DIR"/debug/deps/*-"$h".* "$CARGO_TARGET_DIR"/debug/deps/*-"$h" \
    "$CARGO_TARGET_DIR"/debug/.fingerprint/*-"$h"
done
cargo package --workspace --allow-dirty
for c in "${published[@]}"; do
  list=$(tar tzf "$CARGO_TARGET_DIR/package/$c-0.1.0.crate")
  for f in README.md LICENSE-MIT LICENSE-APACHE; do
    grep -qx "$c-0.1.0/$f" <<<"$list" || { echo "$c: $f missing from the package"; exit 1; }
  done
  if grep -q 'example\.invalid' "$CARGO_TARGET_DIR/package/$c-0.1.0/Cargo.toml"; then
    echo "$c: placeholder URL in Cargo.toml"; exit 1
  fi
done

step "the Rust examples of the crate READMEs compile and run"
ex=$tmp/readme-examples
mkdir -p "$ex/examples"
cat >"$ex/Cargo.toml" <<EOF
[package]
name = "readme-examples"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
cos-sign-core = { path = "$root/crates/cos-sign-core" }
cos-sign-std = { path = "$root/crates/cos-sign-std" }
cos-sign-qcloud = { path = "$root/crates/cos-sign-qcloud" }
cos-sign-http = { path = "$root/crates/cos-sign-http" }
cos-sign-server = { path = "$root/crates/cos-sign-server" }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
reqwest = { version = "0.12", default-features = false, features = ["rustls-tls"] }

[workspace]
EOF
cp Cargo.lock "$ex/Cargo.lock"
mkdir -p "$ex/src" && echo 'fn main() {}' >"$ex/src/main.rs"
for c in core std qcloud http server; do
  awk '/^```rust$/{on=1; next} /^```$/{if(on){exit}} on' "crates/cos-sign-$c/README.md" >"$ex/examples/$c.rs"
  [ -s "$ex/examples/$c.rs" ] || { echo "crates/cos-sign-$c/README.md: no rust example"; exit 1; }
done
for c in core std qcloud http server; do
  (cd "$ex" && cargo run --quiet --example "$c")
done

step "cargo install --path crates/cos-sign-cli (fresh CARGO_INSTALL_ROOT)"
CARGO_INSTALL_ROOT=$tmp/cargo-root cargo install --locked --path crates/cos-sign-cli
bin=$tmp/cargo-root/bin/cos-sign
"$bin" --version
"$bin" demo --size 100000 >"$tmp/demo.txt"
grep -q "demo succeeded" "$tmp/demo.txt"
# The shell example of crates/cos-sign-cli/README.md, on a free port, with the installed binary.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
awk '/^## Example/{sec=1} sec && /^```sh$/{on=1; next} on && /^```$/{exit} on' crates/cos-sign-cli/README.md \
  | sed "s/127.0.0.1:9000/127.0.0.1:$port/g" >"$tmp/cli-example.sh"
grep -q "cos-sign presign" "$tmp/cli-example.sh"
(cd "$tmp" && env -u COS_SECRET_ID -u COS_SECRET_KEY PATH="$tmp/cargo-root/bin:$PATH" bash -e cli-example.sh) >"$tmp/cli-example.out"
grep -qx "hello" "$tmp/cli-example.out"
grep -q '"url":"https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/hello.txt?q-sign-algorithm=sha1' "$tmp/cli-example.out"

# The reference: qcloud_cos 1.9.44 (test venv), at a fixed time.
check_py() {
  local py=$1 mod=$2
  "$py" - "$mod" <<'EOF'
import sys, importlib
from unittest import mock
m = importlib.import_module(sys.argv[1])
with mock.patch("time.time", return_value=1700000000.0):
    c = m.CosS3Client(m.CosConfig(Region="ap-guangzhou", SecretId="AKIDexample", SecretKey="secretkey"))
    print(c.get_presigned_url(Method="PUT", Bucket="examplebucket-1250000000", Key="dir/a b.txt", Expired=300,
                              Headers={"Content-Type": "text/plain"}))
    print(c.get_auth(Method="GET", Bucket="examplebucket-1250000000", Key="k", Params={"x": "1"}))
EOF
}
check_py .venv/bin/python qcloud_cos >"$tmp/reference.txt"

step "pip install ./crates/cos-sign-py (fresh venv; PEP 517 through maturin)"
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --upgrade pip
"$tmp/venv/bin/pip" install ./crates/cos-sign-py 2>&1 | tail -3
check_py "$tmp/venv/bin/python" cos_sign >"$tmp/installed.txt"
diff "$tmp/reference.txt" "$tmp/installed.txt"
"$tmp/venv/bin/python" -c 'import importlib.metadata as m; d = m.metadata("cos-sign"); assert "Homepage, https://github.com/cos-sign/cos-sign" in d.get_all("Project-URL"), d.get_all("Project-URL"); assert d["Description-Content-Type"].startswith("text/markdown"), d["Description-Content-Type"]'

step "maturin sdist, then pip install of the sdist (fresh venv)"
.venv/bin/maturin sdist -m crates/cos-sign-py/Cargo.toml -o "$tmp/sdist"
python3 -m venv "$tmp/venv-sdist"
"$tmp/venv-sdist/bin/pip" install --quiet --upgrade pip
"$tmp/venv-sdist/bin/pip" install "$tmp"/sdist/cos_sign-*.tar.gz 2>&1 | tail -3
check_py "$tmp/venv-sdist/bin/python" cos_sign >"$tmp/from-sdist.txt"
diff "$tmp/reference.txt" "$tmp/from-sdist.txt"

step "install test passed"
