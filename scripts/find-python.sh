#!/usr/bin/env bash
# Print a working CPython 3.12+ interpreter: $PYTHON, python3.12 on PATH, or one under pyenv.
set -u
try() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo "$1"; exit 0; }; }
[ -n "${PYTHON:-}" ] && try "$PYTHON"
for c in python3.12 python3.13 python3; do command -v "$c" >/dev/null 2>&1 && try "$(command -v "$c")"; done
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for c in "$root"/versions/3.1[2-9]*/bin/python3; do [ -x "$c" ] && try "$c"; done
echo "vsafi needs Python >= 3.12 (VapourSynth R81 wheels exist only for it)." >&2
echo "Install one (e.g. 'pyenv install 3.12') or set PYTHON=/path/to/python3.12." >&2
exit 1
