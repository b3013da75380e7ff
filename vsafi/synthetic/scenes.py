"""Deterministic synthetic anime clips with known motion, for tests, demos and benchmarks.

A clip is a list of scenes separated by hard cuts. Each scene has a textured background that
pans on ones (or on ``pan_cadence``) and cel-shaded actors (flat fill, dark ink outline,
antialiased) moving along known paths, each drawn on ones, twos or threes. Because motion is
analytic, the continuous ground truth at any source time is available: ``truth(t)`` is what an
ideal smooth interpolation should show.

Conventions: coordinates are ``(y, x)`` in pixels of the output frame, pixel centres at integer
positions; times are in source frames, local to the scene (its first frame is time 0);
velocities are pixels per source frame. Frames are ``float32`` arrays ``(H, W, 3)`` in [0, 1].
NumPy only; VapourSynth is imported inside ``to_vs_clip``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .paint import INK, Texture, draw_actor

if TYPE_CHECKING:
    import vapoursynth as vs

__all__ = [
    "SHAPES", "FILLS", "INK", "Actor", "Scene", "AnimeClip", "hold_start",
    "cadence_scene", "mixed_scene", "demo_clip", "centroid_of_colour", "to_vs_clip", "Texture", "draw_actor",
    "outline_width",
]

SHAPES = ("ellipse", "box", "star")
FILLS = (
    (0.93, 0.22, 0.26), (0.20, 0.45, 0.96), (0.98, 0.86, 0.16), (0.22, 0.86, 0.36),
    (0.90, 0.28, 0.86), (1.00, 0.56, 0.10), (0.14, 0.86, 0.92), (0.56, 0.28, 0.96),
)
"""Saturated fills, each at least 0.2 away (max channel difference) from every background
colour and from each other, so ``centroid_of_colour`` can isolate an actor."""

Time = float | int | Fraction


def hold_start(j: int, cadence: int, phase: int = 0) -> int:
    """Scene-local time shown by the drawing at scene frame j: j − ((j − phase) mod cadence).

    On twos with phase 0 frames 0,1 show time 0, frames 2,3 time 2; with phase 1 frame 0 shows
    time −1 (a drawing that started before the cut).
    """
    return j - (j - phase) % cadence


@dataclass(frozen=True)
class Actor:
    """A flat-coloured, ink-outlined shape moving on a known path.

    ``size`` is the half extent ``(ry, rx)`` in pixels including the outline; ``start`` the
    centre at scene time 0; ``velocity`` in px per source frame; ``accel`` in px per frame²
    bends the path slightly. The drawing at scene frame j shows the actor at
    ``hold_start(j, cadence, phase)``.
    """

    shape: str
    fill: tuple[float, float, float]
    size: tuple[float, float]
    start: tuple[float, float]
    velocity: tuple[float, float]
    cadence: int = 1
    phase: int = 0
    accel: tuple[float, float] = (0.0, 0.0)
    outline: float = 2.5

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise ValueError(f"Actor: shape must be one of {SHAPES}, not {self.shape!r}")
        if self.cadence < 1:
            raise ValueError("Actor: cadence must be >= 1")

    def centre(self, t: float) -> tuple[float, float]:
        """True (continuous) centre at scene time t, pixels (y, x)."""
        return (self.start[0] + self.velocity[0] * t + 0.5 * self.accel[0] * t * t,
                self.start[1] + self.velocity[1] * t + 0.5 * self.accel[1] * t * t)


@dataclass(frozen=True)
class Scene:
    """One shot: ``length`` source frames, a background from ``seed`` panning by ``pan``
    (px per source frame, (vy, vx), on ``pan_cadence``), and actors drawn in list order."""

    length: int
    actors: tuple[Actor, ...] = ()
    pan: tuple[float, float] = (0.0, 0.0)
    seed: int = 0
    pan_cadence: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "actors", tuple(self.actors))
        if self.length < 1:
            raise ValueError("Scene: length must be >= 1")


@dataclass
class AnimeClip:
    """A synthetic clip: scenes back to back, each starting with a hard cut."""

    width: int
    height: int
    scenes: Sequence[Scene]
    _textures: list[Texture] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.scenes = tuple(self.scenes)
        if not self.scenes:
            raise ValueError("AnimeClip: needs at least one scene")
        self._textures = [Texture.from_seed(s.seed) for s in self.scenes]

    @property
    def num_frames(self) -> int:
        return sum(s.length for s in self.scenes)

    @property
    def scene_starts(self) -> list[int]:
        """Index of the first frame of every scene (0 first); cuts lie before all but 0."""
        starts, pos = [], 0
        for s in self.scenes:
            starts.append(pos)
            pos += s.length
        return starts

    def locate(self, t: Time) -> tuple[int, float]:
        """Scene index and scene-local time of source time t (the scene of floor(t))."""
        if t < 0 or t >= self.num_frames:
            raise IndexError(f"time {t} outside the clip [0, {self.num_frames})")
        k = math.floor(t)
        for idx, start in reversed(list(enumerate(self.scene_starts))):
            if k >= start:
                return idx, float(t - start)
        raise AssertionError("unreachable")

    def _render(self, idx: int, bg_time: float, actor_times: Sequence[float]) -> np.ndarray:
        scene = self.scenes[idx]
        img = self._textures[idx].render(
            self.height, self.width, (scene.pan[0] * bg_time, scene.pan[1] * bg_time))
        for actor, t in zip(scene.actors, actor_times):
            draw_actor(img, actor, actor.centre(t))
        return img

    def frame(self, i: int) -> np.ndarray:
        """Source frame i as drawn: every actor and the background at its held time."""
        idx, j = self.locate(i)
        scene, j = self.scenes[idx], int(j)
        return self._render(idx, hold_start(j, scene.pan_cadence),
                            [hold_start(j, a.cadence, a.phase) for a in scene.actors])

    def truth(self, t: Time) -> np.ndarray:
        """Ideal smooth frame at source time t: actors and background at their continuous
        positions (the scene of floor(t), its motion continued past its last frame)."""
        idx, local = self.locate(t)
        return self._render(idx, local, [local] * len(self.scenes[idx].actors))

    def actors(self, i: int) -> tuple[Actor, ...]:
        """The actors of the scene containing frame i (what ``actor_idx`` indexes)."""
        return self.scenes[self.locate(i)[0]].actors

    def drawn_centre(self, actor_idx: int, i: int) -> tuple[float, float]:
        """Centre (y, x) of actor ``actor_idx`` of frame i's scene as drawn in frame i."""
        idx, j = self.locate(i)
        a = self.scenes[idx].actors[actor_idx]
        return a.centre(hold_start(int(j), a.cadence, a.phase))

    def true_centre(self, actor_idx: int, t: Time) -> tuple[float, float]:
        """Continuous centre (y, x) of the actor at source time t."""
        idx, local = self.locate(t)
        return self.scenes[idx].actors[actor_idx].centre(local)

    def bg_offset(self, t: Time) -> tuple[float, float]:
        """Continuous background displacement (y, x) in pixels since its scene's start."""
        idx, local = self.locate(t)
        pan = self.scenes[idx].pan
        return pan[0] * local, pan[1] * local


_Pair = tuple[float, float]


def _layout(width: int, height: int, count: int, length: int, speed: float,
            seed: int) -> list[tuple[_Pair, _Pair, _Pair]]:
    """Sizes, starts and velocities for ``count`` actors in separate horizontal lanes, moving
    in alternate directions, fully inside the frame from scene time −3 to ``length``."""
    rng = np.random.default_rng(seed + 1000)
    lane = height / count
    out = []
    for k in range(count):
        r = max(4.0, min(0.36 * lane, 0.16 * width))
        size = (r * rng.uniform(0.85, 1.0), r * rng.uniform(1.0, 1.25))
        margin = size[1] + 3.0
        room = max(0.0, width - 2.0 * margin)
        v = min(speed, room / (length + 3))
        x0 = margin + 3.0 * v + rng.uniform(0.0, 0.5) * (room - v * (length + 3))
        vy = rng.uniform(-0.05, 0.05) * min(1.0, lane / max(1, length))
        if k % 2:
            x0, v = width - 1.0 - x0, -v
        out.append((size, (lane * (k + 0.5), x0), (vy, v)))
    return out


def outline_width(size: _Pair) -> float:
    """Ink width in px: 2.5, thinner on small actors (as on downscaled video) so their fill
    keeps a measurable area."""
    return float(np.clip(0.12 * min(size), 1.0, 2.5))


def cadence_scene(width: int, height: int, cadence: int, *, length: int = 24,
                  pan: tuple[float, float] = (0.0, 0.0), phase: int = 0, actors: int = 2,
                  speed: float | None = None, seed: int = 0) -> Scene:
    """A scene whose actors are all drawn on ``cadence`` (same phase) over a pan.

    Actor speed defaults to ~1/100 of the width per frame (4.8 px at 480 wide)."""
    speed = width / 100.0 if speed is None else speed
    shapes = [SHAPES[(seed + k) % len(SHAPES)] for k in range(actors)]
    return Scene(length, tuple(
        Actor(shapes[k], FILLS[(seed + k) % len(FILLS)], size, start, vel, cadence, phase,
              outline=outline_width(size))
        for k, (size, start, vel) in enumerate(_layout(width, height, actors, length, speed, seed))
    ), pan=pan, seed=seed)


def mixed_scene(width: int, height: int, cadences: Sequence[int], *, length: int = 24,
                pan: tuple[float, float] = (0.0, 0.0), phases: Sequence[int] | None = None,
                speed: float | None = None, seed: int = 0) -> Scene:
    """A scene with one actor per entry of ``cadences`` (e.g. (2, 3): one on twos, one on
    threes), each in its own lane."""
    speed = width / 100.0 if speed is None else speed
    phases = [0] * len(cadences) if phases is None else list(phases)
    layout = _layout(width, height, len(cadences), length, speed, seed)
    return Scene(length, tuple(
        Actor(SHAPES[(seed + k) % len(SHAPES)], FILLS[(seed + k) % len(FILLS)], size, start, vel,
              cad, ph, outline=outline_width(size))
        for k, ((size, start, vel), cad, ph) in enumerate(zip(layout, cadences, phases))
    ), pan=pan, seed=seed)


def demo_clip(width: int = 480, height: int = 272) -> AnimeClip:
    """48 frames: a 30-frame scene with an ellipse on twos and a star on threes over a
    1.5 px/frame pan, a cut, then 18 frames with a box on twos (phase 1) over a slow diagonal
    pan."""
    s = width / 480.0
    first = Scene(30, (
        Actor("ellipse", FILLS[0], (36 * s, 30 * s), (0.3 * height, 60 * s), (0.4 * s, 4.0 * s),
              cadence=2, accel=(-0.02 * s, 0.0)),
        Actor("star", FILLS[1], (40 * s, 40 * s), (0.7 * height, 420 * s), (-0.2 * s, -3.0 * s),
              cadence=3),
    ), pan=(0.0, 1.5 * s), seed=11)
    second = Scene(18, (
        Actor("box", FILLS[2], (30 * s, 44 * s), (0.5 * height, 120 * s), (0.0, 6.0 * s),
              cadence=2, phase=1),
    ), pan=(0.35 * s, -0.7 * s), seed=23)
    return AnimeClip(width, height, [first, second])


def centroid_of_colour(frame: np.ndarray, fill: Sequence[float], tol: float = 0.05,
                       ink: Sequence[float] = INK) -> tuple[float, float] | None:
    """Sub-pixel centroid (y, x) in pixels of an actor's flat-fill region, or None when fewer
    than 4 pixels match.

    The solid core is the pixels within ``tol`` (max channel difference) of ``fill``. Within
    2 px of it, pixels on the ink–fill segment ink + s·(fill − ink) (within ``tol``) weigh s:
    the 1 px antialiased rim then counts by coverage, so straight edges do not snap to the
    pixel grid (a binary mask is off by up to 0.4 px on a box), while background and blended
    pixels, off the segment or far from the core, drop out.
    """
    img = np.asarray(frame, np.float32)[..., :3]
    ink32, fill32 = np.asarray(ink, np.float32), np.asarray(fill, np.float32)
    core = np.abs(img - fill32).max(axis=-1) <= tol
    ys, xs = np.nonzero(core)
    if ys.size < 4:
        return None
    y0, y1 = max(0, ys.min() - 2), ys.max() + 3
    x0, x1 = max(0, xs.min() - 2), xs.max() + 3
    axis, rel = fill32 - ink32, img[y0:y1, x0:x1] - ink32
    s = np.clip(np.einsum("hwc,c->hw", rel, axis) / float(axis @ axis), 0.0, 1.0)
    on_segment = np.abs(rel - s[..., None] * axis).max(axis=-1) <= tol
    near = np.pad(core[y0:y1, x0:x1], 2)
    near = np.logical_or.reduce([near[dy:dy + near.shape[0] - 4] for dy in range(5)])
    near = np.logical_or.reduce([near[:, dx:dx + near.shape[1] - 4] for dx in range(5)])
    weight = np.where(near & on_segment, s, 0.0)
    total = float(weight.sum())
    return (float(weight.sum(axis=1) @ np.arange(y0, y0 + weight.shape[0])) / total,
            float(weight.sum(axis=0) @ np.arange(x0, x0 + weight.shape[1])) / total)


def to_vs_clip(clip: AnimeClip, fps: Fraction = Fraction(24000, 1001), format: int | None = None,
               *, mark_cuts: bool = False, matrix: str = "709") -> vs.VideoNode:
    """The clip as a VapourSynth node, rendered lazily per requested frame.

    ``format`` is a ``vs.PresetVideoFormat`` (default RGBS); integer RGB and YUV formats are
    converted with ``core.resize.Bicubic`` (``matrix`` for YUV; integers rounded, no dither).
    ``mark_cuts`` sets ``_SceneChangePrev/_SceneChangeNext`` at cuts, otherwise cuts are left
    for detection.
    """
    import vapoursynth as vs

    core = vs.core
    fps = Fraction(fps)
    blank = core.std.BlankClip(width=clip.width, height=clip.height, format=vs.RGBS,
                               length=clip.num_frames, fpsnum=fps.numerator,
                               fpsden=fps.denominator, keep=True)
    starts = set(clip.scene_starts[1:])

    def render(n: int, f: vs.VideoFrame) -> vs.VideoFrame:
        out = f.copy()
        img = clip.frame(n)
        for p in range(3):
            np.copyto(np.asarray(out[p]), img[..., p])
        if mark_cuts:
            out.props["_SceneChangePrev"] = int(n in starts)
            out.props["_SceneChangeNext"] = int(n + 1 in starts)
        return out

    # The colours are display-referred BT.709/sRGB-like values; say so, so viewers need not guess.
    node = core.std.SetFrameProps(core.std.ModifyFrame(blank, blank, render), _Transfer=1, _Primaries=1)
    if format is None or format == vs.RGBS:
        return node
    target = core.get_video_format(format)
    if target.color_family == vs.YUV:
        return core.resize.Bicubic(node, format=target.id, matrix_s=matrix)
    return core.resize.Bicubic(node, format=target.id)
