"""``vsafi prebuild``: compile a model for a frame size ahead of time, so that a player or an
encode with ``compile="wait"``/``"background"`` finds every graph in the cache.

It renders a few outputs of a small synthetic scene at that size in each requested mode with
``compile="wait"``; that exercises exactly the calls real use makes (RIFE: one time for every
pixel, a per-pixel time map for DRBA, and DRBA's flow pass), each of which is its own graph.
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Callable, Sequence

from .models.compiled import use_compile_cache
from .models.registry import DEFAULT_MODEL
from .modes import MODES
from .names import entry

__all__ = ["prebuild", "parse_size"]

#: Outputs rendered per mode: with a 2.5× rate they span two source pairs, which is enough for
#: every call kind a mode makes.
OUTPUTS_PER_MODE = 5


def parse_size(text: str) -> tuple[int, int]:
    """'1920x1080' → (1920, 1080); ValueError naming the expected form otherwise."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"size must be WIDTHxHEIGHT, e.g. 1920x1080, not {text!r}") from None
    if width < 16 or height < 16:
        raise ValueError(f"size must be at least 16x16, not {text!r}")
    return width, height


def prebuild(width: int, height: int, model: str = DEFAULT_MODEL, modes: Sequence[str] = tuple(MODES),
             device: str | None = None, precision: str | None = None, scale: float = 1.0, batch: int = 1,
             say: Callable[[str], None] = print) -> float:
    """Compile ``model`` for ``width``×``height`` frames in ``modes``; returns the seconds it took.

    RuntimeError when a network failed to compile (the filter would then run it eager): a
    prebuild that cannot build must not say it did."""
    import vapoursynth as vs

    from .engine.backends import get_backend
    from .filter import interpolate
    from .synthetic import AnimeClip, mixed_scene, to_vs_clip

    for mode in modes:
        entry(MODES, "mode", mode)
    started = time.monotonic()
    scene = mixed_scene(width, height, (1, 2), length=OUTPUTS_PER_MODE)
    clip = to_vs_clip(AnimeClip(width, height, [scene]), format=vs.YUV420P8)
    for mode in modes:
        out = interpolate(clip, factor=Fraction(5, 2), mode=mode, model=model, device=device,
                          precision=precision, scale=scale, compile="wait", batch=batch, scene_ratio=None)
        for n in range(min(OUTPUTS_PER_MODE, out.num_frames)):
            out.get_frame(n)
        failed = [f"{net.label}: {type(net.failed).__name__}: {net.failed}"
                  for net in get_backend(model, None, device, precision, scale, "wait", batch).compiled_networks()
                  if net.failed is not None]
        if failed:
            raise RuntimeError(f"could not compile {'; '.join(failed)}")
        say(f"{model} {mode}: ready")
    seconds = time.monotonic() - started
    say(f"{model} at {width}x{height} compiled in {seconds:.0f} s; cached in {use_compile_cache()}")
    return seconds
