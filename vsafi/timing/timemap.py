"""Exact rational mapping between output frame numbers and source time.

R = fps_out / fps_src = p/q. Output j shows source time tau = j·q/p (phase "standard": output 0
is F[0] and every integer tau is an original frame). Phase "centered" adds 1/(2R) − 1/2, the
symmetric phases DRBA's reference uses. Everything is a ``Fraction``: ceil/floor of float
products are off by one at exact integers.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

__all__ = [
    "PHASES",
    "as_fraction",
    "output_length",
    "source_time",
    "phase_offset",
    "floor_frac",
    "clamped_source_time",
    "last_output_before",
    "check_output_rate",
    "check_rates",
    "MAX_FPS_OUT",
    "MAX_RATIO",
]

PHASES = ("standard", "centered")
#: The fastest output made, in fps: nearly twice the fastest displays sold (540 Hz), so no screen
#: shows a frame made beyond it.
MAX_FPS_OUT = 1000
#: Most output frames per source frame. At 64, a drawing crossing a 1080p screen in one second
#: (fast, for anime) steps 1.25 px per output from 23.976 fps: finer in-betweens are not seen.
MAX_RATIO = 64


def as_fraction(value: "Fraction | int | float | tuple[int, int] | str") -> Fraction:
    """A rate or factor as an exact Fraction.

    Floats within 1e-3 of a 1001-based rate (n·1000/1001) snap to it, so 59.94 means
    60000/1001; other floats are taken through ``limit_denominator``.
    """
    if isinstance(value, bool):
        raise TypeError(f"cannot read {value!r} as a rational rate")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, tuple):
        num, den = value
        return Fraction(int(num), int(den))
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    if isinstance(value, numbers.Rational):
        return Fraction(value.numerator, value.denominator)
    if isinstance(value, str):
        return as_fraction(float(value)) if "." in value else Fraction(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"rate {value} is not finite")
        n = round(value * 1001 / 1000)
        if n > 0 and abs(value - Fraction(n * 1000, 1001)) < 1e-3:
            return Fraction(n * 1000, 1001)
        return Fraction(value).limit_denominator(1001)
    raise TypeError(f"cannot read {value!r} as a rational rate")


def check_output_rate(fps_out: Fraction) -> None:
    """ValueError for an output faster than any screen shows, whatever the source's rate."""
    if fps_out > MAX_FPS_OUT:
        raise ValueError(f"an output of {float(fps_out):g} fps is above {MAX_FPS_OUT} fps, faster than any "
                         f"display shows; ask for {MAX_FPS_OUT} fps or less")


def check_rates(fps_src: Fraction, fps_out: Fraction) -> None:
    """ValueError, saying the limit and why, for an output faster than any screen or than
    in-betweens can be told apart (before anything is computed for it)."""
    check_output_rate(fps_out)
    if fps_out > fps_src * MAX_RATIO:
        raise ValueError(f"{float(fps_out):g} fps is {float(fps_out / fps_src):g}x the source's "
                         f"{float(fps_src):g} fps; at most {MAX_RATIO}x (more in-betweens cannot be told apart)")


def output_length(num_src: int, ratio: Fraction) -> int:
    """Number of output frames: ceil(num_src · R)."""
    return -((-num_src * ratio.numerator) // ratio.denominator)


def phase_offset(ratio: Fraction, phase: str = "standard") -> Fraction:
    if phase == "standard":
        return Fraction(0)
    if phase == "centered":
        return Fraction(1, 2) / ratio - Fraction(1, 2)
    raise ValueError(f"phase must be one of {PHASES}, not {phase!r}")


def source_time(j: int, ratio: Fraction, phase: str = "standard") -> Fraction:
    """Source time tau shown by output frame j, in source frames."""
    return Fraction(j) / ratio + phase_offset(ratio, phase)


def floor_frac(tau: Fraction) -> tuple[int, Fraction]:
    """(k, w) with k = floor(tau) and w = tau − k in [0, 1)."""
    k = math.floor(tau)
    return k, tau - k


def clamped_source_time(j: int, ratio: Fraction, num_src: int, phase: str = "standard") -> Fraction:
    """Source time of output j clamped to [0, num_src − 1].

    Phase "centered" puts the first outputs slightly before F[0] and the last ones slightly after
    F[n−1]; there is nothing to show there but the end frames. Raises ValueError for an output
    number outside [0, output_length).
    """
    if not isinstance(ratio, (Fraction, int)) or ratio <= 0:
        raise ValueError(f"ratio must be a positive Fraction, not {ratio!r}")
    if num_src < 1:
        raise ValueError(f"the source needs at least one frame, not {num_src}")
    if not 0 <= j < output_length(num_src, Fraction(ratio)):
        raise ValueError(f"output frame {j} outside [0, {output_length(num_src, Fraction(ratio))})")
    return min(max(source_time(j, Fraction(ratio), phase), Fraction(0)), Fraction(num_src - 1))


def last_output_before(t: Fraction, ratio: Fraction, phase: str = "standard") -> int:
    """Largest output number j with source_time(j) < t (−1 when there is none)."""
    return math.ceil((t - phase_offset(ratio, phase)) * ratio) - 1
