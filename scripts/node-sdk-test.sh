#!/usr/bin/env bash
# The official Node.js COS SDK (cos-nodejs-sdk-v5, pinned at 3.0.0 in tests/node-sdk's
# package-lock.json) and the AWS SDK for JavaScript v3 (@aws-sdk/client-s3 3.1175.0, SigV4)
# against the local server: builds cos-sign-server with cargo, installs the SDKs with `npm ci`,
# and runs tests/node-sdk/sdk.test.js and s3.test.js under node's test runner (node:test).
# The tests start their own servers (one with --clock-offset 86400) on loopback ports.
# Installs what is missing: nodejs and npm (apt-get).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
T=$ROOT/tests/node-sdk
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

SUITE=node-sdk-test
# shellcheck source=lib/common.sh
. "$ROOT/scripts/lib/common.sh"

# --- what the test needs --------------------------------------------------------------
need_packages "node nodejs" "npm npm"
echo "node $(node --version), npm $(npm --version)"
# The lock file pins the SDK and everything under it; no package of it runs install scripts.
if (cd "$T" && npm ci --ignore-scripts --no-audit --no-fund); then
  pass "npm ci (cos-nodejs-sdk-v5 $(node -p "require('$T/node_modules/cos-nodejs-sdk-v5/package.json').version"))"
else
  fail "npm ci in tests/node-sdk"
  finish
fi

# --- the server ---------------------------------------------------------------------------
if cargo build --locked -p cos-sign-server --bin cos-sign-server; then
  pass "cargo build -p cos-sign-server"
else
  fail "cargo build -p cos-sign-server"
  finish
fi
BIN=$TARGET_DIR/debug/cos-sign-server
[ -x "$BIN" ] || { fail "no $BIN"; finish; }

# --- node ---------------------------------------------------------------------------------
# The spec reporter on the terminal, TAP in a file for the counts.
TAP=$TARGET_DIR/node-sdk-test.tap
start=$(date +%s)
if (cd "$T" && COS_SIGN_SERVER_BIN=$BIN node --test \
      --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=tap --test-reporter-destination="$TAP" sdk.test.js s3.test.js); then
  ok=1
else
  ok=0
fi
count() { awk -v k="# $1" '$1 " " $2 == k { n = $3 } END { print n + 0 }' "$TAP"; }
tests=$(count tests)
summary="$(count pass) of $tests node tests passed, $(count fail) failed, $(count skipped) skipped ($(( $(date +%s) - start )) s)"
if [ "$ok" -eq 1 ] && [ "$tests" -gt 0 ] && [ "$(count pass)" -eq "$tests" ]; then
  pass "cos-nodejs-sdk-v5 and @aws-sdk/client-s3 against cos-sign-server: $summary"
else
  fail "cos-nodejs-sdk-v5 and @aws-sdk/client-s3 against cos-sign-server: $summary"
fi

finish
