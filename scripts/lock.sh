#!/usr/bin/env bash
# Re-resolve every dependency of vsafi (all extras) in a throw-away venv and write the exact
# versions to requirements.lock. Run with `make lock`, then `make test`, and commit both together:
# an upgrade of torch, Triton or VapourSynth is a deliberate, tested commit.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(scripts/find-python.sh)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[test,plot,preview,cluster]'
{
  echo "# Exact versions that 'make setup' installs (as pip constraints), for CPython 3.12 on x86-64 Linux."
  echo "# Written by 'make lock' ($(date -u +%Y-%m-%d)); do not edit by hand. setup.py keeps loose bounds."
  "$tmp/venv/bin/python" -m pip freeze --disable-pip-version-check --exclude-editable | LC_ALL=C sort -f
} > requirements.lock.new
mv requirements.lock.new requirements.lock
echo "wrote requirements.lock ($(grep -vc '^#' requirements.lock) packages); now run 'make test' and commit it"
