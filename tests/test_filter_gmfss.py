"""GMFSS through the public filter: golden picture, and pair work computed once per source pair."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import torch
import pytest
import vapoursynth as vs

import vsafi
from conftest import FIXTURES, clip_from_arrays, counting, needs_weights, rgb_of
from vsafi.engine.backends import get_backend
from vsafi.synthetic import AnimeClip, cadence_scene, to_vs_clip


@pytest.mark.parametrize("model, fixture", [
    pytest.param("gmfss", "gmfss_base.npz", marks=needs_weights("gmfss")),
    pytest.param("gmfss_union", "gmfss_union.npz", marks=needs_weights("gmfss_union")),
])
def test_golden_pair_through_public_api(model, fixture):
    g = np.load(FIXTURES / fixture)
    clip = clip_from_arrays([g["a_256x448_I0"], g["a_256x448_I1"]], fps=Fraction(24))
    out = vsafi.interpolate(clip, factor=2, mode="plain", model=model, device="cpu", scene_threshold=None)
    diff = np.abs(rgb_of(out.get_frame(1)) - g["a_256x448_out_t050"])
    assert diff.mean() < 5e-6 and np.percentile(diff, 99.99) < 5e-4 and diff.max() < 5e-3


@needs_weights("gmfss")
def test_plain_runs_gmflow_once_per_source_pair():
    anime = AnimeClip(128, 64, [cadence_scene(128, 64, 1, length=8, seed=2)])
    src = to_vs_clip(anime, fps=Fraction(24000, 1001), format=vs.RGBS)
    module = get_backend("gmfss", device="cpu").module
    out = vsafi.interpolate(src, factor=Fraction(5, 2), mode="plain", model="gmfss", device="cpu",
                            scene_threshold=None)
    with counting(module.flownet, "forward") as gmflow:
        for j in range(out.num_frames):
            out.get_frame(j)
    assert out.num_frames == 20
    assert len(gmflow) == 2 * 7, "GMFlow must run once per direction per source pair, not per output frame"


@needs_weights("gmfss")
def test_forward_with_gmfss_reuses_pairs_across_pyramid_levels():
    anime = AnimeClip(128, 64, [cadence_scene(128, 64, 2, length=8, seed=4)])
    src = to_vs_clip(anime, fps=Fraction(24000, 1001), format=vs.RGBS)
    module = get_backend("gmfss", device="cpu").module
    out = vsafi.interpolate(src, fps=Fraction(60000, 1001), mode="forward", n_forward=1, model="gmfss",
                            device="cpu", scene_threshold=None)
    with counting(module.flownet, "forward") as gmflow:
        frames = [out.get_frame(j) for j in range(out.num_frames)]
    pairs = 7 + 6 + 2  # F-F for the midpoints, L1-L1 in the body, (F[0], L1[0]) head and (L1[6], F[7]) tail
    assert len(gmflow) == 2 * pairs
    assert all(f.props["vsafi_mode"] == "forward" for f in frames)
    assert np.array_equal(rgb_of(frames[-1]), rgb_of(src.get_frame(7)))


@needs_weights("gmfss")
def test_canvas_off_the_unit_resizes_for_gmfss_and_pads_for_rife():
    from vsafi.engine.canvas import Canvas
    from vsafi.engine.render import Renderer
    from vsafi.engine.cache import OnceCache

    x = torch.rand(1, 3, 70, 90)
    for mode in ("replicate", "resize"):
        c = Canvas(70, 90, 64, mode)
        assert c.pad(x).shape[2:] == (128, 128)
        assert c.crop(c.pad(x)).shape[2:] == (70, 90)
    assert torch.equal(Canvas(70, 90, 64, "replicate").crop(Canvas(70, 90, 64, "replicate").pad(x)), x)
    on_unit = torch.rand(1, 3, 128, 64)
    assert Canvas(128, 64, 64, "resize").pad(on_unit) is on_unit
    assert Renderer(get_backend("gmfss", device="cpu"), 70, 90, OnceCache(1)).canvas.mode == "resize"
    assert Renderer(get_backend("rife", device="cpu"), 70, 90, OnceCache(1)).canvas.mode == "replicate"
