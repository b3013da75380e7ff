"""Synthetic shots for scene-cut detection: hard cuts that are easy to miss, events that are not cuts.

Hard cuts, the ones a fixed SSIM threshold misses: two shots of the *same layout* (a sky
gradient over a textured band, or the same textured backdrop) with other palettes, the same
background with other characters, still or panning cameras. Non-cuts, the ones a detector must
not split: fast pans, camera shakes, flashes (1–3 frames towards white), fades to and from
black, and large characters moving fast. Every case is a short list of ``(H, W, 3)`` float32
frames in [0, 1] with the index of its cut pair (None for non-cuts), rendered from a seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .paint import Texture, draw_actor
from .scenes import FILLS, SHAPES, Actor, hold_start, outline_width

__all__ = ["ShotStyle", "CutCase", "render_shot", "cut_cases", "event_cases", "shot_pair_case"]


@dataclass(frozen=True)
class ShotStyle:
    """What a shot looks like: layout family, palette seed, camera pan and shake, characters.

    ``layout``: ``"horizon"`` (sky gradient over a textured band at ``horizon`` of the height)
    or ``"backdrop"`` (textured background everywhere). ``palette`` seeds the colours and
    texture; ``actors`` seeds the characters (count, shape, fill, path), ``actor_speed`` in px
    per frame, drawn on ``cadence``; ``pan`` px per frame (y, x); ``shake`` px of random jitter.
    """

    layout: str = "horizon"
    palette: int = 0
    horizon: float = 0.55
    pan: tuple[float, float] = (0.0, 0.0)
    shake: float = 0.0
    actors: int = 0
    actor_count: int = 2
    actor_speed: float = 3.0
    actor_scale: float = 1.0
    cadence: int = 2
    origin: tuple[float, float] = (0.0, 0.0)
    still_until: int = 0


def _sky(height: int, width: int, palette: int) -> np.ndarray:
    """Vertical gradient between two colours of the palette: flat, the same shape for every palette."""
    rng = np.random.default_rng(palette + 7000)
    top, bottom = rng.uniform(0.25, 0.95, 3), rng.uniform(0.25, 0.95, 3)
    s = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    return np.broadcast_to(top + (bottom - top) * s, (height, width, 3)).astype(np.float32)


def _actors(style: ShotStyle, width: int, height: int) -> list[Actor]:
    rng = np.random.default_rng(style.actors + 9000)
    out = []
    for k in range(style.actor_count):
        r = 0.12 * min(width, height) * style.actor_scale * rng.uniform(0.8, 1.2)
        size = (r, r * rng.uniform(0.9, 1.3))
        start = (rng.uniform(0.3, 0.8) * height, rng.uniform(0.2, 0.8) * width)
        angle = rng.uniform(0, 2 * math.pi)
        vel = (style.actor_speed * math.sin(angle) * 0.3, style.actor_speed * math.cos(angle))
        out.append(Actor(SHAPES[int(rng.integers(len(SHAPES)))], FILLS[int(rng.integers(len(FILLS)))],
                         size, start, vel, style.cadence, outline=outline_width(size)))
    return out


def render_shot(style: ShotStyle, width: int, height: int, frames: int, seed: int = 0) -> list[np.ndarray]:
    """``frames`` consecutive frames of one shot; the camera moves on ones, characters on ``cadence``."""
    texture = Texture.from_seed(style.palette)
    actors = _actors(style, width, height) if style.actors >= 0 else []
    jitter = np.random.default_rng(seed + 500).uniform(-1, 1, (frames, 2)) * style.shake
    out = []
    for j in range(frames):
        t = max(0, j - style.still_until)
        offset = (style.origin[0] + style.pan[0] * t + jitter[j, 0], style.origin[1] + style.pan[1] * t + jitter[j, 1])
        img = texture.render(height, width, offset)
        if style.layout == "horizon":
            line = int(style.horizon * height)
            img[:line] = _sky(line, width, style.palette)
        for actor in actors:
            draw_actor(img, actor, actor.centre(hold_start(t, actor.cadence)))
        out.append(img)
    return out


@dataclass
class CutCase:
    """Frames of one case and the pair (i, i+1) that is a hard cut, or None."""

    kind: str
    frames: list[np.ndarray]
    cut: int | None


def shot_pair_case(kind: str, a: ShotStyle, b: ShotStyle, width: int, height: int, seed: int,
                   length: int = 8) -> CutCase:
    """Shot ``a`` for ``length`` frames, a hard cut, shot ``b`` for ``length`` frames."""
    return CutCase(kind, render_shot(a, width, height, length, seed) + render_shot(b, width, height, length, seed + 1),
                   length - 1)


def _random_motion(rng: np.random.Generator, width: int) -> dict:
    """A camera that holds still half the time and otherwise pans up to 2 % of the width per frame."""
    still = rng.random() < 0.5
    pan = (0.0, 0.0) if still else (rng.uniform(-0.3, 0.3) * width / 100, rng.uniform(-2, 2) * width / 100)
    return {"pan": pan, "cadence": int(rng.integers(1, 4)), "actor_speed": rng.uniform(0, 2) * width / 100}


def cut_cases(count: int, width: int = 320, height: int = 180, seed: int = 0) -> list[CutCase]:
    """``count`` hard cuts, cycling through the hard kinds: same layout with another palette
    (horizon or backdrop); the same background art framed anew with other characters; and the
    same framing of the same background with other characters (only the characters change)."""
    rng = np.random.default_rng(seed)
    kinds = ("same_layout_horizon", "same_layout_backdrop", "same_background_other_characters",
             "same_framing_other_characters")
    out = []
    for k in range(count):
        kind = kinds[k % len(kinds)]
        layout = "backdrop" if kind == "same_layout_backdrop" else "horizon"
        horizon = rng.uniform(0.4, 0.7)
        p = int(rng.integers(1 << 30))
        a = ShotStyle(layout, p, horizon, actors=p, **_random_motion(rng, width))
        if kind == "same_framing_other_characters":
            b = ShotStyle(layout, p, horizon, actors=p + 1, **_random_motion(rng, width))
        elif kind == "same_background_other_characters":
            shift = (rng.uniform(-0.1, 0.1) * height, rng.choice([-1, 1]) * rng.uniform(0.2, 0.4) * width)
            b = ShotStyle(layout, p, horizon, actors=p + 1, origin=shift, **_random_motion(rng, width))
        else:
            b = ShotStyle(layout, p + 1, horizon + rng.uniform(-0.05, 0.05), actors=p + 2,
                          **_random_motion(rng, width))
        out.append(shot_pair_case(kind, a, b, width, height, seed=k))
    return out


def event_cases(count: int, width: int = 320, height: int = 180, seed: int = 1, length: int = 16) -> list[CutCase]:
    """``count`` shots with an event that is not a cut, cycling through fast pan, shake, flash,
    fade out, fade in, large fast characters, a pose change (limited animation: the only
    drawing of a still shot held, then redrawn once, in another place), a still camera that
    starts a fast pan, and still characters that start moving fast."""
    rng = np.random.default_rng(seed)
    kinds = ("fast_pan", "shake", "flash", "fade_out", "fade_in", "large_motion", "pose_change", "pan_start",
             "action_start")
    out = []
    for k in range(count):
        kind = kinds[k % len(kinds)]
        p = int(rng.integers(1 << 30))
        layout = ("horizon", "backdrop")[k % 2]
        style = ShotStyle(layout, p, rng.uniform(0.4, 0.7), actors=p, **_random_motion(rng, width))
        if kind == "fast_pan":
            speed = rng.uniform(4, 10) * width / 100
            angle = rng.uniform(0, 2 * math.pi)
            style = ShotStyle(layout, p, style.horizon, pan=(speed * math.sin(angle) * 0.4, speed * math.cos(angle)),
                              actors=p, cadence=style.cadence)
        elif kind == "shake":
            style = ShotStyle(layout, p, style.horizon, shake=rng.uniform(1, 3) * width / 100, actors=p,
                              cadence=style.cadence)
        elif kind == "large_motion":
            style = ShotStyle(layout, p, style.horizon, actors=p, actor_count=1, actor_scale=rng.uniform(2.5, 3.5),
                              actor_speed=rng.uniform(6, 12) * width / 100, cadence=int(rng.integers(1, 3)))
        elif kind == "pan_start":
            speed = rng.uniform(3, 8) * width / 100
            style = ShotStyle(layout, p, style.horizon, pan=(0.0, speed * rng.choice([-1, 1])), actors=p,
                              cadence=style.cadence, still_until=length // 2)
        elif kind == "action_start":
            style = ShotStyle(layout, p, style.horizon, actors=p, actor_count=int(rng.integers(1, 3)),
                              actor_scale=rng.uniform(1.5, 3.0), actor_speed=rng.uniform(4, 10) * width / 100,
                              cadence=int(rng.integers(1, 3)), still_until=length // 2)
        elif kind == "pose_change":
            style = ShotStyle(layout, p, style.horizon, actors=p, actor_count=int(rng.integers(1, 3)),
                              actor_scale=rng.uniform(1.0, 2.0), actor_speed=rng.uniform(1, 2) * width / 100,
                              cadence=length // 2)
        frames = render_shot(style, width, height, length, seed=k)
        mid = length // 2
        if kind == "flash":
            span, level = int(rng.integers(1, 4)), rng.uniform(0.6, 1.0)
            for j in range(mid, mid + span):
                frames[j] = frames[j] + (1.0 - frames[j]) * np.float32(level)
        elif kind in ("fade_out", "fade_in"):
            steps = int(rng.integers(6, 13))
            for j in range(length):
                gain = np.clip((j - (mid - steps // 2)) / steps, 0.0, 1.0)
                frames[j] = frames[j] * np.float32(1.0 - gain if kind == "fade_out" else gain)
        out.append(CutCase(kind, frames, None))
    return out
