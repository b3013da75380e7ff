"""How synthetic frames are painted: analytic background textures and cel-shaded actors
(flat fill, dark ink outline, antialiased by a signed distance). NumPy only."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np


__all__ = ["INK", "Drawing", "Texture", "draw_actor"]

INK = (0.07, 0.05, 0.10)
_DETAIL_WAVES = 96  # fine plane waves (periods 3–24 px): texture a wrong pan shows in PSNR


@dataclass
class Texture:
    """Analytic background: colour = f(sum of plane waves), exact at any sub-pixel offset."""

    waves: np.ndarray      # (K, 4): ky, kx (rad/px), phase, amplitude
    bands: tuple[slice, slice, slice]
    colours: np.ndarray    # (3, 3): two base tints and the stripe tint

    @classmethod
    def from_seed(cls, seed: int) -> Texture:
        rng = np.random.default_rng(seed)
        rows, slices, begin = [], [], 0
        for count, pmin, pmax, amp in ((4, 160.0, 480.0, 0.7), (6, 50.0, 140.0, 0.6),
                                       (_DETAIL_WAVES, 3.0, 24.0, 0.35)):
            theta = rng.uniform(0.0, math.pi, count)
            k = 2.0 * math.pi / np.exp(rng.uniform(math.log(pmin), math.log(pmax), count))
            rows.append(np.stack([k * np.sin(theta), k * np.cos(theta),
                                  rng.uniform(0.0, 2.0 * math.pi, count),
                                  np.full(count, amp / math.sqrt(count))], axis=1))
            slices.append(slice(begin, begin + count))
            begin += count
        hue = rng.uniform(0.0, 1.0)
        colours = np.stack([_muted(hue, rng.uniform(0.55, 0.8)),
                            _muted(hue + rng.uniform(0.25, 0.45), rng.uniform(0.3, 0.5)),
                            _muted(hue + 0.5, rng.uniform(0.45, 0.7))])
        return cls(np.concatenate(rows).astype(np.float64), tuple(slices), colours)

    def render(self, height: int, width: int, offset: tuple[float, float]) -> np.ndarray:
        """The texture with its content moved by ``offset`` (y, x) pixels.

        Each wave sin(ky·y + kx·x + φ) splits into row and column factors, so every band is
        one small matrix product (einsum: BLAS threads stall on a busy machine)."""
        ys = np.arange(height, dtype=np.float64) - offset[0]
        xs = np.arange(width, dtype=np.float64) - offset[1]
        fields = []
        for band in self.bands:
            ky, kx, ph, amp = self.waves[band].T
            ay = (ys[:, None] * ky[None, :] + ph[None, :]).astype(np.float32)
            bx = (kx[:, None] * xs[None, :]).astype(np.float32)
            amp32 = amp.astype(np.float32)
            rows = np.concatenate([np.sin(ay) * amp32, np.cos(ay) * amp32], axis=1)
            fields.append(np.einsum("hk,kw->hw", rows, np.concatenate([np.cos(bx), np.sin(bx)])))
        low, mid, high = fields
        mix = np.tanh(2.0 * low) * 0.5 + 0.5
        stripe = np.tanh(3.0 * np.sin(4.0 * mid)) * 0.175 + 0.175
        feats = np.stack([np.ones_like(mix), mix, stripe, mix * stripe], axis=-1)
        c0, c1, c2 = self.colours
        weights = np.stack([c0, c1 - c0, c2 - c0, c0 - c1]).astype(np.float32)
        img = np.einsum("hwf,fc->hwc", feats, weights)
        img *= (high * 0.6 + 1.0)[..., None]
        return np.clip(img, 0.0, 1.0, out=img)


def _muted(hue: float, value: float) -> np.ndarray:
    """A low-saturation colour (saturation 0.25), far from every entry of FILLS."""
    h = (hue % 1.0) * 6.0
    rgb = np.clip(np.abs(((h + np.array([0.0, 4.0, 2.0])) % 6.0) - 3.0) - 1.0, 0.0, 1.0)
    return value * (1.0 - 0.25 + 0.25 * rgb)


def _sdf(shape: str, dy: np.ndarray, dx: np.ndarray, ry: float, rx: float) -> np.ndarray:
    """Approximate signed distance in pixels (negative inside) to the shape's edge."""
    if shape == "ellipse":
        u, v = dx / rx, dy / ry
        k = np.sqrt(u * u + v * v)
        g = np.sqrt((u / rx) ** 2 + (v / ry) ** 2)
        return np.where(g > 1e-6, (k - 1.0) * k / np.maximum(g, 1e-6), -min(rx, ry))
    if shape == "box":
        rr = 0.25 * min(rx, ry)
        qx, qy = np.abs(dx) - (rx - rr), np.abs(dy) - (ry - rr)
        outside = np.hypot(np.maximum(qx, 0.0), np.maximum(qy, 0.0))
        return outside + np.minimum(np.maximum(qx, qy), 0.0) - rr
    u, v = dx / rx, dy / ry
    rho = np.sqrt(u * u + v * v)
    ang = np.arctan2(u, -v)
    edge = (1.0 + 0.3 * np.cos(5.0 * ang)) / 1.3
    slope = -1.5 * np.sin(5.0 * ang) / 1.3
    scale = min(rx, ry)
    return (rho - edge) * scale / np.sqrt(1.0 + (slope / np.maximum(rho, 0.5)) ** 2)


class Drawing(Protocol):
    """What painting needs of an actor (``synthetic.Actor``): its outline shape, half extent
    (ry, rx) in pixels including the ink, ink width in pixels and fill colour."""

    shape: str
    size: tuple[float, float]
    outline: float
    fill: tuple[float, float, float]


def draw_actor(img: np.ndarray, actor: Drawing, centre: tuple[float, float]) -> None:
    """Composite the actor centred at ``centre`` (y, x) onto img in place, antialiased."""
    height, width = img.shape[:2]
    ry, rx = actor.size
    reach = max(ry, rx) + 2.0
    y0, y1 = max(0, math.floor(centre[0] - reach)), min(height, math.ceil(centre[0] + reach) + 1)
    x0, x1 = max(0, math.floor(centre[1] - reach)), min(width, math.ceil(centre[1] + reach) + 1)
    if y0 >= y1 or x0 >= x1:
        return
    dy = (np.arange(y0, y1, dtype=np.float64) - centre[0])[:, None]
    dx = (np.arange(x0, x1, dtype=np.float64) - centre[1])[None, :]
    d = _sdf(actor.shape, dy, dx, ry, rx)
    alpha = np.clip(0.5 - d, 0.0, 1.0).astype(np.float32)[..., None]
    inner = np.clip(0.5 - (d + actor.outline), 0.0, 1.0).astype(np.float32)[..., None]
    ink = np.asarray(INK, np.float32)
    colour = ink + (np.asarray(actor.fill, np.float32) - ink) * inner
    region = img[y0:y1, x0:x1]
    region += (colour - region) * alpha
