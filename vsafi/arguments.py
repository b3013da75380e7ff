"""``interpolate``'s arguments checked up front: every failure a ``vs.Error`` that starts with
the function's name and says what to do, the result one plain :class:`Settings`."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping, Sequence

import vapoursynth as vs

from .cuts import DEFAULT_RATIO
from .frames import FrameFormat
from .engine.backends import check_backend_options
from .modes import check_mode_options
from .timing.timemap import PHASES, as_fraction, check_rates

__all__ = ["Settings", "UNSET", "check_arguments", "error"]

#: Default bound of the per-clip tensor cache, in MiB.
DEFAULT_CACHE_MB = 2048
#: Marks ``scene_threshold`` as not passed (None means "detection off").
UNSET: Any = object()


def error(msg: str) -> vs.Error:
    return vs.Error(f"interpolate: {msg}")


@dataclass(frozen=True)
class Settings:
    """What ``interpolate`` was asked for, checked. Rates are exact; ``ratio`` = out / source."""

    fmt: FrameFormat
    num_frames: int
    fps_src: Fraction
    fps_out: Fraction
    mode: str
    model: str
    options: dict[str, Any]
    scene_ratio: float | None
    scenes: list[int] | None
    scale: float
    device: str | None
    precision: str | None
    compile: str
    batch: int
    phase: str
    cache_bytes: int
    weights: str | None

    @property
    def ratio(self) -> Fraction:
        return self.fps_out / self.fps_src


def _rate(value: object, what: str) -> Fraction:
    try:
        r = as_fraction(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise error(f"{what}={value!r} is not a rate; pass a Fraction, (num, den), int or float") from exc
    if r <= 0:
        raise error(f"{what} must be positive, not {value!r}")
    return r


def _clip(clip: object) -> FrameFormat:
    if not isinstance(clip, vs.VideoNode):
        raise error("clip must be a vs.VideoNode")
    if clip.format is None or clip.width == 0 or clip.height == 0:
        raise error("clip must have a constant format and size; add resize/crop first")
    f = clip.format
    if f.color_family not in (vs.YUV, vs.RGB):
        raise error(f"only YUV and RGB clips are supported, not {f.name}; convert with core.resize first")
    if f.sample_type == vs.INTEGER and not 8 <= f.bits_per_sample <= 16:
        raise error(f"integer formats must be 8–16 bit, not {f.bits_per_sample}")
    if clip.num_frames < 2:
        raise error(f"clip has {clip.num_frames} frame(s); interpolation needs at least 2")
    return FrameFormat.of(clip)


def _rates(clip: vs.VideoNode, fps: object, factor: object, src_fps: object) -> tuple[Fraction, Fraction]:
    if (fps is None) == (factor is None):
        raise error("pass exactly one of fps= or factor=")
    if src_fps is not None:
        fps_src = _rate(src_fps, "src_fps")
    elif clip.fps.numerator == 0:
        raise error("clip has fps 0 (variable or unknown rate); pass src_fps= (in mpv: container_fps)")
    else:
        fps_src = Fraction(clip.fps.numerator, clip.fps.denominator)
    fps_out = _rate(fps, "fps") if fps is not None else fps_src * _rate(factor, "factor")
    if fps_out <= fps_src:
        raise error(f"fps must be higher than the clip's ({fps_src}); got {fps_out}")
    try:
        check_rates(fps_src, fps_out)
    except ValueError as exc:
        raise error(str(exc)) from None
    return fps_src, fps_out


def _scene_ratio(ratio: object, threshold: object) -> float | None:
    """``scene_ratio`` checked; ``scene_threshold`` (the old pairwise SSIM test) mapped or refused."""
    if threshold is not UNSET:
        if threshold is not None:
            raise error(f"scene_threshold={threshold!r}: the SSIM threshold is gone (it missed cuts between shots "
                        f"of one layout and split fast pans); cuts are now found by contrast with the motion around "
                        f"them. Tune with scene_ratio= (default {DEFAULT_RATIO}, lower finds more cuts), list cuts "
                        f"with scenes=[...], or pass scene_ratio=None to turn detection off")
        return None
    if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not ratio >= 1):
        raise error(f"scene_ratio must be a number >= 1 (or None to turn detection off), not {ratio!r}")
    return None if ratio is None else float(ratio)


def _scenes(scenes: Sequence[int], num_frames: int) -> list[int]:
    try:
        out = sorted({int(s) for s in scenes})
    except (TypeError, ValueError) as exc:
        raise error("scenes must be a list of frame numbers (first frame of each new scene)") from exc
    bad = [s for s in out if not 0 <= s < num_frames]
    if bad:
        raise error(f"scenes has frame numbers outside the clip (0..{num_frames - 1}): {bad[:5]}")
    return out


def check_arguments(clip: vs.VideoNode, *, fps: object, factor: object, mode: str, model: str,
                    scene_ratio: object, scenes: Sequence[int] | None, scale: float, src_fps: object,
                    device: str | None, precision: str | None, compile: str, batch: object, phase: str,
                    cache_mb: object, weights: str | None, scene_threshold: object,
                    mode_options: Mapping[str, Any]) -> Settings:
    """``interpolate``'s arguments checked, in the order a user meets them; the mode's own
    options by the checks its spec declares; the model's by :func:`check_backend_options`. Device
    and precision are checked where they are made (``get_backend``), whose messages the filter
    passes on."""
    fmt = _clip(clip)
    fps_src, fps_out = _rates(clip, fps, factor, src_fps)
    if phase not in PHASES:
        raise error(f"phase must be one of {', '.join(PHASES)}, not {phase!r}")
    try:
        check_backend_options(model, scale, compile, batch)
    except ValueError as exc:
        raise error(str(exc)) from None
    try:
        options = check_mode_options(mode, mode_options)
    except ValueError as exc:
        raise error(str(exc)) from None
    ratio = _scene_ratio(scene_ratio, scene_threshold)
    if cache_mb is not None and (isinstance(cache_mb, bool) or not isinstance(cache_mb, (int, float))
                                 or not cache_mb > 0):
        raise error(f"cache_mb must be a positive number of MiB, not {cache_mb!r}")
    return Settings(
        fmt=fmt, num_frames=clip.num_frames, fps_src=fps_src, fps_out=fps_out, mode=mode, model=model,
        options=options, scene_ratio=ratio,
        scenes=None if scenes is None else _scenes(scenes, clip.num_frames), scale=scale, device=device,
        precision=precision, compile=compile, batch=batch, phase=phase,
        cache_bytes=int((cache_mb or DEFAULT_CACHE_MB) * (1 << 20)), weights=weights)
