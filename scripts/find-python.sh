#!/usr/bin/env bash
# Print a CPython interpreter for the venv: $PYTHON, else CPython 3.12 (what requirements.lock
# covers) on PATH or under pyenv, else any newer one (then only an unlocked install works).
set -u
try() { "$1" -c "import sys; sys.exit(not ($2))" >/dev/null 2>&1 && { echo "$1"; exit 0; }; }
[ -n "${PYTHON:-}" ] && try "$PYTHON" 'sys.version_info >= (3, 12)'
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for want in 'sys.version_info[:2] == (3, 12)' 'sys.version_info >= (3, 12)'; do
  for c in python3.12 python3.13 python3; do command -v "$c" >/dev/null 2>&1 && try "$(command -v "$c")" "$want"; done
  for c in "$root"/versions/3.1[2-9]*/bin/python3; do [ -x "$c" ] && try "$c" "$want"; done
done
echo "vsafi needs CPython 3.12 (VapourSynth R81 wheels need >= 3.12; requirements.lock is for 3.12)." >&2
echo "Install one (e.g. 'pyenv install 3.12') or set PYTHON=/path/to/python3.12." >&2
exit 1
