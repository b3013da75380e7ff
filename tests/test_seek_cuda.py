"""Seeking equals playback on CUDA, bit for bit, for every model × mode: 8 threads, a cache so
small that every intermediate is recomputed, fp16 as users run it. Skips without a CUDA device."""

from __future__ import annotations

from fractions import Fraction

import pytest
import torch
import vapoursynth as vs

from conftest import assert_seek_equals_playback, have_weights
from vsafi.models.registry import MODELS
from vsafi.modes import MODES
from vsafi.synthetic import AnimeClip, cadence_scene, mixed_scene, to_vs_clip

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("model", list(MODELS))
def test_seek_equals_playback_on_cuda(model: str, mode: str):
    if not have_weights(model):
        pytest.skip(f"weights for {model} missing")
    w, h = 384, 192
    anime = AnimeClip(w, h, [mixed_scene(w, h, (2, 3), length=10, pan=(0.0, 1.5), seed=4),
                             cadence_scene(w, h, 2, length=6, seed=8)])
    src = to_vs_clip(anime, fps=Fraction(24000, 1001), format=vs.YUV420P8)
    assert_seek_equals_playback(src, seed=5, evict=True, threads=8, fps=Fraction(60000, 1001), mode=mode,
                                model=model, device="cuda")


def _assert_rife_seeks_as_it_plays(mode: str, **options) -> None:
    if not have_weights("rife"):
        pytest.skip("weights for rife missing")
    w, h = 384, 192
    src = to_vs_clip(AnimeClip(w, h, [mixed_scene(w, h, (1, 2), length=8, pan=(0.0, 1.5), seed=4)]),
                     fps=Fraction(24000, 1001), format=vs.YUV420P8)
    assert_seek_equals_playback(src, seed=5, evict=True, threads=8, fps=Fraction(60000, 1001), mode=mode,
                                model="rife", device="cuda", **options)


@pytest.mark.parametrize("mode", ["plain", "drba"])
def test_seek_equals_playback_on_cuda_with_compiled_rife(mode: str):
    """``compile="wait"``: every call runs the inductor graph; its kernels must be as
    order-independent as eager's (docs/compile.md §5)."""
    _assert_rife_seeks_as_it_plays(mode, compile="wait")


@pytest.mark.parametrize("mode", ["forward", "drba"])
def test_seek_equals_playback_on_cuda_in_batches(mode: str):
    """``batch=4``: which requests share a pass depends on thread timing, so seeking equals
    playback only if no frame depends on its batch mates or its place in the batch
    (docs/compile.md §6)."""
    _assert_rife_seeks_as_it_plays(mode, batch=4)
