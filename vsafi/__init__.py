"""vsafi: VapourSynth anime frame interpolation.

``interpolate`` converts a clip to any higher frame rate in one of four modes (``plain``,
``forward`` dedup, ``drba``, ``drop``) over RIFE or GMFSS; ``analyze`` reports cuts and cadence.
"""

import os

__version__ = "0.1.0"

# MKL's matrix products (under torch's CPU convolutions) give the same bits at any thread count
# only in its strict reproducible mode, which it reads once, at its first call: so it is asked
# for here, before vsafi imports torch. A scale-out worker with 1 thread and a process with 16
# then write the same frames (docs/cluster.md). A value of the user's own wins.
os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")

__all__ = ["interpolate", "analyze", "__version__"]


def __getattr__(name: str):
    if name == "interpolate":
        from .filter import interpolate

        return interpolate
    if name == "analyze":
        from .analysis import analyze

        return analyze
    raise AttributeError(f"module 'vsafi' has no attribute {name!r}")
