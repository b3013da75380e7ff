"""How far fp16 frames are from fp32 ones: PSNR of every model × mode against a float32 reference.

fp16 is meant to stay at least 60 dB from fp32. Both filters play the demo clip (as
benchmarks/speed.py serves it, from memory) converted to float RGB, so the comparison sees the
networks' rounding and not the 8-bit output's; outputs are compared plane by plane, peak 1.0.
The reference runs at ``--reference-precision`` on ``--reference-device`` (default: fp32 on the
same device). On a machine without CUDA only fp32 runs, so there the script can only compare
fp32 with fp32 (the same bits: a check of its own plumbing).

    .venv/bin/python benchmarks/precision.py [--size 1920x1080] [--outputs 12] [--models rife,...]
        [--modes plain,...] [--device cuda] [--precision fp16] [--reference-device cuda]
"""

from __future__ import annotations

import argparse
import json
from fractions import Fraction

import numpy as np
import torch
import vapoursynth as vs

import vsafi
from vsafi.models.registry import MODELS
from vsafi.modes import MODES

from speed import planes_of, psnr_db, source_in_memory  # noqa: E402  (benchmarks/ is this script's folder)

core = vs.core
FPS_OUT = Fraction(60000, 1001)


def compare(src: vs.VideoNode, model: str, mode: str, outputs: int, device: str, precision: str,
            reference_device: str, reference_precision: str) -> dict:
    """PSNR of ``outputs`` outputs spread over the clip, ``precision`` against the reference."""
    test = vsafi.interpolate(src, fps=FPS_OUT, mode=mode, model=model, device=device, precision=precision)
    ref = vsafi.interpolate(src, fps=FPS_OUT, mode=mode, model=model, device=reference_device,
                            precision=reference_precision)
    picks = np.linspace(0, test.num_frames - 1, min(outputs, test.num_frames)).round().astype(int)
    db = [psnr_db(planes_of(test.get_frame(int(j))), planes_of(ref.get_frame(int(j)))) for j in picks]
    finite = [d for d in db if d != float("inf")]
    return {"model": model, "mode": mode, "size": f"{src.width}x{src.height}", "device": device,
            "precision": precision, "reference": f"{reference_device} {reference_precision}",
            "outputs": len(db), "identical": not finite, "min_psnr_db": min(finite) if finite else None,
            "mean_psnr_db": float(np.mean(finite)) if finite else None}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="480x272", help="WxH")
    p.add_argument("--outputs", type=int, default=12, help="outputs compared per model x mode")
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--modes", default=",".join(MODES))
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--precision", default=None, help="default: fp16 on CUDA, fp32 on the CPU")
    p.add_argument("--reference-device", default=None, help="default: --device")
    p.add_argument("--reference-precision", default="fp32")
    args = p.parse_args()
    precision = args.precision or ("fp16" if args.device.startswith("cuda") else "fp32")
    width, height = map(int, args.size.split("x"))
    src = core.resize.Bicubic(source_in_memory(width, height), format=vs.RGBS, matrix_in_s="709")
    for model in args.models.split(","):
        for mode in args.modes.split(","):
            row = compare(src, model, mode, args.outputs, args.device, precision,
                          args.reference_device or args.device, args.reference_precision)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
