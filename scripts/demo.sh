#!/usr/bin/env bash
# The offline demo: a local COS-compatible server on a free loopback port with throwaway
# credentials, a pre-signed upload of a temporary file, a pre-signed download, and a byte
# check, each step and URL printed. Extra arguments go to `cos-sign demo` (e.g. --size 100000000).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release --quiet -p cos-sign-cli --bin cos-sign -- demo "$@"
