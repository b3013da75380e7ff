#!/usr/bin/env bash
# Install vsafi and the extras named in $1 into the venv at $2 with the versions of
# requirements.lock. Checks what the lock needs first and stops with the reason.
# UNLOCKED=1 installs from setup.py's loose bounds instead (other platforms; untested versions).
set -euo pipefail
cd "$(dirname "$0")/.."
extras=$1 venv=$2
py="$venv/bin/python"
if [ ! -x "$py" ]; then
  base=$(scripts/find-python.sh) || exit 1
  "$base" -m venv "$venv"
fi
pip=("$py" -m pip install -q --disable-pip-version-check)
if [ "${UNLOCKED:-0}" = 1 ]; then
  echo "install: UNLOCKED=1: resolving from setup.py's bounds, not requirements.lock (versions the suite did not run with)" >&2
  exec "${pip[@]}" -e ".[$extras]"
fi
platform=$("$py" -c 'import platform, sys; print(f"{platform.python_implementation()} {sys.version_info[0]}.{sys.version_info[1]} {sys.platform} {platform.machine()}")')
if [ "$platform" != "CPython 3.12 linux x86_64" ]; then
  echo "install: requirements.lock is for CPython 3.12 on x86-64 Linux, but $venv has $platform." >&2
  echo "install: use PYTHON=/path/to/python3.12 (and 'make clean'), or install unlocked with 'make setup UNLOCKED=1'." >&2
  exit 2
fi
index=${PIP_INDEX_URL:-$("$py" -m pip config get global.index-url 2>/dev/null || true)}
index=${index:-https://pypi.org/simple/}
if ! "$py" - "$index" <<'PYCODE'
import sys, urllib.request
url = sys.argv[1]
if not url.startswith(("http://", "https://")):
    sys.exit(0)
try:
    urllib.request.urlopen(urllib.request.Request(url.rstrip("/") + "/pip/", method="HEAD"), timeout=20)
except Exception as exc:
    print(f"install: cannot reach the package index {url}: {exc}", file=sys.stderr)
    sys.exit(1)
PYCODE
then
  echo "install: the locked versions come from the package index; connect to the network or set PIP_INDEX_URL to a mirror." >&2
  exit 3
fi
if ! "${pip[@]}" -c requirements.lock -e ".[$extras]"; then
  echo "install: pip could not install the versions of requirements.lock (its message is above)." >&2
  exit 4
fi
