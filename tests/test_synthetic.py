"""The synthetic anime generator: holds, ground truth, cuts, pan and the centroid probe."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from vsafi.synthetic import (
    FILLS, Actor, AnimeClip, Scene, cadence_scene, centroid_of_colour, demo_clip, hold_start,
    mixed_scene, to_vs_clip,
)
from vsafi.synthetic.paint import Texture


def _fourier_shift(img: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """img's content moved by (dy, dx) px (exact for band-limited, periodic content)."""
    fy = np.fft.fftfreq(img.shape[0])[:, None]
    fx = np.fft.fftfreq(img.shape[1])[None, :]
    return np.fft.ifft2(np.fft.fft2(img) * np.exp(-2j * np.pi * (fy * dy + fx * dx))).real


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((a - b) ** 2)))


def test_hold_start():
    assert [hold_start(j, 2) for j in range(5)] == [0, 0, 2, 2, 4]
    assert [hold_start(j, 3, 1) for j in range(5)] == [-2, 1, 1, 1, 4]
    assert [hold_start(j, 1) for j in range(3)] == [0, 1, 2]


@pytest.mark.parametrize("cadence,phase", [(1, 0), (2, 0), (2, 1), (3, 0), (3, 2)])
def test_frames_hold_exactly_on_cadence(cadence, phase):
    scene = cadence_scene(160, 96, cadence, length=12, phase=phase, seed=cadence + phase)
    clip = AnimeClip(160, 96, [scene])
    frames = [clip.frame(i) for i in range(clip.num_frames)]
    for i in range(1, len(frames)):
        held = (i - phase) % cadence != 0
        assert np.array_equal(frames[i], frames[i - 1]) == held, i
        assert (clip.drawn_centre(0, i) == clip.drawn_centre(0, i - 1)) == held


def test_pan_changes_every_frame_but_actors_hold():
    clip = AnimeClip(160, 96, [cadence_scene(160, 96, 2, length=8, pan=(0.0, 0.7))])
    for i in range(1, 8):
        assert not np.array_equal(clip.frame(i), clip.frame(i - 1))
        assert (clip.drawn_centre(1, i) == clip.drawn_centre(1, i - 1)) == (i % 2 == 1)


def test_truth_at_hold_start_equals_frame():
    clip = demo_clip(240, 136)
    for i in (0, 6, 12, 24):
        assert np.array_equal(clip.truth(i), clip.frame(i))
        assert np.array_equal(clip.truth(Fraction(i)), clip.frame(i))
    for k, actor in enumerate(clip.actors(0)):
        for i in range(actor.phase, 30, actor.cadence):
            assert clip.true_centre(k, i) == clip.drawn_centre(k, i)
    assert not np.array_equal(clip.truth(Fraction(13, 2)), clip.frame(6))


def test_truth_is_continuous_motion():
    clip = demo_clip(240, 136)
    a = clip.actors(0)[1]
    t = Fraction(7, 3)
    y, x = clip.true_centre(1, t)
    assert y == pytest.approx(a.start[0] + a.velocity[0] * 7 / 3)
    assert x == pytest.approx(a.start[1] + a.velocity[1] * 7 / 3)
    assert clip.drawn_centre(1, 2) == a.centre(0)
    assert clip.bg_offset(2.5) == pytest.approx((0.0, 1.5 * 0.5 * 2.5))


def test_cuts_and_scene_layout():
    clip = demo_clip()
    assert clip.num_frames == 48 and clip.scene_starts == [0, 30]
    assert clip.locate(29) == (0, 29.0) and clip.locate(30) == (1, 0.0)
    assert clip.locate(Fraction(59, 2)) == (0, 29.5)
    a, b, c = clip.frame(28), clip.frame(29), clip.frame(30)
    assert np.abs(b - a).mean() < 0.05 < np.abs(c - b).mean()
    assert clip.actors(29) != clip.actors(30)
    with pytest.raises(IndexError):
        clip.frame(48)


def test_deterministic():
    a, b = demo_clip(160, 96), demo_clip(160, 96)
    assert np.array_equal(a.frame(17), b.frame(17))
    assert np.array_equal(a.truth(17.25), b.truth(17.25))


def test_pan_moves_background_by_stated_velocity():
    pan = (0.35, -1.7)
    clip = AnimeClip(256, 160, [Scene(12, (), pan=pan, seed=5)])
    gray0, gray10 = clip.frame(0).mean(-1), clip.frame(10).mean(-1)
    inner = (slice(24, -24), slice(24, -24))

    def err(dy: float, dx: float) -> float:
        return float(np.abs(_fourier_shift(gray0, dy, dx) - gray10)[inner].mean())

    true = (10 * pan[0], 10 * pan[1])
    best = err(*true)
    for ddy, ddx in ((0.25, 0), (-0.25, 0), (0, 0.25), (0, -0.25)):
        assert best < 0.5 * err(true[0] + ddy, true[1] + ddx)

    slow = AnimeClip(256, 160, [Scene(12, (), pan=(0.0, 0.05), seed=5)])
    assert _psnr(slow.frame(0), slow.frame(10)) < 33.0, "a 0.5 px pan error must cost PSNR"


def test_pan_on_twos_holds_background():
    clip = AnimeClip(96, 64, [Scene(6, (), pan=(0.0, 2.0), seed=1, pan_cadence=2)])
    assert np.array_equal(clip.frame(0), clip.frame(1))
    assert not np.array_equal(clip.frame(1), clip.frame(2))
    assert not np.array_equal(clip.truth(1), clip.frame(1))


def test_centroid_finds_drawn_and_true_centres():
    clip = demo_clip()
    for i in (0, 5, 17, 29, 30, 47):
        frame = clip.frame(i)
        for k, actor in enumerate(clip.actors(i)):
            got = centroid_of_colour(frame, actor.fill)
            assert got == pytest.approx(clip.drawn_centre(k, i), abs=0.1)
    for t in (Fraction(1, 2), Fraction(7, 3), 33.75):
        frame = clip.truth(t)
        for k, actor in enumerate(clip.actors(int(t))):
            assert centroid_of_colour(frame, actor.fill) == pytest.approx(
                clip.true_centre(k, t), abs=0.1)
    assert centroid_of_colour(clip.frame(0), FILLS[5]) is None


@pytest.mark.parametrize("size", [(480, 272), (128, 72)])
def test_centroid_small_and_box_shapes(size):
    w, h = size
    clip = AnimeClip(w, h, [mixed_scene(w, h, (1, 2, 3), length=9, seed=3)])
    for i in range(0, 9, 2):
        frame = clip.frame(i)
        for k, actor in enumerate(clip.actors(i)):
            assert centroid_of_colour(frame, actor.fill) == pytest.approx(
                clip.drawn_centre(k, i), abs=0.15)


def test_frame_is_well_formed_and_paints_the_background_once(monkeypatch):
    """A frame costs one background render: the textures are built with the clip, never per
    frame (benchmarks draw thousands of frames)."""
    clip = demo_clip()
    built, renders = [], []
    from_seed, render = Texture.from_seed, Texture.render
    monkeypatch.setattr(Texture, "from_seed",
                        classmethod(lambda cls, seed: built.append(seed) or from_seed(seed)))
    monkeypatch.setattr(Texture, "render", lambda self, *a: renders.append(a) or render(self, *a))
    frame = clip.frame(0)
    assert frame.shape == (272, 480, 3) and frame.dtype == np.float32
    assert 0.0 <= frame.min() and frame.max() <= 1.0
    for i in range(1, 6):
        clip.frame(i)
    assert built == [] and len(renders) == 6


def test_actor_validation():
    with pytest.raises(ValueError):
        Actor("blob", FILLS[0], (5, 5), (10, 10), (0, 0))
    with pytest.raises(ValueError):
        Actor("box", FILLS[0], (5, 5), (10, 10), (0, 0), cadence=0)


def test_to_vs_clip_formats_and_cut_props():
    vs = pytest.importorskip("vapoursynth")
    clip = demo_clip(96, 64)
    node = to_vs_clip(clip, mark_cuts=True)
    assert (node.width, node.height, node.num_frames) == (96, 64, 48)
    assert node.format.id == vs.RGBS and node.fps == Fraction(24000, 1001)
    f = node.get_frame(30)
    img = np.stack([np.asarray(f[p]) for p in range(3)], axis=-1)
    assert np.array_equal(img, clip.frame(30))
    assert f.props["_SceneChangePrev"] == 1 and f.props["_SceneChangeNext"] == 0
    assert node.get_frame(29).props["_SceneChangeNext"] == 1
    assert "_SceneChangePrev" not in to_vs_clip(clip).get_frame(30).props
    rgb24 = to_vs_clip(clip, fps=Fraction(24), format=vs.RGB24)
    assert rgb24.format.id == vs.RGB24 and rgb24.fps == 24
    r8 = np.asarray(rgb24.get_frame(3)[0]).astype(np.float32) / 255
    assert np.abs(r8 - clip.frame(3)[..., 0]).max() <= 1 / 255 + 1e-6
    yuv = to_vs_clip(clip, format=vs.YUV420P8)
    assert yuv.format.id == vs.YUV420P8
    assert np.asarray(yuv.get_frame(0)[1]).shape == (32, 48)
