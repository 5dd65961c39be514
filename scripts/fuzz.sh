#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for the given seconds each (default 60).
# Usage: scripts/fuzz.sh [seconds]
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for target in $(cargo +nightly fuzz list --fuzz-dir fuzz); do
    echo "== fuzz target $target for ${seconds}s"
    status=0
    cargo +nightly fuzz run --fuzz-dir fuzz "$target" -- -max_total_time="$seconds" >"$log" 2>&1 || status=$?
    # libFuzzer's last status line, its summary, and any failure.
    grep -E '^#[0-9]+' "$log" | tail -n 1 || true
    grep -E '^Done|ERROR|panicked|SUMMARY|Test unit written' "$log" || true
    if [ "$status" -ne 0 ]; then
        tail -n 40 "$log"
        echo "fuzz target $target failed (exit $status)" >&2
        exit "$status"
    fi
done
