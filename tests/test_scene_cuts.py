"""Cuts between shots of one layout are found by the filter, so no output blends two shots."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
import vapoursynth as vs

import vsafi
from conftest import assert_seek_equals_playback, clip_from_arrays, needs_weights, rgb_of
from vsafi.engine.scenecut import ssim_small, thumbnail
from vsafi.synthetic_shots import cut_cases

pytestmark = needs_weights("rife")
FPS = Fraction(60000, 1001)


@pytest.fixture(scope="module")
def same_layout():
    """Sky over a textured band, then the same layout in another palette (SSIM 0.46 at the cut)."""
    case = cut_cases(1, 160, 90)[0]
    frames = [f.transpose(2, 0, 1) for f in case.frames]
    return frames, case.cut


def test_premise_the_old_ssim_test_missed_this_cut(same_layout):
    frames, cut = same_layout
    a, b = (thumbnail(torch.from_numpy(np.ascontiguousarray(frames[i]))[None]) for i in (cut, cut + 1))
    assert ssim_small(a, b) >= 0.3


def _blend(out: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Where ``out`` lies between shot frames a (0) and b (1): a 50/50 blend scores 0.5."""
    da, db = np.abs(out - a).mean(), np.abs(out - b).mean()
    return float(da / (da + db))


@pytest.mark.parametrize("mode", ["plain", "forward", "drba"])
def test_outputs_around_a_same_layout_cut_show_one_shot(same_layout, mode):
    frames, cut = same_layout
    src = clip_from_arrays(frames)
    out = vsafi.interpolate(src, fps=FPS, mode=mode, device="cpu")
    marked = []
    for j in range(out.num_frames):
        f = out.get_frame(j)
        tau = Fraction(j * 1001 * 24, 60000)
        if f.props.get("_SceneChangeNext", 0):
            marked.append(j)
        if cut - 1 < tau < cut + 2:
            # Which shot an output shows near the cut is the mode's business (DRBA switches at
            # the half-way point); showing both at once is not.
            side = _blend(rgb_of(f), frames[cut], frames[cut + 1])
            assert min(side, 1 - side) < 0.2, f"{mode}: output {j} (source time {tau}) blends the shots ({side:.2f})"
    assert len(marked) == 1


def test_seek_equals_playback_with_the_contrast_test(same_layout):
    frames, _ = same_layout
    assert_seek_equals_playback(clip_from_arrays(frames, fmt=vs.YUV420P8), fps=FPS, mode="forward", device="cpu",
                                evict=True)
