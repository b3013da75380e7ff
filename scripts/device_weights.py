"""Weights for a lent GPU machine, which has no network and takes 64 MiB a call (tree included).

    pack FOLDER MODEL...   here: float16 copies of the models' weight files into FOLDER
    restore FOLDER         there: float32 files into weights/, and weights/manifest.json rewritten
                           to their sha256, so vsafi loads them (only on that throw-away copy)

float16 halves the files: GMFSS-union with its IFNet is 37.7 MB instead of 75 MB. Restored
weights are the originals rounded to float16, so a model run in float16 (vsafi's CUDA default)
computes with exactly the original weights' float16 values; in float32 the outputs differ
slightly from the published model's. Never run ``restore`` in a checkout you keep.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from vsafi.weights import _sha256

REPO = Path(__file__).resolve().parents[1]
WEIGHTS = REPO / "weights"


def _cast(state: dict, dtype: torch.dtype) -> dict:
    return {k: v.to(dtype) if v.is_floating_point() else v for k, v in state.items()}


def pack(folder: Path, models: list[str]) -> None:
    from vsafi.models.registry import MODELS

    folder.mkdir(parents=True, exist_ok=True)
    names = sorted({f for m in models for f in MODELS[m].files})
    for name in names:
        state = torch.load(WEIGHTS / name, map_location="cpu", weights_only=True)
        torch.save(_cast(state, torch.float16), folder / name)
        print(f"{name}: {(folder / name).stat().st_size / 1e6:.1f} MB")


def restore(folder: Path) -> None:
    manifest_path = WEIGHTS / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for src in sorted(folder.glob("*.pkl")):
        state = torch.load(src, map_location="cpu", weights_only=True)
        dst = WEIGHTS / src.name
        torch.save(_cast(state, torch.float32), dst)
        manifest["files"][src.name] = _sha256(dst)
        print(f"restored {src.name} (float16 copy) to float32")
    manifest_path.write_text(json.dumps(manifest, indent=2))


if __name__ == "__main__":
    verb, where, *rest = sys.argv[1:]
    if verb == "pack":
        pack(Path(where), rest)
    elif verb == "restore":
        restore(Path(where))
    else:
        sys.exit(f"unknown verb {verb!r}: use pack or restore")
