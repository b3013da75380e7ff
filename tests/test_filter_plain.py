"""The public filter in mode plain with RIFE: exact timing, golden pictures, cuts, seeking, props."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import vapoursynth as vs

import vsafi
from conftest import assert_seek_equals_playback, clip_from_arrays, moving_box_frames, needs_weights, planes, rgb_of

pytestmark = needs_weights("rife")
core = vs.core


def test_golden_pair_through_public_api(golden_rife):
    g = golden_rife
    clip = clip_from_arrays([g["a_256x448_I0"], g["a_256x448_I1"]], fps=Fraction(24))
    out = vsafi.interpolate(clip, factor=2, mode="plain", model="rife", device="cpu")
    assert out.num_frames == 4 and out.fps == Fraction(48)
    assert out.format.id == vs.RGBS
    mid = rgb_of(out.get_frame(1))
    assert np.abs(mid - g["a_256x448_out_t050"]).max() < 1e-4
    assert np.array_equal(rgb_of(out.get_frame(0)), g["a_256x448_I0"])
    assert np.array_equal(rgb_of(out.get_frame(2)), g["a_256x448_I1"])


def test_ntsc_24_to_60_frame_count_durations_and_originals():
    src = clip_from_arrays(moving_box_frames(24), fmt=vs.YUV420P8)
    out = vsafi.interpolate(src, fps=59.94, mode="plain", device="cpu", scene_threshold=None)
    assert out.num_frames == 60
    assert out.fps == Fraction(60000, 1001)
    for j in range(60):
        f = out.get_frame(j)
        assert (f.props["_DurationNum"], f.props["_DurationDen"]) == (1001, 60000)
        assert f.props["_AbsoluteTime"] == pytest.approx(j * 1001 / 60000)
        tau = Fraction(j * 2, 5)
        assert f.props["vsafi_time"] == pytest.approx(float(tau))
        if tau.denominator == 1:
            src_planes = planes(src.get_frame(int(tau)))
            assert all(np.array_equal(a, b) for a, b in zip(planes(f), src_planes)), j
    assert out.format.id == vs.YUV420P8


def test_cut_gives_no_blend_and_scene_change_props():
    frames = moving_box_frames(12, cut_at=6)
    src = clip_from_arrays(frames)
    out = vsafi.interpolate(src, factor=3, mode="plain", device="cpu")
    for j in range(out.num_frames):
        tau = Fraction(j, 3)
        f = out.get_frame(j)
        if 5 <= tau < 6:
            assert np.array_equal(rgb_of(f), frames[5]), f"output {j} blends across the cut"
        assert bool(f.props.get("_SceneChangeNext", 0)) == (j == 17)
        assert bool(f.props.get("_SceneChangePrev", 0)) == (j == 18)


def test_explicit_scenes_and_props_mark_cuts():
    frames = moving_box_frames(8)
    by_list = vsafi.interpolate(clip_from_arrays(frames), factor=2, mode="plain", device="cpu", scenes=[4])
    by_prop = vsafi.interpolate(clip_from_arrays(frames, props={4: {"_SceneChangePrev": 1}}), factor=2,
                                mode="plain", device="cpu")
    for out in (by_list, by_prop):
        assert np.array_equal(rgb_of(out.get_frame(7)), frames[3])
        assert out.get_frame(7).props["_SceneChangeNext"] == 1
        assert not np.array_equal(rgb_of(out.get_frame(5)), frames[2])


def test_shuffled_threaded_fetch_equals_sequential():
    src = clip_from_arrays(moving_box_frames(10, cut_at=7), fmt=vs.YUV420P10)
    assert_seek_equals_playback(src, fps=Fraction(60000, 1001), mode="plain", device="cpu")


@pytest.mark.parametrize("fmt", [vs.RGB24, vs.YUV444P16, vs.YUV420P8, vs.RGBH, vs.YUV422P10])
def test_output_format_equals_input(fmt):
    src = clip_from_arrays(moving_box_frames(3), fmt=fmt)
    out = vsafi.interpolate(src, factor=2, mode="plain", device="cpu", scene_threshold=None)
    assert out.format.id == src.format.id
    mid = out.get_frame(1)
    rgb = core.resize.Bicubic(out, format=vs.RGBS, matrix_in_s="709") if out.format.color_family == vs.YUV \
        else core.resize.Point(out, format=vs.RGBS)
    ref = core.resize.Bicubic(src, format=vs.RGBS, matrix_in_s="709") if src.format.color_family == vs.YUV \
        else core.resize.Point(src, format=vs.RGBS)
    a, b, m = rgb_of(ref.get_frame(0)), rgb_of(ref.get_frame(1)), rgb_of(rgb.get_frame(1))
    assert mid.props["vsafi_plan"] == "VFI(F[0], F[1], 1/2)"
    assert np.abs(m - (a + b) / 2).mean() < 0.05


def test_src_fps_for_fps_zero_clip():
    src = clip_from_arrays(moving_box_frames(4))
    vfr = core.std.Splice([src[:2], core.std.AssumeFPS(src[2:], fpsnum=30)], mismatch=True)
    assert vfr.fps == 0
    with pytest.raises(vs.Error, match="src_fps"):
        vsafi.interpolate(vfr, factor=2, mode="plain", device="cpu")
    out = vsafi.interpolate(vfr, fps=Fraction(60000, 1001), src_fps=Fraction(24000, 1001), mode="plain", device="cpu")
    assert out.num_frames == 10


@pytest.mark.parametrize(
    "kwargs, clip_kind, message",
    [
        (dict(factor=2, fps=60), "ok", "exactly one of fps= or factor="),
        (dict(), "ok", "exactly one of fps= or factor="),
        (dict(fps=Fraction(24000, 1001)), "ok", "must be higher"),
        (dict(fps=12), "ok", "must be higher"),
        (dict(factor=Fraction(1, 2)), "ok", "must be higher"),
        (dict(factor=-2), "ok", "positive"),
        (dict(fps="fast"), "ok", "not a rate"),
        (dict(factor=2, model="dain"), "ok", "model must be one of"),
        (dict(factor=2, mode="backward"), "ok", "mode must be one of"),
        (dict(factor=2, scale=0.3), "ok", "scale must be one of"),
        (dict(factor=2, phase="odd"), "ok", "phase must be one of"),
        (dict(factor=2, n_forward=-1), "ok", "n_forward"),
        (dict(factor=2, scene_ratio=0.5), "ok", "scene_ratio"),
        (dict(factor=2, scene_threshold=0.3), "ok", "scene_ratio="),
        (dict(factor=2, scenes=[99]), "ok", "outside the clip"),
        (dict(factor=2, device="tpu"), "ok", "device"),
        (dict(factor=2, precision="fp16", device="cpu"), "ok", "fp16"),
        (dict(factor=2, weights="/nonexistent"), "ok", "vsafi.weights install"),
        (dict(factor=2), "gray", "only YUV and RGB"),
        (dict(factor=2), "short", "at least 2"),
        (dict(factor=2), "variable", "constant format"),
        (dict(factor=2), "notaclip", "vs.VideoNode"),
    ],
)
def test_bad_input_gives_clear_error(kwargs, clip_kind, message):
    ok = clip_from_arrays(moving_box_frames(3))
    clip = {
        "ok": ok,
        "gray": core.std.BlankClip(format=vs.GRAY8, length=4),
        "short": ok[0],
        "variable": core.std.Splice([ok, core.std.BlankClip(ok, width=32)], mismatch=True),
        "notaclip": "clip.mkv",
    }[clip_kind]
    kwargs.setdefault("device", "cpu")
    with pytest.raises(vs.Error, match=message):
        vsafi.interpolate(clip, mode=kwargs.pop("mode", "plain"), **kwargs)


@pytest.mark.parametrize("mode", ["plain", "forward", "drba"])
def test_mpv_video_in_like_clip_costs_nothing_up_front(mode):
    """mpv passes fps 0 and ~134 M frames: building the graph reads no source frame, and a far
    seek reads only that output's window."""
    base = core.std.BlankClip(width=64, height=48, format=vs.YUV420P8, length=134_000_000, color=[80, 100, 150])
    spliced = core.std.Splice([base, core.std.BlankClip(base, length=1, fpsnum=30)], mismatch=True)
    requested: list[int] = []
    video_in = core.std.FrameEval(spliced, lambda n: requested.append(n) or spliced)
    assert video_in.fps == 0
    out = vsafi.interpolate(video_in, fps=Fraction(60000, 1001), src_fps=Fraction(24000, 1001), mode=mode,
                            device="cpu")
    assert requested == []
    assert out.num_frames == -(-(134_000_001 * 5) // 2)
    f = out.get_frame(250_000_001)
    assert f.props["vsafi_time"] == pytest.approx(100_000_000.4)
    assert 2 <= len(set(requested)) <= 60
    assert all(abs(i - 100_000_000) <= 48 for i in requested)


def test_model_failure_is_a_clear_vs_error(monkeypatch):
    from vsafi.engine.backends import get_backend

    backend = get_backend("rife", device="cpu")

    def broken(*args, **kwargs):
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(backend, "synth", broken)
    out = vsafi.interpolate(clip_from_arrays(moving_box_frames(3)), factor=2, mode="plain", device="cpu",
                            scene_threshold=None)
    assert np.array_equal(rgb_of(out.get_frame(0)), moving_box_frames(3)[0])
    with pytest.raises(vs.Error, match=r"interpolate: output frame 1: RuntimeError: CUDA out of memory.*cache_mb"):
        out.get_frame(1)
