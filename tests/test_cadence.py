"""Auto-N cadence measurement (docs/forward.md §7–8) on synthetic anime with known holds."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from vsafi.modes.forward.cadence import cadence_votes, measure_cadence
from vsafi.modes.gray import analysis_image
from vsafi.synthetic import Actor, AnimeClip, FILLS, Scene, cadence_scene, mixed_scene

SMALL = (128, 72)
MID = (240, 136)
FULL = (480, 272)


def _analysis(scene: Scene, size: tuple[int, int], count: int | None = None,
              noise: float = 0.0) -> list[np.ndarray]:
    clip = AnimeClip(size[0], size[1], [scene])
    frames = []
    for i in range(count or scene.length):
        frame = clip.frame(i)
        if noise:
            rng = np.random.default_rng(i)
            frame = frame + noise * rng.standard_normal(frame.shape, dtype=np.float32)
        frames.append(analysis_image(np.clip(frame, 0.0, 1.0)))
    return frames


@lru_cache(maxsize=None)
def _single(size: tuple[int, int], cadence: int, phase: int, pan: float,
            length: int = 24) -> tuple[np.ndarray, ...]:
    scene = cadence_scene(*size, cadence, length=length, pan=(0.25 * pan, pan), phase=phase,
                          seed=10 * cadence + phase)
    return tuple(_analysis(scene, size))


@pytest.mark.parametrize("pan", [0.0, 0.7, 6.0])
@pytest.mark.parametrize("cadence,phase", [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)])
def test_single_cadence_small(cadence, phase, pan):
    assert measure_cadence(_single(SMALL, cadence, phase, pan)) == cadence


@pytest.mark.parametrize("cadence,phase,pan", [(1, 0, 0.7), (2, 1, 0.7), (3, 2, 6.0)])
def test_single_cadence_full_size(cadence, phase, pan):
    assert measure_cadence(_single(FULL, cadence, phase, pan)) == cadence


def test_local_not_global():
    """Over a pan on ones every whole frame differs, yet the characters hold on twos."""
    frames = _single(FULL, 2, 1, 0.7)
    diffs = [float(np.abs(b - a).mean()) for a, b in zip(frames, frames[1:])]
    assert min(diffs) > 0.005
    votes = cadence_votes(frames)
    assert votes[2] > votes[1] and votes[3] == votes[4] == 0


@pytest.mark.parametrize("size,pan", [(SMALL, 0.7), (SMALL, 6.0), (FULL, 0.7)])
def test_twos_and_threes_give_threes(size, pan):
    scene = mixed_scene(*size, (2, 3), length=24, pan=(0.2 * pan, pan), seed=5)
    assert measure_cadence(_analysis(scene, size)) == 3


def test_threes_and_twos_other_phases_48_frames():
    scene = mixed_scene(*SMALL, (3, 2), length=48, pan=(0.0, -2.0), phases=(1, 1), seed=6)
    assert measure_cadence(_analysis(scene, SMALL)) == 3


def test_ones_beside_twos_gives_twos():
    scene = mixed_scene(*SMALL, (1, 2), length=24, pan=(0.0, 0.7), seed=8)
    assert measure_cadence(_analysis(scene, SMALL)) == 2


@pytest.mark.parametrize("size", [SMALL, FULL])
def test_static_scenes_give_ones(size):
    assert measure_cadence(_analysis(Scene(24, (), seed=3), size, 12)) == 1
    still = _analysis(cadence_scene(*size, 2, length=12, speed=0.0), size)
    assert measure_cadence(still) == 1 and cadence_votes(still)[1:].sum() == 0


def test_pan_alone_is_ones_and_pan_on_twos_is_twos():
    assert measure_cadence(_analysis(Scene(24, (), pan=(0.3, 2.5), seed=4), SMALL)) == 1
    held_pan = Scene(24, (), pan=(0.0, 2.0), seed=4, pan_cadence=2)
    assert measure_cadence(_analysis(held_pan, SMALL)) == 2


def test_fours_and_cap():
    scene = cadence_scene(*SMALL, 4, length=32, pan=(0.0, 0.7), seed=2)
    frames = _analysis(scene, SMALL)
    assert measure_cadence(frames) == 4
    assert measure_cadence(frames, max_period=3) <= 3


@pytest.mark.parametrize("length,cadence", [(12, 2), (48, 3), (48, 1)])
def test_window_lengths(length, cadence):
    assert measure_cadence(_single(SMALL, cadence, 0, 0.7, length)) == cadence


@pytest.mark.parametrize("cadence", [1, 2, 3])
def test_robust_to_noise(cadence):
    """Gaussian noise of 3/255 per channel, independent per frame (grain, compression)."""
    scene = cadence_scene(*MID, cadence, length=24, pan=(0.2, 1.3), seed=cadence)
    assert measure_cadence(_analysis(scene, MID, noise=3 / 255)) == cadence


def test_small_character_on_twos_over_pan():
    actor = Actor("ellipse", FILLS[0], (8, 7), (50, 30), (0.1, 1.5), cadence=2, outline=1.5)
    scene = Scene(24, (actor,), pan=(0.05, 0.9), seed=3)
    assert measure_cadence(_analysis(scene, MID)) == 2


def test_input_forms_and_purity():
    clip = AnimeClip(*SMALL, [cadence_scene(*SMALL, 3, length=18, pan=(0.0, 0.7), seed=1)])
    rgb = [clip.frame(i) for i in range(18)]
    gray = [analysis_image(f) for f in rgb]
    copies = [g.copy() for g in gray]
    rgb8 = [np.round(f * 255).astype(np.uint8) for f in rgb]
    assert measure_cadence(gray) == measure_cadence(tuple(gray)) == 3
    assert measure_cadence(rgb) == 3 and measure_cadence(rgb8) == 3
    assert all(np.array_equal(a, b) for a, b in zip(gray, copies))
    assert measure_cadence(gray[:2]) == 1
    with pytest.raises(ValueError):
        measure_cadence([gray[0], gray[1][:-1], gray[2]])


#: Grey levels of successive drawings: every drawing differs from the one before by 0.4 or more.
_LEVELS = (0.2, 0.7, 0.3, 0.9, 0.4, 0.8)


def _flat_patches(count: int, patches: list[tuple[slice, slice, int]]) -> list[np.ndarray]:
    """64×64 black frames with flat square patches, each redrawn (a new grey) every ``cadence``
    frames: still camera, no noise, so each patch's hold period is known by construction."""
    frames = []
    for i in range(count):
        frame = np.zeros((64, 64), np.float32)
        for rows, cols, cadence in patches:
            frame[rows, cols] = _LEVELS[(i // cadence) % len(_LEVELS)]
        frames.append(frame)
    return frames


@pytest.mark.parametrize("cadence", [2, 3])
def test_votes_count_the_tiles_a_patch_crosses(cadence):
    """At 64×64 the tiles are 8 px squares on a 4 px step: 15 × 15 = 225 of them. A 16 px patch
    on the 4 px grid (blocks 4–7 both ways) reaches the tiles that start at blocks 3–7, 5 × 5 =
    25, which hold ``cadence`` frames; the other 200 never change."""
    frames = _flat_patches(18, [(slice(16, 32), slice(16, 32), cadence)])
    expected = [200, 0, 0, 0, 0]
    expected[cadence] = 25
    assert cadence_votes(frames).tolist() == expected
    assert measure_cadence(frames) == cadence


def test_votes_of_a_patch_on_twos_beside_one_on_threes():
    """The threes patch of the test above and an 8 px patch on twos (blocks 11–12: tiles 10–12,
    3 × 3 = 9) whose tiles it does not share: 9 votes for twos, 25 for threes, answer 3."""
    frames = _flat_patches(24, [(slice(16, 32), slice(16, 32), 3), (slice(44, 52), slice(44, 52), 2)])
    assert cadence_votes(frames).tolist() == [191, 0, 9, 25, 0]
    assert measure_cadence(frames) == 3


def test_analysis_image():
    assert analysis_image(np.ones((272, 480, 3), np.float32)).shape == (136, 240)
    assert analysis_image(np.ones((1080, 1920, 3), np.float32)).shape == (135, 240)
    small = analysis_image(np.ones((72, 128, 3), np.uint8) * 255)
    assert small.shape == (72, 128) and small.dtype == np.float32
    assert np.allclose(small, 1.0)
    assert analysis_image(np.zeros((64, 64), np.uint16)).shape == (64, 64)
    assert analysis_image(np.full((300, 400), 65535, np.uint16)).max() == 1.0
