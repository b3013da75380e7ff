"""Cuts between shots that look alike are found by the filter, so no output blends two shots
(docs/cuts.md §5, §9).

Two cases the old pairwise SSIM test missed: the same layout in another palette, and the same
framing of the same background with only the characters changed (which the structure measure
of the contrast test misses too; the new-content measure finds it).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
import vapoursynth as vs

import vsafi
from conftest import assert_seek_equals_playback, clip_from_arrays, needs_weights, rgb_of
from vsafi.cuts import CutDetector, cut_thumbs, pair_change, ssim_small, thumbnail
from vsafi.synthetic.shots import ShotStyle, cut_cases, shot_pair_case

pytestmark = needs_weights("rife")
FPS = Fraction(60000, 1001)


@pytest.fixture(scope="module")
def same_layout():
    """Sky over a textured band, then the same layout in another palette (SSIM 0.46 at the cut)."""
    case = cut_cases(1, 160, 90)[0]
    frames = [f.transpose(2, 0, 1) for f in case.frames]
    return frames, case.cut


@pytest.fixture(scope="module")
def other_characters():
    """One still framing of one background; only the characters change at the cut (nothing
    moves inside a shot, so any output is exactly one shot's picture or a blend of both)."""
    case = shot_pair_case("other_characters", ShotStyle("horizon", 0, actors=0, actor_speed=0.0),
                          ShotStyle("horizon", 0, actors=100, actor_speed=0.0), 160, 90, seed=0)
    frames = [f.transpose(2, 0, 1) for f in case.frames]
    thumbs = [cut_thumbs(torch.from_numpy(np.ascontiguousarray(f))[None]) for f in frames]
    structure, new = CutDetector(lambda a, b: pair_change(thumbs[a], thumbs[b]), len(frames)).scores(case.cut)
    assert not structure.cut and new.cut, "premise: only the new-content measure finds this cut"
    return frames, case.cut


@pytest.fixture(params=["same_layout", "other_characters"])
def shots(request):
    return request.getfixturevalue(request.param)


def test_premise_the_old_ssim_test_missed_these_cuts(shots):
    frames, cut = shots
    a, b = (thumbnail(torch.from_numpy(np.ascontiguousarray(frames[i]))[None]) for i in (cut, cut + 1))
    assert ssim_small(a, b) >= 0.3


def _blend(out: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Where ``out`` lies between shot frames a (0) and b (1): a 50/50 blend scores 0.5."""
    da, db = np.abs(out - a).mean(), np.abs(out - b).mean()
    return float(da / (da + db))


@pytest.mark.parametrize("mode", ["plain", "forward", "drba"])
def test_outputs_around_the_cut_show_one_shot(shots, mode):
    frames, cut = shots
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


# With every intermediate evicted, each output recomputes the contrast test over its whole window
# (thumbnails included): about 20 s per case on two cores, so `make test-slow` runs that variant.
@pytest.mark.parametrize("evict", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_seek_equals_playback_with_the_contrast_test(shots, evict):
    frames, _ = shots
    assert_seek_equals_playback(clip_from_arrays(frames, fmt=vs.YUV420P8), fps=FPS, mode="forward", device="cpu",
                                evict=evict)
