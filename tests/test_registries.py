"""Mode and model names are defined once, in the registries, and everything else follows them:
the filter's checks and messages, the CLI, the weights, the README tables, and a new model."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import vapoursynth as vs

import vsafi
from conftest import clip_from_arrays, rgb_of
from vsafi import weights
from vsafi.cli import build_parser
from vsafi.engine.backends import get_backend
from vsafi.models.gmfss import network as gmfss
from vsafi.models.rife import ifnet as rife
from vsafi.models.backend import Backend
from vsafi.models.registry import DEFAULT_MODEL, MODELS, SCALES
from vsafi.modes import DEFAULT_MODE, MODES

README = Path(__file__).resolve().parent.parent / "README.md"


def frames(n: int = 6, h: int = 48, w: int = 64) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    return [rng.uniform(0.0, 1.0, (3, h, w)).astype(np.float32) for _ in range(n)]


def readme_rows(first_column: str) -> dict[str, list[str]]:
    """The rows of the README table whose header starts with ``first_column``, by name."""
    lines = README.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_column} |"))
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[re.match(r"`(\w+)`", cells[0]).group(1)] = cells
    return rows


def test_readme_tables_are_the_registries():
    modes = readme_rows("mode")
    assert list(modes) == list(MODES)
    for name, spec in MODES.items():
        assert modes[name][1] == spec.summary
        assert ("(default)" in modes[name][0]) == (name == DEFAULT_MODE)
    models = readme_rows("model")
    assert list(models) == list(MODELS)
    for name, spec in MODELS.items():
        assert models[name][1] == spec.summary
        assert re.findall(r"`([\w.]+)`", models[name][2]) == list(spec.files)
        assert models[name][3] == f"{spec.unit} px, {spec.canvas}"
        assert ("(default)" in models[name][0]) == (name == DEFAULT_MODEL)


def test_cli_choices_and_defaults_are_the_registries():
    actions = {a.dest: a for a in build_parser()._actions}
    assert actions["mode"].choices == list(MODES) and actions["mode"].default == DEFAULT_MODE
    assert actions["model"].choices == list(MODELS) and actions["model"].default == DEFAULT_MODEL


def test_every_weight_file_is_in_the_manifest():
    listed = set(weights.manifest()["files"])
    for spec in MODELS.values():
        assert set(spec.files) <= listed, spec.name


def test_registry_canvas_units_are_the_networks_own():
    for s in SCALES:
        assert MODELS["rife"].unit_at(s) == rife.canvas_unit(s)
        assert MODELS["gmfss"].unit_at(s) == MODELS["gmfss_union"].unit_at(s) == gmfss.canvas_unit(s)


def test_unknown_names_are_refused_with_the_registered_ones():
    clip = clip_from_arrays(frames(3))
    with pytest.raises(vs.Error, match="interpolate: mode must be one of plain, forward, drba, drop, not 'dedup'"):
        vsafi.interpolate(clip, factor=2, mode="dedup", device="cpu")
    with pytest.raises(vs.Error, match="interpolate: model must be one of rife, gmfss, gmfss_union, not 'ifrnet'"):
        vsafi.interpolate(clip, factor=2, model="ifrnet", device="cpu")


def test_an_option_of_another_mode_is_refused():
    with pytest.raises(vs.Error, match="interpolate: n_forward applies to mode=forward, not mode='drba'"):
        vsafi.interpolate(clip_from_arrays(frames(3)), factor=2, mode="drba", n_forward=1, device="cpu")


#: Forward with N = 1 on 6 frames at 5/2 (docs/forward.md §5), worked by hand for a crossfade,
#: whose midpoints are L1[s] = (F[s] + F[s + 1]) / 2: the weight of each source frame in output j.
#: Head (tau < 1/2): x = 2·tau along F[0], L1[0]. Body (tau <= 9/2): L1[s]..L1[s + 1] at
#: (s, w) = floor_frac(tau − 1/2). Tail: L1[4]..F[5] at (tau − 9/2) / (28/5 − 9/2), so that the
#: last output (tau = 28/5) is F[5].
_F = Fraction
FORWARD_N1 = [
    {0: 1}, {0: _F(3, 5), 1: _F(2, 5)},
    {0: _F(7, 20), 1: _F(1, 2), 2: _F(3, 20)}, {0: _F(3, 20), 1: _F(1, 2), 2: _F(7, 20)},
    {1: _F(9, 20), 2: _F(1, 2), 3: _F(1, 20)}, {1: _F(1, 4), 2: _F(1, 2), 3: _F(1, 4)},
    {1: _F(1, 20), 2: _F(1, 2), 3: _F(9, 20)}, {2: _F(7, 20), 3: _F(1, 2), 4: _F(3, 20)},
    {2: _F(3, 20), 3: _F(1, 2), 4: _F(7, 20)}, {3: _F(9, 20), 4: _F(1, 2), 5: _F(1, 20)},
    {3: _F(1, 4), 4: _F(1, 2), 5: _F(1, 4)}, {3: _F(1, 20), 4: _F(1, 2), 5: _F(9, 20)},
    {4: _F(4, 11), 5: _F(7, 11)}, {4: _F(2, 11), 5: _F(9, 11)}, {5: 1},
]


def test_every_mode_runs_on_a_model_it_has_never_heard_of(crossfade):
    """Every mode runs on a model it has never heard of; with no motion, plain, drop and DRBA
    are exact crossfades of the two source frames around each output's time, and forward with
    one pass is the hand-worked blend of its midpoints."""
    src = frames(6)
    clip = clip_from_arrays(src)
    assert "crossfade" in next(a for a in build_parser()._actions if a.dest == "model").choices
    for mode in MODES:
        options = {"n_forward": 1} if mode == "forward" else {}
        out = vsafi.interpolate(clip, factor=Fraction(5, 2), mode=mode, model=crossfade, device="cpu",
                                scene_ratio=None, **options)
        assert out.num_frames == 15
        for j in range(out.num_frames):
            frame = out.get_frame(j)
            got = rgb_of(frame)
            if mode == "forward":
                assert frame.props["vsafi_n_forward"] == 1, j
                expected = sum(float(w) * src[i] for i, w in FORWARD_N1[j].items())
            else:
                tau = min(Fraction(2 * j, 5), len(src) - 1)  # the last frame holds to the end
                k, w = int(tau), float(tau - int(tau))
                expected = src[k] if w == 0 else (1 - w) * src[k] + w * src[k + 1]
            assert np.allclose(got, expected, atol=1e-5), (mode, j)
    backend = get_backend(crossfade, device="cpu")
    assert isinstance(backend, Backend)
    assert backend.maps > 0, "DRBA rendered no per-pixel time map"
