"""Mode forward (docs/forward.md) through the public filter: held drawings become even motion,
seeking is exact, on-ones scenes are left alone, and the model runs no more often than the
pyramid needs."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import vapoursynth as vs

import vsafi
from conftest import assert_seek_equals_playback, needs_weights, planes, rgb_of
from vsafi.engine.backends import get_backend
from vsafi.modes.forward.plan import forward_plan
from vsafi.synthetic import AnimeClip, cadence_scene, centroid_of_colour, mixed_scene, to_vs_clip
from vsafi.timing.plan import Node

pytestmark = needs_weights("rife")
core = vs.core
NTSC = Fraction(24000, 1001)
FPS_60 = Fraction(60000, 1001)
W, H = 320, 176


def two_actor_clip(length: int = 30) -> AnimeClip:
    """One actor on twos, one on threes, over a background panning on ones."""
    return AnimeClip(W, H, [mixed_scene(W, H, (2, 3), length=length, pan=(0.0, 1.3), speed=4.0, seed=3)])


def _rgb_hwc(frame) -> np.ndarray:
    return np.moveaxis(rgb_of(frame), 0, -1)


def _still_fractions(out: vs.VideoNode, anime: AnimeClip, actors: tuple[int, ...], js: range) -> list[float]:
    """Per actor, the fraction of consecutive output pairs in ``js`` where its centroid moves
    < 0.3 px. Each output is fetched once for all the actors, not once per actor."""
    fills = [anime.actors(0)[a].fill for a in actors]
    frames = [_rgb_hwc(out.get_frame(j)) for j in js]
    fractions = []
    for fill in fills:
        cents = [centroid_of_colour(f, fill, tol=0.04) for f in frames]
        assert all(c is not None for c in cents), "actor lost in the output"
        steps = [np.hypot(b[0] - a[0], b[1] - a[1]) for a, b in zip(cents, cents[1:])]
        fractions.append(float(np.mean(np.array(steps) < 0.3)))
    return fractions


@pytest.fixture(scope="module")
def twos_threes():
    anime = two_actor_clip()
    src = to_vs_clip(anime, fps=NTSC, format=vs.RGBS)
    fwd = vsafi.interpolate(src, fps=FPS_60, mode="forward", device="cpu", scene_threshold=None)
    plain = vsafi.interpolate(src, fps=FPS_60, mode="plain", device="cpu", scene_threshold=None)
    return anime, src, fwd, plain


def test_auto_n_for_twos_and_threes_over_a_pan(twos_threes):
    _, _, fwd, _ = twos_threes
    assert {fwd.get_frame(j).props["vsafi_n_forward"] for j in (0, 30, 70)} == {2}


def test_holds_disappear_and_background_stays(twos_threes):
    anime, src, fwd, plain = twos_threes
    n_out = fwd.num_frames
    body = range(10, 61)  # 50 steps: whole periods of the drawing on twos (5 outputs per 2 frames)
    still_fwd, still_plain = (_still_fractions(out, anime, (0, 1), body) for out in (fwd, plain))
    for actor, f, p in zip((0, 1), still_fwd, still_plain):
        assert f <= 0.05, f"forward leaves actor {actor} still in {f:.0%} of steps"
        assert p >= 0.40, f"plain should hold actor {actor}: still in {p:.0%} of steps"
    psnrs = []
    for j in range(10, n_out - 10, 7):
        tau = Fraction(j) * NTSC / FPS_60
        truth = anime.truth(tau)
        got = _rgb_hwc(fwd.get_frame(j))
        mask = np.ones((H, W), bool)
        for a in range(2):
            cy, cx = anime.true_centre(a, tau)
            ry, rx = anime.actors(0)[a].size
            yy, xx = np.mgrid[0:H, 0:W]
            mask &= (np.abs(yy - cy) > ry + 12) | (np.abs(xx - cx) > rx + 12)
        mask[:, :8] = mask[:, -8:] = False
        mse = float(np.mean((got[mask] - truth[mask]) ** 2))
        psnrs.append(10 * np.log10(1 / mse))
    assert min(psnrs) >= 30, psnrs


@pytest.mark.parametrize("pan", [(0.0, 0.0), (0.0, 2.0)])
def test_on_ones_forward_auto_equals_plain(pan):
    anime = AnimeClip(W, H, [cadence_scene(W, H, 1, length=12, pan=pan, seed=5)])
    src = to_vs_clip(anime, fps=NTSC, format=vs.RGBS)
    fwd = vsafi.interpolate(src, fps=FPS_60, mode="forward", device="cpu")
    plain = vsafi.interpolate(src, fps=FPS_60, mode="plain", device="cpu")
    for j in range(0, fwd.num_frames, 3):
        f = fwd.get_frame(j)
        assert f.props["vsafi_n_forward"] == 0
        assert np.array_equal(rgb_of(f), rgb_of(plain.get_frame(j))), j


def test_auto_n_per_scene_and_cut():
    anime = AnimeClip(W, H, [cadence_scene(W, H, 2, length=14, seed=1),
                             cadence_scene(W, H, 3, length=16, pan=(0.0, 1.0), seed=2)])
    src = to_vs_clip(anime, fps=NTSC, format=vs.RGB24)
    out = vsafi.interpolate(src, factor=2, mode="forward", device="cpu")
    assert out.get_frame(4).props["vsafi_n_forward"] == 1
    assert out.get_frame(40).props["vsafi_n_forward"] == 2
    last_first = out.get_frame(27), out.get_frame(28)
    assert last_first[0].props["_SceneChangeNext"] == 1 and last_first[1].props["_SceneChangePrev"] == 1
    assert np.array_equal(planes(last_first[0])[0], planes(src.get_frame(13))[0])
    assert np.array_equal(planes(last_first[1])[0], planes(src.get_frame(14))[0])


# With every intermediate evicted, each output recomputes its pyramid nodes and the cut test's
# window: about 35 s on two cores, so `make test-slow` runs that case (test_conv_layout evicts
# under forward on a shorter clip in `make test`).
@pytest.mark.parametrize("evict", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_shuffled_threaded_fetch_equals_sequential(evict):
    anime = AnimeClip(160, 96, [mixed_scene(160, 96, (2, 3), length=10, pan=(0.0, 1.0), seed=4),
                                cadence_scene(160, 96, 2, length=6, seed=8)])
    src = to_vs_clip(anime, fps=NTSC, format=vs.YUV420P8)
    assert_seek_equals_playback(src, seed=3, evict=evict, fps=FPS_60, mode="forward", device="cpu")


@pytest.mark.parametrize("n_forward", [1, 2, 3])
def test_model_calls_sequential_and_cold_seek(n_forward):
    anime = AnimeClip(128, 64, [cadence_scene(128, 64, 2, length=20, seed=6)])
    src = to_vs_clip(anime, fps=NTSC, format=vs.RGBS)
    backend = get_backend("rife", device="cpu")
    kw = dict(fps=FPS_60, mode="forward", n_forward=n_forward, device="cpu", scene_threshold=None)

    out = vsafi.interpolate(src, **kw)
    before = backend.calls
    for j in range(out.num_frames):
        out.get_frame(j)
    calls = backend.calls - before
    # What the plans need, from the plan arithmetic alone: every pyramid node they name (and the
    # nodes those are made of) once, plus one synthesis per output between two nodes.
    plans = [forward_plan(j, FPS_60 / NTSC, 20, n_forward, lambda i: False) for j in range(out.num_frames)]
    assert [str(p) for p in plans] == [out.get_frame(j).props["vsafi_plan"] for j in range(out.num_frames)]
    nodes, todo = set(), [x for p in plans for x in (p.a, p.b) if x is not None and x.level > 0]
    while todo:
        node = todo.pop()
        if node not in nodes:
            nodes.add(node)
            todo += [x for x in (Node(node.level - 1, node.index), Node(node.level - 1, node.index + 1)) if x.level]
    vfis = sum(p.b is not None for p in plans)
    assert calls == len(nodes) + vfis
    # With no cut the outputs walk every level of the pyramid, so all of its nodes are made.
    assert len(nodes) == sum(20 - level for level in range(1, n_forward + 1))

    for j in (22, 25, 31):
        cold = vsafi.interpolate(src, **kw)
        before = backend.calls
        cold.get_frame(j)
        assert backend.calls - before <= n_forward * (n_forward + 3) // 2 + 1, j
