"""Mode drop, the keyframe baseline: duplicates dropped only within a scene, kept frames at their
own times, exact output count, clean cuts, seek == playback, and the failure on mixed cadences
that the method is known for (asserted, so the baseline stays honest)."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
import vapoursynth as vs

import vsafi
from conftest import assert_seek_equals_playback, needs_weights, rgb_of
from vsafi.modes.drop.plan import MAX_GAP, drop_plan, drop_window, is_kept
from vsafi.synthetic import AnimeClip, cadence_scene, centroid_of_colour, mixed_scene, to_vs_clip
from vsafi.timing.timemap import output_length


def test_plans_stay_in_their_scene_and_show_kept_frames_at_their_own_times():
    rng = random.Random(3)
    n, ratio = 60, Fraction(5, 2)
    for _ in range(20):
        cuts = {i for i in range(n - 1) if rng.random() < 0.08}
        dups = {i for i in range(1, n) if rng.random() < 0.6}
        is_cut, is_dup = cuts.__contains__, dups.__contains__

        def scene(i: int) -> int:
            return sum(1 for c in cuts if c < i)

        for j in range(output_length(n, ratio)):
            plan = drop_plan(j, ratio, n, is_cut, is_dup)
            assert plan.sources <= set(drop_window(j, ratio, n)), j
            tau = min(Fraction(j) / ratio, Fraction(n - 1))
            a = plan.a.index
            assert is_kept(a, is_cut, is_dup) and a <= tau
            assert all(not is_kept(i, is_cut, is_dup) or scene(i) != scene(a) for i in range(a + 1, int(tau) + 1))
            if plan.b is not None:
                b = plan.b.index
                assert is_kept(b, is_cut, is_dup) and scene(b) == scene(a), "a plan spans a cut"
                assert plan.t == (tau - a) / (b - a)
                assert not any(is_kept(i, is_cut, is_dup) for i in range(a + 1, b))
            elif tau == int(tau) and is_kept(int(tau), is_cut, is_dup):
                assert a == tau


def test_a_still_shot_gets_a_keyframe_every_max_gap_frames_and_holds_never_do():
    all_dup = lambda i: True  # noqa: E731
    no_cut = lambda i: False  # noqa: E731
    assert [i for i in range(20) if is_kept(i, no_cut, all_dup)] == list(range(0, 20, MAX_GAP))
    on_fours = lambda i: i % 4 != 0  # noqa: E731
    assert [i for i in range(20) if is_kept(i, no_cut, on_fours)] == list(range(0, 20, 4))
    on_threes_offset = lambda i: i % 3 != 1  # noqa: E731
    assert [i for i in range(1, 20) if is_kept(i, no_cut, on_threes_offset)] == list(range(1, 20, 3))


def x_of(frame: vs.VideoFrame, fill) -> float:
    c = centroid_of_colour(rgb_of(frame).transpose(1, 2, 0), fill)
    assert c is not None
    return c[1]


def judder(xs: list[float]) -> float:
    steps = np.diff(xs)
    return float(np.std(steps) / np.mean(np.abs(steps)))


@needs_weights("rife")
def test_drawings_on_twos_become_even_motion_and_the_output_count_is_exact():
    scene = cadence_scene(192, 96, 2, length=10, actors=1, speed=4.0, seed=2)
    src = to_vs_clip(AnimeClip(192, 96, [scene]))
    out = vsafi.interpolate(src, factor=Fraction(5, 2), mode="drop", device="cpu")
    plain = vsafi.interpolate(src, factor=Fraction(5, 2), mode="plain", device="cpu")
    assert out.num_frames == plain.num_frames == output_length(10, Fraction(5, 2))
    fill = scene.actors[0].fill
    xs = [x_of(out.get_frame(j), fill) for j in range(0, 19)]
    held = [x_of(plain.get_frame(j), fill) for j in range(0, 19)]
    assert judder(xs) < 0.2 < judder(held)
    assert all(f.props["vsafi_mode"] == "drop" for f in (out.get_frame(0), out.get_frame(7)))


@needs_weights("rife")
def test_mixed_cadences_break_it_as_the_literature_says():
    """One actor on twos beside one on threes: a frame is dropped only where neither changes, so
    each actor's timing follows the other's drawings and its motion stutters; forward dedup moves
    both evenly."""
    scene = mixed_scene(192, 128, (2, 3), length=13, speed=4.0, seed=4)
    src = to_vs_clip(AnimeClip(192, 128, [scene]))
    fills = [a.fill for a in scene.actors]
    runs = {mode: vsafi.interpolate(src, factor=Fraction(5, 2), mode=mode, device="cpu", scene_ratio=None)
            for mode in ("drop", "forward")}
    spread = {}
    for mode, out in runs.items():
        frames = [out.get_frame(j) for j in range(3, 27)]  # each output rendered once for both actors
        spread[mode] = max(judder([x_of(f, fill) for f in frames]) for fill in fills)
    assert spread["drop"] > 0.3 and spread["drop"] > 2 * spread["forward"], spread


@needs_weights("rife")
def test_a_cut_is_never_blended_and_duplicates_are_dropped_only_within_a_scene():
    first = cadence_scene(128, 64, 2, length=6, actors=1, speed=4.0, seed=0)
    second = cadence_scene(128, 64, 2, length=6, actors=1, speed=4.0, seed=4)
    src = to_vs_clip(AnimeClip(128, 64, [first, second]))
    out = vsafi.interpolate(src, factor=2, mode="drop", device="cpu", scenes=[6])
    plans = [out.get_frame(j).props["vsafi_plan"] for j in range(out.num_frames)]
    assert plans[12] == "F[6]", plans  # the new scene's first frame is kept, at its own time
    for j in range(out.num_frames):
        f = out.get_frame(j)
        other = second.actors[0].fill if j < 12 else first.actors[0].fill
        assert centroid_of_colour(rgb_of(f).transpose(1, 2, 0), other) is None, (j, plans[j])


@needs_weights("rife")
def test_seek_equals_playback():
    src = to_vs_clip(AnimeClip(128, 64, [mixed_scene(128, 64, (2, 3), length=10, seed=1),
                                         cadence_scene(128, 64, 1, length=5, seed=2)]), format=vs.YUV420P8)
    assert_seek_equals_playback(src, seed=4, evict=True, fps=Fraction(60000, 1001), mode="drop", device="cpu")


def test_threshold_is_checked():
    src = to_vs_clip(AnimeClip(64, 32, [cadence_scene(64, 32, 1, length=3, seed=0)]))
    with pytest.raises(vs.Error, match="drop_threshold must be None or a number in"):
        vsafi.interpolate(src, factor=2, mode="drop", drop_threshold=-1, device="cpu")
    with pytest.raises(vs.Error, match="drop_threshold applies to mode=drop, not mode='forward'"):
        vsafi.interpolate(src, factor=2, mode="forward", drop_threshold=0.01, device="cpu")
