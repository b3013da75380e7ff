"""Adding a model or a mode: one folder and one registry entry each, and everything that lists
models or modes (the filter, its checks, the command line, prebuild) takes the new one up."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import vapoursynth as vs

import toy_mode
import vsafi
from conftest import clip_from_arrays, rgb_of
from vsafi.cli import build_parser, filter_kwargs
from vsafi.filter import preflight
from vsafi.modes import MODES
from vsafi.prebuild import prebuild


def frames(n: int = 5, h: int = 32, w: int = 48) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.uniform(0.1, 0.9, (3, h, w)).astype(np.float32) for _ in range(n)]


@pytest.fixture
def lean(monkeypatch):
    """The registry entry of the toy mode in tests/toy_mode/."""
    monkeypatch.setitem(MODES, toy_mode.SPEC.name, toy_mode.SPEC)
    return toy_mode.SPEC.name


def test_a_new_model_is_one_folder_and_one_registry_entry(crossfade):
    src = frames()
    out = vsafi.interpolate(clip_from_arrays(src), factor=2, mode="plain", model=crossfade, device="cpu",
                            scene_ratio=None)
    for j in range(out.num_frames - 1):
        expected = src[j // 2] if j % 2 == 0 else (src[j // 2] + src[j // 2 + 1]) / 2
        assert np.allclose(rgb_of(out.get_frame(j)), expected, atol=1e-5), j
    assert crossfade in next(a for a in build_parser()._actions if a.dest == "model").choices
    said: list[str] = []
    prebuild(32, 32, crossfade, ("plain", "drba"), device="cpu", say=said.append)
    assert said[:2] == [f"{crossfade} plain: ready", f"{crossfade} drba: ready"]


def test_a_new_mode_with_an_option_is_one_folder_and_one_registry_entry(crossfade, lean):
    src = frames()
    clip = clip_from_arrays(src)
    out = vsafi.interpolate(clip, factor=4, mode=lean, model=crossfade, device="cpu", scene_ratio=None, lean=0.25)
    for j in range(out.num_frames - 3):
        k = j // 4
        expected = src[k] if j % 4 == 0 else 0.75 * src[k] + 0.25 * src[k + 1]
        assert np.allclose(rgb_of(out.get_frame(j)), expected, atol=1e-5), j
    assert out.get_frame(1).props["vsafi_mode"] == lean

    args = build_parser().parse_args(["-i", "a.mkv", "-o", "b.mkv", "--mode", lean, "--lean", "0.3"])
    assert filter_kwargs(args)["lean"] == 0.3
    assert preflight(clip, factor=2, mode=lean, lean=0.3).options == {"lean": 0.3}


def test_a_new_modes_option_is_checked_by_its_own_rule_and_only_for_that_mode(crossfade, lean):
    clip = clip_from_arrays(frames(3))
    with pytest.raises(vs.Error, match=r"interpolate: lean must be None or a number in \(0, 1\), not 1.5"):
        vsafi.interpolate(clip, factor=2, mode=lean, model=crossfade, device="cpu", lean=1.5)
    with pytest.raises(vs.Error, match="interpolate: lean applies to mode=lean, not mode='plain'"):
        vsafi.interpolate(clip, factor=2, mode="plain", model=crossfade, device="cpu", lean=0.5)
    with pytest.raises(vs.Error, match="interpolate: n_forward applies to mode=forward, not mode='lean'"):
        vsafi.interpolate(clip, factor=2, mode=lean, model=crossfade, device="cpu", n_forward=1)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["-i", "a.mkv", "-o", "b.mkv", "--lean", "2"])


def test_an_unknown_option_names_the_options_there_are():
    clip = clip_from_arrays(frames(3))
    with pytest.raises(vs.Error, match="interpolate: unknown option n_forwards; the modes' options are n_forward, "
                                       "drop_threshold"):
        vsafi.interpolate(clip, factor=2, device="cpu", n_forwards=2)


def test_the_filters_docstring_lists_every_modes_options():
    for spec in MODES.values():
        for option in spec.options:
            assert f":param {option.name}: {option.help}" in vsafi.interpolate.__doc__
