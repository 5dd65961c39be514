#!/usr/bin/env bash
# Creates (or reuses) the git-ignored test venv at .venv with the oracle and the test tooling.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.cos-sign-deps-v3
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet \
    'cos-python-sdk-v5==1.9.44' 'coscmd==1.9.0.6' 'maturin>=1.5,<2' 'pytest>=7' 'hypothesis>=6' 'requests>=2' \
    'boto3==1.44.8' 'awscli==1.46.3'
  touch "$stamp"
fi
