"""The benchmarks' own arithmetic, called as functions on tiny inputs whose answers are known by
construction (the measured numbers live in benchmarks/RESULTS.md). The model is the tests'
crossfade, so nothing here needs weights."""

from __future__ import annotations

import math
import sys
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import vapoursynth as vs

import vsafi
import vsafi.graph
from conftest import clip_from_arrays
from vsafi.cuts.contrast import CUT_REACH
from vsafi.engine import cache as cache_module
from vsafi.engine.backends import get_backend
from vsafi.models.registry import MODELS, ModelSpec
from vsafi.modes.drba import ratio as drba_ratio
from vsafi.synthetic import AnimeClip
from vsafi.synthetic.shots import CutCase

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import cache_budget  # noqa: E402
import map_memory  # noqa: E402
import memory  # noqa: E402
import model_pacing  # noqa: E402
import precision  # noqa: E402
import quality  # noqa: E402
import scenecut  # noqa: E402
import speed  # noqa: E402

core = vs.core
RATIO = Fraction(5, 2)


@pytest.fixture
def keep_threads():
    """Benchmarks set VapourSynth's thread count as vspipe would; put it back afterwards."""
    threads = core.num_threads
    yield
    core.num_threads = threads


def _random_frames(n: int = 6, h: int = 32, w: int = 48) -> list[np.ndarray]:
    rng = np.random.default_rng(4)
    return [rng.uniform(0.0, 1.0, (3, h, w)).astype(np.float32) for _ in range(n)]


def test_scenecut_rates_count_each_tests_verdicts(monkeypatch):
    """Two cases with verdicts given by hand: one cut pair in all, six other pairs."""
    cut = CutCase("cut", [None] * 5, 2)       # pairs 0..3, the cut at 2
    event = CutCase("event", [None] * 4, None)  # pairs 0..2, no cut
    verdicts = {
        "cut": {"old": [False, False, False, True], "structure": [False, False, True, False],
                "new_content": [True, False, True, False], "filter": [True, False, True, False]},
        "event": {"old": [False] * 3, "structure": [False] * 3,
                  "new_content": [False, True, False], "filter": [False, True, False]},
    }
    monkeypatch.setattr(scenecut, "decisions", lambda case, ratio: verdicts[case.kind])
    result = scenecut.evaluate([cut, event], 1.4)
    assert (result["cuts"], result["non_cut_pairs"]) == (1, 6)
    assert result["recall"] == {"old": 0.0, "structure": 1.0, "new_content": 1.0, "filter": 1.0}
    assert result["false_pairs"] == {"old": 1, "structure": 0, "new_content": 2, "filter": 2}
    assert result["false_rate"] == {"old": 1 / 6, "structure": 0.0, "new_content": 2 / 6, "filter": 2 / 6}
    assert result["filter_missed_by_kind"] == {}
    assert result["filter_false_by_kind"] == {"cut": 1, "event": 1}


def test_scenecut_decisions_find_a_cut_between_two_still_shots():
    """Four copies of one picture, then four of an unrelated one: every test marks pair 3 alone."""
    rng = np.random.default_rng(0)
    ys, xs = np.mgrid[0:90, 0:160] / 160.0
    first = np.stack([0.2 + 0.5 * ys, 0.3 + 0.4 * xs, 0.6 - 0.3 * xs], -1).astype(np.float32)
    second = rng.uniform(0.0, 1.0, (90, 160, 3)).astype(np.float32)
    case = CutCase("still", [first] * 4 + [second] * 4, 3)
    expected = [False, False, False, True, False, False, False]
    assert scenecut.decisions(case, 1.4) == {name: expected for name in scenecut.TESTS}


def test_psnr_db_of_known_errors():
    y, uv = np.full((4, 8), 100, np.uint8), np.full((2, 4), 128, np.uint8)
    assert speed.psnr_db([y, uv, uv], [y, uv, uv]) == math.inf
    # One code value off on every plane: MSE 1 against a peak of 255.
    assert speed.psnr_db([y + 1, uv + 1, uv + 1], [y, uv, uv]) == pytest.approx(20 * math.log10(255))
    # Off on luma only: 32 of the 48 samples, MSE 2/3.
    assert speed.psnr_db([y + 1, uv, uv], [y, uv, uv]) == pytest.approx(10 * math.log10(255**2 * 1.5))
    # Float planes have a peak of 1.0: 0.1 off everywhere is 20 dB.
    f = np.zeros((4, 8), np.float32)
    assert speed.psnr_db([f + np.float32(0.1)], [f]) == pytest.approx(20.0, abs=1e-5)


def test_counted_calls_count_what_plain_asks_of_the_model(crossfade):
    """6 frames at 5/2 give 15 outputs; outputs 0, 5 and 10 are source frames and 13, 14 hold
    the last one, so plain asks for 10 syntheses over the 5 pairs (0, 1) .. (4, 5)."""
    out = vsafi.interpolate(clip_from_arrays(_random_frames()), factor=RATIO, mode="plain", model=crossfade,
                            device="cpu", scene_ratio=None)
    backend = get_backend(crossfade, device="cpu")
    with speed.CountedCalls(backend) as counted:
        for j in range(out.num_frames):
            out.get_frame(j)
    assert counted.counts == {"pair": 5, "synth": 10, "synth_map": 0, "flows": 0}
    assert not {"pair", "synth", "flows"} & set(vars(backend)), "the backend's own methods are back"


def test_speed_row_counts_calls_and_checks_seeking(crossfade, keep_threads):
    """12 outputs of the demo clip at 60000/1001: outputs 0, 5 and 10 are source frames."""
    row, kept = speed.measure(speed.source_in_memory(128, 64), crossfade, "plain", 12, "cpu")
    assert (row["frames"], row["size"], row["precision"], row["layout"]) == (12, "128x64", "float32", "nchw")
    assert (row["calls"]["synth"], row["calls"]["synth_map"], row["calls"]["flows"]) == (9, 0, 0)
    assert row["passes"] is None and row["peak_gib"] is None
    assert row["seek_equals_playback"] is True
    assert len(kept) == min(speed.SEEK_PICKS, 12)


def _steps(levels: list[int], src: vs.VideoNode) -> vs.VideoNode:
    """A YUV420P8 clip whose frame j is flat, luma ``levels[j]``, chroma 128."""
    return core.std.Splice([core.std.BlankClip(src, length=1, color=[v, 128, 128]) for v in levels])


def test_precision_compares_each_output_with_the_same_output_of_the_reference(monkeypatch):
    """The filter under test is stubbed: its output j is one luma code above the reference's
    output j and both change every frame, so only like-for-like pairs give one PSNR, that of
    MSE 2/3 (32 of 48 samples off by one)."""
    src = core.std.BlankClip(width=16, height=8, format=vs.YUV420P8, length=10)

    def interpolate(clip, *, precision, **kwargs):
        return _steps([20 + 3 * j + (precision == "fp16") for j in range(25)], clip)

    monkeypatch.setattr(precision.vsafi, "interpolate", interpolate)
    row = precision.compare(src, "rife", "plain", 5, "cuda", "fp16", "cuda", "fp32")
    assert row["outputs"] == 5 and row["identical"] is False
    assert row["min_psnr_db"] == pytest.approx(10 * math.log10(255**2 * 1.5))
    assert row["mean_psnr_db"] == pytest.approx(row["min_psnr_db"])
    same = precision.compare(src, "rife", "plain", 5, "cpu", "fp32", "cpu", "fp32")
    assert same["identical"] is True and same["min_psnr_db"] is None


def test_quality_scores_repeat_and_the_truth_as_defined():
    """A drawing on twos, 12 frames at 5/2: 30 outputs, 29 steps. Repeating the source moves
    the drawing only where floor(tau) reaches 2, 4, 6, 8 and 10, so 24 of 29 steps hold. The
    continuous truth holds only on the last step (outputs 28 and 29 are both clamped to frame
    11), does not judder and has no background error (120 dB)."""
    clip = AnimeClip(192, 108, quality.scenes(192, 108, 12)["twos"])
    repeat = quality.references(clip, 30, RATIO)["repeat"]
    assert repeat.held == [pytest.approx(24 / 29)]
    # The drawing moves 2 px a frame: true steps of 0.8 px (27), 0.4 and 0; repeat's steps are
    # 4 px (5) and 0. std(d − dt) / mean |dt| = sqrt(65.44 / 29 − (2 / 29)²) / (22 / 29) = 1.978.
    assert repeat.judder == [pytest.approx(1.978, abs=0.01)]
    assert repeat.bg_db == 120.0 and repeat.ones_db is None and repeat.blend is None
    truth = quality.score(clip, lambda j: clip.truth(min(Fraction(j) / RATIO, Fraction(11))), 30, RATIO)
    assert truth.held == [pytest.approx(1 / 29)] and truth.judder[0] < 0.05 and truth.bg_db == 120.0


def test_quality_blend_at_a_cut_is_the_nearer_shots_share():
    """Two scenes of 6 frames: outputs 13 and 14 (tau 5.2 and 5.6) fall between the cut's
    frames. A crossfade there is 0.2 and 0.4 of the way from the nearer frame, so its blend is
    0.4 × the mean difference of frames 5 and 6; repeating frames blends nothing."""
    clip = AnimeClip(192, 108, quality.scenes(192, 108, 12)["cut"])
    refs = quality.references(clip, 30, RATIO)
    gap = float(np.abs(clip.frame(6) - clip.frame(5)).mean())
    assert refs["crossfade"].blend == pytest.approx(0.4 * gap, rel=1e-4)
    assert refs["repeat"].blend == 0.0


def test_cache_budget_counts_work_done_again_under_a_small_cache(crossfade, monkeypatch, keep_threads):
    monkeypatch.setattr(cache_module, "OnceCache", cache_budget.WatchedCache)
    monkeypatch.setattr(vsafi.graph, "OnceCache", cache_budget.WatchedCache)
    src = speed.source_in_memory(128, 64)
    small, large = (cache_budget.play(src, "plain", budget, 12, 2) for budget in (0.05, 64))
    # 12 outputs at 5/2 show source frames 0..5, and cut detection reads CUT_REACH frames past
    # them: each converted once when nothing is evicted. Outputs 0, 5 and 10 need no synthesis.
    assert large["source_conversions"] == 6 + CUT_REACH and large["peak_cache_mib"] <= 64
    assert large["syntheses"] == small["syntheses"] == 9, "a smaller cache redoes work, it never skips any"
    assert small["source_conversions"] > large["source_conversions"]


@pytest.fixture
def paced(monkeypatch):
    monkeypatch.setitem(MODELS, model_pacing.PACED, ModelSpec(model_pacing.PACED, "a paced crossfade", (), 8,
                                                              "replicate", "model_pacing:load"))
    monkeypatch.setitem(model_pacing.PACE, "synth", 0.01)
    monkeypatch.setitem(model_pacing.PACE, "batch_gain", 0.5)


def test_model_pacing_accounts_the_model_time_it_paced(paced, keep_threads):
    """9 syntheses of 10 ms each, one at a time (the wall time is not checked)."""
    row = model_pacing.play(speed.source_in_memory(128, 64), "plain", 2, 12)
    assert (row["frames"], row["syntheses"], row["model_s"]) == (12, 9, 0.09)


def test_model_pacing_pads_every_batched_pass_to_its_size(paced, keep_threads):
    """Passes of 4 at half a request's time each: 4 × 0.5 × 10 ms a pass, however few it serves."""
    row = model_pacing.play(speed.source_in_memory(128, 64), "plain", 8, 12, batch=4)
    passes = row["passes"]
    assert row["syntheses"] == 9 and 3 <= passes <= 9
    assert row["model_s"] == round(passes * 4 * 0.5 * 0.01, 2)
    assert row["mean_batch"] == round(9 / passes, 2)


def test_map_memory_starts_its_maps_together(monkeypatch):
    """Each of the k calls waits for the others: k maps run at once or the barrier breaks."""
    barrier, done = threading.Barrier(3, timeout=60), []

    def held_ratio(*inputs):
        barrier.wait()
        done.append([tuple(x.shape) for x in inputs])

    monkeypatch.setattr(drba_ratio, "held_ratio", held_ratio)
    row = map_memory.child(16, 8, 3)
    assert (row["size"], row["at_once"]) == ("16x8", 3)
    assert done == [[(1, 2, 8, 16)] * 2 + [(1, 3, 8, 16)] * 3] * 3


def test_rss_reading_follows_an_allocation():
    before = memory.rss_mib()
    block = np.ones(64 << 20, np.uint8)  # 64 MiB, every page written
    grown = memory.rss_mib() - before
    assert block[-1] == 1 and 60 <= grown <= 72
