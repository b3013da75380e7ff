"""Auto-N: the hold period ("on twos", "on threes") of a run of frames, measured locally.

Global frame differences cannot see holds: a background panning on ones under characters on
twos makes every whole frame differ. So each pixel of frame t is checked against explanations
from its neighbours: "held" (unchanged since t−1), "panned" (moved with the camera since t−1)
and, for background just uncovered, "panned into t+1". The camera track is a straight line in
time fitted to phase-correlation peaks of consecutive frame *differences* (held drawings cancel
out of a difference, so they cannot outvote a slow pan), then refined by Lucas–Kanade to a few
hundredths of a pixel. What nothing explains is the residual.

A drawing held k frames leaves a residual only on every k-th frame, so in a tile it crosses
the residual is a train of clear events all congruent mod k; characters or backgrounds on ones
leave residual every frame or none at all. Each moving tile votes 0 (still), 1 (no holds) or its
hold period; the answer is the largest period with enough votes (one actor on threes beside
one on twos → 3, so forward dedup gets N = 2), else 1.

A pure function of the frames given: no state, no randomness.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from ..gray import analysis_image

__all__ = ["MAX_PERIOD", "cadence_votes", "measure_cadence"]

MAX_PERIOD = 4
_PEAKS = 4           # correlation peaks kept per frame triple
_PEAK_MIN = 0.04     # whitened correlation height below which a peak is noise
_PEAK_BLUR = 0.7     # px: low-pass of the correlation surface
_PAN_TOL = 1.0       # px (analysis image): a peak on the camera track
_PAN_SUPPORT = 0.6   # share of triples that must follow one track to call it a pan
_LK_PAIRS = 8        # pairs refined by Lucas–Kanade
_LK_BLUR = (2.0, 1.0, 1.0)  # px per step: smoothing keeps Lucas–Kanade linear
_HELD = 0.02         # gray levels: below this a pixel counts as unchanged
_MOVING = 0.01       # mean residual of a tile that moves
_CONTRAST = 0.7      # a holding tile's peak residual: at least this share of it above quiet
_QUIET = 0.15        # share of that rise below which a frame counts as quiet
_HOLDING = 0.1       # share of moving tiles that must hold for any answer above 1
_SHARE = 0.15        # share of holding tiles a period needs to win


def _stack(frames: Sequence[np.ndarray]) -> np.ndarray:
    images = [analysis_image(f) for f in frames]
    if len({f.shape for f in images}) > 1:
        raise ValueError("measure_cadence: frames must all have the same shape")
    return np.stack(images)


def _cross_power(f0: np.ndarray | None, f1: np.ndarray | None,
                 smooth: np.ndarray) -> np.ndarray | None:
    """Whitened cross spectrum of two consecutive differences' spectra, low-passed by
    ``smooth`` (peaks become blobs, steadier on small frames) and scaled so a perfect match
    still peaks at 1; None when either difference is blank (a hold). Its inverse DFT peaks at
    the translation carrying d0's content onto d1's."""
    if f0 is None or f1 is None:
        return None
    cross = f1 * np.conj(f0)
    return cross / np.maximum(np.abs(cross), 1e-12) * smooth


def _peaks(cross: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Up to ``_PEAKS`` separated correlation peaks (dy, dx, height), sub-pixel by parabola.
    Several, because a big moving character can outscore the panning background."""
    h, w = shape
    corr = np.fft.irfft2(cross, s=shape)
    found: list[tuple[float, float, float]] = []
    count = min(64, corr.size)
    top = np.argpartition(corr, corr.size - count, axis=None)[-count:]
    for flat in top[np.argsort(corr.ravel()[top])[::-1]]:
        py, px = divmod(int(flat), w)
        height = float(corr[py, px])
        if height < _PEAK_MIN or len(found) == _PEAKS:
            break
        if any(min(abs(py - y) % h, -abs(py - y) % h) <= 2
               and min(abs(px - x) % w, -abs(px - x) % w) <= 2 for y, x, _ in found):
            continue
        found.append((py, px, height))
    out = np.empty((len(found), 3))
    for n, (py, px, height) in enumerate(found):
        dy = py + _vertex(corr[py - 1, px], height, corr[(py + 1) % h, px])
        dx = px + _vertex(corr[py, px - 1], height, corr[py, (px + 1) % w])
        out[n] = (dy - h if dy > h / 2 else dy, dx - w if dx > w / 2 else dx, height)
    return out


def _vertex(c_m: float, c_0: float, c_p: float) -> float:
    den = c_m - 2.0 * c_0 + c_p
    return 0.0 if den >= 0 else float(np.clip(0.5 * (c_m - c_p) / den, -0.5, 0.5))


def _camera(stack: np.ndarray, shift: Callable[..., np.ndarray]) -> np.ndarray:
    """Camera translation (dy, dx) in analysis pixels for each pair t → t+1, shape (T−1, 2).

    Triple t (frames t−1, t, t+1) correlates the differences around frame t. The pan is the
    straight line in time that the peaks of at least ``_PAN_SUPPORT`` of the triples follow,
    grown from the best-supported peak; without one (static camera, or a pan on twos whose
    differences alternate with blanks and must stay visible as a hold) it is zero."""
    pairs = len(stack) - 1
    zero = np.zeros((pairs, 2))
    if pairs < 2:
        return zero
    h, w = stack.shape[1:]
    win = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)
    spectra = [np.fft.rfft2(d * win) if np.abs(d).mean() >= 1e-4 else None
               for d in np.diff(stack, axis=0)]
    gain = -2.0 * (np.pi * _PEAK_BLUR) ** 2
    gy, gx = np.exp(gain * np.fft.fftfreq(h) ** 2), np.exp(gain * np.fft.fftfreq(w) ** 2)
    smooth = np.outer(gy, np.exp(gain * np.fft.rfftfreq(w) ** 2)) / (gy.mean() * gx.mean())
    crosses = [_cross_power(spectra[t - 1], spectra[t], smooth) for t in range(1, pairs)]
    found = [(_peaks(c, (h, w)) if c is not None else np.empty((0, 3))) for c in crosses]
    n = len(found)
    cand = np.full((n, _PEAKS, 3), np.nan)
    for i, p in enumerate(found):
        cand[i, :len(p)] = p
    times = np.arange(1, pairs, dtype=np.float64)

    def matches(track: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For tracks (S, n, 2): which triples have a peak on them (S, n) and its index."""
        err = np.abs(cand[None, :, :, :2] - track[:, :, None, :]).max(axis=-1)
        err = np.where(np.isnan(err), np.inf, err)
        idx = err.argmin(axis=-1)
        return np.take_along_axis(err, idx[..., None], -1)[..., 0] <= _PAN_TOL, idx

    seeds = cand[..., :2].reshape(-1, 2)
    seeds = seeds[~np.isnan(seeds[:, 0])]
    if not len(seeds):
        return zero
    hit, idx = matches(np.repeat(seeds[:, None, :], n, axis=1))
    heights = np.take_along_axis(np.nan_to_num(cand[..., 2])[None], idx[..., None], -1)[..., 0]
    track = np.repeat(seeds[int(np.argmax((heights * hit).sum(axis=1)))][None], n, axis=0)
    design = np.stack([np.ones(n), times - times.mean()], axis=1)
    for _ in range(3):
        hit, idx = matches(track[None])
        hit, idx = hit[0], idx[0]
        if hit.sum() < max(2, _PAN_SUPPORT * n):
            return zero
        rows = np.nonzero(hit)[0]
        coef = np.linalg.lstsq(design[rows], cand[rows, idx[rows], :2], rcond=None)[0]
        track = design @ coef
    at_pairs = np.stack([np.ones(pairs), np.arange(pairs) + 0.5 - times.mean()], axis=1)
    return _refine(stack, at_pairs @ coef, shift)


def _refine(stack: np.ndarray, coarse: np.ndarray,
            shift: Callable[..., np.ndarray]) -> np.ndarray:
    """The camera track to ~0.02 px: per pair, Gauss–Newton (Lucas–Kanade) steps for the
    translation from the coarse value, over pixels that changed (held drawings would pull it
    to zero) with Tukey weights (moving characters are outliers); then a straight line through
    the pairs. Phase-correlation peaks alone are off by up to ~0.5 px on small frames."""
    pairs = len(coarse)
    fine, ok = coarse.copy(), np.zeros(pairs, bool)
    for t in np.unique(np.linspace(0, pairs - 1, min(pairs, _LK_PAIRS)).round().astype(int)):
        changed = np.abs(stack[t + 1] - stack[t]) > _HELD
        m = int(math.ceil(np.abs(coarse[t]).max())) + 2
        changed[:m], changed[-m:], changed[:, :m], changed[:, -m:] = False, False, False, False
        if changed.sum() < 64:
            continue
        est, targets = coarse[t].copy(), {b: shift(t + 1, 0.0, 0.0, b) for b in set(_LK_BLUR)}
        for blur in _LK_BLUR:
            target, moved = targets[blur], shift(t, *est, blur)
            gy, gx = np.gradient(moved)
            r, gy, gx = (target - moved)[changed], gy[changed], gx[changed]
            sigma = max(1.4826 * float(np.median(np.abs(r))), 1e-3)
            wgt = np.clip(1.0 - (r / (4.685 * sigma)) ** 2, 0.0, None) ** 2
            a = np.array([[np.dot(wgt * gy, gy), np.dot(wgt * gy, gx)],
                          [np.dot(wgt * gx, gy), np.dot(wgt * gx, gx)]])
            if np.linalg.cond(a) > 1e6:
                break
            step = -np.linalg.solve(a, [np.dot(wgt * gy, r), np.dot(wgt * gx, r)])
            est += np.clip(step, -0.5, 0.5)
            ok[t] = True
        fine[t] = est
    if ok.sum() < 2:
        return coarse
    times = np.arange(pairs, dtype=np.float64)
    design = np.stack([np.ones(pairs), times - times.mean()], axis=1)
    keep = ok & (np.abs(fine - coarse).max(axis=1) <= _PAN_TOL)
    if keep.sum() < 2:
        return coarse
    return design @ np.linalg.lstsq(design[keep], fine[keep], rcond=None)[0]


def _fast_len(n: int) -> int:
    """Smallest 5-smooth integer >= n (fast FFT length)."""
    while True:
        m = n
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        if m == 1:
            return n
        n += 1


def _shifter(stack: np.ndarray) -> Callable[..., np.ndarray]:
    """Exact (Fourier) sub-pixel translation of frame i by (dy, dx), optionally Gaussian-blurred
    (sigma ``blur`` px), on a reflect-padded canvas so the wrap-around stays outside the image."""
    h, w = stack.shape[1:]
    margin = max(8, min(h, w) // 8)
    ph, pw = _fast_len(h + 2 * margin) - h, _fast_len(w + 2 * margin) - w
    top, left = ph // 2, pw // 2
    canvas = (h + ph, w + pw)
    spectra = np.fft.rfft2(np.pad(stack, ((0, 0), (top, ph - top), (left, pw - left)),
                                  mode="reflect"))
    fy = np.fft.fftfreq(canvas[0])[:, None]
    fx = np.fft.rfftfreq(canvas[1])[None, :]

    def shift(i: int, dy: float, dx: float, blur: float = 0.0) -> np.ndarray:
        gain = -2.0 * (np.pi * blur) ** 2
        ramp = (np.exp(-2j * np.pi * fy * dy + gain * fy * fy)
                * np.exp(-2j * np.pi * fx * dx + gain * fx * fx)).astype(np.complex64)
        out = np.fft.irfft2(spectra[i] * ramp, s=canvas)
        return out[top:top + h, left:left + w].astype(np.float32)

    return shift


def _residual(stack: np.ndarray, pan: np.ndarray,
              shift: Callable[..., np.ndarray]) -> np.ndarray:
    """(T−1, h, w): the change of frame t (t = 1..T−1) that neither a hold nor the camera
    explains, less the noise level."""
    count = len(stack)
    out = np.empty((count - 1,) + stack.shape[1:], np.float32)
    for t in range(1, count):
        cur = stack[t]
        r = np.abs(cur - stack[t - 1])
        if math.hypot(*pan[t - 1]) > 0.05:
            np.minimum(r, np.abs(cur - shift(t - 1, *pan[t - 1])), out=r)
        if t + 1 < count and math.hypot(*pan[t]) > 0.25:
            ahead = np.abs(cur - shift(t + 1, *(-pan[t])))
            ahead[np.abs(cur - stack[t + 1]) <= _HELD] = np.inf
            np.minimum(r, ahead, out=r)
        out[t - 1] = r
    noise = float(np.clip(2.0 * np.median(out), 0.003, _HELD))
    np.subtract(out, noise, out=out)
    return np.maximum(out, 0.0, out=out)


def _tile_series(res: np.ndarray, tile: int) -> np.ndarray:
    """(T−1, n_tiles): mean residual of half-overlapping square tiles of ``tile`` px."""
    half = tile // 2
    count, h, w = res.shape
    hb, wb = h // half, w // half
    blocks = res[:, :hb * half, :wb * half].reshape(count, hb, half, wb, half).mean(axis=(2, 4))
    tiles = blocks[:, :-1, :-1] + blocks[:, 1:, :-1] + blocks[:, :-1, 1:] + blocks[:, 1:, 1:]
    return tiles.reshape(count, -1) * 0.25


def _tile_periods(series: np.ndarray, max_period: int) -> np.ndarray:
    """Per tile: 0 still, 1 moving without holds, k ≥ 2 when every frame with residual above the
    tile's quiet level (at least 3 of them, each far above it) falls on one residue mod k: the
    largest such k ≤ max_period. Event heights may vary (a character crossing the tile);
    what marks a hold is that the frames between events are quiet."""
    top = series.max(axis=0)
    base = np.quantile(series, 0.2, axis=0)
    span = top - base
    active = series > base + _QUIET * span
    moving = top > _MOVING
    clean = moving & (span > _CONTRAST * top) & (active.sum(axis=0) >= 3)
    periods = moving.astype(np.int64)
    t = np.arange(len(series))[:, None]
    for k in range(2, max_period + 1):
        first = np.where(active, t % k, k).min(axis=0)
        last = np.where(active, t % k, -1).max(axis=0)
        periods = np.where(clean & (first == last), k, periods)
    return periods


def cadence_votes(frames: Sequence[np.ndarray], *, max_period: int = MAX_PERIOD) -> np.ndarray:
    """Tiles per verdict: ``votes[0]`` still, ``votes[1]`` moving with no holds, ``votes[k]``
    holding k frames (k = 2..max_period). Tiles are half-overlapping squares of 8–16 analysis
    px. Frames as for ``measure_cadence``."""
    stack = _stack(frames)
    if len(stack) < 3:
        return np.zeros(max_period + 1, np.int64)
    tile = int(np.clip(min(stack.shape[1:]) // 8, 8, 16)) // 2 * 2
    shift = _shifter(stack)
    series = _tile_series(_residual(stack, _camera(stack, shift), shift), tile)
    return np.bincount(_tile_periods(series, max_period), minlength=max_period + 1)


def measure_cadence(frames: Sequence[np.ndarray], *, max_period: int = MAX_PERIOD) -> int:
    """Dominant hold period of a run of consecutive frames from one scene: 1 (on ones, or
    static), 2 (twos), 3 (threes), at most ``max_period``.

    ``frames``: at least 3, best 24–48, ``(h, w)`` float gray images in [0, 1] as made by
    ``analysis_image`` (``(H, W, 3)`` RGB frames are converted with it). Holds count when at
    least 2 tiles and ``_HOLDING`` of the moving tiles show one; then the largest period with
    ``_SHARE`` of the holding tiles wins, so characters on twos and threes in one shot give 3,
    also over a background panning on ones.
    """
    votes = cadence_votes(frames, max_period=max_period)
    holding = int(votes[2:].sum())
    if holding < max(2, _HOLDING * int(votes[1:].sum())):
        return 1
    for k in range(max_period, 1, -1):
        if votes[k] >= max(2, math.ceil(_SHARE * holding)):
            return k
    return 1
