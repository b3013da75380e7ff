"""The contrast cut test on synthetic shots: what it must find and what it must leave alone.

The filter still uses the pairwise SSIM test; this is the candidate that replaces it once it
meets the cut benchmark's targets (benchmarks/scenecut.py, benchmarks/RESULTS.md).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from vsafi.engine.scenecut import MIN_CUT_DIFFERENCE, ContrastCuts, pair_difference, ssim_small, thumbnail
from vsafi.synthetic_shots import ShotStyle, cut_cases, event_cases, render_shot

W, H = 160, 90


def decide_all(frames: list[np.ndarray]) -> list[bool]:
    thumbs = [thumbnail(torch.from_numpy(np.ascontiguousarray(f.transpose(2, 0, 1)))[None]) for f in frames]

    @lru_cache(maxsize=None)
    def diff(a: int, b: int) -> float:
        return pair_difference(thumbs[a], thumbs[b])

    test = ContrastCuts(diff, len(frames))
    return [test.is_cut(i) for i in range(len(frames) - 1)]


def test_same_layout_cuts_missed_by_ssim_are_found():
    """Two shots of one layout (sky over a textured band), other palettes: the old test's misses."""
    cases = [c for k, c in enumerate(cut_cases(8, W, H)) if k in (0, 4)]
    for case in cases:
        thumbs = [thumbnail(torch.from_numpy(np.ascontiguousarray(f.transpose(2, 0, 1)))[None]) for f in case.frames]
        assert ssim_small(thumbs[case.cut], thumbs[case.cut + 1]) >= 0.3, "premise: the SSIM test misses this cut"
        assert [i for i, c in enumerate(decide_all(case.frames)) if c] == [case.cut]


def test_events_inside_a_shot_are_rarely_cuts():
    """Fast pans, shakes, flashes, fades, large motion, pose changes, a pan or an action that
    starts: at most 1 % of their pairs may be marked (the benchmark's target). A 3-frame flash
    during a pan is the known weak spot: the frames compared across it lie 4 apart, and the pan
    moves them apart too."""
    cases = event_cases(18, W, H, seed=3)
    assert {c.kind for c in cases} == {"fast_pan", "shake", "flash", "fade_out", "fade_in", "large_motion",
                                        "pose_change", "pan_start", "action_start"}
    marked = sum(sum(decide_all(case.frames)) for case in cases)
    pairs = sum(len(case.frames) - 1 for case in cases)
    assert marked <= pairs // 100, f"{marked} of {pairs} pairs marked as cuts"


def test_a_flash_that_returns_is_not_a_cut_but_a_cut_to_a_new_shot_is():
    shot = render_shot(ShotStyle("backdrop", palette=5, actors=5, cadence=3), W, H, 14)
    flashed = [f if j not in (6, 7) else f + (1 - f) * np.float32(0.9) for j, f in enumerate(shot)]
    assert not any(decide_all(flashed))
    other = render_shot(ShotStyle("backdrop", palette=6, actors=7, cadence=3), W, H, 14)
    assert [i for i, c in enumerate(decide_all(shot[:7] + other[7:])) if c] == [6]


def test_flat_frames_compare_by_colour():
    """A fade's last step to black is a small change; a hard cut to black is not."""
    frame = render_shot(ShotStyle("backdrop", palette=2), 64, 48, 1)[0]
    thumb = thumbnail(torch.from_numpy(np.ascontiguousarray(frame.transpose(2, 0, 1)))[None])
    black = torch.zeros_like(thumb)
    assert pair_difference(thumb * 0.05, black) < 0.05
    assert pair_difference(thumb, black) > MIN_CUT_DIFFERENCE


def test_shots_are_deterministic():
    style = ShotStyle("horizon", palette=3, actors=3, pan=(0.5, 2.0), shake=1.5)
    first, again = render_shot(style, 96, 54, 4, seed=1), render_shot(style, 96, 54, 4, seed=1)
    assert all(np.array_equal(x, y) for x, y in zip(first, again))
    assert not np.array_equal(first[0], first[1])
