"""vsafi: VapourSynth anime frame interpolation.

``interpolate`` converts a clip to any higher frame rate in one of three modes (``plain``,
``forward`` dedup, ``drba``) over RIFE or GMFSS; ``analyze`` reports cuts and cadence.
"""

__version__ = "0.1.0"

__all__ = ["interpolate", "analyze", "__version__"]


def __getattr__(name: str):
    if name == "interpolate":
        from .filter import interpolate

        return interpolate
    if name == "analyze":
        from .analysis import analyze

        return analyze
    raise AttributeError(f"module 'vsafi' has no attribute {name!r}")
